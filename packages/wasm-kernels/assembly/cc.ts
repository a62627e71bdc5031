/**
 * Local cross-correlation kernels (docs/algorithm.md §5.2), the WebAssembly port of
 * `packages/core/src/kernels/cc.ts`.
 *
 * 3D factors: DIPY's running-sum scheme (summed volume of the last `2r+1`
 * samples along each axis, two slice buffers with ring indexing on every axis,
 * products in double), with the same sequence of additions and subtractions per
 * voxel as the TypeScript kernel. The five window sums of a voxel go through
 * exactly the same sequence of operations, so they are kept in SIMD lanes:
 * `(ΣI, ΣJ)`, `(ΣI², ΣJ²)`, `(ΣIJ, unused)` — each lane is its own sum, nothing
 * is reassociated. The running-sum buffer holds 6 doubles per voxel in that order.
 *
 * Steps: `u = f32(0 − t·∇)` with `t = 2·F2/(A·B)·(X − F2/A·Y)` on the interior,
 * energy `−Σ cc` in raster order (see the TypeScript module for the maths).
 */
import { f32r } from './common';
import { ld2 } from './simd';

/** Bytes per voxel of the running-sum buffer. */
const VB: i32 = 48;

// @ts-ignore: decorator
@inline function sq(IJ: v128): v128 {
  return f64x2.mul(IJ, IJ);
}
/** `(I·J, J·0)`: the cross product in lane 0. */
// @ts-ignore: decorator
@inline function cross(IJ: v128): v128 {
  return f64x2.mul(IJ, v128.shuffle<f64>(IJ, f64x2.splat(0), 1, 2));
}

/**
 * Writes the five factors of voxel `p` from its window sums (see the module header)
 * at float32 index `5·p − oShift` of `out`.
 */
// @ts-ignore: decorator
@inline function finish(out: usize, oShift: i32, st: usize, mv: usize, p: i32, cnt: f64, T0: v128, T1: v128, T2: v128): void {
  const CNT = f64x2.splat(cnt);
  const M = f64x2.div(T0, CNT); // (Imean, Jmean)
  const imean = f64x2.extract_lane(M, 0), jmean = f64x2.extract_lane(M, 1);
  const t0 = f64x2.extract_lane(T0, 0), t2 = f64x2.extract_lane(T0, 1), t4 = f64x2.extract_lane(T2, 0);
  const o = out + (<usize>(p * 5 - oShift) << 2);
  const F01 = f32x4.demote_f64x2_zero(f64x2.sub(ld2(st + (<usize>p << 2), mv + (<usize>p << 2)), M));
  v128.store64_lane(o, F01, 0);
  store<f32>(o, <f32>(t4 - jmean * t0 - imean * t2 + cnt * jmean * imean), 8);
  const MT = f64x2.mul(M, T0);
  const F34 = f32x4.demote_f64x2_zero(f64x2.add(f64x2.sub(f64x2.sub(T1, MT), MT), f64x2.mul(f64x2.mul(CNT, M), M)));
  v128.store64_lane(o, F34, 0, 12);
}

/**
 * 3D local CC factors, resumable: runs the iterations `s ∈ [sFrom, sTo)` of the
 * running-sum scheme (iteration `s ≥ r` completes factor slice `s − r`; the whole
 * volume is `[0, ns + r)`). `temp` holds the running sums between calls: `2·nr·nc·48`
 * bytes, zero-filled before iteration 0 (see {@link ccStateConvert} for its layout).
 * Factor slice `z` is written at slice offset `z − outFirstSlice` of `out`
 * (`nr·nc·5` float32 per slice).
 */
export function ccFactors3d(out: usize, outFirstSlice: i32, st: usize, mv: usize, ns: i32, nr: i32, nc: i32, radius: i32,
  temp: usize, sFrom: i32, sTo: i32): void {
  const side = 2 * radius + 1;
  const nrc = nr * nc;
  const rowStride = nc * VB;
  const plane = nr * rowStride;
  const qEnd = nr + radius;
  const cEnd = nc + radius;
  const Z = f64x2.splat(0);
  const oShift = outFirstSlice * nrc * 5;

  for (let s = sFrom; s < sTo; s++) {
    const ss = s - radius < 0 ? s - radius + ns : s - radius;
    const cur = s & 1;
    const curBase = temp + <usize>(cur * plane);
    const prevBase = temp + <usize>((1 - cur) * plane);
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
      const rowCur = curBase + <usize>(rr * rowStride);
      const rowCurP = curBase + <usize>(prr * rowStride);
      const rowPrev = prevBase + <usize>(rr * rowStride);
      const rowPrevP = prevBase + <usize>(prr * rowStride);
      // Flat voxel offsets of rows (s,q), (s−side,q), (s,q−side), (s−side,q−side).
      const vSQ = sOff + q * nc;
      const vSoQ = soOff + q * nc;
      const vSQo = sOff + (q - side) * nc;
      const vSoQo = soOff + (q - side) * nc;
      const inSQ = sIn && qIn;
      const outRow = (ss * nr + rr) * nc;
      for (let c = 0; c < cEnd; c++) {
        if (c == side && side < nc) {
          c = span3d(out, oShift, st, mv, temp, c, nc, radius, side, inSQ, sHasPrev, qHasPrev, sOld, sOld && qIn, sOld && qOld,
            qOld && sIn, final, rowCur, rowCurP, rowPrev, rowPrevP, vSQ, vSoQ, vSQo, vSoQo, outRow, sidesr);
          continue;
        }
        const cc = c - radius < 0 ? c - radius + nc : c - radius;
        const pcc = cc - 1 < 0 ? cc - 1 + nc : cc - 1;
        const cIn = c < nc;
        const cHasPrev = c > 0;
        const cOld = c >= side;
        let T0 = Z, T1 = Z, T2 = Z;
        let IJ: v128;
        let k: usize;
        if (inSQ && cIn) {
          k = <usize>(vSQ + c) << 2;
          IJ = ld2(st + k, mv + k);
          T0 = IJ; T1 = sq(IJ); T2 = cross(IJ);
        }
        const kcc = <usize>(cc * VB);
        const kpcc = <usize>(pcc * VB);
        if (sHasPrev) {
          k = rowPrev + kcc;
          T0 = f64x2.add(T0, v128.load(k)); T1 = f64x2.add(T1, v128.load(k, 16)); T2 = f64x2.add(T2, v128.load(k, 32));
          if (qHasPrev) {
            k = rowPrevP + kcc;
            T0 = f64x2.sub(T0, v128.load(k)); T1 = f64x2.sub(T1, v128.load(k, 16)); T2 = f64x2.sub(T2, v128.load(k, 32));
            if (cHasPrev) {
              k = rowPrevP + kpcc;
              T0 = f64x2.add(T0, v128.load(k)); T1 = f64x2.add(T1, v128.load(k, 16)); T2 = f64x2.add(T2, v128.load(k, 32));
            }
          }
          if (cHasPrev) {
            k = rowPrev + kpcc;
            T0 = f64x2.sub(T0, v128.load(k)); T1 = f64x2.sub(T1, v128.load(k, 16)); T2 = f64x2.sub(T2, v128.load(k, 32));
          }
        }
        if (qHasPrev) {
          k = rowCurP + kcc;
          T0 = f64x2.add(T0, v128.load(k)); T1 = f64x2.add(T1, v128.load(k, 16)); T2 = f64x2.add(T2, v128.load(k, 32));
          if (cHasPrev) {
            k = rowCurP + kpcc;
            T0 = f64x2.sub(T0, v128.load(k)); T1 = f64x2.sub(T1, v128.load(k, 16)); T2 = f64x2.sub(T2, v128.load(k, 32));
          }
        }
        if (cHasPrev) {
          k = rowCur + kpcc;
          T0 = f64x2.add(T0, v128.load(k)); T1 = f64x2.add(T1, v128.load(k, 16)); T2 = f64x2.add(T2, v128.load(k, 32));
        }
        if (sOld) {
          if (qIn && cIn) {
            k = <usize>(vSoQ + c) << 2; IJ = ld2(st + k, mv + k);
            T0 = f64x2.sub(T0, IJ); T1 = f64x2.sub(T1, sq(IJ)); T2 = f64x2.sub(T2, cross(IJ));
          }
          if (qOld) {
            if (cIn) {
              k = <usize>(vSoQo + c) << 2; IJ = ld2(st + k, mv + k);
              T0 = f64x2.add(T0, IJ); T1 = f64x2.add(T1, sq(IJ)); T2 = f64x2.add(T2, cross(IJ));
            }
            if (cOld) {
              k = <usize>(vSoQo + c - side) << 2; IJ = ld2(st + k, mv + k);
              T0 = f64x2.sub(T0, IJ); T1 = f64x2.sub(T1, sq(IJ)); T2 = f64x2.sub(T2, cross(IJ));
            }
          }
          if (cOld && qIn) {
            k = <usize>(vSoQ + c - side) << 2; IJ = ld2(st + k, mv + k);
            T0 = f64x2.add(T0, IJ); T1 = f64x2.add(T1, sq(IJ)); T2 = f64x2.add(T2, cross(IJ));
          }
        }
        if (qOld && sIn) {
          if (cIn) {
            k = <usize>(vSQo + c) << 2; IJ = ld2(st + k, mv + k);
            T0 = f64x2.sub(T0, IJ); T1 = f64x2.sub(T1, sq(IJ)); T2 = f64x2.sub(T2, cross(IJ));
          }
          if (cOld) {
            k = <usize>(vSQo + c - side) << 2; IJ = ld2(st + k, mv + k);
            T0 = f64x2.add(T0, IJ); T1 = f64x2.add(T1, sq(IJ)); T2 = f64x2.add(T2, cross(IJ));
          }
        }
        if (cOld && inSQ) {
          k = <usize>(vSQ + c - side) << 2; IJ = ld2(st + k, mv + k);
          T0 = f64x2.sub(T0, IJ); T1 = f64x2.sub(T1, sq(IJ)); T2 = f64x2.sub(T2, cross(IJ));
        }
        k = rowCur + kcc;
        v128.store(k, T0); v128.store(k, T1, 16); v128.store(k, T2, 32);

        if (final && c >= radius) {
          const firstc = cc - radius > 0 ? cc - radius : 0;
          const lastc = cc + radius < nc - 1 ? cc + radius : nc - 1;
          finish(out, oShift, st, mv, outRow + cc, <f64>(sidesr * (lastc - firstc + 1)), T0, T1, T2);
        }
      }
    }
  }
}

/**
 * Columns `c ∈ [side, nc)` of one (s, q) row of {@link ccFactors3d}: no wrap-around,
 * a previous and a leaving column always exist, so only the per-row conditions
 * remain (perfectly predictable); the sum just computed for column `cc − 1` is
 * carried in registers. Returns the last `c` processed.
 */
function span3d(out: usize, oShift: i32, st: usize, mv: usize, temp: usize, cStart: i32, nc: i32, radius: i32, side: i32,
  inSQ: bool, sHasPrev: bool, qHasPrev: bool, sOld: bool, sOldQIn: bool, sOldQOld: bool, qOldSIn: bool, final: bool,
  rowCur: usize, rowCurP: usize, rowPrev: usize, rowPrevP: usize,
  vSQ: i32, vSoQ: i32, vSQo: i32, vSoQo: i32, outRow: i32, sidesr: i32): i32 {
  const Z = f64x2.splat(0);
  let k = rowCur + <usize>((cStart - radius - 1) * VB);
  let P0 = v128.load(k), P1 = v128.load(k, 16), P2 = v128.load(k, 32);
  let c = cStart;
  let IJ: v128;
  for (; c < nc; c++) {
    const cc = c - radius;
    const kcc = <usize>(cc * VB);
    const kpcc = kcc - <usize>VB;
    const cs = c - side;
    let T0 = Z, T1 = Z, T2 = Z;
    if (inSQ) {
      k = <usize>(vSQ + c) << 2; IJ = ld2(st + k, mv + k);
      T0 = IJ; T1 = sq(IJ); T2 = cross(IJ);
    }
    if (sHasPrev) {
      k = rowPrev + kcc;
      T0 = f64x2.add(T0, v128.load(k)); T1 = f64x2.add(T1, v128.load(k, 16)); T2 = f64x2.add(T2, v128.load(k, 32));
      if (qHasPrev) {
        k = rowPrevP + kcc;
        T0 = f64x2.sub(T0, v128.load(k)); T1 = f64x2.sub(T1, v128.load(k, 16)); T2 = f64x2.sub(T2, v128.load(k, 32));
        k = rowPrevP + kpcc;
        T0 = f64x2.add(T0, v128.load(k)); T1 = f64x2.add(T1, v128.load(k, 16)); T2 = f64x2.add(T2, v128.load(k, 32));
      }
      k = rowPrev + kpcc;
      T0 = f64x2.sub(T0, v128.load(k)); T1 = f64x2.sub(T1, v128.load(k, 16)); T2 = f64x2.sub(T2, v128.load(k, 32));
    }
    if (qHasPrev) {
      k = rowCurP + kcc;
      T0 = f64x2.add(T0, v128.load(k)); T1 = f64x2.add(T1, v128.load(k, 16)); T2 = f64x2.add(T2, v128.load(k, 32));
      k = rowCurP + kpcc;
      T0 = f64x2.sub(T0, v128.load(k)); T1 = f64x2.sub(T1, v128.load(k, 16)); T2 = f64x2.sub(T2, v128.load(k, 32));
    }
    T0 = f64x2.add(T0, P0); T1 = f64x2.add(T1, P1); T2 = f64x2.add(T2, P2);
    if (sOld) {
      if (sOldQIn) {
        k = <usize>(vSoQ + c) << 2; IJ = ld2(st + k, mv + k);
        T0 = f64x2.sub(T0, IJ); T1 = f64x2.sub(T1, sq(IJ)); T2 = f64x2.sub(T2, cross(IJ));
      }
      if (sOldQOld) {
        k = <usize>(vSoQo + c) << 2; IJ = ld2(st + k, mv + k);
        T0 = f64x2.add(T0, IJ); T1 = f64x2.add(T1, sq(IJ)); T2 = f64x2.add(T2, cross(IJ));
        k = <usize>(vSoQo + cs) << 2; IJ = ld2(st + k, mv + k);
        T0 = f64x2.sub(T0, IJ); T1 = f64x2.sub(T1, sq(IJ)); T2 = f64x2.sub(T2, cross(IJ));
      }
      if (sOldQIn) {
        k = <usize>(vSoQ + cs) << 2; IJ = ld2(st + k, mv + k);
        T0 = f64x2.add(T0, IJ); T1 = f64x2.add(T1, sq(IJ)); T2 = f64x2.add(T2, cross(IJ));
      }
    }
    if (qOldSIn) {
      k = <usize>(vSQo + c) << 2; IJ = ld2(st + k, mv + k);
      T0 = f64x2.sub(T0, IJ); T1 = f64x2.sub(T1, sq(IJ)); T2 = f64x2.sub(T2, cross(IJ));
      k = <usize>(vSQo + cs) << 2; IJ = ld2(st + k, mv + k);
      T0 = f64x2.add(T0, IJ); T1 = f64x2.add(T1, sq(IJ)); T2 = f64x2.add(T2, cross(IJ));
    }
    if (inSQ) {
      k = <usize>(vSQ + cs) << 2; IJ = ld2(st + k, mv + k);
      T0 = f64x2.sub(T0, IJ); T1 = f64x2.sub(T1, sq(IJ)); T2 = f64x2.sub(T2, cross(IJ));
    }
    k = rowCur + kcc;
    v128.store(k, T0); v128.store(k, T1, 16); v128.store(k, T2, 32);
    P0 = T0; P1 = T1; P2 = T2;

    if (final) {
      const firstc = cc - radius > 0 ? cc - radius : 0;
      const lastc = cc + radius < nc - 1 ? cc + radius : nc - 1;
      finish(out, oShift, st, mv, outRow + cc, <f64>(sidesr * (lastc - firstc + 1)), T0, T1, T2);
    }
  }
  return c - 1;
}

/**
 * 2D local CC factors (DIPY's column/slot scheme, float32 products), port of the
 * TypeScript `ccFactors2d`. Scratch: `slots` = `nc·(2r+1)·5` doubles, `tails` and
 * `rv` = `nc·5` doubles each.
 */
export function ccFactors2d(out: usize, st: usize, mv: usize, nr: i32, nc: i32, radius: i32,
  slots: usize, tails: usize, rv: usize): void {
  const side = 2 * radius + 1;
  const slotStride = side * 5;
  // Slots not yet written read as zero, as in a fresh Float64Array.
  memory.fill(slots, 0, <usize>(nc * slotStride) << 3);
  memory.fill(tails, 0, <usize>(nc * 5) << 3);
  for (let i = 0; i < nr; i++) {
    const row = i * nc;
    for (let j = 0; j < nc; j++) {
      const I = <f64>load<f32>(st + (<usize>(row + j) << 2));
      const J = <f64>load<f32>(mv + (<usize>(row + j) << 2));
      const o = rv + (<usize>(j * 5) << 3);
      store<f64>(o, I);
      store<f64>(o, f32r(I * I), 8);
      store<f64>(o, J, 16);
      store<f64>(o, f32r(J * J), 24);
      store<f64>(o, f32r(I * J), 32);
    }
    const q = i % side;
    const finalise = i >= radius;
    const r = i - radius;
    const rowCount = (i < 2 * radius ? i : 2 * radius) + 1;
    const last = i == nr - 1;
    for (let c = 0; c < nc; c++) {
      const firstc = c - radius > 0 ? c - radius : 0;
      const lastc = c + radius < nc - 1 ? c + radius : nc - 1;
      let a0 = 0.0, a1 = 0.0, a2 = 0.0, a3 = 0.0, a4 = 0.0;
      for (let kk = firstc; kk <= lastc; kk++) {
        const k = rv + (<usize>(kk * 5) << 3);
        a0 += load<f64>(k);
        a1 += load<f64>(k, 8);
        a2 += load<f64>(k, 16);
        a3 += load<f64>(k, 24);
        a4 += load<f64>(k, 32);
      }
      const base = slots + (<usize>(c * slotStride) << 3);
      let k = base + (<usize>(q * 5) << 3);
      store<f64>(k, a0);
      store<f64>(k, a1, 8);
      store<f64>(k, a2, 16);
      store<f64>(k, a3, 24);
      store<f64>(k, a4, 32);
      let s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0, s4 = 0.0;
      k = base;
      for (let qq = 0; qq < side; qq++, k += 40) {
        s0 += load<f64>(k);
        s1 += load<f64>(k, 8);
        s2 += load<f64>(k, 16);
        s3 += load<f64>(k, 24);
        s4 += load<f64>(k, 32);
      }
      if (last) {
        const t = tails + (<usize>(c * 5) << 3);
        store<f64>(t, s0);
        store<f64>(t, s1, 8);
        store<f64>(t, s2, 16);
        store<f64>(t, s3, 24);
        store<f64>(t, s4, 32);
      }
      if (finalise) {
        const cnt = <f64>(rowCount * (lastc - firstc + 1));
        finish2d(out, st, mv, r * nc + c, cnt, s0, s1, s2, s3, s4);
      }
    }
  }
  const pStart = nr - radius > 0 ? nr - radius : 0;
  for (let p = pStart; p < nr; p++) {
    const q = (p + radius) % side;
    const rowCount = nr - (p - radius > 0 ? p - radius : 0);
    for (let c = 0; c < nc; c++) {
      const firstc = c - radius > 0 ? c - radius : 0;
      const lastc = c + radius < nc - 1 ? c + radius : nc - 1;
      const t = tails + (<usize>(c * 5) << 3);
      const k = slots + (<usize>(c * slotStride + q * 5) << 3);
      const s0 = load<f64>(t) - load<f64>(k);
      const s1 = load<f64>(t, 8) - load<f64>(k, 8);
      const s2 = load<f64>(t, 16) - load<f64>(k, 16);
      const s3 = load<f64>(t, 24) - load<f64>(k, 24);
      const s4 = load<f64>(t, 32) - load<f64>(k, 32);
      store<f64>(t, s0);
      store<f64>(t, s1, 8);
      store<f64>(t, s2, 16);
      store<f64>(t, s3, 24);
      store<f64>(t, s4, 32);
      const cnt = <f64>(rowCount * (lastc - firstc + 1));
      finish2d(out, st, mv, p * nc + c, cnt, s0, s1, s2, s3, s4);
    }
  }
}

// @ts-ignore: decorator
@inline function finish2d(out: usize, st: usize, mv: usize, p: i32, cnt: f64,
  s0: f64, s1: f64, s2: f64, s3: f64, s4: f64): void {
  const Imean = s0 / cnt;
  const Jmean = s2 / cnt;
  const o = out + (<usize>(p * 5) << 2);
  store<f32>(o, <f32>(<f64>load<f32>(st + (<usize>p << 2)) - Imean));
  store<f32>(o, <f32>(<f64>load<f32>(mv + (<usize>p << 2)) - Jmean), 4);
  store<f32>(o, <f32>(s4 - Jmean * s0 - Imean * s2 + cnt * Jmean * Imean), 8);
  store<f32>(o, <f32>(s1 - Imean * s0 - Imean * s0 + cnt * Imean * Imean), 12);
  store<f32>(o, <f32>(s3 - Jmean * s2 - Jmean * s2 + cnt * Jmean * Jmean), 16);
}

/**
 * CC step on the 2D interior (see the module header) for the rows `[r0, r1)`
 * (arrays whole; those rows of `out` are zeroed first). `iy, ix, ia, ib` select the
 * factor slots (forward: 0, 1, 3, 4; backward: 1, 0, 4, 3). Returns the running
 * energy `e0` continued over the interior voxels of those rows, in raster order
 * (when `withEnergy`; otherwise `e0`: the rows of worker threads, whose energy the
 * calling thread adds with {@link ccEnergy2d}).
 */
export function ccStep2d(out: usize, grad: usize, factors: usize, nr: i32, nc: i32, radius: i32,
  iy: i32, ix: i32, ia: i32, ib: i32, withEnergy: i32, e0: f64, r0: i32, r1: i32): f64 {
  const row2 = <usize>(nc * 2) << 2;
  memory.fill(out + <usize>r0 * row2, 0, <usize>(r1 - r0) * row2);
  let energy = e0;
  const rBeg = r0 > radius ? r0 : radius;
  const rEnd = r1 < nr - radius ? r1 : nr - radius;
  for (let r = rBeg; r < rEnd; r++) {
    const row = r * nc;
    for (let c = radius; c < nc - radius; c++) {
      const p = row + c;
      const f = factors + (<usize>(p * 5) << 2);
      const sfm = <f64>load<f32>(f, 8);
      const A = <f64>load<f32>(f + (<usize>ia << 2));
      const B = <f64>load<f32>(f + (<usize>ib << 2));
      if (A == 0 || B == 0) continue;
      const AB = A * B;
      if (withEnergy) {
        let lc = 0.0;
        if (AB > 1e-5) lc = (sfm * sfm) / AB;
        if (lc < 1) energy -= lc;
      }
      const t = ((2 * sfm) / AB) * (<f64>load<f32>(f + (<usize>ix << 2)) - (sfm / A) * <f64>load<f32>(f + (<usize>iy << 2)));
      const g = <usize>(2 * p) << 2;
      store<f32>(out + g, <f32>(0 - t * <f64>load<f32>(grad + g)));
      store<f32>(out + g, <f32>(0 - t * <f64>load<f32>(grad + g, 4)), 4);
    }
  }
  return energy;
}

/**
 * Continues the running energy `e` of {@link ccStep2d} over the interior voxels of
 * the rows `[r0, r1)`, in raster order: the same `lc` and the same subtractions,
 * without the step itself (how the calling thread adds the rows worker threads computed).
 */
export function ccEnergy2d(factors: usize, nr: i32, nc: i32, radius: i32, ia: i32, ib: i32,
  r0: i32, r1: i32, e: f64): f64 {
  const oa = <usize>ia << 2, ob = <usize>ib << 2;
  const rBeg = r0 > radius ? r0 : radius;
  const rEnd = r1 < nr - radius ? r1 : nr - radius;
  for (let r = rBeg; r < rEnd; r++) {
    const row = r * nc;
    for (let c = radius; c < nc - radius; c++) {
      const f = factors + (<usize>((row + c) * 5) << 2);
      const sfm = <f64>load<f32>(f, 8);
      const A = <f64>load<f32>(f + oa);
      const B = <f64>load<f32>(f + ob);
      if (A == 0 || B == 0) continue;
      const AB = A * B;
      let lc = 0.0;
      if (AB > 1e-5) lc = (sfm * sfm) / AB;
      if (lc < 1) e -= lc;
    }
  }
  return e;
}

/**
 * 3D version of {@link ccStep2d} for the slices `[s0, s1)` (zeroed first; arrays
 * whole). Returns the running energy `e0` continued over the interior voxels of
 * those slices, in raster order (when `withEnergy`; see {@link ccEnergy3d}).
 */
export function ccStep3d(out: usize, grad: usize, factors: usize, ns: i32, nr: i32, nc: i32, radius: i32,
  iy: i32, ix: i32, ia: i32, ib: i32, withEnergy: i32, e0: f64, s0: i32, s1: i32): f64 {
  const slice = <usize>(nr * nc * 3) << 2;
  memory.fill(out + <usize>s0 * slice, 0, <usize>(s1 - s0) * slice);
  let energy = e0;
  const oy = <usize>iy << 2, ox = <usize>ix << 2, oa = <usize>ia << 2, ob = <usize>ib << 2;
  const sBeg = s0 > radius ? s0 : radius;
  const sEnd = s1 < ns - radius ? s1 : ns - radius;
  for (let s = sBeg; s < sEnd; s++) {
    for (let r = radius; r < nr - radius; r++) {
      const row = (s * nr + r) * nc;
      for (let c = radius; c < nc - radius; c++) {
        const p = row + c;
        const f = factors + (<usize>(p * 5) << 2);
        const sfm = <f64>load<f32>(f, 8);
        const A = <f64>load<f32>(f + oa);
        const B = <f64>load<f32>(f + ob);
        if (A == 0 || B == 0) continue;
        const AB = A * B;
        if (withEnergy) {
          let lc = 0.0;
          if (AB > 1e-5) lc = (sfm * sfm) / AB;
          if (lc < 1) energy -= lc;
        }
        const t = ((2 * sfm) / AB) * (<f64>load<f32>(f + ox) - (sfm / A) * <f64>load<f32>(f + oy));
        const g = out + (<usize>(3 * p) << 2);
        const h = grad + (<usize>(3 * p) << 2);
        store<f32>(g, <f32>(0 - t * <f64>load<f32>(h)));
        store<f32>(g, <f32>(0 - t * <f64>load<f32>(h, 4)), 4);
        store<f32>(g, <f32>(0 - t * <f64>load<f32>(h, 8)), 8);
      }
    }
  }
  return energy;
}

/**
 * Continues the running energy `e` of {@link ccStep3d} over the interior voxels of
 * the slices `[s0, s1)`, in raster order: the same `lc` and the same subtractions,
 * without the step itself (how the calling thread adds the slices worker threads
 * computed, and the `ccEnergy3d` kernel). `factors` holds slices from `firstSlice` on.
 */
export function ccEnergy3d(factors: usize, firstSlice: i32, ns: i32, nr: i32, nc: i32, radius: i32, ia: i32, ib: i32,
  s0: i32, s1: i32, e: f64): f64 {
  const oa = <usize>ia << 2, ob = <usize>ib << 2;
  const sBeg = s0 > radius ? s0 : radius;
  const sEnd = s1 < ns - radius ? s1 : ns - radius;
  for (let s = sBeg; s < sEnd; s++) {
    for (let r = radius; r < nr - radius; r++) {
      const row = ((s - firstSlice) * nr + r) * nc;
      for (let c = radius; c < nc - radius; c++) {
        const f = factors + (<usize>((row + c) * 5) << 2);
        const sfm = <f64>load<f32>(f, 8);
        const A = <f64>load<f32>(f + oa);
        const B = <f64>load<f32>(f + ob);
        if (A == 0 || B == 0) continue;
        const AB = A * B;
        let lc = 0.0;
        if (AB > 1e-5) lc = (sfm * sfm) / AB;
        if (lc < 1) e -= lc;
      }
    }
  }
  return e;
}

/**
 * Converts the running sums of {@link ccFactors3d} between the TypeScript kernel's
 * layout (`ts`: per voxel `[ΣI, ΣI², ΣJ, ΣJ², ΣIJ]`, 5 doubles) and this module's
 * (`wasmState`: per voxel `(ΣI, ΣJ), (ΣI², ΣJ²), (ΣIJ, 0)`, 6 doubles) for `count`
 * voxels; `toWasm = 0` converts back. Exact copies of the doubles.
 */
export function ccStateConvert(ts: usize, wasmState: usize, count: i32, toWasm: i32): void {
  let a = ts, b = wasmState;
  if (toWasm) {
    for (let v = 0; v < count; v++, a += 40, b += <usize>VB) {
      store<f64>(b, load<f64>(a));
      store<f64>(b, load<f64>(a, 16), 8);
      store<f64>(b, load<f64>(a, 8), 16);
      store<f64>(b, load<f64>(a, 24), 24);
      store<f64>(b, load<f64>(a, 32), 32);
      store<f64>(b, 0, 40);
    }
  } else {
    for (let v = 0; v < count; v++, a += 40, b += <usize>VB) {
      store<f64>(a, load<f64>(b));
      store<f64>(a, load<f64>(b, 16), 8);
      store<f64>(a, load<f64>(b, 8), 16);
      store<f64>(a, load<f64>(b, 24), 24);
      store<f64>(a, load<f64>(b, 32), 32);
    }
  }
}
