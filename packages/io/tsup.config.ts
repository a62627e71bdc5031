import { defineConfig, type Options } from 'tsup';
import { fileURLToPath } from 'node:url';
import { platformPlugin } from '../../tools/build/platform-plugin.js';

// Platform split (tools/build/platform-plugin.ts): `index.js` (and `npy.js`) for Node,
// `index.browser.js` (no Node code) for the `browser` export condition. `npy.js` never
// touches the file system, so one build of it serves both.
const here = fileURLToPath(new URL('.', import.meta.url));
const common: Options = { format: ['esm'], sourcemap: true, target: 'es2022', removeNodeProtocol: false };

export default defineConfig([
  {
    ...common,
    entry: ['src/index.ts', 'src/npy.ts'],
    dts: true,
    clean: ['**/*', '!index.browser.js', '!index.browser.js.map'],
    esbuildPlugins: [platformPlugin(here, 'node')],
  },
  {
    ...common,
    entry: { 'index.browser': 'src/index.ts' },
    splitting: false,
    clean: false,
    esbuildPlugins: [platformPlugin(here, 'browser')],
  },
]);
