/**
 * Naive composition oracle (docs/algorithm.md §1.5 and §2.1) for any dimension:
 * `out(x) = d2(A·[x; 1] + B·[d1(x); 0])·t + d1(x)` where inside, 0 outside, with
 * the statistics of `|out|²`. Fields interleaved, grid (voxel) coordinates.
 */
import type { ComposeStats } from '../../types.js';

const f32 = Math.fround;
/**
 * Oracle: the spec of §1.5 and §2.1 written out literally for any dimension.
 * Corner order: offsets (0,0) (0,1) (1,1) (1,0) on (row, col), and in 3D those
 * four at slice offset 0 then at slice offset 1. Weight of a corner:
 * (rowW · colW) [· sliceW], times the value; the float32 output slot is rounded
 * after every corner. q = |out|² in float32 arithmetic, the sums in double.
 */
export function naiveCompose(d1: Float32Array, shape1: number[], d2: Float32Array, shape2: number[],
  A: Float64Array | null, B: Float64Array | null, t: number): { out: Float32Array; stats: ComposeStats } {
  const dim = shape1.length;
  const n = dim + 1;
  const out = new Float32Array(d1.length);
  const nvox = shape1.reduce((x, y) => x * y, 1);
  const quad = [[0, 0], [0, 1], [1, 1], [1, 0]];
  const corners: number[][] = dim === 2 ? quad : [...quad.map((q) => [0, ...q]), ...quad.map((q) => [1, ...q])];
  let cnt = 0, maxQ = 0, sumQ = 0, sumQ2 = 0;
  for (let v = 0; v < nvox; v++) {
    // multi-index of voxel v (C order)
    const idx: number[] = new Array(dim);
    let rest = v;
    for (let a = dim - 1; a >= 0; a--) { idx[a] = rest % shape1[a]; rest = Math.floor(rest / shape1[a]); }
    const disp: number[] = [];
    for (let a = 0; a < dim; a++) disp.push(d1[v * dim + a]);
    const pos: number[] = [];
    for (let r = 0; r < dim; r++) {
      let base: number;
      if (A === null) base = idx[r];
      else { base = 0; for (let c = 0; c < dim; c++) base += A[r * n + c] * idx[c]; base += 1 * A[r * n + dim]; }
      let dv: number;
      if (B === null) dv = disp[r];
      else { dv = 0; for (let c = 0; c < dim; c++) dv += B[r * n + c] * disp[c]; dv += 0 * B[r * n + dim]; }
      pos.push(base + dv);
    }
    // linear interpolation with zero padding and the inside flag
    const val = new Array<number>(dim).fill(0);
    let inside = true;
    let outOfRange = false;
    for (let a = 0; a < dim; a++) if (pos[a] <= -1 || pos[a] >= shape2[a]) outOfRange = true;
    if (outOfRange) inside = false;
    else {
      const fl = pos.map((x) => Math.floor(x));
      const fr = pos.map((x, a) => x - fl[a]);
      let first = true;
      for (const off of corners) {
        const c = fl.map((x, a) => x + off[a]);
        let ok = true;
        for (let a = 0; a < dim; a++) if (c[a] < 0 || c[a] >= shape2[a]) ok = false;
        const wAxis = (a: number): number => (off[a] === 1 ? fr[a] : 1 - fr[a]);
        const w = dim === 2 ? wAxis(0) * wAxis(1) : (wAxis(1) * wAxis(2)) * wAxis(0);
        let flat = 0;
        for (let a = 0; a < dim; a++) flat = flat * shape2[a] + c[a];
        for (let k = 0; k < dim; k++) {
          if (ok) val[k] = first ? f32(w * d2[flat * dim + k]) : f32(val[k] + w * d2[flat * dim + k]);
          else if (first) val[k] = 0;
        }
        if (!ok) inside = false;
        first = false;
      }
    }
    if (inside) {
      let q = 0;
      for (let k = 0; k < dim; k++) {
        const c = f32(t * val[k] + disp[k]);
        out[v * dim + k] = c;
        q = k === 0 ? f32(c * c) : f32(q + f32(c * c));
      }
      cnt++;
      sumQ += q;
      sumQ2 += q * q;
      if (maxQ < q) maxQ = q;
    } else {
      for (let k = 0; k < dim; k++) out[v * dim + k] = 0;
    }
  }
  const mean = sumQ / cnt;
  return { out, stats: [Math.sqrt(maxQ), Math.sqrt(mean), Math.sqrt(sumQ2 / cnt - mean * mean)] };
}
