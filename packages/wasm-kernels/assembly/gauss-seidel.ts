/**
 * The 3D Gauss-Seidel sweep of the SSD/EM Gauss-Newton system (docs/algorithm.md §5.1),
 * with the arithmetic of `packages/core/src/kernels/ssd.ts` voxel for voxel, but two
 * rows at a time.
 *
 * Why two rows. A voxel's solve ends in a chain of dependent divisions and the next
 * voxel of the row waits for it, so one row runs at the latency of that chain. In
 * raster-order Gauss-Seidel, voxel `(s, r, c)` reads the new values of `(s, r, c−1)`,
 * `(s, r−1, c)`, `(s−1, r, c)` and the old values of the other three neighbours; so
 * row `r + 1` can run one column behind row `r` (voxel `(r+1, c−1)` beside `(r, c)`):
 * every voxel still reads exactly what it reads in raster order, and the two chains
 * overlap. The result is the same bits.
 *
 * DIPY's singular-system quirk: a voxel whose 3×3 system has a pivot below 1e-9 keeps
 * the solution of the previous solved voxel in raster order. That solution is the
 * value stored at the last voxel that took the solve branch (a singular voxel stores
 * it too), so each row carries the index of that voxel. Row `r + 1`'s first solve
 * would need row `r`'s last, which is not known yet when the rows run together: a pair
 * whose second row's first solve is singular is run one row after the other instead
 * (whether a system is singular depends on the gradient, `σ²`, `λ` and the neighbour
 * count only, so this is checked before the pair starts).
 */

import { isInf, ldf as ld, stf as st } from './common';

// @ts-ignore: decorator
@inline function neighbourCount(ns: i32, nr: i32, nc: i32, s: i32, r: i32, c: i32): i32 {
  return <i32>(s > 0) + <i32>(r > 0) + <i32>(c + 1 < nc) + <i32>(r + 1 < nr) + <i32>(c > 0) + <i32>(s + 1 < ns);
}

/**
 * How the solve branch first occurs along row `(s, r)`: 0 never (every voxel has
 * `σ² = ±∞` or `σ² < 1e-9`), 1 with a regular system, 2 with a singular one.
 */
function firstSolve(sigmaSq: usize, gradient: usize, lambda: f64, ns: i32, nr: i32, nc: i32, s: i32, r: i32): i32 {
  const hasSigma = sigmaSq != 0;
  for (let c = 0; c < nc; c++) {
    const p = (s * nr + r) * nc + c;
    const q = 3 * p;
    const s2 = hasSigma ? ld(sigmaSq, p) : 1.0;
    if (isInf(s2) || s2 < 1e-9) continue;
    const g0 = ld(gradient, q), g1 = ld(gradient, q + 1), g2 = ld(gradient, q + 2);
    const sl = s2 * lambda;
    const tau = sl * <f64>neighbourCount(ns, nr, nc, s, r, c);
    const a = g0 * g0 + tau;
    if (a < 1e-9) return 2;
    const bb = g0 * g1;
    const sub = a * (g1 * g1 + tau) - bb * bb;
    if (sub < 1e-9) return 2;
    const cc = g0 * g2;
    const e = (a * (g1 * g2) - bb * cc) / a;
    const f = (a * (g2 * g2 + tau) - cc * cc) / a - (e * e * a) / sub;
    return f < 1e-9 ? 2 : 1;
  }
  return 0;
}

/**
 * Updates voxel `(s, r, c)` in place (the voxel step of the TypeScript kernel's
 * sweep). `last` is the flat index of the last voxel that took the solve
 * branch before it in raster order (−1: none, solution 0); returns the same for the
 * next voxel.
 */
// @ts-ignore: decorator
@inline function voxel(u: usize, delta: usize, sigmaSq: usize, gradient: usize, target: usize, lambda: f64,
  ns: i32, nr: i32, nc: i32, s: i32, r: i32, c: i32, last: i32): i32 {
  const rowStride = 3 * nc;
  const sliceStride = 3 * nr * nc;
  const p = (s * nr + r) * nc + c;
  const q = 3 * p;
  const g0 = ld(gradient, q), g1 = ld(gradient, q + 1), g2 = ld(gradient, q + 2);
  const s2 = sigmaSq != 0 ? ld(sigmaSq, p) : 1.0;
  let b0: f64, b1: f64, b2: f64;
  if (target == 0) {
    const d = ld(delta, p);
    b0 = d * g0; b1 = d * g1; b2 = d * g2;
  } else {
    b0 = ld(target, q); b1 = ld(target, q + 1); b2 = ld(target, q + 2);
  }
  let nn = 0;
  let y0 = 0.0, y1 = 0.0, y2 = 0.0;
  if (s > 0) { const o = q - sliceStride; nn++; y0 += ld(u, o); y1 += ld(u, o + 1); y2 += ld(u, o + 2); }
  if (r > 0) { const o = q - rowStride; nn++; y0 += ld(u, o); y1 += ld(u, o + 1); y2 += ld(u, o + 2); }
  if (c + 1 < nc) { const o = q + 3; nn++; y0 += ld(u, o); y1 += ld(u, o + 1); y2 += ld(u, o + 2); }
  if (r + 1 < nr) { const o = q + rowStride; nn++; y0 += ld(u, o); y1 += ld(u, o + 1); y2 += ld(u, o + 2); }
  if (c > 0) { const o = q - 3; nn++; y0 += ld(u, o); y1 += ld(u, o + 1); y2 += ld(u, o + 2); }
  if (s + 1 < ns) { const o = q + sliceStride; nn++; y0 += ld(u, o); y1 += ld(u, o + 1); y2 += ld(u, o + 2); }
  if (isInf(s2)) {
    st(u, q, y0 / <f64>nn); st(u, q + 1, y1 / <f64>nn); st(u, q + 2, y2 / <f64>nn);
    return last;
  }
  if (s2 < 1e-9) {
    const n2 = g0 * g0 + g1 * g1 + g2 * g2;
    if (n2 < 1e-9) {
      st(u, q, 0); st(u, q + 1, 0); st(u, q + 2, 0);
    } else {
      st(u, q, b0 / n2); st(u, q + 1, b1 / n2); st(u, q + 2, b2 / n2);
    }
    return last;
  }
  const sl = s2 * lambda;
  const tau = sl * <f64>nn;
  const yy0 = b0 + sl * y0, yy1 = b1 + sl * y1, yy2 = b2 + sl * y2;
  // Symmetric elimination in DIPY's order; a pivot below 1e-9 (not NaN) keeps the previous solution.
  const a = g0 * g0 + tau;
  if (!(a < 1e-9)) {
    const bb = g0 * g1;
    const sub = a * (g1 * g1 + tau) - bb * bb;
    if (!(sub < 1e-9)) {
      const cc = g0 * g2;
      const dd = (a * (g1 * g1 + tau) - bb * bb) / a;
      const e = (a * (g1 * g2) - bb * cc) / a;
      const f = (a * (g2 * g2 + tau) - cc * cc) / a - (e * e * a) / sub;
      if (!(f < 1e-9)) {
        const z0 = yy0;
        const z1 = (yy1 * a - z0 * bb) / a;
        const z2 = (yy2 * a - cc * z0) / a - (e * (yy1 * a - bb * z0)) / sub;
        const x2 = z2 / f;
        const x1 = (z1 - e * x2) / dd;
        const x0 = (z0 - bb * x1 - cc * x2) / a;
        st(u, q, x0); st(u, q + 1, x1); st(u, q + 2, x2);
        return p;
      }
    }
  }
  // singular: the previous solution, as stored at the last solved voxel (0 before any)
  if (last < 0) {
    st(u, q, 0); st(u, q + 1, 0); st(u, q + 2, 0);
  } else {
    const o = 3 * last;
    store<u32>(u + (<usize>q << 2), load<u32>(u + (<usize>o << 2)));
    store<u32>(u + (<usize>(q + 1) << 2), load<u32>(u + (<usize>(o + 1) << 2)));
    store<u32>(u + (<usize>(q + 2) << 2), load<u32>(u + (<usize>(o + 2) << 2)));
  }
  return p;
}

/** One in-place 3D Gauss-Seidel sweep over the whole grid (the same bits as the TypeScript kernel's `gaussSeidelSweep3d`). */
export function gaussSeidelSweep3d(u: usize, delta: usize, sigmaSq: usize, gradient: usize, target: usize,
  lambda: f64, ns: i32, nr: i32, nc: i32): void {
  let last = -1;
  for (let s = 0; s < ns; s++) {
    let r = 0;
    while (r < nr) {
      const second = r + 1 < nr ? firstSolve(sigmaSq, gradient, lambda, ns, nr, nc, s, r + 1) : 2;
      if (second == 2) {
        // one row alone (the last row, or a pair whose second row needs the first's last solution)
        for (let c = 0; c < nc; c++) last = voxel(u, delta, sigmaSq, gradient, target, lambda, ns, nr, nc, s, r, c, last);
        r++;
        continue;
      }
      let last1 = last, last2 = -1;
      last1 = voxel(u, delta, sigmaSq, gradient, target, lambda, ns, nr, nc, s, r, 0, last1);
      for (let c = 1; c < nc; c++) {
        last1 = voxel(u, delta, sigmaSq, gradient, target, lambda, ns, nr, nc, s, r, c, last1);
        last2 = voxel(u, delta, sigmaSq, gradient, target, lambda, ns, nr, nc, s, r + 1, c - 1, last2);
      }
      last2 = voxel(u, delta, sigmaSq, gradient, target, lambda, ns, nr, nc, s, r + 1, nc - 1, last2);
      last = second == 1 ? last2 : last1;
      r += 2;
    }
  }
}
