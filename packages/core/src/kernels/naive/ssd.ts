/**
 * Naive SSD solver oracles (docs/algorithm.md §4): a Gauss-Seidel sweep that, at
 * each voxel in raster order, solves `(g gᵀ + σ²λ·nn·I) u = b + σ²λ·Σ u[nbr]`
 * with a dense Gaussian elimination (σ² = ∞ takes the neighbour mean), and the
 * small index helpers it needs. Double arithmetic, float32 storage; C-order
 * grids, interleaved vector fields.
 */
/** Solves the dense system `A x = b` (n×n, row-major) by Gaussian elimination with partial pivoting. */
export function gaussSolve(A: number[], b: number[], n: number): number[] {
  const M = A.slice();
  const y = b.slice();
  for (let c = 0; c < n; c++) {
    let piv = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r * n + c]) > Math.abs(M[piv * n + c])) piv = r;
    if (piv !== c) {
      for (let k = 0; k < n; k++) [M[c * n + k], M[piv * n + k]] = [M[piv * n + k], M[c * n + k]];
      [y[c], y[piv]] = [y[piv], y[c]];
    }
    for (let r = c + 1; r < n; r++) {
      const f = M[r * n + c] / M[c * n + c];
      for (let k = c; k < n; k++) M[r * n + k] -= f * M[c * n + k];
      y[r] -= f * y[c];
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = y[r];
    for (let k = r + 1; k < n; k++) s -= M[r * n + k] * x[k];
    x[r] = s / M[r * n + r];
  }
  return x;
}

/** Unit offsets of the 2d (4 or 6) grid neighbours, in index space. */
export function neighbourOffsets(d: number): number[][] {
  const out: number[][] = [];
  for (let a = 0; a < d; a++) {
    for (const s of [-1, 1]) {
      const o = new Array<number>(d).fill(0);
      o[a] = s;
      out.push(o);
    }
  }
  return out;
}

/** C-order multi-index of flat voxel index `p` in grid `shape`. */
export function unravel(p: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let a = shape.length - 1; a >= 0; a--) {
    idx[a] = p % shape[a];
    p = Math.floor(p / shape[a]);
  }
  return idx;
}

/** Flat C-order index of multi-index `idx` in grid `shape`. */
export function ravel(idx: number[], shape: readonly number[]): number {
  let p = 0;
  for (let a = 0; a < shape.length; a++) p = p * shape[a] + idx[a];
  return p;
}

/** Whether multi-index `idx` lies in grid `shape`. */
export function inGrid(idx: number[], shape: readonly number[]): boolean {
  return idx.every((v, a) => v >= 0 && v < shape[a]);
}

/**
 * Naive Gauss-Seidel sweep for well-posed voxels: in raster order solve
 * `(g gᵀ + s²λ·nn·I) u = b + s²λ·Σ u[nbr]` with a generic dense solver; `s² = ∞`
 * takes the neighbour mean. Double arithmetic, float32 storage.
 */
export function naiveSweep(u: Float32Array, delta: Float32Array, sigmaSq: Float32Array | null, g: Float32Array,
  target: Float32Array | null, lambda: number, shape: readonly number[]): void {
  const d = shape.length;
  const offs = neighbourOffsets(d);
  const n = shape.reduce((a, b) => a * b, 1);
  for (let p = 0; p < n; p++) {
    const idx = unravel(p, shape);
    const y = new Array<number>(d).fill(0);
    let nn = 0;
    for (const o of offs) {
      const j = idx.map((v, a) => v + o[a]);
      if (!inGrid(j, shape)) continue;
      nn++;
      const q = ravel(j, shape);
      for (let k = 0; k < d; k++) y[k] += u[q * d + k];
    }
    const s2 = sigmaSq ? sigmaSq[p] : 1;
    if (!Number.isFinite(s2)) {
      for (let k = 0; k < d; k++) u[p * d + k] = y[k] / nn;
      continue;
    }
    const A: number[] = [];
    for (let r = 0; r < d; r++) for (let c = 0; c < d; c++) A.push(g[p * d + r] * g[p * d + c] + (r === c ? s2 * lambda * nn : 0));
    const rhs: number[] = [];
    for (let k = 0; k < d; k++) rhs.push((target ? target[p * d + k] : delta[p] * g[p * d + k]) + s2 * lambda * y[k]);
    const x = gaussSolve(A, rhs, d);
    for (let k = 0; k < d; k++) u[p * d + k] = x[k];
  }
}
