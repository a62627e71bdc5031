/**
 * End-to-end test of the browser demo in Debian's Chromium, driven by playwright-core.
 *
 * The page is built from source (`vite build --mode source`, so the `@diffeo/*`
 * packages need no prior build and the test never runs a stale `dist/`) into a temp
 * folder, served by a tiny static server on 127.0.0.1 (ephemeral port), and opened in
 * headless Chromium. Skipped, saying so, when /usr/bin/chromium is missing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { chromium, type Browser, type Page } from 'playwright-core';

const CHROMIUM = '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
if (!HAVE_CHROMIUM) {
  console.warn(`@diffeo/app-web: skipping the browser test: ${CHROMIUM} not found (install it with: apt-get install -y chromium)`);
}

const APP_DIR = fileURLToPath(new URL('..', import.meta.url));
const RESULT_TIMEOUT_MS = 60_000;

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
};

/** Serves `root` read-only on 127.0.0.1 with an ephemeral port. */
function serve(root: string): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
    const file = normalize(join(root, path.endsWith('/') ? `${path}index.html` : path));
    if (!(file === root || file.startsWith(root + sep)) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': MIME[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    res.end(readFileSync(file));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` }));
  });
}

describe.skipIf(!HAVE_CHROMIUM)(`@diffeo/app-web in Chromium${HAVE_CHROMIUM ? '' : ` (skipped: ${CHROMIUM} not found)`}`, () => {
  let outDir = '';
  let shotDir = '';
  let server: Server | null = null;
  let baseUrl = '';
  let browser: Browser | null = null;
  let pageErrors: string[] = [];

  beforeAll(async () => {
    outDir = mkdtempSync(join(tmpdir(), 'diffeo-web-build-'));
    shotDir = mkdtempSync(join(tmpdir(), 'diffeo-web-shots-'));
    const viteBin = join(dirname(createRequire(join(APP_DIR, 'package.json')).resolve('vite/package.json')), 'bin', 'vite.js');
    const r = spawnSync(process.execPath, [viteBin, 'build', '--mode', 'source', '--outDir', outDir, '--emptyOutDir', '--logLevel', 'error'], {
      cwd: APP_DIR, encoding: 'utf8', timeout: 120_000,
    });
    if (r.status !== 0) throw new Error(`vite build failed (status ${r.status}):\n${r.stdout}\n${r.stderr}`);
    ({ server, url: baseUrl } = await serve(outDir));
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    if (outDir) rmSync(outDir, { recursive: true, force: true });
  });

  async function openPage(): Promise<Page> {
    const page = await browser!.newPage({ viewport: { width: 1100, height: 900 } });
    pageErrors = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('console', (m) => { if (m.type() === 'error') pageErrors.push(m.text()); });
    page.on('response', (r) => { if (r.status() >= 400) pageErrors.push(`HTTP ${r.status()} for ${r.url()}`); });
    await page.goto(baseUrl);
    await page.waitForSelector('body[data-state="ready"], body[data-state="error"]', { timeout: 30_000 });
    expect(await page.locator('body').getAttribute('data-state'), await page.locator('#status').innerText()).toBe('ready');
    return page;
  }

  /** Counts a canvas's pixels that are not white, and its distinct colours. */
  function canvasStats(page: Page, id: string): Promise<{ width: number; height: number; nonWhite: number; colours: number }> {
    return page.evaluate((canvasId) => {
      const c = document.getElementById(canvasId) as HTMLCanvasElement;
      if (c.width === 0 || c.height === 0) return { width: c.width, height: c.height, nonWhite: 0, colours: 0 };
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      const colours = new Set<number>();
      let nonWhite = 0;
      for (let i = 0; i < d.length; i += 4) {
        if (d[i] !== 255 || d[i + 1] !== 255 || d[i + 2] !== 255) nonWhite++;
        if (colours.size < 1000) colours.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
      }
      return { width: c.width, height: c.height, nonWhite, colours: colours.size };
    }, id);
  }

  it('registers the circle onto the C in a worker: Dice >= 0.99, warped overlay and lattices drawn', async () => {
    const page = await openPage();
    await page.click('#register');
    await page.waitForSelector('body[data-state="done"], body[data-state="error"], body[data-state="cancelled"]', { timeout: RESULT_TIMEOUT_MS });
    const status = await page.locator('#status').innerText();
    expect(await page.locator('body').getAttribute('data-state'), `status: ${status}; page errors: ${pageErrors.join(' | ')}`).toBe('done');

    const result = await page.locator('#result').innerText();
    const after = /after (\d+\.\d+)/.exec(result);
    expect(after, `result text: ${result}`).not.toBeNull();
    expect(Number(after![1])).toBeGreaterThanOrEqual(0.99);
    expect(result).toMatch(/registration \d+\.\d\d s/);
    // the worker ran the WebAssembly kernels (not the TypeScript fallback)
    expect(result).toMatch(/WebAssembly, \d+ threads?\)/);

    // one progress line per pyramid level (SCALE_END of levels 3, 2, 1, 0)
    const levels = await page.locator('#progress li').allInnerTexts();
    expect(levels.map((t) => /^level (\d)/.exec(t)?.[1])).toEqual(['3', '2', '1', '0']);

    const warped = await canvasStats(page, 'warped-canvas');
    expect(warped.width).toBeGreaterThan(256 * 3); // three 256-pixel panels and margins
    expect(warped.nonWhite).toBeGreaterThan(10_000);
    expect(warped.colours).toBeGreaterThanOrEqual(3);
    const lattice = await canvasStats(page, 'lattice-canvas');
    expect(lattice.width).toBeGreaterThan(256 * 2);
    expect(lattice.nonWhite).toBeGreaterThan(10_000);

    const shot = join(shotDir, 'web-registered.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect(statSync(shot).size).toBeGreaterThan(10_000);
    console.log(`@diffeo/app-web: screenshot at ${shot}`);
    expect(pageErrors).toEqual([]);
    await page.close();
  }, 120_000);

  it('cancels a running registration through the worker\'s AbortController', async () => {
    const page = await openPage();
    await page.click('#register');
    await page.click('#cancel');
    await page.waitForSelector('body[data-state="done"], body[data-state="error"], body[data-state="cancelled"]', { timeout: RESULT_TIMEOUT_MS });
    expect(await page.locator('body').getAttribute('data-state')).toBe('cancelled');
    expect(await page.locator('#status').innerText()).toBe('cancelled');
    expect(await page.locator('#result').innerText()).toBe('');
    expect((await canvasStats(page, 'warped-canvas')).width).toBe(0);
    // the page can register again after a cancel
    expect(await page.locator('#register').isEnabled()).toBe(true);
    expect(pageErrors).toEqual([]);
    await page.close();
  }, 120_000);
});
