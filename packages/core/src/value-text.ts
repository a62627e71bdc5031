/**
 * Values as error messages show them (issue 11 item 9): faithfully, and with their type
 * when the type is what is wrong. Numbers print as JavaScript's shortest round-trip
 * decimal (`1e+300`, never a rounded or float32 `Infinity`); a string prints as
 * `the string "10"`, so `['10']` is not mistaken for `[10]`.
 */

/** Largest finite float32, `(2 − 2^-23)·2^127`. */
export const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * How an error message shows `x`: a number as its exact shortest decimal (`-0` kept), a
 * string as `the string "…"`, a boolean as `the boolean true`, and otherwise its kind
 * (`null`, `undefined`, `an array of 3`, `a function`, `an object`).
 */
export function describeValue(x: unknown): string {
  if (typeof x === 'number') return Object.is(x, -0) ? '-0' : String(x);
  if (typeof x === 'string') return `the string ${JSON.stringify(x)}`;
  if (typeof x === 'boolean') return `the boolean ${x}`;
  if (typeof x === 'bigint') return `the bigint ${x}n`;
  if (x === null) return 'null';
  if (x === undefined) return 'undefined';
  if (Array.isArray(x)) return `an array of ${x.length}`;
  if (typeof x === 'function') return 'a function';
  return typeof x === 'symbol' ? 'a symbol' : 'an object';
}

/**
 * Describes a value that is not finite once stored as float32: `original` is the caller's
 * value, `stored` what float32 made of it. A finite original beyond the float32 range is
 * named as such (with the fix), not as the `Infinity` it became.
 */
export function nonFiniteText(original: number, stored: number): string {
  if (Number.isFinite(original) && !Number.isFinite(stored)) {
    return `${describeValue(original)}, beyond the float32 range (magnitude at most ${FLOAT32_MAX}) the computation uses; rescale the intensities first`;
  }
  return `${describeValue(original)}; replace NaN/Infinity (for example with 0) first`;
}
