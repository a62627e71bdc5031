#!/usr/bin/env node
/**
 * `pnpm bench [--cases a,b,c] [--runs N] [--json out.json] [--data DIR] [--skip-dipy] [--backends ts,wasm,browser] [--browser] [--python PATH] [--keep] [--syn-inversion-mode dipy|backward-only] [--from-source] [--wasm-threads N] [--wasm-min-parallel-work N]`
 *
 * Runs diffeo (TypeScript kernels, and the wasm backend when it can be loaded) and
 * DIPY 1.6 side by side on each case and prints one table (medians of `--runs`
 * runs: optimize time, peak RSS, ratios, quality), then the same table as JSON.
 * `--json FILE` also writes the full report (every run, machine, versions).
 * Progress goes to stderr.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { runBench, type BenchReport, type WasmChildOptions } from './bench.js';
import { CASES, selectCases } from './cases.js';
import { formatKernelBreakdown, formatTable, toTableRows, type OurBackend } from './format.js';

const USAGE = `usage: pnpm bench [options]
  --cases a,b,c     cases to run (default: ${CASES.filter((c) => c.byDefault).map((c) => c.name).join(',')}; 'all' adds ${CASES.filter((c) => !c.byDefault).map((c) => c.name).join(',')})
  --runs N          runs per implementation and case; the table shows medians (default 3)
  --data DIR        the shared benchmark data folder (real brain pairs; skipped without it)
  --skip-dipy       do not run DIPY
  --backends LIST   diffeo backends: ts,wasm,browser (default ts,wasm; wasm shows n/a when it cannot be loaded;
                    browser = the wasm backend in headless Chromium, /usr/bin/chromium, n/a without it)
  --browser         add the browser backend to --backends (its time, renderer RSS, and browser/wasm time)
  --python PATH     Python with DIPY 1.6 (default /usr/bin/python3)
  --json FILE       also write the full report as JSON
  --keep            keep the temporary inputs and outputs (their folder is printed)
  --syn-inversion-mode MODE
                    SyN's inversionMode for the diffeo runs: dipy (default) or backward-only
                    (opt-in faster mode, not DIPY's arithmetic; the row notes it)
  --wasm-threads N  the wasm runs' thread count (wasmBackend's \`threads\`; default: the backend's own policy)
  --wasm-min-parallel-work N
                    the wasm runs' \`minParallelWork\` (default: the backend's own thresholds)
  --from-source     run the diffeo children from the TypeScript sources (tsx) even when built
                    (default: the built packages, after \`pnpm build\`, as a user's program runs them)
cases:
${CASES.map((c) => `  ${c.name.padEnd(12)}${c.description}`).join('\n')}`;

/** Parsed command-line options. */
export interface CliOptions {
  cases: string | undefined;
  runs: number;
  json: string | undefined;
  data: string | undefined;
  skipDipy: boolean;
  backends: OurBackend[];
  python: string;
  keep: boolean;
  fromSource: boolean;
  /** SyN's `inversionMode` for the diffeo runs (`--syn-inversion-mode`). */
  synInversionMode: 'dipy' | 'backward-only';
  /** Options of the wasm runs' backend (`--wasm-threads`, `--wasm-min-parallel-work`); empty: its defaults. */
  wasmOptions: WasmChildOptions;
  help: boolean;
}

/** Parses the arguments (without the node and script paths). @throws Error on invalid values. */
export function parseCliArgs(argv: readonly string[]): CliOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      cases: { type: 'string' },
      runs: { type: 'string', default: '3' },
      json: { type: 'string' },
      data: { type: 'string' },
      'skip-dipy': { type: 'boolean', default: false },
      backends: { type: 'string', default: 'ts,wasm' },
      browser: { type: 'boolean', default: false },
      python: { type: 'string', default: '/usr/bin/python3' },
      keep: { type: 'boolean', default: false },
      'from-source': { type: 'boolean', default: false },
      'syn-inversion-mode': { type: 'string', default: 'dipy' },
      'wasm-threads': { type: 'string' },
      'wasm-min-parallel-work': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive integer, got ${values.runs}`);
  const backends = (values.backends ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  for (const b of backends) if (b !== 'ts' && b !== 'wasm' && b !== 'browser') throw new Error(`--backends takes ts, wasm and/or browser, got ${b}`);
  if (values.browser && !backends.includes('browser')) backends.push('browser');
  const mode = values['syn-inversion-mode'] ?? 'dipy';
  if (mode !== 'dipy' && mode !== 'backward-only') throw new Error(`--syn-inversion-mode takes dipy or backward-only, got ${mode}`);
  const wasmOptions: WasmChildOptions = {};
  if (values['wasm-threads'] !== undefined) {
    const t = Number(values['wasm-threads']);
    if (!Number.isInteger(t) || t < 1) throw new Error(`--wasm-threads must be a positive integer, got ${values['wasm-threads']}`);
    wasmOptions.threads = t;
  }
  if (values['wasm-min-parallel-work'] !== undefined) {
    const w = Number(values['wasm-min-parallel-work']);
    if (!Number.isFinite(w) || w < 0) throw new Error(`--wasm-min-parallel-work must be a number ≥ 0, got ${values['wasm-min-parallel-work']}`);
    wasmOptions.minParallelWork = w;
  }
  return {
    cases: values.cases,
    runs,
    json: values.json,
    data: values.data,
    skipDipy: values['skip-dipy'] ?? false,
    backends: backends as OurBackend[],
    python: values.python ?? '/usr/bin/python3',
    keep: values.keep ?? false,
    fromSource: values['from-source'] ?? false,
    synInversionMode: mode,
    wasmOptions,
    help: values.help ?? false,
  };
}

/** Formats the report for stdout: the table, availability notes, then the table as JSON. */
export function formatReport(report: BenchReport): string {
  const lines: string[] = [];
  const backends = report.options.backends.filter((b): b is OurBackend => b === 'ts' || b === 'wasm' || b === 'browser');
  lines.push(`diffeo bench — median of ${report.options.runs} run(s); time = optimize only; RSS = peak RSS of the run's own process`);
  for (const [name, a] of Object.entries(report.implementations)) lines.push(`  ${name}: ${a.available ? a.version : `n/a — ${a.reason}`}`);
  const cm = report.childMode;
  lines.push(`  diffeo children: ${cm.mode === 'built' ? 'built packages (dist/), plain node' : `TypeScript sources through tsx (${cm.reason}; the loader adds some 35 MiB to each diffeo RSS)`}`);
  lines.push(`  machine: ${report.machine.cpu} ×${report.machine.cpus}, ${report.machine.memoryGiB} GiB, Node ${report.machine.node}; load average ${report.machine.loadAverageStart.map((x) => x.toFixed(2)).join(' ')} → ${report.machine.loadAverageEnd.map((x) => x.toFixed(2)).join(' ')}`);
  lines.push('');
  lines.push(formatTable(report.rows, backends));
  lines.push('');
  // where the time goes: the wasm backend's kernels (the TypeScript ones when wasm did not run)
  const profiled = formatKernelBreakdown(report.rows, 'wasm') || formatKernelBreakdown(report.rows, 'ts');
  if (profiled) lines.push(profiled, '');
  lines.push(JSON.stringify(toTableRows(report.rows), null, 2));
  if (report.tempDir) lines.push(`inputs and outputs kept in ${report.tempDir}`);
  return lines.join('\n');
}

/** Runs the CLI; returns the exit code (0 ok, 1 when a run failed, 2 on bad usage). */
export async function runCli(argv: readonly string[], write: (s: string) => void = (s) => process.stdout.write(s)): Promise<number> {
  let opts: CliOptions;
  try {
    opts = parseCliArgs(argv);
  } catch (e) {
    write(`${e instanceof Error ? e.message : String(e)}\n${USAGE}\n`);
    return 2;
  }
  if (opts.help) {
    write(USAGE + '\n');
    return 0;
  }
  const report = await runBench({
    cases: selectCases(opts.cases),
    runs: opts.runs,
    dataDir: opts.data ? resolve(opts.data) : null,
    skipDipy: opts.skipDipy,
    backends: opts.backends,
    python: opts.python,
    keep: opts.keep,
    fromSource: opts.fromSource,
    synInversionMode: opts.synInversionMode,
    wasmOptions: opts.wasmOptions,
  });
  write(formatReport(report) + '\n');
  if (opts.json) {
    writeFileSync(opts.json, JSON.stringify({ ...report, table: toTableRows(report.rows) }, null, 2));
    write(`full report written to ${opts.json}\n`);
  }
  return report.rows.some((r) => Object.values(r.impls).some((i) => i.status === 'error')) ? 1 : 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runCli(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      console.error(`bench: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      process.exit(2);
    },
  );
}
