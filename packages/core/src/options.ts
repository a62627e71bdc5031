/**
 * Checking options objects: every key must be one the function knows, so a misspelt option
 * (`leveliters` for `levelIters`) is refused instead of silently running the defaults.
 */
import { InvalidArgumentError } from './errors.js';

/** Edit distance (insertions, deletions, substitutions; case-insensitive) between two names. */
function distance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const cur = [i];
    for (let j = 1; j <= y.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x[i - 1] === y[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[y.length];
}

/**
 * The known name closest to `name` (edit distance, ignoring case and `-`/`_`), or
 * `undefined` when none is close (more than a third of the name differs).
 */
export function nearestName(name: string, known: readonly string[]): string | undefined {
  const norm = (s: string): string => s.replace(/[-_]/g, '');
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const d = distance(norm(name), norm(k));
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  return bestD <= Math.max(2, Math.ceil(name.length / 3)) ? best : undefined;
}

/**
 * Throws {@link InvalidArgumentError} when `options` is not a plain object (or `undefined`)
 * or has a key outside `known`; the message names the key and suggests the nearest known
 * name. Keys whose value is `undefined` are checked too.
 *
 * @param options - the options object a caller passed (may be `undefined`).
 * @param known - every option name the function accepts.
 * @param what - how to call the object in the message, for example `"registration options"`.
 */
export function checkOptionKeys(options: unknown, known: readonly string[], what: string): void {
  if (options === undefined) return;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new InvalidArgumentError(`${what} must be an object of named options; got ${options === null ? 'null' : Array.isArray(options) ? 'an array' : typeof options}.`);
  }
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    const near = nearestName(key, known);
    throw new InvalidArgumentError(
      `${what}: unknown option "${key}"${near ? `; did you mean "${near}"?` : ''} Known options: ${known.join(', ')}.`,
    );
  }
}
