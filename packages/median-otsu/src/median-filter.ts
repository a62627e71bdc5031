/**
 * Exact median filter over a full box window, as `scipy.ndimage.median_filter(x,
 * size=2r+1, mode='reflect')` (scipy 1.10), used `numpass` times by DIPY's `multi_median`.
 *
 * Maths: `out[v]` is the `⌊W/2⌋`-th smallest (0-based) of the `W = Π(2r_k+1)` values at
 * `v + o`, `o ∈ [−r, r]^d`, where an index outside `[0, n)` is mirrored with the edge
 * voxel repeated (scipy "reflect": `… c b a | a b c … x y z | z y x …`, applied again
 * when the window is wider than the axis). Values keep their multiplicity. The median
 * is an order statistic, so the result does not depend on the evaluation order and is
 * always one of the input values: the output has the input's dtype and is exact.
 *
 * Frames/units: grid only (array indices, C order, last index fastest); radii in voxels.
 *
 * Algorithm: every value is first replaced by an integer bin (value − min for narrow
 * integer types; the rank among the distinct values otherwise — the median commutes
 * with this order-preserving map). Then a sliding histogram runs along the longest axis:
 * moving the window by one voxel removes one (2r+1)² plane and adds another, and the
 * median pointer is moved incrementally (Huang's method), skipping whole 64-bin blocks
 * when it travels far. The bins survive all passes (the median of bins is a bin), and
 * are mapped back to values once at the end.
 */
import { DimensionError, InvalidArgumentError, NonFiniteError, ShapeMismatchError, type NumericArray } from '@diffeo/core';

/** A 2D or 3D array: C-order `data` over `shape` (voxels). */
export interface VolumeInput<T extends NumericArray = NumericArray> {
  readonly data: T;
  readonly shape: readonly number[];
}

/** Result of {@link medianFilter}: same dtype and shape as the input. */
export interface VolumeOutput<T extends NumericArray = NumericArray> {
  readonly data: T;
  readonly shape: number[];
}

/** Options of {@link medianFilter}. */
export interface MedianFilterOptions {
  /** Window half-width in voxels on every axis (window size `2·radius+1`). Default 4. */
  radius?: number;
  /** Number of successive passes (DIPY's `numpass`). Default 1. */
  numpass?: number;
}

const BLOCK_SHIFT = 6;
const BLOCK = 1 << BLOCK_SHIFT;
const BLOCK_MASK = BLOCK - 1;
/** Bin counts above which the pointer walk uses block counts. */
const BLOCKS_ABOVE = 4096;

/** Maps `p + r` (for `p ∈ [−r, n − 1 + r]`) to scipy's reflected index in `[0, n)`. */
export function reflectTable(n: number, r: number): Int32Array {
  const t = new Int32Array(n + 2 * r);
  const period = 2 * n;
  for (let q = 0; q < t.length; q++) {
    let i = (q - r) % period;
    if (i < 0) i += period;
    if (i >= n) i = period - 1 - i;
    t[q] = i;
  }
  return t;
}

/** Bin coding of the values: `bins[i]` in `[0, nbins)`, and the value of each bin. */
interface Binned {
  bins: Int32Array;
  nbins: number;
  /** Writes the values of `bins` into `out` (same dtype as the input). */
  decode(bins: Int32Array, out: NumericArray): void;
}

const MAX_DIRECT_RANGE = 1 << 20;

function binValues(data: NumericArray): Binned {
  const n = data.length;
  const bins = new Int32Array(n);
  const isInt = !(data instanceof Float32Array || data instanceof Float64Array);
  if (isInt) {
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < n; i++) {
      const v = data[i];
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    if (n === 0) {
      lo = 0;
      hi = 0;
    }
    if (hi - lo + 1 <= MAX_DIRECT_RANGE) {
      for (let i = 0; i < n; i++) bins[i] = data[i] - lo;
      return {
        bins,
        nbins: hi - lo + 1,
        decode(b, out) {
          for (let i = 0; i < b.length; i++) out[i] = b[i] + lo;
        },
      };
    }
  } else {
    for (let i = 0; i < n; i++) {
      if (data[i] !== data[i]) {
        throw new NonFiniteError(`the volume contains NaN (first at flat index ${i}); the median filter needs ordered values — replace NaNs (for example with 0) first.`);
      }
    }
  }
  // Rank coding: position among the distinct sorted values.
  const sorted = Float64Array.from(data).sort();
  let u = 0;
  for (let i = 0; i < n; i++) {
    // -0 and +0 compare equal and share a bin (they are equal for the median's comparisons).
    if (u === 0 || sorted[i] !== sorted[u - 1]) sorted[u++] = sorted[i];
  }
  const uniq = sorted.subarray(0, u);
  for (let i = 0; i < n; i++) {
    const v = data[i];
    let a = 0;
    let b = u - 1;
    while (a < b) {
      const mid = (a + b) >> 1;
      if (uniq[mid] < v) a = mid + 1;
      else b = mid;
    }
    bins[i] = a;
  }
  return {
    bins,
    nbins: Math.max(u, 1),
    decode(b, out) {
      for (let i = 0; i < b.length; i++) out[i] = uniq[b[i]];
    },
  };
}

/**
 * One median pass on bin-coded data of shape `[n0, n1, n2]` with radii `[r0, r1, r2]`.
 * `hist` (length ≥ nbins rounded up to a whole block) and `blk` must be zero on entry
 * and are zero again on exit.
 */
function medianPass(
  src: Int32Array,
  dst: Int32Array,
  shape: readonly [number, number, number],
  radii: readonly [number, number, number],
  hist: Int32Array,
  blk: Int32Array,
  useBlocks: boolean,
): void {
  const strides = [shape[1] * shape[2], shape[2], 1];
  // Slide along the longest axis (fewest window restarts).
  let L = 2;
  if (shape[1] > shape[L]) L = 1;
  if (shape[0] > shape[L]) L = 0;
  const [A, B] = L === 0 ? [1, 2] : L === 1 ? [0, 2] : [0, 1];
  const nL = shape[L], nA = shape[A], nB = shape[B];
  const rL = radii[L], rA = radii[A], rB = radii[B];
  const sL = strides[L], sA = strides[A], sB = strides[B];
  const tL = reflectTable(nL, rL);
  const tA = reflectTable(nA, rA);
  const tB = reflectTable(nB, rB);
  const wA = 2 * rA + 1;
  const wB = 2 * rB + 1;
  const wL = 2 * rL + 1;
  const planeSize = wA * wB;
  const rank = (planeSize * wL - 1) >> 1; // scipy: filter_size // 2 (W is odd)
  const off = new Int32Array(planeSize);
  let m = 0; // median pointer (a bin)
  let lt = 0; // number of window values with bin < m
  for (let a = 0; a < nA; a++) {
    for (let b = 0; b < nB; b++) {
      let k = 0;
      for (let da = 0; da < wA; da++) {
        const oa = tA[a + da] * sA;
        for (let db = 0; db < wB; db++) off[k++] = oa + tB[b + db] * sB;
      }
      // Fill the window for l = 0: planes p = −rL..rL, i.e. table entries 0..2rL.
      for (let t = 0; t < wL; t++) {
        const pl = tL[t] * sL;
        for (let q = 0; q < planeSize; q++) {
          const v = src[off[q] + pl];
          hist[v]++;
          if (useBlocks) blk[v >> BLOCK_SHIFT]++;
          lt += (v - m) >>> 31;
        }
      }
      const base = a * sA + b * sB;
      for (let l = 0; l < nL; l++) {
        // Move the pointer to the rank-th value.
        while (lt > rank) {
          if (useBlocks && (m & BLOCK_MASK) === 0 && lt - blk[(m >> BLOCK_SHIFT) - 1] > rank) {
            m -= BLOCK;
            lt -= blk[m >> BLOCK_SHIFT];
          } else {
            m--;
            lt -= hist[m];
          }
        }
        while (lt + hist[m] <= rank) {
          if (useBlocks && (m & BLOCK_MASK) === 0 && lt + blk[m >> BLOCK_SHIFT] <= rank) {
            lt += blk[m >> BLOCK_SHIFT];
            m += BLOCK;
          } else {
            lt += hist[m];
            m++;
          }
        }
        dst[base + l * sL] = m;
        if (l + 1 < nL) {
          // Remove plane p = l − rL (entry l), add plane p = l + rL + 1 (entry l + 2rL + 1).
          const po = tL[l] * sL;
          const pi = tL[l + wL] * sL;
          if (po !== pi && useBlocks) {
            for (let q = 0; q < planeSize; q++) {
              const o = off[q];
              const vo = src[o + po];
              hist[vo]--;
              blk[vo >> BLOCK_SHIFT]--;
              lt -= (vo - m) >>> 31; // branch-free (vo < m)
              const vi = src[o + pi];
              hist[vi]++;
              blk[vi >> BLOCK_SHIFT]++;
              lt += (vi - m) >>> 31;
            }
          } else if (po !== pi) {
            for (let q = 0; q < planeSize; q++) {
              const o = off[q];
              const vo = src[o + po];
              hist[vo]--;
              lt -= (vo - m) >>> 31; // branch-free (vo < m)
              const vi = src[o + pi];
              hist[vi]++;
              lt += (vi - m) >>> 31;
            }
          }
        }
      }
      // Empty the window (planes of the last position: entries nL−1 .. nL−1+2rL).
      for (let t = nL - 1; t < nL - 1 + wL; t++) {
        const pl = tL[t] * sL;
        for (let q = 0; q < planeSize; q++) {
          const v = src[off[q] + pl];
          hist[v]--;
          if (useBlocks) blk[v >> BLOCK_SHIFT]--;
          lt -= (v - m) >>> 31;
        }
      }
    }
  }
}

function checkVolume(volume: VolumeInput, what: string): [number, number, number] {
  const { data, shape } = volume;
  if (shape.length !== 2 && shape.length !== 3) {
    throw new DimensionError(`${what} must be 2D or 3D; got shape [${shape.join(', ')}].`);
  }
  let n = 1;
  for (const s of shape) {
    if (!Number.isInteger(s) || s < 1) throw new InvalidArgumentError(`${what} shape [${shape.join(', ')}] must hold positive integers.`);
    n *= s;
  }
  if (data.length !== n) {
    throw new ShapeMismatchError(`${what} has ${data.length} values but shape [${shape.join(', ')}] needs ${n}.`);
  }
  return shape.length === 2 ? [1, shape[0], shape[1]] : [shape[0], shape[1], shape[2]];
}

/**
 * Runs `numpass` passes of the exact median filter over a `(2·radius+1)` box on every
 * axis, with scipy's `reflect` boundary (DIPY's `multi_median`). The output has the
 * input's dtype and shape; every output value is one of the input values.
 *
 * @param volume - 2D `[rows, cols]` or 3D `[slices, rows, cols]` C-order data (voxels).
 * @throws DimensionError for other dimensions; ShapeMismatchError when `data` does not fit
 *   `shape`; InvalidArgumentError for a negative or non-integer radius or numpass;
 *   NonFiniteError when float data contains NaN.
 */
export function medianFilter<T extends NumericArray>(volume: VolumeInput<T>, options: MedianFilterOptions = {}): VolumeOutput<T> {
  const radius = options.radius ?? 4;
  const numpass = options.numpass ?? 1;
  if (!Number.isInteger(radius) || radius < 0) throw new InvalidArgumentError(`radius must be a non-negative integer (voxels); got ${radius}.`);
  if (!Number.isInteger(numpass) || numpass < 0) throw new InvalidArgumentError(`numpass must be a non-negative integer; got ${numpass}.`);
  const shape3 = checkVolume(volume, 'the volume');
  const radii: [number, number, number] = [volume.shape.length === 2 ? 0 : radius, radius, radius];
  const data = volume.data;
  const out = new (data.constructor as { new (n: number): T })(data.length);
  if (numpass === 0 || data.length === 0) {
    out.set(data);
    return { data: out, shape: [...volume.shape] };
  }
  const coded = binValues(data);
  let src: Int32Array = coded.bins;
  let dst: Int32Array = new Int32Array(src.length);
  const padded = (coded.nbins + BLOCK) & ~BLOCK_MASK;
  const hist = new Int32Array(padded + BLOCK);
  const blk = new Int32Array((padded >> BLOCK_SHIFT) + 1);
  // Block counts speed up long pointer walks (many bins) but cost an update per value.
  const useBlocks = coded.nbins > BLOCKS_ABOVE;
  for (let p = 0; p < numpass; p++) {
    medianPass(src, dst, shape3, radii, hist, blk, useBlocks);
    const t = src;
    src = dst;
    dst = t;
  }
  coded.decode(src, out);
  return { data: out, shape: [...volume.shape] };
}
