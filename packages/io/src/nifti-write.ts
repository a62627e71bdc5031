/**
 * Writing single-file NIfTI-1 (`.nii`, `.nii.gz`): little endian, data at byte 352, the
 * datatype from the typed array, sform = the grid-to-world affine (voxels → mm) rounded to
 * float32, qform = its nearest rotation, zooms and qfac. Writes are atomic.
 */
import { gzipSync } from 'fflate';
import {
  DtypeError,
  InvalidAffineError,
  InvalidArgumentError,
  toAffine,
  type AffineLike,
} from '@diffeo/core';
import { writeFileAtomic } from './atomic.js';
import type { NiftiArrayInput, SaveNiftiOptions } from './nifti-types.js';
import { HOST_LITTLE_ENDIAN, XFORM_CODES, dtypeOfArray, makeView, reverseAxes, swapBytes } from './nifti-layout.js';
import { det3, polarOrthogonal, rotationToQuaternion } from './nifti-qform.js';

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

