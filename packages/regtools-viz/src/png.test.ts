import { describe, expect, it } from 'vitest';
import { decode } from 'fast-png';
import { InvalidArgumentError } from '@diffeo/core';
import { createRgbaImage, drawText, encodePng, measureText, overlayImages } from '@diffeo/regtools-viz';

describe('encodePng', () => {
  it('round-trips an RGBA figure pixel for pixel', () => {
    const img0 = { data: Float32Array.from({ length: 40 * 30 }, (_, i) => Math.sin(i / 7)), shape: [40, 30] };
    const img1 = { data: Float32Array.from({ length: 40 * 30 }, (_, i) => Math.cos(i / 5)), shape: [40, 30] };
    const { figure } = overlayImages(img0, img1, { title0: 'Static', titleMid: 'Overlay', title1: 'Moving' });
    const bytes = encodePng(figure);
    expect(Array.from(bytes.subarray(0, 8))).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const back = decode(bytes);
    expect(back.width).toBe(figure.width);
    expect(back.height).toBe(figure.height);
    expect(back.channels).toBe(4);
    expect(back.depth).toBe(8);
    expect(Buffer.from(back.data.buffer, back.data.byteOffset, back.data.byteLength).equals(Buffer.from(figure.data))).toBe(true);
  });

  it('rejects inconsistent sizes', () => {
    expect(() => encodePng({ width: 2, height: 2, data: new Uint8ClampedArray(15) })).toThrow(InvalidArgumentError);
    expect(() => encodePng({ width: 0, height: 2, data: new Uint8ClampedArray(0) })).toThrow(InvalidArgumentError);
  });
});

describe('bitmap font', () => {
  it('measures text as 6 px per character minus the trailing blank column, 8 px tall', () => {
    expect(measureText('Abc', 1)).toEqual({ width: 17, height: 8 });
    expect(measureText('Abc', 2)).toEqual({ width: 34, height: 16 });
    expect(measureText('', 3)).toEqual({ width: 0, height: 0 });
  });

  it('draws the glyph "I" (.###. / ..#.. ×5 / .###.) at the requested position', () => {
    const img = createRgbaImage(7, 9);
    drawText(img, 'I', 1, 1);
    const art = ['.###.', '..#..', '..#..', '..#..', '..#..', '..#..', '.###.', '.....'];
    for (let r = 0; r < 8; r++) {
      for (let c = 0; c < 5; c++) {
        const v = img.data[((1 + r) * 7 + 1 + c) * 4];
        expect(v === 0 ? '#' : '.').toBe(art[r][c]);
      }
    }
  });
});
