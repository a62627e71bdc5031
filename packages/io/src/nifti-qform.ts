/**
 * The NIfTI quaternion form (qform) in both directions.
 *
 * Reading (nibabel's `quaternion_to_rotation` times the voxel sizes): with `(b, c, d)` from
 * the header, `a = sqrt(1 − (b² + c² + d²))`, `R` the rotation of the unit quaternion
 * `(a, b, c, d)`, and the 3x3 block `R · diag(pixdim₁, pixdim₂, qfac·pixdim₃)` (grid
 * voxels → world mm), evaluated in emulated x87 long double (see `Ext80`) and rounded to
 * double, as nibabel does on x86-64.
 *
 * Writing (nibabel's `set_qform`): the nearest rotation of the affine's 3x3 block (polar
 * decomposition, shears stripped), as a unit quaternion with `w ≥ 0`.
 */
import { MalformedFileError } from '@diffeo/core';
import { Ext80 } from './ext80.js';

/**
 * nibabel's qform matrix (3×3 block, row-major) from the quaternion `(b, c, d)`, the voxel
 * sizes and qfac, evaluated in emulated x87 long double and rounded to double.
 * @param eps - machine epsilon of the header's float type (float32 for NIfTI-1, float64 for NIfTI-2).
 * @returns the 9 entries, or throws when `1 − (b² + c² + d²) < −3·eps`.
 */
export function qformRotationZoom(b: number, c: number, d: number, vox: readonly [number, number, number], eps: number, source: string): number[] {
  const finite = [b, c, d, ...vox].every(Number.isFinite);
  if (!finite) {
    // NaN/Inf propagate in nibabel too; plain double arithmetic reproduces that.
    return qformRotationZoomDouble(b, c, d, vox);
  }
  const x = Ext80.from(b);
  const y = Ext80.from(c);
  const z = Ext80.from(d);
  const one = Ext80.from(1);
  const dot = Ext80.ZERO.add(x.mul(x)).add(y.mul(y)).add(z.mul(z));
  const w2 = one.sub(dot);
  let w: Ext80;
  if (w2.lt(Ext80.ZERO)) {
    if (w2.lt(Ext80.from(-3 * eps))) {
      throw new MalformedFileError(
        `${source}: invalid qform quaternion (b, c, d) = (${b}, ${c}, ${d}): b² + c² + d² exceeds 1 (nibabel refuses it too); fix the header's quatern_b/c/d or set qform_code to 0.`,
      );
    }
    w = Ext80.ZERO;
  } else {
    w = w2.sqrt();
  }
  const nq = w.mul(w).add(x.mul(x)).add(y.mul(y)).add(z.mul(z));
  let R: Ext80[];
  if (nq.lt(Ext80.from(2 ** -52))) {
    R = [one, Ext80.ZERO, Ext80.ZERO, Ext80.ZERO, one, Ext80.ZERO, Ext80.ZERO, Ext80.ZERO, one];
  } else {
    const s = Ext80.from(2).div(nq);
    const X = x.mul(s);
    const Y = y.mul(s);
    const Z = z.mul(s);
    const wX = w.mul(X);
    const wY = w.mul(Y);
    const wZ = w.mul(Z);
    const xX = x.mul(X);
    const xY = x.mul(Y);
    const xZ = x.mul(Z);
    const yY = y.mul(Y);
    const yZ = y.mul(Z);
    const zZ = z.mul(Z);
    R = [
      one.sub(yY.add(zZ)), xY.sub(wZ), xZ.add(wY),
      xY.add(wZ), one.sub(xX.add(zZ)), yZ.sub(wX),
      xZ.sub(wY), yZ.add(wX), one.sub(xX.add(yY)),
    ];
  }
  const out = new Array<number>(9);
  for (let r = 0; r < 3; r++) {
    for (let col = 0; col < 3; col++) out[r * 3 + col] = R[r * 3 + col].mul(Ext80.from(vox[col])).toNumber();
  }
  return out;
}

function qformRotationZoomDouble(b: number, c: number, d: number, vox: readonly [number, number, number]): number[] {
  const w2 = 1 - (b * b + c * c + d * d);
  const w = w2 < 0 ? 0 : Math.sqrt(w2);
  const nq = w * w + b * b + c * c + d * d;
  const s = 2 / nq;
  const X = b * s, Y = c * s, Z = d * s;
  const R = [
    1 - (c * Y + d * Z), b * Y - w * Z, b * Z + w * Y,
    b * Y + w * Z, 1 - (b * X + d * Z), c * Z - w * X,
    b * Z - w * Y, c * Z + w * X, 1 - (b * X + c * Y),
  ];
  return R.map((v, i) => v * vox[i % 3]);
}

export function det3(m: readonly number[]): number {
  return (
    m[0] * (m[4] * m[8] - m[5] * m[7]) -
    m[1] * (m[3] * m[8] - m[5] * m[6]) +
    m[2] * (m[3] * m[7] - m[4] * m[6])
  );
}

/** Closest orthogonal matrix (polar factor) of a non-singular 3×3 matrix, by Newton's iteration X ← (X + X⁻ᵀ)/2. */
export function polarOrthogonal(m: readonly number[]): number[] {
  let x = m.slice();
  for (let it = 0; it < 100; it++) {
    const d = det3(x);
    // inverse transpose = cofactor matrix / det
    const cof = [
      x[4] * x[8] - x[5] * x[7], x[5] * x[6] - x[3] * x[8], x[3] * x[7] - x[4] * x[6],
      x[2] * x[7] - x[1] * x[8], x[0] * x[8] - x[2] * x[6], x[1] * x[6] - x[0] * x[7],
      x[1] * x[5] - x[2] * x[4], x[2] * x[3] - x[0] * x[5], x[0] * x[4] - x[1] * x[3],
    ];
    let delta = 0;
    const nx = new Array<number>(9);
    for (let i = 0; i < 9; i++) {
      nx[i] = 0.5 * (x[i] + cof[i] / d);
      delta = Math.max(delta, Math.abs(nx[i] - x[i]));
    }
    x = nx;
    if (delta < 1e-15) break;
  }
  return x;
}

/** Unit quaternion `(w, x, y, z)`, `w ≥ 0`, of a rotation matrix (row-major), with nibabel's convention. */
export function rotationToQuaternion(r: readonly number[]): [number, number, number, number] {
  const [r00, r01, r02, r10, r11, r12, r20, r21, r22] = r;
  const tr = r00 + r11 + r22;
  let w: number, x: number, y: number, z: number;
  if (tr > 0) {
    const s = 2 * Math.sqrt(tr + 1);
    w = 0.25 * s;
    x = (r21 - r12) / s;
    y = (r02 - r20) / s;
    z = (r10 - r01) / s;
  } else if (r00 >= r11 && r00 >= r22) {
    const s = 2 * Math.sqrt(1 + r00 - r11 - r22);
    w = (r21 - r12) / s;
    x = 0.25 * s;
    y = (r01 + r10) / s;
    z = (r02 + r20) / s;
  } else if (r11 >= r22) {
    const s = 2 * Math.sqrt(1 + r11 - r00 - r22);
    w = (r02 - r20) / s;
    x = (r01 + r10) / s;
    y = 0.25 * s;
    z = (r12 + r21) / s;
  } else {
    const s = 2 * Math.sqrt(1 + r22 - r00 - r11);
    w = (r10 - r01) / s;
    x = (r02 + r20) / s;
    y = (r12 + r21) / s;
    z = 0.25 * s;
  }
  const n = Math.hypot(w, x, y, z);
  w /= n;
  x /= n;
  y /= n;
  z /= n;
  if (w < 0) {
    w = -w;
    x = -x;
    y = -y;
    z = -z;
  }
  return [w, x, y, z];
}
