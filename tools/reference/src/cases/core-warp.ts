/**
 * Reference handlers for the warping, resampling and gradient kernels of
 * `@diffeo/core`: cases whose `dipy_function` is one of DIPY's `warp_2d/3d[_nn]`,
 * `transform_2d/3d_affine[_nn]`, `resample_displacement_field_*` /
 * `downsample_*_field_*`, and `vector_fields.gradient` (+ `numpy.gradient`).
 *
 * Every quantity (shapes, factors, spacings, affines, inputs) is read from the
 * manifest case; output keys name what was computed (see each handler). Kernels
 * are taken from `ctx.kernels` so any backend can be checked.
 */
import { invertAffine, type Affine, type NumericArray, type Shape2D, type Shape3D } from '@diffeo/core';
import type { NpyArray } from '@diffeo/io';
import type { CaseContext, CaseHandler, Comparison } from '../types.js';

type Shape = Shape2D | Shape3D;

function asShape(v: unknown, what: string): Shape {
  if (!Array.isArray(v) || (v.length !== 2 && v.length !== 3) || !v.every((x) => Number.isInteger(x))) {
    throw new Error(`${what} must be a list of 2 or 3 integers, got ${JSON.stringify(v)}`);
  }
  return v as unknown as Shape;
}

function asNumbers(v: unknown, what: string): number[] {
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'number')) throw new Error(`${what} must be a list of numbers`);
  return v as number[];
}

function float32(a: NpyArray, what: string): Float32Array {
  if (!(a.data instanceof Float32Array)) throw new Error(`${what} must be float32 (got ${a.dtype})`);
  return a.data;
}

function affineOf(a: NpyArray): Float64Array {
  return Float64Array.from(a.data);
}

function prod(s: readonly number[]): number {
  return s.reduce((a, b) => a * b, 1);
}

/** First input key present among `names`. */
function pickInput(ctx: CaseContext, names: string[]): string {
  for (const n of names) if (ctx.case.inputs[n]) return n;
  throw new Error(`case ${ctx.case.name} has none of the inputs ${names.join(', ')}`);
}

function runWarp(ctx: CaseContext, out: Float32Array | NumericArray, nearest: boolean, outShape: Shape, image: NpyArray,
  field: Float32Array | null, fieldShape: Shape, A: Affine, B: Affine, C: Affine): void {
  const img = image.data as NumericArray;
  const imgShape = image.shape as unknown as Shape;
  const kernels = ctx.kernels.kernelsFor(outShape.length);
  if (nearest) kernels.warpNearest(out, outShape, img, imgShape, field, fieldShape, A, B, C);
  else kernels.warp(out as Float32Array, outShape, float32(image, 'image'), imgShape, field, fieldShape, A, B, C);
}

function newLike(image: NpyArray, n: number): NumericArray {
  const Ctor = (image.data as NumericArray).constructor as new (n: number) => NumericArray;
  return new Ctor(n);
}

/**
 * `warp_2d/3d` and `warp_2d/3d_nn`. Outputs are named `<linear|nearest>_<field>[_noaffine]`
 * where `d_<field>` is the displacement input; with `_noaffine` the matrices are None and the
 * output grid is the field's grid, otherwise A, B, C are the inputs of those names and the output
 * grid is `params.out_shape`.
 */
const warpHandler: CaseHandler = {
  dipyFunctions: ['dipy.align.vector_fields.warp_2d / warp_2d_nn', 'dipy.align.vector_fields.warp_3d / warp_3d_nn'],
  run(ctx) {
    const rows: Comparison[] = [];
    const image = ctx.input(pickInput(ctx, ['image', 'volume']));
    const A = affineOf(ctx.input('A')), B = affineOf(ctx.input('B')), C = affineOf(ctx.input('C'));
    const outShape = asShape(ctx.case.params.out_shape, 'params.out_shape');
    for (const key of Object.keys(ctx.case.outputs)) {
      const m = /^(linear|nearest)_(.+?)(_noaffine)?$/.exec(key);
      if (!m) throw new Error(`unexpected output '${key}'`);
      const nearest = m[1] === 'nearest';
      const noAffine = m[3] !== undefined;
      const fieldArr = ctx.input(`d_${m[2]}`);
      const fieldShape = fieldArr.shape.slice(0, -1) as unknown as Shape;
      const shape = noAffine ? fieldShape : outShape;
      const out = nearest ? newLike(image, prod(shape)) : new Float32Array(prod(shape));
      runWarp(ctx, out, nearest, shape, image, float32(fieldArr, `d_${m[2]}`), fieldShape,
        noAffine ? null : A, noAffine ? null : B, noAffine ? null : C);
      rows.push(ctx.compare(key, out));
    }
    return rows;
  },
};

/** `transform_2d/3d_affine[_nn]`: outputs `linear` and `nearest`, sampling the image at `M·[i;1]` on `params.ref_shape`. */
const affineHandler: CaseHandler = {
  dipyFunctions: [
    'dipy.align.vector_fields.transform_2d_affine / transform_2d_affine_nn',
    'dipy.align.vector_fields.transform_3d_affine / transform_3d_affine_nn',
  ],
  run(ctx) {
    const rows: Comparison[] = [];
    const image = ctx.input(pickInput(ctx, ['image', 'volume']));
    const M = affineOf(ctx.input('M'));
    const shape = asShape(ctx.case.params.ref_shape, 'params.ref_shape');
    for (const key of Object.keys(ctx.case.outputs)) {
      if (key !== 'linear' && key !== 'nearest') throw new Error(`unexpected output '${key}'`);
      const nearest = key === 'nearest';
      const out = nearest ? newLike(image, prod(shape)) : new Float32Array(prod(shape));
      // Affine-only transform: no field, B = M.
      runWarp(ctx, out, nearest, shape, image, null, shape, null, M, null);
      rows.push(ctx.compare(key, out));
    }
    return rows;
  },
};

/**
 * Field resampling and downsampling. Outputs named like a `params` entry are resampled
 * (`params[key].factors`, `params[key].out_shape`) from the `field2d`/`field3d` input of the
 * same dimension; outputs `down_<input>` are the factor-2 downsampling of input `<input>`
 * (a vector field when its name contains "vector": last axis = components).
 */
const resampleHandler: CaseHandler = {
  dipyFunctions: ['dipy.align.vector_fields.resample_displacement_field_2d/3d, downsample_scalar_field_2d/3d, downsample_displacement_field_2d/3d'],
  run(ctx) {
    const rows: Comparison[] = [];
    for (const key of Object.keys(ctx.case.outputs)) {
      const p = ctx.case.params[key] as { factors?: unknown; out_shape?: unknown } | undefined;
      if (p && p.factors !== undefined) {
        const factors = asNumbers(p.factors, `params.${key}.factors`);
        const outShape = asShape(p.out_shape, `params.${key}.out_shape`);
        const d = outShape.length;
        const field = ctx.input(`field${d}d`);
        const fShape = field.shape.slice(0, -1) as unknown as Shape;
        const out = new Float32Array(prod(outShape) * d);
        ctx.kernels.kernelsFor(d).resampleField(out, outShape, float32(field, 'field'), fShape, factors);
        rows.push(ctx.compare(key, out));
        continue;
      }
      const m = /^down_(.+)$/.exec(key);
      if (!m) throw new Error(`unexpected output '${key}'`);
      const input = ctx.input(m[1]);
      const isVector = m[1].includes('vector');
      const shape = (isVector ? input.shape.slice(0, -1) : input.shape) as unknown as Shape;
      const ncomp = isVector ? input.shape[input.shape.length - 1] : 1;
      const outShape = shape.map((n) => (n + 1) >> 1);
      const out = new Float32Array(prod(outShape) * ncomp);
      ctx.kernels.kernelsFor(shape.length).downsample(out, float32(input, m[1]), shape, ncomp);
      rows.push(ctx.compare(key, out));
    }
    return rows;
  },
};

/**
 * `vector_fields.gradient` and `numpy.gradient`:
 * - `vf_gradient_2d[_inside]`: image, W = inv(`img_grid2world`), spacing `params.img_spacing`,
 *   grid `params.out_shape` with `out_grid2world`;
 * - `vf_gradient_2d_identity[_inside]`: identity affines on the image's own grid (unit spacing,
 *   the column norms of the identity);
 * - `vf_gradient_3d[_inside]`: volume, W = inv(`vol_grid2world`), spacing `params.vol_spacing`,
 *   grid `params.out_shape_3d` with `vol_grid2world`;
 * - `numpy_gradient_2d/3d`: `np.stack(np.gradient(x), -1)` of the image / volume.
 */
const gradientHandler: CaseHandler = {
  dipyFunctions: ['dipy.align.vector_fields.gradient (+ numpy.gradient as used by the SSD/CC metrics)'],
  run(ctx) {
    const rows: Comparison[] = [];
    const params = ctx.case.params;
    const outputs = ctx.case.outputs;
    const has = (k: string): boolean => outputs[k] !== undefined;
    const image = ctx.input('image');
    const imgShape = image.shape as unknown as Shape2D;
    const img = float32(image, 'image');

    const sampler2d = (outShape: Shape2D, W: Affine, spacing: number[], S: Affine, key: string): void => {
      const out = new Float32Array(prod(outShape) * 2);
      const inside = new Int32Array(prod(outShape));
      ctx.kernels.kernel('gradientSampler2d')(out, inside, outShape, img, imgShape, W, spacing, S);
      rows.push(ctx.compare(key, out));
      if (has(`${key}_inside`)) rows.push(ctx.compare(`${key}_inside`, inside));
    };

    if (has('vf_gradient_2d')) {
      const W = invertAffine(affineOf(ctx.input('img_grid2world')), 'img_grid2world');
      const S = affineOf(ctx.input('out_grid2world'));
      sampler2d(asShape(params.out_shape, 'params.out_shape') as Shape2D, W, asNumbers(params.img_spacing, 'params.img_spacing'), S, 'vf_gradient_2d');
    }
    if (has('vf_gradient_2d_identity')) {
      const I = new Float64Array([1, 0, 0, 0, 1, 0, 0, 0, 1]);
      sampler2d(imgShape, I, [1, 1], I, 'vf_gradient_2d_identity');
    }
    if (has('numpy_gradient_2d')) {
      const out = new Float32Array(prod(imgShape) * 2);
      ctx.kernels.kernel('numpyGradient')(out, img, imgShape);
      rows.push(ctx.compare('numpy_gradient_2d', out));
    }
    if (has('vf_gradient_3d') || has('numpy_gradient_3d')) {
      const volume = ctx.input('volume');
      const volShape = volume.shape as unknown as Shape3D;
      const vol = float32(volume, 'volume');
      if (has('vf_gradient_3d')) {
        const G = affineOf(ctx.input('vol_grid2world'));
        const W = invertAffine(G, 'vol_grid2world');
        const outShape = asShape(params.out_shape_3d, 'params.out_shape_3d') as Shape3D;
        const out = new Float32Array(prod(outShape) * 3);
        const inside = new Int32Array(prod(outShape));
        ctx.kernels.kernel('gradientSampler3d')(out, inside, outShape, vol, volShape, W, asNumbers(params.vol_spacing, 'params.vol_spacing'), G);
        rows.push(ctx.compare('vf_gradient_3d', out));
        if (has('vf_gradient_3d_inside')) rows.push(ctx.compare('vf_gradient_3d_inside', inside));
      }
      if (has('numpy_gradient_3d')) {
        const out = new Float32Array(prod(volShape) * 3);
        ctx.kernels.kernel('numpyGradient')(out, vol, volShape);
        rows.push(ctx.compare('numpy_gradient_3d', out));
      }
    }
    return rows;
  },
};

/** Handlers of this file. */
export const handlers: CaseHandler[] = [warpHandler, affineHandler, resampleHandler, gradientHandler];
