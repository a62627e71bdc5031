/**
 * Quality control of a deformation: the Jacobian determinant, folding and the inverse
 * consistency of a field pair.
 *
 * - {@link jacobianDeterminant}: for a displacement field `u` (world units) on a grid with
 *   grid-to-world `M·i + t`, `det J(x)` of the map `x ↦ x + u(x)` in world space,
 *   `J = I + G·M⁻¹` with `G[a][k] = ∂u_a/∂(array axis k)` by `numpy.gradient`'s scheme
 *   (central differences inside, one-sided at the edges). `det J` is the local volume
 *   ratio (1: no change, > 1: expansion, < 1: contraction); `det J ≤ 0` is a **folded**
 *   voxel (the map is not invertible there). The log variant is `ln det J` (NaN where
 *   `det J ≤ 0`), the quantity tensor-based morphometry uses.
 * - {@link inverseConsistencyError}: for a {@link DiffeomorphicMap}'s two fields, at every
 *   voxel `x` of the displacement grid, `|forward(x) + backward(x + forward(x))|` (world
 *   units, mm for NIfTI data): how far going forward then back lands from where it
 *   started. It is the field composition `backward ∘ forward` of the `compose` kernel
 *   (what {@link DiffeomorphicMap.computeInversionError} computes in the other order),
 *   taken over the voxels whose forward image is inside the grid.
 * - {@link qualityReport}: both determinants' statistics and the inverse-consistency
 *   error of a map, the report `diffeo qc` prints.
 *
 * The fields are the map's own `forward` and `backward` members (DIPY's names, the two
 * fields a mapping file stores), independent of `isInverse`. A SyN result has
 * `isInverse = true`: its `transform` (moving → static grid) uses the **backward** field.
 * The prealign affine is not part of these maps: `det J` here is that of the displacement
 * alone (multiply by `det` of the prealign's linear part for the whole transform).
 */
import type { Affine, Dim, FieldData, Shape2D, Shape3D, ShapeOf, Volume } from './types.js';
import { invertAffine, toAffine } from './affine.js';
import type { KernelOptions } from './fields.js';
import { defaultContext } from './registry.js';
import { DiffeoError, DimensionError, DtypeError, InvalidArgumentError, ShapeMismatchError } from './errors.js';
import type { DiffeomorphicMap } from './diffeomorphic-map.js';

/** Options of {@link jacobianDeterminant}. */
export interface JacobianOptions extends KernelOptions {
  /** Write `ln det J` instead of `det J` (NaN where `det J ≤ 0`). Default false. */
  readonly log?: boolean;
}

/** Summary of a Jacobian-determinant image (plain `det J`, dimensionless). */
export interface JacobianStats {
  /** Smallest `det J` over the grid. */
  minDetJ: number;
  /** Largest `det J` over the grid. */
  maxDetJ: number;
  /** Mean `det J` over the grid (double sum in raster order). */
  meanDetJ: number;
  /** Number of folded voxels (`det J ≤ 0`, or not a number). */
  foldedVoxels: number;
  /** Number of voxels of the grid. */
  voxels: number;
}

/** Inverse-consistency error of a field pair, in world units (mm for NIfTI data). */
export interface InverseConsistencyStats {
  /** Mean of `|forward(x) + backward(x + forward(x))|` over the voxels whose forward image is inside the grid. */
  mean: number;
  /** 99th percentile (linear interpolation between order statistics, as `numpy.percentile`). */
  p99: number;
  /** Largest error. */
  max: number;
  /** Voxels the statistics are taken over (forward image inside the grid). */
  voxels: number;
}

/** The quality report of a map (see {@link qualityReport}). */
export interface QualityReport {
  /** Statistics of `det J` of `x ↦ x + forward(x)` on the displacement grid. */
  forward: JacobianStats;
  /** Statistics of `det J` of `x ↦ x + backward(x)` on the displacement grid. */
  backward: JacobianStats;
  /** `|forward(x) + backward(x + forward(x))|` statistics (world units). */
  inverseConsistencyMm: InverseConsistencyStats;
}

function product(shape: readonly number[]): number {
  let n = 1;
  for (let k = 0; k < shape.length; k++) n *= shape[k];
  return n;
}

/**
 * The world-space Jacobian determinant of `x ↦ x + u(x)` (see the module documentation).
 *
 * @param field - `{ data, shape, gridToWorld }`: `data` float32 of `prod(shape)·d` values
 *   (interleaved, component `a` along world axis `a`, world units), `shape` `[rows, cols]` or
 *   `[slices, rows, cols]` (voxels), `gridToWorld` the grid's `(d+1)×(d+1)` affine (`null`:
 *   identity, world units are voxels).
 * @returns a float32 {@link Volume} on the field's grid (same shape and `gridToWorld`):
 *   `det J`, or `ln det J` with `log`.
 * @throws {DimensionError} for a shape that is not 2D or 3D; {@link DtypeError} when `data`
 *   is not a `Float32Array`; {@link ShapeMismatchError} when its length does not match;
 *   {@link InvalidAffineError} for a singular or malformed `gridToWorld`.
 */
export function jacobianDeterminant<D extends Dim>(field: FieldData<D>, options: JacobianOptions = {}): Volume<D, Float32Array> {
  const shape = field?.shape as readonly number[] | undefined;
  if (!shape || (shape.length !== 2 && shape.length !== 3)) {
    throw new DimensionError(`jacobianDeterminant needs a 2D or 3D field; got shape ${shape ? `[${[...shape].join(', ')}]` : String(shape)}.`);
  }
  const dim = shape.length as D;
  for (const n of shape) {
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`field shape entries must be positive integers; got [${shape.join(', ')}].`);
  }
  if (!(field.data instanceof Float32Array)) {
    throw new DtypeError('jacobianDeterminant needs the field data as a Float32Array (interleaved components, world units).');
  }
  const voxels = product(shape);
  if (field.data.length !== voxels * dim) {
    throw new ShapeMismatchError(`the field has ${field.data.length} values but its grid [${shape.join(', ')}] needs ${voxels * dim} (${dim} components per voxel).`);
  }
  const g2w = toAffine(field.gridToWorld, dim, 'field gridToWorld', true);
  const w2g = invertAffine(g2w, 'field gridToWorld');
  const out = new Float32Array(voxels);
  jacobianRaw(options, dim, out, field.data, shape, w2g);
  if (options.log === true) logInPlace(out);
  return { data: out, shape: [...shape] as unknown as ShapeOf<D>, gridToWorld: g2w };
}

function jacobianRaw(options: KernelOptions, dim: Dim, out: Float32Array, data: Float32Array, shape: readonly number[], w2g: Affine): void {
  const ctx = options.context ?? defaultContext;
  if (dim === 2) ctx.kernel('jacobianDeterminant2d')(out, data, shape as unknown as Shape2D, w2g);
  else ctx.kernel('jacobianDeterminant3d')(out, data, shape as unknown as Shape3D, w2g);
}

/** `ln` of every value in place (float32), NaN where the value is ≤ 0. */
function logInPlace(a: Float32Array): void {
  for (let i = 0; i < a.length; i++) a[i] = a[i] > 0 ? Math.log(a[i]) : NaN;
}

/**
 * Statistics of a plain `det J` image (not the log): min, max, mean and the number of
 * folded voxels (`det J ≤ 0`; NaN values count as folded and are left out of min, max
 * and mean).
 * @param detJ - `det J` per voxel (any order).
 */
export function jacobianStats(detJ: ArrayLike<number>): JacobianStats {
  let min = Infinity, max = -Infinity, sum = 0, folded = 0, finite = 0;
  for (let i = 0; i < detJ.length; i++) {
    const v = detJ[i];
    if (!(v > 0)) folded++;
    if (Number.isNaN(v)) continue;
    finite++;
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return finite === 0
    ? { minDetJ: NaN, maxDetJ: NaN, meanDetJ: NaN, foldedVoxels: folded, voxels: detJ.length }
    : { minDetJ: min, maxDetJ: max, meanDetJ: sum / finite, foldedVoxels: folded, voxels: detJ.length };
}

/** `numpy.percentile(values, q)` with the default linear interpolation; sorts `values` in place. */
function percentile(values: Float64Array, q: number): number {
  if (values.length === 0) return NaN;
  values.sort();
  const pos = (q / 100) * (values.length - 1);
  const lo = Math.floor(pos), hi = Math.min(lo + 1, values.length - 1);
  const f = pos - lo;
  return values[lo] + (values[hi] - values[lo]) * f;
}

/** The raw field pair of a map, checked to share the displacement grid. */
function fieldPair(map: DiffeomorphicMap): { fwd: Float32Array; bwd: Float32Array; shape: readonly number[] } {
  const fwd = map.forward, bwd = map.backward;
  if (fwd === null || bwd === null) {
    throw new DiffeoError('NOT_READY', `The map's ${fwd === null ? 'forward' : 'backward'} displacement field is not set; load or compute a map with both fields.`);
  }
  const fs = map.fieldShape('forward') as readonly number[], bs = map.fieldShape('backward') as readonly number[];
  if (fs.length !== bs.length || fs.some((n, k) => n !== bs[k])) {
    throw new ShapeMismatchError(`quality control needs both fields on one grid; forward is [${fs.join(', ')}], backward [${bs.join(', ')}] (a simplified map?).`);
  }
  const n = product(fs) * map.dim;
  if (fwd.length !== n || bwd.length !== n) {
    throw new ShapeMismatchError(`the fields have ${fwd.length} and ${bwd.length} values but the grid [${fs.join(', ')}] needs ${n}.`);
  }
  return { fwd, bwd, shape: fs };
}

/**
 * `det J` of one of a map's two fields on the displacement grid (see
 * {@link jacobianDeterminant}; the grid-to-world is the map's `dispGridToWorld`).
 * @param which - `'forward'` or `'backward'`: the raw field, independent of `isInverse`.
 */
export function mapJacobianDeterminant<D extends Dim>(map: DiffeomorphicMap<D>, which: 'forward' | 'backward',
  options: JacobianOptions = {}): Volume<D, Float32Array> {
  const { fwd, bwd, shape } = fieldPair(map);
  return jacobianDeterminant<D>({ data: which === 'forward' ? fwd : bwd, shape: shape as unknown as ShapeOf<D>, gridToWorld: map.dispGridToWorld },
    { ...options, context: options.context ?? map.context });
}

/**
 * Inverse-consistency error of a map's field pair (see the module documentation): per
 * voxel `x` of the displacement grid, `|forward(x) + backward(x + forward(x))|`, the
 * `compose` kernel's `backward ∘ forward` with the point `x + forward(x)` taken to grid
 * units by the map's `dispWorldToGrid`. Voxels whose forward image is not strictly inside
 * the grid (the kernel writes 0 there) are left out.
 * @returns mean, 99th percentile and max of the error norms (world units) and the number of voxels used.
 */
export function inverseConsistencyError(map: DiffeomorphicMap, options: KernelOptions = {}): InverseConsistencyStats {
  const { fwd, bwd, shape } = fieldPair(map);
  const ctx = options.context ?? map.context;
  const W = map.dispWorldToGrid;
  const out = new Float32Array(fwd.length);
  if (map.dim === 2) ctx.kernel('compose2d')(out, fwd, shape as unknown as Shape2D, bwd, shape as unknown as Shape2D, null, W, 1.0, false);
  else ctx.kernel('compose3d')(out, fwd, shape as unknown as Shape3D, bwd, shape as unknown as Shape3D, null, W, 1.0, false);
  const inside = insideMask(fwd, shape, W);
  const norms = new Float64Array(inside.count);
  const d = map.dim;
  let sum = 0, max = 0, m = 0;
  for (let v = 0; v < inside.mask.length; v++) {
    if (inside.mask[v] === 0) continue;
    let q = 0;
    for (let k = 0; k < d; k++) q += out[v * d + k] * out[v * d + k];
    const e = Math.sqrt(q);
    norms[m++] = e;
    sum += e;
    if (e > max) max = e;
  }
  if (m === 0) return { mean: NaN, p99: NaN, max: NaN, voxels: 0 };
  return { mean: sum / m, p99: percentile(norms, 99), max, voxels: m };
}

/**
 * Which voxels the composition treats as inside: `p = i + W_lin·forward[i]` with
 * `0 ≤ p_k < n_k − 1` on every axis, evaluated with the `compose` kernels' expressions
 * (`A = null`, `B = W`), so it selects exactly the voxels they interpolate.
 */
function insideMask(fwd: Float32Array, shape: readonly number[], W: Affine): { mask: Uint8Array; count: number } {
  const d = shape.length;
  const n = product(shape);
  const mask = new Uint8Array(n);
  let count = 0;
  if (d === 2) {
    const nr = shape[0], nc = shape[1];
    const b00 = W ? W[0] : 1, b01 = W ? W[1] : 0, b10 = W ? W[3] : 0, b11 = W ? W[4] : 1;
    for (let i = 0, o = 0, v = 0; i < nr; i++) {
      const ri0 = 1 * i, ri1 = 0 * i;
      for (let j = 0; j < nc; j++, o += 2, v++) {
        const v0 = fwd[o], v1 = fwd[o + 1];
        const x0 = (ri0 + 0 * j + 0) + (W ? b00 * v0 + b01 * v1 : v0);
        const x1 = (ri1 + 1 * j + 0) + (W ? b10 * v0 + b11 * v1 : v1);
        if (x0 >= 0 && x0 < nr - 1 && x1 >= 0 && x1 < nc - 1) { mask[v] = 1; count++; }
      }
    }
  } else {
    const ns = shape[0], nr = shape[1], nc = shape[2];
    const b = W ?? new Float64Array([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
    let o = 0, v = 0;
    for (let k = 0; k < ns; k++) {
      const sk0 = 1 * k, sk1 = 0 * k, sk2 = 0 * k;
      for (let i = 0; i < nr; i++) {
        const ri0 = sk0 + 0 * i, ri1 = sk1 + 1 * i, ri2 = sk2 + 0 * i;
        for (let j = 0; j < nc; j++, o += 3, v++) {
          const v0 = fwd[o], v1 = fwd[o + 1], v2 = fwd[o + 2];
          const y0 = W ? b[0] * v0 + b[1] * v1 + b[2] * v2 : v0;
          const y1 = W ? b[4] * v0 + b[5] * v1 + b[6] * v2 : v1;
          const y2 = W ? b[8] * v0 + b[9] * v1 + b[10] * v2 : v2;
          const x0 = (ri0 + 0 * j + 0) + y0;
          const x1 = (ri1 + 0 * j + 0) + y1;
          const x2 = (ri2 + 1 * j + 0) + y2;
          if (x0 >= 0 && x0 < ns - 1 && x1 >= 0 && x1 < nr - 1 && x2 >= 0 && x2 < nc - 1) { mask[v] = 1; count++; }
        }
      }
    }
  }
  return { mask, count };
}

/**
 * The quality report of a map: {@link jacobianStats} of `det J` of both fields (on the
 * displacement grid, world space) and the {@link inverseConsistencyError}.
 * @throws {DiffeoError} `NOT_READY` when a field is missing; {@link ShapeMismatchError}
 *   when the two fields are not on one grid.
 */
export function qualityReport(map: DiffeomorphicMap, options: KernelOptions = {}): QualityReport {
  const forward = jacobianStats(mapJacobianDeterminant(map, 'forward', options).data);
  const backward = jacobianStats(mapJacobianDeterminant(map, 'backward', options).data);
  return { forward, backward, inverseConsistencyMm: inverseConsistencyError(map, options) };
}
