/**
 * The built backend (`dist/`) in a real browser: Debian's Chromium, headless,
 * driven by playwright-core (borrowed from `apps/web`, which depends on it). A tiny
 * static server on 127.0.0.1 (ephemeral port) serves `dist/` and a test page with
 * the cross-origin-isolation headers (COOP/COEP) that shared memory needs.
 *
 * - In a module Web Worker the backend uses 2 threads (two nested module workers
 *   loaded from `dist/worker.browser.js` through `new URL(…, import.meta.url)`), shared
 *   memory and `allocFloat32`; its outputs must equal `tsKernels`' bit for bit.
 * - On the page's main thread (where `Atomics.wait` is not allowed) it falls back
 *   to 1 thread, still with shared memory.
 *
 * Skipped, saying so, when /usr/bin/chromium or playwright-core is missing.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tsKernels, type Shape3D } from '@diffeo/core';

const CHROMIUM = '/usr/bin/chromium';
const DIST = fileURLToPath(new URL('../dist/', import.meta.url));

/** The little of playwright-core this test uses (its types live in apps/web's dependencies). */
interface PwPage {
  on(event: 'pageerror', f: (e: Error) => void): void;
  on(event: 'response', f: (r: { status(): number; url(): string }) => void): void;
  goto(url: string): Promise<unknown>;
  waitForSelector(selector: string, options: { state: 'attached'; timeout: number }): Promise<unknown>;
  evaluate<T>(f: () => T): Promise<T>;
  close(): Promise<void>;
}
interface PwBrowser {
  newPage(): Promise<PwPage>;
  close(): Promise<void>;
}
interface Playwright {
  chromium: { launch(options: { executablePath: string; args: string[] }): Promise<PwBrowser> };
}
let playwright: Playwright | null = null;
try {
  const req = createRequire(fileURLToPath(new URL('../../../apps/web/package.json', import.meta.url)));
  playwright = (await import(req.resolve('playwright-core'))) as Playwright;
} catch {
  playwright = null;
}
const skip = !existsSync(CHROMIUM) ? `${CHROMIUM} not found (apt-get install -y chromium)`
  : playwright === null ? 'playwright-core not found (pnpm install)' : '';
if (skip) console.warn(`@diffeo/wasm-kernels: skipping the browser test: ${skip}`);

/** Deterministic inputs, computed the same way in the browser (the formula is sent as source). */
const INPUTS_SRC = `(shape) => {
  const [ns, nr, nc] = shape, nv = ns * nr * nc;
  const d = new Float32Array(nv * 3), img = new Float32Array(nv);
  for (let k = 0, v = 0; k < ns; k++) for (let i = 0; i < nr; i++) for (let j = 0; j < nc; j++, v++) {
    d[3 * v] = 2.5 * Math.sin(0.7 * i + 0.3 * j); d[3 * v + 1] = 1.5 * Math.cos(0.5 * k - 0.2 * j); d[3 * v + 2] = 2 * Math.sin(0.4 * k + 0.6 * i);
    img[v] = Math.sin(0.9 * k) * Math.cos(0.8 * i) + 0.01 * j * j;
  }
  return { d, img };
}`;
const makeInputs = new Function(`return ${INPUTS_SRC}`)() as (shape: Shape3D) => { d: Float32Array; img: Float32Array };

/** The computation, run with any kernel table (also sent as source). */
const RUN_SRC = `(k, alloc, shape, inputs) => {
  const [ns, nr, nc] = shape, nv = ns * nr * nc;
  const put = (a) => { const c = alloc(a.length); c.set(a); return c; };
  const d = put(inputs.d), d2 = put(inputs.d), img = put(inputs.img);
  const W = new Float64Array([0.8, 0, 0, 0.5, 0, 0.9, 0, 0, 0, 0, 1.1, -0.5, 0, 0, 0, 1]);
  const stats = k.compose3d(d, d, shape, d2, shape, null, W, 0.3); // in place (out = d1; d2 must be another array)
  const inv = alloc(nv * 3);
  const result = k.invert3d(inv, d, shape, W, [1.2, 1.1, 0.9], 20, 1e-4, alloc(nv * 3));
  const warped = alloc(nv);
  k.warp3d(warped, shape, img, shape, inv, shape, null, null, W);
  k.gaussianFilter(d, d, shape, 3, [1.5, 1, 2]);
  return { stats, result, d: Array.from(d), inv: Array.from(inv), warped: Array.from(warped) };
}`;
const runWith = new Function(`return ${RUN_SRC}`)() as (k: typeof tsKernels, alloc: (n: number) => Float32Array,
  shape: Shape3D, inputs: { d: Float32Array; img: Float32Array }) => Output;

interface Output {
  stats: number[];
  result: { iterations: number; error: number; maxResidual: number };
  d: number[];
  inv: number[];
  warped: number[];
}
interface PageResult {
  worker?: Output & { threads: number; shared: boolean };
  main?: Output & { threads: number; shared: boolean };
  error?: string;
}

const SHAPE: Shape3D = [11, 14, 13];

const PAGE = `<!doctype html><meta charset="utf-8"><title>wasm-kernels threads</title><body><script type="module">
const done = (r) => { window.__result = r; document.body.dataset.state = 'done'; };
try {
  const { wasmBackend } = await import('/dist/index.browser.js');
  const shape = ${JSON.stringify(SHAPE)};
  const inputs = (${INPUTS_SRC})(shape);
  const b = await wasmBackend();
  const main = { threads: b.threads, shared: b.shared, ...(${RUN_SRC})(b.kernels, (n) => b.allocFloat32 ? b.allocFloat32(n) : new Float32Array(n), shape, inputs) };
  const w = new Worker('/test-worker.js', { type: 'module' });
  w.onerror = (e) => done({ error: 'worker error: ' + e.message });
  w.onmessage = (e) => done(e.data.error ? { error: e.data.error } : { main, worker: e.data });
  w.postMessage(shape);
} catch (e) { done({ error: String(e && e.stack || e) }); }
</script>`;

const WORKER = `self.onmessage = async (e) => {
  try {
    const { wasmBackend } = await import('/dist/index.browser.js');
    const shape = e.data;
    const inputs = (${INPUTS_SRC})(shape);
    const b = await wasmBackend({ threads: 2, minParallelWork: 0 });
    const out = (${RUN_SRC})(b.kernels, (n) => b.allocFloat32(n), shape, inputs);
    self.postMessage({ threads: b.threads, shared: b.shared, ...out });
    await b.dispose();
  } catch (err) { self.postMessage({ error: String(err && err.stack || err) }); }
};`;

const MIME: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.map': 'application/json',
};

function serve(): Promise<{ server: Server; url: string }> {
  const isolation = {
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-embedder-policy': 'require-corp',
    'cache-control': 'no-store',
  };
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
    if (path === '/' || path === '/index.html') {
      res.writeHead(200, { ...isolation, 'content-type': 'text/html; charset=utf-8' }).end(PAGE);
      return;
    }
    if (path === '/test-worker.js') {
      res.writeHead(200, { ...isolation, 'content-type': MIME['.js'] }).end(WORKER);
      return;
    }
    const file = path.startsWith('/dist/') ? normalize(join(DIST, path.slice('/dist/'.length))) : '';
    if (!file.startsWith(DIST.endsWith(sep) ? DIST : DIST + sep) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(200, { ...isolation, 'content-type': MIME[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` }));
  });
}

function expectSameBits(got: number[], want: Float32Array, what: string): void {
  const g = Float32Array.from(got);
  expect(g.length, what).toBe(want.length);
  const a = new Uint32Array(g.buffer), b = new Uint32Array(want.buffer, want.byteOffset, want.length);
  let bad = -1;
  for (let i = 0; i < a.length && bad < 0; i++) if (a[i] !== b[i] && !(Number.isNaN(g[i]) && Number.isNaN(want[i]))) bad = i;
  if (bad >= 0) expect.fail(`${what}: first difference at [${bad}]: ${g[bad]} vs ${want[bad]}`);
}

describe.skipIf(skip !== '')(`the wasm backend in Chromium${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let server: Server | null = null;
  let url = '';
  let browser: PwBrowser | null = null;

  beforeAll(async () => {
    ({ server, url } = await serve());
    browser = await playwright!.chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  });

  it('runs with 2 threads in a Web Worker and with 1 on the main thread, giving the TypeScript kernels\' bits', async () => {
    const page = await browser!.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('response', (r) => { if (r.status() >= 400) errors.push(`HTTP ${r.status()} for ${r.url()}`); });
    await page.goto(url);
    await page.waitForSelector('body[data-state="done"]', { state: 'attached', timeout: 60_000 });
    const r = await page.evaluate(() => (window as unknown as { __result: PageResult }).__result);
    expect(r.error, `page errors: ${errors.join(' | ')}`).toBeUndefined();
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);

    const want = runWith(tsKernels, (n) => new Float32Array(n), SHAPE, makeInputs(SHAPE));
    for (const [where, got, threads] of [['worker', r.worker!, 2], ['main thread', r.main!, 1]] as const) {
      expect(got.threads, where).toBe(threads);
      expect(got.shared, where).toBe(true);
      expect(got.stats, where).toEqual(want.stats);
      expect(got.result, where).toEqual(want.result);
      expectSameBits(got.d, Float32Array.from(want.d), `${where}: smoothed field`);
      expectSameBits(got.inv, Float32Array.from(want.inv), `${where}: inverse`);
      expectSameBits(got.warped, Float32Array.from(want.warped), `${where}: warped image`);
    }
    await page.close();
  });
});
