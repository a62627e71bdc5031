/**
 * NIfTI-1 / NIfTI-2 reading and NIfTI-1 writing, with the semantics of nibabel 5.0
 * (which is what DIPY 1.6's `load_nifti` / `save_nifti` use).
 *
 * ## Array order
 * A NIfTI file stores voxel `(i, j, k, ...)` with `i` varying fastest. nibabel returns
 * an array indexed `[i, j, k, ...]`; diffeo arrays are C order (last index fastest),
 * so a volume with `dim = (nx, ny, nz)` is returned with `shape = [nx, ny, nz]` and
 * `data[(i * ny + j) * nz + k]` is voxel `(i, j, k)`: the file's x-fastest layout
 * is transposed on read (and back on write). Index `(i, j, k)` is the grid frame
 * (voxels); the affine maps it to the world frame (scanner/aligned space, usually mm).
 *
 * ## Affine (grid to world), exactly as nibabel's `get_best_affine`
 * 1. `sform_code != 0`: the three `srow_*` rows (float32 in NIfTI-1, widened to double).
 * 2. else `qform_code != 0`: the quaternion form. With `(b, c, d)` from the header,
 *    `a = sqrt(1 − (b² + c² + d²))` (or 0 when the bracket is slightly negative; an
 *    error below −3·eps of the header float type), `R` = the rotation of the unit
 *    quaternion `(a, b, c, d)`, `M = R · diag(pixdim₁, pixdim₂, qfac·pixdim₃)`,
 *    translation `(qoffset_x, qoffset_y, qoffset_z)`, `qfac = pixdim₀`.
 *    nibabel evaluates this in NumPy's `longdouble`, which on x86-64 is the 80-bit
 *    x87 extended format (64-bit significand), and rounds the result to double.
 *    This module emulates that arithmetic exactly (see {@link Ext80}), so the matrix
 *    is bit-identical to nibabel on x86-64 Linux.
 * 3. else the "base" affine from the shape and voxel sizes, centred on the volume:
 *    `diag(−p₁, p₂, p₃)` with translation `−(n_k − 1)/2 · zoom_k` (x flipped, as
 *    Analyze does); missing dimensions count as size 1, zoom 1.
 *
 * ## Header fixes nibabel applies on load (and so do we; listed in `warnings`)
 * zero `pixdim[1..3]` → 1; negative `pixdim[1..3]` → absolute value; `pixdim[0]`
 * (qfac) not ±1 → 1; `qform_code`/`sform_code` outside 0..5 → 0. `bitpix` is ignored
 * (the datatype decides the item size).
 *
 * Deliberate differences: a single-file header whose `vox_offset` is below 352 (544 for
 * NIfTI-2) is rejected — nibabel raises for 1..351 and, for 0, reads the header bytes
 * as voxels; `.hdr`/`.img` pairs and Analyze 7.5 files are not supported.
 *
 * ## Scaling (nibabel 5.0 rules)
 * `scl_slope`/`scl_inter` are taken as doubles. No scaling when the slope is 0 or not
 * finite, or when `(slope, inter) == (1, 0)`: the data keeps the file's dtype. Otherwise
 * the result is **float64** for every stored dtype (nibabel promotes the scale factors to
 * 1-element float64 arrays, so even float32 data becomes float64):
 * `value = stored * slope` (only when `slope != 1`) then `+ inter` (only when `inter != 0`),
 * in double. A valid slope with a non-finite intercept is an error (as in nibabel).
 *
 * ## Writing
 * NIfTI-1 single file (`.nii`, or gzip-compressed `.nii.gz`), data at byte 352,
 * little endian, datatype from the typed array. The sform rows are the affine's first
 * three rows rounded to float32 (so nibabel's `img.affine` reads back exactly
 * `float32(affine)`); the qform is the nearest rotation + zooms + qfac of the affine
 * (as nibabel's `set_qform`, shears stripped by polar decomposition); `pixdim[1..3]`
 * are the column norms of the affine's 3×3 block. Writes are atomic (temporary file
 * in the same folder, then rename) and never replace an existing file unless asked.
 */
import { writeFileAtomic } from './atomic.js';
import { gunzipSync, gzipSync } from 'fflate';
import * as niftijs from 'nifti-reader-js';
import {
  DtypeError,
  InvalidAffineError,
  InvalidArgumentError,
  MalformedFileError,
  toAffine,
  type AffineLike,
  type NumericArray,
} from '@diffeo/core';

// ------------------------------------------------------------------------------------------------
// Public types
// ------------------------------------------------------------------------------------------------

/** Voxel data types diffeo reads and writes (NIfTI datatype codes 2, 256, 4, 512, 8, 768, 16, 64). */
export type NiftiDtype = 'uint8' | 'int8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'float32' | 'float64';

/** The header fields of a NIfTI file, as nibabel sees them after its load-time fixes. */
export interface NiftiHeaderInfo {
  /** 1 for NIfTI-1 (348-byte header), 2 for NIfTI-2 (540-byte header). */
  readonly version: 1 | 2;
  /** Byte order of the file. */
  readonly littleEndian: boolean;
  /** NIfTI datatype code (for example 4 = int16, 16 = float32). */
  readonly datatype: number;
  /** The dtype of the stored voxels. */
  readonly dtype: NiftiDtype;
  /** `bitpix` as stored (not used to read the data). */
  readonly bitpix: number;
  /** `dim[0..7]`: `dim[0]` is the number of dimensions. */
  readonly dim: readonly number[];
  /** `pixdim[0..7]` after nibabel's fixes: `pixdim[0]` is qfac, `pixdim[1..3]` voxel sizes (mm), `pixdim[4]` TR. */
  readonly pixdim: readonly number[];
  /** Voxel sizes `pixdim[1..ndim]` (nibabel's `get_zooms()`). */
  readonly zooms: readonly number[];
  /** Byte offset of the voxel data. */
  readonly voxOffset: number;
  /** `scl_slope` as stored. */
  readonly sclSlope: number;
  /** `scl_inter` as stored. */
  readonly sclInter: number;
  /** `qform_code` (after fixes; 0 unknown, 1 scanner, 2 aligned, 3 Talairach, 4 MNI, 5 template). */
  readonly qformCode: number;
  /** `sform_code` (after fixes). */
  readonly sformCode: number;
  /** `quatern_b, quatern_c, quatern_d`. */
  readonly quatern: readonly [number, number, number];
  /** `qoffset_x, qoffset_y, qoffset_z` (world units). */
  readonly qoffset: readonly [number, number, number];
  /** `srow_x, srow_y, srow_z`, 12 numbers row-major (world units). */
  readonly srow: Float64Array;
  /** `xyzt_units` (spatial units in bits 0-2: 1 m, 2 mm, 3 µm; temporal in bits 3-5). */
  readonly xyztUnits: number;
  readonly dimInfo: number;
  readonly intentCode: number;
  readonly intentName: string;
  readonly sliceCode: number;
  readonly sliceStart: number;
  readonly sliceEnd: number;
  readonly sliceDuration: number;
  readonly toffset: number;
  readonly calMin: number;
  readonly calMax: number;
  /** `descrip`. */
  readonly description: string;
  readonly auxFile: string;
}

/** The "image" part of {@link loadNifti}'s result when `returnImg` is set (DIPY's `return_img`). */
export interface NiftiImage {
  /** The header object parsed by nifti-reader-js (raw values, before nibabel's fixes). */
  readonly rawHeader: niftijs.NIFTI1 | niftijs.NIFTI2;
  /** The stored (unscaled) voxels in the file's dtype, in nibabel array order (C order, shape = `shape`). */
  readonly unscaledData: NumericArray;
  /** The slope and intercept applied to produce `data`, or `null` when the data is unscaled. */
  readonly scaling: { readonly slope: number; readonly inter: number } | null;
}

/** A NIfTI volume as returned by {@link loadNifti} and {@link parseNifti}. */
export interface NiftiVolume {
  /**
   * Voxel values in C order over `shape` (nibabel array order: index `(i, j, k, ...)`,
   * last index fastest). The file's dtype, or `Float64Array` when scaling applies.
   */
  readonly data: NumericArray;
  /** `dim[1..dim[0]]`: `[nx, ny, nz, ...]` (voxels). */
  readonly shape: number[];
  /** Grid-to-world 4×4 affine, row-major (nibabel's `img.affine`); grid = `(i, j, k)` voxel indices, world = mm. */
  readonly affine: Float64Array;
  /** The header fields. */
  readonly header: NiftiHeaderInfo;
  /** Whether `scl_slope`/`scl_inter` were applied (then `data` is a `Float64Array`). */
  readonly scaled: boolean;
  /** Problems nibabel would have fixed (and that were fixed the same way) while reading the header. */
  readonly warnings: string[];
  /** Present when `returnImg: true` was passed. */
  readonly img?: NiftiImage;
}

/** Options of {@link loadNifti} and {@link parseNifti}. */
export interface LoadNiftiOptions {
  /** Also return the raw header and the unscaled data (DIPY's `return_img`). Default `false`. */
  returnImg?: boolean;
}

/** An array to write: C-order data over `shape` (nibabel order, `[nx, ny, nz, ...]`). */
export interface NiftiArrayInput {
  readonly data: NumericArray;
  readonly shape: readonly number[];
}

/** Options of {@link saveNifti} and {@link serializeNifti}. */
export interface SaveNiftiOptions {
  /** Replace an existing file. Default `false` (then an existing file raises {@link FileExistsError}). */
  overwrite?: boolean;
  /** `sform_code` to write (0..5). Default 1 (scanner). */
  sformCode?: number;
  /** `qform_code` to write (0..5). Default 1 (scanner). */
  qformCode?: number;
  /** `xyzt_units`. Default 2 (millimetres, no temporal unit). */
  xyztUnits?: number;
  /** `pixdim[4..7]` (for example the TR of a 4D series). Default 1 for each. */
  pixdimExtra?: readonly number[];
  /** `descrip` (at most 79 ASCII characters). Default `"diffeo"`. */
  description?: string;
  /** gzip the output. Default: from the file name (`.nii.gz` yes, `.nii` no); ignored by `saveNifti` unless the name agrees. */
  gzip?: boolean;
}

// ------------------------------------------------------------------------------------------------
// Datatypes
// ------------------------------------------------------------------------------------------------

interface DtypeSpec {
  readonly name: NiftiDtype;
  readonly code: number;
  readonly size: number;
  readonly alloc: (n: number) => NumericArray;
}

const DTYPES: readonly DtypeSpec[] = [
  { name: 'uint8', code: 2, size: 1, alloc: (n) => new Uint8Array(n) },
  { name: 'int16', code: 4, size: 2, alloc: (n) => new Int16Array(n) },
  { name: 'int32', code: 8, size: 4, alloc: (n) => new Int32Array(n) },
  { name: 'float32', code: 16, size: 4, alloc: (n) => new Float32Array(n) },
  { name: 'float64', code: 64, size: 8, alloc: (n) => new Float64Array(n) },
  { name: 'int8', code: 256, size: 1, alloc: (n) => new Int8Array(n) },
  { name: 'uint16', code: 512, size: 2, alloc: (n) => new Uint16Array(n) },
  { name: 'uint32', code: 768, size: 4, alloc: (n) => new Uint32Array(n) },
];

const DTYPE_BY_CODE = new Map<number, DtypeSpec>(DTYPES.map((d) => [d.code, d]));

const OTHER_DATATYPES: Record<number, string> = {
  0: 'unknown',
  1: 'binary (1 bit)',
  32: 'complex64',
  128: 'RGB24',
  1024: 'int64',
  1280: 'uint64',
  1536: 'float128',
  1792: 'complex128',
  2048: 'complex256',
  2304: 'RGBA32',
};

function dtypeOfArray(a: NumericArray): DtypeSpec | undefined {
  if (a instanceof Uint8Array) return DTYPE_BY_CODE.get(2);
  if (a instanceof Int16Array) return DTYPE_BY_CODE.get(4);
  if (a instanceof Int32Array) return DTYPE_BY_CODE.get(8);
  if (a instanceof Float32Array) return DTYPE_BY_CODE.get(16);
  if (a instanceof Float64Array) return DTYPE_BY_CODE.get(64);
  if (a instanceof Int8Array) return DTYPE_BY_CODE.get(256);
  if (a instanceof Uint16Array) return DTYPE_BY_CODE.get(512);
  if (a instanceof Uint32Array) return DTYPE_BY_CODE.get(768);
  return undefined;
}

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

// ------------------------------------------------------------------------------------------------
// 80-bit extended precision (x87 long double) emulation, for nibabel's quaternion arithmetic
// ------------------------------------------------------------------------------------------------

const TWO64 = 1n << 64n;

function bitLength(x: bigint): number {
  return x === 0n ? 0 : x.toString(2).length;
}

/**
 * A finite number in the x87 80-bit extended format: `(-1)^neg · m · 2^e` with a 64-bit
 * significand `m` (`2^63 ≤ m < 2^64`, or `m = 0` for zero). Every operation is exact
 * then rounded to 64 significant bits, to nearest, ties to even — what the x87 FPU does
 * with NumPy's `longdouble` on x86-64. Exponent range limits and subnormals are not
 * modelled (the values met here are of order 1).
 */
class Ext80 {
  private constructor(
    readonly neg: boolean,
    readonly m: bigint,
    readonly e: number,
  ) {}

  static readonly ZERO = new Ext80(false, 0n, 0);

  /** Rounds the exact value `(-1)^neg · M · 2^e` to 64 significant bits. */
  static round(neg: boolean, M: bigint, e: number): Ext80 {
    if (M === 0n) return Ext80.ZERO;
    const bl = bitLength(M);
    if (bl <= 64) return new Ext80(neg, M << BigInt(64 - bl), e - (64 - bl));
    let sh = bl - 64;
    const shB = BigInt(sh);
    let q = M >> shB;
    const rem = M - (q << shB);
    const half = 1n << (shB - 1n);
    if (rem > half || (rem === half && (q & 1n) === 1n)) q += 1n;
    if (q === TWO64) {
      q >>= 1n;
      sh += 1;
    }
    return new Ext80(neg, q, e + sh);
  }

  /** Exact conversion of a double. */
  static from(x: number): Ext80 {
    if (x === 0) return Ext80.ZERO;
    const dv = new DataView(new ArrayBuffer(8));
    dv.setFloat64(0, x);
    const hi = dv.getUint32(0);
    const lo = dv.getUint32(4);
    const neg = hi >>> 31 === 1;
    const expBits = (hi >>> 20) & 0x7ff;
    const frac = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
    const mant = expBits === 0 ? frac : frac | (1n << 52n);
    const e = expBits === 0 ? -1074 : expBits - 1075;
    return Ext80.round(neg, mant, e);
  }

  isZero(): boolean {
    return this.m === 0n;
  }

  mul(o: Ext80): Ext80 {
    if (this.isZero() || o.isZero()) return Ext80.ZERO;
    return Ext80.round(this.neg !== o.neg, this.m * o.m, this.e + o.e);
  }

  add(o: Ext80): Ext80 {
    if (o.isZero()) return this;
    if (this.isZero()) return o;
    const diff = this.e - o.e;
    // An addend more than 2^-130 times smaller cannot change the rounded sum.
    if (diff > 130) return this;
    if (diff < -130) return o;
    const E = Math.min(this.e, o.e);
    const A = this.m << BigInt(this.e - E);
    const B = o.m << BigInt(o.e - E);
    const S = (this.neg ? -A : A) + (o.neg ? -B : B);
    if (S === 0n) return Ext80.ZERO;
    return S < 0n ? Ext80.round(true, -S, E) : Ext80.round(false, S, E);
  }

  negate(): Ext80 {
    return this.isZero() ? this : new Ext80(!this.neg, this.m, this.e);
  }

  sub(o: Ext80): Ext80 {
    return this.add(o.negate());
  }

  div(o: Ext80): Ext80 {
    if (o.isZero()) throw new RangeError('division by zero');
    if (this.isZero()) return Ext80.ZERO;
    const num = this.m << 130n;
    const q = num / o.m;
    const sticky = num - q * o.m === 0n ? 0n : 1n;
    return Ext80.round(this.neg !== o.neg, (q << 1n) | sticky, this.e - o.e - 131);
  }

  sqrt(): Ext80 {
    if (this.isZero()) return Ext80.ZERO;
    if (this.neg) throw new RangeError('square root of a negative number');
    const k = (this.e - 130) % 2 === 0 ? 130 : 131;
    const M = this.m << BigInt(k);
    const E = this.e - k; // even
    const r = isqrt(M);
    const sticky = r * r === M ? 0n : 1n;
    return Ext80.round(false, (r << 1n) | sticky, E / 2 - 1);
  }

  lt(o: Ext80): boolean {
    const d = this.sub(o);
    return !d.isZero() && d.neg;
  }

  /** Rounds to the nearest double (ties to even). */
  toNumber(): number {
    if (this.isZero()) return 0;
    let q = this.m >> 11n;
    const rem = this.m & 0x7ffn;
    let e = this.e + 11;
    if (rem > 0x400n || (rem === 0x400n && (q & 1n) === 1n)) q += 1n;
    if (q === 1n << 53n) {
      q >>= 1n;
      e += 1;
    }
    const v = Number(q) * 2 ** e;
    return this.neg ? -v : v;
  }
}

function isqrt(n: bigint): bigint {
  if (n < 2n) return n;
  let x = 1n << BigInt(Math.ceil(bitLength(n) / 2));
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

/**
 * nibabel's qform matrix (3×3 block, row-major) from the quaternion `(b, c, d)`, the voxel
 * sizes and qfac, evaluated in emulated x87 long double and rounded to double.
 * @param eps - machine epsilon of the header's float type (float32 for NIfTI-1, float64 for NIfTI-2).
 * @returns the 9 entries, or throws when `1 − (b² + c² + d²) < −3·eps`.
 */
function qformRotationZoom(b: number, c: number, d: number, vox: readonly [number, number, number], eps: number, source: string): number[] {
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

// ------------------------------------------------------------------------------------------------
// Reading
// ------------------------------------------------------------------------------------------------

const GZIP_MAGIC0 = 0x1f;
const GZIP_MAGIC1 = 0x8b;

function malformed(source: string, msg: string, cause?: unknown): never {
  throw new MalformedFileError(`${source}: ${msg}`, cause === undefined ? undefined : { cause });
}

function readString(view: DataView, start: number, end: number): string {
  let s = '';
  for (let i = start; i < end; i++) {
    const c = view.getUint8(i);
    if (c === 0) break;
    s += String.fromCharCode(c);
  }
  return s;
}

const TILE = 32;

/**
 * Reverses the axis order between the file layout (x fastest: Fortran order over `shape`)
 * and C order over `shape`: `toC` copies file → C (`src` file order, `dst` C order),
 * otherwise C → file. Size-1 axes are dropped (they do not move memory); for the rest,
 * each combination of the middle axes is a 2D transpose between the first axis (contiguous
 * in the file) and the last (contiguous in C order), done in cache-sized tiles.
 */
function reverseAxes(src: NumericArray, dst: NumericArray, shape: readonly number[], toC: boolean): void {
  const dims = shape.filter((n) => n !== 1);
  const d = dims.length;
  if (src.length === 0) return;
  if (d <= 1) {
    dst.set(src);
    return;
  }
  const n0 = dims[0];
  const nL = dims[d - 1];
  // C stride of axis 0, file stride of the last axis.
  let s0 = 1;
  for (let k = 1; k < d; k++) s0 *= dims[k];
  let fL = 1;
  for (let k = 0; k < d - 1; k++) fL *= dims[k];
  const nMid = d - 2;
  const idx = new Array<number>(nMid).fill(0);
  // C strides and file strides of the middle axes.
  const cMid = new Array<number>(nMid);
  const fMid = new Array<number>(nMid);
  for (let k = 1; k <= nMid; k++) {
    let c = 1;
    for (let m = k + 1; m < d; m++) c *= dims[m];
    let f = 1;
    for (let m = 0; m < k; m++) f *= dims[m];
    cMid[k - 1] = c;
    fMid[k - 1] = f;
  }
  let cBase = 0;
  let fBase = 0;
  for (;;) {
    for (let a0 = 0; a0 < n0; a0 += TILE) {
      const e0 = Math.min(a0 + TILE, n0);
      for (let aL = 0; aL < nL; aL += TILE) {
        const eL = Math.min(aL + TILE, nL);
        if (toC) {
          for (let i0 = a0; i0 < e0; i0++) {
            const c = cBase + i0 * s0;
            const f = fBase + i0;
            for (let iL = aL; iL < eL; iL++) dst[c + iL] = src[f + iL * fL];
          }
        } else {
          for (let iL = aL; iL < eL; iL++) {
            const c = cBase + iL;
            const f = fBase + iL * fL;
            for (let i0 = a0; i0 < e0; i0++) dst[f + i0] = src[c + i0 * s0];
          }
        }
      }
    }
    // Next combination of the middle axes.
    let k = 0;
    for (; k < nMid; k++) {
      idx[k]++;
      cBase += cMid[k];
      fBase += fMid[k];
      if (idx[k] < dims[k + 1]) break;
      cBase -= cMid[k] * dims[k + 1];
      fBase -= fMid[k] * dims[k + 1];
      idx[k] = 0;
    }
    if (k === nMid) return;
  }
}

function swapBytes(bytes: Uint8Array, size: number): void {
  if (size === 1) return;
  const n = bytes.length;
  for (let i = 0; i < n; i += size) {
    for (let a = i, b = i + size - 1; a < b; a++, b--) {
      const t = bytes[a];
      bytes[a] = bytes[b];
      bytes[b] = t;
    }
  }
}

const XFORM_CODES = new Set([0, 1, 2, 3, 4, 5]);

/**
 * Parses the bytes of a `.nii` or `.nii.gz` file (NIfTI-1 or NIfTI-2, either byte order).
 * Same result as {@link loadNifti}; usable in browsers.
 *
 * @param bytes - the whole file, gzip-compressed or not (detected from the gzip magic bytes).
 * @param options - `returnImg` to also get the raw header and the unscaled data.
 * @param source - a name for error messages (usually the path). Default `"NIfTI data"`.
 * @throws MalformedFileError when the bytes are not NIfTI, truncated, or corrupt;
 *   DtypeError for a datatype other than uint8/int8/int16/uint16/int32/uint32/float32/float64.
 */
export function parseNifti(bytes: Uint8Array | ArrayBuffer, options: LoadNiftiOptions = {}, source = 'NIfTI data'): NiftiVolume {
  let u8 = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let compressed = false;
  if (u8.length >= 2 && u8[0] === GZIP_MAGIC0 && u8[1] === GZIP_MAGIC1) {
    compressed = true;
    try {
      u8 = gunzipSync(u8);
    } catch (e) {
      malformed(source, `corrupt or truncated gzip stream (${(e as Error).message}); the .nii.gz file is damaged — re-export or re-download it.`, e);
    }
  }
  const what = compressed ? 'decompressed file' : 'file';
  if (u8.length < 348) {
    malformed(source, `the ${what} has only ${u8.length} bytes, fewer than a NIfTI-1 header (348); it is truncated or not a NIfTI file.`);
  }
  // Own, aligned copy of the bytes as an ArrayBuffer for nifti-reader-js.
  const buf = u8.byteOffset === 0 && u8.byteLength === u8.buffer.byteLength && u8.buffer instanceof ArrayBuffer
    ? u8.buffer
    : u8.slice().buffer;
  const view = new DataView(buf);
  const s0le = view.getInt32(0, true);
  const s0be = view.getInt32(0, false);
  let version: 1 | 2;
  if (s0le === 348 || s0be === 348) version = 1;
  else if (s0le === 540 || s0be === 540) version = 2;
  else {
    malformed(source, `not a NIfTI file: the first 4 bytes (sizeof_hdr) are ${s0le}, neither 348 (NIfTI-1) nor 540 (NIfTI-2) in either byte order.`);
  }
  if (version === 1) {
    if (!niftijs.isNIFTI1(buf, false)) {
      if (niftijs.isNIFTI1(buf, true)) {
        malformed(source, 'this is the header of a NIfTI-1 .hdr/.img pair (magic "ni1"); only single-file .nii/.nii.gz is supported — convert it with nibabel (nib.save(nib.load(p), "out.nii")).');
      }
      malformed(source, `no NIfTI-1 magic "n+1" at byte 344 (found ${JSON.stringify(readString(view, 344, 348))}); this may be an Analyze 7.5 header, which is not supported.`);
    }
  } else {
    if (u8.length < 540) malformed(source, `the ${what} has only ${u8.length} bytes, fewer than a NIfTI-2 header (540); it is truncated.`);
    if (!niftijs.isNIFTI2(buf, false)) {
      if (niftijs.isNIFTI2(buf, true)) {
        malformed(source, 'this is the header of a NIfTI-2 .hdr/.img pair (magic "ni2"); only single-file .nii/.nii.gz is supported.');
      }
      malformed(source, 'no NIfTI-2 magic "n+2\\0\\r\\n\\x1a\\n" at byte 4; the file is corrupt.');
    }
  }
  let hdr: niftijs.NIFTI1 | niftijs.NIFTI2;
  try {
    hdr = version === 1 ? new niftijs.NIFTI1() : new niftijs.NIFTI2();
    hdr.readHeader(buf);
  } catch (e) {
    malformed(source, `unreadable NIfTI-${version} header (${(e as Error).message}).`, e);
  }
  const le = hdr.littleEndian;
  const warnings: string[] = [];

  // --- dtype and shape ---
  const datatype = hdr.datatypeCode;
  const spec = DTYPE_BY_CODE.get(datatype);
  if (!spec) {
    const name = OTHER_DATATYPES[datatype];
    throw new DtypeError(
      `${source}: NIfTI datatype code ${datatype}${name ? ` (${name})` : ' (not a valid NIfTI datatype)'} is not supported; diffeo reads uint8 (2), int8 (256), int16 (4), uint16 (512), int32 (8), uint32 (768), float32 (16) and float64 (64). Convert the image first (for example with nibabel: img.set_data_dtype(np.float32)).`,
    );
  }
  const dim = hdr.dims.slice(0, 8);
  const ndim = dim[0];
  if (!Number.isInteger(ndim) || ndim < 1 || ndim > 7) {
    malformed(source, `dim[0] = ${ndim} is not a number of dimensions between 1 and 7; the header is corrupt (or written with the other byte order).`);
  }
  const shape = dim.slice(1, ndim + 1);
  let count = 1;
  for (let k = 0; k < ndim; k++) {
    if (!Number.isSafeInteger(shape[k]) || shape[k] < 0) malformed(source, `dim[${k + 1}] = ${shape[k]} is not a valid size.`);
    count *= shape[k];
  }
  if (!Number.isSafeInteger(count * spec.size)) malformed(source, `the dimensions (${shape.join(' x ')}) are too large.`);

  // --- nibabel's load-time fixes ---
  const pixdim = hdr.pixDims.slice(0, 8);
  for (let k = 1; k <= 3; k++) {
    if (pixdim[k] === 0) {
      warnings.push(`pixdim[${k}] was 0; set to 1.`);
      pixdim[k] = 1;
    } else if (pixdim[k] < 0) {
      warnings.push(`pixdim[${k}] was negative (${pixdim[k]}); set to its absolute value.`);
      pixdim[k] = -pixdim[k];
    }
  }
  if (pixdim[0] !== 1 && pixdim[0] !== -1) {
    if (pixdim[0] !== 0) warnings.push(`pixdim[0] (qfac) was ${pixdim[0]}, not 1 or -1; set to 1.`);
    pixdim[0] = 1;
  }
  let qformCode = hdr.qform_code;
  let sformCode = hdr.sform_code;
  if (!XFORM_CODES.has(qformCode)) {
    warnings.push(`qform_code ${qformCode} is not valid; set to 0.`);
    qformCode = 0;
  }
  if (!XFORM_CODES.has(sformCode)) {
    warnings.push(`sform_code ${sformCode} is not valid; set to 0.`);
    sformCode = 0;
  }

  // --- raw srow (nifti-reader-js only keeps it in some cases) ---
  const srow = new Float64Array(12);
  for (let i = 0; i < 12; i++) srow[i] = version === 1 ? view.getFloat32(280 + 4 * i, le) : view.getFloat64(400 + 8 * i, le);

  // --- affine ---
  const affine = new Float64Array(16);
  affine[15] = 1;
  if (sformCode !== 0) {
    affine.set(srow, 0);
  } else if (qformCode !== 0) {
    const vox: [number, number, number] = [pixdim[1], pixdim[2], pixdim[3] * pixdim[0]];
    const eps = version === 1 ? 2 ** -23 : 2 ** -52;
    const m = qformRotationZoom(hdr.quatern_b, hdr.quatern_c, hdr.quatern_d, vox, eps, source);
    for (let r = 0; r < 3; r++) {
      for (let c = 0; c < 3; c++) affine[r * 4 + c] = m[r * 3 + c];
    }
    affine[3] = hdr.qoffset_x;
    affine[7] = hdr.qoffset_y;
    affine[11] = hdr.qoffset_z;
  } else {
    for (let k = 0; k < 3; k++) {
      const n = k < ndim ? shape[k] : 1;
      let zoom = k < ndim ? pixdim[k + 1] : 1;
      if (k === 0) zoom = -zoom;
      affine[k * 5] = zoom;
      affine[k * 4 + 3] = -((n - 1) / 2) * zoom;
    }
  }

  // --- scaling (nibabel 5.0: Nifti1Header.get_slope_inter + ArrayProxy) ---
  const slope = hdr.scl_slope;
  const inter = hdr.scl_inter;
  let scaling: { slope: number; inter: number } | null = null;
  if (slope !== 0 && Number.isFinite(slope)) {
    if (!Number.isFinite(inter)) {
      malformed(source, `scl_slope is ${slope} but scl_inter is ${inter}; a valid slope needs a finite intercept (nibabel refuses this header too).`);
    }
    if (!(slope === 1 && inter === 0)) scaling = { slope, inter };
  }

  // --- voxel data ---
  const voxOffset = version === 1 ? Math.trunc(hdr.vox_offset) : hdr.vox_offset;
  const minOffset = version === 1 ? 352 : 544;
  if (!Number.isSafeInteger(voxOffset) || voxOffset < minOffset) {
    malformed(source, `vox_offset = ${hdr.vox_offset} is below the minimum ${minOffset} of a single-file NIfTI-${version}; the header is corrupt.`);
  }
  const nbytes = count * spec.size;
  if (voxOffset + nbytes > u8.length) {
    malformed(
      source,
      `truncated: the header announces ${nbytes} bytes of ${spec.name} data (${shape.join(' x ')}) at offset ${voxOffset}, but the ${what} has only ${u8.length} bytes.`,
    );
  }
  const raw = u8.slice(voxOffset, voxOffset + nbytes);
  if (le !== HOST_LITTLE_ENDIAN) swapBytes(raw, spec.size);
  const fileOrder = makeView(spec, raw.buffer, 0, count);
  const unscaled = spec.alloc(count);
  reverseAxes(fileOrder, unscaled, shape, true);
  let data: NumericArray = unscaled;
  if (scaling) {
    const out = new Float64Array(count);
    const { slope: sl, inter: it } = scaling;
    if (sl !== 1 && it !== 0) for (let i = 0; i < count; i++) out[i] = unscaled[i] * sl + it;
    else if (sl !== 1) for (let i = 0; i < count; i++) out[i] = unscaled[i] * sl;
    else for (let i = 0; i < count; i++) out[i] = unscaled[i] + it;
    data = out;
  }

  const header: NiftiHeaderInfo = {
    version,
    littleEndian: le,
    datatype,
    dtype: spec.name,
    bitpix: hdr.numBitsPerVoxel,
    dim,
    pixdim,
    zooms: pixdim.slice(1, ndim + 1),
    voxOffset,
    sclSlope: slope,
    sclInter: inter,
    qformCode,
    sformCode,
    quatern: [hdr.quatern_b, hdr.quatern_c, hdr.quatern_d],
    qoffset: [hdr.qoffset_x, hdr.qoffset_y, hdr.qoffset_z],
    srow,
    xyztUnits: hdr.xyzt_units,
    dimInfo: hdr.dim_info,
    intentCode: hdr.intent_code,
    intentName: hdr.intent_name,
    sliceCode: hdr.slice_code,
    sliceStart: hdr.slice_start,
    sliceEnd: hdr.slice_end,
    sliceDuration: hdr.slice_duration,
    toffset: hdr.toffset,
    calMin: hdr.cal_min,
    calMax: hdr.cal_max,
    description: hdr.description,
    auxFile: hdr.aux_file,
  };
  const result: NiftiVolume = { data, shape, affine, header, scaled: scaling !== null, warnings };
  if (options.returnImg) return { ...result, img: { rawHeader: hdr, unscaledData: unscaled, scaling } };
  return result;
}

/**
 * Loads a NIfTI file, like DIPY's `load_nifti` (nibabel's `img.get_fdata`-free path:
 * `np.asanyarray(img.dataobj)` and `img.affine`).
 *
 * @param pathOrBytes - a file path (Node.js) or the file's bytes (any environment).
 * @param options - `returnImg: true` adds the raw header and unscaled data as `img`.
 * @returns data in nibabel array order (`shape = [nx, ny, nz, ...]`, C order), the 4×4
 *   grid-to-world affine (voxel index → mm), header fields and warnings.
 * @throws MalformedFileError for corrupt, truncated or non-NIfTI input (naming the file);
 *   DtypeError for an unsupported datatype.
 */
export async function loadNifti(pathOrBytes: string | Uint8Array | ArrayBuffer, options: LoadNiftiOptions = {}): Promise<NiftiVolume> {
  if (typeof pathOrBytes === 'string') {
    const { readFile } = await import('node:fs/promises');
    const bytes = await readFile(pathOrBytes);
    return parseNifti(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), options, pathOrBytes);
  }
  return parseNifti(pathOrBytes, options);
}

// ------------------------------------------------------------------------------------------------
// Writing
// ------------------------------------------------------------------------------------------------

function det3(m: readonly number[]): number {
  return (
    m[0] * (m[4] * m[8] - m[5] * m[7]) -
    m[1] * (m[3] * m[8] - m[5] * m[6]) +
    m[2] * (m[3] * m[7] - m[4] * m[6])
  );
}

/** Closest orthogonal matrix (polar factor) of a non-singular 3×3 matrix, by Newton's iteration X ← (X + X⁻ᵀ)/2. */
function polarOrthogonal(m: readonly number[]): number[] {
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
function rotationToQuaternion(r: readonly number[]): [number, number, number, number] {
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

function checkXformCode(code: number, what: string): number {
  if (!Number.isInteger(code) || !XFORM_CODES.has(code)) {
    throw new InvalidArgumentError(`${what} must be an integer from 0 to 5 (0 unknown, 1 scanner, 2 aligned, 3 Talairach, 4 MNI, 5 template); got ${code}.`);
  }
  return code;
}

/**
 * Encodes an array as a single-file NIfTI-1 image (little endian, data at byte 352).
 * Usable in browsers. See the module notes for the header fields written.
 *
 * @param array - C-order data over `shape = [nx, ny, nz, ...]` (1 to 7 dimensions, each ≤ 32767).
 *   The datatype follows the typed array (Uint8Array → uint8, Float32Array → float32, ...).
 * @param affine - grid-to-world 4×4 affine (voxel index → mm), row-major or nested rows;
 *   `null` for the identity.
 * @param options - codes, units, description, and `gzip` (default `false` here).
 * @throws InvalidArgumentError for a bad shape or option; InvalidAffineError for a non-finite
 *   or singular affine, or one whose last row is not `[0, 0, 0, 1]`; DtypeError for an
 *   unsupported typed array.
 */
export function serializeNifti(array: NiftiArrayInput, affine: AffineLike, options: SaveNiftiOptions = {}): Uint8Array {
  const { data, shape } = array;
  const spec = dtypeOfArray(data);
  if (!spec) {
    throw new DtypeError(`cannot write a ${(data as object)?.constructor?.name ?? typeof data} to NIfTI; pass a Uint8Array, Int8Array, Int16Array, Uint16Array, Int32Array, Uint32Array, Float32Array or Float64Array.`);
  }
  if (!Array.isArray(shape) && !ArrayBuffer.isView(shape)) throw new InvalidArgumentError('shape must be an array of dimensions, for example [nx, ny, nz].');
  const ndim = shape.length;
  if (ndim < 1 || ndim > 7) throw new InvalidArgumentError(`NIfTI images have 1 to 7 dimensions; got shape [${shape.join(', ')}].`);
  let count = 1;
  for (let k = 0; k < ndim; k++) {
    const n = shape[k];
    if (!Number.isInteger(n) || n < 1 || n > 32767) {
      throw new InvalidArgumentError(`shape[${k}] = ${n}: NIfTI-1 dimensions must be integers from 1 to 32767.`);
    }
    count *= n;
  }
  if (data.length !== count) {
    throw new InvalidArgumentError(`data has ${data.length} values but shape [${shape.join(', ')}] needs ${count}.`);
  }
  const A = toAffine(affine, 3, 'affine') ?? new Float64Array([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
  if (A[12] !== 0 || A[13] !== 0 || A[14] !== 0 || A[15] !== 1) {
    throw new InvalidAffineError(`affine must have the last row [0, 0, 0, 1]; got [${Array.from(A.subarray(12)).join(', ')}].`);
  }
  const sformCode = checkXformCode(options.sformCode ?? 1, 'sformCode');
  const qformCode = checkXformCode(options.qformCode ?? 1, 'qformCode');
  const xyztUnits = options.xyztUnits ?? 2;
  if (!Number.isInteger(xyztUnits) || xyztUnits < 0 || xyztUnits > 255) throw new InvalidArgumentError(`xyztUnits must be an integer from 0 to 255; got ${xyztUnits}.`);
  const description = options.description ?? 'diffeo';
  if (description.length > 79 || /[^\x20-\x7e]/.test(description)) {
    throw new InvalidArgumentError('description must be at most 79 printable ASCII characters.');
  }
  const extra = options.pixdimExtra ?? [];
  if (extra.length > 4 || extra.some((v) => !Number.isFinite(v))) throw new InvalidArgumentError('pixdimExtra must hold at most 4 finite numbers (pixdim[4..7]).');

  // qform parameters from the affine (nibabel's set_qform).
  const rzs = [A[0], A[1], A[2], A[4], A[5], A[6], A[8], A[9], A[10]];
  const zooms = [0, 1, 2].map((c) => Math.hypot(rzs[c], rzs[3 + c], rzs[6 + c]));
  if (zooms.some((z) => !(z > 0))) {
    throw new InvalidAffineError(`affine has a zero column in its 3x3 block (voxel sizes ${zooms.join(', ')}); a NIfTI grid-to-world affine must be invertible.`);
  }
  const rot = rzs.map((v, i) => v / zooms[i % 3]);
  let qfac = 1;
  if (!(det3(rot) > 0)) {
    qfac = -1;
    rot[2] = -rot[2];
    rot[5] = -rot[5];
    rot[8] = -rot[8];
  }
  if (!(Math.abs(det3(rot)) > 1e-12)) {
    throw new InvalidAffineError('affine is singular (its 3x3 block has dependent columns); a NIfTI grid-to-world affine must be invertible.');
  }
  const q = rotationToQuaternion(polarOrthogonal(rot));

  const header = new ArrayBuffer(352);
  const v = new DataView(header);
  const LE = true;
  v.setInt32(0, 348, LE);
  v.setUint8(38, 'r'.charCodeAt(0));
  v.setInt16(40, ndim, LE);
  for (let k = 1; k <= 7; k++) v.setInt16(40 + 2 * k, k <= ndim ? shape[k - 1] : 1, LE);
  v.setInt16(70, spec.code, LE);
  v.setInt16(72, spec.size * 8, LE);
  const pixdim = [qfac, zooms[0], zooms[1], zooms[2], 1, 1, 1, 1];
  for (let k = 0; k < extra.length; k++) pixdim[4 + k] = extra[k];
  for (let k = 0; k < 8; k++) v.setFloat32(76 + 4 * k, pixdim[k], LE);
  v.setFloat32(108, 352, LE);
  v.setFloat32(112, 1, LE); // scl_slope 1, scl_inter 0: no scaling
  v.setFloat32(116, 0, LE);
  v.setUint8(123, xyztUnits);
  for (let i = 0; i < description.length; i++) v.setUint8(148 + i, description.charCodeAt(i));
  v.setInt16(252, qformCode, LE);
  v.setInt16(254, sformCode, LE);
  v.setFloat32(256, q[1], LE);
  v.setFloat32(260, q[2], LE);
  v.setFloat32(264, q[3], LE);
  v.setFloat32(268, A[3], LE);
  v.setFloat32(272, A[7], LE);
  v.setFloat32(276, A[11], LE);
  for (let i = 0; i < 12; i++) v.setFloat32(280 + 4 * i, A[i], LE);
  const magic = 'n+1';
  for (let i = 0; i < 3; i++) v.setUint8(344 + i, magic.charCodeAt(i));

  const out = new Uint8Array(352 + count * spec.size);
  out.set(new Uint8Array(header), 0);
  const body = new Uint8Array(out.buffer, 352, count * spec.size);
  // 352 is a multiple of 8, so the typed view over `out.buffer` is aligned.
  const dst = makeView(spec, out.buffer, 352, count);
  reverseAxes(data, dst, shape, false);
  if (!HOST_LITTLE_ENDIAN) swapBytes(body, spec.size);
  // mtime 0: no time stamp in the gzip header, so the same image always gives the same bytes.
  if (options.gzip) return gzipSync(out, { level: 6, mtime: 0 });
  return out;
}

function makeView(spec: DtypeSpec, buf: ArrayBuffer, offset: number, n: number): NumericArray {
  switch (spec.code) {
    case 2: return new Uint8Array(buf, offset, n);
    case 4: return new Int16Array(buf, offset, n);
    case 8: return new Int32Array(buf, offset, n);
    case 16: return new Float32Array(buf, offset, n);
    case 64: return new Float64Array(buf, offset, n);
    case 256: return new Int8Array(buf, offset, n);
    case 512: return new Uint16Array(buf, offset, n);
    default: return new Uint32Array(buf, offset, n);
  }
}

/**
 * Saves an array as a NIfTI-1 file, like DIPY's `save_nifti(fname, data, affine)`.
 * The file name must end in `.nii` or `.nii.gz` (gzip-compressed with fflate).
 * The write is atomic: the bytes go to a temporary file in the same folder, which is
 * then renamed (or hard-linked, when not overwriting) onto `path`.
 *
 * @param path - destination file (`*.nii` or `*.nii.gz`).
 * @param array - `{ data, shape }` in nibabel array order (C order over `[nx, ny, nz, ...]`),
 *   for example the result of {@link loadNifti}.
 * @param affine - grid-to-world 4×4 affine (voxel index → mm), or `null` for the identity.
 * @param options - `overwrite` (default `false`), sform/qform codes (default 1), units, description.
 * @throws FileExistsError when `path` exists and `overwrite` is not set; InvalidArgumentError for
 *   a bad file name, shape or option; InvalidAffineError for a bad affine.
 */
export async function saveNifti(path: string, array: NiftiArrayInput, affine: AffineLike, options: SaveNiftiOptions = {}): Promise<void> {
  const lower = path.toLowerCase();
  let gzip: boolean;
  if (lower.endsWith('.nii.gz')) gzip = true;
  else if (lower.endsWith('.nii')) gzip = false;
  else throw new InvalidArgumentError(`cannot tell the format of "${path}": the file name must end in .nii or .nii.gz.`);
  if (options.gzip !== undefined && options.gzip !== gzip) {
    throw new InvalidArgumentError(`options.gzip = ${options.gzip} contradicts the file name "${path}"; use the .nii.gz extension for gzip and .nii otherwise.`);
  }
  const bytes = serializeNifti(array, affine, { ...options, gzip });
  await writeFileAtomic(path, bytes, { overwrite: options.overwrite === true });
}

