/**
 * SIMD helpers: two independent voxels in the two lanes of an `f64x2`.
 *
 * Every lane performs exactly the scalar double operation of the TypeScript
 * kernel (IEEE add/mul/div/sqrt are lane-wise and correctly rounded, so a lane
 * gives the same bits as the scalar code); float32 rounding is
 * `demote → promote`, exactly `Math.fround`. Nothing is reassociated: the gain is
 * instruction-level parallelism (two voxels share one chain of dependent
 * `add → round` steps) and fewer instructions, not a different evaluation order.
 */

/**
 * 2^52: adding it to a non-negative integer-valued double below 2^31 leaves that
 * integer in the low 32 bits of the result (how voxel indices leave the f64 lanes
 * without float→int conversions; exact, since every term is a small integer).
 */
export const MAGIC_F: f64 = 4503599627370496.0;

/** Lane-wise `Math.fround`. */
// @ts-ignore: decorator
@inline export function r32(v: v128): v128 {
  return f64x2.promote_low_f32x4(f32x4.demote_f64x2_zero(v));
}

/**
 * `(a[k], b[k])` as doubles, where `a`, `b` hold float32 lanes; k = 0. With `pick1` and
 * `pick2` this is how a voxel pair of a 3-component field is read: `a` loaded at voxel a,
 * `b` at voxel b (16 bytes each, one float past the voxel; the arena's 64-byte tail keeps
 * the last one in memory). The shuffles used (unpack low/high, move high to low) are
 * single instructions on x86, unlike a two-input pattern such as `(0, 3 | 1, 4 | 2, 5)`
 * across a 24-byte block, which engines lower to byte shuffles (by callgrind, −3 % of the
 * instructions of a 3D inversion pass).
 */
// @ts-ignore: decorator
@inline export function pick0(a: v128, b: v128): v128 {
  return f64x2.promote_low_f32x4(i32x4.shuffle(a, b, 0, 4, 1, 5));
}
/** `(a[1], b[1])` as doubles. */
// @ts-ignore: decorator
@inline export function pick1(a: v128, b: v128): v128 {
  const u = i32x4.shuffle(a, b, 0, 4, 1, 5);
  return f64x2.promote_low_f32x4(i32x4.shuffle(u, u, 2, 3, 2, 3));
}
/** `(a[2], b[2])` as doubles. */
// @ts-ignore: decorator
@inline export function pick2(a: v128, b: v128): v128 {
  return f64x2.promote_low_f32x4(i32x4.shuffle(a, b, 2, 6, 3, 7));
}

/** `f32(s + w·v)` lane-wise (one interpolation corner). */
// @ts-ignore: decorator
@inline export function acc(s: v128, w: v128, v: v128): v128 {
  return r32(f64x2.add(s, f64x2.mul(w, v)));
}

/** Results of {@link tri3Pair}: the three interpolated components, one voxel per lane. */
export let S0: v128 = f64x2.splat(0);
export let S1: v128 = f64x2.splat(0);
export let S2: v128 = f64x2.splat(0);

/**
 * Trilinear interpolation of a 3-component interleaved float32 field at two
 * positions (lane a, lane b) that are both strictly inside the grid
 * (`0 ≤ x_k < n_k − 1`), with the corner order and float32 rounding of
 * docs/algorithm.md §1.5: weights `((row·col)·slice)`, corners (r,c) (r,c+1) (r+1,c+1)
 * (r+1,c) on slice s then s+1. Writes {@link S0}, {@link S1}, {@link S2}.
 * The 16-byte corner loads read one float past a corner; the arena pads every
 * array, so this stays inside the memory.
 */
// @ts-ignore: decorator
@inline export function tri3Pair(f: usize, rowStride: i32, sliceStride: i32, X0: v128, X1: v128, X2: v128): void {
  const T0 = f64x2.trunc(X0), T1 = f64x2.trunc(X1), T2 = f64x2.trunc(X2);
  const one = f64x2.splat(1);
  const cg = f64x2.sub(X0, T0), ca = f64x2.sub(X1, T1), cb = f64x2.sub(X2, T2);
  const eg = f64x2.sub(one, cg), ea = f64x2.sub(one, ca), eb = f64x2.sub(one, cb);
  const p00 = f64x2.mul(ea, eb), p01 = f64x2.mul(ea, cb), p11 = f64x2.mul(ca, cb), p10 = f64x2.mul(ca, eb);
  const w0 = f64x2.mul(p00, eg), w1 = f64x2.mul(p01, eg), w2 = f64x2.mul(p11, eg), w3 = f64x2.mul(p10, eg);
  const w4 = f64x2.mul(p00, cg), w5 = f64x2.mul(p01, cg), w6 = f64x2.mul(p11, cg), w7 = f64x2.mul(p10, cg);
  const IDX = f64x2.add(f64x2.add(f64x2.add(f64x2.mul(T0, f64x2.splat(<f64>sliceStride)),
    f64x2.mul(T1, f64x2.splat(<f64>rowStride))), f64x2.mul(T2, f64x2.splat(3))), f64x2.splat(MAGIC_F));
  const qa = f + (<usize>i32x4.extract_lane(IDX, 0) << 2);
  const qb = f + (<usize>i32x4.extract_lane(IDX, 2) << 2);
  const rowB = <usize>rowStride << 2, sliceB = <usize>sliceStride << 2;
  const qa3 = qa + rowB, qb3 = qb + rowB, qa4 = qa + sliceB, qb4 = qb + sliceB, qa7 = qa3 + sliceB, qb7 = qb3 + sliceB;
  let A = v128.load(qa), B = v128.load(qb);
  let s0 = r32(f64x2.mul(w0, pick0(A, B)));
  let s1 = r32(f64x2.mul(w0, pick1(A, B)));
  let s2 = r32(f64x2.mul(w0, pick2(A, B)));
  A = v128.load(qa, 12); B = v128.load(qb, 12);
  s0 = acc(s0, w1, pick0(A, B)); s1 = acc(s1, w1, pick1(A, B)); s2 = acc(s2, w1, pick2(A, B));
  A = v128.load(qa3, 12); B = v128.load(qb3, 12);
  s0 = acc(s0, w2, pick0(A, B)); s1 = acc(s1, w2, pick1(A, B)); s2 = acc(s2, w2, pick2(A, B));
  A = v128.load(qa3); B = v128.load(qb3);
  s0 = acc(s0, w3, pick0(A, B)); s1 = acc(s1, w3, pick1(A, B)); s2 = acc(s2, w3, pick2(A, B));
  A = v128.load(qa4); B = v128.load(qb4);
  s0 = acc(s0, w4, pick0(A, B)); s1 = acc(s1, w4, pick1(A, B)); s2 = acc(s2, w4, pick2(A, B));
  A = v128.load(qa4, 12); B = v128.load(qb4, 12);
  s0 = acc(s0, w5, pick0(A, B)); s1 = acc(s1, w5, pick1(A, B)); s2 = acc(s2, w5, pick2(A, B));
  A = v128.load(qa7, 12); B = v128.load(qb7, 12);
  s0 = acc(s0, w6, pick0(A, B)); s1 = acc(s1, w6, pick1(A, B)); s2 = acc(s2, w6, pick2(A, B));
  A = v128.load(qa7); B = v128.load(qb7);
  s0 = acc(s0, w7, pick0(A, B)); s1 = acc(s1, w7, pick1(A, B)); s2 = acc(s2, w7, pick2(A, B));
  S0 = s0; S1 = s1; S2 = s2;
}

/** Lane mask (bit 0 = lane a, bit 1 = lane b) of `0 ≤ x < last` for a pair of coordinates. */
// @ts-ignore: decorator
@inline export function insideMask(X: v128, last: v128): i32 {
  return i64x2.bitmask(v128.and(f64x2.ge(X, f64x2.splat(0)), f64x2.lt(X, last)));
}

/**
 * Trilinear interpolation of a scalar float32 volume at two positions that are both
 * strictly inside; the last corner's sum is returned unrounded (the caller's float32
 * store rounds it), as in the TypeScript warp kernel.
 */
// @ts-ignore: decorator
@inline export function tri1Pair(img: usize, nr: i32, nc: i32, X0: v128, X1: v128, X2: v128): v128 {
  const T0 = f64x2.trunc(X0), T1 = f64x2.trunc(X1), T2 = f64x2.trunc(X2);
  const one = f64x2.splat(1);
  const cg = f64x2.sub(X0, T0), ca = f64x2.sub(X1, T1), cb = f64x2.sub(X2, T2);
  const ga = f64x2.sub(one, cg), al = f64x2.sub(one, ca), be = f64x2.sub(one, cb);
  const w00 = f64x2.mul(al, be), w01 = f64x2.mul(al, cb), w11 = f64x2.mul(ca, cb), w10 = f64x2.mul(ca, be);
  const IDX = f64x2.add(f64x2.add(f64x2.mul(f64x2.add(f64x2.mul(T0, f64x2.splat(<f64>nr)), T1), f64x2.splat(<f64>nc)), T2),
    f64x2.splat(MAGIC_F));
  const pa = img + (<usize>i32x4.extract_lane(IDX, 0) << 2);
  const pb = img + (<usize>i32x4.extract_lane(IDX, 2) << 2);
  const rowB = <usize>nc << 2, sliceB = <usize>(nr * nc) << 2;
  const pa1 = pa + rowB, pb1 = pb + rowB, pa2 = pa + sliceB, pb2 = pb + sliceB, pa3 = pa2 + rowB, pb3 = pb2 + rowB;
  let s = r32(f64x2.mul(f64x2.mul(w00, ga), ld2(pa, pb)));
  s = acc(s, f64x2.mul(w01, ga), ld2(pa + 4, pb + 4));
  s = acc(s, f64x2.mul(w11, ga), ld2(pa1 + 4, pb1 + 4));
  s = acc(s, f64x2.mul(w10, ga), ld2(pa1, pb1));
  s = acc(s, f64x2.mul(w00, cg), ld2(pa2, pb2));
  s = acc(s, f64x2.mul(w01, cg), ld2(pa2 + 4, pb2 + 4));
  s = acc(s, f64x2.mul(w11, cg), ld2(pa3 + 4, pb3 + 4));
  return f64x2.add(s, f64x2.mul(f64x2.mul(w10, cg), ld2(pa3, pb3)));
}

/** `(f32 at a, f32 at b)` as an `f64x2`. */
// @ts-ignore: decorator
@inline export function ld2(a: usize, b: usize): v128 {
  return f64x2.promote_low_f32x4(v128.load32_lane(b, v128.load32_zero(a), 1));
}

/** Stores the two lanes of an `f64x2` as float32 at `p` and `p + 4`. */
// @ts-ignore: decorator
@inline export function st2(p: usize, v: v128): void {
  v128.store64_lane(p, f32x4.demote_f64x2_zero(v), 0);
}

/** Second-pair results of {@link tri3Quad}. */
export let R0: v128 = f64x2.splat(0);
export let R1: v128 = f64x2.splat(0);
export let R2: v128 = f64x2.splat(0);

/**
 * {@link tri3Pair} for two pairs at once (positions X* → {@link S0}..{@link S2},
 * Y* → {@link R0}..{@link R2}), their dependency chains interleaved for
 * instruction-level parallelism. Same per-lane operations as {@link tri3Pair}.
 */
// @ts-ignore: decorator
@inline export function tri3Quad(f: usize, rowStride: i32, sliceStride: i32,
  X0: v128, X1: v128, X2: v128, Y0: v128, Y1: v128, Y2: v128): void {
  const one = f64x2.splat(1);
  const rowB = <usize>rowStride << 2, sliceB = <usize>sliceStride << 2;
  const RS = f64x2.splat(<f64>rowStride), SS = f64x2.splat(<f64>sliceStride), THREE = f64x2.splat(3), MAGIC = f64x2.splat(MAGIC_F);
  const PT0 = f64x2.trunc(X0), PT1 = f64x2.trunc(X1), PT2 = f64x2.trunc(X2);
  const PIDX = f64x2.add(f64x2.add(f64x2.add(f64x2.mul(PT0, SS), f64x2.mul(PT1, RS)), f64x2.mul(PT2, THREE)), MAGIC);
  const Pcg = f64x2.sub(X0, PT0), Pca = f64x2.sub(X1, PT1), Pcb = f64x2.sub(X2, PT2);
  const Peg = f64x2.sub(one, Pcg), Pea = f64x2.sub(one, Pca), Peb = f64x2.sub(one, Pcb);
  const Pp00 = f64x2.mul(Pea, Peb), Pp01 = f64x2.mul(Pea, Pcb), Pp11 = f64x2.mul(Pca, Pcb), Pp10 = f64x2.mul(Pca, Peb);
  const Pw0 = f64x2.mul(Pp00, Peg), Pw1 = f64x2.mul(Pp01, Peg), Pw2 = f64x2.mul(Pp11, Peg), Pw3 = f64x2.mul(Pp10, Peg);
  const Pw4 = f64x2.mul(Pp00, Pcg), Pw5 = f64x2.mul(Pp01, Pcg), Pw6 = f64x2.mul(Pp11, Pcg), Pw7 = f64x2.mul(Pp10, Pcg);
  const QT0 = f64x2.trunc(Y0), QT1 = f64x2.trunc(Y1), QT2 = f64x2.trunc(Y2);
  const QIDX = f64x2.add(f64x2.add(f64x2.add(f64x2.mul(QT0, SS), f64x2.mul(QT1, RS)), f64x2.mul(QT2, THREE)), MAGIC);
  const Qcg = f64x2.sub(Y0, QT0), Qca = f64x2.sub(Y1, QT1), Qcb = f64x2.sub(Y2, QT2);
  const Qeg = f64x2.sub(one, Qcg), Qea = f64x2.sub(one, Qca), Qeb = f64x2.sub(one, Qcb);
  const Qp00 = f64x2.mul(Qea, Qeb), Qp01 = f64x2.mul(Qea, Qcb), Qp11 = f64x2.mul(Qca, Qcb), Qp10 = f64x2.mul(Qca, Qeb);
  const Qw0 = f64x2.mul(Qp00, Qeg), Qw1 = f64x2.mul(Qp01, Qeg), Qw2 = f64x2.mul(Qp11, Qeg), Qw3 = f64x2.mul(Qp10, Qeg);
  const Qw4 = f64x2.mul(Qp00, Qcg), Qw5 = f64x2.mul(Qp01, Qcg), Qw6 = f64x2.mul(Qp11, Qcg), Qw7 = f64x2.mul(Qp10, Qcg);
  const aq = f + (<usize>i32x4.extract_lane(PIDX, 0) << 2);
  const aq3 = aq + rowB, aq4 = aq + sliceB, aq7 = aq3 + sliceB;
  const bq = f + (<usize>i32x4.extract_lane(PIDX, 2) << 2);
  const bq3 = bq + rowB, bq4 = bq + sliceB, bq7 = bq3 + sliceB;
  const cq = f + (<usize>i32x4.extract_lane(QIDX, 0) << 2);
  const cq3 = cq + rowB, cq4 = cq + sliceB, cq7 = cq3 + sliceB;
  const dq = f + (<usize>i32x4.extract_lane(QIDX, 2) << 2);
  const dq3 = dq + rowB, dq4 = dq + sliceB, dq7 = dq3 + sliceB;
  let A: v128, B: v128, C: v128, D: v128;
  let Ps0: v128, Ps1: v128, Ps2: v128, Qs0: v128, Qs1: v128, Qs2: v128;
  A = v128.load(aq, 0); B = v128.load(bq, 0); C = v128.load(cq, 0); D = v128.load(dq, 0);
  Ps0 = r32(f64x2.mul(Pw0, pick0(A, B))); Qs0 = r32(f64x2.mul(Qw0, pick0(C, D)));
  Ps1 = r32(f64x2.mul(Pw0, pick1(A, B))); Qs1 = r32(f64x2.mul(Qw0, pick1(C, D)));
  Ps2 = r32(f64x2.mul(Pw0, pick2(A, B))); Qs2 = r32(f64x2.mul(Qw0, pick2(C, D)));
  A = v128.load(aq, 12); B = v128.load(bq, 12); C = v128.load(cq, 12); D = v128.load(dq, 12);
  Ps0 = acc(Ps0, Pw1, pick0(A, B)); Qs0 = acc(Qs0, Qw1, pick0(C, D));
  Ps1 = acc(Ps1, Pw1, pick1(A, B)); Qs1 = acc(Qs1, Qw1, pick1(C, D));
  Ps2 = acc(Ps2, Pw1, pick2(A, B)); Qs2 = acc(Qs2, Qw1, pick2(C, D));
  A = v128.load(aq3, 12); B = v128.load(bq3, 12); C = v128.load(cq3, 12); D = v128.load(dq3, 12);
  Ps0 = acc(Ps0, Pw2, pick0(A, B)); Qs0 = acc(Qs0, Qw2, pick0(C, D));
  Ps1 = acc(Ps1, Pw2, pick1(A, B)); Qs1 = acc(Qs1, Qw2, pick1(C, D));
  Ps2 = acc(Ps2, Pw2, pick2(A, B)); Qs2 = acc(Qs2, Qw2, pick2(C, D));
  A = v128.load(aq3, 0); B = v128.load(bq3, 0); C = v128.load(cq3, 0); D = v128.load(dq3, 0);
  Ps0 = acc(Ps0, Pw3, pick0(A, B)); Qs0 = acc(Qs0, Qw3, pick0(C, D));
  Ps1 = acc(Ps1, Pw3, pick1(A, B)); Qs1 = acc(Qs1, Qw3, pick1(C, D));
  Ps2 = acc(Ps2, Pw3, pick2(A, B)); Qs2 = acc(Qs2, Qw3, pick2(C, D));
  A = v128.load(aq4, 0); B = v128.load(bq4, 0); C = v128.load(cq4, 0); D = v128.load(dq4, 0);
  Ps0 = acc(Ps0, Pw4, pick0(A, B)); Qs0 = acc(Qs0, Qw4, pick0(C, D));
  Ps1 = acc(Ps1, Pw4, pick1(A, B)); Qs1 = acc(Qs1, Qw4, pick1(C, D));
  Ps2 = acc(Ps2, Pw4, pick2(A, B)); Qs2 = acc(Qs2, Qw4, pick2(C, D));
  A = v128.load(aq4, 12); B = v128.load(bq4, 12); C = v128.load(cq4, 12); D = v128.load(dq4, 12);
  Ps0 = acc(Ps0, Pw5, pick0(A, B)); Qs0 = acc(Qs0, Qw5, pick0(C, D));
  Ps1 = acc(Ps1, Pw5, pick1(A, B)); Qs1 = acc(Qs1, Qw5, pick1(C, D));
  Ps2 = acc(Ps2, Pw5, pick2(A, B)); Qs2 = acc(Qs2, Qw5, pick2(C, D));
  A = v128.load(aq7, 12); B = v128.load(bq7, 12); C = v128.load(cq7, 12); D = v128.load(dq7, 12);
  Ps0 = acc(Ps0, Pw6, pick0(A, B)); Qs0 = acc(Qs0, Qw6, pick0(C, D));
  Ps1 = acc(Ps1, Pw6, pick1(A, B)); Qs1 = acc(Qs1, Qw6, pick1(C, D));
  Ps2 = acc(Ps2, Pw6, pick2(A, B)); Qs2 = acc(Qs2, Qw6, pick2(C, D));
  A = v128.load(aq7, 0); B = v128.load(bq7, 0); C = v128.load(cq7, 0); D = v128.load(dq7, 0);
  Ps0 = acc(Ps0, Pw7, pick0(A, B)); Qs0 = acc(Qs0, Qw7, pick0(C, D));
  Ps1 = acc(Ps1, Pw7, pick1(A, B)); Qs1 = acc(Qs1, Qw7, pick1(C, D));
  Ps2 = acc(Ps2, Pw7, pick2(A, B)); Qs2 = acc(Qs2, Qw7, pick2(C, D));
  S0 = Ps0; S1 = Ps1; S2 = Ps2; R0 = Qs0; R1 = Qs1; R2 = Qs2;
}

/** `(a0, b0)`, `(a1, b1)` of two interleaved 2-component voxels loaded as `(a0, a1, b0, b1)`: component 0 as doubles. */
// @ts-ignore: decorator
@inline export function even(v: v128): v128 {
  return f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 0, 2, 0, 2));
}
/** Component 1 of `(a0, a1, b0, b1)` as doubles. */
// @ts-ignore: decorator
@inline export function odd(v: v128): v128 {
  return f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 1, 3, 1, 3));
}
/** `(x at a, y at a, x at b, y at b)`: two 8-byte loads into one vector. */
// @ts-ignore: decorator
@inline export function ld4(a: usize, b: usize): v128 {
  return v128.load64_lane(b, v128.load64_zero(a), 1);
}
/** Interleaves the float32 lanes 0, 1 of two component vectors into `(c0a, c1a, c0b, c1b)`. */
// @ts-ignore: decorator
@inline export function interleave2(c0: v128, c1: v128): v128 {
  return i32x4.shuffle(c0, c1, 0, 4, 1, 5);
}

/**
 * Bilinear interpolation of a 2-component interleaved float32 field at two positions
 * (one per lane) that are both strictly inside (`0 ≤ x_k < n_k − 1`): weights
 * `row·col`, corners (r,c) (r,c+1) (r+1,c+1) (r+1,c), float32 rounding after every
 * corner (docs/algorithm.md §1.5). Writes {@link S0} and {@link S1}.
 */
// @ts-ignore: decorator
@inline export function bi2Pair(f: usize, nc: i32, X0: v128, X1: v128): void {
  const T0 = f64x2.trunc(X0), T1 = f64x2.trunc(X1);
  const one = f64x2.splat(1);
  const ca = f64x2.sub(X0, T0), cb = f64x2.sub(X1, T1);
  const ea = f64x2.sub(one, ca), eb = f64x2.sub(one, cb);
  const w00 = f64x2.mul(ea, eb), w01 = f64x2.mul(ea, cb), w11 = f64x2.mul(ca, cb), w10 = f64x2.mul(ca, eb);
  const IDX = f64x2.add(f64x2.add(f64x2.mul(T0, f64x2.splat(<f64>(2 * nc))), f64x2.mul(T1, f64x2.splat(2))),
    f64x2.splat(MAGIC_F));
  const qa = f + (<usize>i32x4.extract_lane(IDX, 0) << 2);
  const qb = f + (<usize>i32x4.extract_lane(IDX, 2) << 2);
  const rowB = <usize>(2 * nc) << 2;
  // One 16-byte load per voxel and row holds the corners (·, c) and (·, c+1).
  let A = v128.load(qa), B = v128.load(qb);
  let lo = i32x4.shuffle(A, B, 0, 4, 1, 5), hi = i32x4.shuffle(A, B, 2, 6, 3, 7);
  let s0 = r32(f64x2.mul(w00, f64x2.promote_low_f32x4(lo)));
  let s1 = r32(f64x2.mul(w00, f64x2.promote_low_f32x4(i32x4.shuffle(lo, lo, 2, 3, 2, 3))));
  s0 = acc(s0, w01, f64x2.promote_low_f32x4(hi));
  s1 = acc(s1, w01, f64x2.promote_low_f32x4(i32x4.shuffle(hi, hi, 2, 3, 2, 3)));
  A = v128.load(qa + rowB); B = v128.load(qb + rowB);
  lo = i32x4.shuffle(A, B, 0, 4, 1, 5); hi = i32x4.shuffle(A, B, 2, 6, 3, 7);
  s0 = acc(s0, w11, f64x2.promote_low_f32x4(hi));
  s1 = acc(s1, w11, f64x2.promote_low_f32x4(i32x4.shuffle(hi, hi, 2, 3, 2, 3)));
  s0 = acc(s0, w10, f64x2.promote_low_f32x4(lo));
  s1 = acc(s1, w10, f64x2.promote_low_f32x4(i32x4.shuffle(lo, lo, 2, 3, 2, 3)));
  S0 = s0; S1 = s1;
}

/**
 * {@link bi2Pair} for two pairs at once (positions `X*` → {@link S0}, {@link S1};
 * `Y*` → {@link R0}, {@link R1}), their dependency chains interleaved for
 * instruction-level parallelism. Same per-lane operations as {@link bi2Pair}.
 */
// @ts-ignore: decorator
@inline export function bi2Quad(f: usize, nc: i32, X0: v128, X1: v128, Y0: v128, Y1: v128): void {
  const one = f64x2.splat(1);
  const NC2 = f64x2.splat(<f64>(2 * nc)), TWO = f64x2.splat(2), MAGIC = f64x2.splat(MAGIC_F);
  const PT0 = f64x2.trunc(X0), PT1 = f64x2.trunc(X1);
  const QT0 = f64x2.trunc(Y0), QT1 = f64x2.trunc(Y1);
  const PIDX = f64x2.add(f64x2.add(f64x2.mul(PT0, NC2), f64x2.mul(PT1, TWO)), MAGIC);
  const QIDX = f64x2.add(f64x2.add(f64x2.mul(QT0, NC2), f64x2.mul(QT1, TWO)), MAGIC);
  const Pca = f64x2.sub(X0, PT0), Pcb = f64x2.sub(X1, PT1);
  const Qca = f64x2.sub(Y0, QT0), Qcb = f64x2.sub(Y1, QT1);
  const Pea = f64x2.sub(one, Pca), Peb = f64x2.sub(one, Pcb);
  const Qea = f64x2.sub(one, Qca), Qeb = f64x2.sub(one, Qcb);
  const Pw00 = f64x2.mul(Pea, Peb), Pw01 = f64x2.mul(Pea, Pcb), Pw11 = f64x2.mul(Pca, Pcb), Pw10 = f64x2.mul(Pca, Peb);
  const Qw00 = f64x2.mul(Qea, Qeb), Qw01 = f64x2.mul(Qea, Qcb), Qw11 = f64x2.mul(Qca, Qcb), Qw10 = f64x2.mul(Qca, Qeb);
  const rowB = <usize>(2 * nc) << 2;
  const qa = f + (<usize>i32x4.extract_lane(PIDX, 0) << 2);
  const qb = f + (<usize>i32x4.extract_lane(PIDX, 2) << 2);
  const qc = f + (<usize>i32x4.extract_lane(QIDX, 0) << 2);
  const qd = f + (<usize>i32x4.extract_lane(QIDX, 2) << 2);
  let A = v128.load(qa), B = v128.load(qb), C = v128.load(qc), D = v128.load(qd);
  let Plo = i32x4.shuffle(A, B, 0, 4, 1, 5), Phi = i32x4.shuffle(A, B, 2, 6, 3, 7);
  let Qlo = i32x4.shuffle(C, D, 0, 4, 1, 5), Qhi = i32x4.shuffle(C, D, 2, 6, 3, 7);
  let Ps0 = r32(f64x2.mul(Pw00, f64x2.promote_low_f32x4(Plo)));
  let Qs0 = r32(f64x2.mul(Qw00, f64x2.promote_low_f32x4(Qlo)));
  let Ps1 = r32(f64x2.mul(Pw00, f64x2.promote_low_f32x4(i32x4.shuffle(Plo, Plo, 2, 3, 2, 3))));
  let Qs1 = r32(f64x2.mul(Qw00, f64x2.promote_low_f32x4(i32x4.shuffle(Qlo, Qlo, 2, 3, 2, 3))));
  Ps0 = acc(Ps0, Pw01, f64x2.promote_low_f32x4(Phi));
  Qs0 = acc(Qs0, Qw01, f64x2.promote_low_f32x4(Qhi));
  Ps1 = acc(Ps1, Pw01, f64x2.promote_low_f32x4(i32x4.shuffle(Phi, Phi, 2, 3, 2, 3)));
  Qs1 = acc(Qs1, Qw01, f64x2.promote_low_f32x4(i32x4.shuffle(Qhi, Qhi, 2, 3, 2, 3)));
  A = v128.load(qa + rowB); B = v128.load(qb + rowB); C = v128.load(qc + rowB); D = v128.load(qd + rowB);
  Plo = i32x4.shuffle(A, B, 0, 4, 1, 5); Phi = i32x4.shuffle(A, B, 2, 6, 3, 7);
  Qlo = i32x4.shuffle(C, D, 0, 4, 1, 5); Qhi = i32x4.shuffle(C, D, 2, 6, 3, 7);
  Ps0 = acc(Ps0, Pw11, f64x2.promote_low_f32x4(Phi));
  Qs0 = acc(Qs0, Qw11, f64x2.promote_low_f32x4(Qhi));
  Ps1 = acc(Ps1, Pw11, f64x2.promote_low_f32x4(i32x4.shuffle(Phi, Phi, 2, 3, 2, 3)));
  Qs1 = acc(Qs1, Qw11, f64x2.promote_low_f32x4(i32x4.shuffle(Qhi, Qhi, 2, 3, 2, 3)));
  Ps0 = acc(Ps0, Pw10, f64x2.promote_low_f32x4(Plo));
  Qs0 = acc(Qs0, Qw10, f64x2.promote_low_f32x4(Qlo));
  Ps1 = acc(Ps1, Pw10, f64x2.promote_low_f32x4(i32x4.shuffle(Plo, Plo, 2, 3, 2, 3)));
  Qs1 = acc(Qs1, Qw10, f64x2.promote_low_f32x4(i32x4.shuffle(Qlo, Qlo, 2, 3, 2, 3)));
  S0 = Ps0; S1 = Ps1; R0 = Qs0; R1 = Qs1;
}

/**
 * Bilinear interpolation of a scalar float32 image at two strictly-inside positions;
 * the last corner's sum is returned unrounded (the caller's float32 store rounds it).
 */
// @ts-ignore: decorator
@inline export function bi1Pair(img: usize, nc: i32, X0: v128, X1: v128): v128 {
  const T0 = f64x2.trunc(X0), T1 = f64x2.trunc(X1);
  const one = f64x2.splat(1);
  const ca = f64x2.sub(X0, T0), cb = f64x2.sub(X1, T1);
  const al = f64x2.sub(one, ca), be = f64x2.sub(one, cb);
  const IDX = f64x2.add(f64x2.add(f64x2.mul(T0, f64x2.splat(<f64>nc)), T1), f64x2.splat(MAGIC_F));
  const pa = img + (<usize>i32x4.extract_lane(IDX, 0) << 2);
  const pb = img + (<usize>i32x4.extract_lane(IDX, 2) << 2);
  const rowB = <usize>nc << 2;
  const R0 = ld4(pa, pb), R1 = ld4(pa + rowB, pb + rowB);
  let s = r32(f64x2.mul(f64x2.mul(al, be), even(R0)));
  s = acc(s, f64x2.mul(al, cb), odd(R0));
  s = acc(s, f64x2.mul(ca, cb), odd(R1));
  return f64x2.add(s, f64x2.mul(f64x2.mul(ca, be), even(R1)));
}

/**
 * Stores the float32 lanes 0, 1 of three component vectors as two interleaved 3-vectors
 * (24 bytes) at `p`: `(c0a, c1a, c2a, c0b)` then `(c1b, c2b)`, built with unpack and
 * two-source lane selections that are single x86 instructions.
 */
// @ts-ignore: decorator
@inline export function storePair3(p: usize, F0: v128, F1: v128, F2: v128): void {
  const t = i32x4.shuffle(F0, F1, 0, 4, 1, 5); // (c0a, c1a, c0b, c1b)
  const x = i32x4.shuffle(F2, F0, 0, 4, 1, 5); // (c2a, c0a, c2b, c0b)
  v128.store(p, i32x4.shuffle(t, x, 0, 1, 4, 7));
  v128.store64_lane(p, i32x4.shuffle(F1, F2, 0, 4, 1, 5), 1, 16); // (c1b, c2b)
}
