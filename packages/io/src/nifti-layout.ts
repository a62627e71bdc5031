/**
 * The voxel layout of a NIfTI file: the datatype codes diffeo supports (with their item
 * sizes and typed arrays), byte swapping, and the axis reversal between the file's
 * x-fastest (Fortran) order and diffeo's C order over the same shape `[nx, ny, nz, ...]`.
 * Voxel `(i, j, k)` sits at file element `i + nx·(j + ny·k)` and at C element
 * `(i·ny + j)·nz + k`; no resampling, only a permutation of the elements.
 */
import type { NumericArray } from '@diffeo/core';
import type { NiftiDtype } from './nifti-types.js';

export interface DtypeSpec {
  readonly name: NiftiDtype;
  readonly code: number;
  readonly size: number;
  readonly alloc: (n: number) => NumericArray;
}

const DTYPES: readonly DtypeSpec[] = [
  { name: 'uint8', code: 2, size: 1, alloc: (n) => new Uint8Array(n) },
  { name: 'int16', code: 4, size: 2, alloc: (n) => new Int16Array(n) },
  { name: 'int32', code: 8, size: 4, alloc: (n) => new Int32Array(n) },
  { name: 'float32', code: 16, size: 4, alloc: (n) => new Float32Array(n) },
  { name: 'float64', code: 64, size: 8, alloc: (n) => new Float64Array(n) },
  { name: 'int8', code: 256, size: 1, alloc: (n) => new Int8Array(n) },
  { name: 'uint16', code: 512, size: 2, alloc: (n) => new Uint16Array(n) },
  { name: 'uint32', code: 768, size: 4, alloc: (n) => new Uint32Array(n) },
];

export const DTYPE_BY_CODE = new Map<number, DtypeSpec>(DTYPES.map((d) => [d.code, d]));

export const OTHER_DATATYPES: Record<number, string> = {
  0: 'unknown',
  1: 'binary (1 bit)',
  32: 'complex64',
  128: 'RGB24',
  1024: 'int64',
  1280: 'uint64',
  1536: 'float128',
  1792: 'complex128',
  2048: 'complex256',
  2304: 'RGBA32',
};

export function dtypeOfArray(a: NumericArray): DtypeSpec | undefined {
  if (a instanceof Uint8Array) return DTYPE_BY_CODE.get(2);
  if (a instanceof Int16Array) return DTYPE_BY_CODE.get(4);
  if (a instanceof Int32Array) return DTYPE_BY_CODE.get(8);
  if (a instanceof Float32Array) return DTYPE_BY_CODE.get(16);
  if (a instanceof Float64Array) return DTYPE_BY_CODE.get(64);
  if (a instanceof Int8Array) return DTYPE_BY_CODE.get(256);
  if (a instanceof Uint16Array) return DTYPE_BY_CODE.get(512);
  if (a instanceof Uint32Array) return DTYPE_BY_CODE.get(768);
  return undefined;
}

export const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export const XFORM_CODES = new Set([0, 1, 2, 3, 4, 5]);

const TILE = 32;

/**
 * Reverses the axis order between the file layout (x fastest: Fortran order over `shape`)
 * and C order over `shape`: `toC` copies file → C (`src` file order, `dst` C order),
 * otherwise C → file. Size-1 axes are dropped (they do not move memory); for the rest,
 * each combination of the middle axes is a 2D transpose between the first axis (contiguous
 * in the file) and the last (contiguous in C order), done in cache-sized tiles.
 */
export function reverseAxes(src: NumericArray, dst: NumericArray, shape: readonly number[], toC: boolean): void {
  const dims = shape.filter((n) => n !== 1);
  const d = dims.length;
  if (src.length === 0) return;
  if (d <= 1) {
    dst.set(src);
    return;
  }
  const n0 = dims[0];
  const nL = dims[d - 1];
  // C stride of axis 0, file stride of the last axis.
  let s0 = 1;
  for (let k = 1; k < d; k++) s0 *= dims[k];
  let fL = 1;
  for (let k = 0; k < d - 1; k++) fL *= dims[k];
  const nMid = d - 2;
  const idx = new Array<number>(nMid).fill(0);
  // C strides and file strides of the middle axes.
  const cMid = new Array<number>(nMid);
  const fMid = new Array<number>(nMid);
  for (let k = 1; k <= nMid; k++) {
    let c = 1;
    for (let m = k + 1; m < d; m++) c *= dims[m];
    let f = 1;
    for (let m = 0; m < k; m++) f *= dims[m];
    cMid[k - 1] = c;
    fMid[k - 1] = f;
  }
  let cBase = 0;
  let fBase = 0;
  for (;;) {
    for (let a0 = 0; a0 < n0; a0 += TILE) {
      const e0 = Math.min(a0 + TILE, n0);
      for (let aL = 0; aL < nL; aL += TILE) {
        const eL = Math.min(aL + TILE, nL);
        if (toC) {
          for (let i0 = a0; i0 < e0; i0++) {
            const c = cBase + i0 * s0;
            const f = fBase + i0;
            for (let iL = aL; iL < eL; iL++) dst[c + iL] = src[f + iL * fL];
          }
        } else {
          for (let iL = aL; iL < eL; iL++) {
            const c = cBase + iL;
            const f = fBase + iL * fL;
            for (let i0 = a0; i0 < e0; i0++) dst[f + i0] = src[c + i0 * s0];
          }
        }
      }
    }
    // Next combination of the middle axes.
    let k = 0;
    for (; k < nMid; k++) {
      idx[k]++;
      cBase += cMid[k];
      fBase += fMid[k];
      if (idx[k] < dims[k + 1]) break;
      cBase -= cMid[k] * dims[k + 1];
      fBase -= fMid[k] * dims[k + 1];
      idx[k] = 0;
    }
    if (k === nMid) return;
  }
}

export function swapBytes(bytes: Uint8Array, size: number): void {
  if (size === 1) return;
  const n = bytes.length;
  for (let i = 0; i < n; i += size) {
    for (let a = i, b = i + size - 1; a < b; a++, b--) {
      const t = bytes[a];
      bytes[a] = bytes[b];
      bytes[b] = t;
    }
  }
}

export function makeView(spec: DtypeSpec, buf: ArrayBuffer, offset: number, n: number): NumericArray {
  switch (spec.code) {
    case 2: return new Uint8Array(buf, offset, n);
    case 4: return new Int16Array(buf, offset, n);
    case 8: return new Int32Array(buf, offset, n);
    case 16: return new Float32Array(buf, offset, n);
    case 64: return new Float64Array(buf, offset, n);
    case 256: return new Int8Array(buf, offset, n);
    case 512: return new Uint16Array(buf, offset, n);
    default: return new Uint32Array(buf, offset, n);
  }
}
