/**
 * Fixed-point inversion of a displacement field (docs/algorithm.md §2.2), the WebAssembly
 * port of `packages/core/src/kernels/invert.ts`: the same fused raster pass (apply
 * the pending update of voxel i, then measure the new residual of voxel i), the same
 * per-voxel arithmetic and the same order of the sums. The iteration itself (the
 * stopping rules, `eps`, `maxlen`) runs in JavaScript (`src/kernels.ts`), one call
 * per pass, so that a pass can be split over threads by rows (2D) or slices (3D).
 *
 * `p` (the inverse, in/out), `d` (the field) and `q` (the residual: the contract's
 * `scratch`) are float32 fields on one grid; `W` is the world-to-grid affine (0 =
 * identity); `ss, sr, sc` are the spacings (world units per voxel).
 *
 * Memory: nothing per voxel besides `q`. The residual norm `m = √Σ(q_k/s_k)²` of
 * a voxel is recomputed from its stored float32 residual wherever it is needed
 * (the update of the next pass, the sums of chunks other threads computed) —
 * exactly as the TypeScript kernel does, and with the same bits as the norm of the
 * measuring pass, since the residual's double value is float32-representable.
 *
 * Two exact shortcuts keep the recomputation cheap:
 * - when every spacing is ± a power of two (1 in most registrations), `q/s` is
 *   computed as `q·(1/s)`: both round the same real number, so the bits are equal;
 * - the update needs `m` only when `m > maxlen`; a voxel whose approximate squared
 *   norm (products with the rounded reciprocals) is at most `maxlen²·(1 − 2⁻⁴⁰)`
 *   certainly has `m ≤ maxlen` (the approximation is within a few ulps of the exact
 *   squared norm), so its step is `eps` without a square root or a division. Any
 *   other voxel (including NaN residuals) takes the exact path.
 */
import { exactReciprocal, f32r, ldd, linearMode3d, W_DIAGONAL, W_GENERAL } from './common';
import { cornerSum2, cornerSum3 } from './interp';
import { bi2Pair, bi2Quad, even, insideMask, interleave2, odd, pick0, pick1, pick2, r32, R0 as QR0, R1 as QR1, R2 as QR2, S0, S1, S2, storePair3, tri3Pair, tri3Quad } from './simd';

/** Residual components of the last `residualVoxel2d/3d` call. */
let rc0: f64 = 0, rc1: f64 = 0, rc2: f64 = 0;

/**
 * A bound `t` such that an approximate squared norm `≤ t` proves `m ≤ maxlen` (see
 * the module documentation): `maxlen²·(1 − 2⁻⁴⁰)`, or −1 (no voxel takes the
 * shortcut) when that is not a normal finite double well above the underflow range.
 */
function updateBound(maxlen: f64): f64 {
  const t = maxlen * maxlen * (1 - reinterpret<f64>(<u64>(1023 - 40) << 52));
  return t >= reinterpret<f64>(<u64>(1023 - 1000) << 52) && t < Infinity ? t : -1;
}

/** Residual `f32(d(x) + v)` of one voxel of {@link invertPass2d} (0 when not inside), written to `rc0, rc1`. */
function residualVoxel2d(d: usize, stride: i32, lastR: f64, lastC: f64, x0: f64, x1: f64, v0: f64, v1: f64): void {
  let c0 = 0.0, c1 = 0.0;
  if (x0 >= 0 && x0 < lastR && x1 >= 0 && x1 < lastC) {
    const r = <i32>x0, c = <i32>x1;
    const ca = x0 - <f64>r, cb = x1 - <f64>c;
    const ea = 1 - ca, eb = 1 - cb;
    const w00 = ea * eb, w01 = ea * cb, w11 = ca * cb, w10 = ca * eb;
    const q00 = d + (<usize>(r * stride + c * 2) << 2);
    const q10 = q00 + (<usize>stride << 2);
    const s0 = cornerSum2(q00, q10, 0, w00, w01, w11, w10);
    const s1 = cornerSum2(q00, q10, 4, w00, w01, w11, w10);
    c0 = f32r(s0 + v0);
    c1 = f32r(s1 + v1);
  }
  rc0 = c0; rc1 = c1;
}

/** Residual pair of the last {@link residualPair2d} call (one voxel per lane). */
let RC0: v128 = f64x2.splat(0), RC1: v128 = f64x2.splat(0);

/** Residuals `f32(d(x) + v)` of a voxel pair at positions `X0, X1` (voxels of the field's grid) to {@link RC0}, {@link RC1}. */
function residualPair2d(d: usize, nc: i32, stride: i32, lastR: f64, lastC: f64, LR: v128, LC: v128,
  X0: v128, X1: v128, V0: v128, V1: v128): void {
  if ((insideMask(X0, LR) & insideMask(X1, LC)) == 3) {
    bi2Pair(d, nc, X0, X1);
    RC0 = r32(f64x2.add(S0, V0));
    RC1 = r32(f64x2.add(S1, V1));
  } else {
    residualVoxel2d(d, stride, lastR, lastC, f64x2.extract_lane(X0, 0), f64x2.extract_lane(X1, 0),
      f64x2.extract_lane(V0, 0), f64x2.extract_lane(V1, 0));
    let C0 = f64x2.splat(rc0), C1 = f64x2.splat(rc1);
    residualVoxel2d(d, stride, lastR, lastC, f64x2.extract_lane(X0, 1), f64x2.extract_lane(X1, 1),
      f64x2.extract_lane(V0, 1), f64x2.extract_lane(V1, 1));
    RC0 = f64x2.replace_lane(C0, 1, rc0);
    RC1 = f64x2.replace_lane(C1, 1, rc1);
  }
}

/**
 * The pending update of one row of {@link invertPass2d}: for each of its `nc` voxels,
 * `p ← f32(p − sf·q)` with `sf = m > maxlen ? eps·maxlen/m : eps` (`m` the norm of the
 * stored residual `q`). `pp`, `pq`: the row's first voxel in `p` and `q`.
 */
function updateRow2d(pp: usize, pq: usize, nc: i32, sr: f64, sc: f64, r0: f64, r1: f64, pw2: bool, tb: f64,
  eps: f64, maxlen: f64): void {
  const SR = f64x2.splat(sr), SC = f64x2.splat(sc), R0 = f64x2.splat(r0), R1 = f64x2.splat(r1), TB = f64x2.splat(tb);
  const EPS = f64x2.splat(eps), MAXLEN = f64x2.splat(maxlen), EPSMAX = f64x2.splat(eps * maxlen);
  const end = pp + (<usize>nc << 3);
  // Two voxels (one per lane) per step.
  for (; pp + 16 <= end; pp += 16, pq += 16) {
    const E = v128.load(pq);
    const E0 = even(E), E1 = odd(E);
    const A0 = f64x2.mul(E0, R0), A1 = f64x2.mul(E1, R1);
    let SF = EPS;
    if (i64x2.bitmask(f64x2.le(f64x2.add(f64x2.mul(A0, A0), f64x2.mul(A1, A1)), TB)) != 3) {
      let U0 = A0, U1 = A1;
      if (!pw2) { U0 = f64x2.div(E0, SR); U1 = f64x2.div(E1, SC); }
      const Mg = f64x2.sqrt(f64x2.add(f64x2.mul(U0, U0), f64x2.mul(U1, U1)));
      SF = v128.bitselect(f64x2.div(EPSMAX, Mg), EPS, f64x2.gt(Mg, MAXLEN));
    }
    const L = v128.load(pp);
    const N0 = f32x4.demote_f64x2_zero(f64x2.sub(even(L), f64x2.mul(SF, E0)));
    const N1 = f32x4.demote_f64x2_zero(f64x2.sub(odd(L), f64x2.mul(SF, E1)));
    v128.store(pp, interleave2(N0, N1));
  }
  if (pp < end) {
    const e0 = <f64>load<f32>(pq), e1 = <f64>load<f32>(pq, 4);
    const a0 = e0 * r0, a1 = e1 * r1;
    let sf = eps;
    if (!(a0 * a0 + a1 * a1 <= tb)) {
      const u0 = pw2 ? a0 : e0 / sr, u1 = pw2 ? a1 : e1 / sc;
      const m = Math.sqrt(u0 * u0 + u1 * u1);
      if (m > maxlen) sf = eps * maxlen / m;
    }
    store<f32>(pp, <f32>f32r(<f64>load<f32>(pp) - sf * e0));
    store<f32>(pp, <f32>f32r(<f64>load<f32>(pp, 4) - sf * e1), 4);
  }
}

/**
 * The new residuals of row `i` of {@link invertPass2d}: `q = f32(d(x) + p)` at
 * `x = (i, j) + W·p` (0 when not inside) for each voxel `j` of the row.
 */
function measureRow2d(pp: usize, pq: usize, d: usize, i: i32, nr: i32, nc: i32, hasW: bool,
  b00: f64, b01: f64, b10: f64, b11: f64): void {
  const lastR = <f64>(nr - 1), lastC = <f64>(nc - 1);
  const stride = nc * 2;
  const B00 = f64x2.splat(b00), B01 = f64x2.splat(b01), B10 = f64x2.splat(b10), B11 = f64x2.splat(b11);
  const LR = f64x2.splat(lastR), LC = f64x2.splat(lastC);
  const TWO = f64x2.splat(2), FOUR = f64x2.splat(4);
  const fi = <f64>i;
  const I = f64x2.splat(fi);
  let J = f64x2.replace_lane(f64x2.splat(0), 1, 1);
  let j = 0;
  // Four voxels (two lane pairs: j, j+1 and j+2, j+3) per step, their chains interleaved.
  for (; j + 3 < nc; j += 4, pp += 32, pq += 32, J = f64x2.add(J, FOUR)) {
    const J2 = f64x2.add(J, TWO);
    const LP = v128.load(pp), LQ = v128.load(pp, 16);
    const VP0 = even(LP), VP1 = odd(LP), VQ0 = even(LQ), VQ1 = odd(LQ);
    let XP0: v128, XP1: v128, XQ0: v128, XQ1: v128;
    if (hasW) {
      XP0 = f64x2.add(f64x2.mul(B00, VP0), f64x2.mul(B01, VP1));
      XP1 = f64x2.add(f64x2.mul(B10, VP0), f64x2.mul(B11, VP1));
      XQ0 = f64x2.add(f64x2.mul(B00, VQ0), f64x2.mul(B01, VQ1));
      XQ1 = f64x2.add(f64x2.mul(B10, VQ0), f64x2.mul(B11, VQ1));
    } else {
      XP0 = VP0; XP1 = VP1; XQ0 = VQ0; XQ1 = VQ1;
    }
    XP0 = f64x2.add(I, XP0);
    XP1 = f64x2.add(J, XP1);
    XQ0 = f64x2.add(I, XQ0);
    XQ1 = f64x2.add(J2, XQ1);
    let CP0: v128, CP1: v128, CQ0: v128, CQ1: v128;
    if ((insideMask(XP0, LR) & insideMask(XP1, LC) & insideMask(XQ0, LR) & insideMask(XQ1, LC)) == 3) {
      bi2Quad(d, nc, XP0, XP1, XQ0, XQ1);
      CP0 = f64x2.add(S0, VP0);
      CQ0 = f64x2.add(QR0, VQ0);
      CP1 = f64x2.add(S1, VP1);
      CQ1 = f64x2.add(QR1, VQ1);
    } else {
      residualPair2d(d, nc, stride, lastR, lastC, LR, LC, XP0, XP1, VP0, VP1);
      CP0 = RC0; CP1 = RC1;
      residualPair2d(d, nc, stride, lastR, lastC, LR, LC, XQ0, XQ1, VQ0, VQ1);
      CQ0 = RC0; CQ1 = RC1;
    }
    // (the residual rounded once to float32 by the stores' demotions)
    v128.store(pq, interleave2(f32x4.demote_f64x2_zero(CP0), f32x4.demote_f64x2_zero(CP1)));
    v128.store(pq, interleave2(f32x4.demote_f64x2_zero(CQ0), f32x4.demote_f64x2_zero(CQ1)), 16);
  }
  // Two voxels (j, j+1) per step, one per lane.
  for (; j + 1 < nc; j += 2, pp += 16, pq += 16, J = f64x2.add(J, TWO)) {
    const L = v128.load(pp);
    const V0 = even(L), V1 = odd(L);
    let X0: v128, X1: v128;
    if (hasW) {
      X0 = f64x2.add(f64x2.mul(B00, V0), f64x2.mul(B01, V1));
      X1 = f64x2.add(f64x2.mul(B10, V0), f64x2.mul(B11, V1));
    } else {
      X0 = V0; X1 = V1;
    }
    X0 = f64x2.add(I, X0);
    X1 = f64x2.add(J, X1);
    residualPair2d(d, nc, stride, lastR, lastC, LR, LC, X0, X1, V0, V1);
    v128.store(pq, interleave2(f32x4.demote_f64x2_zero(RC0), f32x4.demote_f64x2_zero(RC1)));
  }
  if (j < nc) {
    const v0 = <f64>load<f32>(pp), v1 = <f64>load<f32>(pp, 4);
    let x0: f64, x1: f64;
    if (hasW) {
      x0 = b00 * v0 + b01 * v1;
      x1 = b10 * v0 + b11 * v1;
    } else {
      x0 = v0; x1 = v1;
    }
    residualVoxel2d(d, stride, lastR, lastC, fi + x0, <f64>j + x1, v0, v1);
    store<f32>(pq, <f32>rc0);
    store<f32>(pq, <f32>rc1, 4);
  }
}

/**
 * One raster pass of the 2D inversion over the rows `[lo, hi)` (arrays whole), row
 * by row: when `update`, apply the pending update `p ← f32(p − sf·q)` with
 * `sf = m > maxlen ? eps·maxlen/m : eps` (`m` the norm of the stored residual
 * `q`) to the row; then, when `measure`, store the row's new residuals
 * `q = f32(d(x) + p)`. Every voxel's update and residual read only that voxel of
 * `p` and `q`, so doing them row by row gives the bits of the voxel-by-voxel
 * order; the three short loops (update, residual, norms) keep more voxels in
 * flight than one long loop body.
 *
 * When `res ≠ 0` the new residuals' norms `m` are added, in raster order, to the
 * running `[Σm, max m]` at `res` (read first, written back); worker threads pass 0
 * and the calling thread adds their rows afterwards with {@link invertSum2d}.
 */
export function invertPass2d(p: usize, d: usize, q: usize, nr: i32, nc: i32, W: usize, sr: f64, sc: f64,
  update: i32, measure: i32, eps: f64, maxlen: f64, res: usize, lo: i32, hi: i32): void {
  const hasW = W != 0;
  let b00 = 1.0, b01 = 0.0, b10 = 0.0, b11 = 1.0;
  if (hasW) { b00 = ldd(W, 0); b01 = ldd(W, 1); b10 = ldd(W, 3); b11 = ldd(W, 4); }
  const r0 = 1 / sr, r1 = 1 / sc;
  const pw2 = exactReciprocal(sr) && exactReciprocal(sc);
  const tb = updateBound(maxlen);
  const upd = update != 0, cont = measure != 0, sums = res != 0 && cont;
  const rowB = <usize>nc << 3;
  let pp = p + <usize>lo * rowB, pq = q + <usize>lo * rowB;
  for (let i = lo; i < hi; i++, pp += rowB, pq += rowB) {
    if (upd) updateRow2d(pp, pq, nc, sr, sc, r0, r1, pw2, tb, eps, maxlen);
    if (cont) measureRow2d(pp, pq, d, i, nr, nc, hasW, b00, b01, b10, b11);
  }
  if (sums) invertSum2d(q, lo * nc, hi * nc, sr, sc, res);
}

/**
 * The whole fixed-point iteration on the calling thread: the passes of {@link invertPass2d}
 * (or {@link invertPass3d}) with the stopping rules of the JavaScript loop
 * (`src/adapters/invert.ts`, the same doubles in the same order), so that a one-thread
 * inversion is one call instead of one call per pass. 3D has one extra stop,
 * `0.1 < maxResidual` (the first `maxResidual` taken as 1). `ns` is ignored in 2D. `res`
 * holds 5 doubles: the running `[Σm, max m]` of a pass, then the result
 * `[iterations, error, maxResidual]` (the last two NaN when no iteration ran).
 */
function invertLoop(threeD: bool, p: usize, d: usize, q: usize, ns: i32, nr: i32, nc: i32, W: usize,
  ss: f64, sr: f64, sc: f64, maxIter: f64, tol: f64, res: usize): void {
  const voxels = (threeD ? <f64>ns : 1.0) * <f64>nr * <f64>nc;
  let iter = 0;
  let error = 1 + tol;
  let difmag = 1.0;
  let measured = false;
  let eps = 0.75, maxlen = 0.0;
  for (;;) {
    const cont = (!threeD || 0.1 < difmag) && <f64>iter < maxIter && tol < error;
    if (!cont && !measured) break;
    store<f64>(res, 0);
    store<f64>(res, 0, 8);
    const u = measured ? 1 : 0, m = cont ? 1 : 0, r = cont ? res : 0;
    if (threeD) invertPass3d(p, d, q, ns, nr, nc, W, ss, sr, sc, u, m, eps, maxlen, r, 0, ns);
    else invertPass2d(p, d, q, nr, nc, W, sr, sc, u, m, eps, maxlen, r, 0, nr);
    if (!cont) break;
    const total = load<f64>(res), mx = load<f64>(res, 8);
    eps = iter == 0 ? 0.75 : 0.5;
    difmag = mx;
    error = total / voxels;
    maxlen = difmag * eps;
    measured = true;
    iter++;
  }
  store<f64>(res, <f64>iter, 16);
  store<f64>(res, iter == 0 ? NaN : error, 24);
  store<f64>(res, iter == 0 ? NaN : difmag, 32);
}

/** The 2D {@link invertLoop}. */
export function invertLoop2d(p: usize, d: usize, q: usize, nr: i32, nc: i32, W: usize, sr: f64, sc: f64,
  maxIter: f64, tol: f64, res: usize): void {
  invertLoop(false, p, d, q, 0, nr, nc, W, 1, sr, sc, maxIter, tol, res);
}

/**
 * Adds the norms of the stored residuals of the voxels `[from, to)` (raster order)
 * of a 2D field to the running `[Σm, max m]` at `res`: the same norms and the same
 * additions, in the same order, as the fused path of {@link invertPass2d}.
 */
export function invertSum2d(q: usize, from: i32, to: i32, sr: f64, sc: f64, res: usize): void {
  let sum = load<f64>(res), mx = load<f64>(res, 8);
  const r0 = 1 / sr, r1 = 1 / sc;
  const pw2 = exactReciprocal(sr) && exactReciprocal(sc);
  const SR = f64x2.splat(sr), SC = f64x2.splat(sc), R0 = f64x2.splat(r0), R1 = f64x2.splat(r1);
  let pq = q + (<usize>from << 3);
  const end = q + (<usize>to << 3);
  for (; pq + 16 <= end; pq += 16) {
    const E = v128.load(pq);
    const E0 = even(E), E1 = odd(E);
    let U0: v128, U1: v128;
    if (pw2) { U0 = f64x2.mul(E0, R0); U1 = f64x2.mul(E1, R1); } else { U0 = f64x2.div(E0, SR); U1 = f64x2.div(E1, SC); }
    const Mg = f64x2.sqrt(f64x2.add(f64x2.mul(U0, U0), f64x2.mul(U1, U1)));
    let m = f64x2.extract_lane(Mg, 0);
    sum += m;
    if (mx < m) mx = m;
    m = f64x2.extract_lane(Mg, 1);
    sum += m;
    if (mx < m) mx = m;
  }
  for (; pq < end; pq += 8) {
    const e0 = <f64>load<f32>(pq), e1 = <f64>load<f32>(pq, 4);
    const u0 = pw2 ? e0 * r0 : e0 / sr, u1 = pw2 ? e1 * r1 : e1 / sc;
    const m = Math.sqrt(u0 * u0 + u1 * u1);
    sum += m;
    if (mx < m) mx = m;
  }
  store<f64>(res, sum);
  store<f64>(res, mx, 8);
}

/**
 * Residual `f32(d(x) + v)` of one voxel of {@link invertPass3d} at grid position
 * `(x0, x1, x2)` (0 when not inside), written to `rc0..rc2`.
 */
function residualVoxel3d(d: usize, rowStride: i32, sliceStride: i32, lastS: f64, lastR: f64, lastC: f64,
  x0: f64, x1: f64, x2: f64, v0: f64, v1: f64, v2: f64): void {
  let c0 = 0.0, c1 = 0.0, c2 = 0.0;
  if (x0 >= 0 && x0 < lastS && x1 >= 0 && x1 < lastR && x2 >= 0 && x2 < lastC) {
    const s = <i32>x0, r = <i32>x1, c = <i32>x2;
    const cg = x0 - <f64>s, ca = x1 - <f64>r, cb = x2 - <f64>c;
    const eg = 1 - cg, ea = 1 - ca, eb = 1 - cb;
    const p00 = ea * eb, p01 = ea * cb, p11 = ca * cb, p10 = ca * eb;
    const w0 = p00 * eg, w1 = p01 * eg, w2 = p11 * eg, w3 = p10 * eg;
    const w4 = p00 * cg, w5 = p01 * cg, w6 = p11 * cg, w7 = p10 * cg;
    const rowB = <usize>rowStride << 2, sliceB = <usize>sliceStride << 2;
    const q0 = d + (<usize>(s * sliceStride + r * rowStride + c * 3) << 2);
    const q3 = q0 + rowB, q4 = q0 + sliceB, q7 = q3 + sliceB;
    const s0 = cornerSum3(q0, q3, q4, q7, 0, w0, w1, w2, w3, w4, w5, w6, w7);
    const s1 = cornerSum3(q0, q3, q4, q7, 4, w0, w1, w2, w3, w4, w5, w6, w7);
    const s2 = cornerSum3(q0, q3, q4, q7, 8, w0, w1, w2, w3, w4, w5, w6, w7);
    c0 = f32r(s0 + v0);
    c1 = f32r(s1 + v1);
    c2 = f32r(s2 + v2);
  }
  rc0 = c0; rc1 = c1; rc2 = c2;
}

/**
 * The pending update of one row of {@link invertPass3d} (`nc` voxels from `pp` in `p`
 * and `pq` in `q`): {@link updateRow2d} in three dimensions.
 */
function updateRow3d(pp: usize, pq: usize, nc: i32, ss: f64, sr: f64, sc: f64, r0: f64, r1: f64, r2: f64,
  pw2: bool, tb: f64, eps: f64, maxlen: f64): void {
  const SS = f64x2.splat(ss), SR = f64x2.splat(sr), SC = f64x2.splat(sc);
  const R0 = f64x2.splat(r0), R1 = f64x2.splat(r1), R2 = f64x2.splat(r2), TB = f64x2.splat(tb);
  const EPS = f64x2.splat(eps), MAXLEN = f64x2.splat(maxlen), EPSMAX = f64x2.splat(eps * maxlen);
  let j = 0;
  // Two voxels (j, j+1) per step, one per lane.
  for (; j + 1 < nc; j += 2, pp += 24, pq += 24) {
    // Voxel a at pq, voxel b at pq + 12 (16-byte loads; the arena's tail covers the last float).
    const Lq = v128.load(pq), Mq = v128.load(pq, 12);
    const E0 = pick0(Lq, Mq);
    const E1 = pick1(Lq, Mq);
    const E2 = pick2(Lq, Mq);
    const A0 = f64x2.mul(E0, R0), A1 = f64x2.mul(E1, R1), A2 = f64x2.mul(E2, R2);
    let SF = EPS;
    const Sq = f64x2.add(f64x2.add(f64x2.mul(A0, A0), f64x2.mul(A1, A1)), f64x2.mul(A2, A2));
    if (i64x2.bitmask(f64x2.le(Sq, TB)) != 3) {
      let U0 = A0, U1 = A1, U2 = A2;
      if (!pw2) { U0 = f64x2.div(E0, SS); U1 = f64x2.div(E1, SR); U2 = f64x2.div(E2, SC); }
      const Mg = f64x2.sqrt(f64x2.add(f64x2.add(f64x2.mul(U0, U0), f64x2.mul(U1, U1)), f64x2.mul(U2, U2)));
      SF = v128.bitselect(f64x2.div(EPSMAX, Mg), EPS, f64x2.gt(Mg, MAXLEN));
    }
    const L = v128.load(pp), M = v128.load(pp, 12);
    const N0 = f32x4.demote_f64x2_zero(f64x2.sub(pick0(L, M), f64x2.mul(SF, E0)));
    const N1 = f32x4.demote_f64x2_zero(f64x2.sub(pick1(L, M), f64x2.mul(SF, E1)));
    const N2 = f32x4.demote_f64x2_zero(f64x2.sub(pick2(L, M), f64x2.mul(SF, E2)));
    storePair3(pp, N0, N1, N2);
  }
  if (j < nc) {
    const e0 = <f64>load<f32>(pq), e1 = <f64>load<f32>(pq, 4), e2 = <f64>load<f32>(pq, 8);
    const a0 = e0 * r0, a1 = e1 * r1, a2 = e2 * r2;
    let sf = eps;
    if (!(a0 * a0 + a1 * a1 + a2 * a2 <= tb)) {
      const u0 = pw2 ? a0 : e0 / ss, u1 = pw2 ? a1 : e1 / sr, u2 = pw2 ? a2 : e2 / sc;
      const m = Math.sqrt(u0 * u0 + u1 * u1 + u2 * u2);
      if (m > maxlen) sf = eps * maxlen / m;
    }
    store<f32>(pp, <f32>f32r(<f64>load<f32>(pp) - sf * e0));
    store<f32>(pp, <f32>f32r(<f64>load<f32>(pp, 4) - sf * e1), 4);
    store<f32>(pp, <f32>f32r(<f64>load<f32>(pp, 8) - sf * e2), 8);
  }
}

/**
 * Stores at `pq` the residuals `f32(d(x) + v)` of a voxel pair of {@link invertPass3d}
 * at positions `X0..X2` (voxels of the field's grid; 0 where not inside).
 */
function residualPair3d(pq: usize, d: usize, rowStride: i32, sliceStride: i32, lastS: f64, lastR: f64, lastC: f64,
  LS: v128, LR: v128, LC: v128, X0: v128, X1: v128, X2: v128, V0: v128, V1: v128, V2: v128): void {
  const ZERO = f64x2.splat(0);
  let F0: v128, F1: v128, F2: v128;
  // One lane mask for the six tests `0 ≤ x_k < last_k` of the pair.
  const mask = i64x2.bitmask(v128.and(v128.and(
    v128.and(f64x2.ge(X0, ZERO), f64x2.lt(X0, LS)),
    v128.and(f64x2.ge(X1, ZERO), f64x2.lt(X1, LR))),
    v128.and(f64x2.ge(X2, ZERO), f64x2.lt(X2, LC))));
  if (mask == 3) {
    tri3Pair(d, rowStride, sliceStride, X0, X1, X2);
    // The residual rounded once to float32.
    F0 = f32x4.demote_f64x2_zero(f64x2.add(S0, V0));
    F1 = f32x4.demote_f64x2_zero(f64x2.add(S1, V1));
    F2 = f32x4.demote_f64x2_zero(f64x2.add(S2, V2));
  } else {
    residualVoxel3d(d, rowStride, sliceStride, lastS, lastR, lastC,
      f64x2.extract_lane(X0, 0), f64x2.extract_lane(X1, 0), f64x2.extract_lane(X2, 0),
      f64x2.extract_lane(V0, 0), f64x2.extract_lane(V1, 0), f64x2.extract_lane(V2, 0));
    let C0 = f64x2.splat(rc0), C1 = f64x2.splat(rc1), C2 = f64x2.splat(rc2);
    residualVoxel3d(d, rowStride, sliceStride, lastS, lastR, lastC,
      f64x2.extract_lane(X0, 1), f64x2.extract_lane(X1, 1), f64x2.extract_lane(X2, 1),
      f64x2.extract_lane(V0, 1), f64x2.extract_lane(V1, 1), f64x2.extract_lane(V2, 1));
    C0 = f64x2.replace_lane(C0, 1, rc0); C1 = f64x2.replace_lane(C1, 1, rc1); C2 = f64x2.replace_lane(C2, 1, rc2);
    F0 = f32x4.demote_f64x2_zero(C0); F1 = f32x4.demote_f64x2_zero(C1); F2 = f32x4.demote_f64x2_zero(C2);
  }
  storePair3(pq, F0, F1, F2);
}

/**
 * The new residuals of row `i` of slice `k` of {@link invertPass3d}: `q = f32(d(x) + p)`
 * at `x = (k, i, j) + W·p` (0 when not inside) for each voxel `j` of the row.
 */
function measureRow3d(pp: usize, pq: usize, d: usize, k: i32, i: i32, ns: i32, nr: i32, nc: i32, wMode: i32,
  b00: f64, b01: f64, b02: f64, b10: f64, b11: f64, b12: f64, b20: f64, b21: f64, b22: f64): void {
  const lastS = <f64>(ns - 1), lastR = <f64>(nr - 1), lastC = <f64>(nc - 1);
  const rowStride = nc * 3, sliceStride = nr * nc * 3;
  const B00 = f64x2.splat(b00), B01 = f64x2.splat(b01), B02 = f64x2.splat(b02);
  const B10 = f64x2.splat(b10), B11 = f64x2.splat(b11), B12 = f64x2.splat(b12);
  const B20 = f64x2.splat(b20), B21 = f64x2.splat(b21), B22 = f64x2.splat(b22);
  const LS = f64x2.splat(lastS), LR = f64x2.splat(lastR), LC = f64x2.splat(lastC);
  const TWO = f64x2.splat(2);
  const fk = <f64>k, fi = <f64>i;
  const K = f64x2.splat(fk), I = f64x2.splat(fi);
  let J = f64x2.replace_lane(f64x2.splat(0), 1, 1);
  let j = 0;
  const ZERO = f64x2.splat(0), FOUR = f64x2.splat(4);
  // Four voxels (two lane pairs: j, j+1 and j+2, j+3) per step, their chains interleaved.
  for (; j + 3 < nc; j += 4, pp += 48, pq += 48, J = f64x2.add(J, FOUR)) {
    const LP = v128.load(pp), MP = v128.load(pp, 12), LQ = v128.load(pp, 24), MQ = v128.load(pp, 36);
    const VP0 = pick0(LP, MP), VP1 = pick1(LP, MP), VP2 = pick2(LP, MP);
    const VQ0 = pick0(LQ, MQ), VQ1 = pick1(LQ, MQ), VQ2 = pick2(LQ, MQ);
    let XP0: v128, XP1: v128, XP2: v128, XQ0: v128, XQ1: v128, XQ2: v128;
    if (wMode == W_GENERAL) {
      XP0 = f64x2.add(f64x2.add(f64x2.mul(B00, VP0), f64x2.mul(B01, VP1)), f64x2.mul(B02, VP2));
      XP1 = f64x2.add(f64x2.add(f64x2.mul(B10, VP0), f64x2.mul(B11, VP1)), f64x2.mul(B12, VP2));
      XP2 = f64x2.add(f64x2.add(f64x2.mul(B20, VP0), f64x2.mul(B21, VP1)), f64x2.mul(B22, VP2));
      XQ0 = f64x2.add(f64x2.add(f64x2.mul(B00, VQ0), f64x2.mul(B01, VQ1)), f64x2.mul(B02, VQ2));
      XQ1 = f64x2.add(f64x2.add(f64x2.mul(B10, VQ0), f64x2.mul(B11, VQ1)), f64x2.mul(B12, VQ2));
      XQ2 = f64x2.add(f64x2.add(f64x2.mul(B20, VQ0), f64x2.mul(B21, VQ1)), f64x2.mul(B22, VQ2));
    } else if (wMode == W_DIAGONAL) {
      XP0 = f64x2.mul(B00, VP0); XP1 = f64x2.mul(B11, VP1); XP2 = f64x2.mul(B22, VP2);
      XQ0 = f64x2.mul(B00, VQ0); XQ1 = f64x2.mul(B11, VQ1); XQ2 = f64x2.mul(B22, VQ2);
    } else {
      XP0 = VP0; XP1 = VP1; XP2 = VP2; XQ0 = VQ0; XQ1 = VQ1; XQ2 = VQ2;
    }
    XP0 = f64x2.add(K, XP0);
    XP1 = f64x2.add(I, XP1);
    XP2 = f64x2.add(J, XP2);
    XQ0 = f64x2.add(K, XQ0);
    XQ1 = f64x2.add(I, XQ1);
    XQ2 = f64x2.add(f64x2.add(J, TWO), XQ2);
    const mask = i64x2.bitmask(v128.and(v128.and(v128.and(
      v128.and(f64x2.ge(XP0, ZERO), f64x2.lt(XP0, LS)),
      v128.and(f64x2.ge(XP1, ZERO), f64x2.lt(XP1, LR))),
      v128.and(f64x2.ge(XP2, ZERO), f64x2.lt(XP2, LC))), v128.and(v128.and(
      v128.and(f64x2.ge(XQ0, ZERO), f64x2.lt(XQ0, LS)),
      v128.and(f64x2.ge(XQ1, ZERO), f64x2.lt(XQ1, LR))),
      v128.and(f64x2.ge(XQ2, ZERO), f64x2.lt(XQ2, LC)))));
    if (mask == 3) {
      tri3Quad(d, rowStride, sliceStride, XP0, XP1, XP2, XQ0, XQ1, XQ2);
      // The residuals rounded once to float32.
      storePair3(pq, f32x4.demote_f64x2_zero(f64x2.add(S0, VP0)), f32x4.demote_f64x2_zero(f64x2.add(S1, VP1)),
        f32x4.demote_f64x2_zero(f64x2.add(S2, VP2)));
      storePair3(pq + 24, f32x4.demote_f64x2_zero(f64x2.add(QR0, VQ0)), f32x4.demote_f64x2_zero(f64x2.add(QR1, VQ1)),
        f32x4.demote_f64x2_zero(f64x2.add(QR2, VQ2)));
    } else {
      residualPair3d(pq, d, rowStride, sliceStride, lastS, lastR, lastC, LS, LR, LC, XP0, XP1, XP2, VP0, VP1, VP2);
      residualPair3d(pq + 24, d, rowStride, sliceStride, lastS, lastR, lastC, LS, LR, LC, XQ0, XQ1, XQ2, VQ0, VQ1, VQ2);
    }
  }
  // Two voxels (j, j+1) per step, one per lane.
  for (; j + 1 < nc; j += 2, pp += 24, pq += 24, J = f64x2.add(J, TWO)) {
    // Voxel a at pp, voxel b at pp + 12 (16-byte loads; the arena's tail covers the last float).
    const L = v128.load(pp), M = v128.load(pp, 12);
    const V0 = pick0(L, M);
    const V1 = pick1(L, M);
    const V2 = pick2(L, M);
    let X0: v128, X1: v128, X2: v128;
    if (wMode == W_GENERAL) {
      X0 = f64x2.add(f64x2.add(f64x2.mul(B00, V0), f64x2.mul(B01, V1)), f64x2.mul(B02, V2));
      X1 = f64x2.add(f64x2.add(f64x2.mul(B10, V0), f64x2.mul(B11, V1)), f64x2.mul(B12, V2));
      X2 = f64x2.add(f64x2.add(f64x2.mul(B20, V0), f64x2.mul(B21, V1)), f64x2.mul(B22, V2));
    } else if (wMode == W_DIAGONAL) {
      X0 = f64x2.mul(B00, V0); X1 = f64x2.mul(B11, V1); X2 = f64x2.mul(B22, V2);
    } else {
      X0 = V0; X1 = V1; X2 = V2;
    }
    X0 = f64x2.add(K, X0);
    X1 = f64x2.add(I, X1);
    X2 = f64x2.add(J, X2);
    residualPair3d(pq, d, rowStride, sliceStride, lastS, lastR, lastC, LS, LR, LC, X0, X1, X2, V0, V1, V2);
  }
  if (j < nc) {
    const v0 = <f64>load<f32>(pp), v1 = <f64>load<f32>(pp, 4), v2 = <f64>load<f32>(pp, 8);
    let x0: f64, x1: f64, x2: f64;
    if (wMode == W_GENERAL) {
      x0 = b00 * v0 + b01 * v1 + b02 * v2;
      x1 = b10 * v0 + b11 * v1 + b12 * v2;
      x2 = b20 * v0 + b21 * v1 + b22 * v2;
    } else if (wMode == W_DIAGONAL) {
      x0 = b00 * v0; x1 = b11 * v1; x2 = b22 * v2;
    } else {
      x0 = v0; x1 = v1; x2 = v2;
    }
    residualVoxel3d(d, rowStride, sliceStride, lastS, lastR, lastC, fk + x0, fi + x1, <f64>j + x2, v0, v1, v2);
    store<f32>(pq, <f32>rc0);
    store<f32>(pq, <f32>rc1, 4);
    store<f32>(pq, <f32>rc2, 8);
  }
}

/**
 * One raster pass of the 3D inversion over the slices `[k0, k1)` (arrays whole), row
 * by row: {@link invertPass2d} in three dimensions. When `res ≠ 0` the new residuals'
 * norms are added, in raster order, to the running `[Σm, max m]` at `res`; worker
 * threads pass 0 and the calling thread adds their slices afterwards with
 * {@link invertSum3d}.
 */
export function invertPass3d(p: usize, d: usize, q: usize, ns: i32, nr: i32, nc: i32, W: usize,
  ss: f64, sr: f64, sc: f64, update: i32, measure: i32, eps: f64, maxlen: f64, res: usize, k0: i32, k1: i32): void {
  let b00 = 1.0, b01 = 0.0, b02 = 0.0, b10 = 0.0, b11 = 1.0, b12 = 0.0, b20 = 0.0, b21 = 0.0, b22 = 1.0;
  if (W != 0) {
    b00 = ldd(W, 0); b01 = ldd(W, 1); b02 = ldd(W, 2);
    b10 = ldd(W, 4); b11 = ldd(W, 5); b12 = ldd(W, 6);
    b20 = ldd(W, 8); b21 = ldd(W, 9); b22 = ldd(W, 10);
  }
  const wMode = linearMode3d(b00, b01, b02, b10, b11, b12, b20, b21, b22);
  const r0 = 1 / ss, r1 = 1 / sr, r2 = 1 / sc;
  const pw2 = exactReciprocal(ss) && exactReciprocal(sr) && exactReciprocal(sc);
  const tb = updateBound(maxlen);
  const upd = update != 0, cont = measure != 0, sums = res != 0 && cont;
  const rowB = <usize>nc * 12;
  let pp = p + <usize>k0 * <usize>nr * rowB, pq = q + <usize>k0 * <usize>nr * rowB;
  for (let k = k0; k < k1; k++) {
    for (let i = 0; i < nr; i++, pp += rowB, pq += rowB) {
      if (upd) updateRow3d(pp, pq, nc, ss, sr, sc, r0, r1, r2, pw2, tb, eps, maxlen);
      if (cont) measureRow3d(pp, pq, d, k, i, ns, nr, nc, wMode, b00, b01, b02, b10, b11, b12, b20, b21, b22);
    }
  }
  if (sums) invertSum3d(q, k0 * nr * nc, k1 * nr * nc, ss, sr, sc, res);
}

/** The 3D {@link invertLoop}. */
export function invertLoop3d(p: usize, d: usize, q: usize, ns: i32, nr: i32, nc: i32, W: usize,
  ss: f64, sr: f64, sc: f64, maxIter: f64, tol: f64, res: usize): void {
  invertLoop(true, p, d, q, ns, nr, nc, W, ss, sr, sc, maxIter, tol, res);
}

/**
 * Adds the norms of the stored residuals of the voxels `[from, to)` (raster order)
 * of a 3D field to the running `[Σm, max m]` at `res`: the same norms and the same
 * additions, in the same order, as the fused path of {@link invertPass3d}.
 */
export function invertSum3d(q: usize, from: i32, to: i32, ss: f64, sr: f64, sc: f64, res: usize): void {
  let sum = load<f64>(res), mx = load<f64>(res, 8);
  const r0 = 1 / ss, r1 = 1 / sr, r2 = 1 / sc;
  const pw2 = exactReciprocal(ss) && exactReciprocal(sr) && exactReciprocal(sc);
  const SS = f64x2.splat(ss), SR = f64x2.splat(sr), SC = f64x2.splat(sc);
  const R0 = f64x2.splat(r0), R1 = f64x2.splat(r1), R2 = f64x2.splat(r2);
  let pq = q + <usize>from * 12;
  const end = q + <usize>to * 12;
  for (; pq + 24 <= end; pq += 24) {
    // Voxel a at pq, voxel b at pq + 12 (16-byte loads; the arena's tail covers the last float).
    const L = v128.load(pq), M = v128.load(pq, 12);
    const E0 = pick0(L, M);
    const E1 = pick1(L, M);
    const E2 = pick2(L, M);
    let U0: v128, U1: v128, U2: v128;
    if (pw2) {
      U0 = f64x2.mul(E0, R0); U1 = f64x2.mul(E1, R1); U2 = f64x2.mul(E2, R2);
    } else {
      U0 = f64x2.div(E0, SS); U1 = f64x2.div(E1, SR); U2 = f64x2.div(E2, SC);
    }
    const Mg = f64x2.sqrt(f64x2.add(f64x2.add(f64x2.mul(U0, U0), f64x2.mul(U1, U1)), f64x2.mul(U2, U2)));
    let m = f64x2.extract_lane(Mg, 0);
    sum += m;
    if (mx < m) mx = m;
    m = f64x2.extract_lane(Mg, 1);
    sum += m;
    if (mx < m) mx = m;
  }
  for (; pq < end; pq += 12) {
    const e0 = <f64>load<f32>(pq), e1 = <f64>load<f32>(pq, 4), e2 = <f64>load<f32>(pq, 8);
    const u0 = pw2 ? e0 * r0 : e0 / ss, u1 = pw2 ? e1 * r1 : e1 / sr, u2 = pw2 ? e2 * r2 : e2 / sc;
    const m = Math.sqrt(u0 * u0 + u1 * u1 + u2 * u2);
    sum += m;
    if (mx < m) mx = m;
  }
  store<f64>(res, sum);
  store<f64>(res, mx, 8);
}
