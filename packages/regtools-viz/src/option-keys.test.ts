/** Unknown figure option keys are refused with the nearest name (issue 11 item 12). */
import { describe, expect, it } from 'vitest';
import { DiffeomorphicMap, InvalidArgumentError } from '@diffeo/core';
import { composeFigure, createRgbaImage, jacobianFigure, overlayImages, plot2dDiffeomorphicMap } from '@diffeo/regtools-viz';

const img = { data: Float32Array.from({ length: 16 }, (_, i) => i), shape: [4, 4] };

describe('figure options reject unknown keys', () => {
  const map = new DiffeomorphicMap({ dim: 2, dispShape: [4, 4], domainShape: [4, 4], codomainShape: [4, 4] });
  map.allocate();
  const cases: Array<[string, () => unknown, RegExp]> = [
    ['composeFigure', () => composeFigure([{ image: createRgbaImage(2, 2), title: 'a' }], { scal: 2 } as never), /scal.*scale/],
    ['jacobianFigure', () => jacobianFigure(img, { titel: 'x' } as never), /titel.*title/],
    ['overlayImages', () => overlayImages(img, img, { title2: 'x' } as never), /title2.*title/],
    ['plot2dDiffeomorphicMap', () => plot2dDiffeomorphicMap(map, { delt: 2 } as never), /delt.*delta/],
  ];
  for (const [name, f, re] of cases) {
    it(name, () => {
      expect(f).toThrow(InvalidArgumentError);
      expect(f).toThrow(re);
    });
  }

  it('the shared layout keys still pass through the figures', () => {
    expect(() => jacobianFigure(img, { title: 'det J', scale: 2, margin: 3 })).not.toThrow();
    expect(() => overlayImages(img, img, { title0: 'a', title1: 'b', gap: 2 })).not.toThrow();
  });
});
