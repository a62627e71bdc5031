/**
 * The det J heat map: colours checked against the documented colour map (white at 1, pure
 * red at the top of the range, pure blue at the bottom, black where folded), the colour
 * bar's ends and layout, and a PNG round trip (decoded with fast-png).
 */
import { describe, expect, it } from 'vitest';
import { decode } from 'fast-png';
import { InvalidArgumentError } from '@diffeo/core';
import { encodePng, jacobianColor, jacobianFigure, type RgbaImage } from '@diffeo/regtools-viz';

const px = (img: RgbaImage, x: number, y: number): number[] => Array.from(img.data.subarray((y * img.width + x) * 4, (y * img.width + x) * 4 + 4));

describe('jacobianFigure', () => {
  it('colours: 1 white, hi red, lo blue, halfway in log half-saturated, folded and NaN black', () => {
    expect(jacobianColor(1, 0.5, 2)).toEqual([255, 255, 255]);
    expect(jacobianColor(2, 0.5, 2)).toEqual([255, 0, 0]);
    expect(jacobianColor(5, 0.5, 2)).toEqual([255, 0, 0]);
    expect(jacobianColor(0.5, 0.5, 2)).toEqual([0, 0, 255]);
    expect(jacobianColor(2 ** 0.25, 0.5, 2)).toEqual([255, 191, 191]); // t = 0.25: round(255·0.75)
    expect(jacobianColor(2 ** -0.75, 0.5, 2)).toEqual([64, 64, 255]); // t = −0.75: round(255·0.25)
    expect(jacobianColor(0, 0.5, 2)).toEqual([0, 0, 0]);
    expect(jacobianColor(-0.3, 0.5, 2)).toEqual([0, 0, 0]);
    expect(jacobianColor(NaN, 0.5, 2)).toEqual([0, 0, 0]);
  });

  it('draws the heat map and a colour bar (hi at the top, lo at the bottom), and encodes to PNG', () => {
    // a 3×4 slice: identity, expansion, contraction, a fold
    const det = new Float32Array([1, 1, 2, 4, 1, 0.5, 0.25, 1, -0.1, 1, 1, 1]);
    const { figure, heatMap, range } = jacobianFigure({ data: det, shape: [3, 4] }, { scale: 10, margin: 10, gap: 16, title: '' });
    expect(range).toEqual([0.25, 4]); // symmetric in log from the data: max(4, 1/0.25)
    expect(heatMap.width).toBe(4);
    expect(heatMap.height).toBe(3);
    expect(px(heatMap, 0, 0)).toEqual([255, 255, 255, 255]);
    expect(px(heatMap, 3, 0)).toEqual([255, 0, 0, 255]); // det J 4 = hi
    expect(px(heatMap, 2, 1)).toEqual([0, 0, 255, 255]); // det J 0.25 = lo
    expect(px(heatMap, 1, 1)).toEqual([128, 128, 255, 255]); // det J 0.5: t = −0.5
    expect(px(heatMap, 0, 2)).toEqual([0, 0, 0, 255]); // folded
    // no title: the panel starts at (margin, margin); the bar at margin + 40 + gap
    const top = 10;
    expect(px(figure, 10 + 35, top + 5)).toEqual([255, 0, 0, 255]); // heat map pixel (3, 0), scaled ×10
    const barX = 10 + 40 + 16;
    expect(px(figure, barX + 2, top)).toEqual([255, 0, 0, 255]); // hi at the top
    expect(px(figure, barX + 2, top + 29)).toEqual([0, 0, 255, 255]); // lo at the bottom (bar as tall as the map: 30 px)
    for (const c of px(figure, barX + 2, top + 15)) expect(c).toBeGreaterThan(230); // mid-bar, near det J 1: nearly white
    expect(figure.width).toBeGreaterThan(barX + 16);
    const back = decode(encodePng(figure));
    expect(back.width).toBe(figure.width);
    expect(Buffer.from(back.data.buffer, back.data.byteOffset, back.data.byteLength).equals(Buffer.from(figure.data))).toBe(true);
  });

  it('a fixed range, and typed errors for a bad one', () => {
    const { heatMap } = jacobianFigure({ data: [1.5, 3], shape: [1, 2] }, { range: [0.5, 1.5], title: '' });
    expect(px(heatMap, 0, 0)).toEqual([255, 0, 0, 255]);
    expect(px(heatMap, 1, 0)).toEqual([255, 0, 0, 255]);
    expect(() => jacobianFigure({ data: [1], shape: [1, 1] }, { range: [1, 2] })).toThrow(InvalidArgumentError);
    expect(() => jacobianFigure({ data: [1], shape: [1, 1] }, { range: [0.5, 0.9] })).toThrow(InvalidArgumentError);
  });
});
