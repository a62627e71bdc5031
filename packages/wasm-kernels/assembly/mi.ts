/**
 * Mutual-information kernels, the WebAssembly port of `packages/core/src/kernels/mi.ts`:
 * the Parzen-window joint pdf of two images and the dense MI step. Double arithmetic in
 * the TypeScript kernel's order (raster order, the five window bins from left to
 * right), float32 only where the TypeScript kernel stores float32; no logarithm here
 * (the log-ratio table comes from the caller), so the bits match.
 */

// @ts-ignore: decorator
@inline function ldf32(p: usize, i: i32): f32 {
  return load<f32>(p + (<usize>i << 2));
}
// @ts-ignore: decorator
@inline function stf32(p: usize, i: i32, v: f32): void {
  store<f32>(p + (<usize>i << 2), v);
}
// @ts-ignore: decorator
@inline function ldf64(p: usize, i: i32): f64 {
  return load<f64>(p + (<usize>i << 3));
}
// @ts-ignore: decorator
@inline function stf64(p: usize, i: i32, v: f64): void {
  store<f64>(p + (<usize>i << 3), v);
}

/** Cubic B-spline β(x), the same expression as the TypeScript kernel. */
function spline(x: f64): f64 {
  const ax = x < 0 ? -x : x;
  const sq = x * x;
  if (ax < 1) return (4.0 - 6.0 * sq + 3.0 * sq * ax) / 6.0;
  if (ax < 2) return (8.0 - 12.0 * ax + 6.0 * sq - sq * ax) / 6.0;
  return 0;
}

/** β'(x). */
function splineDerivative(x: f64): f64 {
  const ax = x < 0 ? -x : x;
  if (ax < 1) return x >= 0 ? -2.0 * x + 1.5 * x * x : -2.0 * x - 1.5 * x * x;
  if (ax < 2) return x >= 0 ? -2.0 + 2.0 * x - 0.5 * x * x : 2.0 + 2.0 * x + 0.5 * x * x;
  return 0;
}

/** `clamp(trunc(t), lo, hi)` in double, then as an integer (no trap for huge t). */
// @ts-ignore: decorator
@inline function bin(t: f64, lo: i32, hi: i32): i32 {
  const b = Math.trunc(t);
  if (b < <f64>lo) return lo;
  if (b > <f64>hi) return hi;
  return <i32>b;
}

/** Joint pdf (`nbins²` f64 at `joint`) and marginals of the `n` float32 values at `rows`, `cols`. */
export function miJointPdf(joint: usize, rowMarginal: usize, colMarginal: usize, rows: usize, cols: usize, n: i32,
  nbins: i32, rowOffset: f64, rowDelta: f64, colOffset: f64, colDelta: f64): void {
  const B = nbins, lo = 2, hi = nbins - 3;
  for (let i = 0; i < B * B; i++) stf64(joint, i, 0);
  for (let i = 0; i < B; i++) stf64(rowMarginal, i, 0);
  for (let i = 0; i < n; i++) {
    const r = bin(<f64>ldf32(rows, i) / rowDelta - rowOffset, lo, hi);
    const t = <f64>ldf32(cols, i) / colDelta - colOffset;
    const c = bin(t, lo, hi);
    stf64(rowMarginal, r, ldf64(rowMarginal, r) + 1);
    const base = r * B + c;
    let arg = <f64>(c - 2) - t;
    for (let o = -2; o <= 2; o++) {
      stf64(joint, base + o, ldf64(joint, base + o) + spline(arg));
      arg += 1.0;
    }
  }
  if (n > 0) {
    const fn = <f64>n;
    for (let i = 0; i < B * B; i++) stf64(joint, i, ldf64(joint, i) / fn);
    for (let i = 0; i < B; i++) stf64(rowMarginal, i, ldf64(rowMarginal, i) / fn);
  }
  for (let j = 0; j < B; j++) {
    let s: f64 = 0;
    for (let i = 0; i < B; i++) s += ldf64(joint, i * B + j);
    stf64(colMarginal, j, s);
  }
}

/** Dense MI step: `out[x·d+k] = f32(scale·w(x)·g[x·d+k])`, `w(x) = Σ_o β'(c+o−t)·L[r·B + c + o]`. */
export function parzenMiStep(out: usize, rows: usize, cols: usize, gradient: usize, logRatio: usize, n: i32, d: i32,
  nbins: i32, rowOffset: f64, rowDelta: f64, colOffset: f64, colDelta: f64, scale: f64): void {
  const B = nbins, lo = 2, hi = nbins - 3;
  for (let i = 0; i < n; i++) {
    const r = bin(<f64>ldf32(rows, i) / rowDelta - rowOffset, lo, hi);
    const t = <f64>ldf32(cols, i) / colDelta - colOffset;
    const c = bin(t, lo, hi);
    const base = r * B + c;
    let arg = <f64>(c - 2) - t;
    let w: f64 = 0;
    for (let o = -2; o <= 2; o++) {
      w += splineDerivative(arg) * ldf64(logRatio, base + o);
      arg += 1.0;
    }
    const f = w * scale;
    for (let k = 0; k < d; k++) stf32(out, i * d + k, <f32>(f * <f64>ldf32(gradient, i * d + k)));
  }
}
