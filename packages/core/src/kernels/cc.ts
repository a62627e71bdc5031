/**
 * Local normalised cross-correlation (CC) kernels, bit-exact with DIPY 1.6
 * (`dipy.align.crosscorr`; docs/algorithm.md §5.2).
 *
 * Maths. For every voxel `x` let `N(x)` be the `(2r+1)^d` box centred at `x`,
 * clipped to the image, with `cnt = |N(x)|`. With the window sums
 * `SI = ΣI, SI2 = ΣI², SJ = ΣJ, SJ2 = ΣJ², SIJ = ΣIJ` (I = static, J = moving,
 * both already on the reference grid) and the window means `Ī = SI/cnt`,
 * `J̄ = SJ/cnt`, the five float32 factors stored per voxel are
 * ```
 *   F0 = I(x) − Ī                          F1 = J(x) − J̄
 *   F2 = Σ(I−Ī)(J−J̄)  = SIJ − J̄·SI − Ī·SJ + cnt·J̄·Ī
 *   F3 = Σ(I−Ī)²      = SI2 − Ī·SI − Ī·SI + cnt·Ī·Ī
 *   F4 = Σ(J−J̄)²      = SJ2 − J̄·SJ − J̄·SJ + cnt·J̄·J̄
 * ```
 * (evaluated left to right in double, rounded once to float32). The local
 * correlation is `cc = F2²/(F3·F4)`; the energy is `−Σ cc` over the voxels at
 * least `r` voxels away from every border, and the steps are Avants' gradient
 * approximations
 * ```
 *   forward (static gradient ∇I):  u = −2·F2/(F3·F4)·(F1 − F2/F3·F0)·∇I
 *   backward (moving gradient ∇J): v = −2·F2/(F3·F4)·(F0 − F2/F4·F1)·∇J
 * ```
 * on that same interior; a band of width `r` stays exactly zero.
 *
 * Bit-exactness depends on how the window sums are accumulated, so each
 * dimension reproduces DIPY's own summation scheme:
 * - 2D: per column, a ring of `2r+1` row slots, each holding the sum of one
 *   image row over the column window (float32 products `f32(I·I)`, `f32(J·J)`,
 *   `f32(I·J)` added to double sums); after every row the totals are re-summed
 *   from the slots in slot order; once the rows are exhausted the last slots are
 *   subtracted from the running totals. Columns are independent, so we sweep the
 *   image row by row (cache friendly) while keeping each column's own slot ring:
 *   every floating-point operation is the same as DIPY's column-major loop.
 * - 3D: an inclusion–exclusion running sum (summed volume of the last `2r+1`
 *   samples along each axis) over two slice buffers with ring indexing on
 *   every axis, products in double.
 *
 * Frames and units: everything is in grid (voxel) space; arrays are C order
 * (row, col) / (slice, row, col); vector fields are interleaved with component
 * `k` along array axis `k`. The gradients passed to the step kernels carry
 * whatever units the caller chose (the CC metric passes world units per voxel),
 * and the steps inherit them.
 */
import type { Shape2D, Shape3D } from '../types.js';

/**
 * 2D local CC factors (docs/algorithm.md §5.2, DIPY's column/slot scheme).
 *
 * @param out - `nr·nc·5` float32 values, written completely: per pixel
 *   `[F0, F1, F2, F3, F4]` (see the module header).
 * @param staticImage - `nr·nc` float32 static image `I` (grid space, C order).
 * @param movingImage - `nr·nc` float32 moving image `J` on the same grid.
 * @param shape - `[nr, nc]` (voxels); every axis is expected to hold at least `2r+1` voxels.
 * @param radius - window radius `r` in voxels (window side `2r+1`, clipped at the borders).
 */
export function ccFactors2d(out: Float32Array, staticImage: Float32Array, movingImage: Float32Array,
  shape: Shape2D, radius: number): void {
  const nr = shape[0];
  const nc = shape[1];
  const side = 2 * radius + 1;
  const fround = Math.fround;
  // slots[(c·side + q)·5 + t]: the row sums held in ring slot q of column c.
  const slots = new Float64Array(nc * side * 5);
  // Running totals of each column after its last row (needed by the tail).
  const tails = new Float64Array(nc * 5);
  // Per-row values rv[j·5 + t] = I, f32(I·I), J, f32(J·J), f32(I·J): the products
  // are rounded to float32 as DIPY's float32 arithmetic does.
  const rv = new Float64Array(nc * 5);
  const slotStride = side * 5;

  for (let i = 0; i < nr; i++) {
    const row = i * nc;
    for (let j = 0; j < nc; j++) {
      const I = staticImage[row + j];
      const J = movingImage[row + j];
      const o = j * 5;
      rv[o] = I;
      rv[o + 1] = fround(I * I);
      rv[o + 2] = J;
      rv[o + 3] = fround(J * J);
      rv[o + 4] = fround(I * J);
    }
    const q = i % side;
    const finalise = i >= radius;
    const r = i - radius;
    // Rows currently in the window of pixel r: max(0, i−2r) .. i.
    const rowCount = (i < 2 * radius ? i : 2 * radius) + 1;
    const last = i === nr - 1;
    for (let c = 0; c < nc; c++) {
      const firstc = c - radius > 0 ? c - radius : 0;
      const lastc = c + radius < nc - 1 ? c + radius : nc - 1;
      let a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0;
      for (let k = firstc * 5, e = lastc * 5; k <= e; k += 5) {
        a0 += rv[k];
        a1 += rv[k + 1];
        a2 += rv[k + 2];
        a3 += rv[k + 3];
        a4 += rv[k + 4];
      }
      const base = c * slotStride;
      let k = base + q * 5;
      slots[k] = a0;
      slots[k + 1] = a1;
      slots[k + 2] = a2;
      slots[k + 3] = a3;
      slots[k + 4] = a4;
      // Totals re-summed from the slots in slot order.
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0;
      k = base;
      for (let qq = 0; qq < side; qq++, k += 5) {
        s0 += slots[k];
        s1 += slots[k + 1];
        s2 += slots[k + 2];
        s3 += slots[k + 3];
        s4 += slots[k + 4];
      }
      if (last) {
        const t = c * 5;
        tails[t] = s0;
        tails[t + 1] = s1;
        tails[t + 2] = s2;
        tails[t + 3] = s3;
        tails[t + 4] = s4;
      }
      if (finalise) {
        const cnt = rowCount * (lastc - firstc + 1);
        const p = r * nc + c;
        const Imean = s0 / cnt;
        const Jmean = s2 / cnt;
        const o = p * 5;
        out[o] = staticImage[p] - Imean;
        out[o + 1] = movingImage[p] - Jmean;
        out[o + 2] = s4 - Jmean * s0 - Imean * s2 + cnt * Jmean * Imean;
        out[o + 3] = s1 - Imean * s0 - Imean * s0 + cnt * Imean * Imean;
        out[o + 4] = s3 - Jmean * s2 - Jmean * s2 + cnt * Jmean * Jmean;
      }
    }
  }

  // The last r rows of every column: drop the oldest slot from the running totals.
  const pStart = nr - radius > 0 ? nr - radius : 0;
  for (let p = pStart; p < nr; p++) {
    const q = (p + radius) % side;
    const rowCount = nr - (p - radius > 0 ? p - radius : 0);
    for (let c = 0; c < nc; c++) {
      const firstc = c - radius > 0 ? c - radius : 0;
      const lastc = c + radius < nc - 1 ? c + radius : nc - 1;
      const t = c * 5;
      const k = c * slotStride + q * 5;
      const s0 = (tails[t] -= slots[k]);
      const s1 = (tails[t + 1] -= slots[k + 1]);
      const s2 = (tails[t + 2] -= slots[k + 2]);
      const s3 = (tails[t + 3] -= slots[k + 3]);
      const s4 = (tails[t + 4] -= slots[k + 4]);
      const cnt = rowCount * (lastc - firstc + 1);
      const pix = p * nc + c;
      const Imean = s0 / cnt;
      const Jmean = s2 / cnt;
      const o = pix * 5;
      out[o] = staticImage[pix] - Imean;
      out[o + 1] = movingImage[pix] - Jmean;
      out[o + 2] = s4 - Jmean * s0 - Imean * s2 + cnt * Jmean * Imean;
      out[o + 3] = s1 - Imean * s0 - Imean * s0 + cnt * Imean * Imean;
      out[o + 4] = s3 - Jmean * s2 - Jmean * s2 + cnt * Jmean * Jmean;
    }
  }
}

// Per-row condition bits of ccFactors3d, passed to span3d.
const F_IN_SQ = 1;
const F_S_PREV = 2;
const F_Q_PREV = 4;
const F_S_OLD = 8;
const F_S_OLD_Q_IN = 16;
const F_S_OLD_Q_OLD = 32;
const F_Q_OLD_S_IN = 64;
const F_FINAL = 128;
const F_ALL = 255;

/**
 * 3D local CC factors with DIPY's running-sum scheme (docs/algorithm.md §5.2): a
 * summed volume of the last `2r+1` samples along each axis, kept in two slice
 * buffers (`2·nr·nc·5` doubles) with ring indexing on every axis, products in
 * double.
 *
 * @param out - `ns·nr·nc·5` float32 values, written completely: per voxel `[F0..F4]`.
 * @param staticImage - `ns·nr·nc` float32 static volume (grid space, C order).
 * @param movingImage - `ns·nr·nc` float32 moving volume on the same grid.
 * @param shape - `[ns, nr, nc]` (voxels); every axis is expected to hold at
 *   least `2r+1` voxels (the CC metric checks this; DIPY's scheme is only
 *   defined for such shapes).
 * @param radius - window radius `r` in voxels.
 */
export function ccFactors3d(out: Float32Array, staticImage: Float32Array, movingImage: Float32Array,
  shape: Shape3D, radius: number): void {
  const temp = new Float64Array(2 * shape[1] * shape[2] * 5);
  factors3dRange(out, 0, staticImage, movingImage, shape, radius, temp, 0, shape[0] + radius);
}

/**
 * Resumable {@link ccFactors3d}, for computing the factors slab by slab with the same
 * numbers: runs the iterations `s ∈ [sFrom, sTo)` of the running-sum scheme, each of
 * which (for `s ≥ radius`) completes factor slice `s − radius`. Start with `sFrom = 0`
 * and a zero-filled `state`, continue with `sFrom` = the previous `sTo`; after the
 * iterations up to `ns + radius` every slice has been written once. The images must
 * not change in between.
 *
 * @param out - receives the completed slices: slice `z` at slice offset `z − outFirstSlice`
 *   (`nr·nc·5` float32 per slice, `[F0..F4]` per voxel); must hold those slices.
 * @param outFirstSlice - the absolute slice index stored at the start of `out`.
 * @param staticImage - `ns·nr·nc` float32 static volume (the whole grid).
 * @param movingImage - `ns·nr·nc` float32 moving volume on the same grid.
 * @param shape - `[ns, nr, nc]` (voxels).
 * @param radius - window radius `r` in voxels.
 * @param state - the running sums between calls: `2·nr·nc·5` doubles, zero-filled at the start.
 * @param sFrom - first iteration to run (0 ≤ sFrom ≤ sTo).
 * @param sTo - end of the iterations (≤ ns + radius).
 */
export function ccFactors3dStream(out: Float32Array, outFirstSlice: number, staticImage: Float32Array, movingImage: Float32Array,
  shape: Shape3D, radius: number, state: Float64Array, sFrom: number, sTo: number): void {
  factors3dRange(out, outFirstSlice, staticImage, movingImage, shape, radius, state, sFrom, sTo);
}

function factors3dRange(out: Float32Array, outFirstSlice: number, staticImage: Float32Array, movingImage: Float32Array,
  shape: Shape3D, radius: number, temp: Float64Array, sFrom: number, sTo: number): void {
  const ns = shape[0];
  const nr = shape[1];
  const nc = shape[2];
  const side = 2 * radius + 1;
  const nrc = nr * nc;
  const rowStride = nc * 5;
  const plane = nr * rowStride;
  const st = staticImage;
  const mv = movingImage;
  const qEnd = nr + radius;
  const cEnd = nc + radius;
  // out holds slices from outFirstSlice on: output index = 5·(voxel index) − oShift
  const oShift = outFirstSlice * nrc * 5;

  for (let s = sFrom; s < sTo; s++) {
    const cur = s & 1;
    const ss = s - radius < 0 ? s - radius + ns : s - radius;
    const curBase = cur * plane;
    const prevBase = (1 - cur) * plane;
    const firsts = ss - radius > 0 ? ss - radius : 0;
    const lasts = ss + radius < ns - 1 ? ss + radius : ns - 1;
    const sides = lasts - firsts + 1;
    const sIn = s < ns;
    const sHasPrev = s > 0;
    const sOld = s >= side;
    const sFinal = s >= radius;
    const sOff = s * nrc;
    const soOff = (s - side) * nrc;
    for (let q = 0; q < qEnd; q++) {
      const rr = q - radius < 0 ? q - radius + nr : q - radius;
      const prr = rr - 1 < 0 ? rr - 1 + nr : rr - 1;
      const firstr = rr - radius > 0 ? rr - radius : 0;
      const lastr = rr + radius < nr - 1 ? rr + radius : nr - 1;
      const sidesr = sides * (lastr - firstr + 1);
      const qIn = q < nr;
      const qHasPrev = q > 0;
      const qOld = q >= side;
      const final = sFinal && q >= radius;
      const rowCur = curBase + rr * rowStride;
      const rowCurP = curBase + prr * rowStride;
      const rowPrev = prevBase + rr * rowStride;
      const rowPrevP = prevBase + prr * rowStride;
      // Flat voxel offsets of rows (s,q), (s−side,q), (s,q−side), (s−side,q−side).
      const vSQ = sOff + q * nc;
      const vSoQ = soOff + q * nc;
      const vSQo = sOff + (q - side) * nc;
      const vSoQo = soOff + (q - side) * nc;
      const inSQ = sIn && qIn;
      const outRow = (ss * nr + rr) * nc;
      const flags = (inSQ ? F_IN_SQ : 0) | (sHasPrev ? F_S_PREV : 0) | (qHasPrev ? F_Q_PREV : 0)
        | (sOld ? F_S_OLD : 0) | (sOld && qIn ? F_S_OLD_Q_IN : 0) | (sOld && qOld ? F_S_OLD_Q_OLD : 0)
        | (qOld && sIn ? F_Q_OLD_S_IN : 0) | (final ? F_FINAL : 0);
      for (let c = 0; c < cEnd; c++) {
        // Columns side..nc−1 (the bulk) take the branch-light path.
        if (c === side && side < nc) {
          c = flags === F_ALL
            ? span3dFull(temp, out, st, mv, c, nc, radius, side, rowCur, rowCurP, rowPrev, rowPrevP,
              vSQ, vSoQ, vSQo, vSoQo, outRow, sidesr, oShift)
            : span3d(temp, out, st, mv, c, nc, radius, side, flags, rowCur, rowCurP, rowPrev, rowPrevP,
              vSQ, vSoQ, vSQo, vSoQo, outRow, sidesr, oShift);
          continue;
        }
        const cc = c - radius < 0 ? c - radius + nc : c - radius;
        const pcc = cc - 1 < 0 ? cc - 1 + nc : cc - 1;
        const cIn = c < nc;
        const cHasPrev = c > 0;
        const cOld = c >= side;
        let t0 = 0, t1 = 0, t2 = 0, t3 = 0, t4 = 0;
        let I: number, J: number, k: number;
        // New corner: the values of voxel (s, q, c), or zero outside the image.
        if (inSQ && cIn) {
          I = st[vSQ + c];
          J = mv[vSQ + c];
          t0 = I; t1 = I * I; t2 = J; t3 = J * J; t4 = I * J;
        }
        const kcc = cc * 5;
        const kpcc = pcc * 5;
        // Signed sub-volumes from the previous slice and from this slice.
        if (sHasPrev) {
          k = rowPrev + kcc;
          t0 += temp[k]; t1 += temp[k + 1]; t2 += temp[k + 2]; t3 += temp[k + 3]; t4 += temp[k + 4];
          if (qHasPrev) {
            k = rowPrevP + kcc;
            t0 -= temp[k]; t1 -= temp[k + 1]; t2 -= temp[k + 2]; t3 -= temp[k + 3]; t4 -= temp[k + 4];
            if (cHasPrev) {
              k = rowPrevP + kpcc;
              t0 += temp[k]; t1 += temp[k + 1]; t2 += temp[k + 2]; t3 += temp[k + 3]; t4 += temp[k + 4];
            }
          }
          if (cHasPrev) {
            k = rowPrev + kpcc;
            t0 -= temp[k]; t1 -= temp[k + 1]; t2 -= temp[k + 2]; t3 -= temp[k + 3]; t4 -= temp[k + 4];
          }
        }
        if (qHasPrev) {
          k = rowCurP + kcc;
          t0 += temp[k]; t1 += temp[k + 1]; t2 += temp[k + 2]; t3 += temp[k + 3]; t4 += temp[k + 4];
          if (cHasPrev) {
            k = rowCurP + kpcc;
            t0 -= temp[k]; t1 -= temp[k + 1]; t2 -= temp[k + 2]; t3 -= temp[k + 3]; t4 -= temp[k + 4];
          }
        }
        if (cHasPrev) {
          k = rowCur + kpcc;
          t0 += temp[k]; t1 += temp[k + 1]; t2 += temp[k + 2]; t3 += temp[k + 3]; t4 += temp[k + 4];
        }
        // Signed corners leaving the window (voxels outside the image contribute nothing).
        if (sOld) {
          if (qIn && cIn) {
            k = vSoQ + c; I = st[k]; J = mv[k];
            t0 -= I; t1 -= I * I; t2 -= J; t3 -= J * J; t4 -= I * J;
          }
          if (qOld) {
            if (cIn) {
              k = vSoQo + c; I = st[k]; J = mv[k];
              t0 += I; t1 += I * I; t2 += J; t3 += J * J; t4 += I * J;
            }
            if (cOld) {
              k = vSoQo + c - side; I = st[k]; J = mv[k];
              t0 -= I; t1 -= I * I; t2 -= J; t3 -= J * J; t4 -= I * J;
            }
          }
          if (cOld && qIn) {
            k = vSoQ + c - side; I = st[k]; J = mv[k];
            t0 += I; t1 += I * I; t2 += J; t3 += J * J; t4 += I * J;
          }
        }
        if (qOld && sIn) {
          if (cIn) {
            k = vSQo + c; I = st[k]; J = mv[k];
            t0 -= I; t1 -= I * I; t2 -= J; t3 -= J * J; t4 -= I * J;
          }
          if (cOld) {
            k = vSQo + c - side; I = st[k]; J = mv[k];
            t0 += I; t1 += I * I; t2 += J; t3 += J * J; t4 += I * J;
          }
        }
        if (cOld && inSQ) {
          k = vSQ + c - side; I = st[k]; J = mv[k];
          t0 -= I; t1 -= I * I; t2 -= J; t3 -= J * J; t4 -= I * J;
        }
        k = rowCur + kcc;
        temp[k] = t0; temp[k + 1] = t1; temp[k + 2] = t2; temp[k + 3] = t3; temp[k + 4] = t4;

        if (final && c >= radius) {
          const firstc = cc - radius > 0 ? cc - radius : 0;
          const lastc = cc + radius < nc - 1 ? cc + radius : nc - 1;
          const cnt = sidesr * (lastc - firstc + 1);
          const Imean = t0 / cnt;
          const Jmean = t2 / cnt;
          const p = outRow + cc;
          const o = p * 5 - oShift;
          out[o] = st[p] - Imean;
          out[o + 1] = mv[p] - Jmean;
          out[o + 2] = t4 - Jmean * t0 - Imean * t2 + cnt * Jmean * Imean;
          out[o + 3] = t1 - Imean * t0 - Imean * t0 + cnt * Imean * Imean;
          out[o + 4] = t3 - Jmean * t2 - Jmean * t2 + cnt * Jmean * Jmean;
        }
      }
    }
  }
}

/**
 * The span `c ∈ [side, nc)` of one (s, q) row of {@link ccFactors3d}, where the
 * column conditions all hold (a previous column exists, the leaving column
 * `c − side` exists, no wrap-around): the same operations in the same order
 * as the generic loop, with only the per-row conditions left (perfectly
 * predictable branches), carrying the just-computed sum `C[rr][cc−1]` in
 * registers. Returns the last `c` processed.
 */
function span3d(temp: Float64Array, out: Float32Array, st: Float32Array, mv: Float32Array,
  cStart: number, nc: number, radius: number, side: number, flags: number,
  rowCur: number, rowCurP: number, rowPrev: number, rowPrevP: number,
  vSQ: number, vSoQ: number, vSQo: number, vSoQo: number, outRow: number, sidesr: number, oShift: number): number {
  const inSQ = (flags & F_IN_SQ) !== 0;
  const sHasPrev = (flags & F_S_PREV) !== 0;
  const qHasPrev = (flags & F_Q_PREV) !== 0;
  const sOld = (flags & F_S_OLD) !== 0;
  const sOldQIn = (flags & F_S_OLD_Q_IN) !== 0;
  const sOldQOld = (flags & F_S_OLD_Q_OLD) !== 0;
  const qOldSIn = (flags & F_Q_OLD_S_IN) !== 0;
  const final = (flags & F_FINAL) !== 0;
  let k = rowCur + (cStart - radius - 1) * 5;
  let p0 = temp[k], p1 = temp[k + 1], p2 = temp[k + 2], p3 = temp[k + 3], p4 = temp[k + 4];
  let c = cStart;
  for (; c < nc; c++) {
    const cc = c - radius;
    const kcc = cc * 5;
    const kpcc = kcc - 5;
    const cs = c - side;
    let I: number, J: number;
    let t0 = 0, t1 = 0, t2 = 0, t3 = 0, t4 = 0;
    if (inSQ) {
      k = vSQ + c; I = st[k]; J = mv[k];
      t0 = I; t1 = I * I; t2 = J; t3 = J * J; t4 = I * J;
    }
    if (sHasPrev) {
      k = rowPrev + kcc;
      t0 += temp[k]; t1 += temp[k + 1]; t2 += temp[k + 2]; t3 += temp[k + 3]; t4 += temp[k + 4];
      if (qHasPrev) {
        k = rowPrevP + kcc;
        t0 -= temp[k]; t1 -= temp[k + 1]; t2 -= temp[k + 2]; t3 -= temp[k + 3]; t4 -= temp[k + 4];
        k = rowPrevP + kpcc;
        t0 += temp[k]; t1 += temp[k + 1]; t2 += temp[k + 2]; t3 += temp[k + 3]; t4 += temp[k + 4];
      }
      k = rowPrev + kpcc;
      t0 -= temp[k]; t1 -= temp[k + 1]; t2 -= temp[k + 2]; t3 -= temp[k + 3]; t4 -= temp[k + 4];
    }
    if (qHasPrev) {
      k = rowCurP + kcc;
      t0 += temp[k]; t1 += temp[k + 1]; t2 += temp[k + 2]; t3 += temp[k + 3]; t4 += temp[k + 4];
      k = rowCurP + kpcc;
      t0 -= temp[k]; t1 -= temp[k + 1]; t2 -= temp[k + 2]; t3 -= temp[k + 3]; t4 -= temp[k + 4];
    }
    t0 += p0; t1 += p1; t2 += p2; t3 += p3; t4 += p4;
    if (sOld) {
      if (sOldQIn) {
        k = vSoQ + c; I = st[k]; J = mv[k];
        t0 -= I; t1 -= I * I; t2 -= J; t3 -= J * J; t4 -= I * J;
      }
      if (sOldQOld) {
        k = vSoQo + c; I = st[k]; J = mv[k];
        t0 += I; t1 += I * I; t2 += J; t3 += J * J; t4 += I * J;
        k = vSoQo + cs; I = st[k]; J = mv[k];
        t0 -= I; t1 -= I * I; t2 -= J; t3 -= J * J; t4 -= I * J;
      }
      if (sOldQIn) {
        k = vSoQ + cs; I = st[k]; J = mv[k];
        t0 += I; t1 += I * I; t2 += J; t3 += J * J; t4 += I * J;
      }
    }
    if (qOldSIn) {
      k = vSQo + c; I = st[k]; J = mv[k];
      t0 -= I; t1 -= I * I; t2 -= J; t3 -= J * J; t4 -= I * J;
      k = vSQo + cs; I = st[k]; J = mv[k];
      t0 += I; t1 += I * I; t2 += J; t3 += J * J; t4 += I * J;
    }
    if (inSQ) {
      k = vSQ + cs; I = st[k]; J = mv[k];
      t0 -= I; t1 -= I * I; t2 -= J; t3 -= J * J; t4 -= I * J;
    }
    k = rowCur + kcc;
    temp[k] = t0; temp[k + 1] = t1; temp[k + 2] = t2; temp[k + 3] = t3; temp[k + 4] = t4;
    p0 = t0; p1 = t1; p2 = t2; p3 = t3; p4 = t4;

    if (final) {
      const firstc = cc - radius > 0 ? cc - radius : 0;
      const lastc = cc + radius < nc - 1 ? cc + radius : nc - 1;
      const cnt = sidesr * (lastc - firstc + 1);
      const Imean = t0 / cnt;
      const Jmean = t2 / cnt;
      const p = outRow + cc;
      const o = p * 5 - oShift;
      out[o] = st[p] - Imean;
      out[o + 1] = mv[p] - Jmean;
      out[o + 2] = t4 - Jmean * t0 - Imean * t2 + cnt * Jmean * Imean;
      out[o + 3] = t1 - Imean * t0 - Imean * t0 + cnt * Imean * Imean;
      out[o + 4] = t3 - Jmean * t2 - Jmean * t2 + cnt * Jmean * Jmean;
    }
  }
  return c - 1;
}

/** {@link span3d} specialised for rows where every condition holds (the bulk of the volume). */
function span3dFull(temp: Float64Array, out: Float32Array, st: Float32Array, mv: Float32Array,
  cStart: number, nc: number, radius: number, side: number,
  rowCur: number, rowCurP: number, rowPrev: number, rowPrevP: number,
  vSQ: number, vSoQ: number, vSQo: number, vSoQo: number, outRow: number, sidesr: number, oShift: number): number {
  let k = rowCur + (cStart - radius - 1) * 5;
  let p0 = temp[k], p1 = temp[k + 1], p2 = temp[k + 2], p3 = temp[k + 3], p4 = temp[k + 4];
  let c = cStart;
  for (; c < nc; c++) {
    const cc = c - radius;
    const kcc = cc * 5;
    const kpcc = kcc - 5;
    const cs = c - side;
    k = vSQ + c;
    let I = st[k];
    let J = mv[k];
    let t0 = I, t1 = I * I, t2 = J, t3 = J * J, t4 = I * J;
    k = rowPrev + kcc;
    t0 += temp[k]; t1 += temp[k + 1]; t2 += temp[k + 2]; t3 += temp[k + 3]; t4 += temp[k + 4];
    k = rowPrevP + kcc;
    t0 -= temp[k]; t1 -= temp[k + 1]; t2 -= temp[k + 2]; t3 -= temp[k + 3]; t4 -= temp[k + 4];
    k = rowPrevP + kpcc;
    t0 += temp[k]; t1 += temp[k + 1]; t2 += temp[k + 2]; t3 += temp[k + 3]; t4 += temp[k + 4];
    k = rowPrev + kpcc;
    t0 -= temp[k]; t1 -= temp[k + 1]; t2 -= temp[k + 2]; t3 -= temp[k + 3]; t4 -= temp[k + 4];
    k = rowCurP + kcc;
    t0 += temp[k]; t1 += temp[k + 1]; t2 += temp[k + 2]; t3 += temp[k + 3]; t4 += temp[k + 4];
    k = rowCurP + kpcc;
    t0 -= temp[k]; t1 -= temp[k + 1]; t2 -= temp[k + 2]; t3 -= temp[k + 3]; t4 -= temp[k + 4];
    t0 += p0; t1 += p1; t2 += p2; t3 += p3; t4 += p4;
    k = vSoQ + c; I = st[k]; J = mv[k];
    t0 -= I; t1 -= I * I; t2 -= J; t3 -= J * J; t4 -= I * J;
    k = vSoQo + c; I = st[k]; J = mv[k];
    t0 += I; t1 += I * I; t2 += J; t3 += J * J; t4 += I * J;
    k = vSoQo + cs; I = st[k]; J = mv[k];
    t0 -= I; t1 -= I * I; t2 -= J; t3 -= J * J; t4 -= I * J;
    k = vSoQ + cs; I = st[k]; J = mv[k];
    t0 += I; t1 += I * I; t2 += J; t3 += J * J; t4 += I * J;
    k = vSQo + c; I = st[k]; J = mv[k];
    t0 -= I; t1 -= I * I; t2 -= J; t3 -= J * J; t4 -= I * J;
    k = vSQo + cs; I = st[k]; J = mv[k];
    t0 += I; t1 += I * I; t2 += J; t3 += J * J; t4 += I * J;
    k = vSQ + cs; I = st[k]; J = mv[k];
    t0 -= I; t1 -= I * I; t2 -= J; t3 -= J * J; t4 -= I * J;
    k = rowCur + kcc;
    temp[k] = t0; temp[k + 1] = t1; temp[k + 2] = t2; temp[k + 3] = t3; temp[k + 4] = t4;
    p0 = t0; p1 = t1; p2 = t2; p3 = t3; p4 = t4;

    const firstc = cc - radius > 0 ? cc - radius : 0;
    const lastc = cc + radius < nc - 1 ? cc + radius : nc - 1;
    const cnt = sidesr * (lastc - firstc + 1);
    const Imean = t0 / cnt;
    const Jmean = t2 / cnt;
    const p = outRow + cc;
    const o = p * 5 - oShift;
    out[o] = st[p] - Imean;
    out[o + 1] = mv[p] - Jmean;
    out[o + 2] = t4 - Jmean * t0 - Imean * t2 + cnt * Jmean * Imean;
    out[o + 3] = t1 - Imean * t0 - Imean * t0 + cnt * Imean * Imean;
    out[o + 4] = t3 - Jmean * t2 - Jmean * t2 + cnt * Jmean * Jmean;
  }
  return c - 1;
}

/**
 * CC forward step in 2D before smoothing: moves the moving image towards the
 * static one, `u = f32(0 − t·∇I)` with `t = 2·F2/(F3·F4)·(F1 − F2/F3·F0)`, on
 * pixels with both indices in `[r, n−r−1]`; every other pixel (the band of width
 * `r`, and pixels with `F3 = 0` or `F4 = 0`) is set to 0.
 *
 * @param out - `nr·nc·2` float32 step (units of `gradStatic`), written completely.
 * @param gradStatic - `nr·nc·2` gradient of the static image (component k along axis k).
 * @param factors - `nr·nc·5` factors from {@link ccFactors2d}.
 * @param shape - `[nr, nc]` (voxels).
 * @param radius - the radius the factors were computed with (voxels).
 * @returns the energy `−Σ cc` over the visited pixels (sequential double sum; `cc ≥ 1` is skipped).
 */
export function ccForwardStep2d(out: Float32Array, gradStatic: Float32Array, factors: Float32Array,
  shape: Shape2D, radius: number): number {
  return ccStep2d(out, gradStatic, factors, shape, radius, true);
}

/**
 * CC backward step in 2D before smoothing: moves the static image towards the
 * moving one, `v = f32(0 − t·∇J)` with `t = 2·F2/(F3·F4)·(F0 − F2/F4·F1)`; same
 * interior, zero band and energy as {@link ccForwardStep2d}.
 *
 * @param out - `nr·nc·2` float32 step (units of `gradMoving`), written completely.
 * @param gradMoving - `nr·nc·2` gradient of the moving image.
 * @param factors - `nr·nc·5` factors from {@link ccFactors2d}.
 * @param shape - `[nr, nc]` (voxels).
 * @param radius - window radius (voxels).
 * @returns the energy `−Σ cc` (identical to the forward one).
 */
export function ccBackwardStep2d(out: Float32Array, gradMoving: Float32Array, factors: Float32Array,
  shape: Shape2D, radius: number): number {
  return ccStep2d(out, gradMoving, factors, shape, radius, false);
}

/**
 * 3D CC forward step (see {@link ccForwardStep2d}); `out` and `gradStatic` are
 * `ns·nr·nc·3`, `factors` `ns·nr·nc·5`, the band of width `r` on every face is 0.
 * @returns the energy `−Σ cc`.
 */
export function ccForwardStep3d(out: Float32Array, gradStatic: Float32Array, factors: Float32Array,
  shape: Shape3D, radius: number): number {
  return ccStep3d(out, gradStatic, factors, shape, radius, true);
}

/**
 * 3D CC backward step (see {@link ccBackwardStep2d}); `out` and `gradMoving` are
 * `ns·nr·nc·3`, `factors` `ns·nr·nc·5`.
 * @returns the energy `−Σ cc` (identical to the forward one).
 */
export function ccBackwardStep3d(out: Float32Array, gradMoving: Float32Array, factors: Float32Array,
  shape: Shape3D, radius: number): number {
  return ccStep3d(out, gradMoving, factors, shape, radius, false);
}

// Both directions share one loop: the backward step is the forward formula with
// the roles of (F0, F3) and (F1, F4) swapped (`iy`, `ix`, `ia`, `ib` are the factor
// slots of Y, X, A, B in t = 2·F2/(A·B)·(X − F2/A·Y)); products commute exactly in
// IEEE arithmetic, so this is bit-identical to DIPY's two kernels.
function ccStep2d(out: Float32Array, grad: Float32Array, factors: Float32Array, shape: Shape2D,
  radius: number, forward: boolean): number {
  const nr = shape[0];
  const nc = shape[1];
  const iy = forward ? 0 : 1;
  const ix = forward ? 1 : 0;
  const ia = forward ? 3 : 4;
  const ib = forward ? 4 : 3;
  out.fill(0);
  let energy = 0;
  for (let r = radius; r < nr - radius; r++) {
    const row = r * nc;
    for (let c = radius; c < nc - radius; c++) {
      const p = row + c;
      const f = p * 5;
      const sfm = factors[f + 2];
      const A = factors[f + ia];
      const B = factors[f + ib];
      if (A === 0 || B === 0) continue;
      const AB = A * B;
      let lc = 0;
      if (AB > 1e-5) lc = (sfm * sfm) / AB;
      if (lc < 1) energy -= lc;
      const t = ((2 * sfm) / AB) * (factors[f + ix] - (sfm / A) * factors[f + iy]);
      const g = 2 * p;
      out[g] = 0 - t * grad[g];
      out[g + 1] = 0 - t * grad[g + 1];
    }
  }
  return energy;
}

function ccStep3d(out: Float32Array, grad: Float32Array, factors: Float32Array, shape: Shape3D,
  radius: number, forward: boolean): number {
  const ns = shape[0];
  const nr = shape[1];
  const nc = shape[2];
  const iy = forward ? 0 : 1;
  const ix = forward ? 1 : 0;
  const ia = forward ? 3 : 4;
  const ib = forward ? 4 : 3;
  out.fill(0);
  let energy = 0;
  for (let s = radius; s < ns - radius; s++) {
    for (let r = radius; r < nr - radius; r++) {
      const row = (s * nr + r) * nc;
      for (let c = radius; c < nc - radius; c++) {
        const p = row + c;
        const f = p * 5;
        const sfm = factors[f + 2];
        const A = factors[f + ia];
        const B = factors[f + ib];
        if (A === 0 || B === 0) continue;
        const AB = A * B;
        let lc = 0;
        if (AB > 1e-5) lc = (sfm * sfm) / AB;
        if (lc < 1) energy -= lc;
        const t = ((2 * sfm) / AB) * (factors[f + ix] - (sfm / A) * factors[f + iy]);
        const g = 3 * p;
        out[g] = 0 - t * grad[g];
        out[g + 1] = 0 - t * grad[g + 1];
        out[g + 2] = 0 - t * grad[g + 2];
      }
    }
  }
  return energy;
}

/**
 * The 3D CC energy (the value {@link ccForwardStep3d} and {@link ccBackwardStep3d}
 * return) over the slices `[sFrom, sTo)` of the grid, continuing the sum `acc`: per
 * voxel at least `radius` from every border of the whole grid, in raster order,
 * `cc = F2²/(F3·F4)` (0 when `F3·F4 ≤ 1e-5`; voxels with `F3 = 0` or `F4 = 0` skipped)
 * and `acc −= cc` when `cc < 1`. Called over consecutive slice ranges, it gives the
 * whole-grid energy bit for bit.
 *
 * @param factors - factor slices from `firstSlice` on (`nr·nc·5` float32 per slice),
 *   holding at least the slices `[sFrom, sTo)`.
 * @param firstSlice - the absolute slice index stored at the start of `factors`.
 * @param shape - `[ns, nr, nc]` of the whole grid (voxels).
 * @param radius - window radius (voxels).
 * @param acc - the energy of the slices before `sFrom` (0 to start).
 * @returns `acc` plus this range's contributions (dimensionless).
 */
export function ccEnergy3d(factors: Float32Array, firstSlice: number, shape: Shape3D, radius: number,
  sFrom: number, sTo: number, acc: number): number {
  const ns = shape[0];
  const nr = shape[1];
  const nc = shape[2];
  let energy = acc;
  const s0 = Math.max(sFrom, radius);
  const s1 = Math.min(sTo, ns - radius);
  for (let s = s0; s < s1; s++) {
    for (let r = radius; r < nr - radius; r++) {
      const row = ((s - firstSlice) * nr + r) * nc;
      for (let c = radius; c < nc - radius; c++) {
        const f = (row + c) * 5;
        const sfm = factors[f + 2];
        const A = factors[f + 3];
        const B = factors[f + 4];
        if (A === 0 || B === 0) continue;
        const AB = A * B;
        let lc = 0;
        if (AB > 1e-5) lc = (sfm * sfm) / AB;
        if (lc < 1) energy -= lc;
      }
    }
  }
  return energy;
}
