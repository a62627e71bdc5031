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
import { exactReciprocal, f32r, ldd } from './common';
import { cornerSum2, cornerSum3 } from './interp';
import { bi2Pair, bi2Quad, even, insideMask, interleave2, odd, pick0, pick1, pick2, r32, R0 as Q0, R1 as Q1, S0, S1, S2, storePair3, tri3Pair } from './simd';

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

/** Updated inverse of the last {@link updatePair2d} call (one voxel per lane, doubles). */
let UV0: v128 = f64x2.splat(0), UV1: v128 = f64x2.splat(0);

/**
 * The update of a voxel pair of {@link invertPass2d}: `p ← f32(p − sf·q)` at `pp`
 * from the residual at `pq`; the new values (as doubles) go to {@link UV0}, {@link UV1}.
 */
// @ts-ignore: decorator
@inline function updatePair2d(pp: usize, pq: usize, V0: v128, V1: v128, R0: v128, R1: v128, SR: v128, SC: v128,
  pw2: bool, TB: v128, EPS: v128, MAXLEN: v128, EPSMAX: v128): void {
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
  const N0 = f32x4.demote_f64x2_zero(f64x2.sub(V0, f64x2.mul(SF, E0)));
  const N1 = f32x4.demote_f64x2_zero(f64x2.sub(V1, f64x2.mul(SF, E1)));
  v128.store(pp, interleave2(N0, N1));
  UV0 = f64x2.promote_low_f32x4(N0);
  UV1 = f64x2.promote_low_f32x4(N1);
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
 * One fused raster pass of the 2D inversion over the rows `[lo, hi)` (arrays whole).
 * For each voxel: when `update`, apply the pending update `p ← f32(p − sf·q)` with
 * `sf = m > maxlen ? eps·maxlen/m : eps` (`m` the norm of the stored residual
 * `q`); then, when `measure`, store the new residual `q = f32(d(x) + p)`.
 *
 * When `res ≠ 0` the new residuals' norms `m` are added, in raster order, to the
 * running `[Σm, max m]` at `res` (read first, written back); worker threads pass 0
 * and the calling thread adds their rows afterwards with {@link invertSum2d}.
 */
export function invertPass2d(p: usize, d: usize, q: usize, nr: i32, nc: i32, W: usize, sr: f64, sc: f64,
  update: i32, measure: i32, eps: f64, maxlen: f64, res: usize, lo: i32, hi: i32): void {
  const lastR = <f64>(nr - 1), lastC = <f64>(nc - 1);
  const stride = nc * 2;
  const hasW = W != 0;
  let b00 = 1.0, b01 = 0.0, b10 = 0.0, b11 = 1.0;
  if (hasW) { b00 = ldd(W, 0); b01 = ldd(W, 1); b10 = ldd(W, 3); b11 = ldd(W, 4); }
  const B00 = f64x2.splat(b00), B01 = f64x2.splat(b01), B10 = f64x2.splat(b10), B11 = f64x2.splat(b11);
  const LR = f64x2.splat(lastR), LC = f64x2.splat(lastC);
  const SR = f64x2.splat(sr), SC = f64x2.splat(sc);
  const r0 = 1 / sr, r1 = 1 / sc;
  const R0 = f64x2.splat(r0), R1 = f64x2.splat(r1);
  const pw2 = exactReciprocal(sr) && exactReciprocal(sc);
  const tb = updateBound(maxlen);
  const TB = f64x2.splat(tb);
  const TWO = f64x2.splat(2), FOUR = f64x2.splat(4);

  const upd = update != 0, cont = measure != 0, sums = res != 0 && cont;
  const EPS = f64x2.splat(eps), MAXLEN = f64x2.splat(maxlen), EPSMAX = f64x2.splat(eps * maxlen);
  let sum = 0.0, mx = 0.0;
  if (sums) { sum = load<f64>(res); mx = load<f64>(res, 8); }
  // Lane-wise running maxima of the paired voxels (pmax keeps the first operand unless it
  // is below the second: the scalar `if (mx < m) mx = m`); max is order-free, so
  // merging them at the end gives the raster-order maximum.
  let MX = f64x2.splat(mx);
  const first = <usize>lo * <usize>nc;
  let pp = p + first * 8, pq = q + first * 8;
  for (let i = lo; i < hi; i++) {
    const fi = <f64>i;
    const I = f64x2.splat(fi);
    let J = f64x2.replace_lane(f64x2.splat(0), 1, 1);
    let j = 0;
    // Four voxels (two lane pairs: j, j+1 and j+2, j+3) per step, their chains interleaved.
    for (; j + 3 < nc; j += 4, pp += 32, pq += 32, J = f64x2.add(J, FOUR)) {
      const J2 = f64x2.add(J, TWO);
      const LP = v128.load(pp), LQ = v128.load(pp, 16);
      let VP0 = even(LP), VP1 = odd(LP), VQ0 = even(LQ), VQ1 = odd(LQ);
      if (upd) {
        updatePair2d(pp, pq, VP0, VP1, R0, R1, SR, SC, pw2, TB, EPS, MAXLEN, EPSMAX);
        VP0 = UV0; VP1 = UV1;
        updatePair2d(pp + 16, pq + 16, VQ0, VQ1, R0, R1, SR, SC, pw2, TB, EPS, MAXLEN, EPSMAX);
        VQ0 = UV0; VQ1 = UV1;
      }
      if (!cont) continue;
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
        CP0 = r32(f64x2.add(S0, VP0));
        CQ0 = r32(f64x2.add(Q0, VQ0));
        CP1 = r32(f64x2.add(S1, VP1));
        CQ1 = r32(f64x2.add(Q1, VQ1));
      } else {
        residualPair2d(d, nc, stride, lastR, lastC, LR, LC, XP0, XP1, VP0, VP1);
        CP0 = RC0; CP1 = RC1;
        residualPair2d(d, nc, stride, lastR, lastC, LR, LC, XQ0, XQ1, VQ0, VQ1);
        CQ0 = RC0; CQ1 = RC1;
      }
      v128.store(pq, interleave2(f32x4.demote_f64x2_zero(CP0), f32x4.demote_f64x2_zero(CP1)));
      v128.store(pq, interleave2(f32x4.demote_f64x2_zero(CQ0), f32x4.demote_f64x2_zero(CQ1)), 16);
      if (!sums) continue;
      let UP0: v128, UP1: v128, UQ0: v128, UQ1: v128;
      if (pw2) {
        UP0 = f64x2.mul(CP0, R0); UP1 = f64x2.mul(CP1, R1); UQ0 = f64x2.mul(CQ0, R0); UQ1 = f64x2.mul(CQ1, R1);
      } else {
        UP0 = f64x2.div(CP0, SR); UP1 = f64x2.div(CP1, SC); UQ0 = f64x2.div(CQ0, SR); UQ1 = f64x2.div(CQ1, SC);
      }
      const MP = f64x2.sqrt(f64x2.add(f64x2.mul(UP0, UP0), f64x2.mul(UP1, UP1)));
      const MQ = f64x2.sqrt(f64x2.add(f64x2.mul(UQ0, UQ0), f64x2.mul(UQ1, UQ1)));
      sum += f64x2.extract_lane(MP, 0);
      sum += f64x2.extract_lane(MP, 1);
      sum += f64x2.extract_lane(MQ, 0);
      sum += f64x2.extract_lane(MQ, 1);
      MX = f64x2.pmax(f64x2.pmax(MX, MP), MQ);
    }
    // Two voxels (j, j+1) per step, one per lane.
    for (; j + 1 < nc; j += 2, pp += 16, pq += 16, J = f64x2.add(J, TWO)) {
      const L = v128.load(pp);
      let V0 = even(L), V1 = odd(L);
      if (upd) {
        updatePair2d(pp, pq, V0, V1, R0, R1, SR, SC, pw2, TB, EPS, MAXLEN, EPSMAX);
        V0 = UV0; V1 = UV1;
      }
      if (!cont) continue;
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
      const C0 = RC0, C1 = RC1;
      v128.store(pq, interleave2(f32x4.demote_f64x2_zero(C0), f32x4.demote_f64x2_zero(C1)));
      if (!sums) continue;
      let U0: v128, U1: v128;
      if (pw2) { U0 = f64x2.mul(C0, R0); U1 = f64x2.mul(C1, R1); } else { U0 = f64x2.div(C0, SR); U1 = f64x2.div(C1, SC); }
      const Mg = f64x2.sqrt(f64x2.add(f64x2.mul(U0, U0), f64x2.mul(U1, U1)));
      sum += f64x2.extract_lane(Mg, 0);
      sum += f64x2.extract_lane(Mg, 1);
      MX = f64x2.pmax(MX, Mg);
    }
    for (; j < nc; j++, pp += 8, pq += 8) {
      let v0 = <f64>load<f32>(pp), v1 = <f64>load<f32>(pp, 4);
      if (upd) {
        const e0 = <f64>load<f32>(pq), e1 = <f64>load<f32>(pq, 4);
        const a0 = e0 * r0, a1 = e1 * r1;
        let sf = eps;
        if (!(a0 * a0 + a1 * a1 <= tb)) {
          const u0 = pw2 ? a0 : e0 / sr, u1 = pw2 ? a1 : e1 / sc;
          const m = Math.sqrt(u0 * u0 + u1 * u1);
          if (m > maxlen) sf = eps * maxlen / m;
        }
        v0 = f32r(v0 - sf * e0);
        v1 = f32r(v1 - sf * e1);
        store<f32>(pp, <f32>v0);
        store<f32>(pp, <f32>v1, 4);
      }
      if (!cont) continue;
      let x0: f64, x1: f64;
      if (hasW) {
        x0 = b00 * v0 + b01 * v1;
        x1 = b10 * v0 + b11 * v1;
      } else {
        x0 = v0; x1 = v1;
      }
      residualVoxel2d(d, stride, lastR, lastC, fi + x0, <f64>j + x1, v0, v1);
      const c0 = rc0, c1 = rc1;
      store<f32>(pq, <f32>c0);
      store<f32>(pq, <f32>c1, 4);
      if (!sums) continue;
      const u0 = pw2 ? c0 * r0 : c0 / sr, u1 = pw2 ? c1 * r1 : c1 / sc;
      const m = Math.sqrt(u0 * u0 + u1 * u1);
      sum += m;
      if (mx < m) mx = m;
    }
  }
  if (sums) {
    let m = f64x2.extract_lane(MX, 0);
    if (mx < m) mx = m;
    m = f64x2.extract_lane(MX, 1);
    if (mx < m) mx = m;
    store<f64>(res, sum);
    store<f64>(res, mx, 8);
  }
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
 * One fused raster pass of the 3D inversion over the slices `[k0, k1)` (arrays
 * whole): {@link invertPass2d} in three dimensions. When `res ≠ 0` the new
 * residuals' norms are added, in raster order, to the running `[Σm, max m]` at
 * `res`; worker threads pass 0 and the calling thread adds their slices afterwards
 * with {@link invertSum3d}.
 */
export function invertPass3d(p: usize, d: usize, q: usize, ns: i32, nr: i32, nc: i32, W: usize,
  ss: f64, sr: f64, sc: f64, update: i32, measure: i32, eps: f64, maxlen: f64, res: usize, k0: i32, k1: i32): void {
  const lastS = <f64>(ns - 1), lastR = <f64>(nr - 1), lastC = <f64>(nc - 1);
  const rowStride = nc * 3, sliceStride = nr * nc * 3;
  const hasW = W != 0;
  let b00 = 1.0, b01 = 0.0, b02 = 0.0, b10 = 0.0, b11 = 1.0, b12 = 0.0, b20 = 0.0, b21 = 0.0, b22 = 1.0;
  if (hasW) {
    b00 = ldd(W, 0); b01 = ldd(W, 1); b02 = ldd(W, 2);
    b10 = ldd(W, 4); b11 = ldd(W, 5); b12 = ldd(W, 6);
    b20 = ldd(W, 8); b21 = ldd(W, 9); b22 = ldd(W, 10);
  }
  const B00 = f64x2.splat(b00), B01 = f64x2.splat(b01), B02 = f64x2.splat(b02);
  const B10 = f64x2.splat(b10), B11 = f64x2.splat(b11), B12 = f64x2.splat(b12);
  const B20 = f64x2.splat(b20), B21 = f64x2.splat(b21), B22 = f64x2.splat(b22);
  const LS = f64x2.splat(lastS), LR = f64x2.splat(lastR), LC = f64x2.splat(lastC);
  const SS = f64x2.splat(ss), SR = f64x2.splat(sr), SC = f64x2.splat(sc);
  const r0 = 1 / ss, r1 = 1 / sr, r2 = 1 / sc;
  const R0 = f64x2.splat(r0), R1 = f64x2.splat(r1), R2 = f64x2.splat(r2);
  const pw2 = exactReciprocal(ss) && exactReciprocal(sr) && exactReciprocal(sc);
  const tb = updateBound(maxlen);
  const TB = f64x2.splat(tb);
  const TWO = f64x2.splat(2);

  const upd = update != 0, cont = measure != 0, sums = res != 0 && cont;
  const EPS = f64x2.splat(eps), MAXLEN = f64x2.splat(maxlen), EPSMAX = f64x2.splat(eps * maxlen);
  let sum = 0.0, mx = 0.0;
  if (sums) { sum = load<f64>(res); mx = load<f64>(res, 8); }
  let MX = f64x2.splat(mx);  // lane-wise maxima, as in invertPass2d
  const first = <usize>k0 * <usize>nr * <usize>nc;
  let pp = p + first * 12, pq = q + first * 12;
  for (let k = k0; k < k1; k++) {
    const fk = <f64>k;
    const K = f64x2.splat(fk);
    for (let i = 0; i < nr; i++) {
      const fi = <f64>i;
      const I = f64x2.splat(fi);
      let J = f64x2.replace_lane(f64x2.splat(0), 1, 1);
      let j = 0;
      // Two voxels (j, j+1) per step, one per lane.
      for (; j + 1 < nc; j += 2, pp += 24, pq += 24, J = f64x2.add(J, TWO)) {
        // Voxel a at pp, voxel b at pp + 12 (16-byte loads; the arena's tail covers the last float).
        const L = v128.load(pp), M = v128.load(pp, 12);
        let V0 = pick0(L, M);
        let V1 = pick1(L, M);
        let V2 = pick2(L, M);
        if (upd) {
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
          const N0 = f32x4.demote_f64x2_zero(f64x2.sub(V0, f64x2.mul(SF, E0)));
          const N1 = f32x4.demote_f64x2_zero(f64x2.sub(V1, f64x2.mul(SF, E1)));
          const N2 = f32x4.demote_f64x2_zero(f64x2.sub(V2, f64x2.mul(SF, E2)));
          storePair3(pp, N0, N1, N2);
          V0 = f64x2.promote_low_f32x4(N0);
          V1 = f64x2.promote_low_f32x4(N1);
          V2 = f64x2.promote_low_f32x4(N2);
        }
        if (!cont) continue;
        let X0: v128, X1: v128, X2: v128;
        if (hasW) {
          X0 = f64x2.add(f64x2.add(f64x2.mul(B00, V0), f64x2.mul(B01, V1)), f64x2.mul(B02, V2));
          X1 = f64x2.add(f64x2.add(f64x2.mul(B10, V0), f64x2.mul(B11, V1)), f64x2.mul(B12, V2));
          X2 = f64x2.add(f64x2.add(f64x2.mul(B20, V0), f64x2.mul(B21, V1)), f64x2.mul(B22, V2));
        } else {
          X0 = V0; X1 = V1; X2 = V2;
        }
        X0 = f64x2.add(K, X0);
        X1 = f64x2.add(I, X1);
        X2 = f64x2.add(J, X2);
        let C0: v128, C1: v128, C2: v128, F0: v128, F1: v128, F2: v128;
        // One lane mask for the six tests `0 ≤ x_k < last_k` of the pair.
        const ZERO = f64x2.splat(0);
        const mask = i64x2.bitmask(v128.and(v128.and(
          v128.and(f64x2.ge(X0, ZERO), f64x2.lt(X0, LS)),
          v128.and(f64x2.ge(X1, ZERO), f64x2.lt(X1, LR))),
          v128.and(f64x2.ge(X2, ZERO), f64x2.lt(X2, LC))));
        if (mask == 3) {
          tri3Pair(d, rowStride, sliceStride, X0, X1, X2);
          // The residual rounded once to float32: stored as is, widened for the norm.
          F0 = f32x4.demote_f64x2_zero(f64x2.add(S0, V0));
          F1 = f32x4.demote_f64x2_zero(f64x2.add(S1, V1));
          F2 = f32x4.demote_f64x2_zero(f64x2.add(S2, V2));
          C0 = f64x2.promote_low_f32x4(F0);
          C1 = f64x2.promote_low_f32x4(F1);
          C2 = f64x2.promote_low_f32x4(F2);
        } else {
          residualVoxel3d(d, rowStride, sliceStride, lastS, lastR, lastC,
            f64x2.extract_lane(X0, 0), f64x2.extract_lane(X1, 0), f64x2.extract_lane(X2, 0),
            f64x2.extract_lane(V0, 0), f64x2.extract_lane(V1, 0), f64x2.extract_lane(V2, 0));
          C0 = f64x2.splat(rc0); C1 = f64x2.splat(rc1); C2 = f64x2.splat(rc2);
          residualVoxel3d(d, rowStride, sliceStride, lastS, lastR, lastC,
            f64x2.extract_lane(X0, 1), f64x2.extract_lane(X1, 1), f64x2.extract_lane(X2, 1),
            f64x2.extract_lane(V0, 1), f64x2.extract_lane(V1, 1), f64x2.extract_lane(V2, 1));
          C0 = f64x2.replace_lane(C0, 1, rc0); C1 = f64x2.replace_lane(C1, 1, rc1); C2 = f64x2.replace_lane(C2, 1, rc2);
          F0 = f32x4.demote_f64x2_zero(C0); F1 = f32x4.demote_f64x2_zero(C1); F2 = f32x4.demote_f64x2_zero(C2);
        }
        storePair3(pq, F0, F1, F2);
        if (!sums) continue;
        let U0: v128, U1: v128, U2: v128;
        if (pw2) {
          U0 = f64x2.mul(C0, R0); U1 = f64x2.mul(C1, R1); U2 = f64x2.mul(C2, R2);
        } else {
          U0 = f64x2.div(C0, SS); U1 = f64x2.div(C1, SR); U2 = f64x2.div(C2, SC);
        }
        const Mg = f64x2.sqrt(f64x2.add(f64x2.add(f64x2.mul(U0, U0), f64x2.mul(U1, U1)), f64x2.mul(U2, U2)));
        sum += f64x2.extract_lane(Mg, 0);
        sum += f64x2.extract_lane(Mg, 1);
        MX = f64x2.pmax(MX, Mg);
      }
      for (; j < nc; j++, pp += 12, pq += 12) {
        let v0 = <f64>load<f32>(pp), v1 = <f64>load<f32>(pp, 4), v2 = <f64>load<f32>(pp, 8);
        if (upd) {
          const e0 = <f64>load<f32>(pq), e1 = <f64>load<f32>(pq, 4), e2 = <f64>load<f32>(pq, 8);
          const a0 = e0 * r0, a1 = e1 * r1, a2 = e2 * r2;
          let sf = eps;
          if (!(a0 * a0 + a1 * a1 + a2 * a2 <= tb)) {
            const u0 = pw2 ? a0 : e0 / ss, u1 = pw2 ? a1 : e1 / sr, u2 = pw2 ? a2 : e2 / sc;
            const m = Math.sqrt(u0 * u0 + u1 * u1 + u2 * u2);
            if (m > maxlen) sf = eps * maxlen / m;
          }
          v0 = f32r(v0 - sf * e0);
          v1 = f32r(v1 - sf * e1);
          v2 = f32r(v2 - sf * e2);
          store<f32>(pp, <f32>v0);
          store<f32>(pp, <f32>v1, 4);
          store<f32>(pp, <f32>v2, 8);
        }
        if (!cont) continue;
        let x0: f64, x1: f64, x2: f64;
        if (hasW) {
          x0 = b00 * v0 + b01 * v1 + b02 * v2;
          x1 = b10 * v0 + b11 * v1 + b12 * v2;
          x2 = b20 * v0 + b21 * v1 + b22 * v2;
        } else {
          x0 = v0; x1 = v1; x2 = v2;
        }
        x0 = fk + x0;
        x1 = fi + x1;
        x2 = <f64>j + x2;
        residualVoxel3d(d, rowStride, sliceStride, lastS, lastR, lastC, x0, x1, x2, v0, v1, v2);
        const c0 = rc0, c1 = rc1, c2 = rc2;
        store<f32>(pq, <f32>c0);
        store<f32>(pq, <f32>c1, 4);
        store<f32>(pq, <f32>c2, 8);
        if (!sums) continue;
        const u0 = pw2 ? c0 * r0 : c0 / ss, u1 = pw2 ? c1 * r1 : c1 / sr, u2 = pw2 ? c2 * r2 : c2 / sc;
        const m = Math.sqrt(u0 * u0 + u1 * u1 + u2 * u2);
        sum += m;
        if (mx < m) mx = m;
      }
    }
  }
  if (sums) {
    let m = f64x2.extract_lane(MX, 0);
    if (mx < m) mx = m;
    m = f64x2.extract_lane(MX, 1);
    if (mx < m) mx = m;
    store<f64>(res, sum);
    store<f64>(res, mx, 8);
  }
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
