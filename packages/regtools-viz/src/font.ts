/**
 * A compact 5×8 bitmap font for printable ASCII (code points 32 to 126) and text
 * drawing onto RGBA rasters, used for figure titles.
 *
 * Each glyph is 5 pixels wide and 8 rows tall: rows 0 to 6 hold capitals, digits
 * and the x-height letters (baseline under row 6), row 7 holds descenders
 * (g, j, p, q, y, comma). Glyphs are drawn on a 6 × 9 cell (one blank column to
 * the right, one blank row below) so that consecutive characters and lines do not touch.
 *
 * Encoding of {@link GLYPHS_HEX}: 10 hexadecimal digits (40 bits) per glyph, in
 * code-point order from the space; the 40 bits are the 8 rows top to bottom, 5 bits
 * per row, most significant bit = leftmost pixel. The glyph shapes were drawn for
 * this project.
 *
 * Coordinates are raster pixels: x to the right, y downwards, origin at the
 * top-left corner of the image.
 */
import type { RgbaImage } from './raster.js';

/** Glyph width in font pixels. */
export const GLYPH_WIDTH = 5;
/** Glyph height in font pixels (7 rows above the baseline plus 1 descender row). */
export const GLYPH_HEIGHT = 8;
/** Horizontal advance of one character in font pixels (glyph plus a blank column). */
export const GLYPH_ADVANCE = 6;
/** Line height in font pixels (glyph plus a blank row). */
export const LINE_HEIGHT = 9;

const FIRST_CODE = 32;
const LAST_CODE = 126;

/** The glyph bitmaps (see the module header for the encoding). */
const GLYPHS_HEX =
  '00000000002108420080529400000052beafa94023e8e2f880c644444c6064a88ac9a02110000000' +
  '11108410404104211100012aea90000109f2100000000030880001f0000000000031800044444000' +
  '74675cc5c023084211c074422223e0f88820c5c011952f8840fc3c10c5c03221e8c5c0f844442100' +
  '7462e8c5c07462f08980031806300003180611001111041040003e0f800041041111007442220080' +
  '7442dad5c07463f8c620f463e8c7c074610845c0e4a318cb80fc21e843e0fc21e84200746178c5e0' +
  '8c63f8c62071084211c038842149808ca98a4a2084210843e08eeb58c6208c7359c620746318c5c0' +
  'f463e8420074631ac9a0f463ea4a207c20e087c0f9084210808c6318c5c08c6318a8808c635ad540' +
  '8c544546208c54421080f8444443e072108421c0041041040070842109c022a200000000000003e0' +
  '4104000000001c17c5e0842d98c7c0001d0845c0085b38c5e0001d1fc1c03251c42100001f18bc2e' +
  '842d98c62020184211c0100c210a4c84254c524061084211c000355ac620002d98c620001d18c5c0' +
  '003d18fa10001f18bc21002d984200001f0707c042388424c0002318cda0002318a88000231ad540' +
  '0022a22a20002318bc2e003e2223e01108821040210842108041082211000011510000';

let glyphRows: Uint8Array | null = null;

/** Row bit masks of all glyphs, `rows[(code - 32) * 8 + r]`, decoded once on first use. */
function glyphTable(): Uint8Array {
  if (glyphRows !== null) return glyphRows;
  const count = LAST_CODE - FIRST_CODE + 1;
  const rows = new Uint8Array(count * GLYPH_HEIGHT);
  for (let g = 0; g < count; g++) {
    // 40 bits do not fit a 32-bit integer: read the 10 digits as 2 × 20 bits.
    const hi = parseInt(GLYPHS_HEX.slice(g * 10, g * 10 + 5), 16);
    const lo = parseInt(GLYPHS_HEX.slice(g * 10 + 5, g * 10 + 10), 16);
    for (let r = 0; r < 4; r++) rows[g * GLYPH_HEIGHT + r] = (hi >>> (5 * (3 - r))) & 31;
    for (let r = 0; r < 4; r++) rows[g * GLYPH_HEIGHT + 4 + r] = (lo >>> (5 * (3 - r))) & 31;
  }
  glyphRows = rows;
  return rows;
}

/** Glyph index of a character; characters outside printable ASCII are drawn as `?`. */
function glyphIndex(code: number): number {
  if (code < FIRST_CODE || code > LAST_CODE) return 63 - FIRST_CODE;
  return code - FIRST_CODE;
}

/**
 * Size in raster pixels of `text` drawn on one line at integer magnification `scale`
 * (each font pixel becomes a `scale × scale` block): `(6·n − 1)·scale` wide for `n`
 * characters (no trailing blank column) and `8·scale` tall; 0 × 0 for an empty string.
 */
export function measureText(text: string, scale = 1): { width: number; height: number } {
  const n = text.length;
  if (n === 0) return { width: 0, height: 0 };
  return { width: (GLYPH_ADVANCE * n - 1) * scale, height: GLYPH_HEIGHT * scale };
}

/**
 * Draws `text` onto `img` with its top-left corner at raster pixel `(x, y)` (x to the
 * right, y down), at integer magnification `scale`, in the opaque colour `rgb`
 * (`[r, g, b]`, 0 to 255). Pixels falling outside the image are skipped. Characters
 * outside printable ASCII are drawn as `?`. Modifies `img.data` in place.
 */
export function drawText(
  img: RgbaImage,
  text: string,
  x: number,
  y: number,
  scale = 1,
  rgb: readonly [number, number, number] = [0, 0, 0],
): void {
  const rows = glyphTable();
  const { width, height, data } = img;
  const s = Math.max(1, Math.floor(scale));
  const cr = rgb[0], cg = rgb[1], cb = rgb[2];
  for (let c = 0; c < text.length; c++) {
    const g = glyphIndex(text.charCodeAt(c)) * GLYPH_HEIGHT;
    const x0 = Math.round(x) + c * GLYPH_ADVANCE * s;
    for (let r = 0; r < GLYPH_HEIGHT; r++) {
      const bits = rows[g + r];
      if (bits === 0) continue;
      for (let b = 0; b < GLYPH_WIDTH; b++) {
        if (((bits >>> (GLYPH_WIDTH - 1 - b)) & 1) === 0) continue;
        const px = x0 + b * s;
        const py = Math.round(y) + r * s;
        for (let dy = 0; dy < s; dy++) {
          const yy = py + dy;
          if (yy < 0 || yy >= height) continue;
          for (let dx = 0; dx < s; dx++) {
            const xx = px + dx;
            if (xx < 0 || xx >= width) continue;
            const p = (yy * width + xx) * 4;
            data[p] = cr;
            data[p + 1] = cg;
            data[p + 2] = cb;
            data[p + 3] = 255;
          }
        }
      }
    }
  }
}
