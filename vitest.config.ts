import { defineConfig } from 'vitest/config';

// Tests import packages by their own names; the "@diffeo/source" export
// condition resolves them to src/, so no build is needed before testing.
export default defineConfig({
  resolve: { conditions: ['@diffeo/source', 'import', 'module', 'default'] },
  ssr: { resolve: { conditions: ['@diffeo/source', 'import', 'module', 'default'] } },
  test: {
    include: ['packages/**/src/**/*.test.ts', 'tools/**/src/**/*.test.ts', 'apps/**/src/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    testTimeout: 120_000,
    pool: 'forks',
    // The JSON report lets .ci/run print a plain "N passed, N failed" closing line.
    reporters: ['default', ['json', { outputFile: '.vitest-results.json' }]],
  },
});
