/**
 * Mutual information metric of the affine stage (DIPY 1.6 `imaffine.MutualInformationMetric`).
 *
 * For parameters θ of a transform T, the current affine is `A = T(θ)·P` (P = the starting
 * affine, static world → moving world, mm). Dense sampling: every static voxel `i` (world
 * `G_s·i`) is paired with the moving image sampled at `A·G_s·i` (linear, float64); the moving
 * gradient (per mm) is taken at the same points, and the Jacobian `∂T/∂θ` at the pre-aligned
 * point `P·G_s·i`. Sparse sampling (`samplingProportion` p): the points of
 * {@link sampleDomainRegular} with `k = ceil(1/p)`, seed 1234, sigma 0.25 voxels, are used
 * instead of the voxels (masks are then ignored, as in DIPY).
 *
 * Dense sampling without a moving mask runs in one pass over the static voxels (the
 * `affineMIDense2d/3d` kernel: same bits as resampling, histogram, gradient and histogram
 * gradient one after the other, without the per-voxel intermediate arrays).
 *
 * Memory: with a context whose backend has its own memory (`context.allocFloat32`, the
 * WebAssembly backend), `setup` copies the static and moving images (and the static mask) of
 * the level into it once, and the histogram keeps its pdfs there, so the kernels use them in
 * place and an evaluation copies no image in or out; {@link MutualInformationMetric.release}
 * gives that memory back (AffineRegistration calls it when `optimize` ends).
 *
 * {@link MutualInformationMetric.distance} is `−MI`; {@link MutualInformationMetric.gradient}
 * is `−∂MI/∂θ`. An invalid current affine (non-finite or singular) gives distance `+∞` and a
 * zero gradient, as DIPY does, so the optimiser backs off.
 */
import {
  EmptyImageError, InvalidArgumentError, ShapeMismatchError, checkOptionKeys, defaultContext,
  type Dim, type KernelContext, type NumericArray, type Shape2D, type Shape3D, type Volume,
} from '@diffeo/core';
import { checkAffine } from './affine-map.js';
import { AffineInvalidValuesError, AffineInversionError } from './errors.js';
import { resampleAffine, samplePoints } from './interpolation.js';
import { eye, invert, matMul, spacingsOf } from './matrix.js';
import { ParzenJointHistogram, computeParzenMI, residentFloat64, type MaskData } from './parzen-histogram.js';
import { sampleDomainRegular } from './sampling.js';
import type { Transform } from './transforms.js';

/** Options of {@link MutualInformationMetric}. */
export interface MutualInformationOptions {
  /** Number of histogram bins per image (DIPY's `nbins`), default 32, at least 5. */
  readonly nbins?: number;
  /** Fraction of static voxels to sample, in (0, 1]; omitted/null = dense (every voxel). */
  readonly samplingProportion?: number | null;
  /**
   * Kernels of the hot loops (resampling, moving gradient, joint histogram and its gradient);
   * default {@link defaultContext} (TypeScript). A context with `@diffeo/wasm-kernels` gives the
   * same bits faster.
   */
  readonly context?: KernelContext;
}

/** Inputs of {@link MutualInformationMetric.setup}. */
export interface MutualInformationSetup {
  /** Transform whose parameters are optimised. */
  readonly transform: Transform;
  /** Static image (any numeric type; used as float64) with its grid-to-world matrix. */
  readonly static: Volume;
  /** Moving image with its grid-to-world matrix. */
  readonly moving: Volume;
  /** Starting affine P (static world → moving world), `(d+1)²` row-major; default identity. */
  readonly startingAffine?: ArrayLike<number> | null;
  /** Static mask on the static grid (non-zero = used); dense sampling only. */
  readonly staticMask?: ArrayLike<number> | null;
  /** Moving mask on the moving grid (non-zero = used); dense sampling only. */
  readonly movingMask?: ArrayLike<number> | null;
}

function toF64(a: NumericArray): Float64Array {
  return a instanceof Float64Array ? a : Float64Array.from(a);
}

/** Whether `context.allocFloat32` gives arrays in a backend's own memory (it can free them again). */
function hasOwnMemory(context: KernelContext): boolean {
  return context.freeFloat32(context.allocFloat32(1));
}

function toMask(a: ArrayLike<number> | null | undefined, n: number, what: string): Int32Array | null {
  if (a == null) return null;
  if (a.length !== n) throw new ShapeMismatchError(`${what} has ${a.length} values but its image has ${n}; pass a mask on the image's grid.`);
  return Int32Array.from(a as ArrayLike<number>, (v) => (v !== 0 ? 1 : 0));
}

/** DIPY's MutualInformationMetric (see the module documentation). */
export class MutualInformationMetric {
  /** Histogram bins. */
  readonly nbins: number;
  /** Sampling proportion, or null for dense sampling. */
  readonly samplingProportion: number | null;
  /** The Parzen histogram of the last evaluation. */
  readonly histogram: ParzenJointHistogram;
  /** −MI of the last evaluation. */
  metricValue = NaN;
  private s?: {
    dim: Dim; transform: Transform; static: Float64Array; moving: Float64Array;
    sShape: number[]; mShape: number[]; sG2w: Float64Array; mW2g: Float64Array; mSpacing: Float64Array;
    start: Float64Array | null; smask: Int32Array | null; mmask: Int32Array | null;
    samples: Float64Array | null; samplesPre: Float64Array | null; staticVals: Float64Array | null;
    /** Dense: `P·G_s` (static grid → pre-aligned world, mm), where the Jacobian is taken. */
    preG2w: Float64Array | null;
    /** Dense with a moving mask: the pre-aligned world point `P·G_s·i` of every static voxel (`d` per voxel, mm). */
    densePre: Float64Array | null; mvBuf: Float64Array | null; gradBuf: Float64Array | null;
  };
  /** The kernels' context. */
  readonly context: KernelContext;
  /** The context's arrays holding this level's images (see the module documentation). */
  private held: Float32Array[] = [];

  constructor(options: MutualInformationOptions = {}) {
    checkOptionKeys(options, ['nbins', 'samplingProportion', 'context'], 'MutualInformationMetric options');
    const nbins = options.nbins ?? 32;
    if (!Number.isInteger(nbins) || nbins < 5) throw new InvalidArgumentError(`nbins must be an integer ≥ 5 (default 32), got ${nbins}.`);
    const sp = options.samplingProportion ?? null;
    if (sp !== null && !(sp > 0 && sp <= 1)) {
      throw new InvalidArgumentError(`samplingProportion must be in (0, 1] (or omitted for dense sampling), got ${sp}.`);
    }
    this.nbins = nbins;
    this.samplingProportion = sp;
    this.context = options.context ?? defaultContext;
    this.histogram = new ParzenJointHistogram(nbins, this.context);
  }

  /**
   * Prepares the metric for one image pair and transform (DIPY's `setup`).
   * @throws EmptyImageError when the (masked) static or moving intensities are constant.
   * @throws ShapeMismatchError for images or masks of inconsistent sizes.
   */
  setup(p: MutualInformationSetup): void {
    const dim = p.static.shape.length as Dim;
    if ((dim !== 2 && dim !== 3) || p.moving.shape.length !== dim || p.transform.dim !== dim) {
      throw new ShapeMismatchError(`static (${p.static.shape.length}D), moving (${p.moving.shape.length}D) and the transform (${p.transform.dim}D) must have the same dimension, 2 or 3.`);
    }
    const m = dim + 1;
    const sShape = [...p.static.shape], mShape = [...p.moving.shape];
    const ns = sShape.reduce((a, b) => a * b, 1), nm = mShape.reduce((a, b) => a * b, 1);
    if (p.static.data.length !== ns || p.moving.data.length !== nm) throw new ShapeMismatchError('an image has a data length that does not match its shape.');
    const sG2w = p.static.gridToWorld ? Float64Array.from(p.static.gridToWorld) : eye(m);
    const mG2w = p.moving.gridToWorld ? Float64Array.from(p.moving.gridToWorld) : eye(m);
    const dense = this.samplingProportion === null || this.samplingProportion === 1;
    const start = p.startingAffine ? checkAffine(p.startingAffine, 'startingAffine').affine : null;
    const smask = dense ? toMask(p.staticMask, ns, 'staticMask') : null;
    this.releaseImages();
    this.s = {
      dim, transform: p.transform, static: this.resident(p.static.data), moving: this.resident(p.moving.data), sShape, mShape,
      sG2w, mW2g: invert(mG2w, m, "the moving image's gridToWorld"), mSpacing: spacingsOf(mG2w, dim), start,
      smask: smask ? this.residentMask(smask) : null,
      mmask: dense ? toMask(p.movingMask, nm, 'movingMask') : null,
      samples: null, samplesPre: null, staticVals: null, preG2w: null, densePre: null, mvBuf: null, gradBuf: null,
    };
    if (this.samplingProportion !== null) {
      const k = Math.ceil(1.0 / this.samplingProportion);
      const pts = sampleDomainRegular(k, sShape, sG2w);
      this.s.samples = pts;
      this.s.samplesPre = start ? applyAffinePoints(start, pts, dim) : pts;
      const sW2g = invert(sG2w, m, "the static image's gridToWorld");
      this.s.staticVals = samplePoints(this.s.static, sShape, applyAffinePoints(sW2g, pts, dim));
    }
    else {
      this.s.preG2w = start ? matMul(start, sG2w, m) : sG2w;
      if (this.s.mmask) {
        this.s.densePre = gridPoints(this.s.preG2w, sShape);
        this.s.mvBuf = new Float64Array(ns);
        this.s.gradBuf = new Float64Array(ns * dim);
      }
    }
    this.histogram.setup(this.s.static, this.s.moving, this.s.smask, this.s.mmask);
    if (this.histogram.sdelta === 0 || !Number.isFinite(this.histogram.sdelta)) {
      throw new EmptyImageError('the static image is constant (or empty under its mask), so mutual information is undefined; pass an image with contrast.');
    }
    if (this.histogram.mdelta === 0 || !Number.isFinite(this.histogram.mdelta)) {
      throw new EmptyImageError('the moving image is constant (or empty under its mask), so mutual information is undefined; pass an image with contrast.');
    }
  }

  /** A float64 copy of `a` in the context's memory when it has one (else an ordinary array; `a` itself when already float64). */
  private resident(a: NumericArray): Float64Array {
    if (!hasOwnMemory(this.context)) return toF64(a);
    const { array, handle } = residentFloat64(this.context, a.length);
    array.set(a as ArrayLike<number>);
    this.held.push(handle);
    return array;
  }

  /** `mask` in the context's memory when it has one. */
  private residentMask(mask: Int32Array): Int32Array {
    if (!hasOwnMemory(this.context)) return mask;
    const h = this.context.allocFloat32(mask.length);
    const out = new Int32Array(h.buffer, h.byteOffset, mask.length);
    out.set(mask);
    this.held.push(h);
    return out;
  }

  private releaseImages(): void {
    for (const h of this.held) this.context.freeFloat32(h);
    this.held = [];
  }

  /**
   * Gives back the context memory of the last `setup` (its image copies) and of the histogram
   * (whose pdfs move to ordinary arrays). Evaluating again needs a new `setup`.
   */
  release(): void {
    this.releaseImages();
    this.histogram.release();
    this.s = undefined;
  }

  private update(theta: ArrayLike<number>, withGradient: boolean, grad: Float64Array | null): number {
    const s = this.s;
    if (!s) throw new InvalidArgumentError('call setup() before evaluating the metric.');
    const d = s.dim, m = d + 1;
    let A = s.transform.paramToMatrix(theta);
    if (s.start) A = matMul(A, s.start, m);
    checkAffine(A, 'the current affine');
    const H = this.histogram;
    const byCount = d === 2;
    const K = this.context.kernelsFor(d);
    if (s.samples === null && s.mmask === null) {
      // one pass: resampling, pdfs, moving gradient and joint-pdf gradient (same bits as the branch below)
      const g2w = matMul(A, s.sG2w, m);
      const comp = matMul(s.mW2g, g2w, m);
      H.updateDense(theta, withGradient ? s.transform : null, s.static, s.smask, s.sShape, s.moving, s.mShape, comp, g2w,
        s.mW2g, s.mSpacing, s.preG2w!, byCount);
    } else if (s.samples === null) {
      const comp = matMul(s.mW2g, matMul(A, s.sG2w, m), m);
      const mv = s.mvBuf!;
      K.resampleAffineLinear(mv, s.sShape as unknown as Shape2D & Shape3D, s.moving, s.mShape as unknown as Shape2D & Shape3D, comp);
      const mmask = s.mmask ? (resampleAffine(s.mmask, s.mShape, s.sShape, comp, 'nearest') as Int32Array) : null;
      H.updatePdfs(s.static, mv, s.smask, mmask, byCount);
      if (withGradient) {
        const g2w = matMul(A, s.sG2w, m);
        const mgrad = s.gradBuf!;
        K.affineGradient(mgrad, s.sShape as unknown as Shape2D & Shape3D, s.moving, s.mShape as unknown as Shape2D & Shape3D,
          s.mW2g, s.mSpacing, g2w);
        H.updateGradient(theta, s.transform, s.static, mv, s.densePre!, mgrad, s.smask, mmask);
      }
    } else {
      const toMoving = matMul(s.mW2g, A, m);
      const mv = samplePoints(s.moving, s.mShape, applyAffinePoints(toMoving, s.samples, d));
      H.updatePdfs(s.staticVals!, mv, null, null, false);
      if (withGradient) {
        const moved = applyAffinePoints(A, s.samples, d);
        const mgrad = new Float64Array(moved.length);
        K.affineGradientSparse(mgrad, moved, s.moving, s.mShape as unknown as Shape2D | Shape3D, s.mW2g, s.mSpacing);
        H.updateGradient(theta, s.transform, s.staticVals!, mv, s.samplesPre!, mgrad, null, null);
      }
    }
    return computeParzenMI(H, withGradient ? grad : null);
  }

  /** `−MI(θ)`; `+∞` when the current affine is invalid. */
  distance(theta: ArrayLike<number>): number {
    try {
      this.metricValue = -this.update(theta, false, null);
    } catch (e) {
      if (e instanceof AffineInvalidValuesError || e instanceof AffineInversionError) return Infinity;
      throw e;
    }
    return this.metricValue;
  }

  /** `−∂MI/∂θ` (zeros when the current affine is invalid). */
  gradient(theta: ArrayLike<number>): Float64Array {
    return this.distanceAndGradient(theta).gradient;
  }

  /** Both at once (one histogram update): `{ value: −MI, gradient: −∂MI/∂θ }`. */
  distanceAndGradient(theta: ArrayLike<number>): { value: number; gradient: Float64Array } {
    const g = new Float64Array(theta.length);
    try {
      const v = this.update(theta, true, g);
      this.metricValue = -v;
      for (let k = 0; k < g.length; k++) g[k] = -g[k];
      return { value: -v, gradient: g };
    } catch (e) {
      if (e instanceof AffineInvalidValuesError || e instanceof AffineInversionError) return { value: Infinity, gradient: new Float64Array(theta.length) };
      throw e;
    }
  }
}

/** `A·[p; 1]` for each point (d values per point). */
export function applyAffinePoints(A: ArrayLike<number>, pts: Float64Array, d: number): Float64Array {
  const n = pts.length / d, out = new Float64Array(pts.length);
  for (let i = 0; i < n; i++) {
    const o = i * d;
    if (d === 2) {
      const x = pts[o], y = pts[o + 1];
      out[o] = A[0] * x + A[1] * y + A[2];
      out[o + 1] = A[3] * x + A[4] * y + A[5];
    } else {
      const x = pts[o], y = pts[o + 1], z = pts[o + 2];
      out[o] = A[0] * x + A[1] * y + A[2] * z + A[3];
      out[o + 1] = A[4] * x + A[5] * y + A[6] * z + A[7];
      out[o + 2] = A[8] * x + A[9] * y + A[10] * z + A[11];
    }
  }
  return out;
}

export type { MaskData };

/** The world point `G·[i; 1]` of every voxel `i` of a grid of `shape` (C order, `d` values per voxel). */
function gridPoints(G: ArrayLike<number>, shape: readonly number[]): Float64Array {
  const d = shape.length;
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Float64Array(n * d);
  if (d === 2) {
    const [nr, nc] = shape;
    let o = 0;
    for (let r = 0; r < nr; r++) {
      for (let c = 0; c < nc; c++, o += 2) {
        out[o] = G[0] * r + G[1] * c + G[2];
        out[o + 1] = G[3] * r + G[4] * c + G[5];
      }
    }
    return out;
  }
  const [ns, nr, nc] = shape;
  let o = 0;
  for (let k = 0; k < ns; k++) {
    for (let r = 0; r < nr; r++) {
      for (let c = 0; c < nc; c++, o += 3) {
        out[o] = G[0] * k + G[1] * r + G[2] * c + G[3];
        out[o + 1] = G[4] * k + G[5] * r + G[6] * c + G[7];
        out[o + 2] = G[8] * k + G[9] * r + G[10] * c + G[11];
      }
    }
  }
  return out;
}
