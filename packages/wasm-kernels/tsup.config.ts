import { defineConfig } from 'tsup';

// The wasm binaries are compiled into dist/ by `asc` (see package.json); tsup must not delete them.
// dist/worker.js is the worker script of the threaded backend: self-contained (no shared chunks).
export default defineConfig({
  entry: ['src/index.ts', 'src/worker.ts'],
  format: ['esm'],
  dts: { entry: 'src/index.ts' },
  splitting: false,
  clean: ['**/*', '!kernels.wasm', '!kernels-threads.wasm', '!kernels.debug.wasm', '!kernels.debug.wat'],
  sourcemap: true,
  target: 'es2022',
  // Keep `node:` built-ins (only imported in Node) recognisable as such for browser bundlers.
  removeNodeProtocol: false,
});
