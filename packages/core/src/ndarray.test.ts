import { describe, expect, it } from 'vitest';
import ndarray from 'ndarray';
import {
  DimensionError, DtypeError, NonFiniteError, ShapeMismatchError, EmptyImageError,
  scatterInto, toContiguous, toField, toFloat32Image, toImage, toOutputField, toPoints, wrapField,
} from '@diffeo/core';

function iota(n: number, Ctor: Float32ArrayConstructor | Float64ArrayConstructor = Float32Array): Float32Array | Float64Array {
  const a = new Ctor(n);
  for (let i = 0; i < n; i++) a[i] = i;
  return a;
}

describe('toContiguous', () => {
  it('returns a contiguous C-order input without copying', () => {
    const data = iota(12);
    const r = toContiguous(ndarray(data, [3, 4]));
    expect(r.data).toBe(data);
    expect(r.copied).toBe(false);
    expect(r.shape).toEqual([3, 4]);
  });

  it('turns an offset view into a subarray over the same memory', () => {
    const data = iota(20);
    const view = ndarray(data, [4, 5]).hi(4, 5).lo(1, 0); // rows 1..3
    const r = toContiguous(view);
    expect(r.copied).toBe(false);
    expect(r.data.buffer).toBe(data.buffer);
    expect(Array.from(r.data)).toEqual(Array.from(data.subarray(5, 20)));
  });

  it('gathers transposed, stepped and flipped views in C order', () => {
    const data = iota(24);
    const base = ndarray(data, [2, 3, 4]);
    for (const view of [base.transpose(2, 0, 1), base.step(1, -1, 2), base.lo(0, 1, 1).hi(2, 2, 2), base.pick(1, null, null).transpose(1, 0)]) {
      const r = toContiguous(view);
      expect(r.shape).toEqual(view.shape);
      let o = 0;
      if (view.shape.length === 3) {
        for (let i = 0; i < view.shape[0]; i++) for (let j = 0; j < view.shape[1]; j++) for (let k = 0; k < view.shape[2]; k++) expect(r.data[o++]).toBe(view.get(i, j, k));
      } else {
        for (let i = 0; i < view.shape[0]; i++) for (let j = 0; j < view.shape[1]; j++) expect(r.data[o++]).toBe(view.get(i, j));
      }
      expect(r.data).toBeInstanceOf(Float32Array);
    }
  });

  it('accepts plain objects and number[] data (as float64)', () => {
    const r = toContiguous({ data: [1, 2, 3, 4, 5, 6], shape: [2, 3] });
    expect(r.data).toBeInstanceOf(Float64Array);
    expect(Array.from(r.data)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('reads Uint8ClampedArray as Uint8Array without copying', () => {
    const c = new Uint8ClampedArray([1, 2, 3, 4]);
    const r = toContiguous({ data: c, shape: [2, 2] });
    expect(r.data).toBeInstanceOf(Uint8Array);
    expect(r.data.buffer).toBe(c.buffer);
  });

  it('rejects bad data and shapes with typed errors', () => {
    expect(() => toContiguous({ data: new Float32Array(5), shape: [2, 3] })).toThrow(ShapeMismatchError);
    expect(() => toContiguous({ data: new BigInt64Array(4) as unknown as Float32Array, shape: [2, 2] })).toThrow(DtypeError);
    expect(() => toContiguous({ data: ['a', 'b'] as unknown as number[], shape: [2] })).toThrow(DtypeError);
    expect(() => toContiguous({ data: new Float32Array(0), shape: [0, 3] })).toThrow(EmptyImageError);
  });
});

describe('images', () => {
  it('requires 2 or 3 axes (and the requested dimension)', () => {
    expect(() => toImage({ data: new Float32Array(4), shape: [4] })).toThrow(DimensionError);
    expect(() => toImage({ data: new Float32Array(16), shape: [2, 2, 2, 2] })).toThrow(DimensionError);
    expect(() => toImage({ data: new Float32Array(8), shape: [2, 2, 2] }, 'img', 2)).toThrow(DimensionError);
  });

  it('converts to float32 by rounding, keeps float32 as is', () => {
    const f64 = new Float64Array([0.1, 1 / 3, 2, 1e-50]);
    const r = toFloat32Image({ data: f64, shape: [2, 2] });
    expect(Array.from(r.data)).toEqual(Array.from(f64, (v) => Math.fround(v)));
    const f32 = new Float32Array(4);
    expect(toFloat32Image({ data: f32, shape: [2, 2] }).data).toBe(f32);
  });
});

describe('vector fields', () => {
  it('accepts [...grid, d] ndarrays and FieldData with the grid shape only', () => {
    const data = iota(3 * 4 * 2) as Float32Array;
    const a = toField(ndarray(data, [3, 4, 2]));
    expect(a.shape).toEqual([3, 4]);
    expect(a.dim).toBe(2);
    expect(a.data).toBe(data);
    const b = toField({ data, shape: [3, 4] });
    expect(b.shape).toEqual([3, 4]);
    expect(b.data).toBe(data);
    const c = toField({ data: iota(2 * 3 * 4 * 3) as Float32Array, shape: [2, 3, 4] });
    expect(c.dim).toBe(3);
  });

  it('rounds float64 fields to float32', () => {
    const f = toField({ data: new Float64Array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]), shape: [2, 2, 2] });
    expect(f.data).toBeInstanceOf(Float32Array);
    expect(f.data[0]).toBe(Math.fround(0.1));
  });

  it('gathers a transposed field view component-interleaved', () => {
    // components stored as planes [d, rows, cols], viewed as [rows, cols, d]
    const planes = new Float32Array(2 * 3 * 4);
    for (let k = 0; k < 2; k++) for (let i = 0; i < 3; i++) for (let j = 0; j < 4; j++) planes[k * 12 + i * 4 + j] = 100 * k + 10 * i + j;
    const view = ndarray(planes, [2, 3, 4]).transpose(1, 2, 0);
    const f = toField(view);
    expect(f.shape).toEqual([3, 4]);
    expect(f.data[(1 * 4 + 2) * 2 + 0]).toBe(12);
    expect(f.data[(1 * 4 + 2) * 2 + 1]).toBe(112);
  });

  it('reports a last axis that is not the dimension, NaN, wrong dtype and wrong dimension', () => {
    expect(() => toField(ndarray(new Float32Array(4 * 4 * 3), [4, 4, 3]))).toThrow(ShapeMismatchError);
    expect(() => toField(ndarray(new Float32Array(4 * 4 * 4 * 2), [4, 4, 4, 2]))).toThrow(ShapeMismatchError);
    const nan = new Float32Array(4 * 4 * 2);
    nan[17] = NaN;
    expect(() => toField(ndarray(nan, [4, 4, 2]))).toThrow(NonFiniteError);
    const inf = new Float32Array(4 * 4 * 2);
    inf[3] = -Infinity;
    expect(() => toField(ndarray(inf, [4, 4, 2]))).toThrow(NonFiniteError);
    expect(() => toField(ndarray(new Int32Array(4 * 4 * 2), [4, 4, 2]) as never)).toThrow(DtypeError);
    expect(() => toField(ndarray(new Float32Array(8), [8, 1]))).toThrow(DimensionError);
    expect(() => toField(ndarray(new Float32Array(4 * 4 * 2), [4, 4, 2]), 'f', 3)).toThrow(DimensionError);
    expect(() => toField(ndarray(new Float32Array(4 * 4 * 2), [4, 4, 2]), 'f', 2, [4, 5])).toThrow(ShapeMismatchError);
  });

  it('wraps fields as [...grid, d] views and writes through strided views', () => {
    const data = new Float32Array(2 * 3 * 2);
    const v = wrapField(data, [2, 3]);
    expect(v.shape).toEqual([2, 3, 2]);
    v.set(1, 2, 1, 7);
    expect(data[(1 * 3 + 2) * 2 + 1]).toBe(7);

    const target = ndarray(new Float64Array(6), [2, 3]).transpose(1, 0); // shape [3, 2]
    scatterInto(target, [1, 2, 3, 4, 5, 6]);
    expect(target.get(0, 0)).toBe(1);
    expect(target.get(0, 1)).toBe(2);
    expect(target.get(2, 1)).toBe(6);
  });

  it('checks output buffers', () => {
    expect(() => toOutputField(ndarray(new Float64Array(8), [2, 2, 2]) as never, [2, 2], 2)).toThrow(DtypeError);
    expect(() => toOutputField(ndarray(new Float32Array(8), [2, 2, 2]), [2, 3], 2)).toThrow(ShapeMismatchError);
    const buf = new Float32Array(8);
    expect(toOutputField(ndarray(buf, [2, 2, 2]), [2, 2], 2)).toBe(buf);
  });
});

describe('points', () => {
  it('accepts nested rows and [N, d] arrays', () => {
    expect(Array.from(toPoints([[1, 2], [3, 4]], 2).data)).toEqual([1, 2, 3, 4]);
    expect(toPoints(ndarray(new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3]), 3).count).toBe(2);
    expect(() => toPoints([[1, 2, 3]], 2)).toThrow(ShapeMismatchError);
    expect(() => toPoints({ data: new Float64Array(6), shape: [3, 2] }, 3)).toThrow(ShapeMismatchError);
    expect(() => toPoints([[1, NaN]], 2)).toThrow(NonFiniteError);
  });
});

describe('strided views are checked against their data (issue 11 item 7)', () => {
  it('refuses views whose strides or offset run past the data, with a typed error naming the range', () => {
    const data = new Int16Array(12);
    // 4 rows of stride 4 need indices up to 15 in a 12-element buffer.
    expect(() => toContiguous(ndarray(data, [4, 3], [4, 1], 0), 'static image')).toThrow(ShapeMismatchError);
    expect(() => toContiguous(ndarray(data, [4, 3], [4, 1], 0), 'static image')).toThrow(/static image.*elements 0 to 14.*has 12/);
    // A negative stride reaching below 0.
    expect(() => toContiguous(ndarray(new Float32Array(6), [3, 2], [-2, 1], 2))).toThrow(ShapeMismatchError);
    // A non-integer stride.
    expect(() => toContiguous(ndarray(new Float32Array(6), [3, 2], [2.5, 1], 0))).toThrow(/stride 0 must be an integer/);
    // The same checks for the in-place output and for scatterInto.
    expect(() => toOutputField(ndarray(new Float32Array(16), [3, 3, 2], [6, 2, 1], 0), [3, 3], 2)).toThrow(ShapeMismatchError);
    expect(() => scatterInto(ndarray(new Float32Array(4), [2, 2], [3, 1], 0), [1, 2, 3, 4])).toThrow(ShapeMismatchError);
  });

  it('accepts views that stay inside, including flipped ones reaching index 0 exactly', () => {
    const data = iota(6);
    const flipped = toContiguous(ndarray(data, [3, 2], [-2, 1], 4));
    expect(Array.from(flipped.data)).toEqual([4, 5, 2, 3, 0, 1]);
  });
});
