/**
 * The EM-metric DIPY cases (fixtures/reference, made by
 * tools/reference/python/make_em_fixtures.py) once more with the WebAssembly
 * backend registered: its EM kernels (and all others SyN uses) must give DIPY's
 * bits too. The TypeScript run is part of reference.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { wasmBackend } from '@diffeo/wasm-kernels';
import { formatReports, loadHandlers, runManifest } from './runner.js';
import type { Manifest } from './types.js';

const manifestPath = fileURLToPath(new URL('../../../fixtures/reference/manifest.json', import.meta.url));

describe('EM reference cases on the wasm backend', async () => {
  const handlers = await loadHandlers();
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;
  const cases = manifest.cases.filter((c) => /^(unit|e2e)_em_/.test(c.name));
  it('finds the EM cases', () => {
    expect(cases.map((c) => c.name).sort()).toEqual(['e2e_em_demons_2d', 'e2e_em_gn_2d', 'e2e_em_gn_3d', 'unit_em_kernels', 'unit_em_metric']);
  });
  for (const c of cases) {
    it(c.name, async () => {
      const backend = await wasmBackend();
      try {
        const reports = await runManifest(manifestPath, { caseName: c.name, handlers, backend });
        expect(reports[0].status, formatReports(reports)).toBe('pass');
      } finally {
        backend.dispose?.();
      }
    });
  }
});
