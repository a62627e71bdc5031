/**
 * Image gradients.
 *
 * `numpyGradient` is `numpy.gradient(image)` with unit spacing and `edge_order=1` on
 * a float32 image, so in float32 arithmetic (docs/algorithm.md §2.7): along each axis,
 * interior `g = f32(f32(f[i+1] − f[i−1]) / 2)`, first sample `f32(f[1] − f[0])`, last
 * sample `f32(f[n−1] − f[n−2])`. Units: intensity per voxel, grid frame; component `k`
 * is the derivative along array axis `k`. This is what the SyN metrics use (they divide
 * by the spacing and reorient afterwards).
 *
 * `gradientSampler2d/3d` is DIPY's physical-space gradient (`vector_fields.gradient`,
 * fixtures/reference/README.md, note 6; used by affine registration, not SyN): each sampling-grid
 * voxel `i` goes to the world point `x = S·[i;1]`; for each world axis `p` the image is
 * sampled bilinearly/trilinearly at `W·[x − h_p e_p; 1]` and `W·[x + h_p e_p; 1]`
 * (`h_p = spacing_p / 2`, world units) and the component is
 * `f32((f(x + h) − f(x − h)) / spacing_p)` — intensity per world unit along world axis `p`.
 * If either sample is not inside (all corners in the grid), the component is 0 and the
 * voxel's `inside` flag 0. Bug-compatibility: after such a failure DIPY leaves the
 * shifted coordinate in place, so the remaining components of that voxel are sampled
 * around the shifted point.
 */
import type { Affine, Shape2D, Shape3D } from '../types.js';
import { bilinear, bilinearInside, trilinear, trilinearInside } from './interp.js';

const f32 = Math.fround;
const IDENTITY4 = new Float64Array([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);

/**
 * `numpy.gradient` of a 2D or 3D float32 image with unit spacing, `edge_order=1`,
 * float32 arithmetic (docs/algorithm.md §2.7).
 * @param out float32 of `prod(shape)·d` values: component `k` = derivative along array axis `k` (per voxel).
 * @param image float32 C-ordered image of `shape` (every axis of length ≥ 2; numpy rejects length 1,
 *   here such an axis gets a zero derivative).
 */
export function numpyGradient(out: Float32Array, image: Float32Array, shape: Shape2D | Shape3D): void {
  eachRow(out, image, shape, rowGradient);
}

/**
 * Calls `row` on every image row with its neighbour offsets and factors. Along an axis, a
 * voxel with both neighbours gets f32(f[+1] − f[−1]) · 0.5 (exactly numpy's float32 division
 * by 2); an edge voxel gets the one-sided difference (factor 1), written as the same
 * expression with a zero offset on the missing side.
 */
function eachRow(out: Float32Array, image: Float32Array, shape: Shape2D | Shape3D, row: typeof rowGradient): void {
  if (shape.length === 2) {
    const nr = shape[0], nc = shape[1];
    for (let i = 0; i < nr; i++) {
      const up = i + 1 < nr ? nc : 0, dn = i > 0 ? nc : 0, si = up !== 0 && dn !== 0 ? 0.5 : 1;
      row(out, image, i * nc, nc, 2, up, dn, si, 0, 0, 0);
    }
  } else {
    const ns = shape[0], nr = shape[1], nc = shape[2];
    const slice = nr * nc;
    for (let k = 0; k < ns; k++) {
      const kUp = k + 1 < ns ? slice : 0, kDn = k > 0 ? slice : 0, sk = kUp !== 0 && kDn !== 0 ? 0.5 : 1;
      for (let i = 0; i < nr; i++) {
        const up = i + 1 < nr ? nc : 0, dn = i > 0 ? nc : 0, si = up !== 0 && dn !== 0 ? 0.5 : 1;
        row(out, image, (k * nr + i) * nc, nc, 3, up, dn, si, kUp, kDn, sk);
      }
    }
  }
}

/**
 * One image row of {@link numpyGradient}: `d` components per voxel; the last component is the
 * derivative along the row, the one before it along rows (offsets `up`/`dn`, factor `si`) and, in
 * 3D, the first along slices (offsets `kUp`/`kDn`, factor `sk`).
 */
function rowGradient(out: Float32Array, image: Float32Array, start: number, nc: number, d: number,
  up: number, dn: number, si: number, kUp: number, kDn: number, sk: number): void {
  const last = start + nc - 1;
  const c = d - 1; // component of the along-row derivative
  let v = start, o = start * d;
  if (d === 3) {
    for (; v <= last; v++, o += 3) {
      out[o] = f32(image[v + kUp] - image[v - kDn]) * sk;
      out[o + 1] = f32(image[v + up] - image[v - dn]) * si;
    }
  } else {
    for (; v <= last; v++, o += 2) out[o] = f32(image[v + up] - image[v - dn]) * si;
  }
  if (nc < 2) {
    out[start * d + c] = 0;
    return;
  }
  o = start * d + c;
  out[o] = image[start + 1] - image[start];
  for (v = start + 1, o += d; v < last; v++, o += d) out[o] = f32(image[v + 1] - image[v - 1]) * 0.5;
  out[o] = image[last] - image[last - 1];
}

/**
 * `out += numpy.gradient(image)` ({@link numpyGradient}'s derivatives, each added to the
 * value already in `out` in float32: `out[v·d + k] = f32(out[v·d + k] + ∂_k image(v))`),
 * so a gradient can be accumulated into a buffer without a scratch array (the EM
 * metric's double gradient). Float32 addition is commutative, so this gives the bits of
 * `addFloat32(out, out, g)` with `g` from {@link numpyGradient}.
 * @param out float32 of `prod(shape)·d` values, interleaved per voxel (component `k` along
 *   array axis `k`); read and updated in place. Must not overlap `image`.
 * @param image float32 C-ordered image of `shape` (every axis of length ≥ 2; a length-1
 *   axis contributes a zero derivative).
 */
export function numpyGradientAdd(out: Float32Array, image: Float32Array, shape: Shape2D | Shape3D): void {
  eachRow(out, image, shape, rowGradientAdd);
}

/**
 * One image row of {@link numpyGradientAdd}: {@link rowGradient}'s derivatives, each
 * rounded to float32 and then added to `out` (the sum rounded to float32 on store).
 */
function rowGradientAdd(out: Float32Array, image: Float32Array, start: number, nc: number, d: number,
  up: number, dn: number, si: number, kUp: number, kDn: number, sk: number): void {
  const last = start + nc - 1;
  const c = d - 1;
  let v = start, o = start * d;
  // (f32(a − b)·0.5 is exact in double but may be a float32 subnormal that still needs
  // rounding; the f32() makes the addend numpy's float32 derivative)
  if (d === 3) {
    for (; v <= last; v++, o += 3) {
      out[o] += f32(f32(image[v + kUp] - image[v - kDn]) * sk);
      out[o + 1] += f32(f32(image[v + up] - image[v - dn]) * si);
    }
  } else {
    for (; v <= last; v++, o += 2) out[o] += f32(f32(image[v + up] - image[v - dn]) * si);
  }
  if (nc < 2) {
    // a zero derivative along the row, added like any other (−0 + 0 is +0, as in addFloat32)
    out[start * d + c] += 0;
    return;
  }
  o = start * d + c;
  out[o] += f32(image[start + 1] - image[start]);
  for (v = start + 1, o += d; v < last; v++, o += d) out[o] += f32(f32(image[v + 1] - image[v - 1]) * 0.5);
  out[o] += f32(image[last] - image[last - 1]);
}

/**
 * DIPY's physical-space gradient of a 2D image sampled on another grid (fixtures/reference/README.md, note 6).
 * @param out float32 `outShape·2`: component `p` = derivative along world axis `p` (intensity per world unit).
 * @param inside int32 `outShape`: 1 when every stencil sample was inside the image grid.
 * @param imageWorldToGrid world → image grid (null: identity).
 * @param spacing image voxel size per axis (world units); the stencil half-width is `spacing/2`.
 * @param samplingGridToWorld sampling grid → world (null: identity).
 */
export function gradientSampler2d(out: Float32Array, inside: Int32Array, outShape: Shape2D, image: Float32Array, imageShape: Shape2D,
  imageWorldToGrid: Affine, spacing: ArrayLike<number>, samplingGridToWorld: Affine): void {
  const nr = outShape[0], nc = outShape[1];
  const ir = imageShape[0], ic = imageShape[1];
  const W = imageWorldToGrid, S = samplingGridToWorld;
  const w00 = W ? W[0] : 1, w01 = W ? W[1] : 0, w02 = W ? W[2] : 0;
  const w10 = W ? W[3] : 0, w11 = W ? W[4] : 1, w12 = W ? W[5] : 0;
  const s00 = S ? S[0] : 1, s01 = S ? S[1] : 0, s02 = S ? S[2] : 0;
  const s10 = S ? S[3] : 0, s11 = S ? S[4] : 1, s12 = S ? S[5] : 0;
  const sp0 = +spacing[0], sp1 = +spacing[1];
  const h0 = 0.5 * sp0, h1 = 0.5 * sp1;
  let v = 0;
  for (let i = 0; i < nr; i++) {
    for (let j = 0; j < nc; j++, v++) {
      let flag = 1;
      const x0 = S ? s00 * i + s01 * j + s02 : i;
      const x1 = S ? s10 * i + s11 * j + s12 : j;
      let dx0 = x0, dx1 = x1;
      // p = 0
      dx0 = x0 - h0;
      let q0 = W ? w00 * dx0 + w01 * dx1 + w02 : dx0;
      let q1 = W ? w10 * dx0 + w11 * dx1 + w12 : dx1;
      if (!bilinearInside(ir, ic, q0, q1)) {
        out[2 * v] = 0;
        flag = 0;
      } else {
        const lo = bilinear(image, ir, ic, q0, q1);
        dx0 = x0 + h0;
        q0 = W ? w00 * dx0 + w01 * dx1 + w02 : dx0;
        q1 = W ? w10 * dx0 + w11 * dx1 + w12 : dx1;
        if (!bilinearInside(ir, ic, q0, q1)) {
          out[2 * v] = 0;
          flag = 0;
        } else {
          out[2 * v] = (bilinear(image, ir, ic, q0, q1) - lo) / sp0;
          dx0 = x0;
        }
      }
      // p = 1 (dx0 keeps its shifted value after a failure, as in DIPY)
      dx1 = x1 - h1;
      q0 = W ? w00 * dx0 + w01 * dx1 + w02 : dx0;
      q1 = W ? w10 * dx0 + w11 * dx1 + w12 : dx1;
      if (!bilinearInside(ir, ic, q0, q1)) {
        out[2 * v + 1] = 0;
        flag = 0;
      } else {
        const lo = bilinear(image, ir, ic, q0, q1);
        dx1 = x1 + h1;
        q0 = W ? w00 * dx0 + w01 * dx1 + w02 : dx0;
        q1 = W ? w10 * dx0 + w11 * dx1 + w12 : dx1;
        if (!bilinearInside(ir, ic, q0, q1)) {
          out[2 * v + 1] = 0;
          flag = 0;
        } else {
          out[2 * v + 1] = (bilinear(image, ir, ic, q0, q1) - lo) / sp1;
        }
      }
      inside[v] = flag;
    }
  }
}

/**
 * DIPY's physical-space gradient of a 3D volume sampled on another grid (fixtures/reference/README.md, note 6);
 * 3D version of {@link gradientSampler2d} (`out` has 3 components per voxel).
 */
export function gradientSampler3d(out: Float32Array, inside: Int32Array, outShape: Shape3D, image: Float32Array, imageShape: Shape3D,
  imageWorldToGrid: Affine, spacing: ArrayLike<number>, samplingGridToWorld: Affine): void {
  const ns = outShape[0], nr = outShape[1], nc = outShape[2];
  const is = imageShape[0], ir = imageShape[1], ic = imageShape[2];
  const W = imageWorldToGrid ?? IDENTITY4, S = samplingGridToWorld ?? IDENTITY4;
  const hasW = imageWorldToGrid !== null, hasS = samplingGridToWorld !== null;
  const sp = [+spacing[0], +spacing[1], +spacing[2]];
  const h = [0.5 * sp[0], 0.5 * sp[1], 0.5 * sp[2]];
  const x = new Float64Array(3);
  const dx = new Float64Array(3);
  let v = 0;
  for (let k = 0; k < ns; k++) {
    for (let i = 0; i < nr; i++) {
      for (let j = 0; j < nc; j++, v++) {
        let flag = 1;
        if (hasS) {
          x[0] = S[0] * k + S[1] * i + S[2] * j + S[3];
          x[1] = S[4] * k + S[5] * i + S[6] * j + S[7];
          x[2] = S[8] * k + S[9] * i + S[10] * j + S[11];
        } else {
          x[0] = k; x[1] = i; x[2] = j;
        }
        dx[0] = x[0]; dx[1] = x[1]; dx[2] = x[2];
        for (let p = 0; p < 3; p++) {
          const o = 3 * v + p;
          dx[p] = x[p] - h[p];
          let q0 = dx[0], q1 = dx[1], q2 = dx[2];
          if (hasW) {
            q0 = W[0] * dx[0] + W[1] * dx[1] + W[2] * dx[2] + W[3];
            q1 = W[4] * dx[0] + W[5] * dx[1] + W[6] * dx[2] + W[7];
            q2 = W[8] * dx[0] + W[9] * dx[1] + W[10] * dx[2] + W[11];
          }
          if (!trilinearInside(is, ir, ic, q0, q1, q2)) {
            out[o] = 0;
            flag = 0;
            continue;
          }
          const lo = trilinear(image, is, ir, ic, q0, q1, q2);
          dx[p] = x[p] + h[p];
          q0 = dx[0]; q1 = dx[1]; q2 = dx[2];
          if (hasW) {
            q0 = W[0] * dx[0] + W[1] * dx[1] + W[2] * dx[2] + W[3];
            q1 = W[4] * dx[0] + W[5] * dx[1] + W[6] * dx[2] + W[7];
            q2 = W[8] * dx[0] + W[9] * dx[1] + W[10] * dx[2] + W[11];
          }
          if (!trilinearInside(is, ir, ic, q0, q1, q2)) {
            out[o] = 0;
            flag = 0;
            continue;
          }
          out[o] = (trilinear(image, is, ir, ic, q0, q1, q2) - lo) / sp[p];
          dx[p] = x[p];
        }
        inside[v] = flag;
      }
    }
  }
}

/**
 * The image gradient every DIPY metric uses (docs/algorithm.md §2.7): {@link numpyGradient}
 * (voxel units, float32), each component `k` divided by `spacing[k]` (double
 * division, stored float32), then rotated into the world frame by the linear part
 * of `direction` (homogeneous coordinate 0, stored float32).
 * @param out - `prod(shape)·d` float32, interleaved components (world units of
 *   intensity per world unit of length, world axes of `direction`).
 * @param image - `prod(shape)` float32 on the reference grid (C order).
 * @param shape - `[nr, nc]` or `[ns, nr, nc]` (voxels).
 * @param spacing - voxel size per array axis (world units), length `d`.
 * @param direction - `(d+1)×(d+1)` row-major direction matrix.
 */
export function physicalGradient(out: Float32Array, image: Float32Array, shape: Shape2D | Shape3D,
  spacing: ArrayLike<number>, direction: ArrayLike<number>): void {
  numpyGradient(out, image, shape);
  orientGradient(out, shape, spacing, direction);
}

/**
 * The second half of {@link physicalGradient}, in place on a gradient in voxel units
 * (`prod(shape)·d` float32, interleaved): component `k` divided by `spacing[k]`
 * (double division, stored float32), then rotated by the linear part of the
 * `(d+1)×(d+1)` row-major `direction` (homogeneous coordinate 0, stored float32).
 */
export function orientGradient(out: Float32Array, shape: Shape2D | Shape3D, spacing: ArrayLike<number>, direction: ArrayLike<number>): void {
  const dim = shape.length;
  const voxels = out.length / dim;
  const m = dim + 1;
  if (dim === 2) {
    const s0 = spacing[0], s1 = spacing[1];
    const d00 = direction[0], d01 = direction[1], d02 = direction[2];
    const d10 = direction[m], d11 = direction[m + 1], d12 = direction[m + 2];
    for (let p = 0, q = 0; p < voxels; p++, q += 2) {
      // divide and store (float32), then reorient with homogeneous coordinate 0
      out[q] = out[q] / s0;
      out[q + 1] = out[q + 1] / s1;
      const x0 = out[q], x1 = out[q + 1];
      out[q] = d00 * x0 + d01 * x1 + 0 * d02;
      out[q + 1] = d10 * x0 + d11 * x1 + 0 * d12;
    }
  } else {
    const s0 = spacing[0], s1 = spacing[1], s2 = spacing[2];
    const d00 = direction[0], d01 = direction[1], d02 = direction[2], d03 = direction[3];
    const d10 = direction[m], d11 = direction[m + 1], d12 = direction[m + 2], d13 = direction[m + 3];
    const d20 = direction[2 * m], d21 = direction[2 * m + 1], d22 = direction[2 * m + 2], d23 = direction[2 * m + 3];
    for (let p = 0, q = 0; p < voxels; p++, q += 3) {
      out[q] = out[q] / s0;
      out[q + 1] = out[q + 1] / s1;
      out[q + 2] = out[q + 2] / s2;
      const x0 = out[q], x1 = out[q + 1], x2 = out[q + 2];
      out[q] = d00 * x0 + d01 * x1 + d02 * x2 + 0 * d03;
      out[q + 1] = d10 * x0 + d11 * x1 + d12 * x2 + 0 * d13;
      out[q + 2] = d20 * x0 + d21 * x1 + d22 * x2 + 0 * d23;
    }
  }
}
