/**
 * PNG encoding of RGBA rasters, in pure JavaScript (the `fast-png` encoder, which
 * compresses with `fflate`), so it runs unchanged in Node, browsers and Web Workers.
 * Output: 8-bit RGBA, non-interlaced, top row first.
 */
import { encode } from 'fast-png';
import { InvalidArgumentError } from '@diffeo/core';
import type { RgbaImage } from './raster.js';

/**
 * Encodes an RGBA raster (see {@link RgbaImage}) as a PNG file (8 bits per channel,
 * colour type RGBA) and returns the file's bytes.
 * @throws {InvalidArgumentError} when the size is not a positive integer or
 *   `data.length` is not `width·height·4`.
 */
export function encodePng(img: RgbaImage): Uint8Array {
  const { width, height, data } = img;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new InvalidArgumentError(`encodePng needs a positive integer width and height; got ${width} × ${height}.`);
  }
  if (data.length !== width * height * 4) {
    throw new InvalidArgumentError(
      `encodePng: an RGBA image of ${width} × ${height} needs ${width * height * 4} bytes of data; got ${data.length}.`,
    );
  }
  return encode({ width, height, data, channels: 4, depth: 8 });
}
