/**
 * Deterministic test data for the oracles, the kernel tests and the conformance
 * kits: one seeded PRNG (mulberry32) and helpers that build images, smooth
 * displacement fields and near-identity affines. Everything is reproducible from
 * the seed, bit for bit, on every platform (only 32-bit integer arithmetic and
 * IEEE double division feed the values).
 *
 * Conventions (as in `@diffeo/core`): C-order arrays, grid coordinates in
 * array-axis order, vector fields interleaved (component `k` along axis `k`),
 * affines `(d+1)×(d+1)` row-major `Float64Array`s.
 */

/**
 * A seeded pseudo-random generator. Calling it (`r()`) is the same as `r.next()`:
 * uniform in [0, 1), so it also serves where a plain `() => number` is wanted.
 */
export interface Random {
  /** Uniform in [0, 1) (same as {@link Random.next}). */
  (): number;
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number;
  /** Uniform integer in [lo, hi). */
  int(lo: number, hi: number): number;
}

/**
 * mulberry32: a small, fast 32-bit generator; identical sequences on every
 * platform. `seed` is taken modulo 2³².
 */
export function mulberry32(seed: number): Random {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return Object.assign(() => next(), {
    next,
    uniform: (lo: number, hi: number) => lo + (hi - lo) * next(),
    int: (lo: number, hi: number) => lo + Math.floor((hi - lo) * next()),
  });
}

/** A 32-bit hash of a string (FNV-1a), to derive per-case seeds. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Number of voxels of a shape. */
export function count(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** `n` float32 values uniform in [lo, hi). */
export function randomFloat32(r: Random, n: number, lo = -1, hi = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = r.uniform(lo, hi);
  return out;
}

/**
 * A smooth scalar image (float32): a sum of a few random sinusoidal waves plus a
 * Gaussian blob, values roughly in [0, 2]. Smoothness keeps gradients and local
 * statistics well defined.
 */
export function smoothImage(r: Random, shape: readonly number[]): Float32Array {
  const d = shape.length;
  const n = count(shape);
  const out = new Float32Array(n);
  const waves = Array.from({ length: 3 }, () => ({
    k: Array.from({ length: d }, () => r.uniform(-0.6, 0.6)),
    ph: r.uniform(0, 6.283),
    a: r.uniform(0.1, 0.4),
  }));
  const c = shape.map((s) => r.uniform(0.3, 0.7) * s);
  const sig = Math.max(2, Math.min(...shape) / 3);
  const idx = new Array<number>(d).fill(0);
  for (let p = 0; p < n; p++) {
    let rem = p;
    for (let k = d - 1; k >= 0; k--) { idx[k] = rem % shape[k]; rem = Math.floor(rem / shape[k]); }
    let v = 0.8;
    let r2 = 0;
    for (let k = 0; k < d; k++) r2 += (idx[k] - c[k]) ** 2;
    v += Math.exp(-r2 / (2 * sig * sig));
    for (const w of waves) {
      let ph = w.ph;
      for (let k = 0; k < d; k++) ph += w.k[k] * idx[k];
      v += w.a * Math.sin(ph);
    }
    out[p] = v;
  }
  return out;
}

/** A smooth displacement field `[...shape, d]` (float32) with components of at most about `amplitude`. */
export function smoothField(r: Random, shape: readonly number[], amplitude: number): Float32Array {
  const d = shape.length;
  const n = count(shape);
  const out = new Float32Array(n * d);
  const terms = Array.from({ length: 2 * d }, () => ({
    k: Array.from({ length: d }, () => r.uniform(-0.4, 0.4)),
    ph: r.uniform(0, 6.283),
    c: r.int(0, d),
    a: r.uniform(-amplitude, amplitude) / 2,
  }));
  const idx = new Array<number>(d).fill(0);
  for (let p = 0; p < n; p++) {
    let rem = p;
    for (let k = d - 1; k >= 0; k--) { idx[k] = rem % shape[k]; rem = Math.floor(rem / shape[k]); }
    for (const t of terms) {
      let ph = t.ph;
      for (let k = 0; k < d; k++) ph += t.k[k] * idx[k];
      out[p * d + t.c] += t.a * Math.sin(ph);
    }
  }
  return out;
}

/**
 * A random affine `(d+1)×(d+1)`: `scale·Rotation + small shear`, plus a
 * translation, with the linear part's entries drawn around `scale·I`.
 */
export function randomAffine(r: Random, dim: 2 | 3, scale = 1, rotation = 0.3, shear = 0.05, translation = 2): Float64Array {
  const n = dim + 1;
  const m = new Float64Array(n * n);
  if (dim === 2) {
    const t = r.uniform(-rotation, rotation);
    const c = Math.cos(t) * scale, s = Math.sin(t) * scale;
    m.set([c, -s, 0, s, c, 0, 0, 0, 1]);
  } else {
    const a = r.uniform(-rotation, rotation), b = r.uniform(-rotation, rotation);
    const ca = Math.cos(a), sa = Math.sin(a), cb = Math.cos(b), sb = Math.sin(b);
    // Rz(a)·Rx(b), scaled
    const R = [ca, -sa * cb, sa * sb, sa, ca * cb, -ca * sb, 0, sb, cb];
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) m[i * 4 + j] = R[i * 3 + j] * scale;
    m[15] = 1;
  }
  for (let i = 0; i < dim; i++) {
    for (let j = 0; j < dim; j++) if (i !== j) m[i * n + j] += r.uniform(-shear, shear);
    m[i * n + dim] = r.uniform(-translation, translation);
  }
  return m;
}

/** A diagonal affine `diag(s_0, …, s_{d−1}, 1)` with translation `t`. */
export function diagonalAffine(s: readonly number[], t?: readonly number[]): Float64Array {
  const d = s.length;
  const n = d + 1;
  const m = new Float64Array(n * n);
  for (let k = 0; k < d; k++) {
    m[k * n + k] = s[k];
    m[k * n + d] = t ? t[k] : 0;
  }
  m[n * n - 1] = 1;
  return m;
}
