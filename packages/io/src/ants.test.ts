/**
 * ANTs/ITK export, checked with ITK itself: test-helpers/ants-apply (a small C++ program that
 * applies transform files as antsApplyTransforms does) is compiled with cmake against the
 * system's ITK into a temporary folder, then warps our images through the exported files; the
 * result must match diffeo's own `map.transform` / `map.transformInverse` within interpolation
 * tolerance. Skipped, saying why, where cmake, a C++ compiler or ITK are missing. Set
 * DIFFEO_ANTS_APPLY to an already built helper to skip the compile (about a minute).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiffeomorphicMap, FileExistsError, invertAffine, type Dim } from '@diffeo/core';
import { loadNifti, parseNifti, saveAntsTransforms, saveNifti, serializeAntsWarp, serializeItkAffine } from '@diffeo/io';

const dir = mkdtempSync(join(tmpdir(), 'diffeo-ants-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('ITK MATLAB affine and ANTs warp files (layout)', () => {
  it('.mat: two MATLAB v4 float64 column vectors, AffineTransform_double_3_3 (LPS: F·A·F) and fixed = 0', () => {
    const A = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0, 0, 0, 1];
    const b = serializeItkAffine(A, 3);
    const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const name1 = 'AffineTransform_double_3_3\0';
    expect([v.getInt32(0, true), v.getInt32(4, true), v.getInt32(8, true), v.getInt32(12, true), v.getInt32(16, true)]).toEqual([0, 12, 1, 0, name1.length]);
    expect(Buffer.from(b.subarray(20, 20 + name1.length)).toString('latin1')).toBe(name1);
    const p = 20 + name1.length;
    const params = Array.from({ length: 12 }, (_, i) => v.getFloat64(p + 8 * i, true));
    // F = diag(-1, -1, 1): rows and columns x, y change sign, z-z and the x/y block keep theirs
    expect(params).toEqual([1, 2, -3, 5, 6, -7, -9, -10, 11, -4, -8, 12]);
    const q = p + 96;
    expect([v.getInt32(q, true), v.getInt32(q + 4, true), v.getInt32(q + 8, true), v.getInt32(q + 16, true)]).toEqual([0, 3, 1, 6]);
    expect(Buffer.from(b.subarray(q + 20, q + 26)).toString('latin1')).toBe('fixed\0');
    expect(b.length).toBe(q + 26 + 24);
    expect(() => serializeItkAffine([1, 0, 0, 1], 3)).toThrow(/16 finite numbers/);
    expect(() => serializeItkAffine([1, 0, 0, 0, 1, 0, 0, 1, 1], 2)).toThrow(/last row/);
  });

  it('warp: float32 (nx, ny, nz, 1, 3), vector intent, the grid-to-world header, LPS vectors (x, y negated)', () => {
    const field = Float32Array.from({ length: 2 * 3 * 4 * 3 }, (_, i) => i - 30.5);
    const g2w = new Float64Array([0, -2, 0, 5, 1.5, 0, 0, -3, 0, 0, 2.5, 1, 0, 0, 0, 1]);
    const vol = parseNifti(gunzipSync(serializeAntsWarp(field, [2, 3, 4], g2w)));
    expect(vol.shape).toEqual([2, 3, 4, 1, 3]);
    expect(vol.header.intentCode).toBe(1007);
    expect(vol.header.dtype).toBe('float32');
    expect(Array.from(vol.affine)).toEqual(Array.from(g2w));
    const d = vol.data as Float32Array;
    for (const v of [0, 7, 23]) expect([d[v * 3], d[v * 3 + 1], d[v * 3 + 2]]).toEqual([-field[v * 3], -field[v * 3 + 1], field[v * 3 + 2]]);
    const v2 = parseNifti(serializeAntsWarp(new Float32Array(5 * 4 * 2), [5, 4], null, { gzip: false }));
    expect(v2.shape).toEqual([5, 4, 1, 1, 2]);
  });
});

// ------------------------------------------------------------------------------------------------
// ITK itself
// ------------------------------------------------------------------------------------------------

const helper = fileURLToPath(new URL('../test-helpers/ants-apply', import.meta.url));
const runs = (cmd: string, args: string[]) => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
function findItk(): string | null {
  for (const base of ['/usr/lib/cmake', '/usr/lib/x86_64-linux-gnu/cmake', '/usr/lib/aarch64-linux-gnu/cmake', '/usr/local/lib/cmake']) {
    if (!existsSync(base)) continue;
    const hit = readdirSync(base).find((d) => /^ITK-\d/.test(d) && existsSync(join(base, d, 'ITKConfig.cmake')));
    if (hit) return join(base, hit);
  }
  return null;
}
const missing = !runs('cmake', ['--version']) ? 'cmake' : !runs('c++', ['--version']) ? 'a C++ compiler (c++)' : findItk() === null ? 'ITK (ITKConfig.cmake; Debian: libinsighttoolkit5-dev)' : null;
if (missing !== null) console.warn(`ants.test.ts: ${missing} not found; skipping the check of the ANTs/ITK export with ITK itself.`);

let antsApply = '';
beforeAll(() => {
  if (missing !== null) return;
  // DIFFEO_ANTS_APPLY: a helper already built from test-helpers/ants-apply (saves the compile when iterating)
  const prebuilt = process.env.DIFFEO_ANTS_APPLY;
  if (prebuilt !== undefined && existsSync(prebuilt)) {
    antsApply = prebuilt;
    return;
  }
  const build = join(dir, 'build');
  const cfg = spawnSync('cmake', ['-S', helper, '-B', build, '-DCMAKE_BUILD_TYPE=', '-DCMAKE_CXX_FLAGS=-O0', `-DITK_DIR=${findItk()}`], { encoding: 'utf8' });
  if (cfg.status !== 0) throw new Error(`cmake configure of ${helper} failed:\n${cfg.stdout}\n${cfg.stderr}`);
  const b = spawnSync('cmake', ['--build', build, '-j2'], { encoding: 'utf8' });
  if (b.status !== 0) throw new Error(`building ${helper} failed:\n${b.stdout}\n${b.stderr}`);
  antsApply = join(build, 'ants-apply');
}, 300_000);

function applyWithItk(dim: Dim, reference: string, input: string, output: string, transforms: string[]): Float32Array {
  const r = spawnSync(antsApply, [String(dim), reference, input, output, ...transforms], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return parseNifti(readFileSync(output)).data as Float32Array;
}

function rot3(ax: number, ay: number, az: number): number[][] {
  const [ca, sa, cb, sb, cc, sc] = [Math.cos(ax), Math.sin(ax), Math.cos(ay), Math.sin(ay), Math.cos(az), Math.sin(az)];
  return [
    [cc * cb, cc * sb * sa - sc * ca, cc * sb * ca + sc * sa],
    [sc * cb, sc * sb * sa + cc * ca, sc * sb * ca - cc * sa],
    [-sb, cb * sa, cb * ca],
  ];
}
/** `R·diag(s)` plus translation as a `(d+1)²` affine (d = R's size). */
function affine(R: number[][], s: number[], t: number[]): Float64Array {
  const d = R.length;
  const n = d + 1;
  const a = new Float64Array(n * n);
  for (let r = 0; r < d; r++) {
    for (let c = 0; c < d; c++) a[r * n + c] = R[r][c] * s[c];
    a[r * n + d] = t[r];
  }
  a[n * n - 1] = 1;
  return a;
}
const rot2 = (t: number) => [[Math.cos(t), -Math.sin(t)], [Math.sin(t), Math.cos(t)]];

/** World point of voxel `idx` under a `(d+1)²` affine. */
function world(a: Float64Array, idx: number[]): number[] {
  const d = idx.length;
  const n = d + 1;
  return Array.from({ length: d }, (_, r) => idx.reduce((s, x, c) => s + a[r * n + c] * x, a[r * n + d]));
}
function indices(shape: number[]): number[][] {
  const out: number[][] = [];
  const total = shape.reduce((a, b) => a * b, 1);
  for (let v = 0; v < total; v++) {
    const idx: number[] = [];
    let r = v;
    for (let k = shape.length - 1; k >= 0; k--) { idx[k] = r % shape[k]; r = Math.floor(r / shape[k]); }
    out.push(idx);
  }
  return out;
}
/** A Gaussian blob of `sigma` mm around the grid's centre, sampled on the grid (near zero at the borders). */
function blob(shape: number[], g2w: Float64Array, sigma: number, shift: number[]): Float32Array {
  const c = world(g2w, shape.map((n) => (n - 1) / 2)).map((x, k) => x + shift[k]);
  return Float32Array.from(indices(shape), (idx) => 100 * Math.exp(-world(g2w, idx).reduce((s, x, k) => s + (x - c[k]) ** 2, 0) / (2 * sigma * sigma)));
}
/** A smooth displacement (mm) vanishing towards the grid's border. */
function smoothField(shape: number[], amp: number, phase: number): Float32Array {
  const d = shape.length;
  const out = new Float32Array(shape.reduce((a, b) => a * b, 1) * d);
  indices(shape).forEach((idx, v) => {
    const bump = idx.reduce((s, x, k) => s * Math.sin((Math.PI * x) / (shape[k] - 1)) ** 2, 1);
    for (let c = 0; c < d; c++) out[v * d + c] = amp * bump * Math.sin(phase + 0.7 * c + idx.reduce((s, x, k) => s + (x * (k + 1 + c)) / shape[k], 0) * 2);
  });
  return out;
}
function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe.skipIf(missing !== null)('ANTs/ITK export, applied by ITK as antsApplyTransforms does', () => {
  for (const dim of [3, 2] as Dim[]) {
    it(`${dim}D, oblique anisotropic grids, a rigid prealign, a SyN-shaped map: ITK's warps match map.transform and map.transformInverse`, async () => {
      const staticShape = dim === 3 ? [20, 18, 16] : [30, 26];
      const movingShape = dim === 3 ? [22, 20, 14] : [28, 32];
      const staticG2W = dim === 3 ? affine(rot3(0.3, 0.1, -0.2), [1.5, 1.2, 2], [-14, -10, -16]) : affine(rot2(0.4), [1.25, 0.9], [-18, -12]);
      const movingG2W = dim === 3 ? affine(rot3(-0.1, 0.2, 0.15), [1.3, 1.4, 2.2], [-15, -13, -15]) : affine(rot2(-0.3), [1.1, 1.2], [-16, -14]);
      // the registration's prealign (static -> moving points): a rotation and a shift; the SyN map stores its inverse
      const userPrealign = dim === 3 ? affine(rot3(0.05, -0.04, 0.08), [1, 1, 1], [1.5, -1, 0.75]) : affine(rot2(0.06), [1, 1], [1.5, -1]);
      const map = new DiffeomorphicMap({
        dim, dispShape: staticShape, dispGridToWorld: staticG2W, domainShape: movingShape, domainGridToWorld: movingG2W,
        codomainShape: staticShape, codomainGridToWorld: staticG2W, prealign: invertAffine(userPrealign),
      });
      map.backward = smoothField(staticShape, 2.5, 0.3);
      map.forward = smoothField(staticShape, 2.0, 1.1);
      map.isInverse = true;

      const embed = (s: number[]) => s;
      const moving = join(dir, `moving${dim}.nii.gz`);
      const statik = join(dir, `static${dim}.nii.gz`);
      const movingData = blob(movingShape, movingG2W, 2.5, dim === 3 ? [1, -1, 0.5] : [1, -1]);
      const staticData = blob(staticShape, staticG2W, 2.5, dim === 3 ? [-1, 0.5, 0] : [-1, 0.5]);
      const e4 = (a: Float64Array) => (dim === 3 ? a : new Float64Array([a[0], a[1], 0, a[2], a[3], a[4], 0, a[5], 0, 0, 1, 0, 0, 0, 0, 1]));
      await saveNifti(moving, { data: movingData, shape: embed(movingShape) }, e4(movingG2W));
      await saveNifti(statik, { data: staticData, shape: embed(staticShape) }, e4(staticG2W));

      const prefix = join(dir, `syn${dim}_`);
      const files = await saveAntsTransforms(prefix, map);
      expect(files.affine).toBe(`${prefix}0GenericAffine.mat`);
      expect(files.forwardTransforms).toEqual([`${prefix}1Warp.nii.gz`, `${prefix}0GenericAffine.mat`]);
      expect(files.inverseTransforms).toEqual([`[${prefix}0GenericAffine.mat,1]`, `${prefix}1InverseWarp.nii.gz`]);
      await expect(saveAntsTransforms(prefix, map)).rejects.toBeInstanceOf(FileExistsError);

      const mv = await loadNifti(moving);
      const st = await loadNifti(statik);
      const w2g = (a: Float64Array) => invertAffine(dim === 3 ? a : new Float64Array([a[0], a[1], a[3], a[4], a[5], a[7], 0, 0, 1]));
      const ours = map.transform({ data: mv.data, shape: movingShape }, { imageWorldToGrid: w2g(mv.affine) }).data;
      const oursInv = map.transformInverse({ data: st.data, shape: staticShape }, { imageWorldToGrid: w2g(st.affine) }).data;

      const itk = applyWithItk(dim, statik, moving, join(dir, `itk_fwd${dim}.nii.gz`), files.forwardTransforms);
      const itkInv = applyWithItk(dim, moving, statik, join(dir, `itk_inv${dim}.nii.gz`), files.inverseTransforms);
      // Same trilinear interpolation at the same points up to float32 header rounding: values
      // up to 100 agree to 0.05 (the blobs are < 0.05 at the grids' borders, where ITK clamps and DIPY/diffeo fade to 0); a blob shifted by the warp's millimetres would differ by tens.
      const tol = 0.05;
      expect(maxAbsDiff(itk, ours)).toBeLessThan(tol);
      expect(maxAbsDiff(itkInv, oursInv)).toBeLessThan(tol);
      // and the test can tell: the affine alone, or the warp alone, is far from the full chain
      const affineOnly = applyWithItk(dim, statik, moving, join(dir, `itk_aff${dim}.nii.gz`), [files.affine!]);
      const warpOnly = applyWithItk(dim, statik, moving, join(dir, `itk_warp${dim}.nii.gz`), [files.warp]);
      expect(maxAbsDiff(affineOnly, ours)).toBeGreaterThan(50 * tol);
      expect(maxAbsDiff(warpOnly, ours)).toBeGreaterThan(50 * tol);
    });
  }
});
