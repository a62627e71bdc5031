/**
 * The seeded sampler of the sparse MI metric (DIPY 1.6 `parzenhist.sample_domain_regular`).
 *
 * Take every `k`-th voxel of the static grid in C order (`m = floor(N / k)` voxels), jitter its
 * grid coordinates by independent normal noise of standard deviation `sigma` (voxels, default
 * 0.25), and map the result to world coordinates (mm) with the grid-to-world matrix.
 *
 * The noise is NumPy's legacy generator, so the points are the ones DIPY draws:
 * `numpy.random.seed(seed)` (MT19937, Knuth's initialisation), then `randn(m, d)` by the
 * polar Box–Muller method on 53-bit uniforms (`(a·2^26 + b) / 2^53` from two 32-bit draws
 * `a >> 5`, `b >> 6`), values consumed in row-major order, the second value of each pair first.
 */
import { InvalidArgumentError, type Dim } from '@diffeo/core';

/** MT19937 with NumPy's legacy normal generator (`RandomState.randn`). */
export class LegacyRandom {
  private readonly mt = new Uint32Array(624);
  private pos = 624;
  private hasGauss = false;
  private gauss = 0;

  /** Seeds as `numpy.random.seed(seed)` does for an integer `0 ≤ seed < 2^32`. */
  constructor(seed: number) {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
      throw new InvalidArgumentError(`the seed must be an integer in [0, 2^32 − 1], got ${seed}.`);
    }
    const mt = this.mt;
    mt[0] = seed >>> 0;
    for (let i = 1; i < 624; i++) {
      const p = mt[i - 1] ^ (mt[i - 1] >>> 30);
      mt[i] = (Math.imul(1812433253, p) + i) >>> 0;
    }
  }

  /** Next 32-bit output of MT19937. */
  nextUint32(): number {
    const mt = this.mt;
    if (this.pos >= 624) {
      for (let i = 0; i < 624; i++) {
        const y = (mt[i] & 0x80000000) | (mt[(i + 1) % 624] & 0x7fffffff);
        mt[i] = mt[(i + 397) % 624] ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
      }
      this.pos = 0;
    }
    let y = mt[this.pos++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** Uniform double in [0, 1) with 53 random bits. */
  nextDouble(): number {
    const a = this.nextUint32() >>> 5, b = this.nextUint32() >>> 6;
    return (a * 67108864.0 + b) / 9007199254740992.0;
  }

  /** Standard normal value (NumPy's legacy polar method). */
  nextGauss(): number {
    if (this.hasGauss) {
      this.hasGauss = false;
      return this.gauss;
    }
    let x1: number, x2: number, r2: number;
    do {
      x1 = 2.0 * this.nextDouble() - 1.0;
      x2 = 2.0 * this.nextDouble() - 1.0;
      r2 = x1 * x1 + x2 * x2;
    } while (r2 >= 1.0 || r2 === 0.0);
    const f = Math.sqrt((-2.0 * Math.log(r2)) / r2);
    this.gauss = f * x1;
    this.hasGauss = true;
    return f * x2;
  }
}

/**
 * DIPY's `sample_domain_regular(k, shape, grid2world, sigma, seed)`.
 * @param k - take every k-th voxel (k ≥ 1).
 * @param shape - static grid shape (voxels).
 * @param gridToWorld - `(d+1)²` row-major grid-to-world matrix.
 * @returns `m·d` world coordinates (mm), point `i` at `[i*d, (i+1)*d)`.
 */
export function sampleDomainRegular(k: number, shape: readonly number[], gridToWorld: ArrayLike<number>, sigma = 0.25, seed = 1234): Float64Array {
  if (!Number.isInteger(k) || k < 1) throw new InvalidArgumentError(`k (the sampling step) must be an integer ≥ 1, got ${k}.`);
  const d = shape.length as Dim;
  const n = shape.reduce((a, b) => a * b, 1);
  const m = Math.floor(n / k);
  const rng = new LegacyRandom(seed);
  const out = new Float64Array(m * d);
  for (let i = 0; i < m * d; i++) out[i] = rng.nextGauss() * sigma;
  const A = gridToWorld;
  if (d === 2) {
    for (let i = 0; i < m; i++) {
      const r = Math.floor((i * k) / shape[1]) + out[2 * i];
      const c = ((i * k) % shape[1]) + out[2 * i + 1];
      out[2 * i] = A[0] * r + A[1] * c + A[2];
      out[2 * i + 1] = A[3] * r + A[4] * c + A[5];
    }
  } else {
    const sl = shape[1] * shape[2];
    for (let i = 0; i < m; i++) {
      const s = Math.floor((i * k) / sl) + out[3 * i];
      const r = Math.floor(((i * k) % sl) / shape[2]) + out[3 * i + 1];
      const c = ((i * k) % sl) % shape[2] + out[3 * i + 2];
      out[3 * i] = A[0] * s + A[1] * r + A[2] * c + A[3];
      out[3 * i + 1] = A[4] * s + A[5] * r + A[6] * c + A[7];
      out[3 * i + 2] = A[8] * s + A[9] * r + A[10] * c + A[11];
    }
  }
  return out;
}
