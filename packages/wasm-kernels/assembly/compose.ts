/**
 * Composition of displacement fields (docs/algorithm.md §2.1), the WebAssembly port of
 * `packages/core/src/kernels/compose.ts` (same operations, same order).
 *
 * For every voxel `i` of d1's grid: `p = (A ? A·[i;1] : i) + (B ? B·[d1[i];0] : d1[i])`
 * (voxels of d2's grid); `out[i] = f32(t·d2(p) + d1[i])` when all corners of `p` are in
 * d2's grid, else 0. `d2(p)` is the bi/trilinear interpolation with float32 rounding
 * after every corner, corner order (r,c) (r,c+1) (r+1,c+1) (r+1,c) [slice s, then s+1].
 *
 * The statistics accumulators `[cnt, max q, Σq, Σq²]` (q = |out|² in float32
 * arithmetic) are written as four doubles at `stats`; the caller finishes them.
 * Both dimensions take a range of rows (2D) or slices (3D) so that a call can be
 * split over threads; the statistics are then added by the calling thread in raster
 * order (see {@link compose3d}).
 * `out` may equal `d1` (each `d1[i]` is read before `out[i]` is written).
 */
import { f32r, ldd, linearMode3d, W_DIAGONAL, W_GENERAL, W_IDENTITY } from './common';
import { cornerSum2, cornerSum3 } from './interp';
import { bi2Pair, even, insideMask, interleave2, odd, pick0, pick1, pick2, R0, R1, R2, S0, S1, S2, tri3Pair, tri3Quad } from './simd';

/** One voxel of {@link compose2d}: writes `out` at `po`, returns `q` or −1 when not inside. */
function composeVoxel2d(po: usize, d2: usize, stride: i32, lastR: f64, lastC: f64,
  x0: f64, x1: f64, v0: f64, v1: f64, t: f64): f64 {
  if (x0 >= 0 && x0 < lastR && x1 >= 0 && x1 < lastC) {
    const r = <i32>x0, c = <i32>x1;
    const ca = x0 - <f64>r, cb = x1 - <f64>c;
    const ea = 1 - ca, eb = 1 - cb;
    const w00 = ea * eb, w01 = ea * cb, w11 = ca * cb, w10 = ca * eb;
    const q00 = d2 + (<usize>(r * stride + c * 2) << 2);
    const q10 = q00 + (<usize>stride << 2);
    const s0 = cornerSum2(q00, q10, 0, w00, w01, w11, w10);
    const s1 = cornerSum2(q00, q10, 4, w00, w01, w11, w10);
    const c0 = <f32>(t * s0 + v0);
    const c1 = <f32>(t * s1 + v1);
    store<f32>(po, c0);
    store<f32>(po, c1, 4);
    return <f64>(c0 * c0 + c1 * c1);
  }
  store<f32>(po, 0);
  store<f32>(po, 0, 4);
  return -1;
}

/**
 * 2D composition of the rows `[r0, r1)` of d1's grid (`out` and `d1` are the whole
 * fields); `stats`, `q` and `qRow` as in {@link compose3d} (`q` a row of `nc1` floats
 * when `stats ≠ 0`, else a whole-grid buffer for {@link composeStats}, or 0 with a
 * scratch row `qRow` when no statistics are wanted).
 */
export function compose2d(out: usize, d1: usize, nr1: i32, nc1: i32, d2: usize, nr2: i32, nc2: i32,
  A: usize, B: usize, t: f64, stats: usize, q: usize, r0: i32, r1: i32, qRow: usize): void {
  const lastR = <f64>(nr2 - 1), lastC = <f64>(nc2 - 1);
  const stride = nc2 * 2;
  let a00 = 1.0, a01 = 0.0, a02 = 0.0, a10 = 0.0, a11 = 1.0, a12 = 0.0;
  if (A != 0) { a00 = ldd(A, 0); a01 = ldd(A, 1); a02 = ldd(A, 2); a10 = ldd(A, 3); a11 = ldd(A, 4); a12 = ldd(A, 5); }
  const hasB = B != 0;
  let b00 = 1.0, b01 = 0.0, b10 = 0.0, b11 = 1.0;
  if (hasB) { b00 = ldd(B, 0); b01 = ldd(B, 1); b10 = ldd(B, 3); b11 = ldd(B, 4); }
  const B00 = f64x2.splat(b00), B01 = f64x2.splat(b01), B10 = f64x2.splat(b10), B11 = f64x2.splat(b11);
  const A01 = f64x2.splat(a01), A02 = f64x2.splat(a02), A11 = f64x2.splat(a11), A12 = f64x2.splat(a12);
  const LR = f64x2.splat(lastR), LC = f64x2.splat(lastC);
  const T = f64x2.splat(t), TWO = f64x2.splat(2);

  const fused = stats != 0;
  let cnt = 0.0, maxQ = 0.0, sumQ = 0.0, sumQ2 = 0.0;
  if (fused) {
    cnt = load<f64>(stats); maxQ = load<f64>(stats, 8); sumQ = load<f64>(stats, 16); sumQ2 = load<f64>(stats, 24);
  }
  const first = <usize>r0 * <usize>nc1;
  let po = out + first * 8, p1 = d1 + first * 8;
  let pqAll = q + first * 4;
  for (let i = r0; i < r1; i++) {
    const fi = <f64>i;
    const ri0 = a00 * fi, ri1 = a10 * fi;
    const RI0 = f64x2.splat(ri0), RI1 = f64x2.splat(ri1);
    let J = f64x2.replace_lane(f64x2.splat(0), 1, 1);
    let pq = fused ? q : q != 0 ? pqAll : qRow;
    pqAll += <usize>nc1 << 2;
    let j = 0;
    for (; j + 1 < nc1; j += 2, po += 16, p1 += 16, pq += 8, J = f64x2.add(J, TWO)) {
      const L = v128.load(p1);
      const V0 = even(L), V1 = odd(L);
      let X0: v128, X1: v128;
      if (hasB) {
        X0 = f64x2.add(f64x2.mul(B00, V0), f64x2.mul(B01, V1));
        X1 = f64x2.add(f64x2.mul(B10, V0), f64x2.mul(B11, V1));
      } else {
        X0 = V0; X1 = V1;
      }
      X0 = f64x2.add(f64x2.add(f64x2.add(RI0, f64x2.mul(A01, J)), A02), X0);
      X1 = f64x2.add(f64x2.add(f64x2.add(RI1, f64x2.mul(A11, J)), A12), X1);
      if ((insideMask(X0, LR) & insideMask(X1, LC)) == 3) {
        bi2Pair(d2, nc2, X0, X1);
        const C0 = f32x4.demote_f64x2_zero(f64x2.add(f64x2.mul(T, S0), V0));
        const C1 = f32x4.demote_f64x2_zero(f64x2.add(f64x2.mul(T, S1), V1));
        v128.store(po, interleave2(C0, C1));
        const Q = f32x4.add(f32x4.mul(C0, C0), f32x4.mul(C1, C1));
        v128.store64_lane(pq, Q, 0);
      } else {
        store<f32>(pq, <f32>composeVoxel2d(po, d2, stride, lastR, lastC, f64x2.extract_lane(X0, 0), f64x2.extract_lane(X1, 0),
          f64x2.extract_lane(V0, 0), f64x2.extract_lane(V1, 0), t));
        store<f32>(pq, <f32>composeVoxel2d(po + 8, d2, stride, lastR, lastC, f64x2.extract_lane(X0, 1), f64x2.extract_lane(X1, 1),
          f64x2.extract_lane(V0, 1), f64x2.extract_lane(V1, 1), t), 4);
      }
    }
    for (; j < nc1; j++, po += 8, p1 += 8, pq += 4) {
      const fj = <f64>j;
      const v0 = <f64>load<f32>(p1), v1 = <f64>load<f32>(p1, 4);
      let x0: f64, x1: f64;
      if (hasB) {
        x0 = b00 * v0 + b01 * v1;
        x1 = b10 * v0 + b11 * v1;
      } else {
        x0 = v0; x1 = v1;
      }
      x0 = (ri0 + a01 * fj + a02) + x0;
      x1 = (ri1 + a11 * fj + a12) + x1;
      store<f32>(pq, <f32>composeVoxel2d(po, d2, stride, lastR, lastC, x0, x1, v0, v1, t));
    }
    if (!fused) continue;
    // Statistics of the row, in raster order.
    pq = q;
    for (let jj = 0; jj < nc1; jj++, pq += 4) {
      const v = <f64>load<f32>(pq);
      if (v != -1) {
        cnt += 1;
        sumQ += v;
        sumQ2 += v * v;
        if (maxQ < v) maxQ = v;
      }
    }
  }
  if (!fused) return;
  store<f64>(stats, cnt);
  store<f64>(stats, maxQ, 8);
  store<f64>(stats, sumQ, 16);
  store<f64>(stats, sumQ2, 24);
}

/**
 * One voxel of {@link compose3d} at position `(x0, x1, x2)` of d2's grid with d1 value
 * `(v0, v1, v2)`: writes `out` at `po` and returns `q = |out|²` (float32 arithmetic),
 * or −1 when the position is not inside (`out` then 0).
 */
function composeVoxel3d(po: usize, d2: usize, rowStride: i32, sliceStride: i32, lastS: f64, lastR: f64, lastC: f64,
  x0: f64, x1: f64, x2: f64, v0: f64, v1: f64, v2: f64, t: f64): f64 {
  if (x0 >= 0 && x0 < lastS && x1 >= 0 && x1 < lastR && x2 >= 0 && x2 < lastC) {
    const s = <i32>x0, r = <i32>x1, c = <i32>x2;
    const cg = x0 - <f64>s, ca = x1 - <f64>r, cb = x2 - <f64>c;
    const eg = 1 - cg, ea = 1 - ca, eb = 1 - cb;
    const p00 = ea * eb, p01 = ea * cb, p11 = ca * cb, p10 = ca * eb;
    const w0 = p00 * eg, w1 = p01 * eg, w2 = p11 * eg, w3 = p10 * eg;
    const w4 = p00 * cg, w5 = p01 * cg, w6 = p11 * cg, w7 = p10 * cg;
    const rowB = <usize>rowStride << 2, sliceB = <usize>sliceStride << 2;
    const q0 = d2 + (<usize>(s * sliceStride + r * rowStride + c * 3) << 2);
    const q3 = q0 + rowB, q4 = q0 + sliceB, q7 = q3 + sliceB;
    // corners: q0, q0+1 voxel, q3+1 voxel, q3, then the same on the next slice (q4, q7)
    const s0 = cornerSum3(q0, q3, q4, q7, 0, w0, w1, w2, w3, w4, w5, w6, w7);
    const s1 = cornerSum3(q0, q3, q4, q7, 4, w0, w1, w2, w3, w4, w5, w6, w7);
    const s2 = cornerSum3(q0, q3, q4, q7, 8, w0, w1, w2, w3, w4, w5, w6, w7);
    const c0 = <f32>(t * s0 + v0);
    const c1 = <f32>(t * s1 + v1);
    const c2 = <f32>(t * s2 + v2);
    store<f32>(po, c0);
    store<f32>(po, c1, 4);
    store<f32>(po, c2, 8);
    return <f64>(c0 * c0 + c1 * c1 + c2 * c2);
  }
  store<f32>(po, 0);
  store<f32>(po, 0, 4);
  store<f32>(po, 0, 8);
  return -1;
}

/**
 * Writes the composed values `f32(t·s + v)` of a voxel pair (lanes of `s*`, `v*`) at
 * `po` and their `q = |out|²` (float32 arithmetic, so exactly a float32) as two float32 at `pq`.
 */
// @ts-ignore: decorator
@inline function emitPair(po: usize, pq: usize, T: v128, s0: v128, s1: v128, s2: v128, v0: v128, v1: v128, v2: v128): void {
  const C0 = f32x4.demote_f64x2_zero(f64x2.add(f64x2.mul(T, s0), v0));
  const C1 = f32x4.demote_f64x2_zero(f64x2.add(f64x2.mul(T, s1), v1));
  const C2 = f32x4.demote_f64x2_zero(f64x2.add(f64x2.mul(T, s2), v2));
  v128.store32_lane(po, C0, 0);
  v128.store32_lane(po, C1, 0, 4);
  v128.store32_lane(po, C2, 0, 8);
  v128.store32_lane(po, C0, 1, 12);
  v128.store32_lane(po, C1, 1, 16);
  v128.store32_lane(po, C2, 1, 20);
  const Q = f32x4.add(f32x4.add(f32x4.mul(C0, C0), f32x4.mul(C1, C1)), f32x4.mul(C2, C2));
  v128.store64_lane(pq, Q, 0);
}

/** A voxel pair of {@link compose3d} with at least one position not inside: voxel by voxel. */
function slowPair(po: usize, pq: usize, d2: usize, rowStride: i32, sliceStride: i32, lastS: f64, lastR: f64, lastC: f64,
  X0: v128, X1: v128, X2: v128, V0: v128, V1: v128, V2: v128, t: f64): void {
  store<f32>(pq, <f32>composeVoxel3d(po, d2, rowStride, sliceStride, lastS, lastR, lastC,
    f64x2.extract_lane(X0, 0), f64x2.extract_lane(X1, 0), f64x2.extract_lane(X2, 0),
    f64x2.extract_lane(V0, 0), f64x2.extract_lane(V1, 0), f64x2.extract_lane(V2, 0), t));
  store<f32>(pq, <f32>composeVoxel3d(po + 12, d2, rowStride, sliceStride, lastS, lastR, lastC,
    f64x2.extract_lane(X0, 1), f64x2.extract_lane(X1, 1), f64x2.extract_lane(X2, 1),
    f64x2.extract_lane(V0, 1), f64x2.extract_lane(V1, 1), f64x2.extract_lane(V2, 1), t), 4);
}

/**
 * 3D composition of the slices `[k0, k1)` of d1's grid (`out` and `d1` are the
 * whole fields). Every voxel's `q = |out|²` (float32, −1 where not inside) is
 * written as a float32 to `q`:
 * - `stats ≠ 0`: `q` is scratch for one row (`nc1` floats); at each row's end the
 *   row's values are added to the running statistics `[cnt, max q, Σq, Σq²]` at
 *   `stats` (read first, written back), in raster order;
 * - `stats = 0`: `q` is a buffer for the whole grid, each voxel's value at its flat
 *   index, for {@link composeStats} (how a worker thread reports its slices);
 * - `stats = 0` and `q = 0`: no statistics (the caller does not want them); the values
 *   go to `qRow`, this thread's scratch row of `nc1` floats, and are dropped.
 */
export function compose3d(out: usize, d1: usize, ns1: i32, nr1: i32, nc1: i32, d2: usize, ns2: i32, nr2: i32, nc2: i32,
  A: usize, B: usize, t: f64, stats: usize, q: usize, k0: i32, k1: i32, qRow: usize): void {
  const lastS = <f64>(ns2 - 1), lastR = <f64>(nr2 - 1), lastC = <f64>(nc2 - 1);
  const rowStride = nc2 * 3, sliceStride = nr2 * nc2 * 3;
  let a00 = 1.0, a01 = 0.0, a02 = 0.0, a03 = 0.0;
  let a10 = 0.0, a11 = 1.0, a12 = 0.0, a13 = 0.0;
  let a20 = 0.0, a21 = 0.0, a22 = 1.0, a23 = 0.0;
  if (A != 0) {
    a00 = ldd(A, 0); a01 = ldd(A, 1); a02 = ldd(A, 2); a03 = ldd(A, 3);
    a10 = ldd(A, 4); a11 = ldd(A, 5); a12 = ldd(A, 6); a13 = ldd(A, 7);
    a20 = ldd(A, 8); a21 = ldd(A, 9); a22 = ldd(A, 10); a23 = ldd(A, 11);
  }
  // Without `A` the row origin is exactly (k, i, j): `k·1 + i·0 + j·0 + 0` adds only
  // zeros to non-negative values, so the position is `(k, i, j) + B·v` without those products.
  const noA = A == 0;
  let b00 = 1.0, b01 = 0.0, b02 = 0.0, b10 = 0.0, b11 = 1.0, b12 = 0.0, b20 = 0.0, b21 = 0.0, b22 = 1.0;
  if (B != 0) {
    b00 = ldd(B, 0); b01 = ldd(B, 1); b02 = ldd(B, 2);
    b10 = ldd(B, 4); b11 = ldd(B, 5); b12 = ldd(B, 6);
    b20 = ldd(B, 8); b21 = ldd(B, 9); b22 = ldd(B, 10);
  }
  // `B·v` as in `linearMode3d` (common.ts): without `A` the position's other term is the
  // voxel index, so an identity or diagonal `B` skips the zero products.
  const bMode = B == 0 ? W_IDENTITY : noA ? linearMode3d(b00, b01, b02, b10, b11, b12, b20, b21, b22) : W_GENERAL;
  const B00 = f64x2.splat(b00), B01 = f64x2.splat(b01), B02 = f64x2.splat(b02);
  const B10 = f64x2.splat(b10), B11 = f64x2.splat(b11), B12 = f64x2.splat(b12);
  const B20 = f64x2.splat(b20), B21 = f64x2.splat(b21), B22 = f64x2.splat(b22);
  const A02 = f64x2.splat(a02), A03 = f64x2.splat(a03), A12 = f64x2.splat(a12), A13 = f64x2.splat(a13);
  const A22 = f64x2.splat(a22), A23 = f64x2.splat(a23);
  const LS = f64x2.splat(lastS), LR = f64x2.splat(lastR), LC = f64x2.splat(lastC);
  const T = f64x2.splat(t);
  const TWO = f64x2.splat(2), FOUR = f64x2.splat(4);

  const fused = stats != 0;
  let cnt = 0.0, maxQ = 0.0, sumQ = 0.0, sumQ2 = 0.0;
  if (fused) {
    cnt = load<f64>(stats); maxQ = load<f64>(stats, 8); sumQ = load<f64>(stats, 16); sumQ2 = load<f64>(stats, 24);
  }
  const first = <usize>k0 * <usize>nr1 * <usize>nc1;
  let po = out + first * 12, p1 = d1 + first * 12;
  let pqAll = q + first * 4;
  for (let k = k0; k < k1; k++) {
    const fk = <f64>k;
    const sk0 = a00 * fk, sk1 = a10 * fk, sk2 = a20 * fk;
    for (let i = 0; i < nr1; i++) {
      const fi = <f64>i;
      const ri0 = sk0 + a01 * fi, ri1 = sk1 + a11 * fi, ri2 = sk2 + a21 * fi;
      const RI0 = f64x2.splat(ri0), RI1 = f64x2.splat(ri1), RI2 = f64x2.splat(ri2);
      let J = f64x2.replace_lane(f64x2.splat(0), 1, 1);
      let j = 0;
      let pq = fused ? q : q != 0 ? pqAll : qRow;
      pqAll += <usize>nc1 << 2;
      // Four voxels (two lane pairs) per step while the row lasts.
      for (; j + 3 < nc1; j += 4, po += 48, p1 += 48, pq += 16, J = f64x2.add(J, FOUR)) {
        const J2 = f64x2.add(J, TWO);
        // Voxels at p1 + 0 and p1 + 12 (16-byte loads; the arena's tail covers the last float).
        const LP = v128.load(p1, 0), MP = v128.load(p1, 12);
        const VP0 = pick0(LP, MP), VP1 = pick1(LP, MP), VP2 = pick2(LP, MP);
        let XP0: v128, XP1: v128, XP2: v128;
        if (bMode == W_GENERAL) {
          XP0 = f64x2.add(f64x2.add(f64x2.mul(B00, VP0), f64x2.mul(B01, VP1)), f64x2.mul(B02, VP2));
          XP1 = f64x2.add(f64x2.add(f64x2.mul(B10, VP0), f64x2.mul(B11, VP1)), f64x2.mul(B12, VP2));
          XP2 = f64x2.add(f64x2.add(f64x2.mul(B20, VP0), f64x2.mul(B21, VP1)), f64x2.mul(B22, VP2));
        } else if (bMode == W_DIAGONAL) {
          XP0 = f64x2.mul(B00, VP0); XP1 = f64x2.mul(B11, VP1); XP2 = f64x2.mul(B22, VP2);
        } else {
          XP0 = VP0; XP1 = VP1; XP2 = VP2;
        }
        if (noA) {
          XP0 = f64x2.add(RI0, XP0);
          XP1 = f64x2.add(RI1, XP1);
          XP2 = f64x2.add(J, XP2);
        } else {
          XP0 = f64x2.add(f64x2.add(f64x2.add(RI0, f64x2.mul(A02, J)), A03), XP0);
          XP1 = f64x2.add(f64x2.add(f64x2.add(RI1, f64x2.mul(A12, J)), A13), XP1);
          XP2 = f64x2.add(f64x2.add(f64x2.add(RI2, f64x2.mul(A22, J)), A23), XP2);
        }
        const mP = insideMask(XP0, LS) & insideMask(XP1, LR) & insideMask(XP2, LC);
        // Voxels at p1 + 24 and p1 + 36 (16-byte loads; the arena's tail covers the last float).
        const LQ = v128.load(p1, 24), MQ = v128.load(p1, 36);
        const VQ0 = pick0(LQ, MQ), VQ1 = pick1(LQ, MQ), VQ2 = pick2(LQ, MQ);
        let XQ0: v128, XQ1: v128, XQ2: v128;
        if (bMode == W_GENERAL) {
          XQ0 = f64x2.add(f64x2.add(f64x2.mul(B00, VQ0), f64x2.mul(B01, VQ1)), f64x2.mul(B02, VQ2));
          XQ1 = f64x2.add(f64x2.add(f64x2.mul(B10, VQ0), f64x2.mul(B11, VQ1)), f64x2.mul(B12, VQ2));
          XQ2 = f64x2.add(f64x2.add(f64x2.mul(B20, VQ0), f64x2.mul(B21, VQ1)), f64x2.mul(B22, VQ2));
        } else if (bMode == W_DIAGONAL) {
          XQ0 = f64x2.mul(B00, VQ0); XQ1 = f64x2.mul(B11, VQ1); XQ2 = f64x2.mul(B22, VQ2);
        } else {
          XQ0 = VQ0; XQ1 = VQ1; XQ2 = VQ2;
        }
        if (noA) {
          XQ0 = f64x2.add(RI0, XQ0);
          XQ1 = f64x2.add(RI1, XQ1);
          XQ2 = f64x2.add(J2, XQ2);
        } else {
          XQ0 = f64x2.add(f64x2.add(f64x2.add(RI0, f64x2.mul(A02, J2)), A03), XQ0);
          XQ1 = f64x2.add(f64x2.add(f64x2.add(RI1, f64x2.mul(A12, J2)), A13), XQ1);
          XQ2 = f64x2.add(f64x2.add(f64x2.add(RI2, f64x2.mul(A22, J2)), A23), XQ2);
        }
        const mQ = insideMask(XQ0, LS) & insideMask(XQ1, LR) & insideMask(XQ2, LC);
        if ((mP & mQ) == 3) {
          tri3Quad(d2, rowStride, sliceStride, XP0, XP1, XP2, XQ0, XQ1, XQ2);
          emitPair(po, pq, T, S0, S1, S2, VP0, VP1, VP2);
          emitPair(po + 24, pq + 8, T, R0, R1, R2, VQ0, VQ1, VQ2);
        } else {
          if (mP == 3) {
            tri3Pair(d2, rowStride, sliceStride, XP0, XP1, XP2);
            emitPair(po, pq, T, S0, S1, S2, VP0, VP1, VP2);
          } else {
            slowPair(po, pq, d2, rowStride, sliceStride, lastS, lastR, lastC, XP0, XP1, XP2, VP0, VP1, VP2, t);
          }
          if (mQ == 3) {
            tri3Pair(d2, rowStride, sliceStride, XQ0, XQ1, XQ2);
            emitPair(po + 24, pq + 8, T, S0, S1, S2, VQ0, VQ1, VQ2);
          } else {
            slowPair(po + 24, pq + 8, d2, rowStride, sliceStride, lastS, lastR, lastC, XQ0, XQ1, XQ2, VQ0, VQ1, VQ2, t);
          }
        }
      }
      for (; j < nc1; j++, po += 12, p1 += 12, pq += 4) {
        const fj = <f64>j;
        const v0 = <f64>load<f32>(p1), v1 = <f64>load<f32>(p1, 4), v2 = <f64>load<f32>(p1, 8);
        let x0: f64, x1: f64, x2: f64;
        if (bMode == W_GENERAL) {
          x0 = b00 * v0 + b01 * v1 + b02 * v2;
          x1 = b10 * v0 + b11 * v1 + b12 * v2;
          x2 = b20 * v0 + b21 * v1 + b22 * v2;
        } else if (bMode == W_DIAGONAL) {
          x0 = b00 * v0; x1 = b11 * v1; x2 = b22 * v2;
        } else {
          x0 = v0; x1 = v1; x2 = v2;
        }
        x0 = (ri0 + a02 * fj + a03) + x0;
        x1 = (ri1 + a12 * fj + a13) + x1;
        x2 = (ri2 + a22 * fj + a23) + x2;
        store<f32>(pq, <f32>composeVoxel3d(po, d2, rowStride, sliceStride, lastS, lastR, lastC, x0, x1, x2, v0, v1, v2, t));
      }
      if (!fused) continue;
      // Statistics of the row, in raster order.
      pq = q;
      for (let jj = 0; jj < nc1; jj++, pq += 4) {
        const v = <f64>load<f32>(pq);
        if (v != -1) {
          cnt += 1;
          sumQ += v;
          sumQ2 += v * v;
          if (maxQ < v) maxQ = v;
        }
      }
    }
  }
  if (!fused) return;
  store<f64>(stats, cnt);
  store<f64>(stats, maxQ, 8);
  store<f64>(stats, sumQ, 16);
  store<f64>(stats, sumQ2, 24);
}

/**
 * Adds the per-voxel `q` values `[from, to)` of a whole-grid buffer written by
 * {@link compose3d} (`stats = 0`) to the running statistics at `stats`, in raster
 * order: the same additions, in the same order, as the fused path.
 */
export function composeStats(q: usize, from: i32, to: i32, stats: usize): void {
  let cnt = load<f64>(stats), maxQ = load<f64>(stats, 8), sumQ = load<f64>(stats, 16), sumQ2 = load<f64>(stats, 24);
  const end = q + (<usize>to << 2);
  for (let p = q + (<usize>from << 2); p < end; p += 4) {
    const v = <f64>load<f32>(p);
    if (v != -1) {
      cnt += 1;
      sumQ += v;
      sumQ2 += v * v;
      if (maxQ < v) maxQ = v;
    }
  }
  store<f64>(stats, cnt);
  store<f64>(stats, maxQ, 8);
  store<f64>(stats, sumQ, 16);
  store<f64>(stats, sumQ2, 24);
}
