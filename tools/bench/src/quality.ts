/**
 * The bench's own agreement measure of two warped images. The quality scores
 * (Dice, label Dice, NCC) are `@diffeo/core`'s, computed by the bench (in the parent
 * process) on the warped images that each implementation wrote, so that diffeo and
 * DIPY are scored by the same code.
 *
 * All images are C-ordered arrays on the static grid (voxel-wise comparison, no
 * world coordinates involved).
 */

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
