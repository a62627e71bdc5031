/**
 * NumPy `.npy` files (format versions 1.0, 2.0 and 3.0): parsing and writing.
 *
 * Supported dtypes: `f4 f8 i1 i2 i4 u1 u2 u4 b1` in little or big endian
 * (`|` for single bytes), C or Fortran order. Parsed data is returned in C order
 * (Fortran-ordered files are transposed on read) in native byte order.
 */
import { DtypeError, MalformedFileError, checkOptionKeys } from '@diffeo/core';
import { PyLiteralSyntaxError, parsePyLiteral, type PyValue } from './py-literal.js';

/** The dtypes diffeo reads and writes, as NumPy type codes without the byte-order mark. */
export type NpyDtype = 'f4' | 'f8' | 'i1' | 'i2' | 'i4' | 'u1' | 'u2' | 'u4' | 'b1';

/** Typed array returned for each {@link NpyDtype} (`b1` reads as 0/1 `Uint8Array`). */
export type NpyData = Float32Array | Float64Array | Int8Array | Int16Array | Int32Array | Uint8Array | Uint16Array | Uint32Array;

/** A parsed `.npy` array: C-ordered data in native byte order, its shape and dtype. */
export interface NpyArray {
  /** dtype code without the byte-order mark. */
  readonly dtype: NpyDtype;
  /** Array shape (an empty array for a 0-d scalar). */
  readonly shape: number[];
  /** Values in C (row-major) order. */
  readonly data: NpyData;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

interface DtypeInfo { size: number; make: (n: number) => NpyData; get: (v: DataView, o: number, le: boolean) => number; set: (v: DataView, o: number, x: number, le: boolean) => void }

const DTYPES: Readonly<Record<NpyDtype, DtypeInfo>> = Object.assign(Object.create(null) as Record<NpyDtype, DtypeInfo>, {
  f4: { size: 4, make: (n) => new Float32Array(n), get: (v, o, le) => v.getFloat32(o, le), set: (v, o, x, le) => v.setFloat32(o, x, le) },
  f8: { size: 8, make: (n) => new Float64Array(n), get: (v, o, le) => v.getFloat64(o, le), set: (v, o, x, le) => v.setFloat64(o, x, le) },
  i1: { size: 1, make: (n) => new Int8Array(n), get: (v, o) => v.getInt8(o), set: (v, o, x) => v.setInt8(o, x) },
  i2: { size: 2, make: (n) => new Int16Array(n), get: (v, o, le) => v.getInt16(o, le), set: (v, o, x, le) => v.setInt16(o, x, le) },
  i4: { size: 4, make: (n) => new Int32Array(n), get: (v, o, le) => v.getInt32(o, le), set: (v, o, x, le) => v.setInt32(o, x, le) },
  u1: { size: 1, make: (n) => new Uint8Array(n), get: (v, o) => v.getUint8(o), set: (v, o, x) => v.setUint8(o, x) },
  u2: { size: 2, make: (n) => new Uint16Array(n), get: (v, o, le) => v.getUint16(o, le), set: (v, o, x, le) => v.setUint16(o, x, le) },
  u4: { size: 4, make: (n) => new Uint32Array(n), get: (v, o, le) => v.getUint32(o, le), set: (v, o, x, le) => v.setUint32(o, x, le) },
  b1: { size: 1, make: (n) => new Uint8Array(n), get: (v, o) => (v.getUint8(o) !== 0 ? 1 : 0), set: (v, o, x) => v.setUint8(o, x ? 1 : 0) },
} satisfies Record<NpyDtype, DtypeInfo>);

function fail(msg: string, source?: string): never {
  throw new MalformedFileError(`${source ? source + ': ' : ''}${msg}`);
}

function parseHeader(text: string, source?: string): { descr: string; fortran: boolean; shape: number[] } {
  const shown = JSON.stringify(text.length > 200 ? `${text.slice(0, 200)}...` : text);
  // NumPy pads the header with spaces and ends it with a newline; a header length that
  // does not land on that newline is stale (the data would be read shifted).
  if (!text.endsWith('\n')) {
    fail(`the .npy header ${shown} does not end with a newline: its length field (${text.length}) is wrong, so the data offset cannot be trusted; the file is corrupt.`, source);
  }
  let lit: PyValue;
  try {
    lit = parsePyLiteral(text);
  } catch (e) {
    if (!(e instanceof PyLiteralSyntaxError)) throw e;
    fail(`the .npy header ${shown} is not a Python literal (${e.message}); the file is corrupt.`, source);
  }
  if (lit.kind !== 'dict') fail(`the .npy header ${shown} is not a dict.`, source);
  const keys = [...lit.entries.keys()];
  const expected = ['descr', 'fortran_order', 'shape'];
  if (keys.length !== 3 || !expected.every((k) => lit.entries.has(k))) {
    fail(`the .npy header has the keys (${keys.map((k) => JSON.stringify(k)).join(', ')}); NumPy writes exactly 'descr', 'fortran_order' and 'shape'.`, source);
  }
  const descr = lit.entries.get('descr')!;
  const fortran = lit.entries.get('fortran_order')!;
  const shape = lit.entries.get('shape')!;
  if (descr.kind === 'list') {
    throw new DtypeError(`${source ? source + ': ' : ''}this .npy file holds a structured (record) array, descr ${shown}; diffeo reads plain numeric arrays (save one field, arr['name'], on its own).`);
  }
  if (descr.kind !== 'str') fail(`'descr' in the .npy header is not a string.`, source);
  if (fortran.kind !== 'bool') fail(`'fortran_order' in the .npy header is not True or False.`, source);
  if (shape.kind !== 'tuple') fail(`'shape' in the .npy header is not a tuple.`, source);
  const dims = shape.items.map((d) => {
    if (d.kind !== 'int' || !Number.isSafeInteger(d.value) || d.value < 0) fail(`the .npy shape has an entry that is not a non-negative integer.`, source);
    return d.value;
  });
  return { descr: descr.value, fortran: fortran.value, shape: dims };
}

/**
 * Parses the bytes of a `.npy` file.
 * @param bytes - the whole file.
 * @param source - a name (usually the path) used in error messages.
 * @param options - `copy: false` returns the data as a view of `bytes` (no second copy
 *   of a large array in memory) when the file's bytes can be used as they are (native
 *   byte order, C order, aligned, not `b1`); the array then shares `bytes`' memory.
 *   Default: a copy.
 * @throws MalformedFileError when the file is truncated or not `.npy`; DtypeError for an unsupported dtype.
 */
export function parseNpy(bytes: Uint8Array, source?: string, options: { copy?: boolean } = {}): NpyArray {
  if (bytes.length < 10) fail(`too short to be a .npy file (${bytes.length} bytes).`, source);
  for (let i = 0; i < MAGIC.length; i++) if (bytes[i] !== MAGIC[i]) fail('not a .npy file (missing the \\x93NUMPY magic string).', source);
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLen: number;
  let offset: number;
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    offset = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) fail('truncated .npy preamble.', source);
    headerLen = view.getUint32(8, true);
    offset = 12;
  } else {
    fail(`unsupported .npy format version ${major}.${bytes[7]} (supported: 1.0, 2.0, 3.0).`, source);
  }
  if (offset + headerLen > bytes.length) fail('truncated .npy header.', source);
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(offset, offset + headerLen));
  const { descr, fortran, shape } = parseHeader(header, source);
  const order = descr[0];
  const code = (order === '<' || order === '>' || order === '|' || order === '=' ? descr.slice(1) : descr) as NpyDtype;
  const info = Object.hasOwn(DTYPES, code) ? DTYPES[code] : undefined;
  if (!info) {
    throw new DtypeError(`${source ? source + ': ' : ''}unsupported .npy dtype '${descr}'; diffeo reads f4, f8, i1, i2, i4, u1, u2, u4 and b1 (convert with arr.astype(...) in NumPy).`);
  }
  const le = order !== '>';
  const n = shape.reduce((a, b) => a * b, 1);
  const dataStart = offset + headerLen;
  const need = n * info.size;
  if (bytes.length - dataStart < need) fail(`truncated .npy data: the header announces ${need} bytes for shape (${shape.join(', ')}) but only ${bytes.length - dataStart} follow.`, source);
  const out = info.make(n);
  const little = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  if (le === little && code !== 'b1' && (bytes.byteOffset + dataStart) % info.size === 0) {
    const raw = new (out.constructor as { new (b: ArrayBuffer, o: number, n: number): NpyData })(bytes.buffer as ArrayBuffer, bytes.byteOffset + dataStart, n);
    if (options.copy === false && !(fortran && shape.length > 1)) return { dtype: code, shape, data: raw };
    out.set(raw);
  } else {
    for (let i = 0; i < n; i++) out[i] = info.get(view, dataStart + i * info.size, le);
  }
  if (fortran && shape.length > 1) return { dtype: code, shape, data: reorder(out, shape, info, true) };
  return { dtype: code, shape, data: out };
}

/**
 * Converts between Fortran (axis 0 fastest) and C (last axis fastest) layouts:
 * `toC` reads Fortran-ordered `src` and returns C order, otherwise the reverse.
 */
function reorder(src: NpyData, shape: readonly number[], info: DtypeInfo, toC: boolean): NpyData {
  const n = src.length;
  const out = info.make(n);
  const d = shape.length;
  const idx = new Array<number>(d).fill(0);
  const fstride = new Array<number>(d);
  fstride[0] = 1;
  for (let k = 1; k < d; k++) fstride[k] = fstride[k - 1] * shape[k - 1];
  for (let c = 0; c < n; c++) {
    let f = 0;
    for (let k = 0; k < d; k++) f += idx[k] * fstride[k];
    if (toC) out[c] = src[f];
    else out[f] = src[c];
    for (let k = d - 1; k >= 0; k--) {
      if (++idx[k] < shape[k]) break;
      idx[k] = 0;
    }
  }
  return out;
}

function dtypeOf(data: NpyData): NpyDtype {
  if (data instanceof Float32Array) return 'f4';
  if (data instanceof Float64Array) return 'f8';
  if (data instanceof Int8Array) return 'i1';
  if (data instanceof Int16Array) return 'i2';
  if (data instanceof Int32Array) return 'i4';
  if (data instanceof Uint8Array) return 'u1';
  if (data instanceof Uint16Array) return 'u2';
  if (data instanceof Uint32Array) return 'u4';
  throw new DtypeError('unsupported typed array for .npy writing; use Float32Array, Float64Array, Int8/16/32Array or Uint8/16/32Array.');
}

/** Options of {@link serializeNpy}. */
export interface SerializeNpyOptions {
  /** dtype to write; defaults to the typed array's own (`b1` writes a boolean array from 0/1 values). */
  dtype?: NpyDtype;
  /** Byte order; default little endian. */
  bigEndian?: boolean;
  /** Write the data in Fortran order (the input is always C order); default false. */
  fortranOrder?: boolean;
}

/** The `.npy` preamble and header (version 1.0, or 2.0 when the header needs it), padded to 64 bytes. */
function npyHeader(code: NpyDtype, size: number, shape: readonly number[], options: SerializeNpyOptions): Uint8Array {
  const le = !options.bigEndian;
  const orderMark = size === 1 ? '|' : le ? '<' : '>';
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${orderMark}${code}', 'fortran_order': ${options.fortranOrder ? 'True' : 'False'}, 'shape': ${shapeText}, }`;
  let version = 1;
  let pre = 10;
  let total = pre + header.length + 1;
  if (Math.ceil(total / 64) * 64 - pre > 65535) {
    version = 2;
    pre = 12;
    total = pre + header.length + 1;
  }
  const padded = Math.ceil(total / 64) * 64;
  header = header + ' '.repeat(padded - total) + '\n';
  const out = new Uint8Array(pre + header.length);
  out.set(MAGIC, 0);
  out[6] = version;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (version === 1) view.setUint16(8, header.length, true);
  else view.setUint32(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[pre + i] = header.charCodeAt(i);
  return out;
}

function checkedDtype(data: NpyData, shape: readonly number[], options: SerializeNpyOptions): { code: NpyDtype; n: number } {
  const n = shape.reduce((a, b) => a * b, 1);
  if (n !== data.length) throw new DtypeError(`data has ${data.length} values but shape (${shape.join(', ')}) needs ${n}.`);
  const code = options.dtype ?? dtypeOf(data);
  if (typeof code !== 'string' || !Object.hasOwn(DTYPES, code)) throw new DtypeError(`unsupported .npy dtype '${code}'.`);
  return { code, n };
}

/**
 * Serialises a C-ordered array to `.npy` bytes (version 1.0, or 2.0 when the header needs it).
 * @param data - values in C order, `prod(shape)` of them.
 * @param shape - array shape.
 */
export function serializeNpy(data: NpyData, shape: readonly number[], options: SerializeNpyOptions = {}): Uint8Array {
  checkOptionKeys(options, ['dtype', 'bigEndian', 'fortranOrder'], 'serializeNpy options');
  const { code, n } = checkedDtype(data, shape, options);
  const info = DTYPES[code];
  const head = npyHeader(code, info.size, shape, options);
  const out = new Uint8Array(head.length + n * info.size);
  out.set(head, 0);
  const view = new DataView(out.buffer);
  const le = !options.bigEndian;
  let src: NpyData = data;
  if (options.fortranOrder && shape.length > 1) src = reorder(data, shape, info, false);
  for (let i = 0; i < n; i++) info.set(view, head.length + i * info.size, src[i], le);
  return out;
}

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * The `.npy` bytes of `data` as two parts, header and body, whose concatenation is
 * {@link serializeNpy}'s output: the body is a view of `data`'s own bytes (no copy)
 * when they are exactly the bytes to write (a typed array of the written dtype, a
 * little-endian file on a little-endian machine, C order), otherwise a new buffer.
 * For writing large arrays without a second copy in memory:
 * `fs.writeSync(fd, header); fs.writeSync(fd, body)`.
 */
export function serializeNpyParts(data: NpyData, shape: readonly number[], options: SerializeNpyOptions = {}): [Uint8Array, Uint8Array] {
  const { code, n } = checkedDtype(data, shape, options);
  const info = DTYPES[code];
  const raw = ArrayBuffer.isView(data) && code === dtypeOf(data) && code !== 'b1' && LITTLE_ENDIAN_HOST
    && !options.bigEndian && !(options.fortranOrder && shape.length > 1);
  if (raw) {
    const v = data as ArrayBufferView;
    return [npyHeader(code, info.size, shape, options), new Uint8Array(v.buffer, v.byteOffset, v.byteLength)];
  }
  const all = serializeNpy(data, shape, options);
  const headLength = all.length - n * info.size;
  return [all.subarray(0, headLength), all.subarray(headLength)];
}
