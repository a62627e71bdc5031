/**
 * Expectation-maximisation metric kernels, the WebAssembly port of
 * `packages/core/src/kernels/em.ts`: quantisation into intensity classes, masked
 * per-class statistics and the EM demons step. Float32 arithmetic exactly where
 * the TypeScript kernel rounds to float32 (levels, class sums, means and
 * variances, `|g|²`), double elsewhere. Int32 arrays (classes, histograms,
 * counts) and the uint8 mask are raw addresses like the float32 ones.
 */

// @ts-ignore: decorator
@inline function ldi(p: usize, i: i32): i32 {
  return load<i32>(p + (<usize>i << 2));
}
// @ts-ignore: decorator
@inline function sti(p: usize, i: i32, v: i32): void {
  store<i32>(p + (<usize>i << 2), v);
}
// @ts-ignore: decorator
@inline function ldf32(p: usize, i: i32): f32 {
  return load<f32>(p + (<usize>i << 2));
}
// @ts-ignore: decorator
@inline function stf32(p: usize, i: i32, v: f32): void {
  store<f32>(p + (<usize>i << 2), v);
}

/** Quantises the `n` float32 values at `image` into `numLevels` classes (`out`, `levels`, `hist`; see the TypeScript kernel). */
export function quantizePositive(out: usize, levels: usize, hist: usize, image: usize, n: i32, numLevels: i32): void {
  let minVal: f64 = -1;
  let maxVal: f64 = -1;
  for (let i = 0; i < n; i++) {
    const v = <f64>ldf32(image, i);
    if (v > 0) {
      if (minVal < 0 || v < minVal) minVal = v;
      if (v > maxVal) maxVal = v;
    }
  }
  for (let c = 0; c < numLevels; c++) {
    stf32(levels, c, 0);
    sti(hist, c, 0);
  }
  const bins = numLevels - 1;
  const epsilon: f64 = 1e-8;
  const delta = (maxVal - minVal + epsilon) / <f64>bins;
  if (bins < 2 || delta < epsilon) {
    let zeros = 0;
    for (let i = 0; i < n; i++) {
      if (ldf32(image, i) > 0) sti(out, i, 1);
      else {
        sti(out, i, 0);
        zeros++;
      }
    }
    sti(hist, 0, zeros);
    stf32(levels, 1, <f32>(0.5 * (minVal + maxVal)));
    sti(hist, 1, n - zeros);
    return;
  }
  stf32(levels, 1, <f32>(minVal + delta * 0.5));
  for (let c = 2; c <= bins; c++) stf32(levels, c, <f32>(<f64>ldf32(levels, c - 1) + delta));
  for (let i = 0; i < n; i++) {
    const v = <f64>ldf32(image, i);
    if (v > 0) {
      let l = <i32>Math.floor((v - minVal) / delta);
      if (l > bins - 1) l = bins - 1;
      sti(out, i, l + 1);
      sti(hist, l + 1, ldi(hist, l + 1) + 1);
    } else {
      sti(out, i, 0);
      sti(hist, 0, ldi(hist, 0) + 1);
    }
  }
}

/** Masked per-class mean, variance and count of the `n` float32 values at `image`; `mask` is `n` bytes (see the TypeScript kernel). */
export function maskedClassStats(means: usize, variances: usize, counts: usize, mask: usize, image: usize, labels: usize,
  n: i32, numLabels: i32): void {
  for (let c = 0; c < numLabels; c++) {
    stf32(means, c, 0);
    stf32(variances, c, 0);
    sti(counts, c, 0);
  }
  for (let i = 0; i < n; i++) {
    if (load<u8>(mask + <usize>i) != 0) {
      const c = ldi(labels, i);
      stf32(means, c, ldf32(means, c) + ldf32(image, i));
      sti(counts, c, ldi(counts, c) + 1);
    }
  }
  for (let c = 0; c < numLabels; c++) {
    const k = ldi(counts, c);
    if (k > 0) stf32(means, c, ldf32(means, c) / <f32>k);
  }
  for (let i = 0; i < n; i++) {
    if (load<u8>(mask + <usize>i) != 0) {
      const c = ldi(labels, i);
      const diff = ldf32(image, i) - ldf32(means, c);
      stf32(variances, c, ldf32(variances, c) + diff * diff);
    }
  }
  for (let c = 0; c < numLabels; c++) {
    const k = ldi(counts, c);
    stf32(variances, c, k > 1 ? ldf32(variances, c) / <f32>k : Infinity);
  }
}

/** Class fields of the `n` voxels: `means[i] = classMeans[labels[i]]`, `sigmaSq[i] = classVariances[labels[i]]`. */
export function emClassFields(means: usize, sigmaSq: usize, labels: usize, classMeans: usize, classVariances: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const c = ldi(labels, i);
    store<u32>(means + (<usize>i << 2), load<u32>(classMeans + (<usize>c << 2)));
    store<u32>(sigmaSq + (<usize>i << 2), load<u32>(classVariances + (<usize>c << 2)));
  }
}

/** `out[i] = a[i] + b[i]` (float32) for `i < n`; `out` may be `a` or `b`. */
export function addFloat32(out: usize, a: usize, b: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, f32x4.add(v128.load(a + o), v128.load(b + o)));
  }
  for (; i < n; i++) stf32(out, i, ldf32(a, i) + ldf32(b, i));
}

/** `out[i] = a[i] − b[i]` (float32) for `i < n`; `out` may be `a` or `b`. */
export function subtractFloat32(out: usize, a: usize, b: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, f32x4.sub(v128.load(a + o), v128.load(b + o)));
  }
  for (; i < n; i++) stf32(out, i, ldf32(a, i) - ldf32(b, i));
}

/** `out[i] = image[i] > 0 ? 1 : 0` (bytes) for `i < n`. */
export function positiveMask(out: usize, image: usize, n: i32): void {
  for (let i = 0; i < n; i++) store<u8>(out + <usize>i, ldf32(image, i) > 0 ? 1 : 0);
}

/** `Σ f32(a[i]²)` in double over `i < n`, in index order. */
export function sumSquaresFloat32(a: usize, n: i32): f64 {
  let e: f64 = 0;
  for (let i = 0; i < n; i++) {
    const d = ldf32(a, i);
    e += <f64>(d * d);
  }
  return e;
}

/** 2D EM demons step of the voxels `[lo, hi)`; returns the running energy `e0` continued with their `δ²`. */
export function emDemonsStep2d(out: usize, delta: usize, sigmaSq: usize, gradient: usize, sigmaSqX: f64, e0: f64,
  lo: i32, hi: i32): f64 {
  let energy = e0;
  for (let p = lo, q = 2 * lo; p < hi; p++, q += 2) {
    const s2 = <f64>ldf32(sigmaSq, p);
    const d = <f64>ldf32(delta, p);
    energy += d * d;
    if (s2 == Infinity || s2 == -Infinity) {
      stf32(out, q, 0); stf32(out, q + 1, 0);
      continue;
    }
    const g0 = ldf32(gradient, q), g1 = ldf32(gradient, q + 1);
    const nrm2 = <f64>(g0 * g0 + g1 * g1);
    if (s2 == 0) {
      if (nrm2 == 0) {
        stf32(out, q, 0); stf32(out, q + 1, 0);
      } else {
        stf32(out, q, <f32>((d * <f64>g0) / nrm2));
        stf32(out, q + 1, <f32>((d * <f64>g1) / nrm2));
      }
    } else {
      const den = sigmaSqX * nrm2 + s2;
      const prod = sigmaSqX * d;
      stf32(out, q, <f32>((prod * <f64>g0) / den));
      stf32(out, q + 1, <f32>((prod * <f64>g1) / den));
    }
  }
  return energy;
}

/** 3D EM demons step of the voxels `[lo, hi)`; returns the running energy `e0` continued with their `δ²`. */
export function emDemonsStep3d(out: usize, delta: usize, sigmaSq: usize, gradient: usize, sigmaSqX: f64, e0: f64,
  lo: i32, hi: i32): f64 {
  let energy = e0;
  for (let p = lo, q = 3 * lo; p < hi; p++, q += 3) {
    const s2 = <f64>ldf32(sigmaSq, p);
    const d = <f64>ldf32(delta, p);
    energy += d * d;
    if (s2 == Infinity || s2 == -Infinity) {
      stf32(out, q, 0); stf32(out, q + 1, 0); stf32(out, q + 2, 0);
      continue;
    }
    const g0 = ldf32(gradient, q), g1 = ldf32(gradient, q + 1), g2 = ldf32(gradient, q + 2);
    const nrm2 = <f64>(g0 * g0 + g1 * g1 + g2 * g2);
    if (s2 == 0) {
      if (nrm2 == 0) {
        stf32(out, q, 0); stf32(out, q + 1, 0); stf32(out, q + 2, 0);
      } else {
        stf32(out, q, <f32>((d * <f64>g0) / nrm2));
        stf32(out, q + 1, <f32>((d * <f64>g1) / nrm2));
        stf32(out, q + 2, <f32>((d * <f64>g2) / nrm2));
      }
    } else {
      const den = sigmaSqX * nrm2 + s2;
      const prod = sigmaSqX * d;
      stf32(out, q, <f32>((prod * <f64>g0) / den));
      stf32(out, q + 1, <f32>((prod * <f64>g1) / den));
      stf32(out, q + 2, <f32>((prod * <f64>g2) / den));
    }
  }
  return energy;
}
