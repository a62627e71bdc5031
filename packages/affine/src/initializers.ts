/**
 * Starting affines (DIPY 1.6 `transform_centers_of_mass`, `transform_geometric_centers`,
 * `transform_origins`): translations `T = [I, c_m − c_s; 0, 1]` that take a static-world
 * point `c_s` to a moving-world point `c_m` (mm):
 * - centres of mass: `c = G · [Σ_i v_i·i / Σ_i v_i; 1]` (intensity-weighted voxel centroid, world);
 * - geometric centres: `c = G · [shape/2; 1]`;
 * - origins: `c` = the translation column of `G` (world position of voxel 0).
 *
 * The sums follow NumPy's reduction (chunks of 8192 values, each summed pairwise in blocks of
 * 8 and 128, as `ndarray.sum` does on contiguous data), in the image's precision for the total mass and in float64 for
 * the weighted coordinates, so the centres are bit-identical to `scipy.ndimage.center_of_mass`.
 */
import { EmptyImageError, ShapeMismatchError, type Dim, type NumericArray, type Volume } from '@diffeo/core';
import { AffineMap } from './affine-map.js';
import { eye } from './matrix.js';

/** NumPy's pairwise sum of `a[0..n)` (float64, or float32 arithmetic when `f32`). */
export function pairwiseSum(a: ArrayLike<number>, off: number, n: number, f32: boolean): number {
  return f32 ? pairwiseSum32(a, off, n) : pairwiseSum64(a, off, n);
}

/** {@link pairwiseSum} in float64 (its own function: no rounding callback on the hot path). */
function pairwiseSum64(a: ArrayLike<number>, off: number, n: number): number {
  if (n < 8) {
    let res = 0;
    for (let i = 0; i < n; i++) res = res + a[off + i];
    return res;
  }
  if (n <= 128) {
    let s0 = a[off], s1 = a[off + 1], s2 = a[off + 2], s3 = a[off + 3], s4 = a[off + 4], s5 = a[off + 5], s6 = a[off + 6], s7 = a[off + 7];
    let i = 8;
    for (; i < n - (n % 8); i += 8) {
      const o = off + i;
      s0 = s0 + a[o]; s1 = s1 + a[o + 1]; s2 = s2 + a[o + 2]; s3 = s3 + a[o + 3];
      s4 = s4 + a[o + 4]; s5 = s5 + a[o + 5]; s6 = s6 + a[o + 6]; s7 = s7 + a[o + 7];
    }
    let res = ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
    for (; i < n; i++) res = res + a[off + i];
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return pairwiseSum64(a, off, n2) + pairwiseSum64(a, off + n2, n - n2);
}

/** {@link pairwiseSum} in float32 arithmetic (every sum rounded with `Math.fround`). */
function pairwiseSum32(a: ArrayLike<number>, off: number, n: number): number {
  const r = Math.fround;
  if (n < 8) {
    let res = 0;
    for (let i = 0; i < n; i++) res = r(res + a[off + i]);
    return res;
  }
  if (n <= 128) {
    let s0 = a[off], s1 = a[off + 1], s2 = a[off + 2], s3 = a[off + 3], s4 = a[off + 4], s5 = a[off + 5], s6 = a[off + 6], s7 = a[off + 7];
    let i = 8;
    for (; i < n - (n % 8); i += 8) {
      const o = off + i;
      s0 = r(s0 + a[o]); s1 = r(s1 + a[o + 1]); s2 = r(s2 + a[o + 2]); s3 = r(s3 + a[o + 3]);
      s4 = r(s4 + a[o + 4]); s5 = r(s5 + a[o + 5]); s6 = r(s6 + a[o + 6]); s7 = r(s7 + a[o + 7]);
    }
    let res = r(r(r(s0 + s1) + r(s2 + s3)) + r(r(s4 + s5) + r(s6 + s7)));
    for (; i < n; i++) res = r(res + a[off + i]);
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return r(pairwiseSum32(a, off, n2) + pairwiseSum32(a, off + n2, n - n2));
}

/**
 * NumPy's `add.reduce` over a contiguous array: the reduction runs over chunks of 8192
 * values (the iterator's buffer size), each summed pairwise, accumulated in order from 0.
 */
export function numpyReduceSum(a: ArrayLike<number>, f32: boolean): number {
  let s = 0;
  for (let off = 0; off < a.length; off += 8192) {
    const part = pairwiseSum(a, off, Math.min(8192, a.length - off), f32);
    s = f32 ? Math.fround(s + part) : s + part;
  }
  return s;
}

/** Sum of an image's values as NumPy's `ndarray.sum()` computes it for that dtype. */
function numpySum(data: NumericArray): number {
  if (data instanceof Float32Array) return numpyReduceSum(data, true);
  if (data instanceof Float64Array) return numpyReduceSum(data, false);
  let s = 0; // integer dtypes: exact integer sum
  for (let i = 0; i < data.length; i++) s += data[i];
  return s;
}

function checkVolume(v: Volume, what: string): Dim {
  const d = v.shape.length;
  if (d !== 2 && d !== 3) throw new ShapeMismatchError(`${what} must be 2D or 3D, got ${d} axes.`);
  const n = v.shape.reduce((a, b) => a * b, 1);
  if (v.data.length !== n) throw new ShapeMismatchError(`${what} has ${v.data.length} values but shape [${v.shape.join(', ')}] needs ${n}.`);
  return d as Dim;
}

/** Grid-coordinate centre of mass of a volume (scipy's `center_of_mass`). */
export function centerOfMass(v: Volume, what = 'image'): Float64Array {
  const d = checkVolume(v, what);
  const total = numpySum(v.data);
  if (!(total !== 0) || !Number.isFinite(total)) {
    throw new EmptyImageError(`${what} has total intensity ${total}, so it has no centre of mass; pass an image with non-zero (finite) values.`);
  }
  const n = v.data.length;
  const w = new Float64Array(n);
  const out = new Float64Array(d);
  const shape = v.shape;
  for (let axis = 0; axis < d; axis++) {
    let stride = 1;
    for (let k = axis + 1; k < d; k++) stride *= shape[k];
    const len = shape[axis];
    // w[i] = v[i]·(index of voxel i along the axis), the index counted up (= floor(i / stride) mod len)
    const data = v.data;
    let c = 0, run = 0;
    for (let i = 0; i < n; i++) {
      w[i] = data[i] * c;
      if (++run === stride) { run = 0; if (++c === len) c = 0; }
    }
    out[axis] = numpyReduceSum(w, false) / total;
  }
  return out;
}

/** The exact value of a finite double as `m · 2^e` (BigInt mantissa). */
function decompose(x: number): [bigint, number] {
  if (x === 0) return [0n, 0];
  const dv = new DataView(new ArrayBuffer(8));
  dv.setFloat64(0, x);
  const hi = dv.getUint32(0), lo = dv.getUint32(4);
  const sign = hi >>> 31 ? -1n : 1n;
  const bexp = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let e: number;
  if (bexp === 0) e = -1074;
  else { mant |= 1n << 52n; e = bexp - 1075; }
  return [sign * mant, e];
}

/** `a·b + c` rounded once (a fused multiply-add, as the BLAS kernels NumPy calls use), exactly. */
export function fusedMultiplyAdd(a: number, b: number, c: number): number {
  if (!Number.isFinite(a) || !Number.isFinite(b) || !Number.isFinite(c)) return a * b + c;
  const [ma, ea] = decompose(a), [mb, eb] = decompose(b), [mc, ec] = decompose(c);
  const mp = ma * mb, ep = ea + eb;
  if (mp === 0n) return a * b + c;
  const E = Math.min(ep, ec);
  const N = (mp << BigInt(ep - E)) + (mc << BigInt(ec - E));
  if (N === 0n) return 0;
  // Keep the top 62 bits of |N| plus a sticky bit, so Number() (round to nearest, ties to
  // even) rounds exactly as the infinitely precise value would; then scale by 2^E in exact steps.
  const neg = N < 0n;
  const abs = neg ? -N : N;
  const shift = Math.max(0, abs.toString(2).length - 62);
  let top = abs >> BigInt(shift);
  if (shift > 0 && (top << BigInt(shift)) !== abs) top |= 1n;
  let x = Number(top);
  let e = E + shift;
  while (e > 0) { const s = Math.min(e, 1000); x *= 2 ** s; e -= s; }
  while (e < 0) { const s = Math.max(e, -1000); x *= 2 ** s; e -= s; }
  return neg ? -x : x;
}

/**
 * World point `G · [c; 1]` summed as NumPy's `ndarray.dot` does here (OpenBLAS dgemv):
 * 2D rows `fma(g0, c0, g1·c1) + g2`, 3D rows `(g0·c0 + g2·c2) + (g1·c1 + g3)`, so the
 * centres equal DIPY's to the last bit.
 */
function worldPoint(g2w: Float64Array | null, c: ArrayLike<number>, d: Dim): Float64Array {
  const out = new Float64Array(d);
  if (!g2w) { for (let i = 0; i < d; i++) out[i] = c[i]; return out; }
  const m = d + 1;
  for (let i = 0; i < d; i++) {
    const r = i * m;
    out[i] = d === 2
      ? fusedMultiplyAdd(g2w[r], c[0], g2w[r + 1] * c[1]) + g2w[r + 2]
      : (g2w[r] * c[0] + g2w[r + 2] * c[2]) + (g2w[r + 1] * c[1] + g2w[r + 3]);
  }
  return out;
}

function translationMap(cs: Float64Array, cm: Float64Array, st: Volume, mv: Volume, d: Dim): AffineMap {
  const T = eye(d + 1);
  for (let i = 0; i < d; i++) T[i * (d + 1) + d] = cm[i] - cs[i];
  return new AffineMap(T, {
    domainShape: st.shape, domainGridToWorld: st.gridToWorld, codomainShape: mv.shape, codomainGridToWorld: mv.gridToWorld,
  });
}

function dims(st: Volume, mv: Volume): Dim {
  const d = checkVolume(st, 'static');
  if (checkVolume(mv, 'moving') !== d) throw new ShapeMismatchError(`static is ${d}D but moving is ${mv.shape.length}D; register images of the same dimension.`);
  return d;
}

/**
 * Translation aligning the centres of mass (world, mm) of `moving` and `static`.
 * @returns an {@link AffineMap} from static world to moving world, with both grids.
 * @throws EmptyImageError when an image has zero total intensity.
 */
export function transformCentersOfMass(st: Volume, mv: Volume): AffineMap {
  const d = dims(st, mv);
  const cs = worldPoint(st.gridToWorld, centerOfMass(st, 'static'), d);
  const cm = worldPoint(mv.gridToWorld, centerOfMass(mv, 'moving'), d);
  return translationMap(cs, cm, st, mv, d);
}

/** Translation aligning the geometric centres `G·[shape/2; 1]` (world, mm) of the two grids. */
export function transformGeometricCenters(st: Volume, mv: Volume): AffineMap {
  const d = dims(st, mv);
  const cs = worldPoint(st.gridToWorld, st.shape.map((s) => s * 0.5), d);
  const cm = worldPoint(mv.gridToWorld, mv.shape.map((s) => s * 0.5), d);
  return translationMap(cs, cm, st, mv, d);
}

/** Translation aligning the world positions of voxel 0 (the translation columns of the grid-to-world matrices). */
export function transformOrigins(st: Volume, mv: Volume): AffineMap {
  const d = dims(st, mv);
  const zero = new Float64Array(d);
  return translationMap(worldPoint(st.gridToWorld, zero, d), worldPoint(mv.gridToWorld, zero, d), st, mv, d);
}
