import { describe, expect, it } from 'vitest';
import { DimensionError, NonFiniteError, ShapeMismatchError } from '@diffeo/core';
import { normalizeToUint8, overlayImages } from '@diffeo/regtools-viz';

describe('normalizeToUint8 (DIPY overlay_images normalisation)', () => {
  it('min-max normalises float64 in double and truncates toward zero', () => {
    // 255·x/3.5 = 0, 72.857…, 145.714…, 255
    const out = normalizeToUint8({ data: Float64Array.of(0, 1, 2, 3.5), shape: [2, 2] });
    expect(Array.from(out)).toEqual([0, 72, 145, 255]);
  });

  it('uses float32 arithmetic for float32 input (values checked against DIPY 1.6 / NumPy 1.24)', () => {
    // DIPY gives 40 for float32 input and 39 for the same values in float64:
    // in float32, 255·(8.3137255/53) rounds to exactly 40.
    const x = [0, 8.313725471496582, 53];
    expect(Array.from(normalizeToUint8({ data: Float32Array.from(x), shape: [1, 3] }))).toEqual([0, 40, 255]);
    expect(Array.from(normalizeToUint8({ data: Float64Array.from(x), shape: [1, 3] }))).toEqual([0, 39, 255]);
  });

  it('handles integer inputs and an offset minimum', () => {
    // (x − 100)/400·255: 0, 63.75, 127.5, 255
    const out = normalizeToUint8({ data: Uint16Array.of(100, 200, 300, 500), shape: [2, 2] });
    expect(Array.from(out)).toEqual([0, 63, 127, 255]);
    const neg = normalizeToUint8({ data: Int16Array.of(-10, 0, 10), shape: [1, 3] });
    expect(Array.from(neg)).toEqual([0, 127, 255]);
  });

  it('maps a constant image to 0 (DIPY: 0/0 → NaN → 0 on x86-64)', () => {
    expect(Array.from(normalizeToUint8({ data: new Float32Array(6).fill(3), shape: [2, 3] }))).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('reads strided views (a transposed 2×3 view of a 3×2 array)', () => {
    // base (3×2, C order): [[0,1],[2,3],[4,5]]; its transpose is [[0,2,4],[1,3,5]]
    const view = { data: Float64Array.of(0, 1, 2, 3, 4, 5), shape: [2, 3], stride: [1, 2], offset: 0 };
    const out = normalizeToUint8(view);
    expect(Array.from(out)).toEqual([0, 102, 204, 51, 153, 255]);
  });

  it('rejects non-finite values', () => {
    expect(() => normalizeToUint8({ data: Float32Array.of(0, NaN), shape: [1, 2] })).toThrow(NonFiniteError);
    expect(() => normalizeToUint8({ data: Float64Array.of(0, Infinity), shape: [1, 2] })).toThrow(NonFiniteError);
  });
});

describe('overlayImages', () => {
  const img0 = { data: Float64Array.of(0, 1, 2, 3, 4, 5), shape: [2, 3] };
  const img1 = { data: Float64Array.of(5, 4, 3, 2, 1, 0), shape: [2, 3] };
  const n0 = [0, 51, 102, 153, 204, 255];
  const n1 = [255, 204, 153, 102, 51, 0];

  it('lays out the overlay as [rows, cols, 3]: R = img0, G = img1, B = 0', () => {
    const { rgb, shape } = overlayImages(img0, img1);
    expect(shape).toEqual([2, 3, 3]);
    expect(rgb.length).toBe(18);
    for (let i = 0; i < 6; i++) {
      expect([rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2]]).toEqual([n0[i], n1[i], 0]);
    }
  });

  it('draws red, overlay and green panels left to right with row 0 at the top', () => {
    const { figure } = overlayImages(img0, img1, { scale: 1, margin: 0, gap: 0 });
    expect(figure.width).toBe(9);
    expect(figure.height).toBe(2);
    const px = (x: number, y: number) => Array.from(figure.data.subarray((y * figure.width + x) * 4, (y * figure.width + x) * 4 + 4));
    for (let r = 0; r < 2; r++) {
      for (let c = 0; c < 3; c++) {
        const i = r * 3 + c;
        expect(px(c, r)).toEqual([n0[i], 0, 0, 255]);
        expect(px(3 + c, r)).toEqual([n0[i], n1[i], 0, 255]);
        expect(px(6 + c, r)).toEqual([0, n1[i], 0, 255]);
      }
    }
  });

  it('adds a title band with dark text on a white background when titles are given', () => {
    const { figure } = overlayImages(img0, img1, { title0: 'A', titleMid: 'Mid', title1: 'B', scale: 1, margin: 4, gap: 2, fontScale: 1, titleGap: 3 });
    // band = 8 (glyph) + 3 (gap); panels start at y = 4 + 11
    expect(figure.height).toBe(4 + 11 + 2 + 4);
    let dark = 0, white = 0;
    for (let y = 0; y < 4 + 8; y++) {
      for (let x = 0; x < figure.width; x++) {
        const p = (y * figure.width + x) * 4;
        const v = figure.data[p] + figure.data[p + 1] + figure.data[p + 2];
        if (v === 0) dark++;
        else if (v === 765) white++;
      }
    }
    expect(dark).toBeGreaterThan(10);
    expect(dark + white).toBe(12 * figure.width);
  });

  it('rejects images of different shapes or dimensions', () => {
    expect(() => overlayImages(img0, { data: new Float64Array(6), shape: [3, 2] })).toThrow(ShapeMismatchError);
    expect(() => overlayImages({ data: new Float64Array(16), shape: [2, 2, 2, 2] }, img1)).toThrow(DimensionError);
  });
});

describe('figures of a core Volume', () => {
  it('a 3D Volume is drawn as its slice: the same figure as the 2D slice passed directly', () => {
    const shape = [4, 5, 6] as const;
    const a = Float32Array.from({ length: 120 }, (_, i) => Math.sin(i * 0.3) + 1);
    const b = Float32Array.from({ length: 120 }, (_, i) => Math.cos(i * 0.2) + 1);
    const g2w = new Float64Array([2, 0, 0, 0, 0, 2, 0, 0, 0, 0, 2, 0, 0, 0, 0, 1]);
    // slice across axis 1 at index 3: element (i, k) = data[(i·5 + 3)·6 + k]
    const cut = (d: Float32Array) => ({ data: Float32Array.from({ length: 24 }, (_, p) => d[(Math.floor(p / 6) * 5 + 3) * 6 + (p % 6)]), shape: [4, 6] });
    const fromVolume = overlayImages({ data: a, shape, gridToWorld: g2w }, { data: b, shape, gridToWorld: g2w }, { slice: { axis: 1, index: 3 } });
    const direct = overlayImages(cut(a), cut(b));
    expect(fromVolume.rgb).toEqual(direct.rgb);
    // default: the middle slice across the last axis
    const mid = (d: Float32Array) => ({ data: Float32Array.from({ length: 20 }, (_, p) => d[p * 6 + 3]), shape: [4, 5] });
    expect(overlayImages({ data: a, shape, gridToWorld: null }, { data: b, shape, gridToWorld: null }).rgb)
      .toEqual(overlayImages(mid(a), mid(b)).rgb);
    expect(() => overlayImages({ data: a, shape, gridToWorld: null }, { data: b, shape, gridToWorld: null }, { slice: { axis: 0, index: 4 } })).toThrow(/0 to 3/);
  });
});
