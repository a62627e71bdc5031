/**
 * One axis pass of `scipy.ndimage.gaussian_filter` (reflect boundary, symmetric
 * kernel; ALGORITHM §3.1), the WebAssembly port of the passes in
 * `packages/core/src/kernels/gaussian.ts`. Each output sample is the double
 * `x[i]·w0 + Σ_{j=r..1} (x[i−j] + x[i+j])·w_j` (accumulated in that order) stored
 * as float32; samples past the ends are read through the half-sample reflection
 * (period 2n). The weights (`r+1` doubles) come from JavaScript (`Math.exp`).
 * Independent outputs share SIMD lanes; each lane performs the scalar sequence.
 */

/** Source index of position `i` of a line of `n` samples under half-sample reflection. */
function reflectIndex(i: i32, n: i32): i32 {
  const p = 2 * n;
  let m = i % p;
  if (m < 0) m += p;
  return m < n ? m : p - 1 - m;
}

/**
 * Filters a non-last axis: `outer` slabs of `n` rows of `inner` contiguous float32
 * values, from `src` into `dst` (distinct); only the output rows `[lo, hi)` of the
 * `outer·n` (row `o·n + i`). `offs` is scratch for `2r+2` int32 (one per thread).
 */
export function gaussianSlab(dst: usize, src: usize, outer: i32, n: i32, inner: i32, w: usize, r: i32,
  lo: i32, hi: i32, offs: usize): void {
  const w0 = load<f64>(w);
  const W0 = f64x2.splat(w0);
  const slabLen = n * inner;
  const in2 = inner & ~1;
  const oEnd = (hi + n - 1) / n;
  for (let o = lo / n; o < oEnd; o++) {
    const base = o * slabLen;
    const iBeg = o * n < lo ? lo - o * n : 0;
    const iEnd = (o + 1) * n > hi ? hi - o * n : n;
    for (let i = iBeg; i < iEnd; i++) {
      for (let j = 1; j <= r; j++) {
        store<i32>(offs + (<usize>(2 * j) << 2), (base + reflectIndex(i - j, n) * inner) << 2);
        store<i32>(offs + (<usize>(2 * j + 1) << 2), (base + reflectIndex(i + j, n) * inner) << 2);
      }
      const row = src + (<usize>(base + i * inner) << 2);
      const outRow = dst + (<usize>(base + i * inner) << 2);
      let e = 0;
      // Eight values (four lane pairs) per step: the tap offsets and weights are loaded once for all of them.
      for (; e + 8 <= inner; e += 8) {
        const eb = <usize>e << 2;
        const rb = row + eb;
        let a0 = f64x2.mul(f64x2.promote_low_f32x4(v128.load64_zero(rb)), W0);
        let a1 = f64x2.mul(f64x2.promote_low_f32x4(v128.load64_zero(rb, 8)), W0);
        let a2 = f64x2.mul(f64x2.promote_low_f32x4(v128.load64_zero(rb, 16)), W0);
        let a3 = f64x2.mul(f64x2.promote_low_f32x4(v128.load64_zero(rb, 24)), W0);
        for (let j = r; j >= 1; j--) {
          const lo = src + <usize>load<i32>(offs + (<usize>(2 * j) << 2)) + eb;
          const hi = src + <usize>load<i32>(offs + (<usize>(2 * j + 1) << 2)) + eb;
          const wj = f64x2.splat(load<f64>(w + (<usize>j << 3)));
          a0 = f64x2.add(a0, f64x2.mul(f64x2.add(f64x2.promote_low_f32x4(v128.load64_zero(lo)), f64x2.promote_low_f32x4(v128.load64_zero(hi))), wj));
          a1 = f64x2.add(a1, f64x2.mul(f64x2.add(f64x2.promote_low_f32x4(v128.load64_zero(lo, 8)), f64x2.promote_low_f32x4(v128.load64_zero(hi, 8))), wj));
          a2 = f64x2.add(a2, f64x2.mul(f64x2.add(f64x2.promote_low_f32x4(v128.load64_zero(lo, 16)), f64x2.promote_low_f32x4(v128.load64_zero(hi, 16))), wj));
          a3 = f64x2.add(a3, f64x2.mul(f64x2.add(f64x2.promote_low_f32x4(v128.load64_zero(lo, 24)), f64x2.promote_low_f32x4(v128.load64_zero(hi, 24))), wj));
        }
        const ob = outRow + eb;
        v128.store64_lane(ob, f32x4.demote_f64x2_zero(a0), 0);
        v128.store64_lane(ob, f32x4.demote_f64x2_zero(a1), 0, 8);
        v128.store64_lane(ob, f32x4.demote_f64x2_zero(a2), 0, 16);
        v128.store64_lane(ob, f32x4.demote_f64x2_zero(a3), 0, 24);
      }
      for (; e < in2; e += 2) {
        const eb = <usize>e << 2;
        let a = f64x2.mul(f64x2.promote_low_f32x4(v128.load64_zero(row + eb)), W0);
        for (let j = r; j >= 1; j--) {
          const lo = src + <usize>load<i32>(offs + (<usize>(2 * j) << 2)) + eb;
          const hi = src + <usize>load<i32>(offs + (<usize>(2 * j + 1) << 2)) + eb;
          const x = f64x2.add(f64x2.promote_low_f32x4(v128.load64_zero(lo)), f64x2.promote_low_f32x4(v128.load64_zero(hi)));
          a = f64x2.add(a, f64x2.mul(x, f64x2.splat(load<f64>(w + (<usize>j << 3)))));
        }
        v128.store64_lane(outRow + eb, f32x4.demote_f64x2_zero(a), 0);
      }
      for (; e < inner; e++) {
        const eb = <usize>e << 2;
        let a = <f64>load<f32>(row + eb) * w0;
        for (let j = r; j >= 1; j--) {
          const lo = src + <usize>load<i32>(offs + (<usize>(2 * j) << 2)) + eb;
          const hi = src + <usize>load<i32>(offs + (<usize>(2 * j + 1) << 2)) + eb;
          a += (<f64>load<f32>(lo) + <f64>load<f32>(hi)) * load<f64>(w + (<usize>j << 3));
        }
        store<f32>(outRow + eb, <f32>a);
      }
    }
  }
}

/**
 * Filters the last axis: `outer` lines of `n` samples with sample stride `ncomp`
 * (one pass per component), from `src` into `dst` (distinct); only the lines
 * `[lo, hi)`. `buf` is scratch for `n + 2r + 2` doubles (the reflected line; one per thread).
 */
export function gaussianLast(dst: usize, src: usize, outer: i32, n: i32, ncomp: i32, w: usize, r: i32,
  lo: i32, hi: i32, buf: usize): void {
  const w0 = load<f64>(w);
  const W0 = f64x2.splat(w0);
  const lineLen = n * ncomp;
  const n2 = n & ~1;
  for (let o = lo; o < hi; o++) {
    const base = o * lineLen;
    for (let c = 0; c < ncomp; c++) {
      for (let i = 0; i < n; i++) {
        store<f64>(buf + (<usize>(r + i) << 3), <f64>load<f32>(src + (<usize>(base + i * ncomp + c) << 2)));
      }
      for (let i = 1; i <= r; i++) {
        store<f64>(buf + (<usize>(r - i) << 3), load<f64>(buf + (<usize>(r + reflectIndex(-i, n)) << 3)));
        store<f64>(buf + (<usize>(r + n - 1 + i) << 3), load<f64>(buf + (<usize>(r + reflectIndex(n - 1 + i, n)) << 3)));
      }
      const ob = dst + (<usize>(base + c) << 2);
      const step = <usize>ncomp << 2;
      let i = 0;
      for (; i + 8 <= n; i += 8) {
        const ci = buf + (<usize>(r + i) << 3);
        let a0 = f64x2.mul(v128.load(ci), W0);
        let a1 = f64x2.mul(v128.load(ci, 16), W0);
        let a2 = f64x2.mul(v128.load(ci, 32), W0);
        let a3 = f64x2.mul(v128.load(ci, 48), W0);
        for (let j = r; j >= 1; j--) {
          const jb = <usize>j << 3;
          const lo = ci - jb, hi = ci + jb;
          const wj = f64x2.splat(load<f64>(w + jb));
          a0 = f64x2.add(a0, f64x2.mul(f64x2.add(v128.load(lo), v128.load(hi)), wj));
          a1 = f64x2.add(a1, f64x2.mul(f64x2.add(v128.load(lo, 16), v128.load(hi, 16)), wj));
          a2 = f64x2.add(a2, f64x2.mul(f64x2.add(v128.load(lo, 32), v128.load(hi, 32)), wj));
          a3 = f64x2.add(a3, f64x2.mul(f64x2.add(v128.load(lo, 48), v128.load(hi, 48)), wj));
        }
        const d = ob + <usize>i * step;
        let f = f32x4.demote_f64x2_zero(a0);
        v128.store32_lane(d, f, 0);
        v128.store32_lane(d + step, f, 1);
        f = f32x4.demote_f64x2_zero(a1);
        v128.store32_lane(d + 2 * step, f, 0);
        v128.store32_lane(d + 3 * step, f, 1);
        f = f32x4.demote_f64x2_zero(a2);
        v128.store32_lane(d + 4 * step, f, 0);
        v128.store32_lane(d + 5 * step, f, 1);
        f = f32x4.demote_f64x2_zero(a3);
        v128.store32_lane(d + 6 * step, f, 0);
        v128.store32_lane(d + 7 * step, f, 1);
      }
      for (; i < n2; i += 2) {
        const ci = buf + (<usize>(r + i) << 3);
        let a = f64x2.mul(v128.load(ci), W0);
        for (let j = r; j >= 1; j--) {
          const jb = <usize>j << 3;
          a = f64x2.add(a, f64x2.mul(f64x2.add(v128.load(ci - jb), v128.load(ci + jb)), f64x2.splat(load<f64>(w + jb))));
        }
        const f = f32x4.demote_f64x2_zero(a);
        const d = ob + <usize>i * step;
        v128.store32_lane(d, f, 0);
        v128.store32_lane(d + step, f, 1);
      }
      for (; i < n; i++) {
        const ci = buf + (<usize>(r + i) << 3);
        let a = load<f64>(ci) * w0;
        for (let j = r; j >= 1; j--) {
          const jb = <usize>j << 3;
          a += (load<f64>(ci - jb) + load<f64>(ci + jb)) * load<f64>(w + jb);
        }
        store<f32>(ob + <usize>i * step, <f32>a);
      }
    }
  }
}
