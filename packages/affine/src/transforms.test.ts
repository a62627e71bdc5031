import { describe, expect, it } from 'vitest';
import { getTransform, TRANSFORM_NAMES, type TransformName } from './transforms.js';
import { fixtureArray, fixtureCase } from './fixtures.test-util.js';

function close(a: ArrayLike<number>, b: ArrayLike<number>, tol: number): void {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(b[i])));
}

describe('transforms vs DIPY 1.6 regtransforms', () => {
  for (const dim of [2, 3] as const) {
    for (const name of TRANSFORM_NAMES) {
      it(`${name} ${dim}D: identity, paramToMatrix, jacobian`, () => {
        const c = `transform_${name}_${dim}d`;
        const t = getTransform(name, dim);
        expect(Array.from(t.identityParameters())).toEqual(fixtureCase(c).values.identity);
        const theta = fixtureArray(c, 'theta'), x = fixtureArray(c, 'x');
        const mats = fixtureArray(c, 'matrix'), jacs = fixtureArray(c, 'jacobian');
        const n = t.numberOfParameters, k = theta.shape[0], m = (dim + 1) ** 2;
        expect(theta.shape[1]).toBe(n);
        for (let s = 0; s < k; s++) {
          const th = theta.data.subarray(s * n, (s + 1) * n);
          close(t.paramToMatrix(th), mats.data.subarray(s * m, (s + 1) * m), 1e-12);
          close(t.jacobian(th, x.data.subarray(s * dim, (s + 1) * dim)), jacs.data.subarray(s * dim * n, (s + 1) * dim * n), 1e-12);
        }
      });
    }
  }

  it('Jacobians agree with central finite differences of paramToMatrix', () => {
    for (const dim of [2, 3] as const) {
      for (const name of TRANSFORM_NAMES) {
        const t = getTransform(name, dim);
        const n = t.numberOfParameters, m = dim + 1;
        const theta = Float64Array.from(t.identityParameters(), (v, i) => v + 0.1 * Math.sin(i + 1));
        const x = dim === 2 ? [3.5, -2.25] : [3.5, -2.25, 1.75];
        const J = t.jacobian(theta, x);
        const h = 1e-6;
        for (let k = 0; k < n; k++) {
          const tp = theta.slice(), tm = theta.slice();
          tp[k] += h; tm[k] -= h;
          const Ap = t.paramToMatrix(tp), Am = t.paramToMatrix(tm);
          for (let i = 0; i < dim; i++) {
            let yp = Ap[i * m + dim], ym = Am[i * m + dim];
            for (let j = 0; j < dim; j++) { yp += Ap[i * m + j] * x[j]; ym += Am[i * m + j] * x[j]; }
            const fd = (yp - ym) / (2 * h);
            expect(Math.abs(J[i * n + k] - fd)).toBeLessThan(1e-6);
          }
        }
      }
    }
  });

  it('rejects unknown names and wrong parameter counts', () => {
    expect(() => getTransform('shear' as TransformName, 2)).toThrow(/unknown transform 'shear'/);
    expect(() => getTransform('rigid', 2).paramToMatrix([1, 2])).toThrow(/takes 3 parameters/);
  });
});
