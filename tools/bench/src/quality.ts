/**
 * Registration quality scores, computed by the bench itself (in the parent
 * process) on the warped images that each implementation wrote, so that diffeo
 * and DIPY are scored by the same code.
 *
 * All images are C-ordered arrays on the static grid (voxel-wise comparison, no
 * world coordinates involved).
 */

/** Dice overlap of two binary images thresholded at `threshold` (value > threshold is foreground). */
export function binaryDice(a: ArrayLike<number>, b: ArrayLike<number>, threshold = 0.5): number {
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
 * Mean Dice over labels: for each label l, 2|A=l ∩ B=l| / (|A=l| + |B=l|).
 * `labels` lists the labels to score; by default every non-zero label present in
 * either image. A listed label absent from both images is left out of the mean;
 * a label present in one image only scores 0.
 */
export function meanLabelDice(a: ArrayLike<number>, b: ArrayLike<number>, labels?: readonly number[]): number {
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

/** Normalised cross-correlation of two images over the voxels where `mask` is non-zero (all voxels when `mask` is null). */
export function maskedNcc(a: ArrayLike<number>, b: ArrayLike<number>, mask: ArrayLike<number> | null): number {
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

/** Mean |a − b| divided by max |ref| (a relative agreement measure of two warped images). */
export function relativeMeanAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>, ref: ArrayLike<number>): number {
  let s = 0, m = 0;
  for (let i = 0; i < a.length; i++) {
    s += Math.abs(a[i] - b[i]);
    const r = Math.abs(ref[i]);
    if (r > m) m = r;
  }
  return s / a.length / (m || 1);
}
