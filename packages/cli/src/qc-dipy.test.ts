/**
 * `diffeo qc --domain --codomain` on a mapping file written by DIPY 1.6's `write_mapping`
 * (which stores no grids): the JSON report's det J statistics are checked against det J
 * computed by numpy in the Python script (np.gradient along the grid axes, chain rule with
 * the codomain's affine, numpy's det), an oracle independent of diffeo. Runs
 * /usr/bin/python3 (skipped, saying so, when it cannot import DIPY).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { saveNifti } from '@diffeo/io';

const PY = '/usr/bin/python3';
const hasDipy = existsSync(PY) && spawnSync(PY, ['-c', 'import dipy.align.imwarp, nibabel'], { stdio: 'ignore' }).status === 0;
if (!hasDipy) console.warn('qc-dipy.test.ts: DIPY 1.6 is not importable from /usr/bin/python3; skipping diffeo qc on DIPY mapping files.');

const main = fileURLToPath(new URL('./main.ts', import.meta.url));
const run = (args: string[]) =>
  spawnSync(process.execPath, ['--conditions=@diffeo/source', '--import', 'tsx', main, ...args], { encoding: 'utf8' });
const dir = mkdtempSync(join(tmpdir(), 'diffeo-qc-dipy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const p = (name: string) => join(dir, name);

// Writes a DIPY mapping with smooth random fields (one of them folding somewhere) and the
// numpy det J statistics of both fields (float64 arithmetic on the float32 values).
const PY_WRITE = `
import sys, json, numpy as np, nibabel as nib
from dipy.align import write_mapping
from dipy.align.imwarp import DiffeomorphicMap
d = sys.argv[1]
mi, si = nib.load(d + '/moving.nii.gz'), nib.load(d + '/static.nii.gz')
m = DiffeomorphicMap(3, si.shape, si.affine, mi.shape, mi.affine, si.shape, si.affine, None)
g = np.indices(si.shape).astype(np.float64)
def field(a):
    u = np.stack([a * np.sin(0.7 * g[1] + 0.3 * g[2]), a * np.cos(0.5 * g[0] - 0.4 * g[2]), a * np.sin(0.6 * g[0] + 0.8 * g[1])], -1)
    return u.astype(np.float32)
m.forward = field(0.6)
m.backward = field(-4.0)
write_mapping(m, d + '/dipy_map.nii.gz')
Minv = np.linalg.inv(si.affine[:3, :3])
def detj(u):
    u = u.astype(np.float64)
    G = np.stack([np.stack(np.gradient(u[..., a]), -1) for a in range(3)], -2)  # G[..., a, k] = du_a/di_k
    J = np.eye(3) + G @ Minv
    return np.linalg.det(J)
out = {}
for name, u in (('forward', m.forward), ('backward', m.backward)):
    dj = detj(u)
    out[name] = dict(minDetJ=float(dj.min()), maxDetJ=float(dj.max()), meanDetJ=float(dj.mean()), foldedVoxels=int((dj <= 0).sum()), voxels=int(dj.size))
json.dump(out, open(d + '/numpy.json', 'w'))
`;

describe.skipIf(!hasDipy)('diffeo qc on DIPY write_mapping files', () => {
  it('--domain/--codomain: det J statistics equal numpy\'s; without them the error names the options', async () => {
    const G_S = [[2, 0, 0, -10], [0, 1.5, 0, 4], [0, 0, 2.5, -7], [0, 0, 0, 1]];
    const G_M = [[1, 0, 0, 2], [0, 1, 0, -3], [0, 0, 1, 1], [0, 0, 0, 1]];
    await saveNifti(p('static.nii.gz'), { data: new Float32Array(10 * 9 * 8).fill(1), shape: [10, 9, 8] }, G_S);
    await saveNifti(p('moving.nii.gz'), { data: new Float32Array(7 * 6 * 5).fill(1), shape: [7, 6, 5] }, G_M);
    const py = spawnSync(PY, ['-c', PY_WRITE, dir], { encoding: 'utf8' });
    expect(py.status, py.stderr).toBe(0);

    const missing = run(['qc', '--mapping', p('dipy_map.nii.gz'), '--quiet']);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/--domain IMAGE --codomain IMAGE/);

    const ok = run(['qc', '--mapping', p('dipy_map.nii.gz'), '--domain', p('moving.nii.gz'), '--codomain', p('static.nii.gz'),
      '--json', p('qc.json'), '--quiet']);
    expect(ok.status, ok.stderr).toBe(0);
    const ours = JSON.parse(readFileSync(p('qc.json'), 'utf8')) as Record<'forward' | 'backward', Record<string, number>>;
    const want = JSON.parse(readFileSync(p('numpy.json'), 'utf8')) as Record<'forward' | 'backward', Record<string, number>>;
    for (const f of ['forward', 'backward'] as const) {
      expect(ours[f].voxels).toBe(want[f].voxels);
      expect(ours[f].foldedVoxels).toBe(want[f].foldedVoxels);
      // float32 rounding of det J (diffeo stores it as float32)
      for (const k of ['minDetJ', 'maxDetJ', 'meanDetJ']) expect(Math.abs(ours[f][k] - want[f][k])).toBeLessThan(1e-5 * Math.max(1, Math.abs(want[f][k])));
    }
    expect(want.backward.foldedVoxels).toBeGreaterThan(0);
    expect(want.forward.foldedVoxels).toBe(0);
  });
});
