/**
 * Naive gradient oracles: numpy.gradient with unit spacing (edge_order 1,
 * float32 arithmetic; docs/algorithm.md §2.7) and the physical-space gradient
 * sampler of fixtures/reference/README.md note 6 (central differences of half a
 * spacing in the static grid's world frame, sampled through `W`, in mm⁻¹ units).
 */
import { affineApply, naiveLinear } from './interp.js';

const f32 = Math.fround;
/** Naive numpy.gradient (unit spacing, edge_order 1, float32 arithmetic) along `axis`, per docs/algorithm.md §2.7. */
export function naiveAxisGradient(img: Float32Array, shape: number[], axis: number): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  let stride = 1;
  for (let k = shape.length - 1; k > axis; k--) stride *= shape[k];
  for (let flat = 0; flat < n; flat++) {
    const idx = Math.floor(flat / stride) % shape[axis];
    const len = shape[axis];
    if (idx === 0) out[flat] = f32(img[flat + stride] - img[flat]);
    else if (idx === len - 1) out[flat] = f32(img[flat] - img[flat - stride]);
    else out[flat] = f32(f32(img[flat + stride] - img[flat - stride]) / 2);
  }
  return out;
}

/**
 * Naive `out += numpy.gradient(img)`: a copy of `base` (`n·d` interleaved values) with
 * {@link naiveAxisGradient} along axis `k` added to component `k` of each voxel, the sum
 * rounded to float32 (a length-1 axis adds 0).
 */
export function naiveGradientAdd(base: Float32Array, img: Float32Array, shape: number[]): Float32Array {
  const d = shape.length;
  const out = Float32Array.from(base);
  for (let axis = 0; axis < d; axis++) {
    // (numpy rejects a length-1 axis; the kernels give it a zero derivative)
    const g = shape[axis] === 1 ? new Float32Array(img.length) : naiveAxisGradient(img, shape, axis);
    for (let v = 0; v < g.length; v++) out[v * d + axis] = f32(base[v * d + axis] + g[v]);
  }
  return out;
}

/**
 * Naive physical-space gradient per the fixtures/reference/README.md, note 6, including DIPY's quirk: after a
 * failed sample the shifted coordinate is not restored for the remaining axes.
 */
export function naiveSampler(img: Float32Array, ishape: number[], W: Float64Array, spacing: number[], S: Float64Array,
  idx: number[], resetAfterFailure = false): [number[], number] {
  const d = idx.length;
  const x = affineApply(S, idx);
  const dx = x.slice();
  const g = new Array<number>(d).fill(0);
  let inside = 1;
  for (let p = 0; p < d; p++) {
    dx[p] = x[p] - spacing[p] / 2;
    const [lo, in1] = naiveLinear(img, ishape, affineApply(W, dx));
    if (!in1) { g[p] = 0; inside = 0; if (resetAfterFailure) dx[p] = x[p]; continue; }
    dx[p] = x[p] + spacing[p] / 2;
    const [hi, in2] = naiveLinear(img, ishape, affineApply(W, dx));
    if (!in2) { g[p] = 0; inside = 0; if (resetAfterFailure) dx[p] = x[p]; continue; }
    g[p] = f32((hi - lo) / spacing[p]);
    dx[p] = x[p];
  }
  return [g, inside];
}
