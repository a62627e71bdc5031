/**
 * Opt-in kernel profiling: {@link profileKernels} returns a kernel context that
 * resolves exactly the kernels of the context it is given, each wrapped so that
 * every call is counted and its wall time (a monotonic clock, `performance.now()`
 * by default) is added to the kernel's total. Nothing else changes: the arguments
 * and return value pass through untouched, so results are the same bits.
 *
 * The profiled context delegates everything that is not a kernel to the given one:
 * `allocFloat32`/`freeFloat32` (arrays stay in the backend's memory), `backendOf`,
 * `backendNames`, `hold`/`frozen` (holding the profiled context holds the given one),
 * `use`/`remove` (which change the given context; the wrapped tables follow on the
 * next read). Nothing is global and nothing runs when profiling is not used: a
 * context that is not wrapped is not touched.
 *
 * Times are seconds of wall time spent inside the kernel call, as seen by the caller
 * (a WebAssembly kernel's copies in and out of its memory and its thread hand-offs
 * included). Kernels do not call each other through a context, so no time is counted
 * twice. The wrapper itself costs two clock reads and a few property updates per call
 * (well under a microsecond); it is counted outside the kernels' time.
 */
import type { DimKernels, KernelName, Kernels } from './kernels/types.js';
import type { Dim } from './types.js';
import { InvalidArgumentError } from './errors.js';
import { checkOptionKeys } from './options.js';
import { dimKernels } from './kernels/dim-view.js';
import { KernelContext, type Backend } from './registry.js';

/** Calls and time of one kernel in a {@link KernelProfileReport}. */
export interface KernelProfileEntry {
  /** Kernel name as in {@link Kernels}, for example `"warp3d"`. */
  readonly name: KernelName;
  /** The backend serving it when the report is made (`"ts"` for the TypeScript fallback; see {@link KernelContext.backendOf}). */
  readonly backend: string;
  /** Number of calls. */
  readonly calls: number;
  /** Total wall time inside the calls, seconds. */
  readonly seconds: number;
}

/** What {@link KernelProfile.report} returns: a snapshot, not updated afterwards. */
export interface KernelProfileReport {
  /** One entry per kernel called at least once, most time first (ties: by name). */
  readonly kernels: readonly KernelProfileEntry[];
  /** Sum of the entries' calls. */
  readonly calls: number;
  /** Sum of the entries' seconds. */
  readonly seconds: number;
}

/** A profiled kernel context and its counters; see {@link profileKernels}. */
export interface KernelProfile {
  /** Pass this wherever a kernel context is taken (SyN, affine, metrics, DiffeomorphicMap, the field functions). */
  readonly context: KernelContext;
  /** The counts and times so far. */
  report(): KernelProfileReport;
  /** Sets every count and time back to zero. */
  reset(): void;
}

/** Options of {@link profileKernels}. */
export interface ProfileKernelsOptions {
  /**
   * The clock, in milliseconds (default `performance.now`). Only differences are used;
   * tests pass a fake clock.
   */
  now?: () => number;
}

interface Counter { calls: number; ms: number }

/** The profiled context: kernel tables wrapped, everything else delegated (see the module documentation). */
class ProfiledContext extends KernelContext {
  private readonly source: KernelContext;
  private readonly counters: Map<KernelName, Counter>;
  private readonly now: () => number;
  /** The source table the wrapped table was made from (the source replaces its table on `use`/`remove`). */
  private sourceTable: Readonly<Kernels> | null = null;
  private wrapped: Kernels | null = null;
  private wrappedViews: { 2?: DimKernels<2>; 3?: DimKernels<3> } = {};
  /** Wrapper per (kernel name, implementation), so a kernel that did not change keeps its wrapper. */
  private readonly wrappers = new Map<KernelName, { fn: unknown; wrapper: unknown }>();

  constructor(source: KernelContext, counters: Map<KernelName, Counter>, now: () => number) {
    super();
    this.source = source;
    this.counters = counters;
    this.now = now;
  }

  private table(): Kernels {
    const src = this.source.kernels;
    if (this.wrapped === null || src !== this.sourceTable) {
      const out: Record<string, unknown> = {};
      for (const [name, fn] of Object.entries(src) as [KernelName, unknown][]) out[name] = this.wrap(name, fn);
      this.wrapped = out as unknown as Kernels;
      this.sourceTable = src;
      this.wrappedViews = {};
    }
    return this.wrapped;
  }

  private wrap(name: KernelName, fn: unknown): unknown {
    if (typeof fn !== 'function') return fn;
    const known = this.wrappers.get(name);
    if (known && known.fn === fn) return known.wrapper;
    let c = this.counters.get(name);
    if (c === undefined) {
      c = { calls: 0, ms: 0 };
      this.counters.set(name, c);
    }
    const counter = c;
    const now = this.now;
    const impl = fn as (...args: unknown[]) => unknown;
    const wrapper = function profiled(this: unknown, ...args: unknown[]): unknown {
      const t0 = now();
      try {
        return impl.apply(this, args);
      } finally {
        counter.ms += now() - t0;
        counter.calls++;
      }
    };
    this.wrappers.set(name, { fn, wrapper });
    return wrapper;
  }

  override kernel<K extends KernelName>(name: K): Kernels[K] {
    return this.table()[name];
  }

  override get kernels(): Readonly<Kernels> {
    return this.table();
  }

  override kernelsFor<D extends Dim>(dim: D): DimKernels<D> {
    if (dim !== 2 && dim !== 3) throw new InvalidArgumentError(`kernelsFor needs dimension 2 or 3; got ${String(dim)}.`);
    const table = this.table();
    const cached = this.wrappedViews[dim] as DimKernels<D> | undefined;
    if (cached) return cached;
    const view = dimKernels(table, dim);
    (this.wrappedViews as Record<number, unknown>)[dim] = view;
    return view;
  }

  override hold(holder: string): () => void {
    return this.source.hold(holder);
  }

  override get frozen(): boolean {
    return this.source.frozen;
  }

  override use(backend: Backend): this {
    this.source.use(backend);
    return this;
  }

  override remove(name: string): boolean {
    return this.source.remove(name);
  }

  override get backendNames(): string[] {
    return this.source.backendNames;
  }

  override allocFloat32(n: number): Float32Array {
    return this.source.allocFloat32(n);
  }

  override freeFloat32(a: Float32Array): boolean {
    return this.source.freeFloat32(a);
  }

  override backendOf(name: KernelName): string {
    return this.source.backendOf(name);
  }
}

function defaultNow(): () => number {
  const perf = (globalThis as { performance?: { now(): number } }).performance;
  return perf && typeof perf.now === 'function' ? () => perf.now() : () => Date.now();
}

/**
 * Wraps `context` so that every kernel call through the returned
 * {@link KernelProfile.context} is counted and timed per kernel name (see the module
 * documentation). The given context is not changed and keeps working unprofiled.
 *
 * ```ts
 * const prof = profileKernels(createContext(await wasmBackend()));
 * await new SymmetricDiffeomorphicRegistration(metric, { context: prof.context }).optimize(input);
 * for (const k of prof.report().kernels) console.log(k.name, k.calls, k.seconds);
 * ```
 *
 * @param context - the kernel context to profile (from `createContext`, `defaultContext`, or another profile's context).
 * @throws {InvalidArgumentError} when `context` is not a kernel context, or for an unknown option key or a `now` that is not a function.
 */
export function profileKernels(context: KernelContext, options: ProfileKernelsOptions = {}): KernelProfile {
  const c = context as Partial<KernelContext> | null | undefined;
  if (c === null || typeof c !== 'object' || typeof c.kernel !== 'function' || typeof c.kernelsFor !== 'function'
    || typeof c.allocFloat32 !== 'function' || typeof c.freeFloat32 !== 'function' || typeof c.backendOf !== 'function' || typeof c.hold !== 'function') {
    throw new InvalidArgumentError('profileKernels needs a kernel context made by createContext(...) (or defaultContext); got something else.');
  }
  checkOptionKeys(options, ['now'], 'profileKernels options');
  if (options.now !== undefined && typeof options.now !== 'function') {
    throw new InvalidArgumentError(`profileKernels: now must be a function returning milliseconds; got ${typeof options.now}.`);
  }
  const counters = new Map<KernelName, Counter>();
  const profiled = new ProfiledContext(context, counters, options.now ?? defaultNow());
  return {
    context: profiled,
    report(): KernelProfileReport {
      const kernels: KernelProfileEntry[] = [];
      let calls = 0, ms = 0;
      for (const [name, c] of counters) {
        if (c.calls === 0) continue;
        kernels.push({ name, backend: context.backendOf(name), calls: c.calls, seconds: c.ms / 1000 });
        calls += c.calls;
        ms += c.ms;
      }
      kernels.sort((a, b) => b.seconds - a.seconds || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      return { kernels, calls, seconds: ms / 1000 };
    },
    reset(): void {
      for (const c of counters.values()) {
        c.calls = 0;
        c.ms = 0;
      }
    },
  };
}
