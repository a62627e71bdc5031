import { describe, expect, it } from 'vitest';
import { DiffeoError, ShapeMismatchError, assertStepOutput, stepDisposedError } from '@diffeo/core';

describe('metric step checks', () => {
  it('a disposed step reports NOT_READY naming the metric and the call', () => {
    const e = stepDisposedError('MyMetric', 'backward');
    expect(e).toBeInstanceOf(DiffeoError);
    expect(e.code).toBe('NOT_READY');
    expect(e.message).toMatch(/MyMetric: backward\(\) called after dispose\(\)/);
  });
  it('accepts exactly prod(shape)·d float32 values and rejects anything else', () => {
    expect(() => assertStepOutput('M', 'forward', new Float32Array(12), 6, 2)).not.toThrow();
    expect(() => assertStepOutput('M', 'forward', new Float32Array(11), 6, 2)).toThrow(ShapeMismatchError);
    expect(() => assertStepOutput('M', 'forward', new Float64Array(12), 6, 2)).toThrow(/12 values \(6 voxels × 2 components\)/);
  });
});
