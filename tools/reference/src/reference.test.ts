import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { loadBackend } from '@diffeo/align';
import { formatReports, handlerLoadErrors, loadHandlers, runManifest } from './runner.js';
import type { Manifest } from './types.js';

// The in-repo copies: DIPY 1.6's public fixtures, and extra cases made with
// tools/reference/python/make_fixtures.py (same format).
const manifests = ['../../../fixtures/reference/manifest.json', '../../../fixtures/extra/manifest.json'].map((p) =>
  fileURLToPath(new URL(p, import.meta.url)),
);

describe('DIPY reference fixtures (in-repo copies)', async () => {
  const handlers = await loadHandlers();
  it('loads every handler module', () => {
    expect(handlerLoadErrors).toEqual([]);
  });
  for (const manifestPath of manifests) {
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;
    describe(manifest.title ?? manifestPath, () => {
      it('has a handler for every case', () => {
        const missing = manifest.cases.filter((c) => !handlers.some((h) => h.dipyFunctions.includes(c.dipy_function)));
        expect(missing.map((c) => c.name)).toEqual([]);
      });
      for (const c of manifest.cases) {
        it(c.name, async () => {
          const reports = await runManifest(manifestPath, { caseName: c.name, handlers });
          expect(reports[0].status, formatReports(reports)).toBe('pass');
        });
      }
      // The same cases on the WebAssembly kernels (2 threads, every call split), which must give the same bits.
      it('every case on the WebAssembly backend', async () => {
        const { context } = await loadBackend('wasm', { threads: 2, minParallelWork: 0 });
        const reports = await runManifest(manifestPath, { handlers, context });
        expect(reports.filter((r) => r.status !== 'pass').map((r) => r.case), formatReports(reports)).toEqual([]);
      });
    });
  }
});
