/**
 * `diffeo apply` on a mapping file written by DIPY 1.6's `write_mapping`: with `--domain`,
 * `--codomain` and `--prealign` it warps exactly as DIPY's `read_mapping(...).transform`;
 * without the images it says which options it needs. And a real `diffeo register` result read
 * by DIPY's `read_mapping` warps bit-identically to `register` and `apply`. Runs
 * /usr/bin/python3 (skipped, saying so, when it cannot import DIPY).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadNifti, parseNpy, saveNifti } from '@diffeo/io';

const PY = '/usr/bin/python3';
const hasDipy = existsSync(PY) && spawnSync(PY, ['-c', 'import dipy.align.imwarp, nibabel'], { stdio: 'ignore' }).status === 0;
if (!hasDipy) console.warn('apply-dipy.test.ts: DIPY 1.6 is not importable from /usr/bin/python3; skipping diffeo apply on DIPY mapping files.');

const main = fileURLToPath(new URL('./main.ts', import.meta.url));
const run = (args: string[]) =>
  spawnSync(process.execPath, ['--conditions=@diffeo/source', '--import', 'tsx', main, ...args], { encoding: 'utf8' });
const dir = mkdtempSync(join(tmpdir(), 'diffeo-cli-dipy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const p = (name: string) => join(dir, name);

const PY_WRITE = `
import sys, numpy as np, nibabel as nib
from dipy.align import write_mapping, read_mapping
from dipy.align.imwarp import DiffeomorphicMap
d = sys.argv[1]
mi, si = nib.load(d + '/moving.nii.gz'), nib.load(d + '/static.nii.gz')
P = np.loadtxt(d + '/prealign.txt')
rng = np.random.default_rng(3)
m = DiffeomorphicMap(3, si.shape, si.affine, mi.shape, mi.affine, si.shape, si.affine, P)
m.forward = (rng.standard_normal(tuple(si.shape) + (3,)) * 0.8).astype(np.float32)
m.backward = (rng.standard_normal(tuple(si.shape) + (3,)) * 0.8).astype(np.float32)
write_mapping(m, d + '/dipy_map.nii.gz')
r = read_mapping(d + '/dipy_map.nii.gz', d + '/moving.nii.gz', d + '/static.nii.gz', prealign=P)
np.save(d + '/dipy_warped.npy', np.ascontiguousarray(r.transform(np.asanyarray(mi.dataobj).astype(np.float32)), dtype=np.float32))
`;

describe.skipIf(!hasDipy)('diffeo apply and DIPY mapping files, both ways', () => {
  it('--domain/--codomain/--prealign: bit-identical to read_mapping().transform; without them a one-line error naming the options', async () => {
    // oblique anisotropic grids whose inverses are exact (so LAPACK's and diffeo's agree)
    const G_S = [[1, -0.5, 2, -10.5], [1, 0.5, -2, 4.25], [0, 0.5, 2, 3], [0, 0, 0, 1]];
    const G_M = [[0.5, -2, 0, 2], [0.5, 2, -1, -6.5], [0.5, 2, 1, 1.25], [0, 0, 0, 1]];
    const r = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => 50 * Math.sin(seed * 1000 + i * 0.37));
    await saveNifti(p('static.nii.gz'), { data: r(9 * 8 * 7, 1), shape: [9, 8, 7] }, G_S);
    await saveNifti(p('moving.nii.gz'), { data: r(10 * 9 * 8, 2), shape: [10, 9, 8] }, G_M);
    writeFileSync(p('prealign.txt'), '1 0.25 0 1.5\n0 1 -0.125 -2\n0 0 1 0.75\n0 0 0 1\n');
    const py = spawnSync(PY, ['-c', PY_WRITE, dir], { encoding: 'utf8' });
    expect(py.status, py.stderr).toBe(0);

    const missing = run(['apply', '--mapping', p('dipy_map.nii.gz'), '--moving', p('moving.nii.gz'), '--out', p('never.nii.gz')]);
    expect(missing.status).toBe(1);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.stderr).toMatch(/DIPY write_mapping file.*--domain IMAGE --codomain IMAGE/);

    const ok = run(['apply', '--mapping', p('dipy_map.nii.gz'), '--domain', p('moving.nii.gz'), '--codomain', p('static.nii.gz'),
      '--prealign', p('prealign.txt'), '--moving', p('moving.nii.gz'), '--out', p('warped.nii.gz'), '--quiet']);
    expect(ok.status, ok.stderr).toBe(0);
    const ours = await loadNifti(p('warped.nii.gz'));
    expect(ours.shape).toEqual([9, 8, 7]);
    const dipy = parseNpy(readFileSync(p('dipy_warped.npy')));
    const a = ours.data as Float32Array;
    const b = dipy.data as Float32Array;
    expect(Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength))).toBe(0);
    expect(a.some((v) => v !== 0)).toBe(true);
  });

  it('a diffeo register result (oblique grids, --prealign) read by DIPY read_mapping warps bit-identically to register and apply', async () => {
    // 3D blobs on oblique anisotropic grids with exact inverses; a sheared, shifted prealign
    const G = [[1, -0.5, 2, -10], [1, 0.5, -2, -3], [0, 0.5, 2, -12], [0, 0, 0, 1]];
    const n = 12;
    const blob = (c: number[]) => {
      const out = new Float32Array(n * n * n);
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let k = 0; k < n; k++) {
        out[(i * n + j) * n + k] = 100 * Math.exp(-(((i - c[0]) / 2.5) ** 2 + ((j - c[1]) / 2.5) ** 2 + ((k - c[2]) / 2) ** 2));
      }
      return out;
    };
    await saveNifti(p('reg_static.nii.gz'), { data: blob([6, 6, 6]), shape: [n, n, n] }, G);
    await saveNifti(p('reg_moving.nii.gz'), { data: blob([6.8, 5.5, 6.3]), shape: [n, n, n] }, G);
    writeFileSync(p('reg_prealign.txt'), '1 0.0625 0 0.5\n0 1 0 -0.25\n0 0 1 0.125\n0 0 0 1\n');
    const r = run(['register', '--static', p('reg_static.nii.gz'), '--moving', p('reg_moving.nii.gz'), '--prealign', p('reg_prealign.txt'),
      '--radius', '2', '--level-iters', '6,3', '--out-warped', p('reg_warped.nii.gz'), '--out-mapping', p('reg_map'), '--quiet']);
    expect(r.status, r.stderr).toBe(0);
    const a = run(['apply', '--mapping', p('reg_map'), '--moving', p('reg_moving.nii.gz'), '--out', p('reg_applied.nii.gz'), '--quiet']);
    expect(a.status, a.stderr).toBe(0);
    const py = spawnSync(PY, ['-c', `
import sys, json, numpy as np, nibabel as nib
from dipy.align import read_mapping
d = sys.argv[1]
f = d + '/reg_map.nii.gz'
meta = json.loads([e for e in nib.load(f).header.extensions if e.get_code() == 6][0].get_content())
P = None if meta['prealign'] is None else np.array(meta['prealign'])
m = read_mapping(f, d + '/reg_moving.nii.gz', d + '/reg_static.nii.gz', prealign=P)
mv = np.asanyarray(nib.load(d + '/reg_moving.nii.gz').dataobj).astype(np.float32)
np.save(d + '/reg_dipy.npy', np.ascontiguousarray(m.transform(mv), dtype=np.float32))
`, dir], { encoding: 'utf8' });
    expect(py.status, py.stderr).toBe(0);
    const dipy = parseNpy(readFileSync(p('reg_dipy.npy'))).data as Float32Array;
    const bits = (x: ArrayBufferView) => Buffer.from(x.buffer, x.byteOffset, x.byteLength);
    const warped = (await loadNifti(p('reg_warped.nii.gz'))).data as Float32Array;
    const applied = (await loadNifti(p('reg_applied.nii.gz'))).data as Float32Array;
    expect(Buffer.compare(bits(warped), bits(applied))).toBe(0);
    expect(Buffer.compare(bits(dipy), bits(warped))).toBe(0);
    expect(warped.some((v) => v > 10)).toBe(true);
  });
});
