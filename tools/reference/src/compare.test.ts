import { describe, expect, it } from 'vitest';
import { compareArrays } from './compare.js';

describe('compareArrays', () => {
  it('allclose follows numpy semantics |a-b| <= atol + rtol|b|', () => {
    const t = { metric: 'allclose', rtol: 1e-3, atol: 0 };
    expect(compareArrays('x', [1.0009], [1], t).status).toBe('pass');
    expect(compareArrays('x', [1.0011], [1], t).status).toBe('fail');
    expect(compareArrays('x', [NaN], [NaN], t).status).toBe('pass');
    expect(compareArrays('x', [NaN], [1], t).status).toBe('fail');
  });
  it('mismatch fraction counts exact inequality', () => {
    const a = new Float32Array(1000);
    const b = new Float32Array(1000);
    a[3] = 1;
    expect(compareArrays('x', a, b, { metric: 'mismatch_fraction<=1e-3', rtol: 0, atol: 0 }).status).toBe('pass');
    a[4] = 1;
    expect(compareArrays('x', a, b, { metric: 'mismatch_fraction<=1e-3', rtol: 0, atol: 0 }).status).toBe('fail');
    expect(compareArrays('x', a, b, { metric: 'exact', rtol: 0, atol: 0 }).status).toBe('fail');
  });
  it('endpoint error is the mean vector norm and its 99th percentile', () => {
    const a = [3, 4, 0, 0];
    const b = [0, 0, 0, 0];
    const r = compareArrays('f', a, b, { metric: 'endpoint_error', rtol: 0, atol: 2.5 }, 2);
    expect(r.measured).toContain('mean=2.500');
    expect(r.status).toBe('pass');
    expect(compareArrays('f', a, b, { metric: 'endpoint_error', rtol: 0, atol: 2.5, p99_atol: 1 }, 2).status).toBe('fail');
  });
  it('unknown metrics are reported, not passed', () => {
    expect(compareArrays('x', [1], [1], { metric: 'bogus', rtol: 0, atol: 0 }).status).toBe('unsupported');
  });
});
