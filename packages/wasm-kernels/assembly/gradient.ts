/**
 * `numpy.gradient` of a float32 image with unit spacing and `edge_order=1`, in
 * float32 arithmetic (ALGORITHM §2.7), the WebAssembly port of `numpyGradient` in
 * `packages/core/src/kernels/gradient.ts`: interior `f32(f[i+1] − f[i−1])·0.5`,
 * edges the one-sided difference. `out` holds `d` interleaved components per
 * voxel, component `k` along array axis `k`. (A float32 subtraction equals the
 * float32 rounding of the double subtraction, and ·0.5 is exact.)
 */

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

export function numpyGradient2d(out: usize, image: usize, nr: i32, nc: i32): void {
  for (let i = 0; i < nr; i++) {
    const up = i + 1 < nr ? nc : 0, dn = i > 0 ? nc : 0;
    const si: f32 = up != 0 && dn != 0 ? 0.5 : 1;
    rowGradient(out, image, i * nc, nc, 2, up, dn, si, 0, 0, 0);
  }
}

/** 3D gradient of the slices `[k0, k1)` (`out` and `image` are whole). */
export function numpyGradient3d(out: usize, image: usize, ns: i32, nr: i32, nc: i32, k0: i32, k1: i32): void {
  const slice = nr * nc;
  for (let k = k0; k < k1; k++) {
    const kUp = k + 1 < ns ? slice : 0, kDn = k > 0 ? slice : 0;
    const sk: f32 = kUp != 0 && kDn != 0 ? 0.5 : 1;
    for (let i = 0; i < nr; i++) {
      const up = i + 1 < nr ? nc : 0, dn = i > 0 ? nc : 0;
      const si: f32 = up != 0 && dn != 0 ? 0.5 : 1;
      rowGradient(out, image, (k * nr + i) * nc, nc, 3, up, dn, si, kUp, kDn, sk);
    }
  }
}
