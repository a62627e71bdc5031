/**
 * A peak-memory estimate of a SyN run, made from the shapes before anything is allocated,
 * so a run that cannot fit is refused at once with the estimate (instead of a RangeError
 * after seconds or minutes).
 *
 * Counted per voxel of the finest static grid (float32, 4 bytes each): the four
 * displacement fields of the two half-way maps and their spare buffers (8·d), the two
 * metric steps and the update being composed (3·d), the static and moving images, their
 * warped copies and gradients (4 + 2·d), the metric's working arrays (5, the CC factors),
 * and the two scale-space pyramids (images and smoothed copies over all levels: about
 * 4 · 2^d/(2^d − 1)); the moving image's own grid adds its pyramid. The estimate is meant
 * as an upper bound within a small factor, not an exact count.
 */
import { ResourceLimitError } from '@diffeo/core';

/** The 4 GiB a 32-bit WebAssembly memory can address. */
export const WASM_MEMORY_LIMIT = 2 ** 32;

/** Estimated peak bytes of a registration of `movingShape` onto `staticShape` (voxels). */
export function estimateSynPeakBytes(staticShape: readonly number[], movingShape: readonly number[]): number {
  const d = staticShape.length;
  const nS = staticShape.reduce((a, b) => a * b, 1);
  const nM = movingShape.reduce((a, b) => a * b, 1);
  const pyramid = 4 * (2 ** d / (2 ** d - 1));
  const perStaticVoxel = 8 * d + 3 * d + (4 + 2 * d) + 5 + pyramid;
  return 4 * (nS * perStaticVoxel + nM * (1 + pyramid));
}

function gib(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(1)} GiB`;
}

/**
 * Refuses a run whose estimate exceeds what the backend can hold: the WebAssembly memory's
 * 4 GiB when `wasm` is set, and the memory the process reports as available (Node.js
 * `process.availableMemory()`, when present).
 * @throws ResourceLimitError giving the estimate, the limit and what to do.
 */
export function checkSynMemory(staticShape: readonly number[], movingShape: readonly number[], wasm: boolean): void {
  const est = estimateSynPeakBytes(staticShape, movingShape);
  const shapes = `static ${staticShape.join('x')}, moving ${movingShape.join('x')}`;
  const advice = 'register downsampled images (or a region of interest), or use a machine with more memory';
  if (wasm && est > WASM_MEMORY_LIMIT) {
    throw new ResourceLimitError(
      `this registration (${shapes}) needs about ${gib(est)} at its peak, more than the ${gib(WASM_MEMORY_LIMIT)} a WebAssembly memory can hold; use the TypeScript backend (createContext(tsBackend) / --backend ts), or ${advice}.`,
      est,
    );
  }
  const proc = (globalThis as { process?: { availableMemory?: () => number } }).process;
  const available = typeof proc?.availableMemory === 'function' ? proc.availableMemory() : undefined;
  if (available !== undefined && available > 0 && est > available) {
    throw new ResourceLimitError(`this registration (${shapes}) needs about ${gib(est)} at its peak, but only ${gib(available)} of memory is available; ${advice}.`, est);
  }
}
