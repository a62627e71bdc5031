/**
 * Synthetic test data, DIPY's `vector_fields.create_harmonic_fields_2d/3d`,
 * `create_circle` and `create_sphere`: harmonic
 * displacement fields with their analytic inverses (Chen et al. 2008), binary
 * discs and balls. Grid coordinates in voxels, array-axis order; centres at
 * `⌊n/2⌋` along every axis; float64 output, like DIPY.
 */
import { InvalidArgumentError } from './errors.js';
import type { NdArray } from './ndarray.js';
import { wrapArray } from './ndarray.js';


function checkCount(n: number, what: string): number {
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${what} must be a positive integer; got ${n}.`);
  return n;
}

function checkFinite(x: number, what: string): number {
  if (typeof x !== 'number' || !Number.isFinite(x)) throw new InvalidArgumentError(`${what} must be a finite number; got ${String(x)}.`);
  return x;
}

/**
 * The harmonic test field of Chen et al. (2008) and its analytic inverse, DIPY's
 * `create_harmonic_fields_2d`: with `ii = i − ⌊nr/2⌋`, `jj = j − ⌊nc/2⌋`,
 * `θ = atan2(ii, jj)`: `field[i,j] = (ii, jj)·(1/(1 + b·cos(mθ)) − 1)` and
 * `inverse[i,j] = b·cos(mθ)·(ii, jj)`. Units: voxels. Float64, like DIPY.
 * @returns `field` and `inverse`, float64 `ndarray`s of shape `[nr, nc, 2]`.
 */
export function createHarmonicFields2d(nr: number, nc: number, b: number, m: number): { field: NdArray<Float64Array>; inverse: NdArray<Float64Array> } {
  checkCount(nr, 'nr'); checkCount(nc, 'nc'); checkFinite(b, 'b'); checkFinite(m, 'm');
  const d = new Float64Array(nr * nc * 2);
  const inv = new Float64Array(nr * nc * 2);
  const mr = Math.floor(nr / 2), mc = Math.floor(nc / 2);
  let p = 0;
  for (let i = 0; i < nr; i++) {
    const ii = i - mr;
    for (let j = 0; j < nc; j++, p += 2) {
      const jj = j - mc;
      const theta = Math.atan2(ii, jj);
      const c = Math.cos(m * theta);
      const s = 1.0 / (1 + b * c) - 1.0;
      d[p] = ii * s;
      d[p + 1] = jj * s;
      inv[p] = b * c * ii;
      inv[p + 1] = b * c * jj;
    }
  }
  return { field: wrapArray(d, [nr, nc, 2]), inverse: wrapArray(inv, [nr, nc, 2]) };
}

/**
 * 3D harmonic test field and its inverse, DIPY's `create_harmonic_fields_3d`: as
 * {@link createHarmonicFields2d} with `kk = k − ⌊ns/2⌋` as component 0 and `θ`
 * still `atan2(ii, jj)`. Units: voxels.
 * @returns float64 `ndarray`s of shape `[ns, nr, nc, 3]`.
 */
export function createHarmonicFields3d(ns: number, nr: number, nc: number, b: number, m: number): { field: NdArray<Float64Array>; inverse: NdArray<Float64Array> } {
  checkCount(ns, 'ns'); checkCount(nr, 'nr'); checkCount(nc, 'nc'); checkFinite(b, 'b'); checkFinite(m, 'm');
  const n = ns * nr * nc * 3;
  const d = new Float64Array(n);
  const inv = new Float64Array(n);
  const ms = Math.floor(ns / 2), mr = Math.floor(nr / 2), mc = Math.floor(nc / 2);
  let p = 0;
  for (let k = 0; k < ns; k++) {
    const kk = k - ms;
    for (let i = 0; i < nr; i++) {
      const ii = i - mr;
      for (let j = 0; j < nc; j++, p += 3) {
        const jj = j - mc;
        const theta = Math.atan2(ii, jj);
        const c = Math.cos(m * theta);
        const s = 1.0 / (1 + b * c) - 1.0;
        d[p] = kk * s;
        d[p + 1] = ii * s;
        d[p + 2] = jj * s;
        inv[p] = b * c * kk;
        inv[p + 1] = b * c * ii;
        inv[p + 2] = b * c * jj;
      }
    }
  }
  return { field: wrapArray(d, [ns, nr, nc, 3]), inverse: wrapArray(inv, [ns, nr, nc, 3]) };
}

/**
 * Binary disc, DIPY's `create_circle`: 1 where `sqrt(ii² + jj²) ≤ radius`
 * (`ii = i − ⌊nr/2⌋`, `jj = j − ⌊nc/2⌋`), else 0.
 * @returns float64 `ndarray` of shape `[nr, nc]`.
 */
export function createCircle(nr: number, nc: number, radius: number): NdArray<Float64Array> {
  checkCount(nr, 'nr'); checkCount(nc, 'nc'); checkFinite(radius, 'radius');
  const out = new Float64Array(nr * nc);
  const mr = Math.floor(nr / 2), mc = Math.floor(nc / 2);
  let p = 0;
  for (let i = 0; i < nr; i++) {
    const ii = i - mr;
    for (let j = 0; j < nc; j++, p++) {
      const jj = j - mc;
      out[p] = Math.sqrt(ii * ii + jj * jj) <= radius ? 1 : 0;
    }
  }
  return wrapArray(out, [nr, nc]);
}

/**
 * Binary ball, DIPY's `create_sphere`: 1 where `sqrt(ii² + jj² + kk²) ≤ radius`
 * around `(⌊ns/2⌋, ⌊nr/2⌋, ⌊nc/2⌋)`, else 0.
 * @returns float64 `ndarray` of shape `[ns, nr, nc]`.
 */
export function createSphere(ns: number, nr: number, nc: number, radius: number): NdArray<Float64Array> {
  checkCount(ns, 'ns'); checkCount(nr, 'nr'); checkCount(nc, 'nc'); checkFinite(radius, 'radius');
  const out = new Float64Array(ns * nr * nc);
  const ms = Math.floor(ns / 2), mr = Math.floor(nr / 2), mc = Math.floor(nc / 2);
  let p = 0;
  for (let k = 0; k < ns; k++) {
    const kk = k - ms;
    for (let i = 0; i < nr; i++) {
      const ii = i - mr;
      for (let j = 0; j < nc; j++, p++) {
        const jj = j - mc;
        out[p] = Math.sqrt(ii * ii + jj * jj + kk * kk) <= radius ? 1 : 0;
      }
    }
  }
  return wrapArray(out, [ns, nr, nc]);
}
