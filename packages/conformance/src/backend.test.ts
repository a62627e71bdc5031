import { describe, expect, it } from 'vitest';
import { tsKernels, type Backend, type KernelName, type Kernels } from '@diffeo/core';
import { KERNEL_NAMES, compareValues, describeBackend, kernelCases, mulberry32 } from '@diffeo/conformance';

type AnyKernel = (...args: unknown[]) => unknown;

/** A backend whose kernels are wrappers of the TypeScript kernels (distinct function objects). */
function wrapping(name: string, names: readonly KernelName[], priority = 1): Backend {
  const kernels: Record<string, AnyKernel> = {};
  for (const k of names) {
    const ts = tsKernels[k] as unknown as AnyKernel;
    kernels[k] = (...args) => ts(...args);
  }
  return { name, priority, kernels: kernels as Partial<Kernels> };
}

// Every kernel provided (asynchronous factory, as a WebAssembly backend would be).
describeBackend('ts-wrapper (all kernels)', async () => wrapping('ts-wrapper', KERNEL_NAMES));

// Only a subset: the others are tested through the TypeScript fallback.
describeBackend('ts-subset', () => wrapping('ts-subset', ['warp2d', 'compose3d', 'gaussianFilter', 'ccFactors2d', 'residual3d'], -5));

describe('the backend kit itself', () => {
  it('has cases for every kernel of the contract', () => {
    for (const k of KERNEL_NAMES) expect(kernelCases[k].length, k).toBeGreaterThan(0);
    expect(new Set(Object.keys(kernelCases))).toEqual(new Set(KERNEL_NAMES));
  });

  it('builds identical, independent arguments from the same seed', () => {
    const c = kernelCases.compose2d[1];
    const a = c.make(mulberry32(7));
    const b = c.make(mulberry32(7));
    expect(a[0]).toBe(a[1]); // in-place aliasing is reproduced
    expect(a[0]).not.toBe(b[0]);
    expect(compareValues(a, b, 0)).toBeNull();
  });

  it('detects a one-ulp difference in an output and a modified input', () => {
    const c = kernelCases.warp2d[0];
    const ref = c.make(mulberry32(3));
    const mine = c.make(mulberry32(3));
    tsKernels.warp2d(...ref);
    tsKernels.warp2d(...mine);
    const out = mine[0];
    const i = out.findIndex((v) => v !== 0);
    const buf = new Float32Array(1);
    const bits = new Uint32Array(buf.buffer);
    buf[0] = out[i];
    bits[0] += 1;
    out[i] = buf[0];
    const m = compareValues(mine, ref, 0, 'args');
    expect(m?.path).toBe(`args[0][${i}]`);
    expect(compareValues(mine, ref, 1e-6, 'args')).toBeNull();
    out[i] = ref[0][i];
    (mine[2] as Float32Array)[5] += 1;
    expect(compareValues(mine, ref, 0, 'args')?.path).toBe('args[2][5]');
  });

  it('treats NaN as equal to NaN and +0 as equal to −0, but not NaN to a number', () => {
    expect(compareValues([NaN, 0], [NaN, -0], 0)).toBeNull();
    expect(compareValues(new Float32Array([NaN]), new Float32Array([1]), 1e-3)).not.toBeNull();
    expect(compareValues(new Float32Array([1]), new Float64Array([1]), 0)).not.toBeNull();
    expect(compareValues({ iterations: 3, error: 0.1 }, { iterations: 3, error: 0.1 + 1e-12 }, 1e-9)).toBeNull();
  });
});
