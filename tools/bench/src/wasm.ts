/**
 * Lazy loading of the optional `@diffeo/wasm-kernels` backend. The bench never
 * imports it statically: when the package is missing, not built or fails to
 * instantiate, the wasm columns read "n/a" with the reason.
 */
import type { Backend } from '@diffeo/core';

/** The outcome of {@link loadWasmBackend}. */
export type WasmLoad = { ok: true; backend: Backend } | { ok: false; reason: string };

const SPECIFIER = '@diffeo/wasm-kernels';

function isBackend(x: unknown): x is Backend {
  return typeof x === 'object' && x !== null && typeof (x as Backend).name === 'string' && typeof (x as Backend).kernels === 'object';
}

/**
 * Imports `@diffeo/wasm-kernels` and creates its backend with the first factory it
 * exports among `wasmBackend`, `createWasmBackend` and `default` (awaited when
 * asynchronous). Never throws.
 */
export async function loadWasmBackend(): Promise<WasmLoad> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(/* @vite-ignore */ SPECIFIER)) as Record<string, unknown>;
  } catch (e) {
    return { ok: false, reason: `${SPECIFIER} could not be imported (${firstLine(e)}); build it with \`pnpm -F ${SPECIFIER} build\`` };
  }
  const factory = ['wasmBackend', 'createWasmBackend', 'default'].map((k) => mod[k]).find((f) => typeof f === 'function') as
    | (() => unknown)
    | undefined;
  if (!factory) return { ok: false, reason: `${SPECIFIER} exports no backend factory (expected wasmBackend())` };
  try {
    const backend = await factory();
    if (!isBackend(backend)) return { ok: false, reason: `${SPECIFIER}'s factory did not return a backend` };
    return { ok: true, backend };
  } catch (e) {
    return { ok: false, reason: `${SPECIFIER} failed to instantiate (${firstLine(e)}); is it built?` };
  }
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0];
}
