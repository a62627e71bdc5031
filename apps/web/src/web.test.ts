/**
 * End-to-end test of the web app in Debian's Chromium, driven by playwright-core.
 *
 * The page is built from source (`vite build --mode source`, so the `@diffeo/*`
 * packages need no prior build and the test never runs a stale `dist/`) into a temp
 * folder and served by Vite's own `preview` server with the app's `vite.config.ts` (so
 * the COOP/COEP headers under test are the ones `pnpm preview` sends), on 127.0.0.1 and
 * an ephemeral port, then opened in headless Chromium with SwiftShader's WebGL (NiiVue
 * needs WebGL2). Inputs: DIPY's circle-to-C sample (the page's sample button) and a real
 * 3D NIfTI pair, two 64×64×10 crops of DIPY's S0_10slices.nii.gz displaced by 3 voxels
 * (test-data/, written by test-data/make_test_data.py), uploaded through the file inputs.
 * Downloads are parsed back with @diffeo/io and, when Debian's nibabel is installed,
 * with nibabel. Skipped, saying so, when /usr/bin/chromium is missing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createServer, preview, type PreviewServer } from 'vite';
import { jacobianStats, mapJacobianDeterminant } from '@diffeo/core';
import { parseMapping, parseNifti } from '@diffeo/io';

const CHROMIUM = '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
if (!HAVE_CHROMIUM) {
  console.warn(`@diffeo/app-web: skipping the browser test: ${CHROMIUM} not found (install it with: apt-get install -y chromium)`);
}
/** Debian's Python with nibabel (an independent reader of the downloaded files). */
const PYTHON = '/usr/bin/python3';
const HAVE_NIBABEL = existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import nibabel'], { timeout: 30_000 }).status === 0;

const APP_DIR = fileURLToPath(new URL('..', import.meta.url));
const CONFIG = join(APP_DIR, 'vite.config.ts');
const STATIC_NII = join(APP_DIR, 'test-data', 's0_static.nii.gz');
const MOVING_NII = join(APP_DIR, 'test-data', 's0_moving.nii.gz');
const RESULT_TIMEOUT_MS = 120_000;
const FINAL_STATES = 'body[data-state="done"], body[data-state="error"], body[data-state="cancelled"]';

/** Pearson correlation of two equal-length arrays (an oracle independent of the page's). */
function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0, mb = 0;
  for (let i = 0; i < n; i++) { ma += a[i] / n; mb += b[i] / n; }
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < n; i++) { sab += (a[i] - ma) * (b[i] - mb); saa += (a[i] - ma) ** 2; sbb += (b[i] - mb) ** 2; }
  return sab / Math.sqrt(saa * sbb);
}

describe.skipIf(!HAVE_CHROMIUM)(`@diffeo/app-web in Chromium${HAVE_CHROMIUM ? '' : ` (skipped: ${CHROMIUM} not found)`}`, () => {
  let outDir = '';
  let shotDir = '';
  let server: PreviewServer | null = null;
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
    server = await preview({
      configFile: CONFIG, root: APP_DIR, mode: 'source', logLevel: 'error',
      build: { outDir }, preview: { port: 0, strictPort: true, open: false },
    });
    baseUrl = `http://127.0.0.1:${(server.httpServer.address() as AddressInfo).port}/`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless', '--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--ignore-gpu-blocklist',
        '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync',
      ],
    });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (outDir) rmSync(outDir, { recursive: true, force: true });
  });

  async function openPage(): Promise<Page> {
    const page = await browser!.newPage({ viewport: { width: 1100, height: 1000 }, acceptDownloads: true });
    pageErrors = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('console', (m) => { if (m.type() === 'error') pageErrors.push(m.text()); });
    page.on('response', (r) => { if (r.status() >= 400) pageErrors.push(`HTTP ${r.status()} for ${r.url()}`); });
    await page.goto(baseUrl);
    await page.waitForSelector('body[data-state="empty"]', { timeout: 30_000 });
    return page;
  }

  async function openSample(): Promise<Page> {
    const page = await openPage();
    await page.click('#sample');
    await page.waitForSelector('body[data-state="ready"], body[data-state="error"]', { timeout: 30_000 });
    expect(await page.locator('body').getAttribute('data-state'), await page.locator('#status').innerText()).toBe('ready');
    return page;
  }

  async function waitForResult(page: Page): Promise<void> {
    await page.waitForSelector(FINAL_STATES, { timeout: RESULT_TIMEOUT_MS });
    const status = await page.locator('#status').innerText();
    expect(await page.locator('body').getAttribute('data-state'), `status: ${status}; page errors: ${pageErrors.join(' | ')}`).toBe('done');
  }

  /** Counts a 2D canvas's pixels that are not white, and its distinct colours. */
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

  /**
   * A screenshot of the NiiVue canvas (what the user sees, composited by the browser),
   * decoded in the page: its size, distinct colours and the share of its commonest colour.
   */
  async function viewerScreenshot(page: Page, name: string): Promise<{ width: number; height: number; colours: number; commonest: number }> {
    const path = join(shotDir, name);
    const png = await page.locator('#viewer').screenshot({ path });
    console.log(`@diffeo/app-web: NiiVue screenshot at ${path}`);
    return page.evaluate(async (b64) => {
      const bytes = Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0));
      const bmp = await createImageBitmap(new Blob([bytes], { type: 'image/png' }));
      const c = new OffscreenCanvas(bmp.width, bmp.height);
      const ctx = c.getContext('2d')!;
      ctx.drawImage(bmp, 0, 0);
      const d = ctx.getImageData(0, 0, bmp.width, bmp.height).data;
      const counts = new Map<number, number>();
      for (let i = 0; i < d.length; i += 4) {
        const k = (d[i] << 16) | (d[i + 1] << 8) | d[i + 2];
        counts.set(k, (counts.get(k) ?? 0) + 1);
      }
      const n = d.length / 4;
      return { width: bmp.width, height: bmp.height, colours: counts.size, commonest: Math.max(...counts.values()) / n };
    }, png.toString('base64'));
  }

  async function download(page: Page, id: string): Promise<Uint8Array> {
    const [dl] = await Promise.all([page.waitForEvent('download'), page.click(`#${id}`)]);
    const path = await dl.path();
    return new Uint8Array(readFileSync(path));
  }

  it('the preview and dev servers send COOP/COEP, and the page is cross-origin isolated', async () => {
    const res = await fetch(baseUrl);
    expect(res.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(res.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
    // (headers only: no dependency pre-bundling needed for that)
    const dev = await createServer({ configFile: CONFIG, root: APP_DIR, logLevel: 'error', server: { port: 0, strictPort: true }, optimizeDeps: { noDiscovery: true } });
    try {
      await dev.listen();
      const devRes = await fetch(`http://127.0.0.1:${(dev.httpServer!.address() as AddressInfo).port}/`);
      expect(devRes.status).toBe(200);
      expect(devRes.headers.get('cross-origin-opener-policy')).toBe('same-origin');
      expect(devRes.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
    } finally {
      await dev.close();
    }
    const page = await openPage();
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    await page.close();
  }, 60_000);

  it('registers the circle onto the C in a worker (the sample button): Dice >= 0.99, warped overlay and lattices drawn', async () => {
    const page = await openSample();
    await page.click('#register');
    await waitForResult(page);

    const result = await page.locator('#result').innerText();
    const after = /Dice \(mask > 0\.5\): before \d+\.\d+, after (\d+\.\d+)/.exec(result);
    expect(after, `result text: ${result}`).not.toBeNull();
    expect(Number(after![1])).toBeGreaterThanOrEqual(0.99);
    expect(result).toMatch(/registration \d+\.\d\d s/);
    // the worker ran the WebAssembly kernels (not the TypeScript fallback)
    expect(await page.locator('#backend').getAttribute('data-name')).toBe('wasm');

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
    // NiiVue shows the 2D result too
    const shot = await viewerScreenshot(page, 'viewer-sample.png');
    expect(shot.colours).toBeGreaterThan(3);
    expect(shot.commonest).toBeLessThan(0.98);
    expect(pageErrors, pageErrors.join(" | ")).toEqual([]);
    await page.close();
  }, 180_000);

  it('cancels a running registration through the worker\'s AbortController', async () => {
    const page = await openSample();
    await page.click('#register');
    await page.click('#cancel');
    await page.waitForSelector(FINAL_STATES, { timeout: RESULT_TIMEOUT_MS });
    expect(await page.locator('body').getAttribute('data-state')).toBe('cancelled');
    expect(await page.locator('#status').innerText()).toBe('cancelled');
    expect(await page.locator('#result').innerText()).toBe('');
    expect((await canvasStats(page, 'warped-canvas')).width).toBe(0);
    expect(await page.locator('#download-warped').isHidden()).toBe(true);
    // the page can register again after a cancel
    expect(await page.locator('#register').isEnabled()).toBe(true);
    expect(pageErrors, pageErrors.join(" | ")).toEqual([]);
    await page.close();
  }, 180_000);

  it('registers a 3D NIfTI pair opened through the file inputs (cc radius 2, levelIters 10,10,5): NCC improves, wasm threads, downloads parse, NiiVue draws', async () => {
    const page = await openPage();
    await page.setInputFiles('#static-file', STATIC_NII);
    await page.waitForFunction(() => document.getElementById('static-info')!.textContent!.includes('s0_static'));
    await page.setInputFiles('#moving-file', MOVING_NII);
    await page.waitForSelector('body[data-state="ready"], body[data-state="error"]', { timeout: 30_000 });
    expect(await page.locator('body').getAttribute('data-state'), await page.locator('#status').innerText()).toBe('ready');
    expect(await page.locator('#static-info').innerText()).toContain('3D, 64×64×10 voxels');

    // cc radius 4 with levelIters 10,10,5 is too large for 10 slices: the worker's error is shown
    await page.selectOption('#metric', 'cc');
    await page.fill('#radius', '4');
    await page.fill('#level-iters', '10,10,5');
    await page.click('#register');
    await page.waitForSelector(FINAL_STATES, { timeout: RESULT_TIMEOUT_MS });
    expect(await page.locator('body').getAttribute('data-state')).toBe('error');
    expect(await page.locator('#status').innerText()).toMatch(/needs at least 2·radius\+1 = 9 voxels along every axis.*smaller radius/);
    expect(await page.locator('#register').isEnabled()).toBe(true);

    await page.fill('#radius', '2');
    await page.click('#register');
    await waitForResult(page);

    // the scores: NCC of the static and the warped moving image beats that of the inputs
    const nccBefore = Number(await page.locator('#result').getAttribute('data-ncc-before'));
    const nccAfter = Number(await page.locator('#result').getAttribute('data-ncc-after'));
    expect(nccBefore).toBeLessThan(0.3);
    expect(nccAfter).toBeGreaterThan(nccBefore + 0.1);
    // progress: one message per iteration, one line per level
    const result = await page.locator('#result').innerText();
    const perLevel = /iterations per level \[([\d, ]+)\]/.exec(result)![1].split(',').map(Number);
    expect(perLevel).toHaveLength(3);
    expect(Number(await page.locator('#progress-text').getAttribute('data-iterations'))).toBe(perLevel.reduce((a, b) => a + b, 0));
    expect(await page.locator('#progress li').count()).toBe(3);

    // the backend object's report: WebAssembly, cross-origin isolated, its live thread count
    const backend = page.locator('#backend');
    expect(await backend.getAttribute('data-name')).toBe('wasm');
    expect(await backend.getAttribute('data-cross-origin-isolated')).toBe('true');
    const threads = Number(await backend.getAttribute('data-threads'));
    expect(threads).toBeGreaterThanOrEqual(1);
    console.log(`@diffeo/app-web: ${await backend.innerText()} (navigator.hardwareConcurrency ${await page.evaluate(() => navigator.hardwareConcurrency)})`);

    // the downloads: NIfTI bytes on the static grid
    const staticFile = parseNifti(new Uint8Array(readFileSync(STATIC_NII)));
    const movingFile = parseNifti(new Uint8Array(readFileSync(MOVING_NII)));
    const warpedBytes = await download(page, 'download-warped');
    expect([warpedBytes[0], warpedBytes[1]]).toEqual([0x1f, 0x8b]); // gzip
    const warped = parseNifti(warpedBytes);
    expect(warped.shape).toEqual([64, 64, 10]);
    expect(Array.from(warped.affine)).toEqual(Array.from(staticFile.affine));
    expect(pearson(staticFile.data, warped.data)).toBeCloseTo(nccAfter, 5);
    expect(pearson(staticFile.data, movingFile.data)).toBeCloseTo(nccBefore, 10);
    const mappingBytes = await download(page, 'download-mapping');
    const map = parseMapping(mappingBytes);
    expect(map.dim).toBe(3);
    expect(Array.from(map.domainShape ?? [])).toEqual([64, 64, 10]);
    expect(Array.from(map.codomainShape ?? [])).toEqual([64, 64, 10]);
    // det J: the page's figures are those of the downloaded mapping's backward field, the warp
    // `diffeo apply` uses (computed again here, in Node, on the TypeScript kernels)
    const stats = jacobianStats(mapJacobianDeterminant(map, 'backward').data);
    expect(Number(await page.locator('#result').getAttribute('data-min-det-j'))).toBe(stats.minDetJ);
    expect(Number(await page.locator('#result').getAttribute('data-folded-voxels'))).toBe(stats.foldedVoxels);
    if (HAVE_NIBABEL) {
      const dir = mkdtempSync(join(tmpdir(), 'diffeo-web-dl-'));
      try {
        const file = join(dir, 'warped.nii.gz');
        (await import('node:fs')).writeFileSync(file, warpedBytes);
        const py = spawnSync(PYTHON, ['-c', 'import sys, nibabel; i = nibabel.load(sys.argv[1]); print(list(i.shape), i.get_data_dtype())', file], { encoding: 'utf8', timeout: 30_000 });
        expect(py.status, py.stderr).toBe(0);
        expect(py.stdout.trim()).toBe('[64, 64, 10] float32');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }

    // NiiVue: three planes of a 3D image with the warped overlay, not a blank canvas
    const shot = await viewerScreenshot(page, 'viewer-3d.png');
    expect(shot.width).toBeGreaterThan(500);
    expect(shot.colours).toBeGreaterThan(50);
    expect(shot.commonest).toBeLessThan(0.95);
    // the det J map as the overlay
    expect(await page.locator('#overlay option[value="jacobian"]').isDisabled()).toBe(false);
    await page.selectOption('#overlay', 'jacobian');
    const jacShot = await viewerScreenshot(page, 'viewer-3d-jacobian.png');
    expect(jacShot.colours).toBeGreaterThan(50);
    expect(await page.evaluate(() => document.body.dataset.state)).toBe('done');
    expect(pageErrors, pageErrors.join(" | ")).toEqual([]);
    await page.close();
  }, 180_000);

  it('refuses a file that is not NIfTI, saying so; two NIfTI files dropped on a box become static and moving', async () => {
    const page = await openPage();
    await page.setInputFiles('#static-file', join(APP_DIR, 'test-data', 'make_test_data.py'));
    await page.waitForSelector('body[data-state="error"]', { timeout: 30_000 });
    expect(await page.locator('#status').innerText()).toMatch(/make_test_data\.py is not a NIfTI file: choose a \.nii or \.nii\.gz file/);
    expect(await page.locator('#register').isDisabled()).toBe(true);

    // a drop event carrying the two files (static first), as a file manager's drag delivers them
    const files = [STATIC_NII, MOVING_NII].map((p) => ({ name: p.split('/').pop()!, b64: readFileSync(p).toString('base64') }));
    const dataTransfer = await page.evaluateHandle((list) => {
      const dt = new DataTransfer();
      for (const f of list) dt.items.add(new File([Uint8Array.from(atob(f.b64), (ch) => ch.charCodeAt(0))], f.name, { type: 'application/gzip' }));
      return dt;
    }, files);
    await page.dispatchEvent('#moving-drop', 'drop', { dataTransfer });
    await page.waitForSelector('body[data-state="ready"], body[data-state="error"]', { timeout: 30_000 });
    expect(await page.locator('body').getAttribute('data-state'), await page.locator('#status').innerText()).toBe('ready');
    expect(await page.locator('#static-info').innerText()).toMatch(/^s0_static\.nii\.gz: 3D, 64×64×10 voxels, 2\.00×2\.00×4\.00 mm/);
    expect(await page.locator('#moving-info').innerText()).toMatch(/^s0_moving\.nii\.gz: 3D, 64×64×10 voxels/);
    expect(pageErrors, pageErrors.join(' | ')).toEqual([]);
    await page.close();
  }, 60_000);
});
