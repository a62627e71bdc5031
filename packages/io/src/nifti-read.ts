/**
 * Reading single-file NIfTI-1 / NIfTI-2 (`.nii`, `.nii.gz`, either byte order) with
 * nibabel 5.0's semantics: header fixes, `get_best_affine` (sform, else qform, else the
 * centred base affine; grid voxels → world mm), and `scl_slope`/`scl_inter` scaling.
 * The module notes of `nifti.ts` give the rules in full.
 */
import * as niftijs from 'nifti-reader-js';
import { DtypeError, InvalidArgumentError, MalformedFileError, ResourceLimitError, checkOptionKeys, fileAccessError, type NumericArray } from '@diffeo/core';
import { gunzipChunks, isGzip } from './gzip.js';
import type { LoadNiftiOptions, NiftiHeaderInfo, NiftiVolume } from './nifti-types.js';
import { DTYPE_BY_CODE, HOST_LITTLE_ENDIAN, OTHER_DATATYPES, XFORM_CODES, makeView, reverseAxes, swapBytes } from './nifti-layout.js';
import { qformRotationZoom } from './nifti-qform.js';
import { nodeFs } from '#platform';

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

/** Largest `Uint8Array` (and typed array length) a JavaScript engine allows: 2³² − 1 bytes in V8. */
const MAX_VIEW = 2 ** 32 - 1;
/** Most elements a typed array may have (V8's limit). */
const MAX_ELEMENTS = 2 ** 32 - 1;

const LOAD_OPTION_KEYS = ['returnImg'] as const;

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'object') return (v as object).constructor?.name ?? 'an object';
  return typeof v;
}

/** An own copy of `n` bytes of `buf` from `offset`, in pieces (so more than 4 GiB works). */
function copyRange(buf: ArrayBufferLike, offset: number, n: number): ArrayBuffer {
  const out = new ArrayBuffer(n);
  const PIECE = 2 ** 30;
  for (let p = 0; p < n; p += PIECE) {
    const len = Math.min(PIECE, n - p);
    new Uint8Array(out, p, len).set(new Uint8Array(buf, offset + p, len));
  }
  return out;
}

/** Swaps the byte order of `n` bytes of items of `size` bytes, in pieces. */
function swapBuffer(buf: ArrayBuffer, n: number, size: number): void {
  const PIECE = 2 ** 30; // a multiple of every item size
  for (let p = 0; p < n; p += PIECE) swapBytes(new Uint8Array(buf, p, Math.min(PIECE, n - p)), size);
}

/**
 * Reads the header extensions between the header and `vox_offset`, as nibabel does (while at
 * least 16 bytes remain: `esize` then `ecode`, then `esize − 8` bytes of content), but
 * bounded: each `esize` must be at least 8 and the extension must end by `vox_offset`.
 * A size that is not a multiple of 16 is accepted with a warning (as nibabel does).
 */
function readExtensions(
  head: Uint8Array,
  version: 1 | 2,
  le: boolean,
  voxOffset: number,
  source: string,
  warnings: string[],
): niftijs.NIFTIEXTENSION[] {
  const flagAt = version === 1 ? 348 : 540;
  if (head.length < flagAt + 4 || head[flagAt] === 0) return [];
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const out: niftijs.NIFTIEXTENSION[] = [];
  for (let pos = flagAt + 4; voxOffset - pos >= 16; ) {
    if (pos + 8 > head.length) malformed(source, `the header extension at byte ${pos} is cut off; the file is truncated.`);
    const esize = view.getInt32(pos, le);
    const ecode = view.getInt32(pos + 4, le);
    if (esize < 8) {
      malformed(source, `the header extension at byte ${pos} has size ${esize}; a size counts the 8 bytes of esize and ecode, so it is at least 8 (and a multiple of 16). The header is corrupt; rewrite the file without extensions (nibabel: img.header.extensions.clear()).`);
    }
    if (pos + esize > voxOffset) {
      malformed(source, `the header extension at byte ${pos} (size ${esize}, code ${ecode}) runs past the voxel data at vox_offset ${voxOffset}; the header is corrupt.`);
    }
    if (esize % 16 !== 0) warnings.push(`the header extension at byte ${pos} has size ${esize}, not a multiple of 16; read as is.`);
    out.push(new niftijs.NIFTIEXTENSION(esize, ecode, head.slice(pos + 8, pos + esize).buffer, le));
    pos += esize;
  }
  return out;
}

/** The decompressed file as the reader needs it: the bytes up to `vox_offset`, then the voxels alone. */
interface GzipParts {
  readonly head: Uint8Array;
  readonly voxels: ArrayBuffer;
  readonly total: number;
}

/** Reads vox_offset and the voxel byte count from a header prefix, or `null` when the header is not one this reader accepts. */
function peekLayout(b: Uint8Array): { voxOffset: number; nbytes: number } | null {
  if (b.length < 348) return null;
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (const le of [true, false]) {
    const sizeofHdr = v.getInt32(0, le);
    if (sizeofHdr === 348) {
      const ndim = v.getInt16(40, le);
      const spec = DTYPE_BY_CODE.get(v.getInt16(70, le));
      const off = Math.trunc(v.getFloat32(108, le));
      if (!spec || ndim < 1 || ndim > 7 || !Number.isSafeInteger(off) || off < 352) return null;
      let n = spec.size;
      for (let k = 1; k <= ndim; k++) n *= Math.max(0, v.getInt16(40 + 2 * k, le));
      return { voxOffset: off, nbytes: n };
    }
    if (sizeofHdr === 540 && b.length >= 540) {
      const spec = DTYPE_BY_CODE.get(v.getInt16(12, le));
      const ndim = Number(v.getBigInt64(16, le));
      const off = Number(v.getBigInt64(168, le));
      if (!spec || ndim < 1 || ndim > 7 || !Number.isSafeInteger(off) || off < 544) return null;
      let n = spec.size;
      for (let k = 1; k <= ndim; k++) n *= Math.max(0, Number(v.getBigInt64(16 + 8 * k, le)));
      if (!Number.isSafeInteger(n)) return null;
      return { voxOffset: off, nbytes: n };
    }
  }
  return null;
}

/**
 * Decompresses a `.nii.gz` (CRC32 and size verified), keeping the bytes before `vox_offset`
 * and the voxels the header's dims call for, and no more: the output grows as it is
 * decompressed and is never sized from the gzip trailer.
 */
function collectGzip(u8: Uint8Array, source: string): GzipParts {
  let head = new Uint8Array(1024);
  let headLen = 0;
  let headLimit = 544; // enough to read either header; set to vox_offset once known
  let layout: { voxOffset: number; nbytes: number } | null | undefined;
  let vox = new ArrayBuffer(0);
  let voxLen = 0;
  let voxLimit = 0;
  const appendVox = (chunk: Uint8Array): void => {
    const take = Math.min(chunk.length, voxLimit - voxLen);
    if (take <= 0) return;
    if (voxLen + take > vox.byteLength) {
      const grown = new ArrayBuffer(Math.min(voxLimit, Math.max(voxLen + take, 2 * vox.byteLength, 1 << 16)));
      if (voxLen > 0) new Uint8Array(grown).set(new Uint8Array(copyRange(vox, 0, voxLen)));
      vox = grown;
    }
    new Uint8Array(vox, voxLen, take).set(chunk.subarray(0, take));
    voxLen += take;
  };
  const decide = (): void => {
    layout = peekLayout(head.subarray(0, headLen));
    if (!layout) return; // not a header this reader accepts: keep the prefix for the error message
    headLimit = layout.voxOffset;
    voxLimit = layout.nbytes;
    if (headLen > headLimit) {
      const extra = head.slice(headLimit, headLen);
      headLen = headLimit;
      appendVox(extra);
    }
  };
  const total = gunzipChunks(
    u8,
    (chunk) => {
      let p = 0;
      while (p < chunk.length && headLen < headLimit) {
        const take = Math.min(chunk.length - p, headLimit - headLen);
        if (headLen + take > head.length) {
          const grown = new Uint8Array(Math.min(headLimit, Math.max(headLen + take, 2 * head.length)));
          grown.set(head.subarray(0, headLen));
          head = grown;
        }
        head.set(chunk.subarray(p, p + take), headLen);
        headLen += take;
        p += take;
        if (layout === undefined && headLen >= 544) decide();
      }
      if (p < chunk.length && layout) appendVox(p === 0 ? chunk : chunk.subarray(p));
    },
    source,
  );
  if (layout === undefined) decide();
  const voxels = voxLen === vox.byteLength ? vox : copyRange(vox, 0, voxLen);
  return { head: head.subarray(0, headLen), voxels, total };
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
  checkOptionKeys(options, LOAD_OPTION_KEYS, 'parseNifti options');
  if (!(bytes instanceof Uint8Array) && !(bytes instanceof ArrayBuffer)) {
    throw new InvalidArgumentError(`${source}: parseNifti needs the file's bytes as a Uint8Array or an ArrayBuffer; got ${describe(bytes)}.`);
  }
  if (bytes instanceof ArrayBuffer && bytes.byteLength > MAX_VIEW) {
    // Over 4 GiB: no single Uint8Array can view it, so read the header through a prefix view.
    const head = new Uint8Array(bytes, 0, MAX_VIEW);
    return parseParts(head, bytes.byteLength, (off, n) => copyRange(bytes, off, n), 'file', options, source);
  }
  const u8 = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  if (isGzip(u8)) {
    const parts = collectGzip(u8, source);
    return parseParts(parts.head, parts.total, () => parts.voxels, 'decompressed file', options, source);
  }
  return parseParts(u8, u8.length, (off, n) => copyRange(u8.buffer, u8.byteOffset + off, n), 'file', options, source);
}

/**
 * The NIfTI reader proper. `head` holds the file's first bytes — at least the header and
 * the extensions up to `vox_offset` when the file has them — and `total` is the file's
 * full length; `voxels(offset, n)` returns an own buffer holding bytes `offset .. offset+n`.
 */
function parseParts(
  head: Uint8Array,
  total: number,
  voxels: (offset: number, n: number) => ArrayBuffer,
  what: string,
  options: LoadNiftiOptions,
  source: string,
): NiftiVolume {
  if (total < 348) {
    malformed(source, `the ${what} has only ${total} bytes, fewer than a NIfTI-1 header (348); it is truncated or not a NIfTI file.`);
  }
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const s0le = view.getInt32(0, true);
  const s0be = view.getInt32(0, false);
  let version: 1 | 2;
  if (s0le === 348 || s0be === 348) version = 1;
  else if (s0le === 540 || s0be === 540) version = 2;
  else {
    malformed(source, `not a NIfTI file: the first 4 bytes (sizeof_hdr) are ${s0le}, neither 348 (NIfTI-1) nor 540 (NIfTI-2) in either byte order.`);
  }
  if (version === 2 && total < 540) malformed(source, `the ${what} has only ${total} bytes, fewer than a NIfTI-2 header (540); it is truncated.`);
  // An own copy of the header alone (with the extension flag cleared) for nifti-reader-js,
  // so its unbounded extension walk never runs; the extensions are read below, bounded.
  const hdrEnd = version === 1 ? 352 : 544;
  const hdrBytes = new Uint8Array(hdrEnd);
  hdrBytes.set(head.subarray(0, Math.min(hdrEnd, head.length)));
  hdrBytes.fill(0, hdrEnd - 4);
  const buf = hdrBytes.buffer;
  if (version === 1) {
    if (!niftijs.isNIFTI1(buf, false)) {
      if (niftijs.isNIFTI1(buf, true)) {
        malformed(source, 'this is the header of a NIfTI-1 .hdr/.img pair (magic "ni1"); only single-file .nii/.nii.gz is supported — convert it with nibabel (nib.save(nib.load(p), "out.nii")).');
      }
      malformed(source, `no NIfTI-1 magic "n+1" at byte 344 (found ${JSON.stringify(readString(view, 344, 348))}); this may be an Analyze 7.5 header, which is not supported.`);
    }
  } else {
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
  if (count > MAX_ELEMENTS) {
    throw new ResourceLimitError(
      `${source}: ${shape.join(' x ')} = ${count} voxels is more than the ${MAX_ELEMENTS} elements a JavaScript typed array can hold; split the image (for example volume by volume) before loading it.`,
    );
  }

  // --- vox_offset and the header extensions (bounded walk, as nibabel reads them) ---
  const rawOffset = hdr.vox_offset;
  const minOffset = version === 1 ? 352 : 544;
  const offsetValue = version === 1 ? Math.trunc(rawOffset) : rawOffset;
  if (!Number.isSafeInteger(offsetValue) || offsetValue < 0) {
    malformed(source, `vox_offset = ${rawOffset} is not a valid byte offset (a non-negative integer); the header is corrupt.`);
  }
  if (offsetValue < minOffset) {
    malformed(source, `vox_offset = ${rawOffset} is below the minimum ${minOffset} of a single-file NIfTI-${version} (the voxels would overlap the header); the header is corrupt.`);
  }
  if (offsetValue > total) {
    malformed(source, `vox_offset = ${rawOffset} is past the end of the ${what} (${total} bytes); the header is corrupt or the file truncated.`);
  }
  const extensions = readExtensions(head, version, hdr.littleEndian, offsetValue, source, warnings);
  if (extensions.length > 0) {
    hdr.extensionFlag[0] = 1;
    hdr.extensions = extensions;
    hdr.extensionSize = extensions[0].esize;
    hdr.extensionCode = extensions[0].ecode;
  }

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
  const voxOffset = offsetValue;
  const nbytes = count * spec.size;
  if (voxOffset + nbytes > total) {
    malformed(
      source,
      `truncated: the header announces ${nbytes} bytes of ${spec.name} data (${shape.join(' x ')}) at offset ${voxOffset}, but the ${what} has only ${total} bytes.`,
    );
  }
  const raw = voxels(voxOffset, nbytes);
  if (raw.byteLength < nbytes) malformed(source, `truncated: the voxel data has ${raw.byteLength} of the ${nbytes} bytes the header announces.`);
  if (le !== HOST_LITTLE_ENDIAN) swapBuffer(raw, nbytes, spec.size);
  const fileOrder = makeView(spec, raw, 0, count);
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
  checkOptionKeys(options, LOAD_OPTION_KEYS, 'loadNifti options');
  if (typeof pathOrBytes === 'string') return parseNifti(await readWholeFile(pathOrBytes), options, pathOrBytes);
  return parseNifti(pathOrBytes, options);
}

/**
 * Reads a whole file into one ArrayBuffer, in pieces (Node's `readFile` stops at 2 GiB),
 * with file-system errors as {@link FileAccessError}.
 */
export async function readWholeFile(path: string): Promise<ArrayBuffer> {
  const fs = await nodeFs();
  try {
    const fh = await fs.open(path, 'r');
    try {
      const { size } = await fh.stat();
      const out = new ArrayBuffer(size);
      const PIECE = 2 ** 30;
      for (let p = 0; p < size; ) {
        const len = Math.min(PIECE, size - p);
        const { bytesRead } = await fh.read(new Uint8Array(out, p, len), 0, len, p);
        if (bytesRead === 0) break;
        p += bytesRead;
      }
      return out;
    } finally {
      await fh.close();
    }
  } catch (e) {
    throw fileAccessError(e, path, 'read');
  }
}
