import { describe, expect, it } from 'vitest';
import { parseCliArgs, runCli } from './cli.js';
import { selectCases } from './cases.js';
import { chooseChildMode, detectDipy } from './bench.js';

describe('command line', () => {
  it('parses the flags', () => {
    const o = parseCliArgs(['--cases', 'a,b', '--runs', '5', '--json', 'x.json', '--data', 'd', '--skip-dipy', '--backends', 'ts']);
    expect(o).toMatchObject({ cases: 'a,b', runs: 5, json: 'x.json', data: 'd', skipDipy: true, backends: ['ts'] });
    expect(parseCliArgs([]).runs).toBe(3);
    expect(() => parseCliArgs(['--runs', '0'])).toThrow(/positive integer/);
    expect(() => parseCliArgs(['--backends', 'gpu'])).toThrow(/ts, wasm and\/or browser/);
    expect(parseCliArgs([]).synInversionMode).toBe('dipy');
    expect(parseCliArgs(['--syn-inversion-mode', 'backward-only']).synInversionMode).toBe('backward-only');
    expect(() => parseCliArgs(['--syn-inversion-mode', 'fast'])).toThrow(/dipy or backward-only/);
    expect(parseCliArgs([]).fromSource).toBe(false);
    expect(parseCliArgs(['--from-source']).fromSource).toBe(true);
    expect(parseCliArgs(['--browser']).backends).toEqual(['ts', 'wasm', 'browser']);
    expect(parseCliArgs(['--backends', 'wasm,browser', '--browser']).backends).toEqual(['wasm', 'browser']);
    expect(parseCliArgs([]).wasmOptions).toEqual({});
    expect(parseCliArgs(['--wasm-threads', '2', '--wasm-min-parallel-work', '5000']).wasmOptions).toEqual({ threads: 2, minParallelWork: 5000 });
    expect(() => parseCliArgs(['--wasm-threads', '0'])).toThrow(/positive integer/);
    expect(() => parseCliArgs(['--wasm-min-parallel-work=-1'])).toThrow(/≥ 0/);
  });
  it('runs the children from the sources when asked', () => {
    expect(chooseChildMode(true)).toEqual({ mode: 'source', reason: 'asked for (--from-source)' });
    const m = chooseChildMode(false);
    // built after `pnpm build` (CI builds before testing); otherwise the reason names the missing files
    if (m.mode === 'built') expect(m.reason).toBeUndefined();
    else expect(m.reason).toMatch(/run `pnpm build` first$/);
  });
  it('selects cases by name and rejects unknown ones', () => {
    expect(selectCases('tiny2d,aniso3d').map((c) => c.name)).toEqual(['tiny2d', 'aniso3d']);
    expect(selectCases(undefined).some((c) => c.name === 'tiny2d')).toBe(false);
    expect(() => selectCases('nope')).toThrow(/unknown case/);
  });
});

describe('bench smoke test (diffeo only, one tiny case, one run)', () => {
  it('runs tiny2d in a child process and prints the table and its JSON', async () => {
    let out = '';
    const code = await runCli(['--cases', 'tiny2d', '--runs', '1', '--skip-dipy', '--backends', 'ts'], (s) => {
      out += s;
    });
    expect(code, out).toBe(0);
    expect(out).toMatch(/diffeo children: (built packages|TypeScript sources)/);
    const lines = out.split('\n');
    const row = lines.find((l) => l.startsWith('tiny2d'));
    expect(row).toMatch(/^tiny2d\s+32×32\s+\d/);
    const json = JSON.parse(out.slice(out.indexOf('\n['), out.lastIndexOf(']') + 1)) as Array<Record<string, unknown>>;
    expect(json).toHaveLength(1);
    expect(json[0].case).toBe('tiny2d');
    expect(json[0].dipy_time_s).toBeNull();
    expect(typeof json[0].ts_time_s).toBe('number');
    expect(json[0].ts_rss_kib as number).toBeGreaterThan(1000);
    // registration improves the tissue overlap of the synthetic pair
    expect(json[0].quality_ts as number).toBeGreaterThan(json[0].quality_before as number);
  });
});

describe('bench smoke test of the EM metric beside DIPY (one tiny multimodal case, one run)', () => {
  it('runs tiny2d_em with diffeo (TypeScript kernels) and, when DIPY is installed, with DIPY: the same warped image', async () => {
    const dipy = detectDipy('/usr/bin/python3');
    const args = ['--cases', 'tiny2d_em', '--runs', '1', '--backends', 'ts', ...(dipy.available ? [] : ['--skip-dipy'])];
    let out = '';
    const code = await runCli(args, (s) => {
      out += s;
    });
    expect(code, out).toBe(0);
    const json = JSON.parse(out.slice(out.indexOf('\n['), out.lastIndexOf(']') + 1)) as Array<Record<string, unknown>>;
    expect(json[0].case).toBe('tiny2d_em');
    expect(json[0].quality_ts as number).toBeGreaterThan(json[0].quality_before as number);
    if (!dipy.available) {
      console.warn(`DIPY comparison skipped: ${dipy.reason}`);
      return;
    }
    expect(json[0].warped_diff_vs_dipy_ts).toBe(0);
  });
});

describe('bench smoke test of the MI metric (one tiny multimodal case, one run, no DIPY side)', () => {
  it('runs tiny2d_mi with diffeo (TypeScript kernels); the DIPY column says why it is empty', async () => {
    const args = ['--cases', 'tiny2d_mi', '--runs', '1', '--backends', 'ts'];
    let out = '';
    const code = await runCli(args, (s) => {
      out += s;
    });
    expect(code, out).toBe(0);
    const json = JSON.parse(out.slice(out.indexOf('\n['), out.lastIndexOf(']') + 1)) as Array<Record<string, unknown>>;
    expect(json[0].case).toBe('tiny2d_mi');
    expect(json[0].quality_ts as number).toBeGreaterThan(json[0].quality_before as number);
    expect(json[0].quality_dipy ?? null).toBeNull();
    expect(JSON.stringify(json[0].notes)).toMatch(/DIPY 1.6 has no MI metric/);
  });
});
