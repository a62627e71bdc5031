/**
 * `describeBackend`: the conformance kit every kernel backend (WebAssembly,
 * third-party, …) runs in its own test suite.
 *
 * What is checked (vitest `describe`/`it` blocks):
 * 1. **Every kernel of the `Kernels` contract**, on the deterministic inputs of
 *    {@link kernelCases} (seeded; 2D and 3D; random affines; `null` affines;
 *    differing grids; in-place aliasing): the kernel the backend's context
 *    resolves is run on one copy of the arguments and `tsKernels` on an identical
 *    copy; every argument array afterwards (outputs, in-place buffers, and inputs,
 *    which must stay untouched) and the return value must agree within the
 *    tolerance (default 0: bit for bit). A kernel the backend does not provide is
 *    still run, through its TypeScript fallback, and the test title says which
 *    backend served it — nothing is skipped silently.
 * 2. **Stress tier** (on by default, `stress: false` skips it): the larger, harder
 *    inputs of {@link stressCases} (odd sizes, borders, NaN/±Infinity, extreme
 *    spacings, in place) compared the same way, and the call sequences of
 *    {@link stressScenarios} (the CC factors streamed slab by slab; one backend
 *    reused across very different sizes). With `zeroCopy: true` and a backend that
 *    has `allocFloat32`/`freeFloat32`, every `Float32Array` argument of the tier
 *    lives in the backend's own memory (aliasing kept) and is freed afterwards.
 * 3. **Backend shape**: a non-empty name, a numeric priority, only known kernel
 *    names, functions as values, synchronous results.
 * 4. **Registry semantics** of `KernelContext` with this backend: fallback to the
 *    TypeScript kernels for missing kernels, priority order against a
 *    higher- and a lower-priority backend, `remove()` (fallback and `dispose`),
 *    replacement by name, and no side effect on `defaultContext`.
 *
 * Usage, in a backend package's test file:
 * ```ts
 * import { describeBackend } from '@diffeo/conformance';
 * import { wasmBackend } from './index.js';
 * describeBackend('wasm', () => wasmBackend(), { tolerance: 0 });
 * ```
 */
import { afterAll, describe, expect, it } from 'vitest';
import {
  TS_BACKEND_NAME, createContext, defaultContext, tsKernels, type Backend, type KernelName, type Kernels,
} from '@diffeo/core';
import { kernelCases } from './kernel-cases.js';
import { stressCases, stressScenarios } from './stress-cases.js';
import { compareValues, describeMismatch } from './compare.js';
import { hashString, mulberry32, type Random } from './random.js';

/** Creates the backend under test (possibly asynchronously, for example to compile WebAssembly). */
export type BackendFactory = () => Backend | Promise<Backend>;

/** Options of {@link describeBackend}. */
export interface DescribeBackendOptions {
  /**
   * Allowed difference from the TypeScript kernels, per value:
   * `|backend − ts| ≤ tolerance·max(1, |ts|)`. `0` (the default) demands bit-exact
   * agreement (NaN matches NaN, +0 matches −0).
   */
  readonly tolerance?: number;
  /** Per-kernel tolerances that override {@link tolerance}. */
  readonly kernelTolerance?: Partial<Record<KernelName, number>>;
  /** Base seed of the generated inputs (default 0x5eed). */
  readonly seed?: number;
  /** Runs the stress tier ({@link stressCases}, {@link stressScenarios}); default true. */
  readonly stress?: boolean;
  /**
   * In the stress tier, moves every `Float32Array` argument into the backend's
   * memory (`allocFloat32`, freed with `freeFloat32` after each case) so its
   * kernels run in place on it; default false. Requires both methods.
   */
  readonly zeroCopy?: boolean;
}

/** Every kernel name of the contract, in the order of `tsKernels`. */
export const KERNEL_NAMES: readonly KernelName[] = Object.keys(tsKernels) as KernelName[];

type AnyKernel = (...args: unknown[]) => unknown;
type AnyCase = { label: string; make: (r: Random) => unknown[]; scratch?: readonly number[] };

function isThenable(x: unknown): boolean {
  return x !== null && typeof x === 'object' && typeof (x as { then?: unknown }).then === 'function';
}

/** A registry-test backend whose kernels are distinct wrappers of the TypeScript kernels. */
function spyBackend(name: string, priority: number, names: readonly KernelName[]): Backend & { disposed: number } {
  const kernels: Record<string, AnyKernel> = {};
  for (const k of names) {
    const ts = tsKernels[k] as unknown as AnyKernel;
    kernels[k] = (...args: unknown[]) => ts(...args);
  }
  const b = {
    name,
    priority,
    kernels: kernels as Partial<Kernels>,
    disposed: 0,
    dispose() { b.disposed++; },
  };
  return b;
}

/** Where the arguments of a case live: ordinary arrays, or the backend's own memory. */
interface ArgumentMemory {
  /** Returns the arguments to pass (a Float32Array may be replaced by a copy in the backend's memory). */
  place(args: unknown[]): unknown[];
  /** A Float32Array of length n where the arguments live. */
  alloc(n: number): Float32Array;
  /** Frees everything `place` and `alloc` allocated. */
  release(): void;
}

const noMemory: ArgumentMemory = { place: (args) => args, alloc: (n) => new Float32Array(n), release: () => undefined };

/** Places arguments in the backend's memory (`allocFloat32`), the same copy for the same array. */
function backendMemory(backend: Backend): ArgumentMemory {
  const { allocFloat32, freeFloat32 } = backend;
  if (typeof allocFloat32 !== 'function' || typeof freeFloat32 !== 'function') {
    throw new Error(`describeBackend: zeroCopy needs a backend with allocFloat32 and freeFloat32; "${backend.name}" lacks them`);
  }
  const held: Float32Array[] = [];
  const alloc = (n: number): Float32Array => {
    const a = allocFloat32.call(backend, n);
    held.push(a);
    return a;
  };
  return {
    alloc,
    place(args) {
      const copies = new Map<Float32Array, Float32Array>();
      return args.map((a) => {
        if (!(a instanceof Float32Array)) return a;
        let c = copies.get(a);
        if (!c) {
          c = alloc(a.length);
          c.set(a);
          copies.set(a, c);
        }
        return c;
      });
    },
    release() {
      const freed = held.splice(0).map((a) => freeFloat32.call(backend, a));
      expect(freed.every(Boolean), 'freeFloat32 must accept every array allocFloat32 returned').toBe(true);
    },
  };
}

/**
 * Runs one case: the kernel on one build of the arguments (placed by `memory`),
 * `tsKernels[k]` on an identical build; every argument (except scratch) and the
 * result must agree within `tol`.
 */
function runCase(fn: AnyKernel, k: KernelName, c: AnyCase, seed: number, tol: number, memory: ArgumentMemory): void {
  const mine = memory.place(c.make(mulberry32(seed)));
  const ref = c.make(mulberry32(seed));
  try {
    const result = fn(...mine);
    expect(isThenable(result), `${k} must be synchronous`).toBe(false);
    const expected = (tsKernels[k] as unknown as AnyKernel)(...ref);
    const scratch = new Set(c.scratch ?? []);
    for (let a = 0; a < ref.length; a++) {
      if (scratch.has(a)) continue;
      const m = compareValues(mine[a], ref[a], tol, `args[${a}]`);
      if (m) expect.fail(`${k} (${c.label}): ${describeMismatch(m, tol)}`);
    }
    if (expected !== undefined) {
      const m = compareValues(result, expected, tol, 'result');
      if (m) expect.fail(`${k} (${c.label}): ${describeMismatch(m, tol)}`);
    }
  } finally {
    memory.release();
  }
}

/**
 * Declares the conformance suite of a kernel backend (see the module
 * documentation). Call it at the top level of a test file.
 *
 * @param name - label of the suite, usually the backend's name.
 * @param factory - creates the backend; called once for the suite. Its
 *   `dispose` (if any) is called after the suite.
 * @param options - tolerance (default 0 = bit-exact), per-kernel tolerances, seed,
 *   stress tier (default on), zero-copy arguments in the stress tier.
 */
export function describeBackend(name: string, factory: BackendFactory, options: DescribeBackendOptions = {}): void {
  const baseSeed = options.seed ?? 0x5eed;
  const tolFor = (k: KernelName): number => options.kernelTolerance?.[k] ?? options.tolerance ?? 0;

  describe(`backend conformance: ${name}`, async () => {
    const backend = await factory();
    afterAll(() => backend?.dispose?.());
    // The registry checks remove backends from contexts; a wrapper without
    // `dispose` keeps the backend under test alive until the suite ends.
    const shadow: Backend = backend && { name: backend.name, priority: backend.priority, kernels: backend.kernels };
    const provided = new Set(Object.keys(backend?.kernels ?? {}).filter((k) => typeof (backend.kernels as Record<string, unknown>)[k] === 'function'));

    describe('backend shape', () => {
      it('has a name, a numeric priority and a kernels table', () => {
        expect(backend, 'the factory must return a Backend').toBeTruthy();
        expect(typeof backend.name).toBe('string');
        expect(backend.name.length).toBeGreaterThan(0);
        expect(backend.name).not.toBe(TS_BACKEND_NAME);
        expect(typeof backend.priority).toBe('number');
        expect(Number.isNaN(backend.priority)).toBe(false);
        expect(typeof backend.kernels).toBe('object');
      });
      it('declares only kernels of the contract, as functions', () => {
        const known = new Set<string>(KERNEL_NAMES);
        const unknown = Object.keys(backend.kernels).filter((k) => !known.has(k));
        expect(unknown, `unknown kernel names (typos?): ${unknown.join(', ')}`).toEqual([]);
        for (const [k, fn] of Object.entries(backend.kernels)) {
          expect(typeof fn, `kernels.${k} must be a function`).toBe('function');
        }
      });
      it(`serves ${provided.size} of ${KERNEL_NAMES.length} kernels itself; the rest fall back to the TypeScript kernels`, () => {
        const ctx = createContext(shadow);
        for (const k of KERNEL_NAMES) {
          expect(ctx.backendOf(k)).toBe(provided.has(k) ? backend.name : TS_BACKEND_NAME);
        }
      });
    });

    describe('kernels agree with the TypeScript kernels', () => {
      const ctx = createContext(shadow);
      for (const k of KERNEL_NAMES) {
        const served = ctx.backendOf(k);
        const tag = served === TS_BACKEND_NAME ? `served by ${TS_BACKEND_NAME} (fallback)` : `served by ${served}`;
        const cases = kernelCases[k] as readonly AnyCase[];
        it(`${k} has test cases`, () => {
          expect(cases.length).toBeGreaterThan(0);
        });
        cases.forEach((c, ci) => {
          it(`${k} [${tag}]: ${c.label}`, () => {
            runCase(ctx.kernel(k) as unknown as AnyKernel, k, c, (baseSeed ^ hashString(`${k}#${ci}`)) >>> 0, tolFor(k), noMemory);
          });
        });
      }
    });

    describe('stress tier: odd sizes, borders, NaN/±Infinity, extreme spacings, in place, call sequences', () => {
      if (options.stress === false) return;
      const ctx = createContext(shadow);
      const memory = options.zeroCopy ? backendMemory(backend) : noMemory;
      for (const k of KERNEL_NAMES) {
        const cases = (stressCases[k] ?? []) as readonly AnyCase[];
        if (cases.length === 0) continue;
        const served = ctx.backendOf(k);
        it(`${k} [served by ${served}${served === TS_BACKEND_NAME ? ' (fallback)' : ''}]: ${cases.length} stress cases`, () => {
          cases.forEach((c, ci) => {
            runCase(ctx.kernel(k) as unknown as AnyKernel, k, c, (baseSeed ^ hashString(`stress:${k}#${ci}`)) >>> 0, tolFor(k), memory);
          });
        });
      }
      stressScenarios.forEach((sc, si) => {
        it(sc.label, () => {
          const seed = (baseSeed ^ hashString(`scenario#${si}`)) >>> 0;
          const got = sc.run(ctx.kernels, mulberry32(seed), memory.alloc);
          const expected = sc.run(tsKernels, mulberry32(seed), (n) => new Float32Array(n));
          try {
            const m = compareValues(got, expected, options.tolerance ?? 0, 'result');
            if (m) expect.fail(`${sc.label}: ${describeMismatch(m, options.tolerance ?? 0)}`);
          } finally {
            memory.release();
          }
        });
      });
    });

    describe('registry semantics', () => {
      const all = KERNEL_NAMES;
      it('falls back to the TypeScript kernel for every kernel the backend lacks', () => {
        const ctx = createContext(shadow);
        for (const k of all) {
          const own = (backend.kernels as Record<string, unknown>)[k];
          expect(ctx.kernel(k)).toBe(provided.has(k) ? own : tsKernels[k]);
        }
      });
      it('a higher-priority backend wins every kernel it provides', () => {
        if (!(backend.priority < Infinity)) return; // nothing can outrank +Infinity
        const high = spyBackend(`${backend.name}:conformance-high`, backend.priority + Math.max(1, Math.abs(backend.priority)), all);
        const ctx = createContext(shadow, high);
        for (const k of all) {
          expect(ctx.backendOf(k)).toBe(high.name);
          expect(ctx.kernel(k)).toBe(high.kernels[k]);
        }
        expect(ctx.backendNames).toEqual([high.name, backend.name]);
      });
      it('a lower-priority backend only fills the gaps, in either registration order', () => {
        if (!(backend.priority > -Infinity)) return; // nothing ranks below −Infinity
        const low = spyBackend(`${backend.name}:conformance-low`, backend.priority - Math.max(1, Math.abs(backend.priority)), all);
        for (const ctx of [createContext(shadow, low), createContext(low, shadow)]) {
          for (const k of all) {
            expect(ctx.backendOf(k)).toBe(provided.has(k) ? backend.name : low.name);
          }
        }
      });
      it('remove() restores the fallback and disposes the removed backend', () => {
        const high = spyBackend(`${backend.name}:conformance-removable`, backend.priority < Infinity ? backend.priority + 1 : backend.priority, all.slice(0, 3));
        const ctx = createContext(shadow, high);
        expect(ctx.remove(high.name)).toBe(true);
        expect(high.disposed).toBe(1);
        expect(ctx.remove(high.name)).toBe(false);
        for (const k of all) expect(ctx.backendOf(k)).toBe(provided.has(k) ? backend.name : TS_BACKEND_NAME);
        expect(ctx.remove(backend.name)).toBe(true);
        for (const k of all) {
          expect(ctx.backendOf(k)).toBe(TS_BACKEND_NAME);
          expect(ctx.kernel(k)).toBe(tsKernels[k]);
        }
        expect(ctx.backendNames).toEqual([]);
      });
      it('use() with the same name replaces the backend', () => {
        const ctx = createContext(shadow);
        const replacement = spyBackend(backend.name, backend.priority, all.slice(0, 1));
        ctx.use(replacement);
        expect(ctx.backendNames).toEqual([backend.name]);
        expect(ctx.kernel(all[0])).toBe(replacement.kernels[all[0]]);
        for (const k of all.slice(1)) expect(ctx.backendOf(k)).toBe(TS_BACKEND_NAME);
      });
      it('leaves defaultContext untouched', () => {
        expect(defaultContext.backendNames).not.toContain(backend.name);
      });
    });
  });
}
