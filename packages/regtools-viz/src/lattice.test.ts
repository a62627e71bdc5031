import { describe, expect, it } from 'vitest';
import { DiffeomorphicMap, DimensionError, InvalidArgumentError } from '@diffeo/core';
import { drawLattice2d, plot2dDiffeomorphicMap } from '@diffeo/regtools-viz';

/** Independent oracle: 0 on rows/cols that are multiples of delta + 1, else 127; zero outside `[lim0, lim1]`. */
function expectedLattice(rows: number, cols: number, delta: number, lim0 = rows, lim1 = cols): number[] {
  const out: number[] = [];
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      if (i >= lim0 || j >= lim1) out.push(0);
      else out.push(i % (delta + 1) === 0 || j % (delta + 1) === 0 ? 0 : 127);
    }
  }
  return out;
}

describe('drawLattice2d', () => {
  it('has shape 1 + (delta+1)·n and lines every delta+1 pixels', () => {
    const { data, shape } = drawLattice2d(5, 7, 4);
    expect(shape).toEqual([26, 36]);
    expect(data).toBeInstanceOf(Float64Array);
    expect(Array.from(data)).toEqual(expectedLattice(26, 36, 4));
    // last row and column are lines
    expect(data[25 * 36 + 3]).toBe(0);
    expect(data[3 * 36 + 35]).toBe(0);
  });

  it('rejects negative or fractional arguments', () => {
    expect(() => drawLattice2d(-1, 2, 3)).toThrow(InvalidArgumentError);
    expect(() => drawLattice2d(1, 2, 1.5)).toThrow(InvalidArgumentError);
  });
});

describe('plot2dDiffeomorphicMap', () => {
  it('an identity map gives back the cropped lattices exactly', () => {
    for (const isInverse of [false, true]) {
      const map = new DiffeomorphicMap({ dim: 2, dispShape: [37, 50] });
      map.allocate();
      map.isInverse = isInverse;
      const r = plot2dDiffeomorphicMap(map, { delta: 4 });
      expect(r.forwardShape).toEqual([37, 50]);
      expect(r.backwardShape).toEqual([37, 50]);
      expect(r.warpedForward).toBeInstanceOf(Float32Array);
      expect(Array.from(r.warpedForward)).toEqual(expectedLattice(37, 50, 4));
      expect(Array.from(r.warpedBackward)).toEqual(expectedLattice(37, 50, 4));
    }
  });

  it('uses the default delta of 10 (lines at 0, 11, 22, ...)', () => {
    const map = new DiffeomorphicMap({ dim: 2, dispShape: [30, 24] });
    map.allocate();
    const r = plot2dDiffeomorphicMap(map);
    expect(Array.from(r.warpedForward)).toEqual(expectedLattice(30, 24, 10));
  });

  it('picks the direct/inverse grids from the map and zero-pads outside the sampled lattice', () => {
    // identity affines and zero fields: out[i, j] = lattice on the other grid at (i, j), 0 outside it
    const map = new DiffeomorphicMap({ dim: 2, dispShape: [20, 20], domainShape: [20, 30], codomainShape: [25, 18] });
    map.allocate();
    const r = plot2dDiffeomorphicMap(map, { delta: 3 });
    // not inverse: direct = domain [20, 30], inverse = codomain [25, 18]
    expect(r.forwardShape).toEqual([20, 30]);
    expect(r.backwardShape).toEqual([25, 18]);
    expect(Array.from(r.warpedForward)).toEqual(expectedLattice(20, 30, 3, 25, 18));
    expect(Array.from(r.warpedBackward)).toEqual(expectedLattice(25, 18, 3, 20, 30));

    map.isInverse = true;
    const s = plot2dDiffeomorphicMap(map, { delta: 3 });
    expect(s.forwardShape).toEqual([25, 18]);
    expect(s.backwardShape).toEqual([20, 30]);
  });

  it('honours explicit grid shapes and affines (a uniform 2× scaling of both grids)', () => {
    const map = new DiffeomorphicMap({ dim: 2, dispShape: [16, 16] });
    map.allocate();
    const scale2 = [[2, 0, 0], [0, 2, 0], [0, 0, 1]];
    const r = plot2dDiffeomorphicMap(map, {
      delta: 2,
      directGridShape: [16, 16], directGridToWorld: scale2,
      inverseGridShape: [16, 16], inverseGridToWorld: scale2,
    });
    // both grids have the same geometry, so the identity map maps pixel (i, j) to (i, j)
    expect(Array.from(r.warpedForward)).toEqual(expectedLattice(16, 16, 2));
    expect(Array.from(r.warpedBackward)).toEqual(expectedLattice(16, 16, 2));
  });

  it('renders a two-panel grey figure: lines black, squares white', () => {
    const map = new DiffeomorphicMap({ dim: 2, dispShape: [12, 12] });
    map.allocate();
    const { figure } = plot2dDiffeomorphicMap(map, { delta: 3, scale: 1, margin: 0, gap: 2, fontScale: 1, titleGap: 0 });
    // the titles ("Inverse transform": 17 chars → 101 px) are wider than the panels
    expect(figure.width).toBe(2 * 101 + 2);
    expect(figure.height).toBe(8 + 12);
    const x0 = Math.floor((101 - 12) / 2);
    const px = (x: number, y: number) => figure.data[(y * figure.width + x) * 4];
    expect(px(x0 + 0, 8 + 1)).toBe(0); // column 0 is a line
    expect(px(x0 + 1, 8 + 1)).toBe(255); // inside a square: maximum → white
    expect(px(x0 + 1, 8 + 4)).toBe(0); // row 4 is a line
  });

  it('rejects a 3D map and a bad delta', () => {
    const m3 = new DiffeomorphicMap({ dim: 3, dispShape: [4, 4, 4] });
    m3.allocate();
    expect(() => plot2dDiffeomorphicMap(m3)).toThrow(DimensionError);
    const m2 = new DiffeomorphicMap({ dim: 2, dispShape: [4, 4] });
    m2.allocate();
    expect(() => plot2dDiffeomorphicMap(m2, { delta: -1 })).toThrow(InvalidArgumentError);
  });
});
