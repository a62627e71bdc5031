/**
 * `diffeo register --out-ants PREFIX`: the ANTs/ITK files hold the registered map (compared
 * with the exact map in the mapping file: the warp is its backward field in LPS, the affine its
 * inverse prealign in LPS), the `--json` summary lists them with the antsApplyTransforms order,
 * and existing files are refused before any work. (That ITK applies these files as diffeo
 * warps is checked with ITK itself in packages/io/src/ants.test.ts.)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMapping, loadNifti, saveNifti } from '@diffeo/io';

const main = fileURLToPath(new URL('./main.ts', import.meta.url));
const run = (args: string[]) =>
  spawnSync(process.execPath, ['--conditions=@diffeo/source', '--import', 'tsx', main, ...args], { encoding: 'utf8' });
const dir = mkdtempSync(join(tmpdir(), 'diffeo-cli-ants-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const p = (name: string) => join(dir, name);

const N = 16;
function blob(ci: number, cj: number, ck: number): Float32Array {
  const out = new Float32Array(N * N * N);
  for (let i = 0; i < N; i++) for (let j = 0; j < N; j++) for (let k = 0; k < N; k++) {
    out[(i * N + j) * N + k] = 100 * Math.exp(-(((i - ci) / 3) ** 2 + ((j - cj) / 2.5) ** 2 + ((k - ck) / 3) ** 2));
  }
  return out;
}

beforeAll(async () => {
  const affine = [[2, 0, 0, -16], [0, 2, 0, -16], [0, 0, 2.5, -20], [0, 0, 0, 1]];
  await saveNifti(p('static.nii.gz'), { data: blob(8, 8, 8), shape: [N, N, N] }, affine);
  await saveNifti(p('moving.nii.gz'), { data: blob(9, 7.5, 8.5), shape: [N, N, N] }, affine);
  writeFileSync(p('prealign.txt'), '1 0 0 1.5\n0 1 0 -0.5\n0 0 1 0.25\n0 0 0 1\n');
});

/** The float64 column vectors of a MATLAB v4 file, by name. */
function readMatV4(bytes: Uint8Array): Record<string, number[]> {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Record<string, number[]> = {};
  for (let at = 0; at < bytes.length;) {
    const [type, rows, cols, , namlen] = [0, 4, 8, 12, 16].map((o) => v.getInt32(at + o, true));
    expect(type).toBe(0); // little-endian float64
    const name = Buffer.from(bytes.subarray(at + 20, at + 20 + namlen - 1)).toString('latin1');
    const data = at + 20 + namlen;
    out[name] = Array.from({ length: rows * cols }, (_, i) => v.getFloat64(data + 8 * i, true));
    at = data + 8 * rows * cols;
  }
  return out;
}

describe('diffeo register --out-ants', () => {
  it('writes PREFIX0GenericAffine.mat and PREFIX1(Inverse)Warp.nii.gz holding the map in LPS, listed in --json', async () => {
    const prefix = p('ants_');
    const r = run(['register', '--static', p('static.nii.gz'), '--moving', p('moving.nii.gz'), '--prealign', p('prealign.txt'),
      '--radius', '2', '--level-iters', '10,5', '--out-warped', p('warped.nii.gz'), '--out-mapping', p('map'), '--out-ants', prefix, '--json']);
    expect(r.status, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout) as { outAnts: { affine: string; warp: string; inverseWarp: string; forwardTransforms: string[]; inverseTransforms: string[] } };
    expect(summary.outAnts).toEqual({
      affine: `${prefix}0GenericAffine.mat`,
      warp: `${prefix}1Warp.nii.gz`,
      inverseWarp: `${prefix}1InverseWarp.nii.gz`,
      forwardTransforms: [`${prefix}1Warp.nii.gz`, `${prefix}0GenericAffine.mat`],
      inverseTransforms: [`[${prefix}0GenericAffine.mat,1]`, `${prefix}1InverseWarp.nii.gz`],
    });
    expect(r.stderr).toMatch(/antsApplyTransforms -d 3 -i MOVING -r STATIC -o OUT -t .*ants_1Warp\.nii\.gz -t .*ants_0GenericAffine\.mat/);

    const map = await loadMapping(p('map'));
    const warp = await loadNifti(summary.outAnts.warp);
    const inverse = await loadNifti(summary.outAnts.inverseWarp);
    expect(warp.shape).toEqual([N, N, N, 1, 3]);
    expect(warp.header.intentCode).toBe(1007);
    expect(Array.from(warp.affine)).toEqual(Array.from(map.dispGridToWorld!));
    const lps = (f: Float32Array) => f.map((x, i) => (i % 3 < 2 ? -x : x));
    expect(Array.from(warp.data)).toEqual(Array.from(lps(map.backward!)));
    expect(Array.from(inverse.data)).toEqual(Array.from(lps(map.forward!)));
    // the warp is not trivial
    expect(map.backward!.some((x) => Math.abs(x) > 0.05)).toBe(true);

    // the affine: ITK parameters (matrix rows, translation) of F·inv(map.prealign)·F, F = diag(-1, -1, 1)
    const mat = readMatV4(new Uint8Array(readFileSync(summary.outAnts.affine)));
    const A = map.prealignInv!;
    const s = [-1, -1, 1];
    const want = [...[0, 1, 2].flatMap((r2) => [0, 1, 2].map((c) => s[r2] * s[c] * A[r2 * 4 + c])), ...[0, 1, 2].map((r2) => s[r2] * A[r2 * 4 + 3])];
    expect(mat.AffineTransform_double_3_3).toEqual(want);
    expect(mat.fixed).toEqual([0, 0, 0]);
    // with the user's prealign (static -> moving points, here a shift) it is that shift in LPS
    mat.AffineTransform_double_3_3.slice(9).forEach((t, i) => expect(t).toBeCloseTo([-1.5, 0.5, 0.25][i], 12));
  });

  it('refuses existing ANTs files (before registering) and a missing folder, in one line', () => {
    writeFileSync(p('taken_1Warp.nii.gz'), 'x');
    const args = ['register', '--static', p('static.nii.gz'), '--moving', p('moving.nii.gz'), '--out-warped', p('w2.nii.gz'), '--out-mapping', p('m2')];
    const r = run([...args, '--out-ants', p('taken_')]);
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--out-ants: .*taken_1Warp\.nii\.gz already exists; pass --force/);
    expect(existsSync(p('w2.nii.gz'))).toBe(false);
    const m = run([...args, '--out-ants', p('nowhere/x_')]);
    expect(m.status).toBe(1);
    expect(m.stderr).toMatch(/--out-ants .*nowhere\/x_: the folder .*nowhere does not exist/);
  });
});
