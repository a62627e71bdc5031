/**
 * A small seeded mutation fuzzer for the file readers: deterministic (mulberry32 PRNG), no
 * dependencies. A mutation flips bits, overwrites bytes or 32-bit words with edge values
 * (0, -1, -16, 2^31 - 1, header sizes), truncates, duplicates or deletes a run of bytes.
 * `fuzzReader` feeds mutants to a reader and sorts the outcomes: read, refused with a
 * `DiffeoError` (fine), or anything else (a bug: an untyped error).
 */

/** A PRNG returning uniform numbers in [0, 1), from a 32-bit seed (mulberry32). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = [0, 1, -1, -16, 8, 16, 348, 352, 540, 544, 0x7fffffff, -0x80000000, 0x7fff, 0xffff, 1 << 24];
const BYTES = [0, 1, 0x7f, 0x80, 0xff, 0x20, 0x27, 0x22, 0x2c, 0x3a, 0x7b, 0x7d, 0x28, 0x29];

function concat(...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** One mutant of `input` (1 to 4 stacked mutations). */
export function mutate(input: Uint8Array, rnd: () => number): Uint8Array {
  let b: Uint8Array<ArrayBuffer> = input.slice();
  const n = 1 + Math.floor(rnd() * 4);
  const pick = (len: number): number => Math.floor(rnd() * Math.max(1, len));
  for (let m = 0; m < n; m++) {
    const kind = Math.floor(rnd() * 7);
    if (b.length === 0) break;
    const at = pick(b.length);
    switch (kind) {
      case 0:
        b[at] ^= 1 << Math.floor(rnd() * 8);
        break;
      case 1:
        b[at] = BYTES[pick(BYTES.length)];
        break;
      case 2:
        if (at + 4 <= b.length) new DataView(b.buffer).setInt32(at & ~3, WORDS[pick(WORDS.length)], rnd() < 0.8);
        break;
      case 3:
        b = b.slice(0, at);
        break;
      case 4: {
        // duplicate a run of bytes
        const run = b.subarray(at, at + 1 + pick(16));
        b = concat(b.subarray(0, at), run, b.subarray(at));
        break;
      }
      case 5:
        // delete a run of bytes
        b = concat(b.subarray(0, at), b.subarray(at + 1 + pick(16)));
        break;
      default:
        b[at] = pick(256);
    }
  }
  return b;
}

/** Outcome counts of a fuzz run, with the first few untyped failures. */
export interface FuzzReport {
  readonly runs: number;
  readonly read: number;
  readonly refused: number;
  readonly untyped: { readonly index: number; readonly error: string }[];
  readonly slowest: number;
}

/**
 * Feeds `runs` mutants of the `seeds` to `read`. Refusals must be instances of `typed`;
 * `check` may assert something about a successful read (for example that it equals the
 * original) and throw when it does not.
 */
export function fuzzReader<T>(options: {
  seeds: readonly Uint8Array[];
  read: (bytes: Uint8Array) => T;
  typed: abstract new (...args: never[]) => Error;
  runs: number;
  seed: number;
  check?: (result: T, mutant: Uint8Array, seed: Uint8Array) => void;
  mutant?: (seed: Uint8Array, rnd: () => number) => Uint8Array;
}): FuzzReport {
  const rnd = mulberry32(options.seed);
  let read = 0;
  let refused = 0;
  let slowest = 0;
  const untyped: { index: number; error: string }[] = [];
  for (let i = 0; i < options.runs; i++) {
    const seed = options.seeds[i % options.seeds.length];
    const m = (options.mutant ?? mutate)(seed, rnd);
    const t0 = performance.now();
    try {
      const r = options.read(m);
      read++;
      options.check?.(r, m, seed);
    } catch (e) {
      if (e instanceof options.typed) refused++;
      else if (untyped.length < 10) untyped.push({ index: i, error: `${(e as Error)?.name}: ${(e as Error)?.message}` });
      else untyped.push({ index: i, error: '' });
    }
    slowest = Math.max(slowest, performance.now() - t0);
  }
  return { runs: options.runs, read, refused, untyped, slowest };
}
