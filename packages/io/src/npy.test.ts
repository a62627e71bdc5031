import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseNpy, serializeNpy, serializeNpyParts } from './npy.js';
import { MalformedFileError, DtypeError } from '@diffeo/core';

const fixture = (p: string) => fileURLToPath(new URL(`../../../fixtures/reference/${p}`, import.meta.url));

describe('npy', () => {
  it('reads a DIPY fixture (float64 3x3 affine)', () => {
    const a = parseNpy(readFileSync(fixture('unit_warp_2d/A.npy')), 'A.npy');
    expect(a.dtype).toBe('f8');
    expect(a.shape).toEqual([3, 3]);
    expect(a.data[8]).toBe(1);
  });

  it('round-trips every dtype, both byte orders and both memory orders', () => {
    const shape = [2, 3, 4];
    const codes = ['f4', 'f8', 'i1', 'i2', 'i4', 'u1', 'u2', 'u4', 'b1'] as const;
    for (const dtype of codes) {
      for (const bigEndian of [false, true]) {
        for (const fortranOrder of [false, true]) {
          const src = Float64Array.from({ length: 24 }, (_, i) => (dtype === 'b1' ? i % 2 : i + 1));
          const typed =
            dtype === 'f4' ? Float32Array.from(src) : dtype === 'f8' ? src : dtype === 'i1' ? Int8Array.from(src)
            : dtype === 'i2' ? Int16Array.from(src) : dtype === 'i4' ? Int32Array.from(src) : dtype === 'u2' ? Uint16Array.from(src)
            : dtype === 'u4' ? Uint32Array.from(src) : Uint8Array.from(src);
          const bytes = serializeNpy(typed, shape, { dtype, bigEndian, fortranOrder });
          expect(bytes.length % 1).toBe(0);
          const back = parseNpy(bytes);
          expect(back.dtype).toBe(dtype);
          expect(back.shape).toEqual(shape);
          expect(Array.from(back.data)).toEqual(Array.from(typed));
        }
      }
    }
  });

  it('reads a hand-made Fortran-ordered big-endian file in C order', () => {
    // NumPy: np.asfortranarray(np.arange(6, dtype='>i2').reshape(2, 3)) stores 0,3,1,4,2,5
    const header = "{'descr': '>i2', 'fortran_order': True, 'shape': (2, 3), }";
    const pad = 64 - ((10 + header.length + 1) % 64);
    const h = header + ' '.repeat(pad) + '\n';
    const bytes = new Uint8Array(10 + h.length + 12);
    bytes.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0);
    new DataView(bytes.buffer).setUint16(8, h.length, true);
    for (let i = 0; i < h.length; i++) bytes[10 + i] = h.charCodeAt(i);
    const vals = [0, 3, 1, 4, 2, 5];
    vals.forEach((v, i) => new DataView(bytes.buffer).setInt16(10 + h.length + 2 * i, v, false));
    const arr = parseNpy(bytes);
    expect(Array.from(arr.data)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('rejects malformed input with typed errors', () => {
    expect(() => parseNpy(new Uint8Array([1, 2, 3]))).toThrow(MalformedFileError);
    expect(() => parseNpy(new TextEncoder().encode('not a numpy file at all'))).toThrow(MalformedFileError);
    const good = serializeNpy(new Float32Array(10), [10]);
    expect(() => parseNpy(good.subarray(0, good.length - 4), 'x.npy')).toThrow(/truncated/);
    const complex = good.slice();
    const at = new TextDecoder('latin1').decode(complex).indexOf('<f4');
    complex[at + 1] = 'c'.charCodeAt(0);
    complex[at + 2] = '8'.charCodeAt(0);
    expect(() => parseNpy(complex)).toThrow(DtypeError);
  });
});

describe('serializeNpyParts', () => {
  const concat = (a: Uint8Array, b: Uint8Array) => {
    const out = new Uint8Array(a.length + b.length);
    out.set(a, 0);
    out.set(b, a.length);
    return out;
  };
  it('gives serializeNpy\'s bytes, with the body a view of the array when no conversion is needed', () => {
    const f = Float32Array.from({ length: 24 }, (_, i) => i * 0.5 - 3);
    const [head, body] = serializeNpyParts(f, [2, 3, 4]);
    expect(Array.from(concat(head, body))).toEqual(Array.from(serializeNpy(f, [2, 3, 4])));
    expect(body.buffer).toBe(f.buffer);
    expect(head.length % 64).toBe(0);
    // and it reads back
    const back = parseNpy(concat(head, body));
    expect(back.shape).toEqual([2, 3, 4]);
    expect(Array.from(back.data)).toEqual(Array.from(f));
  });
  it.each([
    { name: 'big endian', opts: { bigEndian: true } },
    { name: 'Fortran order', opts: { fortranOrder: true } },
    { name: 'another dtype', opts: { dtype: 'f8' as const } },
  ])('converts when the bytes differ ($name)', ({ opts }) => {
    const a = Int32Array.from({ length: 6 }, (_, i) => i - 2);
    const [head, body] = serializeNpyParts(a, [2, 3], opts);
    expect(Array.from(concat(head, body))).toEqual(Array.from(serializeNpy(a, [2, 3], opts)));
    expect(body.buffer).not.toBe(a.buffer);
  });
  it('rejects a shape that does not match', () => {
    expect(() => serializeNpyParts(new Float32Array(5), [2, 3])).toThrow(/needs 6/);
  });
});

describe('parseNpy without a copy', () => {
  it('returns a view of the file bytes when they can be used as they are, else a copy', () => {
    const f = Float32Array.from({ length: 12 }, (_, i) => i / 3);
    const bytes = serializeNpy(f, [3, 4]);
    const view = parseNpy(bytes, 'x.npy', { copy: false });
    expect(view.data.buffer).toBe(bytes.buffer);
    expect(Array.from(view.data)).toEqual(Array.from(f));
    const copied = parseNpy(bytes, 'x.npy');
    expect(copied.data.buffer).not.toBe(bytes.buffer);
    expect(Array.from(copied.data)).toEqual(Array.from(f));
    // big-endian data must be converted: a copy even when asked not to
    const be = serializeNpy(f, [3, 4], { bigEndian: true });
    const conv = parseNpy(be, 'be.npy', { copy: false });
    expect(conv.data.buffer).not.toBe(be.buffer);
    expect(Array.from(conv.data)).toEqual(Array.from(f));
  });
});
