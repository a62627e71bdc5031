import { defineConfig } from 'tsup';

// The benchmark's diffeo child, compiled so that `pnpm bench` runs it with plain
// `node` against the built packages (their `dist/`), as a user's program would: no
// TypeScript loader in the measured process. The @diffeo packages stay external.
export default defineConfig({
  entry: ['src/child-diffeo.ts'],
  format: ['esm'],
  dts: false,
  clean: true,
  sourcemap: false,
  target: 'es2022',
  external: [/^@diffeo\//],
});
