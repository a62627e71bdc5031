import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadNifti, parseNpy, saveNifti } from '@diffeo/io';
import { affine, affineText, formatE18 } from './commands/affine.js';
import { register } from './commands/register.js';
import { CliError } from './images.js';

const main = fileURLToPath(new URL('./main.ts', import.meta.url));
const run = (args: string[]) =>
  spawnSync(process.execPath, ['--conditions=@diffeo/source', '--import', 'tsx', main, ...args], { encoding: 'utf8' });
const FIX = fileURLToPath(new URL('../../../fixtures/affine/', import.meta.url));

const dir = mkdtempSync(join(tmpdir(), 'diffeo-affine-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const p = (name: string) => join(dir, name);

interface Case { name: string; params: Record<string, unknown>; values: Record<string, unknown>; arrays: Record<string, { file: string }> }
const manifest = JSON.parse(readFileSync(FIX + 'manifest.json', 'utf8')) as { cases: Case[] };
const t1 = manifest.cases.find((c) => c.name === 'pipeline_t1_2d')!;
const arr = (key: string) => parseNpy(new Uint8Array(readFileSync(FIX + t1.arrays[key].file)));

/** A 3×3 in-plane grid-to-world as the 4×4 NIfTI affine (identity z). */
function nifti4(g: number[][]): number[][] {
  return [[g[0][0], g[0][1], 0, g[0][2]], [g[1][0], g[1][1], 0, g[1][2]], [0, 0, 1, 0], [0, 0, 0, 1]];
}

function readMatrix(path: string): number[] {
  return readFileSync(path, 'utf8').trim().split('\n').flatMap((l) => l.trim().split(/\s+/).map(Number));
}

/** Mean distance (mm) between A·x and B·x over the static foreground (2D). */
function meanDisplacement(A: ArrayLike<number>, B: ArrayLike<number>, data: ArrayLike<number>, shape: number[], g: number[]): number {
  let s = 0, n = 0;
  for (let i = 0; i < shape[0]; i++) {
    for (let j = 0; j < shape[1]; j++) {
      if (data[i * shape[1] + j] <= 0.1) continue;
      const x = g[0] * i + g[1] * j + g[2], y = g[3] * i + g[4] * j + g[5];
      s += Math.hypot((A[0] - B[0]) * x + (A[1] - B[1]) * y + (A[2] - B[2]), (A[3] - B[3]) * x + (A[4] - B[4]) * y + (A[5] - B[5]));
      n++;
    }
  }
  return s / n;
}

const sG = t1.params.static_grid2world as number[][], mG = t1.params.moving_grid2world as number[][];

beforeAll(async () => {
  const s = arr('static'), m = arr('moving');
  await saveNifti(p('t1s.nii.gz'), { data: s.data as Float32Array, shape: s.shape }, nifti4(sG));
  await saveNifti(p('t1m.nii.gz'), { data: m.data as Float32Array, shape: m.shape }, nifti4(mG));
  const mask = new Uint8Array(s.data.length).map((_, i) => (s.data[i] > 0.05 ? 1 : 0));
  await saveNifti(p('mask.nii.gz'), { data: mask, shape: s.shape }, nifti4(sG));
  await saveNifti(p('small.nii.gz'), { data: new Uint8Array(100).fill(1), shape: [10, 10] }, null);
});

describe('diffeo affine', () => {
  it('registers a 2D T1 pair like DIPY (within 0.1 mm over the foreground) and writes numpy.savetxt text', async () => {
    const r = run(['affine', '--static', p('t1s.nii.gz'), '--moving', p('t1m.nii.gz'), '--out-affine', p('A.txt'),
      '--level-iters', (t1.params.level_iters as number[]).join(','), '--out-warped', p('w.nii.gz')]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/affine level 0: \d+ iterations/);
    const A = readMatrix(p('A.txt'));
    expect(A).toHaveLength(9);
    const s = arr('static');
    const d = meanDisplacement(A, (t1.values.affine_affine as number[][]).flat(), s.data, s.shape, sG.flat());
    expect(d).toBeLessThanOrEqual(0.1);
    const w = await loadNifti(p('w.nii.gz'));
    expect(w.shape).toEqual(s.shape);
    await expect(affine(['--static', p('t1s.nii.gz'), '--moving', p('t1m.nii.gz'), '--out-affine', p('A.txt'), '--pipeline', 'com']))
      .rejects.toThrow(/already exists; pass --force/);
  });

  it('formats like numpy.savetxt (checked against NumPy when /usr/bin/python3 has it)', (ctx) => {
    const M = [1, 0.1, 31.326868225067837, 1e-300, -2.5e-8, 123456789.123, 5e-324, 1.7976931348623157e308, 1]; // JSON loses -0
    expect(formatE18(1)).toBe('1.000000000000000000e+00');
    expect(formatE18(-0)).toBe('-0.000000000000000000e+00');
    const py = spawnSync('/usr/bin/python3', ['-c', 'import numpy as np, io, sys; b = io.StringIO(); '
      + `np.savetxt(b, np.array(${JSON.stringify(M)}).reshape(3, 3)); sys.stdout.write(b.getvalue())`], { encoding: 'utf8' });
    if (py.status !== 0) ctx.skip('numpy under /usr/bin/python3 is not available to compare with');
    expect(affineText(M)).toBe(py.stdout);
  });

  it('--backend ts and --backend wasm write the same matrix, byte for byte', async () => {
    for (const backend of ['ts', 'wasm']) {
      await affine(['--static', p('t1s.nii.gz'), '--moving', p('t1m.nii.gz'), '--out-affine', p(`E-${backend}.txt`),
        '--pipeline', 'com,translation,rigid,affine', '--level-iters', '30,15,5', '--static-mask', p('mask.nii.gz'), '--backend', backend, '--quiet']);
    }
    const ts = readFileSync(p('E-ts.txt'), 'utf8');
    expect(readMatrix(p('E-ts.txt'))).toHaveLength(9);
    expect(readFileSync(p('E-wasm.txt'), 'utf8')).toBe(ts);
    await expect(affine(['--static', p('t1s.nii.gz'), '--moving', p('t1m.nii.gz'), '--out-affine', p('F.txt'), '--backend', 'gpu']))
      .rejects.toThrow(/--backend must be wasm or ts/);
  });

  it('runs a chosen pipeline with a static mask and sampling; rejects bad options', async () => {
    const log = console.log;
    await affine(['--static', p('t1s.nii.gz'), '--moving', p('t1m.nii.gz'), '--out-affine', p('B.txt'), '--pipeline', 'com,translation',
      '--level-iters', '20,10,5', '--static-mask', p('mask.nii.gz'), '--quiet']);
    const B = readMatrix(p('B.txt'));
    expect([B[0], B[1], B[3], B[4]]).toEqual([1, 0, 0, 1]);
    expect(Math.hypot(B[2], B[5])).toBeGreaterThan(1);
    await affine(['--static', p('t1s.nii.gz'), '--moving', p('t1m.nii.gz'), '--out-affine', p('C.txt'), '--pipeline', 'translation',
      '--level-iters', '20,10,5', '--sampling-proportion', '0.5', '--quiet']);
    expect(readMatrix(p('C.txt'))).toHaveLength(9);
    console.log = log;
    const bad = async (args: string[], re: RegExp, status: number) => {
      const e = await affine(['--static', p('t1s.nii.gz'), '--moving', p('t1m.nii.gz'), '--out-affine', p('D.txt'), '--quiet', ...args])
        .then(() => null, (x: unknown) => x);
      expect(e).toBeInstanceOf(CliError);
      expect((e as CliError).exitCode).toBe(status);
      expect((e as Error).message).toMatch(re);
      expect(existsSync(p('D.txt'))).toBe(false);
    };
    await bad(['--pipeline', 'com,shear'], /unknown stage "shear"/, 2);
    await bad(['--sampling-proportion', '2'], /sampling-proportion/, 2);
    await bad(['--sigmas', '3,x'], /--sigmas must be/, 2);
    await bad(['--static-mask', p('small.nii.gz')], /a mask must be on its image's grid/, 1);
    await expect(affine(['--static', p('t1s.nii.gz'), '--moving', p('t1m.nii.gz')])).rejects.toThrow(/needs --out-affine/);
    await expect(register(['--static', p('t1s.nii.gz'), '--moving', p('t1m.nii.gz'), '--affine', '--prealign', p('B.txt'),
      '--out-warped', p('rw2.nii.gz'), '--out-mapping', p('rm2'), '--quiet'])).rejects.toThrow(/drop --prealign or --affine/);
  });

  it('register --affine: affine pipeline first, then SyN with it as the prealign', async () => {
    const r = run(['register', '--static', p('t1s.nii.gz'), '--moving', p('t1m.nii.gz'), '--affine', '--out-affine', p('RA.txt'),
      '--level-iters', '5,5', '--metric', 'ssd', '--out-warped', p('rw.nii.gz'), '--out-mapping', p('rm'), '--quiet']);
    expect(r.status, r.stderr).toBe(0);
    expect(readMatrix(p('RA.txt'))).toHaveLength(9);
    expect(existsSync(p('rw.nii.gz'))).toBe(true);
  });
});
