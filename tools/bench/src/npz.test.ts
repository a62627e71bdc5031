import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { serializeNpy } from '@diffeo/io';
import { parseNpz } from './npz.js';

/** A zip archive of the given members (no CRCs: the reader does not check them). */
function zip(members: { name: string; data: Uint8Array; deflate: boolean }[]): Uint8Array {
  const chunks: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const m of members) {
    const name = new TextEncoder().encode(m.name);
    const body = m.deflate ? new Uint8Array(deflateRawSync(m.data)) : m.data;
    const local = new Uint8Array(30 + name.length);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, 0x04034b50, true);
    lv.setUint16(8, m.deflate ? 8 : 0, true);
    lv.setUint32(18, body.length, true);
    lv.setUint32(22, m.data.length, true);
    lv.setUint16(26, name.length, true);
    local.set(name, 30);
    const cen = new Uint8Array(46 + name.length);
    const cv = new DataView(cen.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(10, m.deflate ? 8 : 0, true);
    cv.setUint32(20, body.length, true);
    cv.setUint32(24, m.data.length, true);
    cv.setUint16(28, name.length, true);
    cv.setUint32(42, offset, true);
    cen.set(name, 46);
    chunks.push(local, body);
    central.push(cen);
    offset += local.length + body.length;
  }
  const cenSize = central.reduce((a, c) => a + c.length, 0);
  const end = new Uint8Array(22);
  const ev = new DataView(end.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, members.length, true);
  ev.setUint16(10, members.length, true);
  ev.setUint32(12, cenSize, true);
  ev.setUint32(16, offset, true);
  const all = [...chunks, ...central, end];
  const out = new Uint8Array(all.reduce((a, c) => a + c.length, 0));
  let p = 0;
  for (const c of all) {
    out.set(c, p);
    p += c.length;
  }
  return out;
}

/** A little-endian int64 .npy written by hand (parseNpy does not read i8). */
function int64Npy(values: number[]): Uint8Array {
  const header = `{'descr': '<i8', 'fortran_order': False, 'shape': (${values.length},), }`.padEnd(117, ' ') + '\n';
  const out = new Uint8Array(10 + header.length + 8 * values.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0);
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  const v = new DataView(out.buffer, 10 + header.length);
  values.forEach((x, i) => v.setBigInt64(8 * i, BigInt(x), true));
  return out;
}

describe('parseNpz', () => {
  it('reads stored and deflated members, including int64 ones', () => {
    const archive = zip([
      { name: 'labels.npy', data: int64Npy([2, 3, 41, -7]), deflate: true },
      { name: 'img.npy', data: serializeNpy(Float32Array.from([1.5, 2.5]), [2]), deflate: false },
    ]);
    const out = parseNpz(archive);
    expect(Array.from(out.labels.data)).toEqual([2, 3, 41, -7]);
    expect(out.labels.shape).toEqual([4]);
    expect(Array.from(out.img.data)).toEqual([1.5, 2.5]);
  });
  it('rejects bytes that are not a zip archive', () => {
    expect(() => parseNpz(new Uint8Array(100))).toThrow(/not a zip archive/);
  });
});
