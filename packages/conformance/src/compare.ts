/**
 * Value comparison for the conformance kits: numbers, typed arrays, arrays and
 * plain objects compared element by element with a relative-absolute
 * tolerance. `NaN` equals `NaN`, `+0` equals `−0`, equal infinities are equal.
 */

/** The outcome of a comparison: `ok`, plus where and by how much it failed. */
export interface Mismatch {
  /** Path of the first differing value, for example `args[0][17]` or `result.iterations`. */
  readonly path: string;
  readonly actual: unknown;
  readonly expected: unknown;
  /** Number of differing elements in the array where the first difference is. */
  readonly count: number;
  /** Largest absolute difference in that array (`Infinity` for NaN / infinity mismatches). */
  readonly maxAbs: number;
}

/** True when `a` and `b` agree within `tol`: `|a − b| ≤ tol·max(1, |b|)` (`tol = 0`: equal numbers). */
export function numbersAgree(a: number, b: number, tol: number): boolean {
  if (a === b) return true; // also +0/−0 and equal infinities
  if (Number.isNaN(a) && Number.isNaN(b)) return true;
  if (tol === 0) return false;
  const d = Math.abs(a - b);
  return d <= tol * Math.max(1, Math.abs(b)); // false for NaN / infinite differences
}

type NumArray = ArrayLike<number> & { readonly length: number };

function isNumericArray(x: unknown): x is NumArray {
  return ArrayBuffer.isView(x) && !(x instanceof DataView);
}

/**
 * Compares `actual` with `expected` recursively; returns `null` when they agree,
 * else the first {@link Mismatch}. Typed arrays must have the same constructor and length.
 */
export function compareValues(actual: unknown, expected: unknown, tol: number, path = 'value'): Mismatch | null {
  if (typeof expected === 'number') {
    if (typeof actual !== 'number' || !numbersAgree(actual, expected, tol)) {
      const d = typeof actual === 'number' ? Math.abs(actual - expected) : Infinity;
      return { path, actual, expected, count: 1, maxAbs: Number.isNaN(d) ? Infinity : d };
    }
    return null;
  }
  if (isNumericArray(expected)) {
    if (!isNumericArray(actual) || actual.constructor !== expected.constructor || actual.length !== expected.length) {
      const desc = (x: unknown) => (isNumericArray(x) ? `${x.constructor.name}(${x.length})` : typeof x);
      return { path, actual: desc(actual), expected: desc(expected), count: expected.length, maxAbs: Infinity };
    }
    let first = -1, n = 0, maxAbs = 0;
    for (let i = 0; i < expected.length; i++) {
      const a = actual[i], b = expected[i];
      if (!numbersAgree(a, b, tol)) {
        if (first < 0) first = i;
        n++;
        const d = Math.abs(a - b);
        maxAbs = Math.max(maxAbs, Number.isNaN(d) ? Infinity : d);
      }
    }
    return first < 0 ? null : { path: `${path}[${first}]`, actual: actual[first], expected: expected[first], count: n, maxAbs };
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) {
      return { path, actual, expected, count: 1, maxAbs: Infinity };
    }
    for (let i = 0; i < expected.length; i++) {
      const m = compareValues(actual[i], expected[i], tol, `${path}[${i}]`);
      if (m) return m;
    }
    return null;
  }
  if (expected !== null && typeof expected === 'object') {
    if (actual === null || typeof actual !== 'object') return { path, actual, expected, count: 1, maxAbs: Infinity };
    for (const key of Object.keys(expected)) {
      const m = compareValues((actual as Record<string, unknown>)[key], (expected as Record<string, unknown>)[key], tol, `${path}.${key}`);
      if (m) return m;
    }
    return null;
  }
  return Object.is(actual, expected) || actual === expected ? null : { path, actual, expected, count: 1, maxAbs: Infinity };
}

/** A one-line description of a mismatch for assertion messages. */
export function describeMismatch(m: Mismatch, tol: number): string {
  const what = tol === 0 ? 'bit-exact agreement' : `agreement within ${tol} (relative, absolute below 1)`;
  return `expected ${what}; first difference at ${m.path}: got ${String(m.actual)}, TypeScript kernel gives ${String(m.expected)}` +
    ` (${m.count} differing value${m.count === 1 ? '' : 's'}, max |diff| ${m.maxAbs})`;
}
