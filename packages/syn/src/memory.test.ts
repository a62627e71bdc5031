import { describe, expect, it } from 'vitest';
import { ResourceLimitError } from '@diffeo/core';
import { WASM_MEMORY_LIMIT, checkSynMemory, estimateSynPeakBytes } from '@diffeo/syn';

describe('peak-memory estimate (issue 11 item 6)', () => {
  it('grows with the voxel count and counts at least the eight displacement fields', () => {
    const small = estimateSynPeakBytes([64, 64, 64], [64, 64, 64]);
    const big = estimateSynPeakBytes([128, 128, 128], [128, 128, 128]);
    expect(big / small).toBeCloseTo(8, 5);
    // lower bound by hand: 8 fields of 3 float32 per voxel
    expect(small).toBeGreaterThan(8 * 3 * 4 * 64 ** 3);
  });

  it('refuses a run over the 4 GiB of WebAssembly memory up front, giving the estimate', () => {
    let err: unknown;
    try {
      checkSynMemory([480, 448, 352], [480, 448, 352], true);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ResourceLimitError);
    expect((err as ResourceLimitError).estimatedBytes).toBeGreaterThan(WASM_MEMORY_LIMIT);
    expect((err as Error).message).toMatch(/needs about \d+\.\d GiB .* 4\.0 GiB a WebAssembly memory/);
    expect(() => checkSynMemory([64, 64, 64], [64, 64, 64], true)).not.toThrow();
  });

  it.skipIf(typeof (process as { availableMemory?: unknown }).availableMemory !== 'function')('refuses a 1024^3 TypeScript run the machine cannot hold', () => {
    expect(() => checkSynMemory([1024, 1024, 1024], [1024, 1024, 1024], false)).toThrow(ResourceLimitError);
  });
});
