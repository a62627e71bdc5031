/**
 * `overlayImages`: DIPY's `dipy.viz.regtools.overlay_images` (docs/algorithm.md §7.1).
 *
 * Each image is min-max normalised to [0, 255] on its own,
 *   `n(x) = 255 · ((x − min) / (max − min))`,
 * evaluated in the input's floating type exactly as NumPy 1.24 does it (float32
 * input: float32 arithmetic, every operation rounded to float32; float64 input:
 * double arithmetic; integer input: the subtraction is exact and the rest is double),
 * then stored in uint8 by truncation toward zero (23.9 → 23). The three panels
 * are RGB images of shape `[rows, cols, 3]`: left = first image in red, middle =
 * first image in red plus second image in green (blue 0), right = second image in
 * green. Images are pixel grids without world geometry: row 0 is drawn at the top.
 */
import { NonFiniteError, ShapeMismatchError, checkOptionKeys } from '@diffeo/core';
import type { NumericArray } from '@diffeo/core';
import { to2D } from './input.js';
import type { Contiguous2D, ImageInput, VolumeSlice } from './input.js';
import { FIGURE_OPTION_KEYS, layoutFigure, rgbToRgba } from './raster.js';
import type { FigureOptions, RgbaImage } from './raster.js';

/** Titles of the three overlay panels (DIPY's `title0`, `title_mid`, `title1`); default `''` (no title). */
export interface OverlayOptions extends FigureOptions {
  /** For 3D Volume inputs: the slice to draw (default: the middle one across axis 2). */
  readonly slice?: VolumeSlice;
  /** Title above the left panel (first image, red). */
  readonly title0?: string;
  /** Title above the middle panel (overlay). */
  readonly titleMid?: string;
  /** Title above the right panel (second image, green). */
  readonly title1?: string;
}

/** Result of {@link overlayImages}. */
export interface OverlayResult {
  /**
   * The middle (overlay) panel as DIPY builds it: uint8, shape `[rows, cols, 3]`,
   * C order, channel 0 = normalised first image, 1 = normalised second image, 2 = 0.
   */
  readonly rgb: Uint8Array;
  /** Shape of {@link OverlayResult.rgb}: `[rows, cols, 3]`. */
  readonly shape: readonly [number, number, 3];
  /** The three-panel figure (first image in red, overlay, second image in green) with titles. */
  readonly figure: RgbaImage;
}

function checkFinite(data: NumericArray, what: string): void {
  if (!(data instanceof Float32Array || data instanceof Float64Array)) return;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v - v !== 0) {
      throw new NonFiniteError(`${what} has a non-finite value (${v}) at flat index ${i}; min-max normalisation needs finite values.`);
    }
  }
}

/**
 * Min-max normalises `img` to uint8 as DIPY's `overlay_images` does and writes the
 * results into `out[offset + i·stride]` for flat pixel index `i`.
 */
function normaliseInto(img: Contiguous2D, out: Uint8Array, offset: number, stride: number): void {
  const x = img.data;
  const n = x.length;
  let mn = x[0], mx = x[0];
  for (let i = 1; i < n; i++) {
    const v = x[i];
    if (v < mn) mn = v;
    if (v > mx) mx = v;
  }
  const f = Math.fround;
  // A constant image gives 0/0 = NaN in DIPY, which NumPy casts to 0 on x86-64;
  // `NaN | 0` is 0 as well, so no special case is needed.
  if (x instanceof Float32Array) {
    const range = f(mx - mn);
    for (let i = 0, o = offset; i < n; i++, o += stride) out[o] = f(255 * f(f(x[i] - mn) / range)) | 0;
  } else {
    const range = mx - mn;
    for (let i = 0, o = offset; i < n; i++, o += stride) out[o] = (255 * ((x[i] - mn) / range)) | 0;
  }
}

/**
 * Min-max normalises a 2D image to [0, 255] and truncates it to uint8, exactly as
 * DIPY's `overlay_images` does before colouring (see the module header for the
 * arithmetic). Returns a `Uint8Array` of `rows·cols` values in C order.
 *
 * Divergence from DIPY: for signed integer inputs whose range exceeds the type
 * (for example int8 from −100 to 100) NumPy's `x − min` wraps around and DIPY's
 * result is garbage; here the subtraction is exact.
 * @throws {NonFiniteError} for NaN or infinite values; see also {@link overlayImages}.
 */
export function normalizeToUint8(img: ImageInput, slice?: VolumeSlice): Uint8Array {
  const c = to2D(img, 'image', slice);
  checkFinite(c.data, 'image');
  const out = new Uint8Array(c.rows * c.cols);
  normaliseInto(c, out, 0, 1);
  return out;
}

/**
 * DIPY's `overlay_images(img0, img1, title0, title_mid, title1)`: shows two
 * registered images on top of each other, `img0` in red and `img1` in green
 * (yellow where both are bright).
 *
 * @param img0 - first image, shape `[rows, cols]` (pixels; any numeric type), or a
 *   core `Volume` (3D: the slice `options.slice`, by default the middle one across axis 2),
 *   drawn in red on the left and in the red channel of the overlay.
 * @param img1 - second image, same shape, drawn in green on the right and in the
 *   green channel of the overlay.
 * @param options - panel titles and figure layout ({@link FigureOptions}).
 * @returns the overlay panel as uint8 RGB `[rows, cols, 3]` (DIPY's figure data for
 *   the middle axes) and the composed three-panel RGBA figure (row 0 at the top,
 *   as matplotlib's `imshow` shows it).
 * @throws {ShapeMismatchError} when the shapes differ; {@link DimensionError} when an
 *   image is not 2D; {@link NonFiniteError} for NaN or infinite values.
 */
export function overlayImages(img0: ImageInput, img1: ImageInput, options: OverlayOptions = {}): OverlayResult {
  checkOptionKeys(options, [...FIGURE_OPTION_KEYS, 'title0', 'titleMid', 'title1', 'slice'], 'overlayImages options');
  const a = to2D(img0, 'img0', options.slice);
  const b = to2D(img1, 'img1', options.slice);
  if (a.rows !== b.rows || a.cols !== b.cols) {
    throw new ShapeMismatchError(
      `overlayImages needs two images of the same shape; got img0 [${a.rows}, ${a.cols}] and img1 [${b.rows}, ${b.cols}]. ` +
        'Warp one image onto the grid of the other first.',
    );
  }
  checkFinite(a.data, 'img0');
  checkFinite(b.data, 'img1');
  const { rows, cols } = a;
  const n = rows * cols;
  const overlay = new Uint8Array(n * 3);
  normaliseInto(a, overlay, 0, 3);
  normaliseInto(b, overlay, 1, 3);
  const red = new Uint8Array(n * 3);
  const green = new Uint8Array(n * 3);
  for (let i = 0, p = 0; i < n; i++, p += 3) {
    red[p] = overlay[p];
    green[p + 1] = overlay[p + 1];
  }
  const figure = layoutFigure(
    [
      { image: rgbToRgba(red, rows, cols), title: options.title0 ?? '' },
      { image: rgbToRgba(overlay, rows, cols), title: options.titleMid ?? '' },
      { image: rgbToRgba(green, rows, cols), title: options.title1 ?? '' },
    ],
    options,
  );
  return { rgb: overlay, shape: [rows, cols, 3], figure };
}
