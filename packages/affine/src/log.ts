/**
 * Natural logarithm rounded correctly to float64 (in all but astronomically rare cases), for the mutual
 * information's `log(P_ij / Pm_j)` and `log Ps_i`: DIPY evaluates them with the C library's `log` (glibc,
 * < 0.52 ulp), which agrees with the correctly rounded value far more often (all but ~4 in 10⁴ arguments)
 * than V8's `Math.log` (which differs from it on ~4 % of arguments).
 *
 * Maths: `x = m·2ᵉ` with `m ∈ (√½, √2]`, `log x = e·ln 2 + 2·atanh(s)`, `s = (m − 1)/(m + 1)`,
 * `atanh(s)/s = Σₖ s²ᵏ/(2k + 1)`; `s`, `s²`, the first seven terms (Horner) and `e·ln 2` in double-double
 * arithmetic (Dekker products, Knuth sums), terms 7…30 in float64 (they weigh < 2⁻⁸⁸), one final rounding.
 */
const SPLIT = 134217729; // 2^27 + 1
const LN2_HI = 0.6931471805599453, LN2_LO = 2.3190468138462996e-17;
const F64 = new Float64Array(1);
const U64 = new BigUint64Array(F64.buffer);

/** Rounding error of the product `a·b` whose float64 value is `p` (Dekker). */
function productError(a: number, b: number, p: number): number {
  let q = SPLIT * a;
  const ah = q - (q - a), al = a - ah;
  q = SPLIT * b;
  const bh = q - (q - b), bl = b - bh;
  return ((ah * bh - p) + ah * bl + al * bh) + al * bl;
}

const INV_HI: number[] = [], INV_LO: number[] = [];
for (let k = 0; k < 7; k++) {
  const d = 2 * k + 1, h = 1 / d, p = h * d;
  INV_HI.push(h);
  INV_LO.push(((1 - p) - productError(h, d, p)) / d);
}

/** `log(x)` for finite `x > 0` correctly rounded (non-positive, infinite or NaN `x`: as `Math.log`). */
export function logRounded(x: number): number {
  if (!(x > 0) || x === Infinity) return Math.log(x);
  if (x === 1) return 0;
  let e = 0;
  if (x < 2.2250738585072014e-308) { x *= 18014398509481984; e = -54; } // subnormal: scale by 2^54
  F64[0] = x;
  e += Number((U64[0] >> 52n) & 0x7ffn) - 1023;
  U64[0] = (U64[0] & 0x000fffffffffffffn) | 0x3ff0000000000000n;
  let m = F64[0];
  if (m > 1.4142135623730951) { m *= 0.5; e += 1; }
  const num = m - 1; // exact (Sterbenz)
  const dh = m + 1, db = dh - m, dl = (m - (dh - db)) + (1 - db);
  const q1 = num / dh, p = q1 * dh;
  const q2 = ((num - p) - productError(q1, dh, p) - q1 * dl) / dh;
  const sh = q1 + q2, sl = q2 - (sh - q1);
  const t2 = sh * sh, t2l = productError(sh, sh, t2) + 2 * sh * sl;
  const s2h = t2 + t2l, s2l = t2l - (s2h - t2);
  let tail = 0;
  for (let k = 30; k >= 7; k--) tail = tail * s2h + 1 / (2 * k + 1);
  let ah = tail, al = 0;
  for (let k = 6; k >= 0; k--) {
    const ph = ah * s2h, pl = productError(ah, s2h, ph) + (ah * s2l + al * s2h);
    const sum = ph + INV_HI[k], sb = sum - ph, se = (ph - (sum - sb)) + (INV_HI[k] - sb);
    const lo = se + pl + INV_LO[k];
    ah = sum + lo; al = lo - (ah - sum);
  }
  const lh = 2 * (sh * ah), ll = 2 * (productError(sh, ah, sh * ah) + (sh * al + sl * ah));
  const eh = e * LN2_HI, el = productError(e, LN2_HI, eh) + e * LN2_LO;
  const rh = eh + lh, rb = rh - eh, re = (eh - (rh - rb)) + (lh - rb);
  return rh + (re + el + ll);
}
