/**
 * `jacobianFigure`: a heat map of a Jacobian-determinant slice (`det J`, the local volume
 * ratio of a warp, e.g. from `jacobianDeterminant` of `@diffeo/core`) with a colour bar.
 *
 * Colour map (diverging, symmetric in `log det J`, so that halving and doubling a volume
 * are equally strong): with `[lo, hi]` the displayed range (`lo < 1 < hi`), a value `v > 0`
 * gets `t = ln v / ln hi` when `v ≥ 1` and `t = −ln v / ln lo` when `v < 1`, clipped to
 * `[−1, 1]`; `t = 0` (no change) is white, `t = 1` (expansion to `hi` or more) pure red
 * `(255, 0, 0)`, `t = −1` (contraction to `lo` or less) pure blue `(0, 0, 255)`, linearly in
 * between: `t > 0` → `(255, round(255(1−t)), round(255(1−t)))`, `t < 0` →
 * `(round(255(1+t)), round(255(1+t)), 255)`. Folded voxels (`det J ≤ 0`) and NaN are
 * black. The default range is `[1/r, r]` with `r` the largest of `max det J` and
 * `1 / min positive det J` (at least 1.01).
 *
 * Layout: the heat map (row 0 at the top, each pixel a `scale × scale` block, like the
 * other figures of this package) with its title, then to its right a vertical colour bar
 * as tall as the heat map (`hi` at the top, `lo` at the bottom) labelled with `hi`, `1` and
 * `lo`, and a black swatch labelled "folded" below it.
 */
import { InvalidArgumentError, checkOptionKeys } from '@diffeo/core';
import { GLYPH_HEIGHT, drawText, measureText } from './font.js';
import { to2D } from './input.js';
import type { ImageInput, VolumeSlice } from './input.js';
import { FIGURE_OPTION_KEYS, layoutFigure, createRgbaImage, defaultPanelScale } from './raster.js';
import type { FigureOptions, Rgb, RgbaImage } from './raster.js';

/** Options of {@link jacobianFigure}. */
export interface JacobianFigureOptions extends FigureOptions {
  /** For 3D Volume inputs: the slice to draw (default: the middle one across axis 2). */
  readonly slice?: VolumeSlice;
  /** Title above the heat map. Default `'det J'`. */
  readonly title?: string;
  /** Displayed `det J` range `[lo, hi]` with `0 < lo < 1 < hi`. Default: symmetric in log, from the data. */
  readonly range?: readonly [number, number];
  /** Width of the colour bar in output pixels. Default 16. */
  readonly barWidth?: number;
}

/** Result of {@link jacobianFigure}. */
export interface JacobianFigureResult {
  /** The figure: heat map, title and colour bar. */
  readonly figure: RgbaImage;
  /** The heat map alone, one pixel per voxel (`cols` wide, `rows` tall). */
  readonly heatMap: RgbaImage;
  /** The `det J` range the colours span. */
  readonly range: readonly [number, number];
}

/** The colour of `det J = v` for the range `[lo, hi]` (see the module documentation). */
export function jacobianColor(v: number, lo: number, hi: number): Rgb {
  if (!(v > 0)) return [0, 0, 0];
  let t = v >= 1 ? Math.log(v) / Math.log(hi) : -Math.log(v) / Math.log(lo);
  if (t > 1) t = 1;
  if (t < -1) t = -1;
  if (t >= 0) {
    const c = Math.round(255 * (1 - t));
    return [255, c, c];
  }
  const c = Math.round(255 * (1 + t));
  return [c, c, 255];
}

function positiveInt(v: number | undefined, fallback: number, min: number): number {
  if (v === undefined || !Number.isFinite(v)) return fallback;
  return Math.max(min, Math.floor(v));
}

function fillRect(img: RgbaImage, x0: number, y0: number, w: number, h: number, rgb: Rgb): void {
  for (let y = Math.max(0, y0); y < Math.min(img.height, y0 + h); y++) {
    for (let x = Math.max(0, x0); x < Math.min(img.width, x0 + w); x++) {
      const q = (y * img.width + x) * 4;
      img.data[q] = rgb[0];
      img.data[q + 1] = rgb[1];
      img.data[q + 2] = rgb[2];
      img.data[q + 3] = 255;
    }
  }
}

function label(v: number): string {
  return v >= 100 || v < 0.01 ? v.toExponential(1) : v.toPrecision(3);
}

/**
 * Draws a `det J` slice as a heat map with a colour bar (see the module documentation).
 * @param detJ - `[rows, cols]` plain `det J` values (dimensionless; not the log), any numeric type;
 *   or a core `Volume` of them (3D: the slice `options.slice`, by default the middle one across axis 2).
 * @param options - title, range, colour-bar width and figure layout ({@link FigureOptions}).
 * @throws {InvalidArgumentError} for a range that is not `0 < lo < 1 < hi`;
 *   {@link DimensionError} when the input is not 2D.
 */
export function jacobianFigure(detJ: ImageInput, options: JacobianFigureOptions = {}): JacobianFigureResult {
  checkOptionKeys(options, [...FIGURE_OPTION_KEYS, 'title', 'range', 'barWidth', 'slice'], 'jacobianFigure options');
  const img = to2D(detJ, 'detJ', options.slice);
  const { rows, cols, data } = img;
  let lo: number, hi: number;
  if (options.range !== undefined) {
    [lo, hi] = options.range;
    if (!(lo > 0 && lo < 1 && hi > 1 && Number.isFinite(hi))) {
      throw new InvalidArgumentError(`range must be [lo, hi] with 0 < lo < 1 < hi; got [${lo}, ${hi}].`);
    }
  } else {
    let r = 1.01;
    for (let i = 0; i < data.length; i++) {
      const v = data[i];
      if (!(v > 0) || !Number.isFinite(v)) continue;
      r = Math.max(r, v, 1 / v);
    }
    lo = 1 / r;
    hi = r;
  }
  const heatMap = createRgbaImage(cols, rows);
  for (let i = 0; i < rows * cols; i++) {
    const c = jacobianColor(data[i], lo, hi);
    heatMap.data[4 * i] = c[0];
    heatMap.data[4 * i + 1] = c[1];
    heatMap.data[4 * i + 2] = c[2];
  }
  const title = options.title ?? 'det J';
  const base = layoutFigure([{ image: heatMap, title }], options);

  // Geometry of the heat map inside `base`, as composeFigure lays it out.
  const s = positiveInt(options.scale, defaultPanelScale(Math.max(rows, cols)), 1);
  const fs = positiveInt(options.fontScale, 2, 1);
  const margin = positiveInt(options.margin, 10, 0);
  const gap = positiveInt(options.gap, 16, 0);
  const titleGap = positiveInt(options.titleGap, 6, 0);
  const band = title.length > 0 ? GLYPH_HEIGHT * fs + titleGap : 0;
  const barW = positiveInt(options.barWidth, 16, 1);
  const top = margin + band;
  const barH = Math.max(rows * s, 3);
  const labels = [label(hi), '1', label(lo), 'folded'];
  let labelW = 0;
  for (const l of labels) labelW = Math.max(labelW, measureText(l, fs).width);
  const swatchGap = GLYPH_HEIGHT * fs;
  const x0 = base.width - margin + gap; // the bar's left edge
  const width = x0 + barW + 4 + labelW + margin;
  const height = Math.max(base.height, top + barH + swatchGap + barW + margin);
  const bg = options.background ?? [255, 255, 255];
  const fg = options.textColor ?? [0, 0, 0];
  const figure = createRgbaImage(width, height, bg);
  for (let y = 0; y < base.height; y++) {
    figure.data.set(base.data.subarray(y * base.width * 4, (y + 1) * base.width * 4), y * width * 4);
  }
  // the bar: row y shows the value at t = 1 − 2y/(barH − 1), i.e. hi at the top, lo at the bottom
  for (let y = 0; y < barH; y++) {
    const t = 1 - (2 * y) / (barH - 1);
    const v = t >= 0 ? Math.exp(t * Math.log(hi)) : Math.exp(-t * Math.log(lo));
    fillRect(figure, x0, top + y, barW, 1, jacobianColor(v, lo, hi));
  }
  const lx = x0 + barW + 4;
  const th = GLYPH_HEIGHT * fs;
  drawText(figure, labels[0], lx, top, fs, fg);
  drawText(figure, labels[1], lx, top + Math.floor((barH - th) / 2), fs, fg);
  drawText(figure, labels[2], lx, top + barH - th, fs, fg);
  const sy = top + barH + swatchGap;
  fillRect(figure, x0, sy, barW, barW, [0, 0, 0]);
  drawText(figure, labels[3], lx, sy + Math.floor((barW - th) / 2), fs, fg);
  return { figure, heatMap, range: [lo, hi] };
}
