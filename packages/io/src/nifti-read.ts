/**
 * Reading single-file NIfTI-1 / NIfTI-2 (`.nii`, `.nii.gz`, either byte order) with
 * nibabel 5.0's semantics: header fixes, `get_best_affine` (sform, else qform, else the
 * centred base affine; grid voxels → world mm), and `scl_slope`/`scl_inter` scaling.
 * The module notes of `nifti.ts` give the rules in full.
 */
import { gunzipSync } from 'fflate';
import * as niftijs from 'nifti-reader-js';
import { DtypeError, MalformedFileError, type NumericArray } from '@diffeo/core';
import type { LoadNiftiOptions, NiftiHeaderInfo, NiftiVolume } from './nifti-types.js';
import { DTYPE_BY_CODE, HOST_LITTLE_ENDIAN, OTHER_DATATYPES, XFORM_CODES, makeView, reverseAxes, swapBytes } from './nifti-layout.js';
import { qformRotationZoom } from './nifti-qform.js';
import { nodeFs } from '#platform';

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
    const bytes = await (await nodeFs()).readFile(pathOrBytes);
    return parseNifti(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), options, pathOrBytes);
  }
  return parseNifti(pathOrBytes, options);
}
