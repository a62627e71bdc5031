/**
 * The benchmark driver: prepares each case's inputs once, then runs every
 * implementation (diffeo with the TypeScript kernels, diffeo with the wasm
 * backend, DIPY 1.6) `runs` times, interleaved, each run in a fresh child process
 * so that its peak RSS belongs to that run alone. Only the `optimize` call is
 * timed (inside the child); the child's wall time is recorded as well. The bench
 * scores every run's warped output itself, with the same code for every
 * implementation.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseNpy, type NpyArray } from '@diffeo/io';
import { REPO_ROOT, SkipCase, ensureDir, writeParams, type CaseDef, type PreparedCase } from './cases.js';
import { IMPL_NAMES, notAvailable, summarizeRuns, type CaseRow, type ImplName, type ImplSummary, type OurBackend, type RunResult } from './format.js';
import { dice, meanLabelDice, ncc } from '@diffeo/core';
import { relativeMeanAbsDiff } from './quality.js';
import { loadWasmBackend } from './wasm.js';
import type { ChildResult } from './child-diffeo.js';
import { startBrowserBench, type BrowserBench } from './browser.js';

/** Options of {@link runBench}. */
export interface BenchOptions {
  cases: readonly CaseDef[];
  /** Runs per implementation and case (the table shows medians). */
  runs: number;
  /** The shared data folder (`--data`), or null. */
  dataDir: string | null;
  /** Do not run DIPY. */
  skipDipy: boolean;
  /** Which diffeo backends to run (`browser`: the wasm backend in headless Chromium, see browser.ts). */
  backends: readonly OurBackend[];
  /** Python interpreter that has DIPY. Default `/usr/bin/python3`. */
  python: string;
  /** Keep the temporary directory (inputs and outputs). */
  keep: boolean;
  /** Run the diffeo children from the TypeScript sources (tsx) even when the built files exist. */
  fromSource?: boolean;
  /**
   * SyN's `inversionMode` for the diffeo runs of SyN cases (`--syn-inversion-mode`):
   * `'backward-only'` is the opt-in faster mode (not DIPY's arithmetic: Δwarped vs DIPY is
   * then not 0, and the row says so). Default: DIPY's four inversions.
   */
  synInversionMode?: 'dipy' | 'backward-only';
  /** Options of the wasm runs' backend (`--wasm-threads`, `--wasm-min-parallel-work`); default: its own policy. */
  wasmOptions?: WasmChildOptions;
  /** Progress messages (default: stderr). */
  log?: (message: string) => void;
}

/** The thread options of the wasm runs' `wasmBackend` (passed to each wasm child as JSON). */
export interface WasmChildOptions {
  threads?: number;
  minParallelWork?: number;
}

/** Availability of an implementation, decided once per bench run. */
export interface Availability {
  available: boolean;
  /** A version string when available. */
  version?: string;
  /** Why not, and how to fix it. */
  reason?: string;
}

/** The full report (what `--json` writes). */
export interface BenchReport {
  generatedAt: string;
  machine: { node: string; platform: string; cpu: string; cpus: number; memoryGiB: number; loadAverageStart: number[]; loadAverageEnd: number[] };
  options: { runs: number; backends: string[]; skipDipy: boolean; dataDir: string | null; python: string; cases: string[] };
  implementations: Record<ImplName, Availability>;
  rows: CaseRow[];
  tempDir: string | null;
  /** How the diffeo children ran. */
  childMode: ChildMode;
}

const CHILD_DIFFEO = fileURLToPath(new URL('./child-diffeo.ts', import.meta.url));
const CHILD_DIFFEO_BUILT = fileURLToPath(new URL('../dist/child-diffeo.js', import.meta.url));
/** The built entry points the compiled child imports (checked before using it). */
const BUILT_PACKAGES = ['core', 'io', 'syn', 'metrics-cc', 'metrics-ssd', 'metrics-em', 'metrics-mi', 'align', 'wasm-kernels', 'affine'].map((p) => join(REPO_ROOT, 'packages', p, 'dist', 'index.js'));

/** How the diffeo children run: compiled against the built packages, or from the TypeScript sources through tsx. */
export interface ChildMode {
  mode: 'built' | 'source';
  /** Why the sources are used (built files missing, or asked for). */
  reason?: string;
}

/**
 * Chooses how to run the diffeo children: `built` (plain `node` on `tools/bench/dist/child-diffeo.js`,
 * importing the packages' `dist/`, as a user's program does: no TypeScript loader in the measured
 * process) when those files exist, else `source` (`--import tsx` on the sources, which adds the
 * loader's some 35 MiB to every diffeo RSS).
 */
export function chooseChildMode(fromSource: boolean): ChildMode {
  if (fromSource) return { mode: 'source', reason: 'asked for (--from-source)' };
  const missing = [CHILD_DIFFEO_BUILT, ...BUILT_PACKAGES].filter((f) => !existsSync(f));
  if (missing.length > 0) return { mode: 'source', reason: `built files missing (${missing.map((f) => f.slice(REPO_ROOT.length)).join(', ')}); run \`pnpm build\` first` };
  return { mode: 'built' };
}

function diffeoChildArgs(mode: ChildMode, caseDir: string, outDir: string, impl: string, wasmOptions?: WasmChildOptions): string[] {
  const extra = impl === 'wasm' && wasmOptions && Object.keys(wasmOptions).length > 0 ? [JSON.stringify(wasmOptions)] : [];
  return mode.mode === 'built'
    ? [CHILD_DIFFEO_BUILT, caseDir, outDir, impl, ...extra]
    : ['--conditions=@diffeo/source', '--import', 'tsx', CHILD_DIFFEO, caseDir, outDir, impl, ...extra];
}
const DIPY_SCRIPT = fileURLToPath(new URL('../python/run_dipy.py', import.meta.url));

/** The install hint printed when DIPY is missing. */
export const DIPY_INSTALL_HINT = 'install DIPY 1.6 for /usr/bin/python3 with `apt-get install -y python3-dipy` (Debian 12), or pass --python PATH, or run with --skip-dipy';

/** Checks that `python` can import DIPY; returns its version. */
export function detectDipy(python: string): Availability {
  const r = spawnSync(python, ['-c', 'import dipy, numpy; print(dipy.__version__, numpy.__version__)'], { encoding: 'utf8', timeout: 120_000 });
  if (r.error || r.status !== 0) {
    const why = r.error ? r.error.message : (r.stderr || '').trim().split('\n').pop();
    return { available: false, reason: `DIPY is unavailable (${python}: ${why}); ${DIPY_INSTALL_HINT}` };
  }
  const [dipyVersion, numpyVersion] = r.stdout.trim().split(/\s+/);
  return { available: true, version: `DIPY ${dipyVersion}, NumPy ${numpyVersion} (${python})` };
}

interface ChildOutcome { ok: boolean; wallSeconds: number; stderrTail: string }

function runChild(command: string, args: string[]): Promise<ChildOutcome> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(command, args, { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env } });
    let tail = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => {
      tail = (tail + d).slice(-4000);
    });
    child.on('error', (e) => resolve({ ok: false, wallSeconds: (performance.now() - t0) / 1000, stderrTail: e.message }));
    child.on('close', (code, signal) => {
      const wallSeconds = (performance.now() - t0) / 1000;
      resolve({ ok: code === 0, wallSeconds, stderrTail: code === 0 ? tail : `${tail}\n(exit code ${code}${signal ? `, signal ${signal}` : ''})` });
    });
  });
}

function readNpy(path: string): NpyArray {
  const b = readFileSync(path);
  return parseNpy(new Uint8Array(b.buffer, b.byteOffset, b.byteLength), path);
}

/** The case's reference arrays for scoring, read once per case. */
interface ScoringInputs {
  static: NpyArray;
  moving: NpyArray;
  mask: NpyArray | null;
  staticLabels: NpyArray | null;
  movingLabels: NpyArray | null;
}

function scoringInputs(c: PreparedCase): ScoringInputs {
  const q = c.quality;
  return {
    static: readNpy(join(c.dir, c.params.inputs.static)),
    moving: readNpy(join(c.dir, c.params.inputs.moving)),
    mask: q.kind === 'ncc' && q.mask ? readNpy(join(c.dir, q.mask)) : null,
    staticLabels: q.kind === 'label-dice' ? readNpy(join(c.dir, q.staticLabels)) : null,
    movingLabels: q.kind === 'label-dice' ? readNpy(join(c.dir, q.movingLabels)) : null,
  };
}

/** The quality of `warped` (and `warpedLabels`) against the static image (and labels). */
function score(c: PreparedCase, s: ScoringInputs, warped: ArrayLike<number>, warpedLabels: ArrayLike<number> | null): number | null {
  const q = c.quality;
  if (q.kind === 'binary-dice') return dice(s.static.data, warped, q.threshold);
  if (q.kind === 'ncc') return ncc(s.static.data, warped, s.mask ? s.mask.data : null);
  if (!warpedLabels || !s.staticLabels) return null;
  return meanLabelDice(s.staticLabels.data, warpedLabels, q.labels ?? undefined);
}

/** The quality before registration (moving as it is), when the two grids agree. */
function scoreBefore(c: PreparedCase, s: ScoringInputs): number | null {
  if (s.moving.shape.join() !== s.static.shape.join()) return null;
  return score(c, s, s.moving.data, s.movingLabels ? s.movingLabels.data : null);
}

function sha1(path: string): string {
  return createHash('sha1').update(readFileSync(path)).digest('hex');
}

/** One run of `impl` on the prepared case; throws with the child's stderr on failure. */
async function runOnce(impl: ImplName, c: PreparedCase, python: string, mode: ChildMode, browser: BrowserBench | null = null,
  wasmOptions?: WasmChildOptions): Promise<{ run: RunResult; outDir: string }> {
  const outDir = ensureDir(join(c.dir, `out-${impl}`));
  for (const f of ['result.json', 'warped_moving.npy', 'warped_labels.npy']) rmSync(join(outDir, f), { force: true });
  if (impl === 'browser') {
    if (!browser) throw new Error('the browser bench is not started');
    const b = await browser.run(c.dir, outDir);
    const run: RunResult = {
      optimizeSeconds: b.optimizeSeconds, wallSeconds: b.wallSeconds, maxRssKiB: b.maxRssKiB, rssAfterOptimizeKiB: b.rssAfterOptimizeKiB,
      rssBeforeOptimizeKiB: b.rssBeforeOptimizeKiB, iterationsPerLevel: b.iterationsPerLevel, quality: null, warpedSha1: sha1(join(outDir, 'warped_moving.npy')),
      kernels: b.kernels ?? null, wasmMemory: { ...b.wasmMemory }, threads: b.threads,
    };
    return { outDir, run };
  }
  const outcome =
    impl === 'dipy'
      ? await runChild(python, [DIPY_SCRIPT, c.dir, outDir])
      : await runChild(process.execPath, diffeoChildArgs(mode, c.dir, outDir, impl, wasmOptions));
  const resultPath = join(outDir, 'result.json');
  if (!outcome.ok || !existsSync(resultPath)) throw new Error(outcome.stderrTail.trim() || 'the child wrote no result.json');
  const r = JSON.parse(readFileSync(resultPath, 'utf8')) as ChildResult;
  return {
    outDir,
    run: {
      optimizeSeconds: r.optimizeSeconds,
      wallSeconds: outcome.wallSeconds,
      maxRssKiB: r.maxRssKiB,
      rssAfterOptimizeKiB: r.rssAfterOptimizeKiB,
      rssBeforeOptimizeKiB: r.rssBeforeOptimizeKiB,
      iterationsPerLevel: r.iterationsPerLevel,
      quality: null,
      warpedSha1: sha1(join(outDir, 'warped_moving.npy')),
      kernels: r.kernels ?? null,
      wasmMemory: r.wasmMemory ? { ...r.wasmMemory } : null,
      threads: r.threads ?? null,
    },
  };
}

function emptyRow(def: CaseDef, note: string, status: 'n/a' | 'error' = 'n/a'): CaseRow {
  const impls = Object.fromEntries(IMPL_NAMES.map((n) => [n, notAvailable(note, status)])) as Record<ImplName, ImplSummary>;
  return { case: def.name, size: '-', voxels: 0, qualityName: '-', qualityBefore: null, impls, warpedDiffVsDipy: {}, notes: [note] };
}

function firstLine(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  const lines = m.split('\n').map((l) => l.trim()).filter(Boolean);
  const err = lines.find((l) => /Error|error:/.test(l));
  return (err ?? lines[lines.length - 1] ?? m).slice(0, 300);
}

/** Runs the benchmark and returns the report (rows in case order). */
export async function runBench(options: BenchOptions): Promise<BenchReport> {
  const log = options.log ?? ((m: string) => process.stderr.write(m + '\n'));
  const loadStart = loadavg();
  const implementations: Record<ImplName, Availability> = {
    ts: options.backends.includes('ts') ? { available: true, version: 'diffeo (TypeScript kernels)' } : { available: false, reason: 'not selected (--backends)' },
    wasm: { available: false, reason: 'not selected (--backends)' },
    browser: { available: false, reason: 'not selected (--backends ts,wasm,browser or --browser)' },
    dipy: { available: false, reason: 'skipped (--skip-dipy)' },
  };
  if (options.backends.includes('wasm')) {
    const w = await loadWasmBackend();
    implementations.wasm = w.ok ? { available: true, version: `diffeo + wasm backend (${w.description.replace(/, \d+ threads?$/, '')}; worker threads start lazily with large calls: each run logs its count at the end)` } : { available: false, reason: w.reason };
    if (w.ok) w.context.remove('wasm');
    if (!w.ok) log(`wasm backend: n/a — ${w.reason}`);
  }
  let browser: BrowserBench | null = null;
  if (options.backends.includes('browser')) {
    const b = await startBrowserBench(log);
    if (b.ok) {
      browser = b.bench;
      implementations.browser = { available: true, version: `diffeo + wasm backend in ${b.bench.version}` };
    } else {
      implementations.browser = { available: false, reason: b.reason };
      log(`browser: n/a — ${b.reason}`);
    }
  }
  if (!options.skipDipy) {
    implementations.dipy = detectDipy(options.python);
    if (!implementations.dipy.available) log(`DIPY: n/a — ${implementations.dipy.reason}`);
  }
  const active = IMPL_NAMES.filter((n) => implementations[n].available);
  const childMode = chooseChildMode(options.fromSource ?? false);
  if (childMode.mode === 'source' && (active.includes('ts') || active.includes('wasm'))) log(`diffeo children run from the sources through tsx: ${childMode.reason}`);
  const tempRoot = mkdtempSync(join(tmpdir(), 'diffeo-bench-'));
  const rows: CaseRow[] = [];
  try {
    for (const def of options.cases) {
      const dir = ensureDir(join(tempRoot, def.name));
      let c: PreparedCase;
      try {
        c = await def.prepare(dir, { dataDir: options.dataDir });
      } catch (e) {
        if (e instanceof SkipCase) {
          log(`[${def.name}] skipped: ${e.message}`);
          rows.push(emptyRow(def, `skipped: ${e.message}`));
        } else {
          log(`[${def.name}] preparing the inputs FAILED: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
          rows.push(emptyRow(def, `preparing the inputs failed: ${firstLine(e)}`, 'error'));
        }
        continue;
      }
      if (options.synInversionMode !== undefined && options.synInversionMode !== 'dipy' && !c.params.affine) {
        c.params.syn.inversion_mode = options.synInversionMode;
        writeParams(dir, c.params);
        c.notes.push(`diffeo runs use SyN inversionMode '${options.synInversionMode}' (opt-in faster mode, not DIPY's arithmetic); DIPY runs its four inversions`);
      }
      const inputs = scoringInputs(c);
      const runs: Record<ImplName, RunResult[]> = { ts: [], wasm: [], browser: [], dipy: [] };
      const failed: Partial<Record<ImplName, string>> = {};
      const lastOut: Partial<Record<ImplName, string>> = {};
      // a case DIPY cannot run (MI: DIPY 1.6 has no MI metric for SyN) runs without it
      const caseActive = def.noDipy === undefined ? active : active.filter((a) => a !== 'dipy');
      log(`[${c.name}] ${c.size}: ${caseActive.map((a) => a).join(', ')} × ${options.runs} runs`);
      for (let r = 0; r < options.runs; r++) {
        for (const impl of caseActive) {
          if (failed[impl]) continue;
          try {
            const { run, outDir } = await runOnce(impl, c, options.python, childMode, browser, options.wasmOptions);
            const warped = readNpy(join(outDir, 'warped_moving.npy')).data;
            const labelsPath = join(outDir, 'warped_labels.npy');
            const wl = existsSync(labelsPath) ? readNpy(labelsPath).data : null;
            run.quality = score(c, inputs, warped, wl);
            runs[impl].push(run);
            lastOut[impl] = outDir;
            log(`[${c.name}] ${impl} run ${r + 1}/${options.runs}: optimize ${run.optimizeSeconds.toFixed(2)} s, wall ${run.wallSeconds.toFixed(2)} s, peak RSS ${Math.round(run.maxRssKiB / 1024)} MiB, ${c.qualityName} ${run.quality?.toFixed(4)}, iterations ${run.iterationsPerLevel.join(',')}${run.threads ? `, ${run.threads} thread${run.threads === 1 ? '' : 's'} at the end` : ''}`);
          } catch (e) {
            failed[impl] = firstLine(e);
            log(`[${c.name}] ${impl} run ${r + 1} FAILED: ${e instanceof Error ? e.message : String(e)}`);
          }
        }
      }
      const impls = {} as Record<ImplName, ImplSummary>;
      for (const n of IMPL_NAMES) {
        if (failed[n]) impls[n] = { ...summarizeRuns(runs[n]), status: 'error', reason: failed[n] };
        else if (n === 'dipy' && def.noDipy !== undefined) impls[n] = notAvailable(def.noDipy);
        else if (!implementations[n].available) impls[n] = notAvailable(implementations[n].reason ?? 'not available');
        else impls[n] = summarizeRuns(runs[n]);
      }
      const notes = [...c.notes];
      if (def.noDipy !== undefined) notes.push(`no DIPY run: ${def.noDipy}`);
      for (const n of IMPL_NAMES) if (failed[n]) notes.push(`${n} failed: ${failed[n]}`);
      // an empty list: the implementation reports no iterations (DIPY's affine optimize)
      const iters = IMPL_NAMES.filter((n) => impls[n].iterationsPerLevel?.length).map((n) => `${n} ${impls[n].iterationsPerLevel!.join(',')}`);
      if (new Set(iters.map((s) => s.split(' ')[1])).size > 1) notes.push(`iterations per level differ: ${iters.join('; ')}`);
      for (const n of IMPL_NAMES) if (impls[n].deterministic === false) notes.push(`${n}: repeated runs gave different warped images`);
      if (runs.browser.length && runs.wasm.length && runs.browser[0].warpedSha1 !== runs.wasm[0].warpedSha1) notes.push('browser: the warped image differs from the Node wasm run\'s');
      const warpedDiffVsDipy: CaseRow['warpedDiffVsDipy'] = {};
      if (lastOut.dipy) {
        const d = readNpy(join(lastOut.dipy, 'warped_moving.npy')).data;
        for (const b of ['ts', 'wasm', 'browser'] as const) {
          if (lastOut[b]) warpedDiffVsDipy[b] = relativeMeanAbsDiff(readNpy(join(lastOut[b]!, 'warped_moving.npy')).data, d, inputs.static.data);
        }
      }
      rows.push({ case: c.name, size: c.size, voxels: c.voxels, qualityName: c.qualityName, qualityBefore: scoreBefore(c, inputs), impls, warpedDiffVsDipy, notes });
      if (!options.keep) rmSync(dir, { recursive: true, force: true });
    }
  } finally {
    await browser?.close();
    if (!options.keep) rmSync(tempRoot, { recursive: true, force: true });
  }
  const cpuList = cpus();
  return {
    generatedAt: new Date().toISOString(),
    machine: {
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
      cpu: cpuList[0]?.model ?? 'unknown',
      cpus: cpuList.length,
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      loadAverageStart: loadStart,
      loadAverageEnd: loadavg(),
    },
    options: {
      runs: options.runs,
      backends: [...options.backends],
      skipDipy: options.skipDipy,
      dataDir: options.dataDir,
      python: options.python,
      cases: options.cases.map((c) => c.name),
    },
    implementations,
    rows,
    tempDir: options.keep ? tempRoot : null,
    childMode,
  };
}
