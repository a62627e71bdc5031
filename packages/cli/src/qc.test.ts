/**
 * `diffeo qc` on mapping files whose fields are linear in world space, so every number of
 * the report is known in closed form: `u(x) = A·x + b` has `det J = det(I + A)` at every
 * voxel, and the pair `forward = A·x`, `backward = B·x` with `(I + B)(I + A) = I` is
 * exactly inverse (up to float32 rounding).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiffeomorphicMap, applyAffine } from '@diffeo/core';
import { loadNifti, saveMapping } from '@diffeo/io';

const main = fileURLToPath(new URL('./main.ts', import.meta.url));
const run = (args: string[]) =>
  spawnSync(process.execPath, ['--conditions=@diffeo/source', '--import', 'tsx', main, ...args], { encoding: 'utf8' });

const dir = mkdtempSync(join(tmpdir(), 'diffeo-qc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const p = (name: string) => join(dir, name);

const SHAPE: [number, number, number] = [10, 9, 8];
const G2W = new Float64Array([2, 0, 0, -10, 0, 1.5, 0, 4, 0, 0, 2.5, -7, 0, 0, 0, 1]);
// forward: u = s·x (det J = (1 + s)³); backward: u = −s/(1 + s)·x, its exact inverse
const S = 0.2;

function linearField(c: number): Float32Array {
  const n = SHAPE[0] * SHAPE[1] * SHAPE[2];
  const out = new Float32Array(n * 3);
  const w = new Float64Array(3);
  let v = 0;
  for (let i = 0; i < SHAPE[0]; i++) for (let j = 0; j < SHAPE[1]; j++) for (let k = 0; k < SHAPE[2]; k++, v++) {
    applyAffine(G2W, [i, j, k], 1, w, 3);
    for (let a = 0; a < 3; a++) out[3 * v + a] = c * w[a];
  }
  return out;
}

beforeAll(async () => {
  const m = new DiffeomorphicMap({ dim: 3, dispShape: SHAPE, dispGridToWorld: G2W, domainShape: SHAPE, domainGridToWorld: G2W,
    codomainShape: SHAPE, codomainGridToWorld: G2W });
  m.setForwardField({ data: linearField(S), shape: [...SHAPE, 3] });
  m.setBackwardField({ data: linearField(-S / (1 + S)), shape: [...SHAPE, 3] });
  m.isInverse = true; // as a SyN result: diffeo apply uses the backward field
  await saveMapping(p('map'), m);
});

describe('diffeo qc', () => {
  it('prints the summary, writes the JSON report with exactly the documented keys and the det J image', async () => {
    const r = run(['qc', '--mapping', p('map'), '--json', p('report.json'), '--out-jacobian', p('jac.nii.gz')]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/forward field: det J min 1\.728, max 1\.728, mean 1\.728; folded voxels 0 of 720/);
    expect(r.stdout).toMatch(/backward field \(used by diffeo apply\): det J min 0\.5787/);
    expect(r.stdout).toMatch(/inverse consistency .*: mean [\d.e+-]+ mm, p99 [\d.e+-]+ mm, max [\d.e+-]+ mm/);

    const report = JSON.parse(readFileSync(p('report.json'), 'utf8'));
    expect(Object.keys(report)).toEqual(['forward', 'backward', 'inverseConsistencyMm']);
    for (const k of ['forward', 'backward'] as const) {
      expect(Object.keys(report[k])).toEqual(['minDetJ', 'maxDetJ', 'meanDetJ', 'foldedVoxels', 'voxels']);
      expect(report[k].voxels).toBe(720);
      expect(report[k].foldedVoxels).toBe(0);
    }
    expect(Object.keys(report.inverseConsistencyMm)).toEqual(['mean', 'p99', 'max']);
    expect(Math.abs(report.forward.meanDetJ - 1.2 ** 3)).toBeLessThan(1e-5);
    expect(Math.abs(report.backward.minDetJ - 1.2 ** -3)).toBeLessThan(1e-5);
    // world coordinates up to ~20 mm: float32 rounding of the fields ~1e-6 mm
    expect(report.inverseConsistencyMm.max).toBeLessThan(1e-4);

    const jac = await loadNifti(p('jac.nii.gz'));
    expect(jac.shape).toEqual(SHAPE);
    expect(Array.from(jac.affine)).toEqual(Array.from(G2W));
    for (const x of jac.data) expect(Math.abs(x - 1.2 ** -3)).toBeLessThan(1e-5); // the backward field's det J
  });

  it('--log writes ln det J; existing outputs need --force', async () => {
    const r = run(['qc', '--mapping', p('map.nii.gz'), '--out-jacobian', p('logjac.nii'), '--log', '--quiet']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    const jac = await loadNifti(p('logjac.nii'));
    for (const x of jac.data) expect(Math.abs(x - -3 * Math.log(1.2))).toBeLessThan(1e-5);

    writeFileSync(p('old.json'), '{}');
    const json = run(['qc', '--mapping', p('map'), '--json', p('old.json'), '--quiet']);
    expect(json.status).toBe(1);
    expect(json.stderr).toMatch(/already exists; pass --force/);
    expect(readFileSync(p('old.json'), 'utf8')).toBe('{}');
    const forced = run(['qc', '--mapping', p('map'), '--json', p('old.json'), '--quiet', '--force']);
    expect(forced.status, forced.stderr).toBe(0);
    expect(JSON.parse(readFileSync(p('old.json'), 'utf8')).forward.voxels).toBe(720);
  });

  it('one-line errors: a missing file, --log without --out-jacobian', () => {
    const missing = run(['qc', '--mapping', p('nothing')]);
    expect(missing.status).toBe(1);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.stderr).toMatch(/no such file/);
    const log = run(['qc', '--mapping', p('map'), '--log']);
    expect(log.status).toBe(2);
    expect(log.stderr).toMatch(/--log applies to the image written with --out-jacobian/);
    expect(existsSync(p('nothing.nii.gz'))).toBe(false);
  });
});
