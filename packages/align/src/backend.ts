/**
 * One backend loader for every tool: `'wasm'` (the WebAssembly kernels of
 * `@diffeo/wasm-kernels`, SIMD and worker threads), `'ts'` (the TypeScript kernels of
 * `@diffeo/core`), or `'auto'` (WebAssembly when it loads, else TypeScript, saying
 * why). Both give the same bits; only speed differs. Each call creates a new context
 * and (for WebAssembly) a new backend instance; nothing global changes.
 */
import { BackendUnavailableError, createContext, InvalidArgumentError, type KernelContext } from '@diffeo/core';
import type { WasmBackendOptions } from '@diffeo/wasm-kernels';

/** Which kernels to run: `'auto'` = WebAssembly, else TypeScript. */
export type BackendChoice = 'auto' | 'ts' | 'wasm';

/** A kernel context ready for `SymmetricDiffeomorphicRegistration`, with what it runs. */
export interface LoadedBackend {
  /** The context to pass as `context` (the TypeScript kernels plus the loaded backend, if any). */
  readonly context: KernelContext;
  /** The kernels that run: `'wasm'` or `'ts'` (for a context given to `synRegistration`, the name of its backend for `warp3d`). */
  readonly backend: string;
  /** Threads the kernels use now (the calling thread included; 1 for TypeScript). */
  readonly threads: number;
  /** Human-readable summary, e.g. `WebAssembly, 2 threads` or `TypeScript`. */
  readonly description: string;
  /** With `'auto'`: why WebAssembly could not be used (null when it was, or not asked for). */
  readonly fallbackReason: string | null;
  /**
   * Before a synchronous stage (the affine registration, `affineRegistration`), starts the
   * backend's lazy worker threads when that stage works on a grid of at least the backend's
   * start size (`startParallelWork`, else `minParallelWork`, else `START_PARALLEL_WORK` of
   * `@diffeo/wasm-kernels`: the size from which a SyN registration starts them itself).
   * Workers started lazily during a synchronous call could not join it. Smaller grids, the
   * TypeScript kernels and explicit `threads` counts (running already) are left as they are;
   * the results are the same bits either way.
   * @param voxels - voxels of the stage's static grid.
   * @returns the threads the kernels use now (the calling thread included).
   */
  startThreadsFor(voxels: number): Promise<number>;
}

function errorText(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0];
}

/**
 * Loads the kernels named by `choice` into a new context.
 * @param options - options of `wasmBackend` (threads, wasm URLs) for `'wasm'` and `'auto'`.
 * @throws {BackendUnavailableError} `'wasm'` asked for and the WebAssembly backend cannot
 *   be loaded (the message says how to fix it); {@link InvalidArgumentError} unknown choice,
 *   or `options` that `wasmBackend` refuses (an unknown key, a `threads` out of range, …).
 */
export async function loadBackend(choice: BackendChoice = 'auto', options: WasmBackendOptions = {}): Promise<LoadedBackend> {
  if (choice !== 'auto' && choice !== 'ts' && choice !== 'wasm') {
    throw new InvalidArgumentError(`backend must be 'auto', 'ts' or 'wasm'; got ${JSON.stringify(choice)}.`);
  }
  const ts = (fallbackReason: string | null): LoadedBackend => ({
    context: createContext(), backend: 'ts', threads: 1,
    startThreadsFor: () => Promise.resolve(1),
    description: fallbackReason === null ? 'TypeScript' : `TypeScript (WebAssembly unavailable: ${fallbackReason})`,
    fallbackReason,
  });
  if (choice === 'ts') return ts(null);
  try {
    const { wasmBackend, START_PARALLEL_WORK } = await import('@diffeo/wasm-kernels');
    const b = await wasmBackend(options);
    const startWork = options.startParallelWork ?? options.minParallelWork ?? START_PARALLEL_WORK;
    return {
      context: createContext(b), backend: 'wasm',
      // Live: the backend's worker threads start with the first large kernel call.
      get threads() { return b.threads; },
      startThreadsFor: (voxels: number) => (voxels >= startWork ? b.startThreads() : Promise.resolve(b.threads)),
      description: `WebAssembly, ${b.threads} thread${b.threads === 1 ? '' : 's'}`, fallbackReason: null,
    };
  } catch (e) {
    // Bad options are the caller's to fix, not a reason to fall back to TypeScript.
    if (e instanceof InvalidArgumentError) throw e;
    if (choice === 'wasm') {
      throw new BackendUnavailableError(
        `The WebAssembly backend could not be loaded (${errorText(e)}); build it with "pnpm --filter @diffeo/wasm-kernels build", or choose the TypeScript kernels (backend 'ts'), which give the same results.`,
        { cause: e },
      );
    }
    return ts(errorText(e));
  }
}
