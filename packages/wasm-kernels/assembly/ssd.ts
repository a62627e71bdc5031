/**
 * Sum-of-squared-differences kernels (docs/algorithm.md §5.1), the WebAssembly port of
 * `packages/core/src/kernels/ssd.ts`: demons step, one in-place 2D Gauss-Seidel sweep
 * of the Gauss-Newton system (raster order, neighbours −row, +col, +row, −col; the 3D
 * sweep is in `gauss-seidel.ts`) and the residual. Float32 products
 * exactly where the TypeScript kernel rounds (`n2`, the 2D sweep's `b`, `g0²`,
 * `g0·g1`, `g1²`, the residual's differences and `g·u`), double elsewhere.
 * A null `sigmaSq` / `target` is address 0.
 */

import { isInf, ldf as ld, stf as st } from './common';

/**
 * 2D demons step of the voxels `[lo, hi)` (flat indices; arrays whole); returns the
 * running energy `e0` continued with their `δ²` in raster order.
 */
export function ssdDemonsStep2d(out: usize, delta: usize, gradient: usize, sigmaSqX: f64, e0: f64, lo: i32, hi: i32): f64 {
  let energy = e0;
  for (let p = lo, q = 2 * lo; p < hi; p++, q += 2) {
    const d = ld(delta, p);
    const d2 = d * d;
    energy += d2;
    const g0 = load<f32>(gradient + (<usize>q << 2)), g1 = load<f32>(gradient + (<usize>(q + 1) << 2));
    const n2 = <f64>(g0 * g0 + g1 * g1);
    const den = d2 / sigmaSqX + n2;
    if (den < 1e-9) {
      st(out, q, 0); st(out, q + 1, 0);
    } else {
      st(out, q, (d * <f64>g0) / den);
      st(out, q + 1, (d * <f64>g1) / den);
    }
  }
  return energy;
}

/**
 * 3D demons step of the voxels `[lo, hi)` (flat indices; arrays whole); returns the
 * running energy `e0` continued with their `δ²` in raster order.
 */
export function ssdDemonsStep3d(out: usize, delta: usize, gradient: usize, sigmaSqX: f64, e0: f64, lo: i32, hi: i32): f64 {
  let energy = e0;
  for (let p = lo, q = 3 * lo; p < hi; p++, q += 3) {
    const d = ld(delta, p);
    const d2 = d * d;
    energy += d2;
    const gp = gradient + (<usize>q << 2);
    const g0 = load<f32>(gp), g1 = load<f32>(gp, 4), g2 = load<f32>(gp, 8);
    const n2 = <f64>(g0 * g0 + g1 * g1 + g2 * g2);
    const den = d2 / sigmaSqX + n2;
    if (den < 1e-9) {
      st(out, q, 0); st(out, q + 1, 0); st(out, q + 2, 0);
    } else {
      st(out, q, (d * <f64>g0) / den);
      st(out, q + 1, (d * <f64>g1) / den);
      st(out, q + 2, (d * <f64>g2) / den);
    }
  }
  return energy;
}

/**
 * Continues the running energy `e` with `Σ δ²` over the voxels `[lo, hi)` in raster
 * order (the same additions as {@link ssdDemonsStep3d}; how the calling thread adds
 * the slices worker threads computed).
 */
export function sumSquares(delta: usize, lo: i32, hi: i32, e: f64): f64 {
  for (let p = lo; p < hi; p++) {
    const d = ld(delta, p);
    e += d * d;
  }
  return e;
}

export function gaussSeidelSweep2d(u: usize, delta: usize, sigmaSq: usize, gradient: usize, target: usize,
  lambda: f64, nr: i32, nc: i32): void {
  const rowStride = 2 * nc;
  const hasSigma = sigmaSq != 0, hasTarget = target != 0;
  for (let r = 0; r < nr; r++) {
    const up = r > 0;
    const down = r + 1 < nr;
    for (let c = 0; c < nc; c++) {
      const p = r * nc + c;
      const q = 2 * p;
      const s2 = hasSigma ? ld(sigmaSq, p) : 1.0;
      const g0 = load<f32>(gradient + (<usize>q << 2)), g1 = load<f32>(gradient + (<usize>(q + 1) << 2));
      let b0: f64, b1: f64;
      if (hasTarget) {
        b0 = ld(target, q);
        b1 = ld(target, q + 1);
      } else {
        const d = load<f32>(delta + (<usize>p << 2));
        b0 = <f64>(d * g0);
        b1 = <f64>(d * g1);
      }
      let nn = 0;
      let y0 = 0.0, y1 = 0.0;
      if (up) { nn++; y0 += ld(u, q - rowStride); y1 += ld(u, q - rowStride + 1); }
      if (c + 1 < nc) { nn++; y0 += ld(u, q + 2); y1 += ld(u, q + 3); }
      if (down) { nn++; y0 += ld(u, q + rowStride); y1 += ld(u, q + rowStride + 1); }
      if (c > 0) { nn++; y0 += ld(u, q - 2); y1 += ld(u, q - 1); }
      if (isInf(s2)) {
        st(u, q, y0 / <f64>nn);
        st(u, q + 1, y1 / <f64>nn);
        continue;
      }
      const sl = s2 * lambda;
      const tau = sl * <f64>nn;
      const g00 = <f64>(g0 * g0);
      const g11 = <f64>(g1 * g1);
      const A0 = g00 + tau;
      const A1 = <f64>(g0 * g1);
      const A2 = g11 + tau;
      const det = A0 * A2 - A1 * A1;
      if (det < 1e-9) {
        const n2 = <f64><f32>(g00 + g11);
        if (n2 < 1e-9) {
          st(u, q, 0); st(u, q + 1, 0);
        } else {
          st(u, q, b0 / n2);
          st(u, q + 1, b1 / n2);
        }
      } else {
        const yy0 = b0 + sl * y0, yy1 = b1 + sl * y1;
        const x1 = (A0 * yy1 - A1 * yy0) / det;
        st(u, q + 1, x1);
        st(u, q, (yy0 - A1 * x1) / A0);
      }
    }
  }
}

/** 2D residual of the rows `[r0, r1)` (arrays whole). */
export function residual2d(out: usize, delta: usize, sigmaSq: usize, gradient: usize, target: usize,
  lambda: f64, u: usize, nr: i32, nc: i32, r0: i32, r1: i32): void {
  const rowStride = 2 * nc;
  const hasSigma = sigmaSq != 0, hasTarget = target != 0;
  for (let r = r0; r < r1; r++) {
    for (let c = 0; c < nc; c++) {
      const p = r * nc + c;
      const q = 2 * p;
      const s2 = hasSigma ? ld(sigmaSq, p) : 1.0;
      const g0 = ld(gradient, q), g1 = ld(gradient, q + 1);
      let b0: f64, b1: f64;
      if (!hasTarget) {
        const d = ld(delta, p);
        b0 = d * g0; b1 = d * g1;
      } else {
        b0 = ld(target, q); b1 = ld(target, q + 1);
      }
      const u0 = load<f32>(u + (<usize>q << 2)), u1 = load<f32>(u + (<usize>(q + 1) << 2));
      let y0 = 0.0, y1 = 0.0;
      if (r > 0) { y0 += <f64>(u0 - <f32>ld(u, q - rowStride)); y1 += <f64>(u1 - <f32>ld(u, q - rowStride + 1)); }
      if (c + 1 < nc) { y0 += <f64>(u0 - <f32>ld(u, q + 2)); y1 += <f64>(u1 - <f32>ld(u, q + 3)); }
      if (r + 1 < nr) { y0 += <f64>(u0 - <f32>ld(u, q + rowStride)); y1 += <f64>(u1 - <f32>ld(u, q + rowStride + 1)); }
      if (c > 0) { y0 += <f64>(u0 - <f32>ld(u, q - 2)); y1 += <f64>(u1 - <f32>ld(u, q - 1)); }
      if (isInf(s2)) {
        st(out, q, -lambda * y0);
        st(out, q + 1, -lambda * y1);
      } else {
        const dot = <f64>(<f32>g0 * u0 + <f32>g1 * u1);
        const sl = s2 * lambda;
        st(out, q, b0 - (g0 * dot + sl * y0));
        st(out, q + 1, b1 - (g1 * dot + sl * y1));
      }
    }
  }
}

/** 3D residual of the slices `[s0, s1)` (arrays whole). */
export function residual3d(out: usize, delta: usize, sigmaSq: usize, gradient: usize, target: usize,
  lambda: f64, u: usize, ns: i32, nr: i32, nc: i32, s0: i32, s1: i32): void {
  const rowStride = 3 * nc;
  const sliceStride = 3 * nr * nc;
  const hasSigma = sigmaSq != 0, hasTarget = target != 0;
  for (let s = s0; s < s1; s++) {
    for (let r = 0; r < nr; r++) {
      for (let c = 0; c < nc; c++) {
        const p = (s * nr + r) * nc + c;
        const q = 3 * p;
        const s2 = hasSigma ? ld(sigmaSq, p) : 1.0;
        const g0 = ld(gradient, q), g1 = ld(gradient, q + 1), g2 = ld(gradient, q + 2);
        let b0: f64, b1: f64, b2: f64;
        if (!hasTarget) {
          const d = ld(delta, p);
          b0 = d * g0; b1 = d * g1; b2 = d * g2;
        } else {
          b0 = ld(target, q); b1 = ld(target, q + 1); b2 = ld(target, q + 2);
        }
        const up = u + (<usize>q << 2);
        const u0 = load<f32>(up), u1 = load<f32>(up, 4), u2 = load<f32>(up, 8);
        let y0 = 0.0, y1 = 0.0, y2 = 0.0;
        let o: usize;
        if (s > 0) { o = up - (<usize>sliceStride << 2); y0 += <f64>(u0 - load<f32>(o)); y1 += <f64>(u1 - load<f32>(o, 4)); y2 += <f64>(u2 - load<f32>(o, 8)); }
        if (r > 0) { o = up - (<usize>rowStride << 2); y0 += <f64>(u0 - load<f32>(o)); y1 += <f64>(u1 - load<f32>(o, 4)); y2 += <f64>(u2 - load<f32>(o, 8)); }
        if (c + 1 < nc) { o = up + 12; y0 += <f64>(u0 - load<f32>(o)); y1 += <f64>(u1 - load<f32>(o, 4)); y2 += <f64>(u2 - load<f32>(o, 8)); }
        if (r + 1 < nr) { o = up + (<usize>rowStride << 2); y0 += <f64>(u0 - load<f32>(o)); y1 += <f64>(u1 - load<f32>(o, 4)); y2 += <f64>(u2 - load<f32>(o, 8)); }
        if (c > 0) { o = up - 12; y0 += <f64>(u0 - load<f32>(o)); y1 += <f64>(u1 - load<f32>(o, 4)); y2 += <f64>(u2 - load<f32>(o, 8)); }
        if (s + 1 < ns) { o = up + (<usize>sliceStride << 2); y0 += <f64>(u0 - load<f32>(o)); y1 += <f64>(u1 - load<f32>(o, 4)); y2 += <f64>(u2 - load<f32>(o, 8)); }
        if (isInf(s2)) {
          st(out, q, -lambda * y0); st(out, q + 1, -lambda * y1); st(out, q + 2, -lambda * y2);
        } else {
          const dot = <f64>(<f32>g0 * u0 + <f32>g1 * u1 + <f32>g2 * u2);
          const sl = s2 * lambda;
          st(out, q, b0 - (g0 * dot + sl * y0));
          st(out, q + 1, b1 - (g1 * dot + sl * y1));
          st(out, q + 2, b2 - (g2 * dot + sl * y2));
        }
      }
    }
  }
}
