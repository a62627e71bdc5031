/**
 * Float64 kernels of the affine stage, the WebAssembly port of
 * `packages/core/src/kernels/affine-mi.ts` with the same expressions in the same order:
 * linear resampling through an affine, the world-space central-difference gradient (dense
 * grid or points), the Parzen joint histogram and the gradient of the joint histogram, and the
 * fused single-pass dense evaluation of all four (`affineMIDense2d/3d`).
 * Scalar double code; NaN coordinates are rejected by the same range test as in TypeScript
 * before any float-to-int conversion, and NaN bin coordinates go to bin 2 as there.
 *
 * Arrays are addresses of float64 blocks (`ldd`/`std`); masks are int32 blocks or 0 (none).
 */
import { ldd, std } from './common';

/** Inside flag of the last bilinear/trilinear sample (per instance). */
let inside: i32 = 0;

// @ts-ignore: decorator
@inline function img(base: usize, i: i32): f64 {
  return load<f64>(base + (<usize>i << 3));
}

function bilinearAt(im: usize, nr: i32, nc: i32, di: f64, dj: f64): f64 {
  if (!(di > -1 && dj > -1 && di < <f64>nr && dj < <f64>nc)) { inside = 0; return 0; }
  const fi = Math.floor(di), fj = Math.floor(dj);
  let ii = <i32>fi, jj = <i32>fj;
  const ca = di - fi, cb = dj - fj, a = 1 - ca, b = 1 - cb;
  let count = 0;
  let out: f64 = 0;
  if (ii >= 0 && jj >= 0) { out = a * b * img(im, ii * nc + jj); count++; }
  jj++;
  if (jj < nc && ii >= 0) { out += a * cb * img(im, ii * nc + jj); count++; }
  ii++;
  if (jj < nc && ii < nr) { out += ca * cb * img(im, ii * nc + jj); count++; }
  jj--;
  if (jj >= 0 && ii < nr) { out += ca * b * img(im, ii * nc + jj); count++; }
  inside = count == 4 ? 1 : 0;
  return out;
}

function trilinearAt(vol: usize, ns: i32, nr: i32, nc: i32, dk: f64, di: f64, dj: f64): f64 {
  if (!(dk > -1 && di > -1 && dj > -1 && dk < <f64>ns && di < <f64>nr && dj < <f64>nc)) { inside = 0; return 0; }
  const fk = Math.floor(dk), fi = Math.floor(di), fj = Math.floor(dj);
  let kk = <i32>fk, ii = <i32>fi, jj = <i32>fj;
  const cg = dk - fk, ca = di - fi, cb = dj - fj, a = 1 - ca, b = 1 - cb, g = 1 - cg;
  const sl = nr * nc;
  let count = 0;
  let out: f64 = 0;
  if (ii >= 0 && jj >= 0 && kk >= 0) { out = a * b * g * img(vol, kk * sl + ii * nc + jj); count++; }
  jj++;
  if (ii >= 0 && jj < nc && kk >= 0) { out += a * cb * g * img(vol, kk * sl + ii * nc + jj); count++; }
  ii++;
  if (ii < nr && jj < nc && kk >= 0) { out += ca * cb * g * img(vol, kk * sl + ii * nc + jj); count++; }
  jj--;
  if (ii < nr && jj >= 0 && kk >= 0) { out += ca * b * g * img(vol, kk * sl + ii * nc + jj); count++; }
  kk++;
  if (kk < ns) {
    ii--;
    if (ii >= 0 && jj >= 0) { out += a * b * cg * img(vol, kk * sl + ii * nc + jj); count++; }
    jj++;
    if (ii >= 0 && jj < nc) { out += a * cb * cg * img(vol, kk * sl + ii * nc + jj); count++; }
    ii++;
    if (ii < nr && jj < nc) { out += ca * cb * cg * img(vol, kk * sl + ii * nc + jj); count++; }
    jj--;
    if (ii < nr && jj >= 0) { out += ca * b * cg * img(vol, kk * sl + ii * nc + jj); count++; }
  }
  inside = count == 8 ? 1 : 0;
  return out;
}

/** `out` (`or·oc` f64) sampled from `image` (`nr·nc` f64) at `M·[i; 1]` (`M` 3×3 f64). */
export function resampleAffineLinear2d(out: usize, or: i32, oc: i32, image: usize, nr: i32, nc: i32, M: usize): void {
  const m0 = ldd(M, 0), m1 = ldd(M, 1), m2 = ldd(M, 2), m3 = ldd(M, 3), m4 = ldd(M, 4), m5 = ldd(M, 5);
  let p = 0;
  for (let i = 0; i < or; i++) {
    for (let j = 0; j < oc; j++, p++) {
      const di = m0 * <f64>i + m1 * <f64>j + m2;
      const dj = m3 * <f64>i + m4 * <f64>j + m5;
      std(out, p, bilinearAt(image, nr, nc, di, dj));
    }
  }
}

/** 3D version of {@link resampleAffineLinear2d} (`M` 4×4). */
export function resampleAffineLinear3d(out: usize, os: i32, or: i32, oc: i32, image: usize, ns: i32, nr: i32, nc: i32, M: usize): void {
  let p = 0;
  for (let k = 0; k < os; k++) {
    const fk = <f64>k;
    for (let i = 0; i < or; i++) {
      const fi = <f64>i;
      for (let j = 0; j < oc; j++, p++) {
        const fj = <f64>j;
        const dk = ldd(M, 0) * fk + ldd(M, 1) * fi + ldd(M, 2) * fj + ldd(M, 3);
        const di = ldd(M, 4) * fk + ldd(M, 5) * fi + ldd(M, 6) * fj + ldd(M, 7);
        const dj = ldd(M, 8) * fk + ldd(M, 9) * fi + ldd(M, 10) * fj + ldd(M, 11);
        std(out, p, trilinearAt(image, ns, nr, nc, dk, di, dj));
      }
    }
  }
}

function diffs2d(im: usize, nr: i32, nc: i32, W: usize, s0: f64, s1: f64, x0: f64, x1: f64, out: usize, o: i32): void {
  const w0 = ldd(W, 0), w1 = ldd(W, 1), w2 = ldd(W, 2), w3 = ldd(W, 3), w4 = ldd(W, 4), w5 = ldd(W, 5);
  const h0 = 0.5 * s0;
  let y0 = x0 - h0, y1 = x1;
  const lo0 = bilinearAt(im, nr, nc, w0 * y0 + w1 * y1 + w2, w3 * y0 + w4 * y1 + w5);
  if (inside == 0) std(out, o, 0);
  else {
    y0 = x0 + h0;
    const hi0 = bilinearAt(im, nr, nc, w0 * y0 + w1 * y1 + w2, w3 * y0 + w4 * y1 + w5);
    if (inside == 0) std(out, o, 0);
    else { std(out, o, (hi0 - lo0) / s0); y0 = x0; }
  }
  const h1 = 0.5 * s1;
  y1 = x1 - h1;
  const lo1 = bilinearAt(im, nr, nc, w0 * y0 + w1 * y1 + w2, w3 * y0 + w4 * y1 + w5);
  if (inside == 0) { std(out, o + 1, 0); return; }
  y1 = x1 + h1;
  const hi1 = bilinearAt(im, nr, nc, w0 * y0 + w1 * y1 + w2, w3 * y0 + w4 * y1 + w5);
  std(out, o + 1, inside == 0 ? 0 : (hi1 - lo1) / s1);
}

function sample3(vol: usize, ns: i32, nr: i32, nc: i32, W: usize, y0: f64, y1: f64, y2: f64): f64 {
  return trilinearAt(vol, ns, nr, nc,
    ldd(W, 0) * y0 + ldd(W, 1) * y1 + ldd(W, 2) * y2 + ldd(W, 3),
    ldd(W, 4) * y0 + ldd(W, 5) * y1 + ldd(W, 6) * y2 + ldd(W, 7),
    ldd(W, 8) * y0 + ldd(W, 9) * y1 + ldd(W, 10) * y2 + ldd(W, 11));
}

function diffs3d(vol: usize, ns: i32, nr: i32, nc: i32, W: usize, sp: usize, x0: f64, x1: f64, x2: f64, out: usize, o: i32): void {
  let y0 = x0, y1 = x1, y2 = x2;
  for (let p = 0; p < 3; p++) {
    const s = ldd(sp, p);
    const h = 0.5 * s;
    const xp = p == 0 ? x0 : p == 1 ? x1 : x2;
    if (p == 0) y0 = xp - h; else if (p == 1) y1 = xp - h; else y2 = xp - h;
    const lo = sample3(vol, ns, nr, nc, W, y0, y1, y2);
    if (inside == 0) { std(out, o + p, 0); continue; }
    if (p == 0) y0 = xp + h; else if (p == 1) y1 = xp + h; else y2 = xp + h;
    const hi = sample3(vol, ns, nr, nc, W, y0, y1, y2);
    if (inside == 0) { std(out, o + p, 0); continue; }
    std(out, o + p, (hi - lo) / s);
    if (p == 0) y0 = xp; else if (p == 1) y1 = xp; else y2 = xp;
  }
}

/** Dense world-space gradient, 2D (`out` `or·oc·2` f64; `W`, `A` 3×3; `sp` 2 f64). */
export function affineGradient2d(out: usize, or: i32, oc: i32, image: usize, nr: i32, nc: i32, W: usize, sp: usize, A: usize): void {
  const s0 = ldd(sp, 0), s1 = ldd(sp, 1);
  let p = 0;
  for (let i = 0; i < or; i++) {
    for (let j = 0; j < oc; j++, p++) {
      const x0 = ldd(A, 0) * <f64>i + ldd(A, 1) * <f64>j + ldd(A, 2);
      const x1 = ldd(A, 3) * <f64>i + ldd(A, 4) * <f64>j + ldd(A, 5);
      diffs2d(image, nr, nc, W, s0, s1, x0, x1, out, p * 2);
    }
  }
}

/** Dense world-space gradient, 3D (`out` `os·or·oc·3` f64; `W`, `A` 4×4; `sp` 3 f64). */
export function affineGradient3d(out: usize, os: i32, or: i32, oc: i32, image: usize, ns: i32, nr: i32, nc: i32,
  W: usize, sp: usize, A: usize): void {
  let p = 0;
  for (let k = 0; k < os; k++) {
    const fk = <f64>k;
    for (let i = 0; i < or; i++) {
      const fi = <f64>i;
      for (let j = 0; j < oc; j++, p++) {
        const fj = <f64>j;
        const x0 = ldd(A, 0) * fk + ldd(A, 1) * fi + ldd(A, 2) * fj + ldd(A, 3);
        const x1 = ldd(A, 4) * fk + ldd(A, 5) * fi + ldd(A, 6) * fj + ldd(A, 7);
        const x2 = ldd(A, 8) * fk + ldd(A, 9) * fi + ldd(A, 10) * fj + ldd(A, 11);
        diffs3d(image, ns, nr, nc, W, sp, x0, x1, x2, out, p * 3);
      }
    }
  }
}

/** Gradient at `m` world points (`d = 2` or 3; `shape` = `d` i32 values). */
export function affineGradientSparse(out: usize, points: usize, m: i32, image: usize, d: i32, n0: i32, n1: i32, n2: i32, W: usize, sp: usize): void {
  if (d == 2) {
    const s0 = ldd(sp, 0), s1 = ldd(sp, 1);
    for (let i = 0; i < m; i++) diffs2d(image, n0, n1, W, s0, s1, ldd(points, 2 * i), ldd(points, 2 * i + 1), out, 2 * i);
    return;
  }
  for (let i = 0; i < m; i++) {
    diffs3d(image, n0, n1, n2, W, sp, ldd(points, 3 * i), ldd(points, 3 * i + 1), ldd(points, 3 * i + 2), out, 3 * i);
  }
}

function cubicSpline(x: f64): f64 {
  const ax = x < 0 ? -x : x;
  const sq = x * x;
  if (ax < 1) return (4.0 - 6.0 * sq + 3.0 * sq * ax) / 6.0;
  if (ax < 2) return (8.0 - 12 * ax + 6.0 * sq - sq * ax) / 6.0;
  return 0;
}

function cubicSplineDerivative(x: f64): f64 {
  const ax = x < 0 ? -x : x;
  if (ax < 1) return x >= 0 ? -2.0 * x + 1.5 * x * x : -2.0 * x - 1.5 * x * x;
  if (ax < 2) return x >= 0 ? -2.0 + 2.0 * x - 0.5 * x * x : 2.0 + 2.0 * x + 0.5 * x * x;
  return 0;
}

function binOf(u: f64, nbins: i32): i32 {
  const b = Math.trunc(u);
  if (!(b >= 2)) return 2;
  if (b > <f64>(nbins - 3)) return nbins - 3;
  return <i32>b;
}

// @ts-ignore: decorator
@inline function ldi(base: usize, i: i32): i32 {
  return load<i32>(base + (<usize>i << 2));
}

// @ts-ignore: decorator
@inline function sti(base: usize, i: i32, v: i32): void {
  store<i32>(base + (<usize>i << 2), v);
}

// @ts-ignore: decorator
@inline function used(smask: usize, mmask: usize, i: i32): bool {
  if (smask != 0 && load<i32>(smask + (<usize>i << 2)) == 0) return false;
  if (mmask != 0 && load<i32>(mmask + (<usize>i << 2)) == 0) return false;
  return true;
}

/** Parzen joint pdf and marginals from `n` sample pairs (see the TypeScript kernel). */
export function parzenJointPdf(joint: usize, smarg: usize, mmarg: usize, sv: usize, mv: usize, smask: usize, mmask: usize, n: i32,
  nbins: i32, smin: f64, sdelta: f64, mmin: f64, mdelta: f64, byCount: i32): void {
  const B = nbins;
  memory.fill(joint, 0, <usize>(B * B) << 3);
  memory.fill(smarg, 0, <usize>B << 3);
  memory.fill(mmarg, 0, <usize>B << 3);
  let total: f64 = 0;
  let valid = 0;
  for (let i = 0; i < n; i++) {
    if (!used(smask, mmask, i)) continue;
    valid++;
    const r = binOf(sdelta == 0 ? 0 : ldd(sv, i) / sdelta - smin, B);
    const cn = mdelta == 0 ? 0 : ldd(mv, i) / mdelta - mmin;
    const c = binOf(cn, B);
    let arg = <f64>(c - 2) - cn;
    std(smarg, r, ldd(smarg, r) + 1);
    const row = r * B;
    for (let o = -2; o <= 2; o++) {
      const v = cubicSpline(arg);
      const q = row + c + o;
      std(joint, q, ldd(joint, q) + v);
      total += v;
      arg += 1.0;
    }
  }
  if (total > 0) {
    const norm: f64 = byCount != 0 ? <f64>valid : total;
    for (let i = 0; i < B * B; i++) std(joint, i, ldd(joint, i) / norm);
    for (let i = 0; i < B; i++) std(smarg, i, ldd(smarg, i) / <f64>valid);
    for (let j = 0; j < B; j++) {
      let s: f64 = 0;
      for (let i = 0; i < B; i++) s += ldd(joint, i * B + j);
      std(mmarg, j, s);
    }
  }
}

/** Gradient of the joint pdf w.r.t. `np` parameters (see the TypeScript kernel); `prod` (`np` f64) and `terms` (`np·(d+1)` i32) are scratch. */
export function parzenJointGradient(grad: usize, sv: usize, mv: usize, smask: usize, mmask: usize, mgrad: usize, points: usize,
  jac: usize, prod: usize, terms: usize, n: i32, d: i32, np: i32, nbins: i32, smin: f64, sdelta: f64, mmin: f64, mdelta: f64): void {
  const B = nbins;
  const dn = d * np;
  const len = B * B * np;
  memory.fill(grad, 0, <usize>len << 3);
  // The non-zero structure of the Jacobian (as the TypeScript kernel's jacobianTerms), in `terms`.
  for (let k = 0; k < np; k++) {
    let cnt = 0;
    for (let a = 0; a < d; a++) {
      let mask = 0;
      for (let j = 0; j < d; j++) if (ldd(jac, (j + 1) * dn + a * np + k) != 0) mask |= 1 << j;
      if (mask != 0 || ldd(jac, a * np + k) != 0) { cnt++; sti(terms, k * (d + 1) + cnt, a | (mask << 4)); }
    }
    sti(terms, k * (d + 1), cnt);
  }
  let valid = 0;
  for (let i = 0; i < n; i++) {
    if (!used(smask, mmask, i)) continue;
    valid++;
    const g = i * d;
    for (let k = 0; k < np; k++) {
      const base = k * (d + 1), cnt = ldi(terms, base);
      let s: f64 = 0;
      for (let t = 1; t <= cnt; t++) {
        const e = ldi(terms, base + t), a = e & 15, mask = e >> 4;
        let jak = ldd(jac, a * np + k);
        for (let j = 0; j < d; j++) if ((mask >> j) & 1) jak += ldd(points, g + j) * ldd(jac, (j + 1) * dn + a * np + k);
        s += jak * ldd(mgrad, g + a);
      }
      std(prod, k, s);
    }
    const r = binOf(sdelta == 0 ? 0 : ldd(sv, i) / sdelta - smin, B);
    const cn = mdelta == 0 ? 0 : ldd(mv, i) / mdelta - mmin;
    const c = binOf(cn, B);
    let arg = <f64>(c - 2) - cn;
    for (let o = -2; o <= 2; o++) {
      const v = cubicSplineDerivative(arg);
      const base = (r * B + c + o) * np;
      for (let k = 0; k < np; k++) std(grad, base + k, ldd(grad, base + k) - v * ldd(prod, k));
      arg += 1.0;
    }
  }
  const norm = <f64>valid * mdelta;
  if (norm > 0) for (let i = 0; i < len; i++) std(grad, i, ldd(grad, i) / norm);
}

// ---------------------------------------------------------------------------------------------
// One dense MI evaluation in a single pass (the TypeScript `affineMIDense2d/3d`): the moving
// value, the joint pdf, the moving gradient, the Jacobian product and the joint-pdf gradient of
// each static voxel in turn, with no intermediate arrays. Same expressions in the same order as
// the kernel chain; the samples that have all their corners inside take a branch-free path with
// the same sums. The joint-pdf gradient rows are updated two parameters at a time (f64x2: per
// lane the same `g − v·p` as the scalar code).

/**
 * Trilinear sample with the all-corners-inside fast path. A sample not fully inside goes to
 * `trilinearAt` (its partial sum and `inside` flag) when `partial`, else is `inside = 0` with
 * no sum: the fast path's test is exactly "all eight corners inside" (`trilinearAt` counts 8
 * corners iff `0 ≤ ⌊d⌋ ≤ n − 2` on each axis, and NaN fails both).
 */
// @ts-ignore: decorator
@inline function triAt(vol: usize, ns: i32, nr: i32, nc: i32, dk: f64, di: f64, dj: f64, partial: bool): f64 {
  const fk = Math.floor(dk), fi = Math.floor(di), fj = Math.floor(dj);
  if (fk >= 0 && fi >= 0 && fj >= 0 && fk < <f64>(ns - 1) && fi < <f64>(nr - 1) && fj < <f64>(nc - 1)) {
    const sl = nr * nc;
    const q = <i32>fk * sl + <i32>fi * nc + <i32>fj;
    const cg = dk - fk, ca = di - fi, cb = dj - fj, a = 1 - ca, b = 1 - cb, g = 1 - cg;
    const p0 = vol + (<usize>q << 3), p1 = p0 + (<usize>sl << 3);
    const o1 = <usize>nc << 3;
    let out = a * b * g * load<f64>(p0);
    out += a * cb * g * load<f64>(p0, 8);
    out += ca * cb * g * load<f64>(p0 + o1, 8);
    out += ca * b * g * load<f64>(p0 + o1);
    out += a * b * cg * load<f64>(p1);
    out += a * cb * cg * load<f64>(p1, 8);
    out += ca * cb * cg * load<f64>(p1 + o1, 8);
    out += ca * b * cg * load<f64>(p1 + o1);
    inside = 1;
    return out;
  }
  if (partial) return trilinearAt(vol, ns, nr, nc, dk, di, dj);
  inside = 0;
  return 0;
}

/** Trilinear sample as trilinearAt (value and `inside`), with the fast path of {@link triAt}. */
// @ts-ignore: decorator
@inline function tri(vol: usize, ns: i32, nr: i32, nc: i32, dk: f64, di: f64, dj: f64): f64 {
  return triAt(vol, ns, nr, nc, dk, di, dj, true);
}

/** {@link triAt} for the gradient's samples, whose value is used only when all eight corners are inside. */
// @ts-ignore: decorator
@inline function triIn(vol: usize, ns: i32, nr: i32, nc: i32, dk: f64, di: f64, dj: f64): f64 {
  return triAt(vol, ns, nr, nc, dk, di, dj, false);
}

/** Bilinear twin of {@link triAt}: the fast path when all four corners are inside. */
// @ts-ignore: decorator
@inline function bilAt(im: usize, nr: i32, nc: i32, di: f64, dj: f64, partial: bool): f64 {
  const fi = Math.floor(di), fj = Math.floor(dj);
  if (fi >= 0 && fj >= 0 && fi < <f64>(nr - 1) && fj < <f64>(nc - 1)) {
    const ca = di - fi, cb = dj - fj, a = 1 - ca, b = 1 - cb;
    const p0 = im + (<usize>(<i32>fi * nc + <i32>fj) << 3), p1 = p0 + (<usize>nc << 3);
    let out = a * b * load<f64>(p0);
    out += a * cb * load<f64>(p0, 8);
    out += ca * cb * load<f64>(p1, 8);
    out += ca * b * load<f64>(p1);
    inside = 1;
    return out;
  }
  if (partial) return bilinearAt(im, nr, nc, di, dj);
  inside = 0;
  return 0;
}

/** Bilinear sample as bilinearAt (value and `inside`), with the fast path of {@link bilAt}. */
// @ts-ignore: decorator
@inline function bil(im: usize, nr: i32, nc: i32, di: f64, dj: f64): f64 {
  return bilAt(im, nr, nc, di, dj, true);
}

/** {@link bilAt} for the gradient's samples (all four corners inside, or `inside = 0`). */
// @ts-ignore: decorator
@inline function bilIn(im: usize, nr: i32, nc: i32, di: f64, dj: f64): f64 {
  return bilAt(im, nr, nc, di, dj, false);
}

/** The moving gradient of the last {@link grad3}/{@link grad2} call. */
let gr0: f64 = 0, gr1: f64 = 0, gr2: f64 = 0;
/** The world-to-grid matrix and spacings of the moving image for {@link grad3}/{@link grad2}. */
let w0: f64 = 0, w1: f64 = 0, w2: f64 = 0, w3: f64 = 0, w4: f64 = 0, w5: f64 = 0;
let w6: f64 = 0, w7: f64 = 0, w8: f64 = 0, w9: f64 = 0, w10: f64 = 0, w11: f64 = 0;
let sp0: f64 = 0, sp1: f64 = 0, sp2: f64 = 0;

// @ts-ignore: decorator
@inline function at3(vol: usize, ns: i32, nr: i32, nc: i32, y0: f64, y1: f64, y2: f64): f64 {
  return triIn(vol, ns, nr, nc, w0 * y0 + w1 * y1 + w2 * y2 + w3, w4 * y0 + w5 * y1 + w6 * y2 + w7, w8 * y0 + w9 * y1 + w10 * y2 + w11);
}

/** diffs3d at world point (x0, x1, x2) into gr0..gr2 (the same shifted-coordinate rule). */
function grad3(vol: usize, ns: i32, nr: i32, nc: i32, x0: f64, x1: f64, x2: f64): void {
  let y0 = x0, y1 = x1, y2 = x2;
  let h = 0.5 * sp0;
  y0 = x0 - h;
  let lo = at3(vol, ns, nr, nc, y0, y1, y2);
  if (inside == 0) gr0 = 0;
  else {
    y0 = x0 + h;
    const hi = at3(vol, ns, nr, nc, y0, y1, y2);
    if (inside == 0) gr0 = 0;
    else { gr0 = (hi - lo) / sp0; y0 = x0; }
  }
  h = 0.5 * sp1;
  y1 = x1 - h;
  lo = at3(vol, ns, nr, nc, y0, y1, y2);
  if (inside == 0) gr1 = 0;
  else {
    y1 = x1 + h;
    const hi = at3(vol, ns, nr, nc, y0, y1, y2);
    if (inside == 0) gr1 = 0;
    else { gr1 = (hi - lo) / sp1; y1 = x1; }
  }
  h = 0.5 * sp2;
  y2 = x2 - h;
  lo = at3(vol, ns, nr, nc, y0, y1, y2);
  if (inside == 0) { gr2 = 0; return; }
  y2 = x2 + h;
  const hi = at3(vol, ns, nr, nc, y0, y1, y2);
  gr2 = inside == 0 ? 0 : (hi - lo) / sp2;
}

/** diffs2d at world point (x0, x1) into gr0, gr1. */
function grad2(im: usize, nr: i32, nc: i32, x0: f64, x1: f64): void {
  const h0 = 0.5 * sp0;
  let y0 = x0 - h0, y1 = x1;
  const lo0 = bilIn(im, nr, nc, w0 * y0 + w1 * y1 + w2, w3 * y0 + w4 * y1 + w5);
  if (inside == 0) gr0 = 0;
  else {
    y0 = x0 + h0;
    const hi0 = bilIn(im, nr, nc, w0 * y0 + w1 * y1 + w2, w3 * y0 + w4 * y1 + w5);
    if (inside == 0) gr0 = 0;
    else { gr0 = (hi0 - lo0) / sp0; y0 = x0; }
  }
  const h1 = 0.5 * sp1;
  y1 = x1 - h1;
  const lo1 = bilIn(im, nr, nc, w0 * y0 + w1 * y1 + w2, w3 * y0 + w4 * y1 + w5);
  if (inside == 0) { gr1 = 0; return; }
  y1 = x1 + h1;
  const hi1 = bilIn(im, nr, nc, w0 * y0 + w1 * y1 + w2, w3 * y0 + w4 * y1 + w5);
  gr1 = inside == 0 ? 0 : (hi1 - lo1) / sp1;
}

/** Sum of the spline weights added so far (the `total` of parzenJointPdf) and the sample count. */
let mTotal: f64 = 0;

/** Adds one sample to the joint pdf and the static marginal (parzenJointPdf's loop body). */
// @ts-ignore: decorator
@inline function pdfAdd(joint: usize, smarg: usize, B: i32, r: i32, c: i32, cn: f64): void {
  let arg = <f64>(c - 2) - cn;
  std(smarg, r, ldd(smarg, r) + 1);
  const q = joint + (<usize>(r * B + c - 2) << 3);
  let total = mTotal;
  // Unclamped bins (c = ⌊cn⌋) give the first tap β(−2 − frac) = 0 exactly (its argument rounds
  // to ≤ −2), and adding +0 changes no sum: that tap is skipped (its argument still advances).
  let o0 = 0;
  if (<f64>c <= cn && cn < <f64>(c + 1)) { o0 = 1; arg += 1.0; }
  for (let o = o0; o < 5; o++) {
    const v = cubicSpline(arg);
    const a = q + (<usize>o << 3);
    store<f64>(a, load<f64>(a) + v);
    total += v;
    arg += 1.0;
  }
  mTotal = total;
}

/**
 * `prod[k] = (J(x)ᵀ ∇M)_k` for the point (p0, p1, p2) and the gradient gr0..gr2, two parameters
 * at a time from {@link fillTerms}'s table (`d3`: 3D, else J₃ is left out). Per lane this is
 * parzenJointGradient's sum `s = 0 + Σ_a (J₀ + p₀J₁ + p₁J₂ (+ p₂J₃))·g_a` over the rows `a` it
 * uses, in the same order: a row the lane does not use (one only its pair's other parameter, or
 * the missing parameter of an odd count, uses) is masked out to +0, and the coefficients the
 * scalar code skips are exact zeros times finite points. Both leave every non-zero partial sum
 * as it is and can at most turn a zero into +0 or −0, which `g − v·prod[k]` does not see.
 * `prod` holds `np` rounded up to even values.
 */
// @ts-ignore: decorator
@inline function jacProd(table: usize, prod: usize, np: i32, p0: f64, p1: f64, p2: f64, d3: bool): void {
  const pp0 = f64x2.splat(p0), pp1 = f64x2.splat(p1), pp2 = f64x2.splat(p2);
  let q = table, out = prod;
  const end = prod + (<usize>((np + 1) >> 1) << 4);
  for (; out < end; out += 16) {
    const cnt = load<i32>(q);
    q += 16;
    let s = f64x2.splat(0);
    for (let t = 0; t < cnt; t++) {
      const a = load<i32>(q);
      let jak = f64x2.add(v128.load(q, 32), f64x2.mul(pp0, v128.load(q, 48)));
      jak = f64x2.add(jak, f64x2.mul(pp1, v128.load(q, 64)));
      if (d3) jak = f64x2.add(jak, f64x2.mul(pp2, v128.load(q, 80)));
      s = f64x2.add(s, v128.and(v128.load(q, 16), f64x2.mul(jak, f64x2.splat(a == 0 ? gr0 : a == 1 ? gr1 : gr2))));
      q += 96;
    }
    v128.store(out, s);
  }
}

/** `grad[(r·B + c + o)·np + k] −= β'(c + o − cn)·prod[k]`, o = −2..2 (parzenJointGradient's loop body). */
// @ts-ignore: decorator
@inline function gradAdd(grad: usize, prod: usize, np: i32, B: i32, r: i32, c: i32, cn: f64, finite: bool): void {
  let arg = <f64>(c - 2) - cn;
  const np2 = np & ~1;
  // As in pdfAdd: β'(−2 − frac) = 0 exactly for unclamped bins, and g − 0·p = g when p is finite
  // (`finite`: the caller has made sure of that, see {@link prodBound}).
  let o0 = -2;
  if (finite && <f64>c <= cn && cn < <f64>(c + 1)) { o0 = -1; arg += 1.0; }
  for (let o = o0; o <= 2; o++) {
    rowSub(grad + (<usize>((r * B + c + o) * np) << 3), prod, np, np2, cubicSplineDerivative(arg));
    arg += 1.0;
  }
}

/** One tap of {@link tapsAdd}: `β(x)` into the joint row and the total, `β'(x)·prod` out of the gradient row. */
// @ts-ignore: decorator
@inline function tapBoth(x: f64, ja: usize, grow: usize, prod: usize, np: i32, np2: i32): void {
  const ax = x < 0 ? -x : x;
  const sq = x * x;
  let v: f64 = 0, dv: f64 = 0;
  if (ax < 1) {
    v = (4.0 - 6.0 * sq + 3.0 * sq * ax) / 6.0;
    dv = x >= 0 ? -2.0 * x + 1.5 * x * x : -2.0 * x - 1.5 * x * x;
  } else if (ax < 2) {
    v = (8.0 - 12 * ax + 6.0 * sq - sq * ax) / 6.0;
    dv = x >= 0 ? -2.0 + 2.0 * x - 0.5 * x * x : 2.0 + 2.0 * x + 0.5 * x * x;
  }
  store<f64>(ja, load<f64>(ja) + v);
  mTotal += v;
  rowSub(grow, prod, np, np2, dv);
}

/** `row[k] −= v·prod[k]`, k < np, two at a time (f64x2; per lane the scalar expression). */
// @ts-ignore: decorator
@inline function rowSub(row: usize, prod: usize, np: i32, np2: i32, v: f64): void {
  const vv = f64x2.splat(v);
  let k = 0;
  for (; k < np2; k += 2) {
    const a = row + (<usize>k << 3);
    v128.store(a, f64x2.sub(v128.load(a), f64x2.mul(vv, v128.load(prod + (<usize>k << 3)))));
  }
  if (k < np) {
    const a = row + (<usize>k << 3);
    store<f64>(a, load<f64>(a) - v * load<f64>(prod + (<usize>k << 3)));
  }
}

/**
 * {@link pdfAdd} and {@link gradAdd} in one pass over the taps (each tap's `β` and `β'` from the
 * same argument, the same expressions; the joint, the total and the gradient see the same
 * sequence of additions as in the two passes).
 */
// @ts-ignore: decorator
@inline function tapsAdd(joint: usize, smarg: usize, grad: usize, prod: usize, np: i32, B: i32, r: i32, c: i32, cn: f64, finite: bool): void {
  let arg = <f64>(c - 2) - cn;
  std(smarg, r, ldd(smarg, r) + 1);
  const np2 = np & ~1;
  const rs = <usize>(np << 3);
  let ja = joint + (<usize>(r * B + c - 2) << 3);
  let grow = grad + (<usize>((r * B + c - 2) * np) << 3);
  let o = 0;
  if (<f64>c <= cn && cn < <f64>(c + 1)) {
    // the zero first tap: no joint or total update; the gradient's only when a product may be non-finite
    if (!finite) rowSub(grow, prod, np, np2, cubicSplineDerivative(arg));
    arg += 1.0;
    ja += 8;
    grow += rs;
    o = 1;
  }
  for (; o < 5; o++) {
    tapBoth(arg, ja, grow, prod, np, np2);
    arg += 1.0;
    ja += 8;
    grow += rs;
  }
}

/**
 * The Jacobian's non-zero structure (as parzenJointGradient) as a table, for parameter pairs
 * `(2t, 2t + 1)`: the number of rows `a` with a non-zero coefficient for either parameter (i32 in 16
 * bytes), then per such row 96 bytes: `a` (i32 in 16 bytes), the lane mask (all ones in the lane
 * of a parameter that uses row `a`, else 0), then `J₀[a]`, `J₁[a]`, `J₂[a]`, `J₃[a]` at the pair's
 * two parameters (f64x2 each; 0 past `d` and for a missing second parameter).
 * At most `⌈np/2⌉·(2 + 12d)` f64.
 */
function fillTerms(jac: usize, table: usize, d: i32, np: i32): void {
  const dn = d * np;
  let q = table;
  for (let k0 = 0; k0 < np; k0 += 2) {
    const head = q;
    q += 16;
    let cnt = 0;
    for (let a = 0; a < d; a++) {
      let lanes = 0;
      for (let l = 0; l < 2; l++) {
        const k = k0 + l;
        if (k >= np) continue;
        for (let j = 0; j <= d; j++) if (ldd(jac, j * dn + a * np + k) != 0) lanes |= 1 << l;
      }
      if (lanes == 0) continue;
      cnt++;
      store<i32>(q, a);
      store<i64>(q, (lanes & 1) != 0 ? -1 : 0, 16);
      store<i64>(q, (lanes & 2) != 0 ? -1 : 0, 24);
      for (let j = 0; j < 4; j++) {
        for (let l = 0; l < 2; l++) {
          const k = k0 + l;
          store<f64>(q + (<usize>(32 + 16 * j + 8 * l)), j <= d && k < np ? ldd(jac, j * dn + a * np + k) : 0);
        }
      }
      q += 96;
    }
    store<i32>(head, cnt);
  }
}

/**
 * A bound `T` on the moving gradient below which every Jacobian product is finite: with
 * `|g_a| ≤ T` for all `a`, `|prod[k]| ≤ Σ_a |J(x)[a][k]|·T ≤ 10²⁹⁹` for every point `x = P·[i; 1]`
 * of the grid (`n0·n1·n2`, `P` `(d+1)²`; `|x_j|` at most twice its largest value at the grid's
 * corners plus 1). A NaN or infinite gradient fails `≤ T` too.
 */
let gBound: f64 = 0;

function prodBound(jac: usize, d: i32, np: i32, P: usize, n0: i32, n1: i32, n2: i32): f64 {
  const e = d + 1;
  let pmax: f64 = 0;
  for (let corner = 0; corner < (1 << d); corner++) {
    for (let a = 0; a < d; a++) {
      let x = ldd(P, a * e + d);
      for (let j = 0; j < d; j++) {
        const nj = j == 0 ? n0 : j == 1 ? n1 : n2;
        if ((corner >> j) & 1) x += ldd(P, a * e + j) * <f64>(nj - 1);
      }
      pmax = Math.max(pmax, Math.abs(x));
    }
  }
  pmax = 2 * pmax + 1;
  const dn = d * np;
  let jb: f64 = 0;
  for (let k = 0; k < np; k++) {
    let t: f64 = 0;
    for (let a = 0; a < d; a++) {
      t += Math.abs(ldd(jac, a * np + k));
      for (let j = 1; j <= d; j++) t += Math.abs(ldd(jac, j * dn + a * np + k)) * pmax;
    }
    jb = Math.max(jb, t);
  }
  // NaN coefficients or points: never skip
  if (!(jb < Infinity)) return -1;
  return 1e299 / Math.max(jb, 1e-300);
}

/** Load the moving gradient's constants (W, spacing) into this instance's globals. */
function loadMoving(W: usize, sp: usize, d: i32): void {
  if (d == 2) {
    w0 = ldd(W, 0); w1 = ldd(W, 1); w2 = ldd(W, 2); w3 = ldd(W, 3); w4 = ldd(W, 4); w5 = ldd(W, 5);
    sp0 = ldd(sp, 0); sp1 = ldd(sp, 1);
  } else {
    w0 = ldd(W, 0); w1 = ldd(W, 1); w2 = ldd(W, 2); w3 = ldd(W, 3); w4 = ldd(W, 4); w5 = ldd(W, 5);
    w6 = ldd(W, 6); w7 = ldd(W, 7); w8 = ldd(W, 8); w9 = ldd(W, 9); w10 = ldd(W, 10); w11 = ldd(W, 11);
    sp0 = ldd(sp, 0); sp1 = ldd(sp, 1); sp2 = ldd(sp, 2);
  }
}

/**
 * Voxels per chunk of a dense evaluation (the TypeScript `AFFINE_MI_CHUNK`): the static grid's
 * voxels in raster order are cut into chunks of this many, each chunk's sums start from zero, and
 * the chunks' sums are added in chunk order, whatever thread computed them.
 */
const CHUNK: i32 = 4096;

/**
 * f64 values of one chunk's sums for `B` bins and `np` parameters (0 = pdfs only), rounded up to
 * a multiple of 16 (128 bytes: chunks computed by different threads share no cache line): the joint histogram (`B²`), the static marginal (`B`), the joint-pdf gradient (`B²·np`),
 * the spline weights' total and the sample count.
 */
// @ts-ignore: decorator
@inline function partLen(B: i32, np: i32): i32 {
  return (B * B + B + B * B * np + 2 + 15) & ~15;
}

/** Adds `n` f64 of `src` to `dst`, value by value. */
export function affineMIAdd(dst: usize, src: usize, n: i32): void {
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const a = dst + (<usize>i << 3);
    v128.store(a, f64x2.add(v128.load(a), v128.load(src + (<usize>i << 3))));
  }
  if (i < n) std(dst, i, ldd(dst, i) + ldd(src, i));
}

/**
 * The outputs from the chunks' summed sums `acc` (see {@link partLen}): the normalisations of
 * parzenJointPdf and parzenJointGradient (`grad` 0 = pdfs only).
 */
export function affineMIFinish(joint: usize, smarg: usize, mmarg: usize, grad: usize, acc: usize, B: i32, np: i32,
  mdelta: f64, byCount: i32): void {
  const npe = grad != 0 ? np : 0;
  const o = B * B + B + B * B * npe;
  const total = ldd(acc, o), valid = ldd(acc, o + 1);
  memory.copy(joint, acc, <usize>(B * B) << 3);
  memory.copy(smarg, acc + (<usize>(B * B) << 3), <usize>B << 3);
  memory.fill(mmarg, 0, <usize>B << 3);
  if (total > 0) {
    const norm: f64 = byCount != 0 ? valid : total;
    for (let i = 0; i < B * B; i++) std(joint, i, ldd(joint, i) / norm);
    for (let i = 0; i < B; i++) std(smarg, i, ldd(smarg, i) / valid);
    for (let j = 0; j < B; j++) {
      let s: f64 = 0;
      for (let i = 0; i < B; i++) s += ldd(joint, i * B + j);
      std(mmarg, j, s);
    }
  }
  if (grad != 0) {
    const len = B * B * np;
    memory.copy(grad, acc + (<usize>(B * B + B) << 3), <usize>len << 3);
    const norm = valid * mdelta;
    if (norm > 0) for (let i = 0; i < len; i++) std(grad, i, ldd(grad, i) / norm);
  }
}

/** The Jacobian's table for {@link affineMIChunk3d}/{@link affineMIChunk2d} (see fillTerms; `np·(d+1)·d` coefficients). */
export function affineMITerms(jac: usize, terms: usize, d: i32, np: i32): void {
  fillTerms(jac, terms, d, np);
}

/**
 * Chunk `ch` of a 3D dense evaluation into `out` ({@link partLen} f64, overwritten): the voxels
 * `[ch·CHUNK, (ch + 1)·CHUNK)` of the static grid in raster order, as affineMIDense3d's loop.
 */
function chunk3(out: usize, ch: i32, withGrad: bool, sv: usize, smask: usize, ns: i32, nr: i32, nc: i32,
  mov: usize, ms: i32, mr: i32, mc: i32, M: usize, A: usize, W: usize, sp: usize, P: usize, jac: usize, prod: usize, terms: usize,
  np: i32, B: i32, smin: f64, sdelta: f64, mmin: f64, mdelta: f64): void {
  const npe = withGrad ? np : 0;
  memory.fill(out, 0, <usize>partLen(B, npe) << 3);
  const joint = out, smarg = out + (<usize>(B * B) << 3), grad = withGrad ? smarg + (<usize>B << 3) : 0;
  loadMoving(W, sp, 3);
  mTotal = 0;
  gBound = withGrad ? prodBound(jac, 3, np, P, ns, nr, nc) : 0;
  const m0 = ldd(M, 0), m1 = ldd(M, 1), m2 = ldd(M, 2), m3 = ldd(M, 3), m4 = ldd(M, 4), m5 = ldd(M, 5);
  const m6 = ldd(M, 6), m7 = ldd(M, 7), m8 = ldd(M, 8), m9 = ldd(M, 9), m10 = ldd(M, 10), m11 = ldd(M, 11);
  const a0 = ldd(A, 0), a1 = ldd(A, 1), a2 = ldd(A, 2), a3 = ldd(A, 3), a4 = ldd(A, 4), a5 = ldd(A, 5);
  const a6 = ldd(A, 6), a7 = ldd(A, 7), a8 = ldd(A, 8), a9 = ldd(A, 9), a10 = ldd(A, 10), a11 = ldd(A, 11);
  const q0 = ldd(P, 0), q1 = ldd(P, 1), q2 = ldd(P, 2), q3 = ldd(P, 3), q4 = ldd(P, 4), q5 = ldd(P, 5);
  const q6 = ldd(P, 6), q7 = ldd(P, 7), q8 = ldd(P, 8), q9 = ldd(P, 9), q10 = ldd(P, 10), q11 = ldd(P, 11);
  const sl = nr * nc, n = ns * sl;
  let p = ch * CHUNK;
  const end = min(n, p + CHUNK);
  let k = p / sl, i = (p - k * sl) / nc, j = p - k * sl - i * nc;
  let valid = 0;
  for (; p < end; p++) {
    if (!(smask != 0 && ldi(smask, p) == 0)) {
      valid++;
      const fk = <f64>k, fi = <f64>i, fj = <f64>j;
      const mv = tri(mov, ms, mr, mc, m0 * fk + m1 * fi + m2 * fj + m3, m4 * fk + m5 * fi + m6 * fj + m7, m8 * fk + m9 * fi + m10 * fj + m11);
      const r = binOf(sdelta == 0 ? 0 : ldd(sv, p) / sdelta - smin, B);
      const cn = mdelta == 0 ? 0 : mv / mdelta - mmin;
      const c = binOf(cn, B);
      if (grad == 0) pdfAdd(joint, smarg, B, r, c, cn);
      else {
        grad3(mov, ms, mr, mc, a0 * fk + a1 * fi + a2 * fj + a3, a4 * fk + a5 * fi + a6 * fj + a7, a8 * fk + a9 * fi + a10 * fj + a11);
        jacProd(terms, prod, np, q0 * fk + q1 * fi + q2 * fj + q3, q4 * fk + q5 * fi + q6 * fj + q7, q8 * fk + q9 * fi + q10 * fj + q11, true);
        tapsAdd(joint, smarg, grad, prod, np, B, r, c, cn, <bool>(<i32>(Math.abs(gr0) <= gBound) & <i32>(Math.abs(gr1) <= gBound) & <i32>(Math.abs(gr2) <= gBound)));
      }
    }
    if (++j == nc) { j = 0; if (++i == nr) { i = 0; k++; } }
  }
  const o = B * B + B + B * B * npe;
  std(out, o, mTotal);
  std(out, o + 1, <f64>valid);
}

/** Chunk `ch` of a 2D dense evaluation into `out` (see {@link chunk3}). */
function chunk2(out: usize, ch: i32, withGrad: bool, sv: usize, smask: usize, nr: i32, nc: i32,
  mov: usize, mr: i32, mc: i32, M: usize, A: usize, W: usize, sp: usize, P: usize, jac: usize, prod: usize, terms: usize,
  np: i32, B: i32, smin: f64, sdelta: f64, mmin: f64, mdelta: f64): void {
  const npe = withGrad ? np : 0;
  memory.fill(out, 0, <usize>partLen(B, npe) << 3);
  const joint = out, smarg = out + (<usize>(B * B) << 3), grad = withGrad ? smarg + (<usize>B << 3) : 0;
  loadMoving(W, sp, 2);
  mTotal = 0;
  gBound = withGrad ? prodBound(jac, 2, np, P, nr, nc, 1) : 0;
  const m0 = ldd(M, 0), m1 = ldd(M, 1), m2 = ldd(M, 2), m3 = ldd(M, 3), m4 = ldd(M, 4), m5 = ldd(M, 5);
  const a0 = ldd(A, 0), a1 = ldd(A, 1), a2 = ldd(A, 2), a3 = ldd(A, 3), a4 = ldd(A, 4), a5 = ldd(A, 5);
  const q0 = ldd(P, 0), q1 = ldd(P, 1), q2 = ldd(P, 2), q3 = ldd(P, 3), q4 = ldd(P, 4), q5 = ldd(P, 5);
  const n = nr * nc;
  let p = ch * CHUNK;
  const end = min(n, p + CHUNK);
  let i = p / nc, j = p - i * nc;
  let valid = 0;
  for (; p < end; p++) {
    if (!(smask != 0 && ldi(smask, p) == 0)) {
      valid++;
      const fi = <f64>i, fj = <f64>j;
      const mv = bil(mov, mr, mc, m0 * fi + m1 * fj + m2, m3 * fi + m4 * fj + m5);
      const r = binOf(sdelta == 0 ? 0 : ldd(sv, p) / sdelta - smin, B);
      const cn = mdelta == 0 ? 0 : mv / mdelta - mmin;
      const c = binOf(cn, B);
      if (grad == 0) pdfAdd(joint, smarg, B, r, c, cn);
      else {
        grad2(mov, mr, mc, a0 * fi + a1 * fj + a2, a3 * fi + a4 * fj + a5);
        jacProd(terms, prod, np, q0 * fi + q1 * fj + q2, q3 * fi + q4 * fj + q5, 0, false);
        tapsAdd(joint, smarg, grad, prod, np, B, r, c, cn, <bool>(<i32>(Math.abs(gr0) <= gBound) & <i32>(Math.abs(gr1) <= gBound)));
      }
    }
    if (++j == nc) { j = 0; i++; }
  }
  const o = B * B + B + B * B * npe;
  std(out, o, mTotal);
  std(out, o + 1, <f64>valid);
}

/**
 * Chunks `[lo, hi)` of a 3D dense evaluation (the threaded part of {@link affineMIDense3d}):
 * chunk `c`'s sums go to `parts + c·partLen` f64; `terms` was filled by {@link affineMITerms};
 * `prod` (`np` rounded up to even f64) is this thread's scratch. `withGrad` 0 = pdfs only.
 */
export function affineMIChunk3d(parts: usize, withGrad: i32, sv: usize, smask: usize, ns: i32, nr: i32, nc: i32,
  mov: usize, ms: i32, mr: i32, mc: i32, M: usize, A: usize, W: usize, sp: usize, P: usize, jac: usize, terms: usize,
  np: i32, nbins: i32, smin: f64, sdelta: f64, mmin: f64, mdelta: f64, lo: i32, hi: i32, prod: usize): void {
  const len = <usize>partLen(nbins, withGrad != 0 ? np : 0) << 3;
  for (let c = lo; c < hi; c++) {
    chunk3(parts + <usize>c * len, c, withGrad != 0, sv, smask, ns, nr, nc, mov, ms, mr, mc, M, A, W, sp, P, jac, prod, terms,
      np, nbins, smin, sdelta, mmin, mdelta);
  }
}

/** 2D version of {@link affineMIChunk3d}. */
export function affineMIChunk2d(parts: usize, withGrad: i32, sv: usize, smask: usize, nr: i32, nc: i32,
  mov: usize, mr: i32, mc: i32, M: usize, A: usize, W: usize, sp: usize, P: usize, jac: usize, terms: usize,
  np: i32, nbins: i32, smin: f64, sdelta: f64, mmin: f64, mdelta: f64, lo: i32, hi: i32, prod: usize): void {
  const len = <usize>partLen(nbins, withGrad != 0 ? np : 0) << 3;
  for (let c = lo; c < hi; c++) {
    chunk2(parts + <usize>c * len, c, withGrad != 0, sv, smask, nr, nc, mov, mr, mc, M, A, W, sp, P, jac, prod, terms,
      np, nbins, smin, sdelta, mmin, mdelta);
  }
}

/**
 * Dense MI evaluation, 3D, on this thread (see the TypeScript `affineMIDense3d`). `grad` 0 = pdfs only; `smask` 0 = all;
 * `prod` (`np` rounded up to even f64), `terms` (`⌈np/2⌉·38` f64, the Jacobian's table), `acc` and
 * `part` ({@link partLen} f64 each) are scratch. Static grid `ns·nr·nc`, moving `ms·mr·mc`. The
 * chunks (see {@link CHUNK}) are computed in order: the first into `acc`, each next one into
 * `part` and then added to `acc`.
 */
export function affineMIDense3d(joint: usize, smarg: usize, mmarg: usize, grad: usize, sv: usize, smask: usize,
  ns: i32, nr: i32, nc: i32, mov: usize, ms: i32, mr: i32, mc: i32, M: usize, A: usize, W: usize, sp: usize, P: usize,
  jac: usize, prod: usize, terms: usize, np: i32, nbins: i32, smin: f64, sdelta: f64, mmin: f64, mdelta: f64, byCount: i32,
  acc: usize, part: usize): void {
  const g = grad != 0;
  if (g) fillTerms(jac, terms, 3, np);
  const chunks = (ns * nr * nc + CHUNK - 1) / CHUNK;
  for (let c = 0; c < max(1, chunks); c++) {
    chunk3(c == 0 ? acc : part, c, g, sv, smask, ns, nr, nc, mov, ms, mr, mc, M, A, W, sp, P, jac, prod, terms, np, nbins, smin, sdelta, mmin, mdelta);
    if (c > 0) affineMIAdd(acc, part, partLen(nbins, g ? np : 0));
  }
  affineMIFinish(joint, smarg, mmarg, grad, acc, nbins, np, mdelta, byCount);
}

/** Dense MI evaluation, 2D (see {@link affineMIDense3d}; `terms` `⌈np/2⌉·26` f64). */
export function affineMIDense2d(joint: usize, smarg: usize, mmarg: usize, grad: usize, sv: usize, smask: usize,
  nr: i32, nc: i32, mov: usize, mr: i32, mc: i32, M: usize, A: usize, W: usize, sp: usize, P: usize,
  jac: usize, prod: usize, terms: usize, np: i32, nbins: i32, smin: f64, sdelta: f64, mmin: f64, mdelta: f64, byCount: i32,
  acc: usize, part: usize): void {
  const g = grad != 0;
  if (g) fillTerms(jac, terms, 2, np);
  const chunks = (nr * nc + CHUNK - 1) / CHUNK;
  for (let c = 0; c < max(1, chunks); c++) {
    chunk2(c == 0 ? acc : part, c, g, sv, smask, nr, nc, mov, mr, mc, M, A, W, sp, P, jac, prod, terms, np, nbins, smin, sdelta, mmin, mdelta);
    if (c > 0) affineMIAdd(acc, part, partLen(nbins, g ? np : 0));
  }
  affineMIFinish(joint, smarg, mmarg, grad, acc, nbins, np, mdelta, byCount);
}
