/**
 * Registration quality scores (`scores.ts`), voxel by voxel on one grid (both arrays C order, of
 * equal length; no world coordinates involved): Dice overlap of thresholded masks,
 * mean Dice over integer labels, normalised cross-correlation (optionally inside a
 * mask) and the sum of squared differences. Sums in double, in raster order.
 * Used by the CLI, the apps, the reference runner and the bench, so every tool scores
 * a registration with the same code.
 */
import { InvalidArgumentError } from './errors.js';

function checkPair(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  if (!a || !b || typeof a.length !== 'number' || typeof b.length !== 'number') {
    throw new InvalidArgumentError(`${what} needs two arrays of voxel values.`);
  }
  if (a.length !== b.length) {
    throw new InvalidArgumentError(`${what} needs two images on the same grid; got ${a.length} and ${b.length} values (warp one onto the other's grid first).`);
  }
}

/**
 * Dice coefficient `2|A ∩ B| / (|A| + |B|)` of the masks `a > threshold` and
 * `b > threshold`; 1 when both masks are empty.
 * @param threshold - foreground is strictly above it (default 0.5).
 */
export function dice(a: ArrayLike<number>, b: ArrayLike<number>, threshold = 0.5): number {
  checkPair(a, b, 'dice');
  let inter = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] > threshold, y = b[i] > threshold;
    if (x) na++;
    if (y) nb++;
    if (x && y) inter++;
  }
  return na + nb === 0 ? 1 : (2 * inter) / (na + nb);
}

/**
 * Mean Dice over labels: for each label `l`, `2|a = l ∩ b = l| / (|a = l| + |b = l|)`.
 * `labels` lists the labels to score (default: every non-zero label present in either
 * image); a listed label absent from both is left out of the mean, one present in one
 * image only scores 0. Labels are non-negative integers. NaN when nothing was scored.
 */
export function meanLabelDice(a: ArrayLike<number>, b: ArrayLike<number>, labels?: readonly number[]): number {
  checkPair(a, b, 'meanLabelDice');
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] > max) max = a[i];
    if (b[i] > max) max = b[i];
  }
  const size = Math.floor(max) + 1;
  const ca = new Float64Array(size), cb = new Float64Array(size), cab = new Float64Array(size);
  for (let i = 0; i < a.length; i++) {
    const x = a[i], y = b[i];
    ca[x]++;
    cb[y]++;
    if (x === y) cab[x]++;
  }
  const list = labels ?? Array.from({ length: size - 1 }, (_, i) => i + 1);
  let sum = 0, n = 0;
  for (const l of list) {
    const na = l < size ? ca[l] : 0, nb = l < size ? cb[l] : 0;
    if (na + nb === 0) continue;
    sum += (2 * (l < size ? cab[l] : 0)) / (na + nb);
    n++;
  }
  return n === 0 ? Number.NaN : sum / n;
}

/**
 * Normalised cross-correlation `Σ(a−ā)(b−b̄) / √(Σ(a−ā)²·Σ(b−b̄)²)` over the voxels
 * where `mask` is non-zero (every voxel when `mask` is null); means over those voxels.
 * NaN when either image is constant there.
 */
export function ncc(a: ArrayLike<number>, b: ArrayLike<number>, mask: ArrayLike<number> | null = null): number {
  checkPair(a, b, 'ncc');
  if (mask !== null) checkPair(a, mask, 'ncc (mask)');
  let n = 0, sa = 0, sb = 0;
  for (let i = 0; i < a.length; i++) {
    if (mask && !mask[i]) continue;
    n++;
    sa += a[i];
    sb += b[i];
  }
  const ma = sa / n, mb = sb / n;
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < a.length; i++) {
    if (mask && !mask[i]) continue;
    const x = a[i] - ma, y = b[i] - mb;
    sab += x * y;
    saa += x * x;
    sbb += y * y;
  }
  return sab / Math.sqrt(saa * sbb);
}

/** Sum of squared differences `Σ (a − b)²`. */
export function ssd(a: ArrayLike<number>, b: ArrayLike<number>): number {
  checkPair(a, b, 'ssd');
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i] - b[i];
    s += d * d;
  }
  return s;
}
