import { defineConfig } from 'tsup';

// The `diffeo` command: one ESM bundle of this package's own code (dependencies stay
// imports), with the shebang of src/main.ts kept.
export default defineConfig({
  entry: ['src/main.ts'],
  format: ['esm'],
  dts: false,
  clean: true,
  sourcemap: true,
  target: 'es2022',
  platform: 'node',
});
