/**
 * One axis pass of `scipy.ndimage.gaussian_filter` (reflect boundary, symmetric
 * kernel; docs/algorithm.md §3.1), the WebAssembly port of the passes in
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

/** Columns (float32 values along the contiguous axis) per panel of {@link gaussianPanel}: four cache lines. */
const PANEL: i32 = 64;

/**
 * Filters a non-last axis by column panels, in place or not (`dst` may be `src`):
 * `outer` slabs of `n` rows of `inner` contiguous float32 values; item `t ∈ [lo, hi)`
 * is panel `t mod nb` of slab `⌊t / nb⌋` (`nb = ⌈inner / 64⌉`): the `n` rows of
 * (at most) 64 columns. The panel is first copied into `buf` as doubles with `r`
 * reflected rows on each side (`(n + 2r)·64` doubles, one buffer per thread), then
 * every output value is computed from `buf` — the same operations, in the same
 * order, as the TypeScript filter — so no other memory is needed and a thread only
 * writes the values its panel read.
 */
export function gaussianPanel(dst: usize, src: usize, outer: i32, n: i32, inner: i32, w: usize, r: i32,
  lo: i32, hi: i32, buf: usize): void {
  const w0 = load<f64>(w);
  const W0 = f64x2.splat(w0);
  const nb = (inner + PANEL - 1) / PANEL;
  const rowB = <usize>PANEL << 3;
  const strideB = <usize>inner << 2;
  const padded = n + 2 * r;
  for (let t = lo; t < hi; t++) {
    const o = t / nb, b = t - o * nb;
    const c0 = b * PANEL;
    const width = inner - c0 < PANEL ? inner - c0 : PANEL;
    const w8 = width & ~7;
    const base = (<usize>o * <usize>n * <usize>inner + <usize>c0) << 2;
    // The panel as doubles, padded by reflection: buffer row p holds source row reflect(p − r).
    for (let p = 0; p < padded; p++) {
      const sp = src + base + <usize>reflectIndex(p - r, n) * strideB;
      const bp = buf + <usize>p * rowB;
      let e = 0;
      for (; e + 4 <= width; e += 4) {
        const L = v128.load(sp + (<usize>e << 2));
        v128.store(bp + (<usize>e << 3), f64x2.promote_low_f32x4(L));
        v128.store(bp + (<usize>e << 3), f64x2.promote_low_f32x4(i32x4.shuffle(L, L, 2, 3, 2, 3)), 16);
      }
      for (; e < width; e++) store<f64>(bp + (<usize>e << 3), <f64>load<f32>(sp + (<usize>e << 2)));
    }
    for (let i = 0; i < n; i++) {
      const ci = buf + <usize>(i + r) * rowB;
      const op = dst + base + <usize>i * strideB;
      // Eight values (four lane pairs) per step: the tap weights are loaded once for all of them.
      let e = 0;
      for (; e < w8; e += 8) {
        const ce = ci + (<usize>e << 3);
        let a0 = f64x2.mul(v128.load(ce), W0), a1 = f64x2.mul(v128.load(ce, 16), W0);
        let a2 = f64x2.mul(v128.load(ce, 32), W0), a3 = f64x2.mul(v128.load(ce, 48), W0);
        for (let j = r; j >= 1; j--) {
          const jb = <usize>j * rowB;
          const pl = ce - jb, ph = ce + jb;
          const wj = f64x2.splat(load<f64>(w + (<usize>j << 3)));
          a0 = f64x2.add(a0, f64x2.mul(f64x2.add(v128.load(pl), v128.load(ph)), wj));
          a1 = f64x2.add(a1, f64x2.mul(f64x2.add(v128.load(pl, 16), v128.load(ph, 16)), wj));
          a2 = f64x2.add(a2, f64x2.mul(f64x2.add(v128.load(pl, 32), v128.load(ph, 32)), wj));
          a3 = f64x2.add(a3, f64x2.mul(f64x2.add(v128.load(pl, 48), v128.load(ph, 48)), wj));
        }
        const oe = op + (<usize>e << 2);
        v128.store(oe, i32x4.shuffle(f32x4.demote_f64x2_zero(a0), f32x4.demote_f64x2_zero(a1), 0, 1, 4, 5));
        v128.store(oe, i32x4.shuffle(f32x4.demote_f64x2_zero(a2), f32x4.demote_f64x2_zero(a3), 0, 1, 4, 5), 16);
      }
      for (; e < width; e++) {
        const ce = ci + (<usize>e << 3);
        let a = load<f64>(ce) * w0;
        for (let j = r; j >= 1; j--) {
          const jb = <usize>j * rowB;
          a += (load<f64>(ce - jb) + load<f64>(ce + jb)) * load<f64>(w + (<usize>j << 3));
        }
        store<f32>(op + (<usize>e << 2), <f32>a);
      }
    }
  }
}

/**
 * Filters the last axis: `outer` lines of `n` samples with sample stride `ncomp`
 * (one pass per component), from `src` into `dst` (which may be `src`: each line is
 * copied into `buf` before it is written); only the lines
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
