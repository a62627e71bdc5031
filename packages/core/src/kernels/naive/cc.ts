/**
 * Slow, obviously-correct local cross-correlation factors: a test oracle for
 * the fast kernels of `cc.ts` (DIPY keeps `precompute_cc_factors_*_test` for the
 * same purpose). Not part of the kernel table.
 *
 * Maths: for every voxel `x`, sum `I, I², J, J², IJ` directly over the
 * `(2r+1)^d` box centred at `x` clipped to the image (`cnt` voxels), all in
 * double, then evaluate the same factor formulas as the fast kernels
 * (docs/algorithm.md §5.2):
 * `F0 = I(x) − Ī`, `F1 = J(x) − J̄`, `F2 = Σ(I−Ī)(J−J̄)`, `F3 = Σ(I−Ī)²`,
 * `F4 = Σ(J−J̄)²`, stored as float32. The summation order (and, in 2D, the
 * double instead of float32 products) differs from DIPY's fast schemes, so the
 * results agree with them to rounding only (about 1e-6 relative), not bit for bit.
 *
 * Frames and units: grid (voxel) space, C order, `out` interleaved with 5
 * factors per voxel.
 */
import type { Shape2D, Shape3D } from '../../types.js';

function store(out: Float32Array, o: number, iv: number, jv: number, cnt: number,
  sI: number, sI2: number, sJ: number, sJ2: number, sIJ: number): void {
  const Imean = sI / cnt;
  const Jmean = sJ / cnt;
  out[o] = iv - Imean;
  out[o + 1] = jv - Jmean;
  out[o + 2] = sIJ - Jmean * sI - Imean * sJ + cnt * Jmean * Imean;
  out[o + 3] = sI2 - Imean * sI - Imean * sI + cnt * Imean * Imean;
  out[o + 4] = sJ2 - Jmean * sJ - Jmean * sJ + cnt * Jmean * Jmean;
}

/**
 * Direct-window-sum 2D CC factors (oracle for `ccFactors2d`).
 * @param out - `nr·nc·5` float32 factors, written completely.
 * @param staticImage - `nr·nc` static image (grid space, C order).
 * @param movingImage - `nr·nc` moving image on the same grid.
 * @param shape - `[nr, nc]` (voxels).
 * @param radius - window radius in voxels.
 */
export function ccFactorsNaive2d(out: Float32Array, staticImage: Float32Array, movingImage: Float32Array,
  shape: Shape2D, radius: number): void {
  const [nr, nc] = shape;
  for (let r = 0; r < nr; r++) {
    const r0 = Math.max(0, r - radius);
    const r1 = Math.min(nr - 1, r + radius);
    for (let c = 0; c < nc; c++) {
      const c0 = Math.max(0, c - radius);
      const c1 = Math.min(nc - 1, c + radius);
      let sI = 0, sI2 = 0, sJ = 0, sJ2 = 0, sIJ = 0, cnt = 0;
      for (let i = r0; i <= r1; i++) {
        for (let j = c0; j <= c1; j++) {
          const I = staticImage[i * nc + j];
          const J = movingImage[i * nc + j];
          sI += I; sI2 += I * I; sJ += J; sJ2 += J * J; sIJ += I * J; cnt++;
        }
      }
      const p = r * nc + c;
      store(out, p * 5, staticImage[p], movingImage[p], cnt, sI, sI2, sJ, sJ2, sIJ);
    }
  }
}

/**
 * Direct-window-sum 3D CC factors (oracle for `ccFactors3d`).
 * @param out - `ns·nr·nc·5` float32 factors, written completely.
 * @param staticImage - `ns·nr·nc` static volume (grid space, C order).
 * @param movingImage - `ns·nr·nc` moving volume on the same grid.
 * @param shape - `[ns, nr, nc]` (voxels).
 * @param radius - window radius in voxels.
 */
export function ccFactorsNaive3d(out: Float32Array, staticImage: Float32Array, movingImage: Float32Array,
  shape: Shape3D, radius: number): void {
  const [ns, nr, nc] = shape;
  for (let s = 0; s < ns; s++) {
    const s0 = Math.max(0, s - radius);
    const s1 = Math.min(ns - 1, s + radius);
    for (let r = 0; r < nr; r++) {
      const r0 = Math.max(0, r - radius);
      const r1 = Math.min(nr - 1, r + radius);
      for (let c = 0; c < nc; c++) {
        const c0 = Math.max(0, c - radius);
        const c1 = Math.min(nc - 1, c + radius);
        let sI = 0, sI2 = 0, sJ = 0, sJ2 = 0, sIJ = 0, cnt = 0;
        for (let k = s0; k <= s1; k++) {
          for (let i = r0; i <= r1; i++) {
            for (let j = c0; j <= c1; j++) {
              const v = (k * nr + i) * nc + j;
              const I = staticImage[v];
              const J = movingImage[v];
              sI += I; sI2 += I * I; sJ += J; sJ2 += J * J; sIJ += I * J; cnt++;
            }
          }
        }
        const p = (s * nr + r) * nc + c;
        store(out, p * 5, staticImage[p], movingImage[p], cnt, sI, sI2, sJ, sJ2, sIJ);
      }
    }
  }
}
