/**
 * Brain masking by median filtering and Otsu thresholding: DIPY 1.6
 * `dipy.segment.mask.median_otsu` (docs/algorithm.md §6), with scikit-image's Otsu.
 *
 * Steps, for a volume `vol` (C order, grid frame, voxels):
 * 1. `b0`: the volume itself (2D or 3D), or for 4D input the mean over the 4th axis of the
 *    volumes `volIdx` — summed one volume after the other from 0, then divided by their count;
 *    in float32 for float32 data, otherwise in double (integer data gives a float64 `b0`),
 *    as NumPy's `mean(vol[..., idx], axis=3)` does.
 * 2. `numpass` median filters over a `(2·medianRadius+1)` box, scipy `reflect` boundary,
 *    output in `b0`'s dtype ({@link medianFilter}).
 * 3. `t = otsuThreshold(filtered)`; `mask = filtered > t` (strict).
 * 4. `dilate` (3D only): that many binary dilations with the 6-connected cross; voxels
 *    outside the grid count as background. `dilate < 1` repeats until nothing changes (scipy).
 * 5. `autocrop`: crop mask and volume to the mask's bounding box (upper bounds exclusive;
 *    an empty mask crops to nothing).
 * 6. `masked = vol · mask` (broadcast over the 4th axis), in the input's dtype — so a negative
 *    float becomes −0 and a NaN stays NaN outside the mask, as in NumPy.
 */
import { DimensionError, InvalidArgumentError, ResourceLimitError, ShapeMismatchError, checkOptionKeys, type NumericArray } from '@diffeo/core';
import { medianFilter } from './median-filter.js';
import { otsuThreshold } from './otsu.js';

/** Input of {@link medianOtsu}: C-order data over `shape` (2D, 3D, or 4D with `volIdx`). */
export interface MedianOtsuInput<T extends NumericArray = NumericArray> {
  readonly data: T;
  readonly shape: readonly number[];
}

/** Options of {@link medianOtsu}, with DIPY's defaults. */
export interface MedianOtsuOptions {
  /** Median window half-width in voxels. Default 4. */
  medianRadius?: number;
  /** Number of median passes. Default 4. */
  numpass?: number;
  /** Crop the outputs to the mask's bounding box. Default `false`. */
  autocrop?: boolean;
  /** For 4D input (required then): indices along the 4th axis of the volumes averaged into `b0` (negative indices count from the end). Ignored for 2D/3D input. */
  volIdx?: readonly number[];
  /** Number of binary-dilation iterations of the mask (3D masks only); `undefined`/`null` for none. */
  dilate?: number | null;
}

/** Result of {@link medianOtsu}. */
export interface MedianOtsuResult<T extends NumericArray = NumericArray> {
  /** The input times the mask, in the input's dtype (cropped when `autocrop`). */
  readonly masked: { readonly data: T; readonly shape: number[] };
  /** The mask as 0/1 bytes over the spatial shape (cropped when `autocrop`). */
  readonly mask: { readonly data: Uint8Array; readonly shape: number[] };
  /** The Otsu threshold applied to the median-filtered `b0`. */
  readonly threshold: number;
  /** With `autocrop`: the bounding box, `[min, max)` per spatial axis (voxels). */
  readonly crop?: { readonly mins: number[]; readonly maxs: number[] };
}

function meanOfVolumes(data: NumericArray, shape: readonly number[], volIdx: readonly number[]): NumericArray {
  const nt = shape[3];
  const nv = shape[0] * shape[1] * shape[2];
  const idx = volIdx.map((i) => {
    if (!Number.isInteger(i) || i < -nt || i >= nt) {
      throw new InvalidArgumentError(`volIdx entry ${i} is out of range for a 4th axis of length ${nt} (valid: ${-nt} to ${nt - 1}).`);
    }
    return i < 0 ? i + nt : i;
  });
  const k = idx.length;
  if (data instanceof Float32Array) {
    const out = new Float32Array(nv);
    const f = Math.fround;
    for (let v = 0; v < nv; v++) {
      const b = v * nt;
      let s = 0;
      for (let j = 0; j < k; j++) s = f(s + data[b + idx[j]]);
      out[v] = f(s / k);
    }
    return out;
  }
  const out = new Float64Array(nv);
  for (let v = 0; v < nv; v++) {
    const b = v * nt;
    let s = 0;
    for (let j = 0; j < k; j++) s += data[b + idx[j]];
    out[v] = s / k;
  }
  return out;
}

/** One binary dilation with the 6-connected cross (3D), outside = background. */
function dilateOnce(src: Uint8Array, dst: Uint8Array, n0: number, n1: number, n2: number): boolean {
  const s0 = n1 * n2;
  let changed = false;
  for (let i = 0; i < n0; i++) {
    for (let j = 0; j < n1; j++) {
      let o = i * s0 + j * n2;
      for (let k = 0; k < n2; k++, o++) {
        let v = src[o];
        if (!v) {
          v =
            (k > 0 && src[o - 1]) || (k + 1 < n2 && src[o + 1]) ||
            (j > 0 && src[o - n2]) || (j + 1 < n1 && src[o + n2]) ||
            (i > 0 && src[o - s0]) || (i + 1 < n0 && src[o + s0])
              ? 1
              : 0;
          if (v) changed = true;
        }
        dst[o] = v;
      }
    }
  }
  return changed;
}

/**
 * DIPY 1.6 `median_otsu`: a brain mask from a median-filtered b0 and Otsu's threshold.
 *
 * @param volume - `{ data, shape }` in C order: 2D `[rows, cols]`, 3D `[nx, ny, nz]`
 *   (for example a NIfTI volume in nibabel order), or 4D `[nx, ny, nz, nvol]` with `volIdx`.
 * @param options - `medianRadius` (4), `numpass` (4), `autocrop` (false), `volIdx`, `dilate`.
 * @returns `masked` (input dtype), `mask` (0/1 bytes over the spatial shape), the threshold,
 *   and the crop box when `autocrop`.
 * @throws DimensionError for input that is not 2D/3D/4D, for 4D input without `volIdx`, or
 *   for `dilate` on a 2D mask; ShapeMismatchError when `data` does not fit `shape`;
 *   InvalidArgumentError for bad options; NonFiniteError when the b0 has NaN.
 */
/** Most voxel visits the median filters may cost (`n·(2r+1)^d·numpass`) before medianOtsu refuses. */
const MAX_MEDIAN_WORK = 1e12;

export function medianOtsu<T extends NumericArray>(volume: MedianOtsuInput<T>, options: MedianOtsuOptions = {}): MedianOtsuResult<T> {
  checkOptionKeys(options, ['medianRadius', 'numpass', 'autocrop', 'volIdx', 'dilate'], 'medianOtsu options');
  const { data, shape } = volume;
  const medianRadius = options.medianRadius ?? 4;
  const numpass = options.numpass ?? 4;
  const autocrop = options.autocrop ?? false;
  const dilate = options.dilate ?? null;
  const nd = shape.length;
  if (nd < 2 || nd > 4) throw new DimensionError(`median_otsu needs a 2D, 3D or 4D volume; got shape [${shape.join(', ')}].`);
  let n = 1;
  for (const s of shape) {
    if (!Number.isInteger(s) || s < 1) throw new InvalidArgumentError(`shape [${shape.join(', ')}] must hold positive integers.`);
    n *= s;
  }
  if (data.length !== n) throw new ShapeMismatchError(`the volume has ${data.length} values but shape [${shape.join(', ')}] needs ${n}.`);
  if (dilate !== null && !Number.isInteger(dilate)) throw new InvalidArgumentError(`dilate must be an integer number of iterations (or null); got ${dilate}.`);

  let b0: NumericArray;
  const spatial = shape.slice(0, Math.min(nd, 3));
  // Bound the work, n·(2r+1)^d per pass: a radius far beyond the image runs for hours.
  const work = (spatial.reduce((a, b) => a * b, 1) * (2 * medianRadius + 1) ** spatial.length) * numpass;
  if (work > MAX_MEDIAN_WORK) {
    throw new ResourceLimitError(
      `medianRadius ${medianRadius} with numpass ${numpass} on [${spatial.join(', ')}] means about ${work.toExponential(1)} voxel visits (more than ${MAX_MEDIAN_WORK.toExponential(0)}); use a radius of a few voxels (DIPY's default is 4).`,
    );
  }
  if (nd === 4) {
    if (!options.volIdx || options.volIdx.length === 0) {
      throw new DimensionError('for 4D volumes, pass volIdx: the indices of the volumes (for example the b0s) to average along the 4th axis.');
    }
    b0 = meanOfVolumes(data, shape, options.volIdx);
  } else {
    b0 = data;
  }
  const filtered = medianFilter({ data: b0, shape: spatial }, { radius: medianRadius, numpass });
  const threshold = otsuThreshold(filtered.data);
  const nv = b0.length;
  let mask = new Uint8Array(nv);
  const f = filtered.data;
  for (let i = 0; i < nv; i++) mask[i] = f[i] > threshold ? 1 : 0;

  if (dilate !== null) {
    if (spatial.length !== 3) throw new DimensionError('dilate needs a 3D mask (DIPY dilates with a 3D cross); got a 2D volume.');
    let other = new Uint8Array(nv);
    for (let it = 0; dilate < 1 || it < dilate; it++) {
      const changed = dilateOnce(mask, other, spatial[0], spatial[1], spatial[2]);
      const t = mask;
      mask = other;
      other = t;
      if (!changed) break;
    }
  }

  const nt = nd === 4 ? shape[3] : 1;
  if (!autocrop) {
    const out = new (data.constructor as { new (len: number): T })(n);
    for (let v = 0; v < nv; v++) {
      const m = mask[v];
      const b = v * nt;
      for (let t = 0; t < nt; t++) out[b + t] = data[b + t] * m;
    }
    return { masked: { data: out, shape: [...shape] }, mask: { data: mask, shape: [...spatial] }, threshold };
  }

  // Bounding box of the mask (DIPY's bounding_box; all-zero → empty box at 0).
  const ns = spatial.length;
  const mins = new Array<number>(ns).fill(Infinity);
  const maxs = new Array<number>(ns).fill(-1);
  const strides = spatial.map((_, k) => spatial.slice(k + 1).reduce((a, b) => a * b, 1));
  for (let v = 0; v < nv; v++) {
    if (!mask[v]) continue;
    for (let k = 0; k < ns; k++) {
      const c = Math.floor(v / strides[k]) % spatial[k];
      if (c < mins[k]) mins[k] = c;
      if (c > maxs[k]) maxs[k] = c;
    }
  }
  const empty = maxs[0] < 0;
  const lo = empty ? new Array<number>(ns).fill(0) : mins;
  const hi = empty ? new Array<number>(ns).fill(0) : maxs.map((x) => x + 1);
  const cshape = lo.map((l, k) => hi[k] - l);
  const cn = cshape.reduce((a, b) => a * b, 1);
  const cmask = new Uint8Array(cn);
  const cout = new (data.constructor as { new (len: number): T })(cn * nt);
  const cstrides = cshape.map((_, k) => cshape.slice(k + 1).reduce((a, b) => a * b, 1));
  for (let c = 0; c < cn; c++) {
    let v = 0;
    for (let k = 0; k < ns; k++) v += (Math.floor(c / cstrides[k]) % cshape[k] + lo[k]) * strides[k];
    const m = mask[v];
    cmask[c] = m;
    for (let t = 0; t < nt; t++) cout[c * nt + t] = data[v * nt + t] * m;
  }
  return {
    masked: { data: cout, shape: nd === 4 ? [...cshape, nt] : cshape },
    mask: { data: cmask, shape: cshape },
    threshold,
    crop: { mins: lo, maxs: hi },
  };
}
