/**
 * Float64 resampling for the affine stage (DIPY 1.6 `vector_fields.transform_{2,3}d_affine(_nn)`,
 * `interpolate_scalar_{2,3}d`); the image gradients (`gradient`, `sparse_gradient`) are core's
 * `affineGradient*` kernels.
 *
 * Frames: images are indexed in grid coordinates (array-index order, C order, last index
 * fastest). A point `q` in grid coordinates is sampled
 * - linearly: (bi/tri)linear interpolation of the `2^d` neighbours `floor(q) + {0,1}^d`;
 *   neighbours outside the grid contribute 0, and a point with `q_k ≤ −1` or `q_k ≥ n_k` on any
 *   axis is 0. The sample is "inside" only when all `2^d` neighbours exist;
 * - nearest: the closest voxel (ties go down), 0 when `q` is outside `[0, n_k − 1]`.
 *
 * Everything is computed in float64 (DIPY casts its images to float64 for the affine stage),
 * so these are separate from core's float32 SyN kernels.
 */
import type { NumericArray } from '@diffeo/core';

/** Result flag of the last call to {@link bilinear} / {@link trilinear}: 1 when all neighbours were inside. */
let lastInside = 0;

/** DIPY's `_interpolate_scalar_2d`: bilinear sample of `img` (`nr×nc`) at grid point `(di, dj)`; sets the inside flag. */
export function bilinear(img: ArrayLike<number>, nr: number, nc: number, di: number, dj: number): number {
  if (di <= -1 || dj <= -1 || di >= nr || dj >= nc) { lastInside = 0; return 0; }
  let ii = Math.floor(di), jj = Math.floor(dj);
  const ca = di - ii, cb = dj - jj, a = 1 - ca, b = 1 - cb;
  let inside = 0, out = 0;
  if (ii >= 0 && jj >= 0) { out = a * b * img[ii * nc + jj]; inside++; }
  jj++;
  if (jj < nc && ii >= 0) { out += a * cb * img[ii * nc + jj]; inside++; }
  ii++;
  if (jj < nc && ii < nr) { out += ca * cb * img[ii * nc + jj]; inside++; }
  jj--;
  if (jj >= 0 && ii < nr) { out += ca * b * img[ii * nc + jj]; inside++; }
  lastInside = inside === 4 ? 1 : 0;
  return out;
}

/** DIPY's `_interpolate_scalar_3d`: trilinear sample of `vol` (`ns×nr×nc`) at `(dk, di, dj)`; sets the inside flag. */
export function trilinear(vol: ArrayLike<number>, ns: number, nr: number, nc: number, dk: number, di: number, dj: number): number {
  if (!(-1 < dk && dk < ns && -1 < di && di < nr && -1 < dj && dj < nc)) { lastInside = 0; return 0; }
  let kk = Math.floor(dk), ii = Math.floor(di), jj = Math.floor(dj);
  const cg = dk - kk, ca = di - ii, cb = dj - jj, a = 1 - ca, b = 1 - cb, g = 1 - cg;
  const sl = nr * nc;
  let inside = 0, out = 0;
  if (ii >= 0 && jj >= 0 && kk >= 0) { out = a * b * g * vol[kk * sl + ii * nc + jj]; inside++; }
  jj++;
  if (ii >= 0 && jj < nc && kk >= 0) { out += a * cb * g * vol[kk * sl + ii * nc + jj]; inside++; }
  ii++;
  if (ii < nr && jj < nc && kk >= 0) { out += ca * cb * g * vol[kk * sl + ii * nc + jj]; inside++; }
  jj--;
  if (ii < nr && jj >= 0 && kk >= 0) { out += ca * b * g * vol[kk * sl + ii * nc + jj]; inside++; }
  kk++;
  if (kk < ns) {
    ii--;
    if (ii >= 0 && jj >= 0) { out += a * b * cg * vol[kk * sl + ii * nc + jj]; inside++; }
    jj++;
    if (ii >= 0 && jj < nc) { out += a * cb * cg * vol[kk * sl + ii * nc + jj]; inside++; }
    ii++;
    if (ii < nr && jj < nc) { out += ca * cb * cg * vol[kk * sl + ii * nc + jj]; inside++; }
    jj--;
    if (ii < nr && jj >= 0) { out += ca * b * cg * vol[kk * sl + ii * nc + jj]; inside++; }
  }
  lastInside = inside === 8 ? 1 : 0;
  return out;
}

/** Inside flag (1/0) of the last {@link bilinear} or {@link trilinear} call. */
export function wasInside(): number {
  return lastInside;
}

/** Nearest-neighbour index into an axis of length n, or −1 when outside (DIPY's `_interpolate_scalar_nn_*d`). */
function nearestIndex(d: number, n: number): number {
  if (!(d >= 0 && d <= n - 1)) return -1;
  let i = Math.floor(d);
  const c = d - i;
  if (1 - c < c) i++;
  return i < n ? i : -1;
}

/** A new array of the same type as `like`, of length n. */
function sameType<T extends NumericArray>(like: T, n: number): T {
  return new (like.constructor as new (n: number) => T)(n);
}

/**
 * Resamples `image` (grid shape `shape`) on a grid of `outShape`: `out[i] = image(M·[i; 1])`
 * where `M` maps output grid indices to image grid indices (`(d+1)²` row-major).
 * Linear → float64; nearest → the image's own type.
 */
export function resampleAffine<T extends NumericArray>(
  image: T, shape: readonly number[], outShape: readonly number[], M: ArrayLike<number>, interpolation: 'linear' | 'nearest',
): Float64Array | T {
  const n = outShape.reduce((a, b) => a * b, 1);
  if (shape.length === 2) {
    const [nr, nc] = shape, [or, oc] = outShape;
    if (interpolation === 'linear') {
      const out = new Float64Array(n);
      for (let i = 0; i < or; i++) {
        for (let j = 0; j < oc; j++) {
          const di = M[0] * i + M[1] * j + M[2];
          const dj = M[3] * i + M[4] * j + M[5];
          out[i * oc + j] = bilinear(image, nr, nc, di, dj);
        }
      }
      return out;
    }
    const out = sameType(image, n);
    for (let i = 0; i < or; i++) {
      for (let j = 0; j < oc; j++) {
        const ii = nearestIndex(M[0] * i + M[1] * j + M[2], nr);
        const jj = nearestIndex(M[3] * i + M[4] * j + M[5], nc);
        if (ii >= 0 && jj >= 0) out[i * oc + j] = image[ii * nc + jj];
      }
    }
    return out;
  }
  const [ns, nr, nc] = shape, [os, or, oc] = outShape;
  const out = interpolation === 'linear' ? new Float64Array(n) : sameType(image, n);
  let p = 0;
  for (let k = 0; k < os; k++) {
    for (let i = 0; i < or; i++) {
      for (let j = 0; j < oc; j++, p++) {
        const dk = M[0] * k + M[1] * i + M[2] * j + M[3];
        const di = M[4] * k + M[5] * i + M[6] * j + M[7];
        const dj = M[8] * k + M[9] * i + M[10] * j + M[11];
        if (interpolation === 'linear') {
          out[p] = trilinear(image, ns, nr, nc, dk, di, dj);
        } else {
          const kk = nearestIndex(dk, ns), ii = nearestIndex(di, nr), jj = nearestIndex(dj, nc);
          if (kk >= 0 && ii >= 0 && jj >= 0) out[p] = image[kk * nr * nc + ii * nc + jj];
        }
      }
    }
  }
  return out;
}

/**
 * Samples `image` linearly at points given in its grid coordinates (`points[i*d + k]`).
 * @returns the values (float64, 0 outside).
 */
export function samplePoints(image: ArrayLike<number>, shape: readonly number[], points: Float64Array): Float64Array {
  const d = shape.length, m = points.length / d;
  const out = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    out[i] = d === 2
      ? bilinear(image, shape[0], shape[1], points[2 * i], points[2 * i + 1])
      : trilinear(image, shape[0], shape[1], shape[2], points[3 * i], points[3 * i + 1], points[3 * i + 2]);
  }
  return out;
}
