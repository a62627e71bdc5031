import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { formatReports, handlerLoadErrors, loadHandlers, runManifest } from './runner.js';
import { readFileSync } from 'node:fs';
import type { Manifest } from './types.js';

const manifestPath = fileURLToPath(new URL('../../../fixtures/reference/manifest.json', import.meta.url));
const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;

describe('DIPY reference fixtures (in-repo copy)', async () => {
  const handlers = await loadHandlers();
  const supported = manifest.cases.filter((c) => handlers.some((h) => h.dipyFunctions.includes(c.dipy_function)));
  it('loads every handler module', () => {
    expect(handlerLoadErrors).toEqual([]);
  });
  it('has handlers for cases', () => {
    expect(supported.length).toBeGreaterThan(0);
  });
  for (const c of supported) {
    it(c.name, async () => {
      const reports = await runManifest(manifestPath, { caseName: c.name, handlers });
      const text = formatReports(reports);
      expect(reports[0].status, text).toBe('pass');
    });
  }
});
