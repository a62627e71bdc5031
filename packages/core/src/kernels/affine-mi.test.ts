import {
  mulberry32, naiveAffineGradientAt, naiveAffineMIDense, naiveParzenJointGradient, naiveParzenJointPdf, naiveResampleAffineLinear, randomAffine, randomFloat32,
} from '@diffeo/core/oracles';
import { describe, expect, it } from 'vitest';
import { tsKernels, type Shape2D, type Shape3D } from '@diffeo/core';

const K = tsKernels;

function close(a: ArrayLike<number>, b: ArrayLike<number>, tol: number): void {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    if (Number.isNaN(a[i]) || Number.isNaN(b[i])) { expect(Number.isNaN(a[i])).toBe(Number.isNaN(b[i])); continue; }
    worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  }
  expect(worst).toBeLessThanOrEqual(tol);
}

describe('affine-stage kernels vs naive oracles', () => {
  it('resampleAffineLinear2d/3d: corner enumeration, zero outside, NaN coordinates give 0', () => {
    const r = mulberry32(7);
    const s2: Shape2D = [11, 13], o2: Shape2D = [9, 15];
    const img2 = Float64Array.from(randomFloat32(r, 143, -2, 2));
    const M2 = randomAffine(r, 2, 1.1, 0.3, 0.05, 2);
    const out2 = new Float64Array(135);
    K.resampleAffineLinear2d(out2, o2, img2, s2, M2);
    close(out2, naiveResampleAffineLinear(o2, img2, s2, M2), 1e-14);
    expect(out2.some((v) => v === 0) && out2.some((v) => v !== 0)).toBe(true);
    const s3: Shape3D = [5, 6, 7], o3: Shape3D = [6, 5, 8];
    const img3 = Float64Array.from(randomFloat32(r, 210, -2, 2));
    const M3 = randomAffine(r, 3, 1, 0.3, 0.05, 1.5);
    const out3 = new Float64Array(240);
    K.resampleAffineLinear3d(out3, o3, img3, s3, M3);
    close(out3, naiveResampleAffineLinear(o3, img3, s3, M3), 1e-14);
    M3[1] = Number.NaN;
    K.resampleAffineLinear3d(out3, o3, img3, s3, M3);
    expect(Array.from(out3.subarray(8))).toEqual(new Array(232).fill(0)); // every row with i > 0 has NaN coordinates
  });

  it('affineGradient2d/3d and affineGradientSparse: central differences at ±spacing/2, 0 at the border', () => {
    const r = mulberry32(8);
    for (const shape of [[12, 10], [6, 7, 5]] as const) {
      const d = shape.length as 2 | 3, n = shape.reduce((a, b) => a * b, 1);
      const img = Float64Array.from(randomFloat32(r, n, 0, 3));
      const W = randomAffine(r, d, 1, 0.2, 0.03, 0.5), A = randomAffine(r, d, 1, 0.2, 0.03, 0.5);
      const sp = d === 2 ? [1.2, 0.8] : [1, 1.3, 0.7];
      const out = new Float64Array(n * d);
      if (d === 2) K.affineGradient2d(out, shape as Shape2D, img, shape as Shape2D, W, sp, A);
      else K.affineGradient3d(out, shape as Shape3D, img, shape as Shape3D, W, sp, A);
      const pts = new Float64Array(n * d);
      for (let p = 0; p < n; p++) {
        const idx: number[] = [];
        let rest = p;
        for (let k = d - 1; k >= 0; k--) { idx[k] = rest % shape[k]; rest = Math.floor(rest / shape[k]); }
        for (let a = 0; a < d; a++) {
          let s = A[a * (d + 1) + d];
          for (let k = 0; k < d; k++) s += A[a * (d + 1) + k] * idx[k];
          pts[p * d + a] = s;
        }
      }
      const ref = naiveAffineGradientAt(pts, img, shape, W, sp);
      close(out, ref, 1e-9);
      expect(out.some((v) => v === 0) && out.some((v) => v !== 0)).toBe(true);
      const sparse = new Float64Array(n * d);
      K.affineGradientSparse(sparse, pts, img, shape as Shape2D | Shape3D, W, sp);
      close(sparse, ref, 1e-9);
    }
  });

  it('parzenJointPdf: cell-by-cell sums, normalised by count or by weight, masks', () => {
    const r = mulberry32(9);
    const n = 257, B = 12;
    const sv = Float64Array.from(randomFloat32(r, n, -1, 1)), mv = Float64Array.from(randomFloat32(r, n, -1, 1));
    const sm = Int32Array.from({ length: n }, (_, i) => (i % 7 === 0 ? 0 : 1));
    const sd = 2 / (B - 4), md = 2.2 / (B - 4);
    for (const byCount of [true, false]) {
      const joint = new Float64Array(B * B), a = new Float64Array(B), b = new Float64Array(B);
      K.parzenJointPdf(joint, a, b, sv, mv, sm, null, B, -1 / sd - 2, sd, -1.1 / md - 2, md, byCount);
      const ref = naiveParzenJointPdf(sv, mv, sm, null, B, -1 / sd - 2, sd, -1.1 / md - 2, md, byCount);
      close(joint, ref.joint, 1e-13);
      close(a, ref.smarginal, 1e-13);
      close(b, ref.mmarginal, 1e-13);
      if (!byCount) expect(joint.reduce((x, y) => x + y, 0)).toBeCloseTo(1, 12);
    }
  });

  it('parzenJointGradient: dense Jacobian product, equals the derivative of the pdf along a moving-intensity change', () => {
    const r = mulberry32(10);
    const n = 150, d = 3, B = 10, np = 4;
    const sv = Float64Array.from(randomFloat32(r, n, -1, 1)), mv = Float64Array.from(randomFloat32(r, n, -1, 1));
    const g = Float64Array.from(randomFloat32(r, n * d, -2, 2)), pts = Float64Array.from(randomFloat32(r, n * d, -5, 5));
    const jac = Float64Array.from(randomFloat32(r, (d + 1) * d * np, -1, 1));
    for (let q = 0; q < jac.length; q += 3) jac[q] = 0; // some zero coefficients
    const sd = 2 / (B - 4), md = 2 / (B - 4), smin = -1 / sd - 2, mmin = -1 / md - 2;
    const grad = new Float64Array(B * B * np);
    K.parzenJointGradient(grad, sv, mv, null, null, g, pts, jac, d, B, smin, sd, mmin, md);
    close(grad, naiveParzenJointGradient(sv, mv, null, null, g, pts, jac, d, B, smin, sd, mmin, md), 1e-12);
    // Independent check: moving each sample's moving value by ε·(J(x)ᵀ∇M)_k changes the (count-normalised)
    // joint pdf by ε·∂P/∂θ_k (the samples stay in their bins for a small ε).
    const eps = 1e-7, k = 1;
    const jg = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      for (let a = 0; a < d; a++) {
        let J = jac[a * np + k];
        for (let j = 0; j < d; j++) J += pts[i * d + j] * jac[(j + 1) * d * np + a * np + k];
        jg[i] += J * g[i * d + a];
      }
    }
    const pdf = (m: Float64Array) => naiveParzenJointPdf(sv, m, null, null, B, smin, sd, mmin, md, true).joint;
    const p1 = pdf(mv.map((v, i) => v + eps * jg[i])), p0 = pdf(mv.map((v, i) => v - eps * jg[i]));
    let worst = 0;
    for (let q = 0; q < B * B; q++) worst = Math.max(worst, Math.abs((p1[q] - p0[q]) / (2 * eps) - grad[q * np + k]));
    expect(worst).toBeLessThan(1e-6);
  });

  it('affineMIDense2d/3d: the same bits as the kernel chain, and the naive oracles', () => {
    const r = mulberry32(11);
    for (const [shape, mShape, np] of [[[14, 11], [12, 13], 6], [[7, 6, 5], [6, 8, 7], 12]] as const) {
      const d = shape.length as 2 | 3, n = shape.reduce((a, b) => a * b, 1), nm = mShape.reduce((a, b) => a * b, 1);
      const sv = Float64Array.from(randomFloat32(r, n, 0, 1)), mov = Float64Array.from(randomFloat32(r, nm, 0, 2));
      const M = randomAffine(r, d, 1, 0.2, 0.05, 1.5), A = randomAffine(r, d, 1.1, 0.2, 0.03, 1), W = randomAffine(r, d, 0.9, 0.2, 0.03, 1);
      const P = randomAffine(r, d, 1, 0.3, 0.05, 2);
      const sp = d === 2 ? [1.1, 0.9] : [1, 1.2, 0.8];
      const jac = Float64Array.from(randomFloat32(r, (d + 1) * d * np, -1, 1));
      for (let q = 0; q < jac.length; q += 4) jac[q] = 0;
      const B = 11, sd = 1 / (B - 4), md = 2 / (B - 4), smin = -2, mmin = -2;
      for (const smask of [null, Int32Array.from({ length: n }, (_, i) => (i % 5 === 0 ? 0 : 1))]) {
        for (const withGradient of [true, false]) {
          const byCount = d === 2;
          const joint = new Float64Array(B * B), a = new Float64Array(B), b = new Float64Array(B);
          const jg = withGradient ? new Float64Array(B * B * np).fill(NaN) : null;
          const fused = d === 2
            ? K.affineMIDense2d(joint, a, b, jg, sv, smask, shape as Shape2D, mov, mShape as Shape2D, M, A, W, sp, P, jac, B, smin, sd, mmin, md, byCount)
            : K.affineMIDense3d(joint, a, b, jg, sv, smask, shape as Shape3D, mov, mShape as Shape3D, M, A, W, sp, P, jac, B, smin, sd, mmin, md, byCount);
          expect(fused).toBeUndefined();
          // the chain of separate kernels
          const mv = new Float64Array(n), g = new Float64Array(n * d);
          const j2 = new Float64Array(B * B), a2 = new Float64Array(B), b2 = new Float64Array(B);
          if (d === 2) { K.resampleAffineLinear2d(mv, shape as Shape2D, mov, mShape as Shape2D, M); K.affineGradient2d(g, shape as Shape2D, mov, mShape as Shape2D, W, sp, A); }
          else { K.resampleAffineLinear3d(mv, shape as Shape3D, mov, mShape as Shape3D, M); K.affineGradient3d(g, shape as Shape3D, mov, mShape as Shape3D, W, sp, A); }
          K.parzenJointPdf(j2, a2, b2, sv, mv, smask, null, B, smin, sd, mmin, md, byCount);
          expect(Array.from(joint)).toEqual(Array.from(j2));
          expect(Array.from(a)).toEqual(Array.from(a2));
          expect(Array.from(b)).toEqual(Array.from(b2));
          const ref = naiveAffineMIDense(sv, smask, shape, mov, mShape, M, A, W, sp, P, jac, B, smin, sd, mmin, md, byCount, withGradient);
          close(joint, ref.joint, 1e-13);
          close(b, ref.mmarginal, 1e-13);
          if (!jg) continue;
          const pts = new Float64Array(n * d);
          for (let p = 0; p < n; p++) {
            const idx: number[] = [];
            let rest = p;
            for (let k = d - 1; k >= 0; k--) { idx[k] = rest % shape[k]; rest = Math.floor(rest / shape[k]); }
            for (let c = 0; c < d; c++) {
              let s = 0;
              for (let k = 0; k < d; k++) s += P[c * (d + 1) + k] * idx[k];
              pts[p * d + c] = s + P[c * (d + 1) + d];
            }
          }
          // gridPoints' order of operations: G[0]·i0 + G[1]·i1 (+ G[2]·i2) + last column
          const g2 = new Float64Array(B * B * np);
          K.parzenJointGradient(g2, sv, mv, smask, null, g, pts, jac, d, B, smin, sd, mmin, md);
          expect(Array.from(jg)).toEqual(Array.from(g2));
          expect(jg.some((v) => v !== 0)).toBe(true);
          close(jg, ref.jointGrad!, 1e-9);
        }
      }
    }
  });
});
