/**
 * `numpy.gradient` of a float32 image with unit spacing and `edge_order=1`, in
 * float32 arithmetic (docs/algorithm.md §2.7), the WebAssembly port of `numpyGradient` in
 * `packages/core/src/kernels/gradient.ts`: interior `f32(f[i+1] − f[i−1])·0.5`,
 * edges the one-sided difference. `out` holds `d` interleaved components per
 * voxel, component `k` along array axis `k`. (A float32 subtraction equals the
 * float32 rounding of the double subtraction, and ·0.5 is exact.)
 *
 * `numpyGradientAdd2d/3d` adds that gradient to the values already in `out` (each float32
 * derivative, then the float32 sum), the port of `numpyGradientAdd`.
 *
 * `physicalGradient2d/3d` is the metrics' physical gradient, the port of
 * `physicalGradient` (gradient.ts, `orientGradient`): the same gradient, each
 * component then divided by the grid spacing (double, stored float32) and rotated by
 * the direction's linear part (double, stored float32); world units per world unit.
 */
import { exactReciprocal, f32r, ldd } from './common';

// @ts-ignore: decorator
@inline function ld(p: usize, i: i32): f32 {
  return load<f32>(p + (<usize>i << 2));
}

/**
 * One image row: components along slices (3D only, offsets `kUp`/`kDn`, factor `sk`),
 * along rows (`up`/`dn`, `si`) and along the row itself.
 */
function rowGradient(out: usize, image: usize, start: i32, nc: i32, d: i32,
  up: i32, dn: i32, si: f32, kUp: i32, kDn: i32, sk: f32): void {
  const last = start + nc - 1;
  const c = d - 1;
  if (d == 3) {
    for (let v = start; v <= last; v++) {
      const o = out + (<usize>(3 * v) << 2);
      store<f32>(o, (ld(image, v + kUp) - ld(image, v - kDn)) * sk);
      store<f32>(o, (ld(image, v + up) - ld(image, v - dn)) * si, 4);
    }
  } else {
    for (let v = start; v <= last; v++) {
      store<f32>(out + (<usize>(2 * v) << 2), (ld(image, v + up) - ld(image, v - dn)) * si);
    }
  }
  if (nc < 2) {
    store<f32>(out + (<usize>(start * d + c) << 2), 0);
    return;
  }
  const step = <usize>d << 2;
  let o = out + (<usize>(start * d + c) << 2);
  store<f32>(o, ld(image, start + 1) - ld(image, start));
  o += step;
  for (let v = start + 1; v < last; v++, o += step) {
    store<f32>(o, (ld(image, v + 1) - ld(image, v - 1)) * 0.5);
  }
  store<f32>(o, ld(image, last) - ld(image, last - 1));
}

/**
 * The rows `[r0, r1)` of a 2D image: {@link rowGradient}, or with `add`
 * {@link rowGradientAdd}, with each row's neighbour offsets and factors.
 */
function rows2d(out: usize, image: usize, nr: i32, nc: i32, r0: i32, r1: i32, add: bool): void {
  for (let i = r0; i < r1; i++) {
    const up = i + 1 < nr ? nc : 0, dn = i > 0 ? nc : 0;
    const si: f32 = up != 0 && dn != 0 ? 0.5 : 1;
    if (add) rowGradientAdd(out, image, i * nc, nc, 2, up, dn, si, 0, 0, 0);
    else rowGradient(out, image, i * nc, nc, 2, up, dn, si, 0, 0, 0);
  }
}

/** The slices `[k0, k1)` of a 3D image, as {@link rows2d} does rows. */
function slices3d(out: usize, image: usize, ns: i32, nr: i32, nc: i32, k0: i32, k1: i32, add: bool): void {
  const slice = nr * nc;
  for (let k = k0; k < k1; k++) {
    const kUp = k + 1 < ns ? slice : 0, kDn = k > 0 ? slice : 0;
    const sk: f32 = kUp != 0 && kDn != 0 ? 0.5 : 1;
    for (let i = 0; i < nr; i++) {
      const up = i + 1 < nr ? nc : 0, dn = i > 0 ? nc : 0;
      const si: f32 = up != 0 && dn != 0 ? 0.5 : 1;
      const start = (k * nr + i) * nc;
      if (add) rowGradientAdd(out, image, start, nc, 3, up, dn, si, kUp, kDn, sk);
      else rowGradient(out, image, start, nc, 3, up, dn, si, kUp, kDn, sk);
    }
  }
}

/** 2D gradient of the rows `[r0, r1)` (`out` and `image` are whole). */
export function numpyGradient2d(out: usize, image: usize, nr: i32, nc: i32, r0: i32, r1: i32): void {
  rows2d(out, image, nr, nc, r0, r1, false);
}

/** 3D gradient of the slices `[k0, k1)` (`out` and `image` are whole). */
export function numpyGradient3d(out: usize, image: usize, ns: i32, nr: i32, nc: i32, k0: i32, k1: i32): void {
  slices3d(out, image, ns, nr, nc, k0, k1, false);
}

/**
 * One image row of `numpyGradientAdd`: {@link rowGradient}'s float32 derivatives, each
 * added to the value already at its place in `out` (float32 sum).
 */
function rowGradientAdd(out: usize, image: usize, start: i32, nc: i32, d: i32,
  up: i32, dn: i32, si: f32, kUp: i32, kDn: i32, sk: f32): void {
  const last = start + nc - 1;
  const c = d - 1;
  if (d == 3) {
    for (let v = start; v <= last; v++) {
      const o = out + (<usize>(3 * v) << 2);
      store<f32>(o, load<f32>(o) + (ld(image, v + kUp) - ld(image, v - kDn)) * sk);
      store<f32>(o, load<f32>(o, 4) + (ld(image, v + up) - ld(image, v - dn)) * si, 4);
    }
  } else {
    for (let v = start; v <= last; v++) {
      const o = out + (<usize>(2 * v) << 2);
      store<f32>(o, load<f32>(o) + (ld(image, v + up) - ld(image, v - dn)) * si);
    }
  }
  if (nc < 2) {
    // a zero derivative, added like the others (−0 + 0 is +0)
    const o = out + (<usize>(start * d + c) << 2);
    store<f32>(o, load<f32>(o) + <f32>0);
    return;
  }
  const step = <usize>d << 2;
  let o = out + (<usize>(start * d + c) << 2);
  store<f32>(o, load<f32>(o) + (ld(image, start + 1) - ld(image, start)));
  o += step;
  for (let v = start + 1; v < last; v++, o += step) {
    store<f32>(o, load<f32>(o) + (ld(image, v + 1) - ld(image, v - 1)) * 0.5);
  }
  store<f32>(o, load<f32>(o) + (ld(image, last) - ld(image, last - 1)));
}

/** 2D `out += numpy.gradient(image)` of the rows `[r0, r1)` (`out` and `image` are whole and do not overlap). */
export function numpyGradientAdd2d(out: usize, image: usize, nr: i32, nc: i32, r0: i32, r1: i32): void {
  rows2d(out, image, nr, nc, r0, r1, true);
}

/** 3D `out += numpy.gradient(image)` of the slices `[k0, k1)` (`out` and `image` are whole and do not overlap). */
export function numpyGradientAdd3d(out: usize, image: usize, ns: i32, nr: i32, nc: i32, k0: i32, k1: i32): void {
  slices3d(out, image, ns, nr, nc, k0, k1, true);
}

/**
 * The metrics' physical gradient of one run of `count` voxels from voxel `first`
 * (in place in `out`, after {@link rowGradient}): component `k` divided by
 * `spacing[k]` (double, stored float32), then rotated by the linear part of the
 * row-major `(d+1)×(d+1)` `direction` at `D` with homogeneous coordinate 0:
 * `f32(((D00·x0 + D01·x1) [+ D02·x2]) + 0·D0d)`, the TypeScript kernel's order.
 */
function orientRun(out: usize, first: i32, count: i32, d: i32, s0: f64, s1: f64, s2: f64, D: usize): void {
  const m = d + 1;
  const pw2 = exactReciprocal(s0) && exactReciprocal(s1) && (d == 2 || exactReciprocal(s2));
  const r0 = 1 / s0, r1 = 1 / s1, r2 = 1 / s2;
  const d00 = ldd(D, 0), d01 = ldd(D, 1), d02 = ldd(D, 2);
  const d10 = ldd(D, m), d11 = ldd(D, m + 1), d12 = ldd(D, m + 2);
  let o = out + (<usize>(first * d) << 2);
  if (d == 2) {
    const z0 = 0 * d02, z1 = 0 * d12;
    for (let v = 0; v < count; v++, o += 8) {
      const g0 = <f64>load<f32>(o), g1 = <f64>load<f32>(o, 4);
      const x0 = f32r(pw2 ? g0 * r0 : g0 / s0), x1 = f32r(pw2 ? g1 * r1 : g1 / s1);
      store<f32>(o, <f32>(d00 * x0 + d01 * x1 + z0));
      store<f32>(o, <f32>(d10 * x0 + d11 * x1 + z1), 4);
    }
    return;
  }
  const d03 = ldd(D, 3), d13 = ldd(D, m + 3);
  const d20 = ldd(D, 2 * m), d21 = ldd(D, 2 * m + 1), d22 = ldd(D, 2 * m + 2), d23 = ldd(D, 2 * m + 3);
  const z0 = 0 * d03, z1 = 0 * d13, z2 = 0 * d23;
  for (let v = 0; v < count; v++, o += 12) {
    const g0 = <f64>load<f32>(o), g1 = <f64>load<f32>(o, 4), g2 = <f64>load<f32>(o, 8);
    const x0 = f32r(pw2 ? g0 * r0 : g0 / s0), x1 = f32r(pw2 ? g1 * r1 : g1 / s1), x2 = f32r(pw2 ? g2 * r2 : g2 / s2);
    store<f32>(o, <f32>(d00 * x0 + d01 * x1 + d02 * x2 + z0));
    store<f32>(o, <f32>(d10 * x0 + d11 * x1 + d12 * x2 + z1), 4);
    store<f32>(o, <f32>(d20 * x0 + d21 * x1 + d22 * x2 + z2), 8);
  }
}

/**
 * 2D physical gradient (`numpy.gradient`, then {@link orientRun}) of the rows
 * `[r0, r1)`; `D` is the 3×3 direction (arrays whole).
 */
export function physicalGradient2d(out: usize, image: usize, nr: i32, nc: i32, s0: f64, s1: f64, D: usize,
  r0: i32, r1: i32): void {
  for (let i = r0; i < r1; i++) {
    const up = i + 1 < nr ? nc : 0, dn = i > 0 ? nc : 0;
    const si: f32 = up != 0 && dn != 0 ? 0.5 : 1;
    rowGradient(out, image, i * nc, nc, 2, up, dn, si, 0, 0, 0);
    orientRun(out, i * nc, nc, 2, s0, s1, 0, D);
  }
}

/** 3D physical gradient of the slices `[k0, k1)`; `D` is the 4×4 direction (arrays whole). */
export function physicalGradient3d(out: usize, image: usize, ns: i32, nr: i32, nc: i32, s0: f64, s1: f64, s2: f64,
  D: usize, k0: i32, k1: i32): void {
  const slice = nr * nc;
  for (let k = k0; k < k1; k++) {
    const kUp = k + 1 < ns ? slice : 0, kDn = k > 0 ? slice : 0;
    const sk: f32 = kUp != 0 && kDn != 0 ? 0.5 : 1;
    for (let i = 0; i < nr; i++) {
      const up = i + 1 < nr ? nc : 0, dn = i > 0 ? nc : 0;
      const si: f32 = up != 0 && dn != 0 ? 0.5 : 1;
      rowGradient(out, image, (k * nr + i) * nc, nc, 3, up, dn, si, kUp, kDn, sk);
    }
    orientRun(out, k * slice, slice, 3, s0, s1, s2, D);
  }
}
