/**
 * Deterministic synthetic benchmark inputs: a smooth, brain-like volume (or a 2D
 * slice of one) with tissue labels, and the same volume warped by a smooth known
 * displacement field.
 *
 * Geometry, in normalised coordinates p ∈ [−1, 1] per array axis (voxel centres,
 * an axis of length 1 sits at 0), with ρ = |p| and u = p/ρ:
 * - skull shell (label 6) for 0.84 < ρ/(1 + 0.02 g₀(u)) < 0.92;
 * - brain ρ < 0.80 (1 + 0.02 g₀(u)), with outer CSF (label 1) up to the skull;
 * - white matter (3) for ρ < 0.60 (1 + 0.08 g₁(u)), where g₁ is a sum of
 *   higher-frequency waves on the sphere (gyri), grey matter (2) elsewhere in the
 *   brain, sulcal CSF (1) in the outer 0.06 of the brain where g₂(u) > 0.55;
 * - two ventricles (4) and two deep grey nuclei (5) as ellipsoids.
 * Each gₖ is a normalised sum of sinusoids of random unit directions wₖ:
 * Σ sin(f (w·u) + φ). Intensities are T1-like (WM 0.85, GM 0.55, CSF 0.15,
 * ventricles 0.10, deep GM 0.65, skull 0.30), times a smooth bias field, plus
 * Gaussian noise (σ 0.015).
 *
 * The warp: moving(x) = clean(x + d(x)) + fresh noise, labels by nearest
 * neighbour, where x is a voxel index and d is a sum of three sinusoidal waves
 * per component (voxel units, identity grid-to-world; amplitude 2.5% of the mean
 * axis length per wave, at most 1.5 cycles across the image, so the map stays
 * invertible). Out-of-grid samples are 0. All randomness comes from a seeded
 * mulberry32 generator, so the same seed gives the same bytes on every machine.
 */
import { mulberry32 } from '@diffeo/core/oracles';

/** A seeded uniform [0, 1) generator: the one mulberry32 of `@diffeo/core/oracles`. */
export { mulberry32 };

/** Standard normal samples from a uniform generator (Box–Muller). */
function gaussian(rand: () => number): () => number {
  let spare: number | null = null;
  return () => {
    if (spare !== null) {
      const s = spare;
      spare = null;
      return s;
    }
    const u = Math.max(rand(), 1e-300), v = rand();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
}

interface Waves { w: Float64Array; f: Float64Array; phi: Float64Array; n: number; norm: number }

function makeWaves(rand: () => number, n: number, fmin: number, fmax: number): Waves {
  const w = new Float64Array(3 * n), f = new Float64Array(n), phi = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    let x = 0, y = 0, z = 0, r = 0;
    do {
      x = 2 * rand() - 1;
      y = 2 * rand() - 1;
      z = 2 * rand() - 1;
      r = Math.hypot(x, y, z);
    } while (r < 0.1 || r > 1);
    w[3 * k] = x / r;
    w[3 * k + 1] = y / r;
    w[3 * k + 2] = z / r;
    f[k] = fmin + (fmax - fmin) * rand();
    phi[k] = 2 * Math.PI * rand();
  }
  return { w, f, phi, n, norm: 1 / Math.sqrt(n / 2) };
}

/** Σ sin(f (w·u) + φ), scaled to unit RMS. */
function evalWaves(g: Waves, ux: number, uy: number, uz: number): number {
  let s = 0;
  for (let k = 0; k < g.n; k++) s += Math.sin(g.f[k] * (g.w[3 * k] * ux + g.w[3 * k + 1] * uy + g.w[3 * k + 2] * uz) + g.phi[k]);
  return s * g.norm;
}

function ellipsoid(x: number, y: number, z: number, c: readonly number[], r: readonly number[]): boolean {
  const a = (x - c[0]) / r[0], b = (y - c[1]) / r[1], d = (z - c[2]) / r[2];
  return a * a + b * b + d * d < 1;
}

/** Intensity of each label 0..6. */
const INTENSITY = [0, 0.15, 0.55, 0.85, 0.1, 0.65, 0.3];

/** A synthetic image with its labels; `shape` is 2D `(rows, cols)` or 3D `(slices, rows, cols)`, data in C order. */
export interface SyntheticImage {
  readonly shape: number[];
  /** Intensities (noise-free when returned by {@link syntheticBrain} with `noise: 0`). */
  readonly image: Float32Array;
  /** Tissue labels 0..6 (0 background, 1 CSF, 2 GM, 3 WM, 4 ventricle, 5 deep GM, 6 skull). */
  readonly labels: Uint8Array;
}

/** Normalised coordinate of voxel i on an axis of n voxels. */
function coord(i: number, n: number): number {
  return n === 1 ? 0 : ((i + 0.5) / n) * 2 - 1;
}

/**
 * The brain-like phantom on `shape` (2D shapes are the central slice of a 3D
 * phantom), noise-free, with a smooth bias field. Deterministic in `seed`.
 */
export function syntheticBrain(shape: readonly number[], seed: number): SyntheticImage {
  const [n0, n1, n2] = shape.length === 2 ? [shape[0], shape[1], 1] : [shape[0], shape[1], shape[2]];
  const rand = mulberry32(seed);
  const g0 = makeWaves(rand, 4, 2, 4);
  const g1 = makeWaves(rand, 10, 8, 14);
  const g2 = makeWaves(rand, 10, 10, 16);
  const bias = makeWaves(rand, 3, 1, 2);
  const image = new Float32Array(n0 * n1 * n2);
  const labels = new Uint8Array(n0 * n1 * n2);
  const vent = [[0.05, 0.12, 0], [0.05, -0.12, 0]];
  const deep = [[-0.08, 0.24, 0], [-0.08, -0.24, 0]];
  let idx = 0;
  for (let i = 0; i < n0; i++) {
    const x = coord(i, n0);
    for (let j = 0; j < n1; j++) {
      const y = coord(j, n1);
      for (let k = 0; k < n2; k++, idx++) {
        const z = coord(k, n2);
        const rho = Math.sqrt(x * x + y * y + z * z);
        const ux = rho > 0 ? x / rho : 1, uy = rho > 0 ? y / rho : 0, uz = rho > 0 ? z / rho : 0;
        const outer = 1 + 0.02 * evalWaves(g0, ux, uy, uz);
        const r = rho / outer;
        let label = 0;
        if (r < 0.8) {
          if (ellipsoid(x, y, z, vent[0], [0.26, 0.07, 0.2]) || ellipsoid(x, y, z, vent[1], [0.26, 0.07, 0.2])) label = 4;
          else if (ellipsoid(x, y, z, deep[0], [0.12, 0.1, 0.14]) || ellipsoid(x, y, z, deep[1], [0.12, 0.1, 0.14])) label = 5;
          else if (rho < 0.6 * (1 + 0.08 * evalWaves(g1, ux, uy, uz))) label = 3;
          else if (r > 0.74 && evalWaves(g2, ux, uy, uz) > 0.55) label = 1;
          else label = 2;
        } else if (r < 0.84) label = 1;
        else if (r < 0.92) label = 6;
        labels[idx] = label;
        if (label !== 0) image[idx] = INTENSITY[label] * (1 + 0.08 * evalWaves(bias, x, y, z));
      }
    }
  }
  return { shape: [...shape], image, labels };
}

/** Adds Gaussian noise of standard deviation `sigma` (in place, float32), from a generator seeded with `seed`. */
export function addNoise(image: Float32Array, sigma: number, seed: number): Float32Array {
  const g = gaussian(mulberry32(seed));
  for (let i = 0; i < image.length; i++) image[i] += sigma * g();
  return image;
}

/**
 * A smooth displacement field d on `shape` in voxel units: `dim` interleaved
 * components per voxel (component c along array axis c), each a sum of three
 * sinusoidal waves of amplitude `amplitude` voxels and at most 1.5 cycles across
 * the grid. Deterministic in `seed`.
 */
export function smoothField(shape: readonly number[], seed: number, amplitude: number): Float32Array {
  const dim = shape.length;
  const rand = mulberry32(seed);
  const waves = 3;
  const k = new Float64Array(dim * waves * dim); // [component][wave][axis] cycles across the grid
  const amp = new Float64Array(dim * waves);
  const phi = new Float64Array(dim * waves);
  for (let c = 0; c < dim; c++) {
    for (let w = 0; w < waves; w++) {
      for (let a = 0; a < dim; a++) k[(c * waves + w) * dim + a] = (rand() * 2 - 1) * 1.5;
      amp[c * waves + w] = amplitude * (0.5 + 0.5 * rand());
      phi[c * waves + w] = 2 * Math.PI * rand();
    }
  }
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n * dim);
  const idx = new Array<number>(dim).fill(0);
  for (let v = 0; v < n; v++) {
    for (let c = 0; c < dim; c++) {
      let s = 0;
      for (let w = 0; w < waves; w++) {
        let arg = phi[c * waves + w];
        for (let a = 0; a < dim; a++) arg += (2 * Math.PI * k[(c * waves + w) * dim + a] * idx[a]) / shape[a];
        s += amp[c * waves + w] * Math.sin(arg);
      }
      out[v * dim + c] = s;
    }
    for (let a = dim - 1; a >= 0; a--) {
      if (++idx[a] < shape[a]) break;
      idx[a] = 0;
    }
  }
  return out;
}

/**
 * Samples `image` at x + d(x) for every voxel x: linear interpolation
 * (zero outside the grid, partial sums at the border) or nearest neighbour
 * (0 outside). `d` has `dim` interleaved components in voxel units.
 */
export function warpByField<T extends Float32Array | Uint8Array>(image: T, shape: readonly number[], d: Float32Array, mode: 'linear' | 'nearest'): T {
  const dim = shape.length;
  const out = (image instanceof Float32Array ? new Float32Array(image.length) : new Uint8Array(image.length)) as T;
  const [n0, n1, n2] = dim === 2 ? [shape[0], shape[1], 1] : [shape[0], shape[1], shape[2]];
  let v = 0;
  for (let i = 0; i < n0; i++) {
    for (let j = 0; j < n1; j++) {
      for (let k = 0; k < n2; k++, v++) {
        const p0 = i + d[v * dim], p1 = j + d[v * dim + 1], p2 = dim === 3 ? k + d[v * dim + 2] : 0;
        if (mode === 'nearest') {
          const a = Math.round(p0), b = Math.round(p1), c = Math.round(p2);
          out[v] = a >= 0 && a < n0 && b >= 0 && b < n1 && c >= 0 && c < n2 ? image[(a * n1 + b) * n2 + c] : 0;
          continue;
        }
        const a0 = Math.floor(p0), b0 = Math.floor(p1), c0 = Math.floor(p2);
        const fa = p0 - a0, fb = p1 - b0, fc = p2 - c0;
        let s = 0;
        for (let da = 0; da < 2; da++) {
          const a = a0 + da;
          if (a < 0 || a >= n0) continue;
          const wa = da ? fa : 1 - fa;
          for (let db = 0; db < 2; db++) {
            const b = b0 + db;
            if (b < 0 || b >= n1) continue;
            const wb = db ? fb : 1 - fb;
            for (let dc = 0; dc < (dim === 3 ? 2 : 1); dc++) {
              const c = c0 + dc;
              if (c < 0 || c >= n2) continue;
              const wc = dim === 3 ? (dc ? fc : 1 - fc) : 1;
              s += wa * wb * wc * image[(a * n1 + b) * n2 + c];
            }
          }
        }
        out[v] = s;
      }
    }
  }
  return out;
}

/** A synthetic registration pair: static and moving images with their labels, and the field d with moving(x) = static(x + d(x)). */
export interface SyntheticPair {
  readonly shape: number[];
  readonly static: Float32Array;
  readonly moving: Float32Array;
  readonly staticLabels: Uint8Array;
  readonly movingLabels: Uint8Array;
  readonly field: Float32Array;
}

/**
 * The benchmark pair of the given shape: the phantom plus noise as static, the
 * phantom warped by {@link smoothField} (amplitude 2.5% of the mean axis length)
 * plus independent noise as moving. Deterministic in `seed`.
 */
export function syntheticPair(shape: readonly number[], seed = 20240601): SyntheticPair {
  const clean = syntheticBrain(shape, seed);
  const meanAxis = shape.reduce((a, b) => a + b, 0) / shape.length;
  const field = smoothField(shape, seed + 1, 0.025 * meanAxis);
  const moving = addNoise(warpByField(clean.image, shape, field, 'linear'), 0.015, seed + 3);
  const movingLabels = warpByField(clean.labels, shape, field, 'nearest');
  const stat = addNoise(Float32Array.from(clean.image), 0.015, seed + 2);
  return { shape: [...shape], static: stat, moving, staticLabels: clean.labels, movingLabels, field };
}
