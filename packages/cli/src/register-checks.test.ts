/**
 * `diffeo register`'s before/after report (issue 11 item 10): the NCC over the static
 * foreground before and after, and a warning when the foregrounds do not overlap in world
 * space, tested with a pair whose headers put the moving image 200 mm away. The overlap
 * fraction is also checked against a hand count on a pair shifted by half the blob.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveNifti } from '@diffeo/io';
import { checkPair, foregroundMask } from './overlap.js';

const main = fileURLToPath(new URL('./main.ts', import.meta.url));
const run = (args: string[]) =>
  spawnSync(process.execPath, ['--conditions=@diffeo/source', '--import', 'tsx', main, ...args], { encoding: 'utf8' });
const dir = mkdtempSync(join(tmpdir(), 'h-rel-regchecks-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const p = (name: string) => join(dir, name);

const N = 24;
/** A square of ones from (a, a) to (a + 7, a + 7) on an N×N grid. */
function square(a: number): Float32Array {
  return Float32Array.from({ length: N * N }, (_, i) => {
    const r = Math.floor(i / N), c = i % N;
    return r >= a && r < a + 8 && c >= a && c < a + 8 ? 1 : 0;
  });
}
const shifted = new Float64Array([1, 0, 0, 200, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);

beforeAll(async () => {
  // smooth squares (a binary one is constant on its own foreground, where NCC is undefined)
  const soft = (a: number) => square(a).map((v, i) => v * (1 + 0.02 * ((i * 7) % 13)));
  await saveNifti(p('s.nii'), { data: soft(8), shape: [N, N, 1] }, null);
  await saveNifti(p('m.nii'), { data: soft(9), shape: [N, N, 1] }, null);
  await saveNifti(p('far.nii'), { data: square(9), shape: [N, N, 1] }, shifted);
});

describe('register: similarity before and after, foreground overlap', () => {
  it('foregroundMask and the overlap fraction agree with a hand count', () => {
    expect(Array.from(foregroundMask([0, 1, 10, 0.5, 2]))).toEqual([0, 0, 1, 0, 1]); // threshold 1
    const g = new Float64Array([1, 0, 0, 0, 1, 0, 0, 0, 1]);
    const img = (d: Float32Array) => ({ path: 'x', dim: 2 as const, data: d, shape: [N, N], gridToWorld: g, fileShape: [N, N, 1], fileAffine: g });
    // squares at 8..15 and 12..19 along both axes: 4×4 of the 64 static voxels are covered.
    const r = checkPair(img(square(8)), img(square(12)), undefined);
    expect(r.overlap).toBe(16 / 64);
    const blob = (c: number) => Float32Array.from({ length: N * N }, (_, i) => Math.exp(-(((Math.floor(i / N) - c) ** 2) + ((i % N) - c) ** 2) / 20));
    expect(checkPair(img(blob(11)), img(blob(11)), undefined).nccBefore).toBeCloseTo(1, 12);
    expect(checkPair(img(blob(11)), img(blob(13)), undefined).nccBefore).toBeLessThan(0.9);
  });

  it('prints NCC before and after; no warning for an overlapping pair', () => {
    const r = run(['register', '--static', p('s.nii'), '--moving', p('m.nii'), '--metric', 'ssd', '--level-iters', '5,5', '--backend', 'ts', '--out-warped', p('w1.nii'), '--out-mapping', p('m1')]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/NCC over the static foreground \(voxels above 10 % of its range\): before -?\d\.\d{4}, after -?\d\.\d{4}; foreground overlap before 76\.6 %/);
    expect(r.stderr).not.toMatch(/hardly overlap/);
  });

  it('warns when the headers put the images apart (no overlap)', () => {
    const r = run(['register', '--static', p('s.nii'), '--moving', p('far.nii'), '--metric', 'ssd', '--level-iters', '2', '--backend', 'ts', '--out-warped', p('w2.nii'), '--out-mapping', p('m2')]);
    expect(r.stderr).toMatch(/warning: the foregrounds hardly overlap in world space: the moving foreground covers 0\.0 % of the static one \(warning below 25 %/);
  });
});
