/**
 * The bench's browser mode end to end on the tiny2d case (one run): diffeo-wasm in
 * headless Chromium must give the Node wasm child's warped image and labels byte for
 * byte (the same kernels, the same code: `registration.ts`). Needs the packages built
 * (`pnpm build`: the page is bundled from their `dist/`, as a user's app is). Skipped,
 * saying so, only when /usr/bin/chromium is missing.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runBench } from './bench.js';
import { CHROMIUM } from './browser.js';
import { selectCases } from './cases.js';
import { toTableRows } from './format.js';

const skip = existsSync(CHROMIUM) ? '' : `${CHROMIUM} not found (apt-get install -y chromium)`;
if (skip) console.warn(`@diffeo/tool-bench: skipping the browser bench test: ${skip}`);

describe.skipIf(skip !== '')(`pnpm bench --browser${skip ? ` (skipped: ${skip})` : ''}`, () => {
  it('runs tiny2d in Chromium (cross-origin isolated worker) and gets the Node wasm run\'s bytes', async () => {
    const logs: string[] = [];
    const report = await runBench({
      cases: selectCases('tiny2d'), runs: 1, dataDir: null, skipDipy: true, backends: ['wasm', 'browser'],
      python: '/usr/bin/python3', keep: true, log: (m) => logs.push(m),
    });
    try {
      expect(report.implementations.browser.available, report.implementations.browser.reason).toBe(true);
      expect(report.implementations.browser.version).toMatch(/^diffeo \+ wasm backend in Chromium \d+/);
      const row = report.rows[0];
      const b = row.impls.browser, w = row.impls.wasm;
      expect(b.status, `${b.reason}\n${logs.join('\n')}`).toBe('ok');
      expect(w.status, w.reason).toBe('ok');
      expect(b.optimizeSeconds).toBeGreaterThan(0);
      expect(b.iterationsPerLevel).toEqual(w.iterationsPerLevel);
      expect(logs.join('\n')).toMatch(/browser: WebAssembly, \d+ threads? at the end, cross-origin isolated/);
      // the same bytes: warped image and warped labels
      const dir = join(report.tempDir!, 'tiny2d');
      for (const f of ['warped_moving.npy', 'warped_labels.npy']) {
        const got = readFileSync(join(dir, 'out-browser', f)), want = readFileSync(join(dir, 'out-wasm', f));
        expect(got.length, f).toBe(want.length);
        expect(got.equals(want), `${f} differs between the browser and Node`).toBe(true);
      }
      expect(b.runs[0].warpedSha1).toBe(w.runs[0].warpedSha1);
      const [t] = toTableRows(report.rows);
      expect(t.browser_same_bits_as_wasm).toBe(true);
      expect(t.browser_over_wasm).toBeCloseTo(b.optimizeSeconds! / w.optimizeSeconds!, 12);
      expect(t.quality_browser).toBe(t.quality_wasm);
      // the renderer's peak RSS, read from /proc (Linux): at least what the page holds
      expect(t.browser_rss_kib).toBeGreaterThan(10_000);
    } finally {
      if (report.tempDir && existsSync(report.tempDir)) rmSync(report.tempDir, { recursive: true, force: true });
    }
  }, 120_000);
});
