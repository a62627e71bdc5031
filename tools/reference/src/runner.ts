/**
 * The reference runner: loads a manifest in the fixtures/reference format,
 * runs every case whose `dipy_function` a handler supports (files resolved
 * relative to the manifest's folder), and compares each output at its tolerance.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseNpy, type NpyArray, type NpyData } from '@diffeo/io';
import { createContext, type Backend, type KernelContext } from '@diffeo/core';
import { compareArrays } from './compare.js';
import type { CaseContext, CaseHandler, Comparison, Manifest, ManifestCase, Tolerance } from './types.js';

/** One case's outcome. */
export interface CaseReport {
  case: string;
  dipyFunction: string;
  rows: Comparison[];
  /** pass when every row passes (or is informative), unsupported when no handler runs it. */
  status: 'pass' | 'fail' | 'unsupported';
  error?: string;
}

/** Handler modules that failed to load (file and error), filled by {@link loadHandlers}. */
export const handlerLoadErrors: { file: string; error: string }[] = [];

/** Loads every handler exported from `src/cases/*.ts`; a module that fails to load is reported in {@link handlerLoadErrors} and skipped. */
export async function loadHandlers(): Promise<CaseHandler[]> {
  handlerLoadErrors.length = 0;
  const dir = join(dirname(fileURLToPath(import.meta.url)), 'cases');
  const files = readdirSync(dir).filter((f) => /\.(ts|js)$/.test(f) && !f.endsWith('.test.ts') && !f.endsWith('.d.ts')).sort();
  const out: CaseHandler[] = [];
  for (const f of files) {
    try {
      const mod = (await import(pathToFileURL(join(dir, f)).href)) as { handlers?: CaseHandler[] };
      if (Array.isArray(mod.handlers)) out.push(...mod.handlers);
    } catch (e) {
      handlerLoadErrors.push({ file: f, error: e instanceof Error ? e.message : String(e) });
    }
  }
  return out;
}

/** Backends the runner can select by name with `--backend`. */
export type BackendFactory = () => Backend | Promise<Backend>;

function makeContext(caseDef: ManifestCase, manifestDir: string, kernels: KernelContext): CaseContext {
  const cache = new Map<string, NpyArray>();
  const load = (section: 'inputs' | 'outputs', key: string): NpyArray => {
    const entry = caseDef[section][key];
    if (!entry) throw new Error(`case ${caseDef.name} has no ${section.slice(0, -1)} '${key}'`);
    const path = resolve(manifestDir, entry.file);
    let arr = cache.get(path);
    if (!arr) {
      arr = parseNpy(readFileSync(path), path);
      cache.set(path, arr);
    }
    return arr;
  };
  return {
    manifestDir,
    case: caseDef,
    kernels,
    input: (key) => load('inputs', key),
    expected: (key) => load('outputs', key),
    compare(key: string, actual: NpyData | ArrayLike<number>, tolerance?: Tolerance): Comparison {
      const entry = caseDef.outputs[key];
      const tol = tolerance ?? entry?.tolerance;
      if (!entry || !tol) return { output: key, measured: '-', tolerance: '-', status: 'fail', detail: `no output or tolerance '${key}' in the manifest` };
      const exp = load('outputs', key);
      const vdim = exp.shape.length > 1 ? exp.shape[exp.shape.length - 1] : 1;
      return compareArrays(key, actual, exp.data, tol, vdim);
    },
    compareScalar(key: string, actual: number | ArrayLike<number>, tolerance: Tolerance, expected?: number | ArrayLike<number>): Comparison {
      let exp = expected;
      if (exp === undefined) {
        const raw = caseDef.scalar_outputs[key] as unknown;
        const v = raw !== null && typeof raw === 'object' && 'value' in (raw as object) ? (raw as { value: unknown }).value : raw;
        exp = v as number | number[];
      }
      const a = typeof actual === 'number' ? [actual] : actual;
      const b = typeof exp === 'number' ? [exp] : exp;
      return compareArrays(key, a, b as ArrayLike<number>, tolerance);
    },
  };
}

/** Options of {@link runManifest}. */
export interface RunOptions {
  /** Only run the case with this name. */
  caseName?: string;
  /** Backend to register before running (its kernels override the TS ones). */
  backend?: Backend;
  /** The kernel context every case runs with (instead of a new one per case with `backend`). */
  context?: KernelContext;
  /** Handlers to use (default: all of `src/cases`). */
  handlers?: CaseHandler[];
}

/** Runs a manifest and returns one report per case. */
export async function runManifest(manifestPath: string, options: RunOptions = {}): Promise<CaseReport[]> {
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;
  const manifestDir = dirname(resolve(manifestPath));
  const handlers = options.handlers ?? (await loadHandlers());
  const reports: CaseReport[] = [];
  const cases = manifest.cases.filter((c) => !options.caseName || c.name === options.caseName);
  if (options.caseName && cases.length === 0) throw new Error(`no case named '${options.caseName}' in ${manifestPath}`);
  for (const c of cases) {
    const handler = handlers.find((h) => h.dipyFunctions.includes(c.dipy_function));
    if (!handler) {
      reports.push({ case: c.name, dipyFunction: c.dipy_function, rows: [], status: 'unsupported' });
      continue;
    }
    const kernels = options.context ?? createContext();
    if (options.context === undefined && options.backend) kernels.use(options.backend);
    try {
      const rows = await handler.run(makeContext(c, manifestDir, kernels));
      const failed = rows.length === 0 || rows.some((r) => r.status === 'fail' || r.status === 'unsupported');
      reports.push({ case: c.name, dipyFunction: c.dipy_function, rows, status: failed ? 'fail' : 'pass', error: rows.length === 0 ? 'handler compared nothing' : undefined });
    } catch (e) {
      reports.push({ case: c.name, dipyFunction: c.dipy_function, rows: [], status: 'fail', error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
    }
  }
  return reports;
}

/** Renders reports as a plain-text table. */
export function formatReports(reports: CaseReport[]): string {
  const rows: string[][] = [['case', 'output', 'measured', 'tolerance', 'result']];
  for (const r of reports) {
    if (r.rows.length === 0) rows.push([r.case, '-', r.error ?? '-', '-', r.status]);
    for (const row of r.rows) rows.push([r.case, row.output, row.measured, row.tolerance, row.status + (row.detail && row.status !== 'pass' ? ` (${row.detail})` : '')]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  const out = [line(rows[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)];
  const pass = reports.filter((r) => r.status === 'pass').length;
  const fail = reports.filter((r) => r.status === 'fail').length;
  const uns = reports.filter((r) => r.status === 'unsupported').length;
  out.push('', `cases: ${pass} passed, ${fail} failed, ${uns} unsupported`);
  return out.join('\n');
}
