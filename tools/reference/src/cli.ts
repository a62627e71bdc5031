#!/usr/bin/env node
/**
 * `pnpm reference --manifest <manifest.json> [--case NAME] [--backend NAME] [--json]`
 *
 * Runs DIPY reference cases against diffeo and prints a table; exits 1 on any failure.
 */
import { parseArgs } from 'node:util';
import { formatReports, handlerLoadErrors, runManifest } from './runner.js';
import { loadKernels, backendNames } from './backends.js';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      manifest: { type: 'string', short: 'm' },
      case: { type: 'string', short: 'c' },
      backend: { type: 'string', short: 'b', default: 'ts' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help || !values.manifest) {
    console.log('usage: pnpm reference --manifest <path/to/manifest.json> [--case NAME] [--backend ' + backendNames().join('|') + '] [--json]');
    return values.help ? 0 : 2;
  }
  const context = await loadKernels(values.backend ?? 'ts');
  const reports = await runManifest(values.manifest, { caseName: values.case, context });
  for (const e of handlerLoadErrors) console.error(`warning: handler module ${e.file} failed to load: ${e.error}`);
  console.log(values.json ? JSON.stringify(reports, null, 2) : formatReports(reports));
  return reports.some((r) => r.status === 'fail') ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`reference: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(2);
  },
);
