/**
 * Float64 kernels of the affine stage (DIPY 1.6 `dipy.align.imaffine` with
 * `vector_fields.transform_{2,3}d_affine`, `vector_fields.gradient`,
 * `vector_fields.sparse_gradient` and `parzenhist`): linear resampling through an affine,
 * the moving image's world-space gradient by central differences, the Parzen joint
 * histogram and the gradient of the joint histogram w.r.t. the transform parameters.
 *
 * Maths and frames.
 * - Linear sample of an image at grid point `q` (array-index order, C order): (bi/tri)linear
 *   interpolation of the `2^d` neighbours `floor(q) + {0,1}^d`, a missing neighbour counts 0;
 *   `q` with any `q_k ≤ −1`, `q_k ≥ n_k` or NaN gives 0. The sample is "inside" when all
 *   `2^d` neighbours exist.
 * - Gradient at world point `x` (mm): component `p` is `(I(x + h e_p) − I(x − h e_p))/s_p`,
 *   `h = s_p/2` (`s` the image's voxel sizes), each sample taken through the image's
 *   world-to-grid; 0 when a sample is not inside (DIPY then leaves the shifted coordinate
 *   shifted for the next components, which is reproduced).
 * - Parzen histogram with `B` bins, padding 2: intensity `v` has bin coordinate
 *   `u = v/δ − min'` (`min' = min/δ − 2`, or `u = 0` when `δ = 0`), bin `clamp(trunc(u), 2, B−3)`
 *   (NaN → 2). A sample pair adds 1 to the static marginal at row `r` and the cubic B-spline
 *   weights `β(c + o − u_m)`, `o ∈ {−2..2}`, to row `r`, columns `c + o` of the joint histogram.
 *   The joint pdf is divided by the number of samples (`byCount`) or by the sum of weights;
 *   the static marginal by the number of samples; the moving marginal is the column sum of
 *   the joint pdf. Nothing is normalised when the sum of weights is 0.
 * - Gradient of the joint pdf: each sample adds `−β'(c + o − u_m)·(J(x)ᵀ∇M)_k` to
 *   `∂P[r, c+o]/∂θ_k`, then everything is divided by `(number of samples)·δ_m`. The transforms
 *   of the affine stage have Jacobians affine in the point, given as `d + 1` blocks of `d×n`:
 *   `J(x) = J₀ + Σ_j x_j·J_{j+1}`, summed over the non-zero coefficients only (rows `a` of a
 *   parameter whose coefficients are all zero are skipped, so their `∇M` components are not read):
 *   the Jacobians of affine transforms are sparse.
 *
 * - `affineMIDense2d/3d` run the dense chain (resampling → pdf → gradient → joint-pdf gradient)
 *   in one pass over the static voxels, computing each voxel's terms with the functions above.
 *   The voxels (raster order) are cut into chunks of {@link AFFINE_MI_CHUNK}; each chunk
 *   accumulates its own histogram cells, static marginal, joint-pdf gradient, weight total and
 *   sample count from zero in raster order, and the chunks' sums are added in chunk order before
 *   the normalisation. So a grid of at most one chunk gives the bits of the chain, and any grid
 *   the same bits however the chunks are shared among threads (the WebAssembly backend's).
 *
 * Units: images in intensity units, gradients in intensity per mm, points in mm.
 * Everything in double, in raster (sample) order, as DIPY (which casts to float64 here).
 */
import type { Shape2D, Shape3D } from '../types.js';
import { cubicSpline, cubicSplineDerivative } from './mi.js';

/**
 * `out[i] = bilinear(image, M·[i; 1])` for every voxel `i` of `outShape` (`M` maps output
 * grid indices to image grid indices, 3×3 row-major); 0 outside (see the module documentation).
 */
export function resampleAffineLinear2d(out: Float64Array, outShape: Shape2D, image: Float64Array, imageShape: Shape2D, M: Float64Array): void {
  const [nr, nc] = imageShape, [or, oc] = outShape;
  const m0 = M[0], m1 = M[1], m2 = M[2], m3 = M[3], m4 = M[4], m5 = M[5];
  let p = 0;
  for (let i = 0; i < or; i++) {
    for (let j = 0; j < oc; j++, p++) {
      const di = m0 * i + m1 * j + m2;
      const dj = m3 * i + m4 * j + m5;
      out[p] = bilinearAt(image, nr, nc, di, dj);
    }
  }
}

/** 3D version of {@link resampleAffineLinear2d} (`M` 4×4 row-major, trilinear). */
export function resampleAffineLinear3d(out: Float64Array, outShape: Shape3D, image: Float64Array, imageShape: Shape3D, M: Float64Array): void {
  const [ns, nr, nc] = imageShape, [os, or, oc] = outShape;
  let p = 0;
  for (let k = 0; k < os; k++) {
    for (let i = 0; i < or; i++) {
      for (let j = 0; j < oc; j++, p++) {
        const dk = M[0] * k + M[1] * i + M[2] * j + M[3];
        const di = M[4] * k + M[5] * i + M[6] * j + M[7];
        const dj = M[8] * k + M[9] * i + M[10] * j + M[11];
        out[p] = trilinearAt(image, ns, nr, nc, dk, di, dj);
      }
    }
  }
}

/** Inside flag of the last {@link bilinearAt}/{@link trilinearAt} call (module-private scratch of one call chain). */
let inside = 0;

function bilinearAt(img: Float64Array, nr: number, nc: number, di: number, dj: number): number {
  if (!(di > -1 && dj > -1 && di < nr && dj < nc)) { inside = 0; return 0; }
  let ii = Math.floor(di), jj = Math.floor(dj);
  const ca = di - ii, cb = dj - jj, a = 1 - ca, b = 1 - cb;
  let count = 0, out = 0;
  if (ii >= 0 && jj >= 0) { out = a * b * img[ii * nc + jj]; count++; }
  jj++;
  if (jj < nc && ii >= 0) { out += a * cb * img[ii * nc + jj]; count++; }
  ii++;
  if (jj < nc && ii < nr) { out += ca * cb * img[ii * nc + jj]; count++; }
  jj--;
  if (jj >= 0 && ii < nr) { out += ca * b * img[ii * nc + jj]; count++; }
  inside = count === 4 ? 1 : 0;
  return out;
}

function trilinearAt(vol: Float64Array, ns: number, nr: number, nc: number, dk: number, di: number, dj: number): number {
  if (!(dk > -1 && di > -1 && dj > -1 && dk < ns && di < nr && dj < nc)) { inside = 0; return 0; }
  let kk = Math.floor(dk), ii = Math.floor(di), jj = Math.floor(dj);
  const cg = dk - kk, ca = di - ii, cb = dj - jj, a = 1 - ca, b = 1 - cb, g = 1 - cg;
  const sl = nr * nc;
  let count = 0, out = 0;
  if (ii >= 0 && jj >= 0 && kk >= 0) { out = a * b * g * vol[kk * sl + ii * nc + jj]; count++; }
  jj++;
  if (ii >= 0 && jj < nc && kk >= 0) { out += a * cb * g * vol[kk * sl + ii * nc + jj]; count++; }
  ii++;
  if (ii < nr && jj < nc && kk >= 0) { out += ca * cb * g * vol[kk * sl + ii * nc + jj]; count++; }
  jj--;
  if (ii < nr && jj >= 0 && kk >= 0) { out += ca * b * g * vol[kk * sl + ii * nc + jj]; count++; }
  kk++;
  if (kk < ns) {
    ii--;
    if (ii >= 0 && jj >= 0) { out += a * b * cg * vol[kk * sl + ii * nc + jj]; count++; }
    jj++;
    if (ii >= 0 && jj < nc) { out += a * cb * cg * vol[kk * sl + ii * nc + jj]; count++; }
    ii++;
    if (ii < nr && jj < nc) { out += ca * cb * cg * vol[kk * sl + ii * nc + jj]; count++; }
    jj--;
    if (ii < nr && jj >= 0) { out += ca * b * cg * vol[kk * sl + ii * nc + jj]; count++; }
  }
  inside = count === 8 ? 1 : 0;
  return out;
}

/** Central differences of a 2D image at world point (x0, x1) into out[o], out[o+1]. */
function diffs2d(img: Float64Array, nr: number, nc: number, W: Float64Array, s0: number, s1: number,
  x0: number, x1: number, out: Float64Array, o: number): void {
  // component 0
  const h0 = 0.5 * s0;
  let y0 = x0 - h0, y1 = x1;
  const lo0 = bilinearAt(img, nr, nc, W[0] * y0 + W[1] * y1 + W[2], W[3] * y0 + W[4] * y1 + W[5]);
  if (inside === 0) out[o] = 0;
  else {
    y0 = x0 + h0;
    const hi0 = bilinearAt(img, nr, nc, W[0] * y0 + W[1] * y1 + W[2], W[3] * y0 + W[4] * y1 + W[5]);
    if (inside === 0) out[o] = 0;
    else { out[o] = (hi0 - lo0) / s0; y0 = x0; }
  }
  // component 1 (y0 stays shifted when component 0 had a sample outside, as DIPY)
  const h1 = 0.5 * s1;
  y1 = x1 - h1;
  const lo1 = bilinearAt(img, nr, nc, W[0] * y0 + W[1] * y1 + W[2], W[3] * y0 + W[4] * y1 + W[5]);
  if (inside === 0) { out[o + 1] = 0; return; }
  y1 = x1 + h1;
  const hi1 = bilinearAt(img, nr, nc, W[0] * y0 + W[1] * y1 + W[2], W[3] * y0 + W[4] * y1 + W[5]);
  out[o + 1] = inside === 0 ? 0 : (hi1 - lo1) / s1;
}

/** Central differences of a 3D image at world point `x` (scratch `y`), into out[o..o+2]. */
function diffs3d(img: Float64Array, ns: number, nr: number, nc: number, W: Float64Array, sp: ArrayLike<number>,
  x: Float64Array, y: Float64Array, out: Float64Array, o: number): void {
  y[0] = x[0]; y[1] = x[1]; y[2] = x[2];
  for (let p = 0; p < 3; p++) {
    const h = 0.5 * sp[p];
    y[p] = x[p] - h;
    const lo = trilinearAt(img, ns, nr, nc,
      W[0] * y[0] + W[1] * y[1] + W[2] * y[2] + W[3], W[4] * y[0] + W[5] * y[1] + W[6] * y[2] + W[7],
      W[8] * y[0] + W[9] * y[1] + W[10] * y[2] + W[11]);
    if (inside === 0) { out[o + p] = 0; continue; }
    y[p] = x[p] + h;
    const hi = trilinearAt(img, ns, nr, nc,
      W[0] * y[0] + W[1] * y[1] + W[2] * y[2] + W[3], W[4] * y[0] + W[5] * y[1] + W[6] * y[2] + W[7],
      W[8] * y[0] + W[9] * y[1] + W[10] * y[2] + W[11]);
    if (inside === 0) { out[o + p] = 0; continue; }
    out[o + p] = (hi - lo) / sp[p];
    y[p] = x[p];
  }
}

/**
 * DIPY's `vector_fields.gradient` in float64: the world-space gradient (intensity per mm) of
 * `image` at every voxel of a sampling grid of `outShape` placed in world space by
 * `samplingGridToWorld` (3×3). `out` has `prod(outShape)·2` values, component `p` along world
 * axis `p`; `imageWorldToGrid` (3×3) maps mm to the image's grid, `spacing` its voxel sizes (mm).
 */
export function affineGradient2d(out: Float64Array, outShape: Shape2D, image: Float64Array, imageShape: Shape2D,
  imageWorldToGrid: Float64Array, spacing: ArrayLike<number>, samplingGridToWorld: Float64Array): void {
  const [nr, nc] = imageShape, [or, oc] = outShape, A = samplingGridToWorld;
  const s0 = spacing[0], s1 = spacing[1];
  let p = 0;
  for (let i = 0; i < or; i++) {
    for (let j = 0; j < oc; j++, p++) {
      const x0 = A[0] * i + A[1] * j + A[2];
      const x1 = A[3] * i + A[4] * j + A[5];
      diffs2d(image, nr, nc, imageWorldToGrid, s0, s1, x0, x1, out, p * 2);
    }
  }
}

/** 3D version of {@link affineGradient2d} (4×4 affines, `prod(outShape)·3` values). */
export function affineGradient3d(out: Float64Array, outShape: Shape3D, image: Float64Array, imageShape: Shape3D,
  imageWorldToGrid: Float64Array, spacing: ArrayLike<number>, samplingGridToWorld: Float64Array): void {
  const [ns, nr, nc] = imageShape, [os, or, oc] = outShape, A = samplingGridToWorld;
  const x = new Float64Array(3), y = new Float64Array(3);
  let p = 0;
  for (let k = 0; k < os; k++) {
    for (let i = 0; i < or; i++) {
      for (let j = 0; j < oc; j++, p++) {
        x[0] = A[0] * k + A[1] * i + A[2] * j + A[3];
        x[1] = A[4] * k + A[5] * i + A[6] * j + A[7];
        x[2] = A[8] * k + A[9] * i + A[10] * j + A[11];
        diffs3d(image, ns, nr, nc, imageWorldToGrid, spacing, x, y, out, p * 3);
      }
    }
  }
}

/**
 * DIPY's `vector_fields.sparse_gradient` in float64: {@link affineGradient2d} / `3d` at world
 * points `points` (`m·d` values, mm) instead of a grid; `out` has `m·d` values. `d` is
 * `imageShape.length`.
 */
export function affineGradientSparse(out: Float64Array, points: Float64Array, image: Float64Array, imageShape: Shape2D | Shape3D,
  imageWorldToGrid: Float64Array, spacing: ArrayLike<number>): void {
  const d = imageShape.length, m = Math.floor(points.length / d);
  if (d === 2) {
    const [nr, nc] = imageShape;
    for (let i = 0; i < m; i++) diffs2d(image, nr, nc, imageWorldToGrid, spacing[0], spacing[1], points[2 * i], points[2 * i + 1], out, 2 * i);
    return;
  }
  const [ns, nr, nc] = imageShape as Shape3D;
  const x = new Float64Array(3), y = new Float64Array(3);
  for (let i = 0; i < m; i++) {
    x[0] = points[3 * i]; x[1] = points[3 * i + 1]; x[2] = points[3 * i + 2];
    diffs3d(image, ns, nr, nc, imageWorldToGrid, spacing, x, y, out, 3 * i);
  }
}

/**
 * The non-zero structure of a Jacobian given as coefficients (see {@link parzenJointGradient}):
 * for each parameter `k`, at `k·(d+1)` the number of rows `a` with a non-zero coefficient, then one
 * entry per such row, `a | (mask << 4)`, bit `j` of `mask` set when `J_{j+1}[a][k] ≠ 0`.
 * (NaN counts as non-zero.)
 */
function jacobianTerms(jacobian: Float64Array, d: number, n: number): Int32Array {
  const dn = d * n, out = new Int32Array(n * (d + 1));
  for (let k = 0; k < n; k++) {
    let cnt = 0;
    for (let a = 0; a < d; a++) {
      let mask = 0;
      for (let j = 0; j < d; j++) if (jacobian[(j + 1) * dn + a * n + k] !== 0) mask |= 1 << j;
      if (mask !== 0 || jacobian[a * n + k] !== 0) { cnt++; out[k * (d + 1) + cnt] = a | (mask << 4); }
    }
    out[k * (d + 1)] = cnt;
  }
  return out;
}

/** Bin index `clamp(trunc(u), 2, nbins − 3)`; NaN goes to bin 2. */
function binOf(u: number, nbins: number): number {
  const b = Math.trunc(u);
  if (!(b >= 2)) return 2;
  if (b > nbins - 3) return nbins - 3;
  return b;
}

/**
 * Adds one sample to the Parzen histogram: 1 to `smarginal[r]` and the cubic spline
 * weights `β(c + o − cn)`, `o = −2…2`, to joint row `r` (bins `c + o`). Returns
 * `total` plus the five weights, added one by one in that order (the sum's bits depend on it).
 */
function addParzenSample(joint: Float64Array, smarginal: Float64Array, r: number, c: number, cn: number, B: number, total: number): number {
  let arg = (c - 2) - cn;
  smarginal[r] += 1;
  const row = r * B;
  for (let o = -2; o <= 2; o++) {
    const v = cubicSpline(arg);
    joint[row + c + o] += v;
    total += v;
    arg += 1.0;
  }
  return total;
}

/**
 * Normalises a Parzen joint histogram in place (`B×B`, row = static bin, C order): the joint pdf
 * divided by `valid` (the number of samples, `byCount`) or by `total` (the sum of weights), the static
 * marginal (length `B`) by `valid`, the moving marginal (length `B`) set to the joint pdf's column sums.
 * Nothing is touched when `total` is 0.
 */
function normalizeParzen(joint: Float64Array, smarginal: Float64Array, mmarginal: Float64Array, B: number,
  total: number, valid: number, byCount: boolean): void {
  if (total > 0) {
    const norm = byCount ? valid : total;
    for (let i = 0; i < B * B; i++) joint[i] /= norm;
    for (let i = 0; i < B; i++) smarginal[i] /= valid;
    for (let j = 0; j < B; j++) {
      let s = 0;
      for (let i = 0; i < B; i++) s += joint[i * B + j];
      mmarginal[j] = s;
    }
  }
}

/**
 * Parzen joint histogram (see the module documentation). `joint` (`nbins²`, row = static bin),
 * `smarginal`, `mmarginal` (`nbins`) are overwritten. Sample `i` is used when both masks (int32,
 * non-zero = used; null = all) are non-zero there. `smin`/`mmin` are the bin offsets `min/δ − 2`
 * and `sdelta`/`mdelta` the bin widths of each image (intensity units).
 */
export function parzenJointPdf(joint: Float64Array, smarginal: Float64Array, mmarginal: Float64Array,
  staticValues: Float64Array, movingValues: Float64Array, staticMask: Int32Array | null, movingMask: Int32Array | null,
  nbins: number, smin: number, sdelta: number, mmin: number, mdelta: number, byCount: boolean): void {
  const B = nbins, n = staticValues.length;
  joint.fill(0);
  smarginal.fill(0);
  mmarginal.fill(0);
  let total = 0, valid = 0;
  for (let i = 0; i < n; i++) {
    if (staticMask !== null && staticMask[i] === 0) continue;
    if (movingMask !== null && movingMask[i] === 0) continue;
    valid++;
    const r = binOf(sdelta === 0 ? 0 : staticValues[i] / sdelta - smin, B);
    const cn = mdelta === 0 ? 0 : movingValues[i] / mdelta - mmin;
    const c = binOf(cn, B);
    total = addParzenSample(joint, smarginal, r, c, cn, B, total);
  }
  normalizeParzen(joint, smarginal, mmarginal, B, total, valid, byCount);
}

/**
 * Gradient of the joint pdf w.r.t. the `n` transform parameters (see the module documentation).
 * `grad` (`nbins²·n`, index `(r·nbins + c)·n + k`) is overwritten. `movingGradient` and `points`
 * hold `d` values per sample (intensity per mm; mm, the pre-aligned world point where the
 * Jacobian is taken); `jacobian` holds the `(d+1)·d·n` coefficients `J₀, J₁ … J_d` (each `d×n`
 * row-major) with `J(x) = J₀ + Σ_j x_j·J_{j+1}`. Masks and bins as {@link parzenJointPdf}.
 */
export function parzenJointGradient(grad: Float64Array, staticValues: Float64Array, movingValues: Float64Array,
  staticMask: Int32Array | null, movingMask: Int32Array | null, movingGradient: Float64Array, points: Float64Array,
  jacobian: Float64Array, dim: number, nbins: number, smin: number, sdelta: number, mmin: number, mdelta: number): void {
  const B = nbins, d = dim, ns = staticValues.length;
  const n = Math.floor(jacobian.length / ((d + 1) * d));
  const dn = d * n;
  grad.fill(0);
  const prod = new Float64Array(n);
  const terms = jacobianTerms(jacobian, d, n);
  let valid = 0;
  for (let i = 0; i < ns; i++) {
    if (staticMask !== null && staticMask[i] === 0) continue;
    if (movingMask !== null && movingMask[i] === 0) continue;
    valid++;
    const g = i * d;
    for (let k = 0; k < n; k++) {
      const base = k * (d + 1), cnt = terms[base];
      let s = 0;
      for (let t = 1; t <= cnt; t++) {
        const e = terms[base + t], a = e & 15, mask = e >> 4;
        let jak = jacobian[a * n + k];
        for (let j = 0; j < d; j++) if ((mask >> j) & 1) jak += points[g + j] * jacobian[(j + 1) * dn + a * n + k];
        s += jak * movingGradient[g + a];
      }
      prod[k] = s;
    }
    const r = binOf(sdelta === 0 ? 0 : staticValues[i] / sdelta - smin, B);
    const cn = mdelta === 0 ? 0 : movingValues[i] / mdelta - mmin;
    const c = binOf(cn, B);
    let arg = (c - 2) - cn;
    for (let o = -2; o <= 2; o++) {
      const v = cubicSplineDerivative(arg);
      const base = (r * B + c + o) * n;
      for (let k = 0; k < n; k++) grad[base + k] -= v * prod[k];
      arg += 1.0;
    }
  }
  const norm = valid * mdelta;
  if (norm > 0) for (let i = 0; i < grad.length; i++) grad[i] /= norm;
}

/**
 * One dense evaluation of the affine-stage MI terms in a single pass over the static grid,
 * the chain {@link resampleAffineLinear2d} → {@link parzenJointPdf} →
 * {@link affineGradient2d} → {@link parzenJointGradient} (with the points `pre·[i; 1]`):
 * per static voxel `i` (raster order), the moving value `bilinear(moving, gridToMovingGrid·[i; 1])`
 * is added to the joint pdf; when `jointGrad` is given, the moving gradient at world point
 * `gridToWorld·[i; 1]` (central differences through `movingWorldToGrid`, `movingSpacing` mm)
 * times the Jacobian at the pre-aligned point `pre·[i; 1]` is added to the joint-pdf gradient.
 * The sums are taken per chunk of {@link AFFINE_MI_CHUNK} voxels (raster order) and the chunks'
 * sums added in chunk order: the bits of the chain for grids of at most one chunk, and the same
 * bits on every backend and thread count for any grid.
 * `staticMask` (int32, non-zero = used; null = all) selects the voxels; there is no moving mask.
 * Outputs as {@link parzenJointPdf} (`joint`, `smarginal`, `mmarginal`) and
 * {@link parzenJointGradient} (`jointGrad`, `nbins²·n`, n = number of parameters of `jacobian`).
 * All matrices 3×3 row-major; bins as {@link parzenJointPdf}.
 */
export function affineMIDense2d(joint: Float64Array, smarginal: Float64Array, mmarginal: Float64Array, jointGrad: Float64Array | null,
  staticValues: Float64Array, staticMask: Int32Array | null, shape: Shape2D, moving: Float64Array, movingShape: Shape2D,
  gridToMovingGrid: Float64Array, gridToWorld: Float64Array, movingWorldToGrid: Float64Array, movingSpacing: ArrayLike<number>,
  pre: Float64Array, jacobian: Float64Array, nbins: number, smin: number, sdelta: number, mmin: number, mdelta: number,
  byCount: boolean): void {
  denseMI(2, joint, smarginal, mmarginal, jointGrad, staticValues, staticMask, shape, moving, movingShape, gridToMovingGrid,
    gridToWorld, movingWorldToGrid, movingSpacing, pre, jacobian, nbins, smin, sdelta, mmin, mdelta, byCount);
}

/** 3D version of {@link affineMIDense2d} (4×4 matrices, trilinear). */
export function affineMIDense3d(joint: Float64Array, smarginal: Float64Array, mmarginal: Float64Array, jointGrad: Float64Array | null,
  staticValues: Float64Array, staticMask: Int32Array | null, shape: Shape3D, moving: Float64Array, movingShape: Shape3D,
  gridToMovingGrid: Float64Array, gridToWorld: Float64Array, movingWorldToGrid: Float64Array, movingSpacing: ArrayLike<number>,
  pre: Float64Array, jacobian: Float64Array, nbins: number, smin: number, sdelta: number, mmin: number, mdelta: number,
  byCount: boolean): void {
  denseMI(3, joint, smarginal, mmarginal, jointGrad, staticValues, staticMask, shape, moving, movingShape, gridToMovingGrid,
    gridToWorld, movingWorldToGrid, movingSpacing, pre, jacobian, nbins, smin, sdelta, mmin, mdelta, byCount);
}

/**
 * Voxels per chunk of `affineMIDense2d/3d` (see the module documentation): a fixed count, independent
 * of the threads, so that the results do not depend on them. 4096 voxels: large enough that adding a
 * chunk's sums (`nbins²·(n + 1)` values) costs a few percent of computing it, small enough that the
 * finest levels of the affine stage (64×64×10, 128×128) split into 4–10 chunks.
 */
export const AFFINE_MI_CHUNK = 4096;

function denseMI(d: 2 | 3, joint: Float64Array, smarginal: Float64Array, mmarginal: Float64Array, jointGrad: Float64Array | null,
  sv: Float64Array, smask: Int32Array | null, shape: readonly number[], moving: Float64Array, mShape: readonly number[],
  M: Float64Array, A: Float64Array, W: Float64Array, sp: ArrayLike<number>, P: Float64Array, jacobian: Float64Array,
  nbins: number, smin: number, sdelta: number, mmin: number, mdelta: number, byCount: boolean): void {
  const B = nbins;
  const n = jointGrad ? Math.floor(jacobian.length / ((d + 1) * d)) : 0;
  const terms = jointGrad ? jacobianTerms(jacobian, d, n) : null;
  const ns = d === 3 ? shape[0] : 1, nr = shape[d - 2], nc = shape[d - 1];
  const nv = ns * nr * nc;
  const chunks = Math.max(1, Math.ceil(nv / AFFINE_MI_CHUNK));
  // chunk 0 straight into the outputs; each next chunk into its own sums, then added
  const pj = chunks > 1 ? new Float64Array(B * B) : joint;
  const ps = chunks > 1 ? new Float64Array(B) : smarginal;
  const pg = chunks > 1 && jointGrad ? new Float64Array(jointGrad.length) : jointGrad;
  let total = 0, valid = 0;
  for (let c = 0; c < chunks; c++) {
    const tj = c === 0 ? joint : pj, ts = c === 0 ? smarginal : ps, tg = c === 0 ? jointGrad : pg;
    const [t, v] = denseChunk(d, c * AFFINE_MI_CHUNK, Math.min(nv, (c + 1) * AFFINE_MI_CHUNK), tj, ts, tg, sv, smask, shape, moving,
      mShape, M, A, W, sp, P, jacobian, terms, n, B, smin, sdelta, mmin, mdelta);
    if (c === 0) {
      total = t;
      valid = v;
    } else {
      for (let q = 0; q < B * B; q++) joint[q] += pj[q];
      for (let q = 0; q < B; q++) smarginal[q] += ps[q];
      if (jointGrad) for (let q = 0; q < jointGrad.length; q++) jointGrad[q] += pg![q];
      total += t;
      valid += v;
    }
  }
  mmarginal.fill(0);
  normalizeParzen(joint, smarginal, mmarginal, B, total, valid, byCount);
  if (jointGrad) {
    const norm = valid * mdelta;
    if (norm > 0) for (let q = 0; q < jointGrad.length; q++) jointGrad[q] /= norm;
  }
}

/**
 * Voxels `[lo, hi)` (raster order) of a dense evaluation, accumulated from zero into `joint`,
 * `smarginal` and `jointGrad` (overwritten); returns the weight total and the sample count.
 */
function denseChunk(d: 2 | 3, lo: number, hi: number, joint: Float64Array, smarginal: Float64Array, jointGrad: Float64Array | null,
  sv: Float64Array, smask: Int32Array | null, shape: readonly number[], moving: Float64Array, mShape: readonly number[],
  M: Float64Array, A: Float64Array, W: Float64Array, sp: ArrayLike<number>, P: Float64Array, jacobian: Float64Array,
  terms: Int32Array | null, n: number, B: number, smin: number, sdelta: number, mmin: number, mdelta: number): [number, number] {
  const dn = d * n;
  joint.fill(0);
  smarginal.fill(0);
  if (jointGrad) jointGrad.fill(0);
  const prod = new Float64Array(n);
  const x = new Float64Array(3), y = new Float64Array(3), g = new Float64Array(3), pt = new Float64Array(3);
  const nr = shape[d - 2], nc = shape[d - 1], sl = nr * nc;
  const ms = d === 3 ? mShape[0] : 1, mr = mShape[d - 2], mc = mShape[d - 1];
  const s0 = sp[0], s1 = sp[1];
  let total = 0, valid = 0;
  let k = Math.floor(lo / sl), i = Math.floor((lo - k * sl) / nc), j = lo - k * sl - i * nc;
  for (let p = lo; p < hi; p++) {
    if (!(smask !== null && smask[p] === 0)) {
      valid++;
      // the moving value (resampleAffineLinear)
      let mv: number;
      if (d === 2) mv = bilinearAt(moving, mr, mc, M[0] * i + M[1] * j + M[2], M[3] * i + M[4] * j + M[5]);
      else {
        mv = trilinearAt(moving, ms, mr, mc, M[0] * k + M[1] * i + M[2] * j + M[3], M[4] * k + M[5] * i + M[6] * j + M[7],
          M[8] * k + M[9] * i + M[10] * j + M[11]);
      }
      // the joint pdf (parzenJointPdf)
      const r = binOf(sdelta === 0 ? 0 : sv[p] / sdelta - smin, B);
      const cn = mdelta === 0 ? 0 : mv / mdelta - mmin;
      const c = binOf(cn, B);
      total = addParzenSample(joint, smarginal, r, c, cn, B, total);
      if (jointGrad !== null) {
        // the moving gradient (affineGradient) and the Jacobian point (gridPoints of pre)
        if (d === 2) {
          diffs2d(moving, mr, mc, W, s0, s1, A[0] * i + A[1] * j + A[2], A[3] * i + A[4] * j + A[5], g, 0);
          pt[0] = P[0] * i + P[1] * j + P[2];
          pt[1] = P[3] * i + P[4] * j + P[5];
        } else {
          x[0] = A[0] * k + A[1] * i + A[2] * j + A[3];
          x[1] = A[4] * k + A[5] * i + A[6] * j + A[7];
          x[2] = A[8] * k + A[9] * i + A[10] * j + A[11];
          diffs3d(moving, ms, mr, mc, W, sp, x, y, g, 0);
          pt[0] = P[0] * k + P[1] * i + P[2] * j + P[3];
          pt[1] = P[4] * k + P[5] * i + P[6] * j + P[7];
          pt[2] = P[8] * k + P[9] * i + P[10] * j + P[11];
        }
        // the joint-pdf gradient (parzenJointGradient)
        for (let q = 0; q < n; q++) {
          const base = q * (d + 1), cnt = terms![base];
          let s = 0;
          for (let t = 1; t <= cnt; t++) {
            const e = terms![base + t], a = e & 15, mask = e >> 4;
            let jak = jacobian[a * n + q];
            for (let jj = 0; jj < d; jj++) if ((mask >> jj) & 1) jak += pt[jj] * jacobian[(jj + 1) * dn + a * n + q];
            s += jak * g[a];
          }
          prod[q] = s;
        }
        let arg = (c - 2) - cn;
        for (let o = -2; o <= 2; o++) {
          const v = cubicSplineDerivative(arg);
          const base = (r * B + c + o) * n;
          for (let q = 0; q < n; q++) jointGrad[base + q] -= v * prod[q];
          arg += 1.0;
        }
      }
    }
    if (++j === nc) { j = 0; if (++i === nr) { i = 0; k++; } }
  }
  return [total, valid];
}
