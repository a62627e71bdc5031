import { defineConfig, type Options } from 'tsup';
import type { Plugin } from 'esbuild';

// The wasm binaries are compiled into dist/ by `asc` (see package.json); tsup must not delete them.
//
// Platform split: the sources import `#platform`, which package.json's `imports` maps to
// `src/platform.node.ts`, or `src/platform.browser.ts` under the `browser` condition (for
// tests and bundlers that read src/). The build resolves it here, once per platform, into
// self-contained bundles: `index.js` and `worker.js` for Node, `index.browser.js` and
// `worker.browser.js` (no Node code at all) for the `browser` export condition.
function platformPlugin(side: 'node' | 'browser'): Plugin {
  return {
    name: `platform-${side}`,
    setup(build) {
      build.onResolve({ filter: /^#platform$/ }, () => ({ path: new URL(`./src/platform.${side}.ts`, import.meta.url).pathname }));
    },
  };
}

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
