/**
 * The kernel contract: every hot loop of SyN, as a function on contiguous typed
 * arrays. The pure-TypeScript implementations (`tsKernels`) are always present;
 * other backends (WebAssembly, third parties) may implement any subset and are
 * chosen through a {@link KernelContext}.
 *
 * Conventions shared by all kernels:
 * - scalar images: `Float32Array` of `prod(shape)` values, C order;
 * - vector fields: `Float32Array` of `prod(shape)·d` values, interleaved, component
 *   `k` along array axis `k`;
 * - affines: row-major `(d+1)×(d+1)` `Float64Array`, or `null` (identity);
 * - outputs are written into caller-provided arrays; kernels never allocate their
 *   outputs and never validate their inputs (public functions do that once);
 * - arithmetic follows DIPY 1.6 bit for bit (docs/algorithm.md): double arithmetic,
 *   float32 storage, raster order.
 */
import type { Affine, ComposeStats, Dim, NumericArray, Shape2D, Shape3D, ShapeOf } from '../types.js';

/** Result of a fixed-point inversion: iterations run, and the last measured mean and max residual (voxels). */
export interface InversionResult {
  iterations: number;
  /** mean residual norm (voxel units) measured before the last update */
  error: number;
  /** max residual norm (voxel units) measured before the last update */
  maxResidual: number;
}

/** All kernels a backend may provide. */
export interface Kernels {
  /**
   * Generic linear warp (docs/algorithm.md §2.3): for each output voxel `i` of `outShape`,
   * `v = field ? (A ? interp(field, A·[i;1]) : field[i]) : 0`, `v = C ? C·[v;0] : v`,
   * `x = B ? v + B·[i;1] : v + i`, `out[i] = bilinear(image, x)` with zero padding and
   * float32 rounding after every corner. When `field` is null the displacement is 0
   * (affine-only transform).
   */
  warp2d(out: Float32Array, outShape: Shape2D, image: Float32Array, imageShape: Shape2D,
    field: Float32Array | null, fieldShape: Shape2D, A: Affine, B: Affine, C: Affine): void;
  /** 3D version of {@link Kernels.warp2d} (trilinear). */
  warp3d(out: Float32Array, outShape: Shape3D, image: Float32Array, imageShape: Shape3D,
    field: Float32Array | null, fieldShape: Shape3D, A: Affine, B: Affine, C: Affine): void;
  /** Nearest-neighbour version of {@link Kernels.warp2d}: any numeric image type, output of the same type; ties round down; outside `[0, n−1]` → 0. The field is still interpolated linearly. */
  warpNearest2d(out: NumericArray, outShape: Shape2D, image: NumericArray, imageShape: Shape2D,
    field: Float32Array | null, fieldShape: Shape2D, A: Affine, B: Affine, C: Affine): void;
  /** Nearest-neighbour version of {@link Kernels.warp3d}. */
  warpNearest3d(out: NumericArray, outShape: Shape3D, image: NumericArray, imageShape: Shape3D,
    field: Float32Array | null, fieldShape: Shape3D, A: Affine, B: Affine, C: Affine): void;

  /**
   * Composition (docs/algorithm.md §2.1): for each voxel `i` of d1's grid,
   * `p = (A ? A·[i;1] : i) + (B ? B·[d1[i];0] : d1[i])`; if `p` is strictly inside d2's
   * grid `out[i] = f32(t·d2(p) + d1[i])`, else `out[i] = 0`. `out` may alias `d1` (not `d2`).
   * @param wantStats - false when the caller does not read the statistics (SyN): the
   *   kernel may then skip them and returns `[NaN, NaN, NaN]`. Default true.
   * @returns the statistics over inside voxels.
   */
  compose2d(out: Float32Array, d1: Float32Array, shape1: Shape2D, d2: Float32Array, shape2: Shape2D,
    A: Affine, B: Affine, t: number, wantStats?: boolean): ComposeStats;
  /** 3D version of {@link Kernels.compose2d}. */
  compose3d(out: Float32Array, d1: Float32Array, shape1: Shape3D, d2: Float32Array, shape2: Shape3D,
    A: Affine, B: Affine, t: number, wantStats?: boolean): ComposeStats;

  /**
   * Fixed-point inversion (docs/algorithm.md §2.2). `inv` holds the start value on entry
   * (zeros for a cold start) and the inverse on exit. `W` maps world displacements
   * to grid units (the field grid's world-to-grid), `spacing` (world units per voxel)
   * only scales the stopping measure. `scratch` has the size of `d`.
   */
  invert2d(inv: Float32Array, d: Float32Array, shape: Shape2D, W: Affine, spacing: ArrayLike<number>,
    maxIter: number, tol: number, scratch: Float32Array): InversionResult;
  /** 3D version of {@link Kernels.invert2d}, with DIPY's extra stop once the max residual is ≤ 0.1 voxel. */
  invert3d(inv: Float32Array, d: Float32Array, shape: Shape3D, W: Affine, spacing: ArrayLike<number>,
    maxIter: number, tol: number, scratch: Float32Array): InversionResult;

  /** Field resampling (docs/algorithm.md §2.4): `out[i] = interp(field, i ⊙ factors)`, values not scaled. */
  resampleField2d(out: Float32Array, outShape: Shape2D, field: Float32Array, shape: Shape2D, factors: ArrayLike<number>): void;
  /** 3D version of {@link Kernels.resampleField2d}. */
  resampleField3d(out: Float32Array, outShape: Shape3D, field: Float32Array, shape: Shape3D, factors: ArrayLike<number>): void;
  /** Downsampling by 2 (docs/algorithm.md §2.5) of a field with `ncomp` interleaved components (1 for a scalar image); output shape `(n+1)>>1` per axis. */
  downsample2d(out: Float32Array, input: Float32Array, shape: Shape2D, ncomp: number): void;
  /** 3D version of {@link Kernels.downsample2d}. */
  downsample3d(out: Float32Array, input: Float32Array, shape: Shape3D, ncomp: number): void;

  /**
   * `numpy.gradient` with unit spacing and `edge_order=1` in float32 arithmetic
   * (docs/algorithm.md §2.7), for a 2D or 3D image. `out` is `prod(shape)·d`, component `k`
   * the derivative along axis `k` (per voxel, not per world unit).
   */
  numpyGradient(out: Float32Array, image: Float32Array, shape: Shape2D | Shape3D): void;
  /**
   * `out += numpyGradient(image)` in place: each float32 derivative of
   * {@link Kernels.numpyGradient} added to the value in `out` (float32 sum), the bits of
   * `addFloat32(out, out, g)` with `g` that gradient but without its buffer. `out` is
   * `prod(shape)·d` (per voxel, not per world unit) and must not overlap `image`.
   */
  numpyGradientAdd(out: Float32Array, image: Float32Array, shape: Shape2D | Shape3D): void;
  /**
   * The metrics' physical gradient (docs/algorithm.md §2.7): {@link Kernels.numpyGradient}, each
   * component `k` divided by `spacing[k]` (double, stored float32), then rotated by the
   * linear part of the `(d+1)×(d+1)` row-major `direction` (homogeneous coordinate 0,
   * stored float32). `out` is `prod(shape)·d` float32 in world units per world unit.
   */
  physicalGradient(out: Float32Array, image: Float32Array, shape: Shape2D | Shape3D, spacing: ArrayLike<number>,
    direction: ArrayLike<number>): void;
  /**
   * SyN's step conditioning: zero the outermost voxel layer of the `d`-component
   * `step` (in place), then divide every value by the largest voxel norm in voxels
   * (component `k` / `spacing[k]`; squared norms and their max in double, one sqrt,
   * divisor rounded to float32, quotients stored float32); a zero step is left as is.
   * Returns that norm (voxels).
   */
  conditionStep(step: Float32Array, shape: Shape2D | Shape3D, spacing: ArrayLike<number>): number;
  /**
   * World-space Jacobian determinant of `x ↦ x + u(x)` (`kernels/jacobian.ts`):
   * `out[v] = f32(det(I + G·M⁻¹))` per voxel, `G[a][k] = ∂u_a/∂(array axis k)` by
   * `numpy.gradient`'s scheme in double, `M⁻¹` the linear part of `W` (the field grid's
   * world-to-grid; null = identity). `field` is `prod(shape)·2` float32 in world units,
   * `out` `prod(shape)` float32 (dimensionless).
   */
  jacobianDeterminant2d(out: Float32Array, field: Float32Array, shape: Shape2D, W: Affine): void;
  /** 3D version of {@link Kernels.jacobianDeterminant2d}. */
  jacobianDeterminant3d(out: Float32Array, field: Float32Array, shape: Shape3D, W: Affine): void;
  /**
   * DIPY's physical-space gradient sampler (`vector_fields.gradient`, fixtures/reference/README.md note 6):
   * central differences at `x ± spacing/2` in world space, sampled bilinearly;
   * 0 and `inside = 0` when a sample is not inside.
   */
  gradientSampler2d(out: Float32Array, inside: Int32Array, outShape: Shape2D, image: Float32Array, imageShape: Shape2D,
    imageWorldToGrid: Affine, spacing: ArrayLike<number>, samplingGridToWorld: Affine): void;
  /** 3D version of {@link Kernels.gradientSampler2d}. */
  gradientSampler3d(out: Float32Array, inside: Int32Array, outShape: Shape3D, image: Float32Array, imageShape: Shape3D,
    imageWorldToGrid: Affine, spacing: ArrayLike<number>, samplingGridToWorld: Affine): void;

  /**
   * `scipy.ndimage.gaussian_filter` (reflect mode, truncate 4, float32 after each
   * axis; docs/algorithm.md §3.1) on data with `ncomp` interleaved components, each smoothed
   * independently; `sigma` per axis in voxels (axes with sigma ≤ 1e-15 skipped).
   * `out` may alias `input`.
   */
  gaussianFilter(out: Float32Array, input: Float32Array, shape: Shape2D | Shape3D, ncomp: number, sigma: ArrayLike<number>): void;

  /** Local cross-correlation factors (docs/algorithm.md §5.2, 2D slot scheme): `out` is `prod(shape)·5` float32. */
  ccFactors2d(out: Float32Array, staticImage: Float32Array, movingImage: Float32Array, shape: Shape2D, radius: number): void;
  /** 3D CC factors with DIPY's running-sum scheme (docs/algorithm.md §5.2). */
  ccFactors3d(out: Float32Array, staticImage: Float32Array, movingImage: Float32Array, shape: Shape3D, radius: number): void;
  /**
   * Resumable {@link Kernels.ccFactors3d}: runs iterations `[sFrom, sTo)` of the running-sum
   * scheme (iteration `s ≥ r` completes factor slice `s − r`), writing slice `z` at slice
   * offset `z − outFirstSlice` of `out`; `state` (`2·nr·nc·5` doubles, zero-filled at the
   * start) carries the sums between calls, which must cover `[0, ns + r)` in order.
   */
  ccFactors3dStream(out: Float32Array, outFirstSlice: number, staticImage: Float32Array, movingImage: Float32Array,
    shape: Shape3D, radius: number, state: Float64Array, sFrom: number, sTo: number): void;
  /**
   * The 3D CC energy (as returned by the step kernels) over slices `[sFrom, sTo)`,
   * continuing the raster-order sum `acc`; `factors` holds slices from `firstSlice` on.
   */
  ccEnergy3d(factors: Float32Array, firstSlice: number, shape: Shape3D, radius: number, sFrom: number, sTo: number, acc: number): number;
  /** CC forward step (before smoothing) from the static gradient; returns the energy (−Σ local CC). */
  ccForwardStep2d(out: Float32Array, gradStatic: Float32Array, factors: Float32Array, shape: Shape2D, radius: number): number;
  /** CC backward step (before smoothing) from the moving gradient; returns the energy. */
  ccBackwardStep2d(out: Float32Array, gradMoving: Float32Array, factors: Float32Array, shape: Shape2D, radius: number): number;
  /** 3D version of {@link Kernels.ccForwardStep2d}. */
  ccForwardStep3d(out: Float32Array, gradStatic: Float32Array, factors: Float32Array, shape: Shape3D, radius: number): number;
  /** 3D version of {@link Kernels.ccBackwardStep2d}. */
  ccBackwardStep3d(out: Float32Array, gradMoving: Float32Array, factors: Float32Array, shape: Shape3D, radius: number): number;

  /** SSD demons step (docs/algorithm.md §5.1) from `delta` (float32 difference image) and the gradient; returns `Σ δ²`. */
  ssdDemonsStep2d(out: Float32Array, delta: Float32Array, gradient: Float32Array, shape: Shape2D, sigmaSqX: number): number;
  /** 3D version of {@link Kernels.ssdDemonsStep2d}. */
  ssdDemonsStep3d(out: Float32Array, delta: Float32Array, gradient: Float32Array, shape: Shape3D, sigmaSqX: number): number;
  /** One in-place Gauss-Seidel sweep of the SSD/EM Gauss-Newton system (docs/algorithm.md §5.1). `sigmaSq` null means 1 everywhere; `target` null means `δ·g`. */
  gaussSeidelSweep2d(u: Float32Array, delta: Float32Array, sigmaSq: Float32Array | null, gradient: Float32Array,
    target: Float32Array | null, lambda: number, shape: Shape2D): void;
  /** 3D version of {@link Kernels.gaussSeidelSweep2d} (double products, with DIPY's singular-system quirk). */
  gaussSeidelSweep3d(u: Float32Array, delta: Float32Array, sigmaSq: Float32Array | null, gradient: Float32Array,
    target: Float32Array | null, lambda: number, shape: Shape3D): void;
  /** Residual of the Gauss-Newton system (docs/algorithm.md §5.1), written to `out` (a new float32 field). */
  residual2d(out: Float32Array, delta: Float32Array, sigmaSq: Float32Array | null, gradient: Float32Array,
    target: Float32Array | null, lambda: number, u: Float32Array, shape: Shape2D): void;
  /** 3D version of {@link Kernels.residual2d}. */
  residual3d(out: Float32Array, delta: Float32Array, sigmaSq: Float32Array | null, gradient: Float32Array,
    target: Float32Array | null, lambda: number, u: Float32Array, shape: Shape3D): void;

  /**
   * EM quantisation (DIPY's `quantize_positive_2d/3d`, any dimension): values `≤ 0` are
   * class 0, positive values fall into `numLevels − 1` equal bins; writes each voxel's
   * class to `out` (int32, `image.length`), the bin centres to `levels` and the class
   * sizes to `hist` (both `numLevels`). `numLevels ≥ 2`.
   */
  quantizePositive(out: Int32Array, levels: Float32Array, hist: Int32Array, image: Float32Array, numLevels: number): void;
  /**
   * EM class statistics (DIPY's `compute_masked_class_stats_2d/3d`, any dimension): per
   * class of `labels`, the float32 mean and variance of `image` over voxels where `mask`
   * is non-zero (mean 0 when empty, variance `+∞` below 2 voxels) and the voxel counts.
   * `means`, `variances`, `counts` have `numLabels` values.
   */
  maskedClassStats(means: Float32Array, variances: Float32Array, counts: Int32Array, mask: Int32Array | Uint8Array, image: Float32Array,
    labels: Int32Array, numLabels: number): void;
  /**
   * EM class fields (DIPY's `means[labels]`, `variances[labels]`): `means[i] = classMeans[labels[i]]`,
   * `sigmaSq[i] = classVariances[labels[i]]` for every voxel `i < labels.length` (any dimension).
   * `sigmaSq` may share `labels`' memory (an int32 view of it): each label is read before its voxel is written.
   */
  emClassFields(means: Float32Array, sigmaSq: Float32Array, labels: Int32Array, classMeans: Float32Array,
    classVariances: Float32Array): void;
  /** Element-wise float32 sum `out[i] = f32(a[i] + b[i])`, `i < out.length`; `out` may be `a` or `b`. */
  addFloat32(out: Float32Array, a: Float32Array, b: Float32Array): void;
  /** Element-wise float32 difference `out[i] = f32(a[i] − b[i])`, `i < out.length`; `out` may be `a` or `b`. */
  subtractFloat32(out: Float32Array, a: Float32Array, b: Float32Array): void;
  /** `Σ f32(a[i]²)` in double, raster order (DIPY's `compute_energy_ssd_2d/3d`; the Gauss-Newton energy). */
  sumSquaresFloat32(a: Float32Array): number;
  /** EM masks: `out[i] = image[i] > 0 ? 1 : 0` (NaN gives 0) for `i < image.length`; `out` is a byte per voxel. */
  positiveMask(out: Uint8Array, image: Float32Array): void;
  /**
   * Float64 linear resampling of the affine stage (`kernels/affine-mi.ts`): `out[i] = bilinear(image, M·[i;1])`
   * for each voxel `i` of `outShape`, `M` (3×3 row-major) mapping output grid indices to image grid
   * indices; 0 outside or at NaN coordinates. `out` is `prod(outShape)` float64.
   */
  resampleAffineLinear2d(out: Float64Array, outShape: Shape2D, image: Float64Array, imageShape: Shape2D, M: Float64Array): void;
  /** 3D version of {@link Kernels.resampleAffineLinear2d} (4×4 `M`, trilinear). */
  resampleAffineLinear3d(out: Float64Array, outShape: Shape3D, image: Float64Array, imageShape: Shape3D, M: Float64Array): void;
  /**
   * DIPY's `vector_fields.gradient` in float64 (`kernels/affine-mi.ts`): the world-space gradient
   * (intensity per mm) of `image` at each voxel of a sampling grid placed in world space by
   * `samplingGridToWorld`, central differences at `x ± spacing/2`; a component with a sample
   * outside is 0. `out` is `prod(outShape)·2` float64.
   */
  affineGradient2d(out: Float64Array, outShape: Shape2D, image: Float64Array, imageShape: Shape2D,
    imageWorldToGrid: Float64Array, spacing: ArrayLike<number>, samplingGridToWorld: Float64Array): void;
  /** 3D version of {@link Kernels.affineGradient2d}. */
  affineGradient3d(out: Float64Array, outShape: Shape3D, image: Float64Array, imageShape: Shape3D,
    imageWorldToGrid: Float64Array, spacing: ArrayLike<number>, samplingGridToWorld: Float64Array): void;
  /** {@link Kernels.affineGradient2d} / `3d` at world points (`m·d` values, mm) — DIPY's `sparse_gradient`. */
  affineGradientSparse(out: Float64Array, points: Float64Array, image: Float64Array, imageShape: Shape2D | Shape3D,
    imageWorldToGrid: Float64Array, spacing: ArrayLike<number>): void;
  /**
   * DIPY's Parzen joint histogram (`kernels/affine-mi.ts`): overwrites `joint` (`nbins²`, row =
   * static bin) and both marginals (`nbins`) from paired float64 samples; int32 masks (null = all).
   */
  parzenJointPdf(joint: Float64Array, smarginal: Float64Array, mmarginal: Float64Array,
    staticValues: Float64Array, movingValues: Float64Array, staticMask: Int32Array | null, movingMask: Int32Array | null,
    nbins: number, smin: number, sdelta: number, mmin: number, mdelta: number, byCount: boolean): void;
  /**
   * Gradient of the Parzen joint pdf w.r.t. `n` transform parameters (`kernels/affine-mi.ts`):
   * overwrites `grad` (`nbins²·n`); `movingGradient`, `points` have `dim` values per sample;
   * `jacobian` holds `(dim+1)·dim·n` coefficients with `J(x) = J₀ + Σ_j x_j·J_{j+1}`, summed over
   * the non-zero coefficients only (a parameter's all-zero rows are skipped).
   */
  parzenJointGradient(grad: Float64Array, staticValues: Float64Array, movingValues: Float64Array,
    staticMask: Int32Array | null, movingMask: Int32Array | null, movingGradient: Float64Array, points: Float64Array,
    jacobian: Float64Array, dim: number, nbins: number, smin: number, sdelta: number, mmin: number, mdelta: number): void;
  /**
   * One dense evaluation of the affine stage's MI terms in a single pass (`kernels/affine-mi.ts`), the same
   * bits as `resampleAffineLinear2d` (through `gridToMovingGrid`) → `parzenJointPdf` → `affineGradient2d`
   * (at `gridToWorld·[i;1]`) → `parzenJointGradient` (Jacobian at `pre·[i;1]`), without the intermediate
   * arrays. `staticValues`/`staticMask` on the static grid of `shape`; no moving mask. `jointGrad`
   * (`nbins²·n`) null = the pdfs only. Matrices 3×3 row-major; world in mm.
   */
  affineMIDense2d(joint: Float64Array, smarginal: Float64Array, mmarginal: Float64Array, jointGrad: Float64Array | null,
    staticValues: Float64Array, staticMask: Int32Array | null, shape: Shape2D, moving: Float64Array, movingShape: Shape2D,
    gridToMovingGrid: Float64Array, gridToWorld: Float64Array, movingWorldToGrid: Float64Array, movingSpacing: ArrayLike<number>,
    pre: Float64Array, jacobian: Float64Array, nbins: number, smin: number, sdelta: number, mmin: number, mdelta: number,
    byCount: boolean): void;
  /** 3D version of {@link Kernels.affineMIDense2d} (4×4 matrices, trilinear). */
  affineMIDense3d(joint: Float64Array, smarginal: Float64Array, mmarginal: Float64Array, jointGrad: Float64Array | null,
    staticValues: Float64Array, staticMask: Int32Array | null, shape: Shape3D, moving: Float64Array, movingShape: Shape3D,
    gridToMovingGrid: Float64Array, gridToWorld: Float64Array, movingWorldToGrid: Float64Array, movingSpacing: ArrayLike<number>,
    pre: Float64Array, jacobian: Float64Array, nbins: number, smin: number, sdelta: number, mmin: number, mdelta: number,
    byCount: boolean): void;
  /**
   * EM demons step (DIPY's `compute_em_demons_step_2d`), before smoothing: `σx²·δ·g/(σx²·|g|² + σ²)`; returns `Σ δ²`.
   * `out` may be `gradient` (the step computed in place: each voxel's gradient is read before its step is written).
   */
  emDemonsStep2d(out: Float32Array, delta: Float32Array, sigmaSq: Float32Array, gradient: Float32Array, shape: Shape2D,
    sigmaSqX: number): number;
  /** 3D version of {@link Kernels.emDemonsStep2d} (`out` may be `gradient` too). */
  emDemonsStep3d(out: Float32Array, delta: Float32Array, sigmaSq: Float32Array, gradient: Float32Array, shape: Shape3D,
    sigmaSqX: number): number;

  /**
   * Parzen-window joint pdf of two images of `N` voxels on one grid (any dimension; the
   * deformable MI metric): `rows` binned by truncation, `cols` by the cubic B-spline;
   * writes `joint` (`nbins²`, float64, row-major, over `N`), `rowMarginal` and
   * `colMarginal` (`nbins` each). `offset`/`delta` of each image from core's
   * `parzenBinning`, `delta ≠ 0`, `nbins ≥ 5`.
   */
  miJointPdf(joint: Float64Array, rowMarginal: Float64Array, colMarginal: Float64Array, rows: Float32Array, cols: Float32Array,
    nbins: number, rowOffset: number, rowDelta: number, colOffset: number, colDelta: number): void;
  /**
   * Dense MI step (any dimension): `out[x·d+k] = f32(scale · Σ_j β'(j − t(x))·logRatio[r(x)·nbins + j] · gradient[x·d+k])`
   * with the bins of {@link Kernels.miJointPdf}; `d = gradient.length / rows.length`.
   */
  parzenMiStep(out: Float32Array, rows: Float32Array, cols: Float32Array, gradient: Float32Array, logRatio: Float64Array,
    nbins: number, rowOffset: number, rowDelta: number, colOffset: number, colDelta: number, scale: number): void;
}

/** Name of a kernel. */
export type KernelName = keyof Kernels;

/** The kernels that come as a `…2d` / `…3d` pair, by their name without the suffix. */
export type PairedKernelName = {
  [K in KernelName]: K extends `${infer B}2d` ? (`${B}3d` extends KernelName ? B : never) : never;
}[KernelName];

/** Kernel signature `F` with its 2D shapes replaced by the shapes of dimension `D`. */
type Redim<F, D extends Dim> = F extends (...args: infer A) => infer R
  ? (...args: { [I in keyof A]: A[I] extends Shape2D ? ShapeOf<D> : A[I] }) => R
  : never;

/**
 * The kernels of one dimension, from {@link KernelContext.kernelsFor}: every `…2d`/`…3d`
 * pair under its name without the suffix (`warp`, `compose`, `invert`, `ccFactors`, …),
 * typed with the shapes of dimension `D` (`Shape2D`, `Shape3D`, or either for `Dim`),
 * and the kernels that take either dimension (`gaussianFilter`, `numpyGradient`,
 * `numpyGradientAdd`, `physicalGradient`, `conditionStep`, and the affine stage's `affineGradientSparse`,
 * `parzenJointPdf`, `parzenJointGradient`). Same functions as the context's table.
 */
export type DimKernels<D extends Dim = Dim> = { readonly [K in PairedKernelName]: Redim<Kernels[`${K}2d`], D> }
  & Readonly<Pick<Kernels, 'gaussianFilter' | 'numpyGradient' | 'numpyGradientAdd' | 'physicalGradient' | 'conditionStep'
    | 'affineGradientSparse' | 'parzenJointPdf' | 'parzenJointGradient'>>;
