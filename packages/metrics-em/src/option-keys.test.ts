/** EMMetric refuses unknown option keys with the nearest name (issue 11 item 12). */
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '@diffeo/core';
import { emMetric } from '@diffeo/metrics-em';

describe('EMMetric options', () => {
  it('refuses an unknown key, suggesting the nearest name', () => {
    expect(() => emMetric(2, { innerIters: 5 } as never)).toThrow(InvalidArgumentError);
    expect(() => emMetric(2, { innerIters: 5 } as never)).toThrow(/innerIters.*innerIter/);
    expect(emMetric(2, { innerIter: 5, smooth: 1 }).dim).toBe(2);
  });
});
