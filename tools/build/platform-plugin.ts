/**
 * The build side of the platform split used by packages that touch Node built-ins
 * (`@diffeo/io`, `@diffeo/wasm-kernels`): their sources import `#platform`, which
 * package.json's `imports` maps to `src/platform.node.ts`, or to
 * `src/platform.browser.ts` under the `browser` condition (tests and bundlers reading
 * `src/`). For the published `dist/`, this esbuild plugin resolves `#platform` at build
 * time, once per side, so each bundle is self-contained: the Node one imports Node
 * built-ins, the browser one (the `browser` export condition) contains no Node code.
 */
import type { Plugin } from 'esbuild';
import { join } from 'node:path';

/** Resolves `#platform` to `<packageDir>/src/platform.<side>.ts`. */
export function platformPlugin(packageDir: string, side: 'node' | 'browser'): Plugin {
  return {
    name: `diffeo-platform-${side}`,
    setup(build) {
      build.onResolve({ filter: /^#platform$/ }, () => ({ path: join(packageDir, 'src', `platform.${side}.ts`) }));
    },
  };
}
