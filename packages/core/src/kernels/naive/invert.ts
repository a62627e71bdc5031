/**
 * Naive inversion oracles (docs/algorithm.md §2.2): the residual
 * `q = p + d∘(x + W·p)` on one shared grid (a literal corner loop, float32
 * rounding after every corner, 0 where not inside), and the fixed-point
 * iteration `p ← p − step·q` written one pass at a time. `spacing` in mm, the
 * returned error and max residual in mm.
 */
import type { InversionResult } from '../types.js';

const f32 = Math.fround;
/**
 * Oracle composition `compose(p, d, null, W, 1)` of §2.1/§1.5 for one shared grid,
 * any dimension: literal corner loop with per-corner bounds checks and float32
 * rounding of the output slot after every corner; 0 where not inside.
 */
export function naiveResidual(p: Float32Array, d: Float32Array, shape: number[], W: Float64Array | null): Float32Array {
  const dim = shape.length;
  const n = dim + 1;
  const nvox = shape.reduce((x, y) => x * y, 1);
  const quad = [[0, 0], [0, 1], [1, 1], [1, 0]];
  const corners = dim === 2 ? quad : [...quad.map((q) => [0, ...q]), ...quad.map((q) => [1, ...q])];
  const out = new Float32Array(p.length);
  for (let v = 0; v < nvox; v++) {
    const idx: number[] = new Array(dim);
    let rest = v;
    for (let a = dim - 1; a >= 0; a--) { idx[a] = rest % shape[a]; rest = Math.floor(rest / shape[a]); }
    const disp = Array.from({ length: dim }, (_, a) => p[v * dim + a]);
    const pos = idx.map((ix, r) => {
      if (W === null) return ix + disp[r];
      let s = 0;
      for (let c = 0; c < dim; c++) s += W[r * n + c] * disp[c];
      return ix + (s + 0 * W[r * n + dim]);
    });
    if (pos.some((x, a) => x <= -1 || x >= shape[a])) continue; // zero
    const fl = pos.map(Math.floor);
    const fr = pos.map((x, a) => x - fl[a]);
    const val = new Array<number>(dim).fill(0);
    let inside = true;
    corners.forEach((off, ci) => {
      const c = fl.map((x, a) => x + off[a]);
      const ok = c.every((x, a) => x >= 0 && x < shape[a]);
      const wa = (a: number): number => (off[a] === 1 ? fr[a] : 1 - fr[a]);
      const w = dim === 2 ? wa(0) * wa(1) : (wa(1) * wa(2)) * wa(0);
      let flat = 0;
      for (let a = 0; a < dim; a++) flat = flat * shape[a] + c[a];
      for (let k = 0; k < dim; k++) {
        if (ok) val[k] = ci === 0 ? f32(w * d[flat * dim + k]) : f32(val[k] + w * d[flat * dim + k]);
      }
      if (!ok) inside = false;
    });
    if (inside) for (let k = 0; k < dim; k++) out[v * dim + k] = f32(1 * val[k] + disp[k]);
  }
  return out;
}

/**
 * Oracle inversion: §2.2 pseudocode, one step at a time, from `start` (or zero),
 * at most `maxIter` iterations, stopping at mean residual ≤ `tol` (mm).
 * @returns the inverse field `p` and the iteration count, mean and max residual.
 */
export function naiveInvert(d: Float32Array, shape: number[], W: Float64Array | null, spacing: number[],
  maxIter: number, tol: number, start: Float32Array | null): { p: Float32Array; result: InversionResult } {
  const dim = shape.length;
  const nvox = shape.reduce((x, y) => x * y, 1);
  const p = start ? start.slice() : new Float32Array(d.length);
  let iter = 0, error = 1 + tol, difmag = 1;
  while (iter < maxIter && tol < error && (dim === 2 || 0.1 < difmag)) {
    const eps = iter === 0 ? 0.75 : 0.5;
    const q = naiveResidual(p, d, shape, W);
    const m = new Float64Array(nvox);
    difmag = 0;
    let sum = 0;
    for (let v = 0; v < nvox; v++) {
      let s = 0;
      for (let k = 0; k < dim; k++) { const u = q[v * dim + k] / spacing[k]; s += u * u; }
      m[v] = Math.sqrt(s);
      sum += m[v];
      if (difmag < m[v]) difmag = m[v];
    }
    error = sum / nvox;
    const maxlen = difmag * eps;
    for (let v = 0; v < nvox; v++) {
      const step = m[v] > maxlen ? eps * maxlen / m[v] : eps;
      for (let k = 0; k < dim; k++) p[v * dim + k] = f32(p[v * dim + k] - step * q[v * dim + k]);
    }
    iter++;
  }
  return { p, result: iter === 0 ? { iterations: 0, error: NaN, maxResidual: NaN } : { iterations: iter, error, maxResidual: difmag } };
}
