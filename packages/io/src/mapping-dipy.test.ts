/**
 * DIPY 1.6 itself reads diffeo's mapping files, and diffeo reads DIPY's: `read_mapping` on a
 * file from `saveMapping` must warp exactly as the map it came from, and `loadMapping` on a
 * file from DIPY's `write_mapping` exactly as DIPY's `read_mapping` map. Runs /usr/bin/python3
 * (skipped, saying so, when it cannot import DIPY).
 *
 * Grids. Bit-identity needs the affine inverses to agree: DIPY inverts with LAPACK, diffeo
 * with its own elimination, and both agree exactly when the inverses are exact. The exact
 * cases use oblique (45° rotations about two axes) anisotropic grids and a sheared prealign
 * whose entries and inverses are dyadic; a separate case with arbitrary rotations and
 * spacings checks that the warps still agree to float32 rounding.
 */
import { mulberry32, randomFloat32 } from '@diffeo/core/oracles';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DiffeomorphicMap, invertAffine, mulAffine, type Dim } from '@diffeo/core';
import { loadMapping, loadNifti, parseNpy, saveMapping, saveNifti } from '@diffeo/io';

const PY = '/usr/bin/python3';
const hasDipy = existsSync(PY) && spawnSync(PY, ['-c', 'import dipy.align.imwarp, nibabel'], { stdio: 'ignore' }).status === 0;
if (!hasDipy) console.warn('mapping-dipy.test.ts: DIPY 1.6 is not importable from /usr/bin/python3; skipping the DIPY read_mapping/write_mapping checks.');

const dir = mkdtempSync(join(tmpdir(), 'diffeo-mapping-dipy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const prod = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** `R·diag(s)` with translation `t`, as a 4×4 row-major affine. */
function affine3(R: number[][], s: number[], t: number[]): Float64Array {
  const a = new Float64Array(16);
  for (let r = 0; r < 3; r++) {
    for (let c = 0; c < 3; c++) a[r * 4 + c] = R[r][c] * s[c];
    a[r * 4 + 3] = t[r];
  }
  a[15] = 1;
  return a;
}
const matmul3 = (A: number[][], B: number[][]) => A.map((row) => B[0].map((_, c) => row.reduce((s, v, k) => s + v * B[k][c], 0)));
// Unnormalised 45° rotations: entries ±1, determinant 2, so inverses are dyadic.
const RZ = [[1, -1, 0], [1, 1, 0], [0, 0, 1]];
const RX = [[1, 0, 0], [0, 1, -1], [0, 1, 1]];

function rot(ax: number, ay: number, az: number): number[][] {
  const [ca, sa, cb, sb, cc, sc] = [Math.cos(ax), Math.sin(ax), Math.cos(ay), Math.sin(ay), Math.cos(az), Math.sin(az)];
  return [
    [cc * cb, cc * sb * sa - sc * ca, cc * sb * ca + sc * sa],
    [sc * cb, sc * sb * sa + cc * ca, sc * sb * ca - cc * sa],
    [-sb, cb * sa, cb * ca],
  ];
}

interface Case3 {
  staticShape: number[]; staticG2W: Float64Array; movingShape: number[]; movingG2W: Float64Array; prealign: Float64Array;
}
const EXACT: Case3 = {
  staticShape: [9, 8, 7],
  staticG2W: affine3(matmul3(RZ, RX), [1, 0.5, 2], [-10.5, 4.25, 3]),
  movingShape: [10, 9, 8],
  movingG2W: affine3(matmul3(RX, RZ), [0.5, 2, 1], [2, -6.5, 1.25]),
  prealign: new Float64Array([1, 0.25, 0, 1.5, 0, 1, -0.125, -2, 0, 0, 1, 0.75, 0, 0, 0, 1]),
};
// Grid affines as a NIfTI file holds them (float32), so the images' affines reload unchanged.
const f32 = (a: Float64Array) => a.map(Math.fround);
const GENERAL: Case3 = {
  staticShape: [9, 8, 7],
  staticG2W: f32(affine3(rot(0.3, 0.1, -0.7), [1.25, 0.9, 2.1], [-11.3, 7.77, 3.14])),
  movingShape: [10, 9, 8],
  movingG2W: f32(affine3(rot(0.29, 0.12, -0.69), [1.1, 1.0, 1.9], [-10.1, 6.5, 2.0])),
  prealign: affine3(rot(0.05, -0.11, 0.2), [1.02, 0.97, 1.0], [1.5, -2.25, 0.3]),
};

/** A SyN-shaped map (as DIPY's and diffeo's SyN return): disp grid = codomain = static, domain = moving, isInverse. */
function synLikeMap(c: Case3, seed: number): DiffeomorphicMap<3> {
  const map = new DiffeomorphicMap({
    dim: 3, dispShape: c.staticShape, dispGridToWorld: c.staticG2W, domainShape: c.movingShape, domainGridToWorld: c.movingG2W,
    codomainShape: c.staticShape, codomainGridToWorld: c.staticG2W, prealign: c.prealign,
  });
  const n = prod(c.staticShape) * 3;
  map.forward = randomFloat32(mulberry32(seed), n, -1.5, 1.5);
  map.backward = randomFloat32(mulberry32(seed + 1), n, -1.5, 1.5);
  map.isInverse = true;
  return map;
}

function python(script: string, args: string[]): void {
  const p = join(dir, `script-${Math.random().toString(36).slice(2)}.py`);
  writeFileSync(p, script);
  const r = spawnSync(PY, [p, ...args], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
}
const npy = (p: string) => parseNpy(readFileSync(p));

function sameBits(a: Float32Array, b: Float32Array): boolean {
  return a.length === b.length && Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;
}
function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

// DIPY's read_mapping, as documented: domain = moving image, codomain = static, the map's prealign.
const PY_READ = `
import sys, json, numpy as np, nibabel as nib
from dipy.align import read_mapping
path, moving, static, out = sys.argv[1:5]
meta = json.loads([e for e in nib.load(path).header.extensions if e.get_code() == 6][0].get_content())
P = None if meta['prealign'] is None else np.array(meta['prealign'], dtype=np.float64)
if P is not None and P.shape == (3, 3):
    P = np.array([[P[0,0], P[0,1], 0, P[0,2]], [P[1,0], P[1,1], 0, P[1,2]], [0, 0, 1, 0], [0, 0, 0, 1]])
m = read_mapping(path, moving, static, prealign=P)
mv = np.asanyarray(nib.load(moving).dataobj).astype(np.float32)
st = np.asanyarray(nib.load(static).dataobj).astype(np.float32)
np.save(out + '_fwd.npy', np.ascontiguousarray(m.transform(mv), dtype=np.float32))
np.save(out + '_inv.npy', np.ascontiguousarray(m.transform_inverse(st), dtype=np.float32))
np.save(out + '_nn.npy', np.ascontiguousarray(m.transform(mv, interpolation='nearest'), dtype=np.float32))
# the exact map rebuilt from the metadata, as the mapping.ts module notes show
from dipy.align.imwarp import DiffeomorphicMap
d = np.asanyarray(nib.load(path).dataobj)
A = lambda k: None if meta[k] is None else np.array(meta[k])
e = DiffeomorphicMap(meta['dim'], meta['dispShape'], A('dispGridToWorld'), meta['domainShape'], A('domainGridToWorld'),
                     meta['codomainShape'], A('codomainGridToWorld'), A('prealign'))
dim = meta['dim']; f = d[..., :dim, 0]; b = d[..., :dim, 1]
if dim == 2:
    f, b = f[:, :, 0], b[:, :, 0]; mv = mv.reshape(mv.shape[:2])
e.forward, e.backward = f.copy(), b.copy(); e.is_inverse = meta['isInverse']
np.save(out + '_exact.npy', np.ascontiguousarray(e.transform(mv), dtype=np.float32))
`;

/** Writes the case's images, saves the map, runs DIPY's read_mapping; returns DIPY's and diffeo's warps. */
async function roundTrip(map: DiffeomorphicMap, c: Case3, name: string, dim: Dim) {
  const embed = (s: number[]) => (dim === 2 ? [s[0], s[1], 1] : s);
  const movingData = randomFloat32(mulberry32(11), prod(c.movingShape), -100, 100);
  const staticData = randomFloat32(mulberry32(12), prod(c.staticShape), -100, 100);
  const moving = join(dir, `${name}_moving.nii.gz`);
  const statik = join(dir, `${name}_static.nii.gz`);
  await saveNifti(moving, { data: movingData, shape: embed(c.movingShape) }, c.movingG2W);
  await saveNifti(statik, { data: staticData, shape: embed(c.staticShape) }, c.staticG2W);
  const file = await saveMapping(join(dir, name), map);
  python(PY_READ, [file, moving, statik, join(dir, name)]);
  const dipy = (k: string) => npy(join(dir, `${name}_${k}.npy`)).data as Float32Array;

  // diffeo: the reloaded map, sampling each image through its own (reloaded) affine, as `diffeo apply` does
  const back = await loadMapping(file);
  const mv = await loadNifti(moving);
  const st = await loadNifti(statik);
  const w2g = (a: Float64Array) => invertAffine(dim === 3 ? a : new Float64Array([a[0], a[1], a[3], a[4], a[5], a[7], 0, 0, 1]));
  const mvImg = { data: mv.data, shape: c.movingShape };
  const stImg = { data: st.data, shape: c.staticShape };
  const ours = {
    fwd: back.transform(mvImg, { imageWorldToGrid: w2g(mv.affine) }).data,
    inv: back.transformInverse(stImg, { imageWorldToGrid: w2g(st.affine) }).data,
    nn: Float32Array.from(back.transform(mvImg, { imageWorldToGrid: w2g(mv.affine), interpolation: 'nearest' }).data),
    inMemory: map.transform(mvImg).data,
  };
  return { dipy, ours };
}

describe.skipIf(!hasDipy)("DIPY 1.6's read_mapping reads diffeo's mapping files", () => {
  it('3D, oblique anisotropic grids, a sheared prealign: bit-identical warps (both directions, linear and nearest)', async () => {
    // precondition of bit-identity: the affines' inverses are exact, so LAPACK and diffeo agree
    for (const a of [EXACT.staticG2W, EXACT.movingG2W, EXACT.prealign]) {
      expect(Array.from(invertAffine(invertAffine(a))!)).toEqual(Array.from(a));
      expect(Array.from(mulAffine(a, invertAffine(a))!)).toEqual([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
    }
    const map = synLikeMap(EXACT, 1);
    const { dipy, ours } = await roundTrip(map, EXACT, 'exact3', 3);
    expect(sameBits(ours.fwd, ours.inMemory)).toBe(true);
    expect(sameBits(dipy('fwd'), ours.fwd)).toBe(true);
    expect(sameBits(dipy('inv'), ours.inv)).toBe(true);
    expect(sameBits(dipy('nn'), ours.nn)).toBe(true);
    expect(sameBits(dipy('exact'), ours.fwd)).toBe(true);
    // not a trivial warp: the prealign and fields move the moving image
    expect(ours.fwd.some((v) => v !== 0)).toBe(true);
  });

  it('3D, arbitrary rotations and spacings: equal to float32 rounding (DIPY inverts the float32 header affine with LAPACK)', async () => {
    const map = synLikeMap(GENERAL, 3);
    const { dipy, ours } = await roundTrip(map, GENERAL, 'general3', 3);
    // values up to 100; linear interpolation at points that differ by ~1e-13 voxel
    expect(maxAbsDiff(dipy('fwd'), ours.fwd)).toBeLessThan(1e-3);
    expect(maxAbsDiff(dipy('inv'), ours.inv)).toBeLessThan(1e-3);
    // the exact map rebuilt from the metadata differs only by LAPACK's vs our inverse (last ulps)
    expect(maxAbsDiff(dipy('exact'), ours.fwd)).toBeLessThan(1e-3);
    expect(ours.fwd.filter((v) => v !== 0).length).toBeGreaterThan(ours.fwd.length / 10);
  });

  it('2D, one z slice: within an ulp of the 2D warp (DIPY reads 3D maps; its trilinear kernel on one slice differs from its bilinear one by an ulp); the exact 2D map bit-identical', async () => {
    const G_S = new Float64Array([1, -0.5, 3, 1, 0.5, -2, 0, 0, 1]);
    const G_M = new Float64Array([0.5, -1, 1.5, 0.5, 1, -4, 0, 0, 1]);
    const P = new Float64Array([1, 0.125, 1.5, 0, 1, -0.75, 0, 0, 1]);
    const e4 = (a: Float64Array) => new Float64Array([a[0], a[1], 0, a[2], a[3], a[4], 0, a[5], 0, 0, 1, 0, 0, 0, 0, 1]);
    const c: Case3 = { staticShape: [20, 17], staticG2W: e4(G_S), movingShape: [13, 15], movingG2W: e4(G_M), prealign: e4(P) };
    const map = new DiffeomorphicMap({
      dim: 2, dispShape: c.staticShape, dispGridToWorld: G_S, domainShape: c.movingShape, domainGridToWorld: G_M,
      codomainShape: c.staticShape, codomainGridToWorld: G_S, prealign: P,
    });
    map.forward = randomFloat32(mulberry32(5), 20 * 17 * 2, -1.5, 1.5);
    map.backward = randomFloat32(mulberry32(6), 20 * 17 * 2, -1.5, 1.5);
    map.isInverse = true;
    const { dipy, ours } = await roundTrip(map, c, 'slice2', 2);
    const ulp = 100 * 2 ** -23; // one float32 ulp at 100 is 2^-17 = 7.6e-6
    expect(maxAbsDiff(dipy('fwd'), ours.fwd)).toBeLessThanOrEqual(ulp);
    expect(maxAbsDiff(dipy('inv'), ours.inv)).toBeLessThanOrEqual(ulp);
    expect(sameBits(dipy('nn'), ours.nn)).toBe(true);
    expect(sameBits(dipy('exact'), ours.fwd)).toBe(true);
    expect(ours.fwd.some((v) => v !== 0)).toBe(true);
  });
});

// DIPY writes a map with write_mapping and reads it with read_mapping; diffeo loads the same file.
const PY_WRITE = `
import sys, numpy as np, nibabel as nib
from dipy.align import write_mapping, read_mapping
from dipy.align.imwarp import DiffeomorphicMap
moving, static, prealign, out = sys.argv[1:5]
mi, si = nib.load(moving), nib.load(static)
P = np.load(prealign)
rng = np.random.default_rng(7)
m = DiffeomorphicMap(3, si.shape, si.affine, mi.shape, mi.affine, si.shape, si.affine, P)
m.forward = (rng.standard_normal(tuple(si.shape) + (3,)) * 0.8).astype(np.float32)
m.backward = (rng.standard_normal(tuple(si.shape) + (3,)) * 0.8).astype(np.float32)
write_mapping(m, out + '.nii.gz')
r = read_mapping(out + '.nii.gz', moving, static, prealign=P)
mv = np.asanyarray(mi.dataobj).astype(np.float32)
st = np.asanyarray(si.dataobj).astype(np.float32)
np.save(out + '_fwd.npy', np.ascontiguousarray(r.transform(mv), dtype=np.float32))
np.save(out + '_inv.npy', np.ascontiguousarray(r.transform_inverse(st), dtype=np.float32))
`;

describe.skipIf(!hasDipy)("diffeo reads DIPY 1.6's write_mapping files", () => {
  it('loadMapping(file, { domain, codomain, prealign }) warps bit-identically to read_mapping (3D, oblique grids, prealign)', async () => {
    const c = EXACT;
    const moving = join(dir, 'w_moving.nii.gz');
    const statik = join(dir, 'w_static.nii.gz');
    await saveNifti(moving, { data: randomFloat32(mulberry32(21), prod(c.movingShape), -50, 50), shape: c.movingShape }, c.movingG2W);
    await saveNifti(statik, { data: randomFloat32(mulberry32(22), prod(c.staticShape), -50, 50), shape: c.staticShape }, c.staticG2W);
    const pre = join(dir, 'w_prealign.npy');
    const { serializeNpy } = await import('@diffeo/io');
    writeFileSync(pre, serializeNpy(c.prealign, [4, 4]));
    const out = join(dir, 'w_dipy');
    python(PY_WRITE, [moving, statik, pre, out]);

    const mv = await loadNifti(moving);
    const st = await loadNifti(statik);
    await expect(loadMapping(`${out}.nii.gz`)).rejects.toThrow(/DIPY write_mapping file/);
    const map = await loadMapping(`${out}.nii.gz`, {
      domain: { shape: mv.shape, gridToWorld: mv.affine },
      codomain: { shape: st.shape, gridToWorld: st.affine },
      prealign: c.prealign,
    });
    expect(map.isInverse).toBe(true);
    const fwd = map.transform({ data: mv.data, shape: mv.shape }).data;
    const inv = map.transformInverse({ data: st.data, shape: st.shape }).data;
    expect(sameBits(npy(`${out}_fwd.npy`).data as Float32Array, fwd)).toBe(true);
    expect(sameBits(npy(`${out}_inv.npy`).data as Float32Array, inv)).toBe(true);
    expect(fwd.some((v) => v !== 0)).toBe(true);
  });
});
