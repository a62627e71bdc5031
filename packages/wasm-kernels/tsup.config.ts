import { defineConfig } from 'tsup';

// The wasm binary is compiled into dist/ by `asc` (see package.json); tsup must not delete it.
export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm'],
  dts: true,
  clean: ['**/*', '!kernels.wasm', '!kernels.debug.wasm', '!kernels.debug.wat'],
  sourcemap: true,
  target: 'es2022',
  // Keep `node:fs/promises` (only imported for file: URLs) recognisable as a Node built-in for browser bundlers.
  removeNodeProtocol: false,
});
