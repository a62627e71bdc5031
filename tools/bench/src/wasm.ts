/**
 * Loading of the optional WebAssembly backend for the bench, through `loadBackend`
 * of `@diffeo/align`: when `@diffeo/wasm-kernels` is not built or fails to
 * instantiate, the wasm columns read "n/a" with the reason.
 */
import { loadBackend } from '@diffeo/align';
import type { KernelContext } from '@diffeo/core';

/** The outcome of {@link loadWasmBackend}. */
export type WasmLoad = { ok: true; context: KernelContext; description: string } | { ok: false; reason: string };

/** The WebAssembly backend in a new context, or why it is unavailable. Never throws. */
export async function loadWasmBackend(): Promise<WasmLoad> {
  try {
    const loaded = await loadBackend('wasm');
    return { ok: true, context: loaded.context, description: loaded.description };
  } catch (e) {
    return { ok: false, reason: (e instanceof Error ? e.message : String(e)).split('\n')[0] };
  }
}
