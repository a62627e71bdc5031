/**
 * Messages between the bench's browser page, its registration worker and the Node
 * side (`../browser.ts`), which drives the page through playwright-core.
 *
 * The page is opened as `/?case=<prefix>`: the worker fetches `<prefix>params.json` and
 * the case's `.npy` inputs from the bench's server, runs `registerCase` (the Node
 * child's code) with the WebAssembly backend, PUTs the outputs back under `/out/`, and
 * the page hands the result to Node through the exposed function `__benchDone`.
 */
import type { KernelBreakdown } from '../format.js';

/** The worker's result, as the page passes it to `__benchDone`. */
export interface BrowserRunResult {
  /** Seconds in the timed call (`performance.now()` in the worker). */
  optimizeSeconds: number;
  iterationsPerLevel: number[];
  /** The backend's description, e.g. `WebAssembly, 2 threads`. */
  backend: string;
  /** The backend's thread count when the registration ended (the calling worker included). */
  threads: number;
  /** Whether the worker was cross-origin isolated (shared memory, threads). */
  crossOriginIsolated: boolean;
  /** The output files the worker PUT (`warped_moving.npy`, and `warped_labels.npy` / `affine.json` when present). */
  files: string[];
  /** Per-kernel calls and seconds of the timed call (`profileKernels`, as in the Node child). */
  kernels: KernelBreakdown;
  /** The wasm backend's memory counters over the timed call (`WasmBackend.stats()`, as in the Node child). */
  wasmMemory: Record<string, number>;
  /** Peak RSS marks taken by Node while the worker waited (KiB; null when not measurable). */
  marks: Record<'beforeOptimize' | 'afterOptimize', number | null>;
}

/** Worker → page. */
export type FromWorker =
  | { type: 'mark'; name: 'beforeOptimize' | 'afterOptimize' }
  | { type: 'done'; result: Omit<BrowserRunResult, 'marks'> }
  | { type: 'error'; message: string };

/**
 * Page → worker: where the case is, and a one-int shared flag the worker waits on
 * (`Atomics.wait`) after each `mark` until the page has had Node read the peak RSS
 * (outside the timed interval).
 */
export interface ToWorker {
  caseUrl: string;
  outUrl: string;
  flag: Int32Array;
}

/** What the page exposes to Node (functions playwright-core binds into the page). */
export interface PageBindings {
  __benchMark(name: 'beforeOptimize' | 'afterOptimize'): Promise<number | null>;
  __benchDone(result: BrowserRunResult | { error: string }): Promise<void>;
}
