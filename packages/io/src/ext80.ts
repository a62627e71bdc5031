/**
 * Emulation of the x87 80-bit extended floating-point format (NumPy's `longdouble` on
 * x86-64 Linux) with BigInt significands: exact operations, each rounded to 64 significant
 * bits, to nearest, ties to even. Used to reproduce nibabel's quaternion arithmetic bit
 * for bit.
 */

const TWO64 = 1n << 64n;

function bitLength(x: bigint): number {
  return x === 0n ? 0 : x.toString(2).length;
}

/**
 * A finite number in the x87 80-bit extended format: `(-1)^neg · m · 2^e` with a 64-bit
 * significand `m` (`2^63 ≤ m < 2^64`, or `m = 0` for zero). Every operation is exact
 * then rounded to 64 significant bits, to nearest, ties to even — what the x87 FPU does
 * with NumPy's `longdouble` on x86-64. Exponent range limits and subnormals are not
 * modelled (the values met here are of order 1).
 */
export class Ext80 {
  private constructor(
    readonly neg: boolean,
    readonly m: bigint,
    readonly e: number,
  ) {}

  static readonly ZERO = new Ext80(false, 0n, 0);

  /** Rounds the exact value `(-1)^neg · M · 2^e` to 64 significant bits. */
  static round(neg: boolean, M: bigint, e: number): Ext80 {
    if (M === 0n) return Ext80.ZERO;
    const bl = bitLength(M);
    if (bl <= 64) return new Ext80(neg, M << BigInt(64 - bl), e - (64 - bl));
    let sh = bl - 64;
    const shB = BigInt(sh);
    let q = M >> shB;
    const rem = M - (q << shB);
    const half = 1n << (shB - 1n);
    if (rem > half || (rem === half && (q & 1n) === 1n)) q += 1n;
    if (q === TWO64) {
      q >>= 1n;
      sh += 1;
    }
    return new Ext80(neg, q, e + sh);
  }

  /** Exact conversion of a double. */
  static from(x: number): Ext80 {
    if (x === 0) return Ext80.ZERO;
    const dv = new DataView(new ArrayBuffer(8));
    dv.setFloat64(0, x);
    const hi = dv.getUint32(0);
    const lo = dv.getUint32(4);
    const neg = hi >>> 31 === 1;
    const expBits = (hi >>> 20) & 0x7ff;
    const frac = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
    const mant = expBits === 0 ? frac : frac | (1n << 52n);
    const e = expBits === 0 ? -1074 : expBits - 1075;
    return Ext80.round(neg, mant, e);
  }

  isZero(): boolean {
    return this.m === 0n;
  }

  mul(o: Ext80): Ext80 {
    if (this.isZero() || o.isZero()) return Ext80.ZERO;
    return Ext80.round(this.neg !== o.neg, this.m * o.m, this.e + o.e);
  }

  add(o: Ext80): Ext80 {
    if (o.isZero()) return this;
    if (this.isZero()) return o;
    const diff = this.e - o.e;
    // An addend more than 2^-130 times smaller cannot change the rounded sum.
    if (diff > 130) return this;
    if (diff < -130) return o;
    const E = Math.min(this.e, o.e);
    const A = this.m << BigInt(this.e - E);
    const B = o.m << BigInt(o.e - E);
    const S = (this.neg ? -A : A) + (o.neg ? -B : B);
    if (S === 0n) return Ext80.ZERO;
    return S < 0n ? Ext80.round(true, -S, E) : Ext80.round(false, S, E);
  }

  negate(): Ext80 {
    return this.isZero() ? this : new Ext80(!this.neg, this.m, this.e);
  }

  sub(o: Ext80): Ext80 {
    return this.add(o.negate());
  }

  div(o: Ext80): Ext80 {
    if (o.isZero()) throw new RangeError('division by zero');
    if (this.isZero()) return Ext80.ZERO;
    const num = this.m << 130n;
    const q = num / o.m;
    const sticky = num - q * o.m === 0n ? 0n : 1n;
    return Ext80.round(this.neg !== o.neg, (q << 1n) | sticky, this.e - o.e - 131);
  }

  sqrt(): Ext80 {
    if (this.isZero()) return Ext80.ZERO;
    if (this.neg) throw new RangeError('square root of a negative number');
    const k = (this.e - 130) % 2 === 0 ? 130 : 131;
    const M = this.m << BigInt(k);
    const E = this.e - k; // even
    const r = isqrt(M);
    const sticky = r * r === M ? 0n : 1n;
    return Ext80.round(false, (r << 1n) | sticky, E / 2 - 1);
  }

  lt(o: Ext80): boolean {
    const d = this.sub(o);
    return !d.isZero() && d.neg;
  }

  /** Rounds to the nearest double (ties to even). */
  toNumber(): number {
    if (this.isZero()) return 0;
    let q = this.m >> 11n;
    const rem = this.m & 0x7ffn;
    let e = this.e + 11;
    if (rem > 0x400n || (rem === 0x400n && (q & 1n) === 1n)) q += 1n;
    if (q === 1n << 53n) {
      q >>= 1n;
      e += 1;
    }
    const v = Number(q) * 2 ** e;
    return this.neg ? -v : v;
  }
}

function isqrt(n: bigint): bigint {
  if (n < 2n) return n;
  let x = 1n << BigInt(Math.ceil(bitLength(n) / 2));
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}
