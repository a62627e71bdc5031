/**
 * Minimal reader of NumPy `.npz` archives (zip files of `.npy` members, stored or
 * deflated), enough to read small label lists such as voxelmorph's `labels.npz`.
 * Members go through `parseNpy` of @diffeo/io, except 64-bit integer members
 * (which it does not read): those come back as float64 values (exact up to 2^53).
 * Zip64 archives and CRC checks are not supported.
 */
import { inflateRawSync } from 'node:zlib';
import { parseNpy, type NpyArray } from '@diffeo/io';

/**
 * Parses an `.npz` archive into its arrays, keyed by member name without `.npy`.
 * @throws Error when the bytes are not a zip archive or use an unsupported compression.
 */
export function parseNpz(bytes: Uint8Array, source = 'npz'): Record<string, NpyArray> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let eocd = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 65535); i--) {
    if (view.getUint32(i, true) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error(`${source}: not a zip archive (no end-of-central-directory record).`);
  const count = view.getUint16(eocd + 10, true);
  let p = view.getUint32(eocd + 16, true);
  const out: Record<string, NpyArray> = {};
  for (let e = 0; e < count; e++) {
    if (view.getUint32(p, true) !== 0x02014b50) throw new Error(`${source}: corrupt central directory.`);
    const method = view.getUint16(p + 10, true);
    const compSize = view.getUint32(p + 20, true);
    const nameLen = view.getUint16(p + 28, true), extraLen = view.getUint16(p + 30, true), commentLen = view.getUint16(p + 32, true);
    const local = view.getUint32(p + 42, true);
    const name = new TextDecoder().decode(bytes.subarray(p + 46, p + 46 + nameLen));
    p += 46 + nameLen + extraLen + commentLen;
    const start = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
    const raw = bytes.subarray(start, start + compSize);
    let data: Uint8Array;
    if (method === 0) data = raw;
    else if (method === 8) data = new Uint8Array(inflateRawSync(raw));
    else throw new Error(`${source}: member ${name} uses zip compression method ${method}; only stored (0) and deflate (8) are supported.`);
    out[name.replace(/\.npy$/, '')] = parseMember(data, `${source}:${name}`);
  }
  return out;
}

/** Parses one member; 64-bit integers (which `parseNpy` does not read) become float64 values. */
function parseMember(data: Uint8Array, source: string): NpyArray {
  const headerLen = data[6] === 1 ? data[8] | (data[9] << 8) : new DataView(data.buffer, data.byteOffset).getUint32(8, true);
  const pre = data[6] === 1 ? 10 : 12;
  const header = new TextDecoder().decode(data.subarray(pre, pre + headerLen));
  const descr = /'descr':\s*'([<>|=]?)([iu]8)'/.exec(header);
  if (!descr) return parseNpy(data, source);
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header);
  const fortran = /'fortran_order':\s*True/.test(header);
  const shape = (shapeText ? shapeText[1] : '').split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  const n = shape.reduce((a, b) => a * b, 1);
  if (fortran && shape.length > 1) throw new Error(`${source}: Fortran-ordered 64-bit integer arrays are not supported.`);
  const view = new DataView(data.buffer, data.byteOffset + pre + headerLen);
  const le = descr[1] !== '>';
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = Number(descr[2] === 'i8' ? view.getBigInt64(8 * i, le) : view.getBigUint64(8 * i, le));
  return { dtype: 'f8', shape, data: values };
}
