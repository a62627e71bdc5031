/** Backends selectable by name in the reference runner. */
import type { Backend } from '@diffeo/core';

const factories: Record<string, (() => Promise<Backend | undefined>) | undefined> = {
  ts: async () => undefined,
  // Lazy: the WebAssembly module is only compiled when this backend is asked for.
  wasm: async () => (await import('@diffeo/wasm-kernels')).wasmBackend(),
};

/** Names accepted by `--backend`. */
export function backendNames(): string[] {
  return Object.keys(factories);
}

/** Creates the named backend (`undefined` for the built-in TypeScript kernels). */
export async function loadBackend(name: string): Promise<Backend | undefined> {
  const f = factories[name];
  if (!f) throw new Error(`unknown backend '${name}'; available: ${backendNames().join(', ')}`);
  return f();
}
