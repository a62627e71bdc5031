/**
 * Backend registry. A {@link KernelContext} holds registered backends, each
 * with a name, a priority and any subset of {@link Kernels}; asking the context
 * for a kernel returns the implementation of the highest-priority backend that
 * has it, or the pure-TypeScript kernel otherwise. Nothing registers on import:
 * a new context (and {@link defaultContext}) uses the TypeScript kernels only.
 * A context is frozen while a run holds it ({@link KernelContext.hold}); `defaultContext`
 * is frozen for good, so there is no mutable global.
 */
import type { DimKernels, KernelName, Kernels } from './kernels/types.js';
import type { Dim } from './types.js';
import { tsKernels } from './kernels/index.js';
import { dimKernels } from './kernels/dim-view.js';
import { ContextFrozenError, InvalidArgumentError } from './errors.js';

/** A kernel backend. Factories that need asynchronous set-up (compiling WebAssembly) are async and return a ready backend. */
export interface Backend {
  /** Unique name, for example `"wasm"`. */
  readonly name: string;
  /** Higher wins when several backends implement a kernel. The TypeScript fallback has priority −∞. */
  readonly priority: number;
  /** The kernels this backend implements. */
  readonly kernels: Partial<Kernels>;
  /**
   * Optional: a zero-filled `Float32Array` of `n` values living in the backend's own
   * memory (for example a view into a shared WebAssembly memory), which its kernels
   * use in place instead of copying it in and out. The array stays valid for the
   * backend's lifetime (also when that memory grows) until it is released with
   * {@link Backend.freeFloat32}; it is an ordinary `Float32Array` for every other
   * purpose (the TypeScript kernels and other backends accept it too).
   */
  allocFloat32?(n: number): Float32Array;
  /**
   * Optional: releases an array from {@link Backend.allocFloat32} so its memory can be
   * reused (the array must not be used afterwards). Returns false, doing nothing, for
   * an array the backend did not allocate.
   */
  freeFloat32?(a: Float32Array): boolean;
  /** Releases resources (workers, memory). Called by {@link KernelContext.remove}. */
  dispose?(): void;
}

/** The name under which the always-present TypeScript kernels are reported. */
export const TS_BACKEND_NAME = 'ts';

/** A scoped set of backends; see the module documentation. */
export class KernelContext {
  private readonly backends: Backend[] = [];
  private resolved: Kernels = { ...tsKernels };
  private owners = new Map<KernelName, string>();
  private views: { 2?: DimKernels<2>; 3?: DimKernels<3> } = {};

  /** Reasons the context is frozen (runs holding it, or `'fixed'` for {@link defaultContext}). */
  private holds: string[] = [];
  /** True for a context that can never change ({@link defaultContext}). */
  private fixed = false;

  /**
   * Freezes the context for a run: until the returned function is called, {@link use}
   * and {@link remove} throw {@link ContextFrozenError}, so that every step of the run
   * uses the same kernels. Holds nest (each run releases its own); releasing twice is
   * harmless.
   * @param holder - who holds it, quoted in the error (for example `"SymmetricDiffeomorphicRegistration.optimize"`).
   * @returns the release function.
   */
  hold(holder: string): () => void {
    const token = String(holder);
    this.holds.push(token);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const i = this.holds.indexOf(token);
      if (i >= 0) this.holds.splice(i, 1);
    };
  }

  /** Whether {@link use}/{@link remove} are refused now (a run holds the context, or it is {@link defaultContext}). */
  get frozen(): boolean {
    return this.fixed || this.holds.length > 0;
  }

  /** @internal Makes the context permanently unchangeable (used for {@link defaultContext}). */
  static fixed(ctx: KernelContext): KernelContext {
    ctx.fixed = true;
    return ctx;
  }

  private checkNotFrozen(what: string): void {
    if (this.fixed) {
      throw new ContextFrozenError(`${what}: defaultContext cannot be changed (it always holds the TypeScript kernels only); create your own context with createContext(backend) and pass it as the context option.`);
    }
    if (this.holds.length > 0) {
      throw new ContextFrozenError(`${what}: this kernel context is in use by ${this.holds.join(', ')}, whose kernels are fixed for the whole run; register backends before starting it, or use another context (createContext(...)).`);
    }
  }

  /**
   * Registers a backend (replacing one of the same name) and returns the context.
   * @throws {ContextFrozenError} while a run holds the context ({@link hold}), and always on {@link defaultContext}.
   */
  use(backend: Backend): this {
    this.checkNotFrozen(`use(${typeof backend?.name === 'string' ? JSON.stringify(backend.name) : 'backend'})`);
    if (!backend || typeof backend.name !== 'string' || backend.name.length === 0) {
      throw new InvalidArgumentError('A backend needs a non-empty string name.');
    }
    if (backend.name === TS_BACKEND_NAME) {
      throw new InvalidArgumentError(`The backend name "${TS_BACKEND_NAME}" is reserved for the built-in TypeScript kernels.`);
    }
    if (typeof backend.priority !== 'number' || Number.isNaN(backend.priority)) {
      throw new InvalidArgumentError(`Backend "${backend.name}" needs a numeric priority.`);
    }
    const i = this.backends.findIndex((b) => b.name === backend.name);
    if (i >= 0) this.backends.splice(i, 1);
    this.backends.push(backend);
    this.rebuild();
    return this;
  }

  /**
   * Removes a backend by name (calling its `dispose`), returning whether it was registered.
   * @throws {ContextFrozenError} while a run holds the context ({@link hold}), and always on {@link defaultContext}.
   */
  remove(name: string): boolean {
    this.checkNotFrozen(`remove(${JSON.stringify(name)})`);
    const i = this.backends.findIndex((b) => b.name === name);
    if (i < 0) return false;
    const [b] = this.backends.splice(i, 1);
    b.dispose?.();
    this.rebuild();
    return true;
  }

  /** Names of the registered backends, highest priority first (the TS fallback not included). */
  get backendNames(): string[] {
    return this.sorted().map((b) => b.name);
  }

  /** The implementation of kernel `name` chosen for this context. */
  kernel<K extends KernelName>(name: K): Kernels[K] {
    return this.resolved[name];
  }

  /**
   * The kernels of dimension `dim` (see {@link DimKernels}): `ctx.kernelsFor(dim).warp(…)`
   * is `warp2d` or `warp3d`, typed with that dimension's shapes. A snapshot like
   * {@link KernelContext.kernels}: re-read it after `use`/`remove`.
   */
  kernelsFor<D extends Dim>(dim: D): DimKernels<D> {
    if (dim !== 2 && dim !== 3) throw new InvalidArgumentError(`kernelsFor needs dimension 2 or 3; got ${String(dim)}.`);
    const cached = this.views[dim] as DimKernels<D> | undefined;
    if (cached) return cached;
    const frozen = dimKernels(this.resolved, dim);
    (this.views as Record<number, unknown>)[dim] = frozen;
    return frozen;
  }

  /** The full resolved kernel table (a snapshot; re-read after `use`/`remove`). */
  get kernels(): Readonly<Kernels> {
    return this.resolved;
  }

  /**
   * A zero-filled `Float32Array` of `n` values for a long-lived buffer that kernels
   * read and write (fields, images, steps): from the highest-priority backend that
   * has {@link Backend.allocFloat32} (kernels of that backend then use it in place,
   * without copies), else `new Float32Array(n)`. Release it with
   * {@link KernelContext.freeFloat32} when it is no longer needed; an array of a
   * backend that is later removed stays a valid array.
   */
  allocFloat32(n: number): Float32Array {
    for (const b of this.sorted()) {
      if (typeof b.allocFloat32 === 'function') return b.allocFloat32(n);
    }
    return new Float32Array(n);
  }

  /**
   * Releases an array from {@link KernelContext.allocFloat32} back to the backend that
   * allocated it; returns false (nothing to do) for an ordinary array, which the
   * garbage collector reclaims.
   */
  freeFloat32(a: Float32Array): boolean {
    for (const b of this.backends) {
      if (typeof b.freeFloat32 === 'function' && b.freeFloat32(a)) return true;
    }
    return false;
  }

  /** Which backend serves kernel `name` (`"ts"` for the fallback). */
  backendOf(name: KernelName): string {
    return this.owners.get(name) ?? TS_BACKEND_NAME;
  }

  private sorted(): Backend[] {
    // Stable: equal priorities keep registration order, later registrations first.
    return this.backends
      .map((b, i) => ({ b, i }))
      .sort((x, y) => y.b.priority - x.b.priority || y.i - x.i)
      .map((x) => x.b);
  }

  private rebuild(): void {
    const table: Record<string, unknown> = { ...tsKernels };
    const owners = new Map<KernelName, string>();
    const order = this.sorted().reverse(); // lowest first, so the highest overwrites
    for (const b of order) {
      for (const [name, fn] of Object.entries(b.kernels)) {
        if (typeof fn === 'function') {
          table[name] = fn;
          owners.set(name as KernelName, b.name);
        }
      }
    }
    this.resolved = table as unknown as Kernels;
    this.owners = owners;
    this.views = {};
  }
}

/** Creates a context; the TypeScript kernels are always there as the fallback. */
export function createContext(...backends: Backend[]): KernelContext {
  const ctx = new KernelContext();
  for (const b of backends) ctx.use(b);
  return ctx;
}

/**
 * The context used when none is passed: the TypeScript kernels only, for good. It cannot be
 * changed (`use`/`remove` throw {@link ContextFrozenError}), so no code can alter what another
 * module's default calls run; pass a context of your own (`createContext(backend)`) instead.
 */
export const defaultContext: KernelContext = KernelContext.fixed(createContext());
