/**
 * Summaries and formatting of benchmark results: the median of repeated runs,
 * the human-readable table (one row per case) and the same rows as plain JSON.
 *
 * Units: times in seconds (the optimize call only, measured inside the child
 * process), peak resident set sizes in KiB as the operating system reports them
 * (`VmHWM` of `/proc/self/status` on Linux, else `process.resourceUsage().maxRSS` in
 * Node and `ru_maxrss` in Python), shown in MiB.
 */

/** The implementations compared by the bench (`browser`: diffeo-wasm in headless Chromium, see browser.ts). */
export type ImplName = 'ts' | 'wasm' | 'browser' | 'dipy';

/** Our backends, as `--backends` names them. */
export type OurBackend = 'ts' | 'wasm' | 'browser';

/** All implementations, in table order. */
export const IMPL_NAMES: readonly ImplName[] = ['ts', 'wasm', 'browser', 'dipy'];

/** Column titles of each implementation. */
export const IMPL_TITLES: Record<ImplName, string> = { ts: 'diffeo-TS', wasm: 'diffeo-wasm', browser: 'browser', dipy: 'DIPY' };

/** One run of one implementation on one case (one child process). */
export interface RunResult {
  /** Seconds spent in `optimize` (timed inside the child). */
  optimizeSeconds: number;
  /** Seconds from spawning the child to its exit (interpreter start, imports, I/O, optimize, warps). */
  wallSeconds: number;
  /** Peak resident set size of the child at its end, KiB. */
  maxRssKiB: number;
  /** Peak RSS right after `optimize` returned, KiB. */
  rssAfterOptimizeKiB: number;
  /** Peak RSS after imports and input loading, before `optimize`, KiB (the interpreter's baseline). */
  rssBeforeOptimizeKiB: number;
  /** Iterations run per pyramid level, coarsest first. */
  iterationsPerLevel: number[];
  /** Quality score of this run's warped moving image (see {@link CaseRow.qualityName}); `null` when not scored. */
  quality: number | null;
  /** SHA-1 of the warped moving image's bytes (to check that repeated runs agree). */
  warpedSha1: string;
  /** Where the optimize time went, per kernel (diffeo runs; absent for DIPY). */
  kernels?: KernelBreakdown | null;
  /**
   * The wasm backend's memory counters over the optimize call (wasm runs): arrays allocated
   * and freed, scratch blocks (and the arena's bytes at the end), memory growths, copies of
   * ordinary arrays into and out of the backend's memory with their bytes.
   */
  wasmMemory?: Record<string, number> | null;
  /**
   * Affine cases: metric evaluations per stage and level, coarsest first (diffeo: the optimiser's
   * function evaluations; DIPY: scipy's `nfev`), and DIPY's iterations (`nit`; diffeo's are
   * {@link RunResult.iterationsPerLevel}). Absent for SyN cases.
   */
  evaluationsPerLevel?: number[] | null;
  /** DIPY affine cases: scipy's iterations (`nit`) per stage and level. */
  affineIterationsPerLevel?: number[] | null;
  /** Threads the wasm backend ran on when optimize ended (wasm and browser runs; its worker threads start lazily). */
  threads?: number | null;
}

/** Calls and time of one kernel during one optimize call (or the median over runs). */
export interface KernelTime {
  /** Kernel name of `@diffeo/core`'s `Kernels`, e.g. `warp3d`. */
  name: string;
  /** The backend that served it (`wasm`, or `ts` for a kernel the backend lacks). */
  backend: string;
  /** Number of calls. */
  calls: number;
  /** Total wall time inside those calls, seconds. */
  seconds: number;
}

/**
 * Where a diffeo optimize call spent its time, from `profileKernels` of `@diffeo/core`:
 * each kernel's calls and seconds (most time first), their sum, and the rest of the
 * optimize time (`other_s`: the JavaScript between kernel calls, allocation, set-up).
 */
export interface KernelBreakdown {
  kernels: KernelTime[];
  /** Σ seconds of the kernels. */
  kernel_s: number;
  /** Optimize seconds − `kernel_s`. */
  other_s: number;
  /** Σ calls of the kernels. */
  calls: number;
}

/** The breakdown of one run from a profile's per-kernel entries and the optimize time (seconds). */
export function kernelBreakdown(kernels: readonly KernelTime[], optimizeSeconds: number): KernelBreakdown {
  const list = kernels.map((k) => ({ name: k.name, backend: k.backend, calls: k.calls, seconds: k.seconds }))
    .sort((a, b) => b.seconds - a.seconds || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const kernel_s = list.reduce((s, k) => s + k.seconds, 0);
  return { kernels: list, kernel_s, other_s: optimizeSeconds - kernel_s, calls: list.reduce((s, k) => s + k.calls, 0) };
}

/**
 * The median breakdown over runs: per kernel the median of its calls and of its seconds
 * (a run where it was not called counts 0), the median `other_s`; `kernel_s` and `calls`
 * are the sums of the medians. `null` when no run has a breakdown.
 */
export function medianBreakdown(runs: readonly RunResult[]): KernelBreakdown | null {
  const bs = runs.map((r) => r.kernels).filter((b): b is KernelBreakdown => b !== undefined && b !== null);
  if (bs.length === 0) return null;
  const names = new Map<string, string>();
  for (const b of bs) for (const k of b.kernels) if (!names.has(k.name)) names.set(k.name, k.backend);
  const kernels: KernelTime[] = [...names].map(([name, backend]) => {
    const of = (b: KernelBreakdown) => b.kernels.find((k) => k.name === name);
    return { name, backend, calls: median(bs.map((b) => of(b)?.calls ?? 0))!, seconds: median(bs.map((b) => of(b)?.seconds ?? 0))! };
  }).sort((a, b) => b.seconds - a.seconds || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return {
    kernels,
    kernel_s: kernels.reduce((s, k) => s + k.seconds, 0),
    other_s: median(bs.map((b) => b.other_s))!,
    calls: kernels.reduce((s, k) => s + k.calls, 0),
  };
}

/**
 * One compact line per case for `backend`: the `top` kernels by median time with their
 * share of the median optimize time, then the rest as `other` (JavaScript between the
 * kernels) — e.g. `s0_b0  warp2d 31% · invert2d 20% · … · other 18% of 1.23 s, 5120 calls`.
 * Cases without a breakdown for that backend are left out; `''` when none has one.
 */
export function formatKernelBreakdown(rows: readonly CaseRow[], backend: 'ts' | 'wasm', top = 5): string {
  const lines: [string, string][] = [];
  for (const r of rows) {
    const s = r.impls[backend];
    const b = s.kernels;
    const total = s.optimizeSeconds;
    if (!b || total === null || !(total > 0)) continue;
    const pct = (x: number) => `${Math.round((100 * x) / total)}%`;
    const parts = b.kernels.slice(0, top).map((k) => `${k.name}${k.backend !== backend ? ` (${k.backend})` : ''} ${pct(k.seconds)}`);
    const rest = b.kernels.slice(top).reduce((sum, k) => sum + k.seconds, 0);
    if (b.kernels.length > top) parts.push(`${b.kernels.length - top} more ${pct(rest)}`);
    parts.push(`other ${pct(b.other_s)}`);
    lines.push([r.case, `${parts.join(' · ')} of ${formatSeconds(total)}, ${b.calls} calls`]);
  }
  if (lines.length === 0) return '';
  const w = Math.max(...lines.map(([c]) => c.length));
  return [`where the ${IMPL_TITLES[backend]} optimize time goes (median; % of optimize; other = JavaScript between kernel calls):`,
    ...lines.map(([c, t]) => `  ${c.padEnd(w)}  ${t}`)].join('\n');
}

/** The summary of one implementation on one case. */
export interface ImplSummary {
  /** `ok`: measured; `n/a`: not available (not installed, not built, skipped); `error`: a run failed. */
  status: 'ok' | 'n/a' | 'error';
  /** Why the implementation is `n/a` or `error`. */
  reason?: string;
  /** Every run, in order. */
  runs: RunResult[];
  /** Median over runs of the optimize time, seconds. */
  optimizeSeconds: number | null;
  /** Median over runs of the wall time, seconds. */
  wallSeconds: number | null;
  /** Median over runs of the peak RSS, KiB. */
  maxRssKiB: number | null;
  /** Median over runs of the pre-optimize RSS, KiB. */
  rssBeforeOptimizeKiB: number | null;
  /** Quality of the first run (the runs are deterministic; see `deterministic`). */
  quality: number | null;
  /** Iterations per level of the first run. */
  iterationsPerLevel: number[] | null;
  /** Whether every run produced byte-identical warped images. */
  deterministic: boolean | null;
  /** Median per-kernel breakdown of the optimize time over the runs (diffeo only; see {@link medianBreakdown}). */
  kernels?: KernelBreakdown | null;
}

/** One benchmark case with its results: one row of the table. */
export interface CaseRow {
  /** Case name (as given to `--cases`). */
  case: string;
  /** Static image size, e.g. `128×128×96`. */
  size: string;
  /** Number of static voxels. */
  voxels: number;
  /** What the quality column measures, e.g. `label Dice`. */
  qualityName: string;
  /** The quality score before registration (moving vs static), when defined. */
  qualityBefore: number | null;
  /** Per implementation. */
  impls: Record<ImplName, ImplSummary>;
  /** Mean |warped_ours − warped_DIPY| / max|static| per backend of ours, when both ran. */
  warpedDiffVsDipy: Partial<Record<OurBackend, number>>;
  /** Remarks (skipped rows, differing iteration counts, failures). */
  notes: string[];
}

/** Median of a non-empty list (mean of the two middle values for even lengths); `null` for an empty list. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Summarises the runs of one implementation (medians; quality and iterations of the first run). */
export function summarizeRuns(runs: readonly RunResult[]): ImplSummary {
  if (runs.length === 0) {
    return { status: 'n/a', runs: [], optimizeSeconds: null, wallSeconds: null, maxRssKiB: null, rssBeforeOptimizeKiB: null, quality: null, iterationsPerLevel: null, deterministic: null };
  }
  return {
    status: 'ok',
    runs: [...runs],
    optimizeSeconds: median(runs.map((r) => r.optimizeSeconds)),
    wallSeconds: median(runs.map((r) => r.wallSeconds)),
    maxRssKiB: median(runs.map((r) => r.maxRssKiB)),
    rssBeforeOptimizeKiB: median(runs.map((r) => r.rssBeforeOptimizeKiB)),
    quality: runs[0].quality,
    iterationsPerLevel: runs[0].iterationsPerLevel,
    deterministic: runs.every((r) => r.warpedSha1 === runs[0].warpedSha1),
    kernels: medianBreakdown(runs),
  };
}

/** A summary for an implementation that did not run. */
export function notAvailable(reason: string, status: 'n/a' | 'error' = 'n/a'): ImplSummary {
  return { ...summarizeRuns([]), status, reason };
}

/** Seconds with 3 significant digits (`0.412 s`, `12.3 s`, `254 s`); `n/a` for null. */
export function formatSeconds(s: number | null): string {
  if (s === null || !Number.isFinite(s)) return 'n/a';
  if (s < 10) return `${s.toFixed(s < 1 ? 3 : 2)} s`;
  if (s < 100) return `${s.toFixed(1)} s`;
  return `${s.toFixed(0)} s`;
}

/** KiB shown as whole MiB (`312 MiB`); `n/a` for null. */
export function formatKiB(kib: number | null): string {
  if (kib === null || !Number.isFinite(kib)) return 'n/a';
  return `${Math.round(kib / 1024)} MiB`;
}

/** `a / b` as `4.21×` (2 decimals below 10, 1 above); `n/a` when either side is missing or b is 0. */
export function formatRatio(a: number | null, b: number | null): string {
  const r = ratio(a, b);
  if (r === null) return 'n/a';
  return `${r.toFixed(r < 10 ? 2 : 1)}×`;
}

/** `a / b`, or `null` when either is missing or b is 0. */
export function ratio(a: number | null, b: number | null): number | null {
  if (a === null || b === null || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) return null;
  return a / b;
}

/** A quality score with 4 decimals (or 4 significant digits when large); `n/a` for null. */
export function formatQuality(q: number | null): string {
  if (q === null || !Number.isFinite(q)) return 'n/a';
  return Math.abs(q) >= 1000 ? q.toPrecision(4) : q.toFixed(4);
}

/** The columns of the summary table, in order. */
export interface TableRow {
  case: string;
  size: string;
  ts_time_s: number | null;
  ts_rss_kib: number | null;
  wasm_time_s: number | null;
  wasm_rss_kib: number | null;
  dipy_time_s: number | null;
  dipy_rss_kib: number | null;
  /** DIPY time / diffeo-TS time (above 1: we are faster). */
  speedup_ts: number | null;
  /** diffeo-TS peak RSS / DIPY peak RSS (below 1: we use less). */
  rss_ratio_ts: number | null;
  /** DIPY time / diffeo-wasm time. */
  speedup_wasm: number | null;
  /** diffeo-wasm peak RSS / DIPY peak RSS. */
  rss_ratio_wasm: number | null;
  quality: string;
  quality_before: number | null;
  quality_ts: number | null;
  quality_wasm: number | null;
  quality_dipy: number | null;
  /** Mean |warped_ours − warped_DIPY| / max|static| (0 = identical warped images). */
  warped_diff_vs_dipy_ts: number | null;
  warped_diff_vs_dipy_wasm: number | null;
  /** diffeo-wasm in headless Chromium: median optimize time (s) and peak RSS of its renderer process (KiB; null when not measurable). */
  browser_time_s: number | null;
  browser_rss_kib: number | null;
  /** Browser time / Node wasm time (below 1: the browser is faster). */
  browser_over_wasm: number | null;
  quality_browser: number | null;
  warped_diff_vs_dipy_browser: number | null;
  /** Whether the browser's warped image has the Node wasm run's bytes (null unless both ran). */
  browser_same_bits_as_wasm: boolean | null;
  /** Iterations per level per implementation (coarsest first). */
  iterations: Partial<Record<ImplName, number[]>>;
  notes: string[];
}

/** The plain-number table rows (what `--json` prints as `table`). */
export function toTableRows(rows: readonly CaseRow[]): TableRow[] {
  return rows.map((r) => {
    const t = r.impls.ts, w = r.impls.wasm, d = r.impls.dipy;
    const iterations: Partial<Record<ImplName, number[]>> = {};
    for (const n of IMPL_NAMES) if (r.impls[n].iterationsPerLevel) iterations[n] = r.impls[n].iterationsPerLevel!;
    return {
      case: r.case,
      size: r.size,
      ts_time_s: t.optimizeSeconds,
      ts_rss_kib: t.maxRssKiB,
      wasm_time_s: w.optimizeSeconds,
      wasm_rss_kib: w.maxRssKiB,
      dipy_time_s: d.optimizeSeconds,
      dipy_rss_kib: d.maxRssKiB,
      speedup_ts: ratio(d.optimizeSeconds, t.optimizeSeconds),
      rss_ratio_ts: ratio(t.maxRssKiB, d.maxRssKiB),
      speedup_wasm: ratio(d.optimizeSeconds, w.optimizeSeconds),
      rss_ratio_wasm: ratio(w.maxRssKiB, d.maxRssKiB),
      quality: r.qualityName,
      quality_before: r.qualityBefore,
      quality_ts: t.quality,
      quality_wasm: w.quality,
      quality_dipy: d.quality,
      warped_diff_vs_dipy_ts: r.warpedDiffVsDipy.ts ?? null,
      warped_diff_vs_dipy_wasm: r.warpedDiffVsDipy.wasm ?? null,
      ...browserColumns(r),
      iterations,
      notes: r.notes,
    };
  });
}

/** The browser's table fields of a row (see {@link TableRow}). */
function browserColumns(r: CaseRow): Pick<TableRow, 'browser_time_s' | 'browser_rss_kib' | 'browser_over_wasm' | 'quality_browser' | 'warped_diff_vs_dipy_browser' | 'browser_same_bits_as_wasm'> {
  const b = r.impls.browser, w = r.impls.wasm;
  const finite = (x: number | null) => (x !== null && Number.isFinite(x) ? x : null);
  return {
    browser_time_s: b.optimizeSeconds,
    browser_rss_kib: finite(b.maxRssKiB),
    browser_over_wasm: ratio(b.optimizeSeconds, w.optimizeSeconds),
    quality_browser: b.quality,
    warped_diff_vs_dipy_browser: r.warpedDiffVsDipy.browser ?? null,
    browser_same_bits_as_wasm: b.runs.length && w.runs.length ? b.runs[0].warpedSha1 === w.runs[0].warpedSha1 : null,
  };
}

/** Pads cells into aligned columns: a header, a rule and the rows (first two columns left-aligned, the rest right-aligned). */
export function alignColumns(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/**
 * The summary table as text: one row per case. `backends` lists which of our
 * backends get columns (`wasm` columns show `n/a` when the backend was requested
 * but could not be loaded).
 */
export function formatTable(rows: readonly CaseRow[], backends: readonly OurBackend[] = ['ts', 'wasm']): string {
  const ours = backends.filter((b) => b === 'ts' || b === 'wasm' || b === 'browser');
  // the browser's own columns: its time and renderer RSS, and its time over Node wasm's
  const nodeOurs = ours.filter((b): b is 'ts' | 'wasm' => b !== 'browser');
  const header = ['case', 'size'];
  for (const b of nodeOurs) header.push(`${IMPL_TITLES[b]} time`, `${IMPL_TITLES[b]} RSS`);
  if (ours.includes('browser')) header.push('browser time', 'browser RSS', 'browser/wasm');
  header.push('DIPY time', 'DIPY RSS');
  for (const b of nodeOurs) header.push(`DIPY/${b} time`, `${b}/DIPY RSS`);
  header.push('quality', 'before');
  for (const b of ours) header.push(b);
  header.push('DIPY');
  if (ours.length) header.push(`Δwarped ${ours.join('/')}`);
  const body = rows.map((r) => {
    const cells = [r.case, r.size];
    for (const b of nodeOurs) cells.push(formatSeconds(r.impls[b].optimizeSeconds), formatKiB(r.impls[b].maxRssKiB));
    if (ours.includes('browser')) {
      const br = r.impls.browser;
      cells.push(formatSeconds(br.optimizeSeconds), formatKiB(br.maxRssKiB), formatRatio(br.optimizeSeconds, r.impls.wasm.optimizeSeconds));
    }
    cells.push(formatSeconds(r.impls.dipy.optimizeSeconds), formatKiB(r.impls.dipy.maxRssKiB));
    for (const b of nodeOurs) {
      cells.push(formatRatio(r.impls.dipy.optimizeSeconds, r.impls[b].optimizeSeconds), formatRatio(r.impls[b].maxRssKiB, r.impls.dipy.maxRssKiB));
    }
    cells.push(r.qualityName, formatQuality(r.qualityBefore));
    for (const b of ours) cells.push(formatQuality(r.impls[b].quality));
    cells.push(formatQuality(r.impls.dipy.quality));
    if (ours.length) cells.push(ours.map((b) => formatDiff(r.warpedDiffVsDipy[b])).join(' / '));
    return cells;
  });
  const notes: string[] = [];
  for (const r of rows) for (const n of r.notes) notes.push(`  ${r.case}: ${n}`);
  return alignColumns(header, body) + (notes.length ? `\nnotes:\n${notes.join('\n')}` : '');
}

/** A relative difference: `0` when exactly zero, else 2 significant digits (`3.1e-4`); `n/a` when missing. */
export function formatDiff(d: number | undefined | null): string {
  if (d === undefined || d === null || !Number.isFinite(d)) return 'n/a';
  return d === 0 ? '0' : d.toExponential(1);
}

/** Iterations per level as `10,10,5`. */
export function formatIterations(it: readonly number[] | null): string {
  return it ? it.join(',') : 'n/a';
}
