/**
 * Vite config of the browser demo.
 *
 * Package resolution: `vite build` (what turbo's root `pnpm build` runs, after the
 * `^build` of every workspace dependency) resolves `@diffeo/*` through the ordinary
 * `import` condition to each package's built `dist/`, so the shipped page is built
 * from exactly what the packages publish. `vite` (dev server) and `vite build --mode
 * source` (used by the end-to-end test) add the repository's `@diffeo/source`
 * condition and resolve to each package's `src/` instead, so neither needs the
 * packages built first (the same convention as the vitest config).
 *
 * Cross-origin isolation: both servers send `Cross-Origin-Opener-Policy: same-origin`
 * and `Cross-Origin-Embedder-Policy: require-corp`, so the page and its worker are
 * `crossOriginIsolated`, may share WebAssembly memory, and the WebAssembly backend runs
 * its worker threads. A static host serving `dist/` must send the same two headers
 * (without them the page works, on one thread).
 */
import { defaultClientConditions, defineConfig } from 'vite';

/** The response headers that make the page cross-origin isolated. */
export const CROSS_ORIGIN_ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
} as const;

export default defineConfig(({ command, mode }) => {
  const fromSource = command === 'serve' || mode === 'source';
  const conditions = fromSource ? ['@diffeo/source', ...defaultClientConditions] : [...defaultClientConditions];
  return {
    // relative asset URLs: the built page works from any folder or sub-path
    base: './',
    resolve: { conditions },
    // the WebAssembly backend finds its .wasm files next to its modules (import.meta.url),
    // which the dev server's dependency pre-bundling would move
    optimizeDeps: { exclude: ['@diffeo/wasm-kernels'] },
    // module workers, so the worker bundle can share chunks and use import.meta.url
    worker: { format: 'es' },
    // NiiVue (lazy-loaded with the first images) is one ~1 MB chunk on its own; its zstd
    // and blosc codecs (~0.7 MB each, for OME-Zarr only) load only if a Zarr image is opened
    build: { target: 'es2022', sourcemap: true, chunkSizeWarningLimit: 1100 },
    server: { host: '127.0.0.1', headers: { ...CROSS_ORIGIN_ISOLATION_HEADERS } },
    preview: { host: '127.0.0.1', headers: { ...CROSS_ORIGIN_ISOLATION_HEADERS } },
  };
});
