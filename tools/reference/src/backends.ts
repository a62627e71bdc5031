/** Backends selectable by name in the reference runner: `loadBackend` of `@diffeo/align`. */
import { loadBackend, type BackendChoice } from '@diffeo/align';
import type { KernelContext } from '@diffeo/core';

const NAMES: readonly BackendChoice[] = ['ts', 'wasm', 'auto'];

/** Names accepted by `--backend`. */
export function backendNames(): string[] {
  return [...NAMES];
}

/** The kernel context of the named backend (`'wasm'` fails when the WebAssembly backend cannot load). */
export async function loadKernels(name: string): Promise<KernelContext> {
  if (!(NAMES as readonly string[]).includes(name)) throw new Error(`unknown backend '${name}'; available: ${NAMES.join(', ')}`);
  return (await loadBackend(name as BackendChoice)).context;
}
