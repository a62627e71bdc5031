/**
 * The kernels a command runs on: `--backend wasm|ts` through `loadBackend` of `@diffeo/align`.
 */
import { loadBackend, type LoadedBackend } from '@diffeo/align';
import { errorText } from './args.js';
import { CliError } from './images.js';

/**
 * The kernels of a command (`loadBackend` of `@diffeo/align`): the
 * WebAssembly backend (falling back to the TypeScript kernels, with a notice, when it
 * cannot be loaded and was not asked for explicitly) or the TypeScript kernels.
 */
export async function kernelBackend(name: 'wasm' | 'ts', explicit: boolean, quiet: boolean, command: string): Promise<LoadedBackend> {
  try {
    const loaded = await loadBackend(name === 'ts' ? 'ts' : explicit ? 'wasm' : 'auto');
    if (loaded.fallbackReason !== null && !quiet) {
      console.error(`diffeo ${command}: the WebAssembly backend could not be loaded (${loaded.fallbackReason}); using the TypeScript kernels`);
    }
    return loaded;
  } catch (e) {
    throw new CliError(`--backend wasm: ${errorText(e)}`);
  }
}
