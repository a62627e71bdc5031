/**
 * Jacobian determinant, folding and inverse consistency, against independent oracles:
 * analytic fields whose world-space `det J` is known in closed form (quadratic fields,
 * for which central differences are exact inside the grid), the naive dimension-generic
 * oracle (Gaussian elimination), numpy (`numpy.gradient` + `numpy.linalg.det`, skipped
 * without /usr/bin/python3 and numpy), and constant field pairs whose inverse-consistency
 * error is known exactly.
 */
import { jacobianDeterminantNaive, mulberry32 } from '@diffeo/core/oracles';
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DiffeoError, DiffeomorphicMap, DimensionError, DtypeError, ShapeMismatchError, applyAffine, inverseConsistencyError,
  invertAffine, jacobianDeterminant, jacobianStats, mapJacobianDeterminant, qualityReport, tsKernels,
  type Affine,
} from '@diffeo/core';

/** A grid-to-world with anisotropic voxels, a rotation and a translation. */
function g2w3(): Float64Array {
  const c = Math.cos(0.3), s = Math.sin(0.3);
  const sp = [1.5, 0.75, 1.25];
  // rotation about world axis 2, columns scaled by the spacing
  const R = [[c, -s, 0], [s, c, 0], [0, 0, 1]];
  const m = new Float64Array(16);
  for (let r = 0; r < 3; r++) for (let k = 0; k < 3; k++) m[r * 4 + k] = R[r][k] * sp[k];
  m[3] = -4; m[7] = 2.5; m[11] = 10;
  m[15] = 1;
  return m;
}

function g2w2(): Float64Array {
  const c = Math.cos(-0.4), s = Math.sin(-0.4);
  return new Float64Array([c * 2, -s * 0.5, 3, s * 2, c * 0.5, -1, 0, 0, 1]);
}

/** World point of each voxel (C order). */
function worldPoints(shape: number[], M: Affine): Float64Array {
  const d = shape.length;
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Float64Array(n * d);
  const idx = new Array<number>(d).fill(0);
  const w = new Float64Array(3);
  for (let v = 0; v < n; v++) {
    let rest = v;
    for (let k = d - 1; k >= 0; k--) { idx[k] = rest % shape[k]; rest = Math.floor(rest / shape[k]); }
    applyAffine(M, idx, 1, w, d as 2 | 3);
    for (let k = 0; k < d; k++) out[v * d + k] = w[k];
  }
  return out;
}

/** Whether voxel `v` is at least one voxel away from every edge (central differences on every axis). */
function interior(v: number, shape: number[]): boolean {
  let rest = v;
  for (let k = shape.length - 1; k >= 0; k--) {
    const i = rest % shape[k];
    rest = Math.floor(rest / shape[k]);
    if (i === 0 || i === shape[k] - 1) return false;
  }
  return true;
}

describe('jacobianDeterminant: analytic fields', () => {
  it('3D quadratic field on a rotated anisotropic grid: closed-form det J inside, folding counted', () => {
    const shape = [7, 9, 8];
    const M = g2w3();
    const x = worldPoints(shape, M);
    // u(x) = (a·x1², b·x0·x2, c·x2 + e·x0): J = I + [[0, 2a·x1, 0], [b·x2, 0, b·x0], [e, 0, c]],
    // det J = (1 + c) − 2a·x1·(b·x2·(1 + c) − b·x0·e).
    const a = 0.1, b = 0.2, c = 0.1, e = 0.05;
    const n = x.length / 3;
    const field = new Float32Array(n * 3);
    for (let v = 0; v < n; v++) {
      const x0 = x[3 * v], x1 = x[3 * v + 1], x2 = x[3 * v + 2];
      field[3 * v] = a * x1 * x1;
      field[3 * v + 1] = b * x0 * x2;
      field[3 * v + 2] = c * x2 + e * x0;
    }
    const det = jacobianDeterminant({ data: field, shape: shape as [number, number, number], gridToWorld: M });
    expect(det.shape).toEqual(shape);
    expect(det.gridToWorld).toEqual(M);
    let checked = 0, expectFolded = 0;
    for (let v = 0; v < n; v++) {
      const x0 = x[3 * v], x1 = x[3 * v + 1], x2 = x[3 * v + 2];
      const exact = (1 + c) - 2 * a * x1 * (b * x2 * (1 + c) - b * x0 * e);
      if (interior(v, shape)) {
        // float32 field values: a relative error of ~1e-7 of |u| per difference
        expect(Math.abs(det.data[v] - exact)).toBeLessThan(2e-4 * Math.max(1, Math.abs(exact)));
        checked++;
        if (exact <= 0) expectFolded++;
      }
    }
    expect(checked).toBe(5 * 7 * 6);
    const stats = jacobianStats(det.data);
    expect(stats.voxels).toBe(n);
    // the chosen field folds somewhere inside (det J changes sign across the grid)
    expect(expectFolded).toBeGreaterThan(0);
    let foldedInside = 0;
    for (let v = 0; v < n; v++) if (interior(v, shape) && det.data[v] <= 0) foldedInside++;
    expect(foldedInside).toBe(expectFolded);
    expect(stats.foldedVoxels).toBeGreaterThanOrEqual(foldedInside);
  });

  it('linear fields are exact everywhere (edges too): det J = det(I + A)', () => {
    const shape = [6, 5];
    const M = g2w2();
    const x = worldPoints(shape, M);
    const A = [[0.2, -0.3], [0.1, 0.4]];
    const n = x.length / 2;
    const field = new Float32Array(n * 2);
    for (let v = 0; v < n; v++) {
      for (let r = 0; r < 2; r++) field[2 * v + r] = A[r][0] * x[2 * v] + A[r][1] * x[2 * v + 1] + 0.5;
    }
    const exact = (1 + A[0][0]) * (1 + A[1][1]) - A[0][1] * A[1][0];
    const det = jacobianDeterminant({ data: field, shape: shape as [number, number], gridToWorld: M });
    for (let v = 0; v < n; v++) expect(Math.abs(det.data[v] - exact)).toBeLessThan(1e-5);
    const s = jacobianStats(det.data);
    expect(s.foldedVoxels).toBe(0);
    expect(Math.abs(s.meanDetJ - exact)).toBeLessThan(1e-5);
  });

  it('2D quadratic field: det J = (1 + a·x1)(1 + 2b·x1) inside; log variant is ln det J, NaN where folded', () => {
    const shape = [11, 13];
    const M = g2w2();
    const x = worldPoints(shape, M);
    const a = 0.15, b = -0.08;
    const n = x.length / 2;
    const field = new Float32Array(n * 2);
    for (let v = 0; v < n; v++) {
      const x0 = x[2 * v], x1 = x[2 * v + 1];
      field[2 * v] = a * x0 * x1;
      field[2 * v + 1] = b * x1 * x1;
    }
    const plain = jacobianDeterminant({ data: field, shape: shape as [number, number], gridToWorld: M });
    const log = jacobianDeterminant({ data: field, shape: shape as [number, number], gridToWorld: M }, { log: true });
    let positive = 0, folded = 0;
    for (let v = 0; v < n; v++) {
      if (!interior(v, shape)) continue;
      const x1 = x[2 * v + 1];
      const exact = (1 + a * x1) * (1 + 2 * b * x1);
      expect(Math.abs(plain.data[v] - exact)).toBeLessThan(1e-4 * Math.max(1, Math.abs(exact)));
      if (plain.data[v] > 0) {
        positive++;
        expect(log.data[v]).toBe(Math.fround(Math.log(plain.data[v])));
      } else {
        folded++;
        expect(log.data[v]).toBeNaN();
      }
    }
    expect(positive).toBeGreaterThan(0);
    expect(folded).toBeGreaterThan(0);
  });

  it('identity field: det J = 1, nothing folded; a zero-length axis derivative on a singleton axis', () => {
    const det = jacobianDeterminant({ data: new Float32Array(1 * 4 * 3 * 3), shape: [1, 4, 3], gridToWorld: null });
    expect(Array.from(det.data)).toEqual(new Array(12).fill(1));
    expect(jacobianStats(det.data)).toEqual({ minDetJ: 1, maxDetJ: 1, meanDetJ: 1, foldedVoxels: 0, voxels: 12 });
  });

  it('typed errors for bad input', () => {
    expect(() => jacobianDeterminant({ data: new Float32Array(6), shape: [6] as unknown as [number, number], gridToWorld: null }))
      .toThrow(DimensionError);
    expect(() => jacobianDeterminant({ data: new Float64Array(8) as unknown as Float32Array, shape: [2, 2], gridToWorld: null }))
      .toThrow(DtypeError);
    expect(() => jacobianDeterminant({ data: new Float32Array(7), shape: [2, 2], gridToWorld: null })).toThrow(ShapeMismatchError);
    expect(() => jacobianDeterminant({ data: new Float32Array(8), shape: [2, 2], gridToWorld: new Float64Array(9) }))
      .toThrow(/singular/);
  });
});

describe('jacobianDeterminant kernels vs the naive oracle', () => {
  const cases: { shape: number[]; M: Affine }[] = [
    { shape: [9, 7], M: g2w2() },
    { shape: [2, 5], M: null },
    { shape: [5, 6, 7], M: g2w3() },
    { shape: [1, 4, 5], M: null },
    { shape: [3, 2, 4], M: g2w3() },
  ];
  for (const { shape, M } of cases) {
    it(`${shape.length}D [${shape.join(', ')}], ${M ? 'rotated anisotropic grid' : 'identity grid'}`, () => {
      const r = mulberry32(shape.reduce((a, b) => a * 31 + b, 7));
      const d = shape.length;
      const n = shape.reduce((a, b) => a * b, 1);
      const field = new Float32Array(n * d);
      for (let i = 0; i < field.length; i++) field[i] = (r() - 0.5) * 1.5;
      const W = invertAffine(M);
      const out = new Float32Array(n);
      if (d === 2) tsKernels.jacobianDeterminant2d(out, field, shape as [number, number], W);
      else tsKernels.jacobianDeterminant3d(out, field, shape as [number, number, number], W);
      const ref = jacobianDeterminantNaive(field, shape, W);
      for (let v = 0; v < n; v++) expect(Math.abs(out[v] - ref[v])).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(ref[v])));
    });
  }
});

const PYTHON = '/usr/bin/python3';
function hasNumpy(): boolean {
  if (!existsSync(PYTHON)) return false;
  try {
    execFileSync(PYTHON, ['-c', 'import numpy'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const numpyAvailable = hasNumpy();

describe.skipIf(!numpyAvailable)('jacobianDeterminant vs numpy (numpy.gradient, numpy.linalg.det)', () => {
  if (!numpyAvailable) it.skip(`needs ${PYTHON} with numpy`, () => {});
  const script = `
import sys, numpy as np
path, shape, aff = sys.argv[1], [int(s) for s in sys.argv[2].split(',')], [float(s) for s in sys.argv[3].split(',')]
d = len(shape)
u = np.fromfile(path + '.field', dtype='<f4').reshape(shape + [d]).astype(np.float64)
M = np.array(aff).reshape(d + 1, d + 1)[:d, :d]
Minv = np.linalg.inv(M)
G = np.stack([np.stack(np.gradient(u[..., a]) if d > 1 else [np.gradient(u[..., a])], axis=-1) for a in range(d)], axis=-2)
J = np.eye(d) + G @ Minv
np.linalg.det(J).astype('<f8').tofile(path + '.det')
`;
  for (const shape of [[12, 10], [6, 7, 5]]) {
    it(`${shape.length}D [${shape.join(', ')}]`, () => {
      const dir = mkdtempSync(join(tmpdir(), 'diffeo-jac-'));
      try {
        const d = shape.length;
        const M = d === 2 ? g2w2() : g2w3();
        const n = shape.reduce((a, b) => a * b, 1);
        const r = mulberry32(99 + d);
        const field = new Float32Array(n * d);
        for (let i = 0; i < field.length; i++) field[i] = (r() - 0.5) * 2;
        const base = join(dir, 'case');
        writeFileSync(`${base}.field`, Buffer.from(field.buffer));
        execFileSync(PYTHON, ['-c', script, base, shape.join(','), Array.from(M).join(',')]);
        const bytes = readFileSync(`${base}.det`);
        const ref = new Float64Array(bytes.buffer, bytes.byteOffset, n);
        const det = jacobianDeterminant({ data: field, shape: shape as [number, number], gridToWorld: M });
        for (let v = 0; v < n; v++) expect(Math.abs(det.data[v] - ref[v])).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(ref[v])));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});

describe('inverseConsistencyError and qualityReport', () => {
  function map3(shape: [number, number, number], M: Float64Array, fwd: number[], bwd: number[]): DiffeomorphicMap<3> {
    const m = new DiffeomorphicMap({ dim: 3, dispShape: shape, dispGridToWorld: M, domainShape: shape, domainGridToWorld: M,
      codomainShape: shape, codomainGridToWorld: M });
    const n = shape[0] * shape[1] * shape[2];
    const f = new Float32Array(n * 3), b = new Float32Array(n * 3);
    for (let v = 0; v < n; v++) for (let k = 0; k < 3; k++) { f[3 * v + k] = fwd[k]; b[3 * v + k] = bwd[k]; }
    m.setForwardField({ data: f, shape: [...shape, 3] });
    m.setBackwardField({ data: b, shape: [...shape, 3] });
    return m;
  }

  it('a translation and its exact inverse: zero error; a mismatch e: |e| everywhere inside', () => {
    const M = new Float64Array([2, 0, 0, 1, 0, 2, 0, -3, 0, 0, 2, 5, 0, 0, 0, 1]);
    const shape: [number, number, number] = [6, 7, 8];
    const t = [1, -2, 3]; // mm: half a voxel, a voxel, 1.5 voxels
    const exact = inverseConsistencyError(map3(shape, M, t, t.map((v) => -v)));
    // inside: 0 ≤ i + t/2 < n − 1 per axis → axis 0: i ≤ 4 (5), axis 1: 1 ≤ i ≤ 6 (6), axis 2: i ≤ 5 (6)
    expect(exact.voxels).toBe(5 * 6 * 6);
    expect(exact).toMatchObject({ mean: 0, p99: 0, max: 0 });
    const e = [0.25, 0.5, -1];
    const off = inverseConsistencyError(map3(shape, M, t, t.map((v, k) => -v + e[k])));
    const norm = Math.hypot(...e);
    expect(off.voxels).toBe(180);
    for (const s of [off.mean, off.p99, off.max]) expect(Math.abs(s - norm)).toBeLessThan(1e-6);
  });

  it('zero backward field: the error is |forward(x)|, the percentile as numpy.percentile', () => {
    const shape: [number, number, number] = [5, 6, 4];
    const M = g2w3();
    const W = invertAffine(M)!;
    const m = new DiffeomorphicMap({ dim: 3, dispShape: shape, dispGridToWorld: M });
    const n = 5 * 6 * 4;
    const r = mulberry32(5);
    const f = new Float32Array(n * 3);
    for (let i = 0; i < f.length; i++) f[i] = (r() - 0.5) * 2;
    m.setForwardField({ data: f, shape: [...shape, 3] });
    m.setBackwardField({ data: new Float32Array(n * 3), shape: [...shape, 3] });
    // oracle: voxels whose x + forward(x) lies strictly inside the grid, norms of forward there
    const norms: number[] = [];
    let v = 0;
    for (let k = 0; k < 5; k++) for (let i = 0; i < 6; i++) for (let j = 0; j < 4; j++, v++) {
      const u = [f[3 * v], f[3 * v + 1], f[3 * v + 2]];
      const g = [k, i, j].map((c, a) => c + W[a * 4] * u[0] + W[a * 4 + 1] * u[1] + W[a * 4 + 2] * u[2]);
      if (g.every((p, a) => p >= 0 && p < shape[a] - 1)) norms.push(Math.hypot(...u));
    }
    norms.sort((a, b) => a - b);
    const pos = 0.99 * (norms.length - 1), lo = Math.floor(pos);
    const p99 = norms[lo] + (norms[Math.min(lo + 1, norms.length - 1)] - norms[lo]) * (pos - lo);
    const s = inverseConsistencyError(m);
    expect(s.voxels).toBe(norms.length);
    expect(Math.abs(s.mean - norms.reduce((a, b) => a + b, 0) / norms.length)).toBeLessThan(1e-6);
    expect(Math.abs(s.max - norms[norms.length - 1])).toBeLessThan(1e-6);
    expect(Math.abs(s.p99 - p99)).toBeLessThan(1e-6);
  });

  it('qualityReport: both fields, closed-form det J of linear fields', () => {
    const shape: [number, number, number] = [4, 5, 6];
    const M = g2w3();
    const x = worldPoints([...shape], M);
    const n = 4 * 5 * 6;
    const f = new Float32Array(n * 3), b = new Float32Array(n * 3);
    // forward: u = 0.1·x (det J = 1.1³), backward: u = −x/11 (det J = (10/11)³)
    for (let i = 0; i < n * 3; i++) { f[i] = 0.1 * x[i]; b[i] = -x[i] / 11; }
    const m = new DiffeomorphicMap({ dim: 3, dispShape: shape, dispGridToWorld: M });
    m.setForwardField({ data: f, shape: [...shape, 3] });
    m.setBackwardField({ data: b, shape: [...shape, 3] });
    const rep = qualityReport(m);
    expect(Object.keys(rep)).toEqual(['forward', 'backward', 'inverseConsistencyMm']);
    expect(rep.forward.voxels).toBe(n);
    expect(rep.forward.foldedVoxels).toBe(0);
    expect(Math.abs(rep.forward.minDetJ - 1.331)).toBeLessThan(1e-5);
    expect(Math.abs(rep.forward.maxDetJ - 1.331)).toBeLessThan(1e-5);
    expect(Math.abs(rep.backward.meanDetJ - (10 / 11) ** 3)).toBeLessThan(1e-5);
    // backward(x + 0.1x) = −1.1x/11 = −0.1x: the pair is exactly inverse (up to float32 rounding)
    expect(rep.inverseConsistencyMm.max).toBeLessThan(1e-5);
    const fwdDet = mapJacobianDeterminant(m, 'forward');
    expect(fwdDet.gridToWorld).toEqual(M);
  });

  it('a map without fields is NOT_READY', () => {
    const m = new DiffeomorphicMap({ dim: 2, dispShape: [3, 3] });
    expect(() => qualityReport(m)).toThrow(DiffeoError);
  });
});
