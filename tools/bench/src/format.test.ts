import { describe, expect, it } from 'vitest';
import {
  alignColumns, formatDiff, formatKernelBreakdown, kernelBreakdown, medianBreakdown, formatKiB, formatQuality, formatRatio, formatSeconds, formatTable, median, notAvailable,
  summarizeRuns, toTableRows, type CaseRow, type RunResult,
} from './format.js';

const run = (optimizeSeconds: number, maxRssKiB: number, sha = 'a'): RunResult => ({
  optimizeSeconds, wallSeconds: optimizeSeconds + 1, maxRssKiB, rssAfterOptimizeKiB: maxRssKiB, rssBeforeOptimizeKiB: 1000,
  iterationsPerLevel: [10, 10, 5], quality: 0.9, warpedSha1: sha,
});

describe('median', () => {
  it('takes the middle value of an odd count and the mean of the two middle values of an even count', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([5, 1, 4, 2])).toBe(3);
    expect(median([7])).toBe(7);
    expect(median([])).toBeNull();
  });
  it('does not reorder its input', () => {
    const a = [3, 1, 2];
    median(a);
    expect(a).toEqual([3, 1, 2]);
  });
});

describe('summarizeRuns', () => {
  it('reports medians of time and RSS, and whether the runs agree', () => {
    const s = summarizeRuns([run(3, 300), run(1, 100), run(2, 500)]);
    expect(s.status).toBe('ok');
    expect(s.optimizeSeconds).toBe(2);
    expect(s.wallSeconds).toBe(3);
    expect(s.maxRssKiB).toBe(300);
    expect(s.deterministic).toBe(true);
    expect(summarizeRuns([run(1, 1, 'a'), run(1, 1, 'b')]).deterministic).toBe(false);
  });
  it('is n/a without runs', () => {
    expect(summarizeRuns([]).status).toBe('n/a');
    expect(notAvailable('why').reason).toBe('why');
  });
});

describe('cell formatting', () => {
  it('formats seconds, KiB as MiB, ratios, qualities and differences', () => {
    expect(formatSeconds(0.0123)).toBe('0.012 s');
    expect(formatSeconds(3.14159)).toBe('3.14 s');
    expect(formatSeconds(31.4159)).toBe('31.4 s');
    expect(formatSeconds(314.159)).toBe('314 s');
    expect(formatSeconds(null)).toBe('n/a');
    expect(formatKiB(2048)).toBe('2 MiB');
    expect(formatKiB(null)).toBe('n/a');
    expect(formatRatio(10, 4)).toBe('2.50×');
    expect(formatRatio(100, 4)).toBe('25.0×');
    expect(formatRatio(1, null)).toBe('n/a');
    expect(formatRatio(1, 0)).toBe('n/a');
    expect(formatQuality(0.123456)).toBe('0.1235');
    expect(formatQuality(null)).toBe('n/a');
    expect(formatDiff(0)).toBe('0');
    expect(formatDiff(0.000312)).toBe('3.1e-4');
    expect(formatDiff(undefined)).toBe('n/a');
  });
  it('aligns columns: first two left, the rest right', () => {
    const t = alignColumns(['case', 'size', 'time'], [['a', 'bb', '1 s'], ['ccc', 'd', '10 s']]);
    expect(t.split('\n')).toEqual(['case  size  time', '----  ----  ----', 'a     bb     1 s', 'ccc   d     10 s']);
  });
});

describe('formatTable and toTableRows', () => {
  const row: CaseRow = {
    case: 'demo',
    size: '8×8',
    voxels: 64,
    qualityName: 'Dice',
    qualityBefore: 0.5,
    impls: {
      ts: summarizeRuns([run(2, 200 * 1024), run(1, 100 * 1024), run(3, 300 * 1024)]),
      wasm: notAvailable('not built'),
      browser: notAvailable('not selected'),
      dipy: summarizeRuns([run(8, 400 * 1024)]),
    },
    warpedDiffVsDipy: { ts: 0 },
    notes: ['a note'],
  };
  it('prints one row per case with medians, ratios, n/a for missing implementations, and the notes', () => {
    const text = formatTable([row]);
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^case\s+size\s+diffeo-TS time\s+diffeo-TS RSS\s+diffeo-wasm time/);
    const cells = lines[2].split(/\s{2,}/);
    expect(cells.slice(0, 8)).toEqual(['demo', '8×8', '2.00 s', '200 MiB', 'n/a', 'n/a', '8.00 s', '400 MiB']);
    expect(cells.slice(8, 12)).toEqual(['4.00×', '0.50×', 'n/a', 'n/a']);
    expect(cells.slice(12)).toEqual(['Dice', '0.5000', '0.9000', 'n/a', '0.9000', '0 / n/a']);
    expect(lines).toContain('  demo: a note');
  });
  it('drops the wasm columns when only ts is selected', () => {
    expect(formatTable([row], ['ts']).split('\n')[0]).not.toMatch(/wasm/);
  });
  it('gives the same numbers as JSON rows', () => {
    const [t] = toTableRows([row]);
    expect(t).toMatchObject({
      case: 'demo', ts_time_s: 2, ts_rss_kib: 200 * 1024, wasm_time_s: null, dipy_time_s: 8, speedup_ts: 4, rss_ratio_ts: 0.5,
      speedup_wasm: null, quality_before: 0.5, quality_ts: 0.9, quality_dipy: 0.9, warped_diff_vs_dipy_ts: 0, warped_diff_vs_dipy_wasm: null,
    });
    expect(t.iterations).toEqual({ ts: [10, 10, 5], dipy: [10, 10, 5] });
    expect(JSON.parse(JSON.stringify(t))).toEqual(t);
  });
  it('adds the browser columns (time, renderer RSS or n/a, browser/wasm) when the browser is selected', () => {
    const b: CaseRow = {
      ...row,
      impls: {
        ...row.impls,
        wasm: summarizeRuns([run(2, 100 * 1024, 'x')]),
        browser: summarizeRuns([run(2.5, Number.NaN, 'x')]),
      },
      warpedDiffVsDipy: { ts: 0, wasm: 0, browser: 0 },
    };
    const lines = formatTable([b], ['wasm', 'browser']).split('\n');
    expect(lines[0]).toMatch(/^case\s+size\s+diffeo-wasm time\s+diffeo-wasm RSS\s+browser time\s+browser RSS\s+browser\/wasm\s+DIPY time/);
    expect(lines[0]).not.toMatch(/DIPY\/browser/);
    expect(lines[2].split(/\s{2,}/).slice(0, 7)).toEqual(['demo', '8×8', '2.00 s', '100 MiB', '2.50 s', 'n/a', '1.25×']);
    expect(lines[2]).toMatch(/0 \/ 0$/);
    const [t] = toTableRows([b]);
    expect(t).toMatchObject({ browser_time_s: 2.5, browser_rss_kib: null, browser_over_wasm: 1.25, quality_browser: 0.9, warped_diff_vs_dipy_browser: 0, browser_same_bits_as_wasm: true });
    const [u] = toTableRows([{ ...b, impls: { ...b.impls, browser: summarizeRuns([run(2.5, 5000, 'y')]) } }]);
    expect(u).toMatchObject({ browser_rss_kib: 5000, browser_same_bits_as_wasm: false });
    expect(toTableRows([row])[0]).toMatchObject({ browser_time_s: null, browser_over_wasm: null, browser_same_bits_as_wasm: null });
  });
});

describe('kernel breakdown (where the optimize time goes)', () => {
  const k = (name: string, calls: number, seconds: number, backend = 'wasm') => ({ name, backend, calls, seconds });
  const profiled = (optimizeSeconds: number, kernels: ReturnType<typeof k>[]): RunResult => ({ ...run(optimizeSeconds, 1024), kernels: kernelBreakdown(kernels, optimizeSeconds) });

  it('sorts a run\'s kernels by time and puts the rest of the optimize time in other_s', () => {
    const b = kernelBreakdown([k('warp3d', 20, 0.5), k('invert3d', 40, 1.5), k('ccFactors3d', 10, 0.5)], 4);
    expect(b.kernels.map((x) => x.name)).toEqual(['invert3d', 'ccFactors3d', 'warp3d']);
    expect(b.kernel_s).toBe(2.5);
    expect(b.other_s).toBe(1.5);
    expect(b.calls).toBe(70);
  });

  it('takes per-kernel medians over runs, counting a kernel missing from a run as 0, and is null without breakdowns', () => {
    const m = medianBreakdown([
      profiled(3, [k('warp3d', 10, 1), k('invert3d', 20, 1)]),
      profiled(5, [k('warp3d', 10, 3), k('invert3d', 20, 1), k('compose3d', 4, 0.5)]),
      profiled(4, [k('warp3d', 10, 2), k('invert3d', 20, 1)]),
    ])!;
    expect(m.kernels).toEqual([k('warp3d', 10, 2), k('invert3d', 20, 1), k('compose3d', 0, 0)]);
    // other_s per run: 1, 0.5, 1 → median 1
    expect(m.other_s).toBe(1);
    expect(m.kernel_s).toBe(3);
    expect(m.calls).toBe(30);
    expect(medianBreakdown([run(1, 1)])).toBeNull();
    expect(summarizeRuns([profiled(2, [k('warp2d', 3, 1)])]).kernels).toMatchObject({ kernel_s: 1, other_s: 1 });
  });

  it('prints one compact line per case: the top kernels with their share of optimize, the rest, other, calls; a kernel of another backend says so', () => {
    const kernels = [k('invert3d', 40, 4), k('warp3d', 20, 2), k('ccFactors3d', 10, 1), k('compose3d', 20, 0.5), k('gaussianFilter', 30, 0.5), k('conditionStep', 10, 0.3), k('numpyGradient', 2, 0.2, 'ts')];
    const row = (name: string, runs: RunResult[]): CaseRow => ({
      case: name, size: '-', voxels: 0, qualityName: '-', qualityBefore: null,
      impls: { ts: notAvailable('not selected'), wasm: summarizeRuns(runs), browser: notAvailable('not selected'), dipy: notAvailable('skipped') },
      warpedDiffVsDipy: {}, notes: [],
    });
    // kernels 8.5 s of 10 s: other 1.5 s
    const text = formatKernelBreakdown([row('synth128', [profiled(10, kernels)]), row('plain', [run(1, 1)])], 'wasm');
    const lines = text.split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^where the diffeo-wasm optimize time goes/);
    expect(lines[1]).toBe('  synth128  invert3d 40% · warp3d 20% · ccFactors3d 10% · compose3d 5% · gaussianFilter 5% · 2 more 5% · other 15% of 10.0 s, 132 calls');
    expect(formatKernelBreakdown([row('plain', [run(1, 1)])], 'wasm')).toBe('');
    const withTs = formatKernelBreakdown([row('x', [profiled(1, [k('numpyGradient', 2, 0.5, 'ts')])])], 'wasm');
    expect(withTs).toContain('numpyGradient (ts) 50%');
  });
});
