/**
 * The bench's browser mode: diffeo with the WebAssembly backend in headless
 * Chromium (Debian's `/usr/bin/chromium`, driven by playwright-core; nothing is
 * downloaded), on the same case folders as the Node children.
 *
 * - The page (`src/browser/`: `index.html`, `page.ts`, `worker.ts`) is bundled once per
 *   bench run by Vite, as a user's app would be, from the packages' built `dist/`
 *   (the ordinary `browser`/`import` export conditions; run `pnpm build` first).
 * - A small HTTP server on 127.0.0.1 (ephemeral port) serves it with
 *   `Cross-Origin-Opener-Policy: same-origin` and `Cross-Origin-Embedder-Policy:
 *   require-corp`, so the page is cross-origin isolated (shared WebAssembly memory,
 *   threads); it also serves the case's files and takes the outputs back (PUT,
 *   written atomically into the run's output folder).
 * - Each run launches a fresh Chromium (its own temporary profile, so no compiled
 *   WebAssembly is cached between runs, as each Node child starts afresh). The worker
 *   runs `registerCase` (`registration.ts`, the Node child's code) and times it with
 *   `performance.now()`.
 * - Peak memory: the peak RSS (`VmHWM` of `/proc/<pid>/status`, KiB) of the largest
 *   Chromium renderer process, i.e. the one running the page, its worker and the
 *   backend's thread workers (dedicated workers live in their page's renderer). It
 *   includes the renderer's own baseline, as a Node child's RSS includes Node's;
 *   Chromium's browser, GPU and network processes are not counted. Renderer pids come
 *   from the DevTools protocol (`SystemInfo.getProcessInfo`). `NaN` (n/a) where
 *   `/proc` cannot be read.
 */
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize, sep } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import type { ChildResult } from './child-diffeo.js';
import type { BrowserRunResult } from './browser/protocol.js';

/** Debian's Chromium (`apt-get install -y chromium`). */
export const CHROMIUM = '/usr/bin/chromium';

/** The response headers that make the page cross-origin isolated. */
export const CROSS_ORIGIN_ISOLATION_HEADERS = {
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
} as const;

const PAGE_DIR = fileURLToPath(new URL('./browser/', import.meta.url));

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.map': 'application/json',
  '.json': 'application/json',
  '.npy': 'application/octet-stream',
};

/** One browser run: what a Node child writes to `result.json` (kernel breakdown and wasm memory counters included), plus the wall time and what ran. */
export interface BrowserRun extends Omit<ChildResult, 'wasmMemory'> {
  wasmMemory: Record<string, number>;
  /** Seconds from launching Chromium to its exit. */
  wallSeconds: number;
  /** Threads the backend used (the worker included), crossOriginIsolated. */
  threads: number;
  crossOriginIsolated: boolean;
}

/** A started browser bench: the page built, the server listening. */
export interface BrowserBench {
  /** e.g. `Chromium 150.0.7871.100 (/usr/bin/chromium), page bundled by Vite 8.3.8`. */
  readonly version: string;
  /** Runs the case in `caseDir` once in a fresh Chromium; outputs go to `outDir`. */
  run(caseDir: string, outDir: string): Promise<BrowserRun>;
  /** Stops the server and deletes the built page. */
  close(): Promise<void>;
}

/** The outcome of {@link startBrowserBench}. */
export type BrowserBenchStart = { ok: true; bench: BrowserBench } | { ok: false; reason: string };

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n').map((l) => l.trim()).filter(Boolean)[0] ?? String(e);
}

/** Peak RSS (`VmHWM`, KiB) of a process, or null when `/proc` cannot tell. */
function peakRssKiB(pid: number): number | null {
  try {
    const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** The largest peak RSS among Chromium's renderer processes (KiB), or null. */
async function rendererPeakRss(browser: Browser): Promise<number | null> {
  const cdp = await browser.newBrowserCDPSession();
  try {
    const info = (await cdp.send('SystemInfo.getProcessInfo')) as { processInfo: { type: string; id: number }[] };
    const peaks = info.processInfo.filter((p) => p.type === 'renderer').map((p) => peakRssKiB(p.id)).filter((k): k is number => k !== null);
    return peaks.length ? Math.max(...peaks) : null;
  } finally {
    await cdp.detach();
  }
}

/** What the server serves for the current run. */
interface Current { token: string; caseDir: string; outDir: string }

const SAFE_NAME = /^[A-Za-z0-9_.-]+$/;

function serve(pageDir: string, current: () => Current | null): Promise<{ server: Server; origin: string }> {
  const root = pageDir.endsWith(sep) ? pageDir : pageDir + sep;
  const send = (res: ServerResponse, status: number, type: string, body: string | Buffer) => {
    res.writeHead(status, { ...CROSS_ORIGIN_ISOLATION_HEADERS, 'cache-control': 'no-store', 'content-type': type }).end(body);
  };
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
    const cur = current();
    const parts = path.split('/');
    // /case/<token>/<file> (GET) and /out/<token>/<file> (PUT)
    if ((parts[1] === 'case' || parts[1] === 'out') && parts.length === 4) {
      const [, kind, token, name] = parts;
      if (!cur || token !== cur.token || !SAFE_NAME.test(name)) return send(res, 404, 'text/plain', 'no such run or file');
      if (kind === 'case' && req.method === 'GET') {
        const file = join(cur.caseDir, name);
        if (!existsSync(file)) return send(res, 404, 'text/plain', 'not found');
        return send(res, 200, MIME[extname(file)] ?? 'application/octet-stream', readFileSync(file));
      }
      if (kind === 'out' && req.method === 'PUT') {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          try {
            const file = join(cur.outDir, name);
            writeFileSync(`${file}.part`, Buffer.concat(chunks));
            renameSync(`${file}.part`, file);
            send(res, 200, 'text/plain', 'ok');
          } catch (e) {
            send(res, 500, 'text/plain', firstLine(e));
          }
        });
        return;
      }
      return send(res, 405, 'text/plain', 'method not allowed');
    }
    const file = normalize(join(root, path === '/' ? 'index.html' : path.slice(1)));
    if (req.method !== 'GET' || !file.startsWith(root) || !existsSync(file) || !statSync(file).isFile()) return send(res, 404, 'text/plain', 'not found');
    return send(res, 200, MIME[extname(file)] ?? 'application/octet-stream', readFileSync(file));
  };
  const server = createServer(handle);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve({ server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }));
  });
}

/** Bundles the page with Vite into `outDir`; returns Vite's version. */
async function buildPage(outDir: string): Promise<string> {
  const vite = await import('vite');
  await vite.build({
    root: PAGE_DIR,
    configFile: false,
    base: './',
    logLevel: 'error',
    // the ordinary client conditions: the packages' built dist/, as a user's app gets them
    resolve: { conditions: [...vite.defaultClientConditions] },
    worker: { format: 'es' },
    build: { outDir, emptyOutDir: true, target: 'es2022', sourcemap: false, reportCompressedSize: false },
  });
  return vite.version;
}

/**
 * Builds the page, starts the server and checks that Chromium launches. Never throws:
 * when Chromium, playwright-core or the built packages are missing, says why.
 */
export async function startBrowserBench(log: (message: string) => void = () => {}): Promise<BrowserBenchStart> {
  if (!existsSync(CHROMIUM)) return { ok: false, reason: `${CHROMIUM} not found (install it with \`apt-get install -y chromium\`)` };
  let chromium: typeof import('playwright-core').chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch (e) {
    return { ok: false, reason: `playwright-core cannot be loaded (${firstLine(e)}); run \`pnpm install\`` };
  }
  const pageDir = mkdtempSync(join(tmpdir(), 'diffeo-bench-page-'));
  let viteVersion: string;
  try {
    viteVersion = await buildPage(pageDir);
  } catch (e) {
    rmSync(pageDir, { recursive: true, force: true });
    return { ok: false, reason: `bundling the browser page failed (${firstLine(e)}); run \`pnpm build\` first` };
  }
  let chromiumVersion: string;
  try {
    const b = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    chromiumVersion = b.version();
    await b.close();
  } catch (e) {
    rmSync(pageDir, { recursive: true, force: true });
    return { ok: false, reason: `${CHROMIUM} does not start (${firstLine(e)})` };
  }
  let current: Current | null = null;
  const { server, origin } = await serve(pageDir, () => current);
  let runs = 0;

  async function run(caseDir: string, outDir: string): Promise<BrowserRun> {
    const token = `r${++runs}`;
    current = { token, caseDir, outDir };
    const t0 = performance.now();
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    try {
      const page = await browser.newPage();
      const problems: string[] = [];
      let settle: { resolve(r: BrowserRunResult): void; reject(e: Error): void } | null = null;
      const result = new Promise<BrowserRunResult>((resolve, reject) => { settle = { resolve, reject }; });
      // settled late (Chromium closing after a failed navigation) must not be an unhandled rejection
      result.catch(() => {});
      page.on('pageerror', (e) => problems.push(e.message));
      page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
      page.on('crash', () => settle!.reject(new Error(`the page crashed (out of memory?) ${problems.join(' | ')}`)));
      browser.on('disconnected', () => settle!.reject(new Error(`Chromium exited during the run ${problems.join(' | ')}`)));
      await page.exposeFunction('__benchMark', () => rendererPeakRss(browser));
      await page.exposeFunction('__benchDone', (r: BrowserRunResult | { error: string }) => {
        if ('error' in r) settle!.reject(new Error(`${r.error}${problems.length ? ` (page: ${problems.join(' | ')})` : ''}`));
        else settle!.resolve(r);
      });
      await page.goto(`${origin}/?case=${encodeURIComponent(`/case/${token}/`)}&out=${encodeURIComponent(`/out/${token}/`)}`);
      const r = await result;
      const maxRss = await rendererPeakRss(browser);
      // (the description is written when the backend loads, before its worker threads start)
      const what = `${r.backend.replace(/, \d+ threads?$/, '')}, ${r.threads} thread${r.threads === 1 ? '' : 's'} at the end`;
      log(`browser: ${what}${r.crossOriginIsolated ? ', cross-origin isolated' : ', NOT cross-origin isolated'}`);
      for (const f of r.files) if (!existsSync(join(outDir, f))) throw new Error(`the page did not upload ${f}`);
      await browser.close();
      const nan = (k: number | null) => k ?? Number.NaN;
      return {
        implementation: 'diffeo-wasm-browser',
        backend: what,
        optimizeSeconds: r.optimizeSeconds,
        rssBeforeOptimizeKiB: nan(r.marks.beforeOptimize),
        rssAfterOptimizeKiB: nan(r.marks.afterOptimize),
        maxRssKiB: nan(maxRss),
        iterationsPerLevel: r.iterationsPerLevel,
        kernels: r.kernels,
        wasmMemory: r.wasmMemory,
        wallSeconds: (performance.now() - t0) / 1000,
        threads: r.threads,
        crossOriginIsolated: r.crossOriginIsolated,
      };
    } finally {
      current = null;
      if (browser.isConnected()) await browser.close();
    }
  }

  return {
    ok: true,
    bench: {
      version: `Chromium ${chromiumVersion} (${CHROMIUM}), page bundled by Vite ${viteVersion}`,
      run,
      close: async () => {
        await new Promise<void>((resolve) => server.close(() => resolve()));
        rmSync(pageDir, { recursive: true, force: true });
      },
    },
  };
}
