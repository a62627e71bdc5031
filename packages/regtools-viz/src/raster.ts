/**
 * RGBA rasters and the figure layout used by the regtools plots.
 *
 * A raster is row-major with row 0 at the top (as matplotlib's `imshow` shows an
 * array by default, and as DIPY's regtools figures show images): array element
 * `(row, col)` of a 2D image becomes raster pixel `(x = col, y = row)`. Channel
 * order is R, G, B, A, 8 bits each, so a raster's `data` can go straight into a
 * browser `ImageData` or a PNG encoder.
 *
 * A figure is a row of panels, each with an optional title above it, on a white
 * background: the layout of DIPY's `_tile_plot` (axes hidden) without matplotlib's
 * resampling. Panels are enlarged by an integer factor with nearest-neighbour
 * replication, so each array element stays a crisp block of pixels.
 */
import { checkOptionKeys } from '@diffeo/core';
import { GLYPH_HEIGHT, drawText, measureText } from './font.js';

/** The keys of {@link FigureOptions} (the layout options every figure takes). */
export const FIGURE_OPTION_KEYS = ['scale', 'fontScale', 'margin', 'gap', 'titleGap', 'background', 'textColor'] as const;

/**
 * An 8-bit RGBA raster: `data[(y·width + x)·4 + c]`, `c` = 0 red, 1 green, 2 blue,
 * 3 alpha; `y` = 0 is the top row. Structurally compatible with the DOM `ImageData`.
 */
export interface RgbaImage {
  /** Width in pixels. */
  readonly width: number;
  /** Height in pixels. */
  readonly height: number;
  /** `width·height·4` bytes, row-major, top row first. */
  readonly data: Uint8ClampedArray;
}

/** An opaque colour `[r, g, b]`, each 0 to 255. */
export type Rgb = readonly [number, number, number];

/** Layout options of a composed figure (all lengths in output pixels). */
export interface FigureOptions {
  /**
   * Integer magnification of every panel (each array element becomes a
   * `scale × scale` block). Default: the smallest integer making the largest panel
   * side at least 256 pixels (1 for images of 256 pixels or more).
   */
  readonly scale?: number;
  /** Integer magnification of the 5×8 title font. Default 2. */
  readonly fontScale?: number;
  /** Blank border around the figure. Default 10. */
  readonly margin?: number;
  /** Blank space between neighbouring panels. Default 16. */
  readonly gap?: number;
  /** Blank space between a title and its panel. Default 6. */
  readonly titleGap?: number;
  /** Background colour. Default white `[255, 255, 255]`. */
  readonly background?: Rgb;
  /** Title colour. Default black `[0, 0, 0]`. */
  readonly textColor?: Rgb;
}

/** One panel of a figure: an RGBA raster and the title drawn above it (`''` = none). */
export interface FigurePanel {
  readonly image: RgbaImage;
  readonly title: string;
}

/** A new opaque raster of `width × height` pixels filled with `fill` (default white). */
export function createRgbaImage(width: number, height: number, fill: Rgb = [255, 255, 255]): RgbaImage {
  const data = new Uint8ClampedArray(width * height * 4);
  const r = fill[0], g = fill[1], b = fill[2];
  for (let p = 0; p < data.length; p += 4) {
    data[p] = r;
    data[p + 1] = g;
    data[p + 2] = b;
    data[p + 3] = 255;
  }
  return { width, height, data };
}

/**
 * Converts an interleaved uint8 RGB array of shape `[rows, cols, 3]` (C order, row 0
 * at the top) into an opaque RGBA raster `cols` wide and `rows` tall.
 */
export function rgbToRgba(rgb: Uint8Array, rows: number, cols: number): RgbaImage {
  const n = rows * cols;
  const data = new Uint8ClampedArray(n * 4);
  for (let i = 0, p = 0, q = 0; i < n; i++, p += 3, q += 4) {
    data[q] = rgb[p];
    data[q + 1] = rgb[p + 1];
    data[q + 2] = rgb[p + 2];
    data[q + 3] = 255;
  }
  return { width: cols, height: rows, data };
}

/**
 * Renders a scalar image of shape `[rows, cols]` (C order, row 0 at the top) in grey
 * levels the way matplotlib's `imshow(..., cmap=gray)` colours it with automatic
 * limits: `t = (x − min)/(max − min)`, grey level `min(255, floor(256·t))`
 * (0 = black at the minimum, 255 = white at the maximum). A constant image is
 * black. Non-finite values are ignored for the limits and drawn black.
 */
export function grayToRgba(values: ArrayLike<number>, rows: number, cols: number): RgbaImage {
  const n = rows * cols;
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const range = hi - lo;
  const data = new Uint8ClampedArray(n * 4);
  for (let i = 0, q = 0; i < n; i++, q += 4) {
    let g = 0;
    if (range > 0) {
      const t = (values[i] - lo) / range;
      if (t === t) g = t >= 1 ? 255 : t <= 0 ? 0 : Math.floor(256 * t);
    }
    data[q] = g;
    data[q + 1] = g;
    data[q + 2] = g;
    data[q + 3] = 255;
  }
  return { width: cols, height: rows, data };
}

/** Default panel magnification: the smallest integer making `maxSide·scale ≥ 256`. */
export function defaultPanelScale(maxSide: number): number {
  return Math.max(1, Math.ceil(256 / Math.max(1, maxSide)));
}

function positiveInt(v: number | undefined, fallback: number, min: number): number {
  if (v === undefined || !Number.isFinite(v)) return fallback;
  return Math.max(min, Math.floor(v));
}

/** Copies `src` into `dst` at `(x0, y0)`, each source pixel becoming an `s × s` block. */
function blitScaled(dst: RgbaImage, src: RgbaImage, x0: number, y0: number, s: number): void {
  const dw = dst.width, dd = dst.data, sd = src.data, sw = src.width;
  for (let sy = 0; sy < src.height; sy++) {
    for (let dy = 0; dy < s; dy++) {
      const y = y0 + sy * s + dy;
      if (y < 0 || y >= dst.height) continue;
      let q = (y * dw + x0) * 4;
      let p = sy * sw * 4;
      for (let sx = 0; sx < sw; sx++, p += 4) {
        const r = sd[p], g = sd[p + 1], b = sd[p + 2], a = sd[p + 3];
        for (let dx = 0; dx < s; dx++, q += 4) {
          dd[q] = r;
          dd[q + 1] = g;
          dd[q + 2] = b;
          dd[q + 3] = a;
        }
      }
    }
  }
}

/**
 * Lays panels out left to right on one row, each with its title centred above it,
 * like a `1 × n` matplotlib figure with hidden axes saved with `bbox_inches='tight'`.
 * All columns have the same width (the widest panel or title, like matplotlib's
 * equal subplot axes); panels are top-aligned and centred in their column. When
 * every title is empty no title band is reserved.
 */
export function composeFigure(panels: readonly FigurePanel[], options: FigureOptions = {}): RgbaImage {
  checkOptionKeys(options, FIGURE_OPTION_KEYS, 'composeFigure options');
  return layoutFigure(panels, options);
}

/** {@link composeFigure} without the key check, for the figures whose own options extend FigureOptions (checked by them). */
export function layoutFigure(panels: readonly FigurePanel[], options: FigureOptions): RgbaImage {
  let maxSide = 1;
  for (const p of panels) maxSide = Math.max(maxSide, p.image.width, p.image.height);
  const s = positiveInt(options.scale, defaultPanelScale(maxSide), 1);
  const fs = positiveInt(options.fontScale, 2, 1);
  const margin = positiveInt(options.margin, 10, 0);
  const gap = positiveInt(options.gap, 16, 0);
  const titleGap = positiveInt(options.titleGap, 6, 0);
  const bg = options.background ?? [255, 255, 255];
  const fg = options.textColor ?? [0, 0, 0];

  const hasTitle = panels.some((p) => p.title.length > 0);
  const band = hasTitle ? GLYPH_HEIGHT * fs + titleGap : 0;
  let cw = 0;
  for (const p of panels) cw = Math.max(cw, p.image.width * s, measureText(p.title, fs).width);
  let panelHeight = 0;
  for (const p of panels) panelHeight = Math.max(panelHeight, p.image.height * s);
  const width = 2 * margin + Math.max(0, panels.length - 1) * gap + panels.length * cw;
  const height = 2 * margin + band + panelHeight;

  const fig = createRgbaImage(width, height, bg);
  let x = margin;
  for (let i = 0; i < panels.length; i++) {
    const p = panels[i];
    const tw = measureText(p.title, fs).width;
    if (tw > 0) drawText(fig, p.title, x + Math.floor((cw - tw) / 2), margin, fs, fg);
    blitScaled(fig, p.image, x + Math.floor((cw - p.image.width * s) / 2), margin + band, s);
    x += cw + gap;
  }
  return fig;
}
