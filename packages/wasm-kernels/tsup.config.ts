import { defineConfig, type Options } from 'tsup';
import { fileURLToPath } from 'node:url';
import { platformPlugin as plugin } from '../../tools/build/platform-plugin.js';

// The wasm binaries are compiled into dist/ by `asc` (see package.json); tsup must not delete them.
//
// Platform split (tools/build/platform-plugin.ts): self-contained bundles, `index.js` and
// `worker.js` for Node, `index.browser.js` and `worker.browser.js` (no Node code at all)
// for the `browser` export condition.
const here = fileURLToPath(new URL('.', import.meta.url));
const platformPlugin = (side: 'node' | 'browser') => plugin(here, side);

const common: Options = {
  format: ['esm'],
  splitting: false,
  sourcemap: true,
  target: 'es2022',
  // Keep `node:` built-ins (only imported in Node) recognisable as such for browser bundlers.
  removeNodeProtocol: false,
};

export default defineConfig([
  {
    ...common,
    entry: { index: 'src/index.ts' },
    dts: { entry: 'src/index.ts' },
    esbuildPlugins: [platformPlugin('node')],
    clean: ['**/*', '!kernels.wasm', '!kernels-threads.wasm', '!kernels.debug.wasm', '!kernels.debug.wat', '!*.browser.js', '!*.browser.js.map', '!worker.js', '!worker.js.map'],
  },
  { ...common, entry: { 'index.browser': 'src/index.ts' }, esbuildPlugins: [platformPlugin('browser')], clean: false },
  { ...common, entry: { worker: 'src/worker.ts' }, esbuildPlugins: [platformPlugin('node')], clean: false },
  { ...common, entry: { 'worker.browser': 'src/worker.ts' }, esbuildPlugins: [platformPlugin('browser')], clean: false },
]);
