/**
 * `diffeo apply` on a 4D series without `--vol-idx`: every volume is warped (one at a
 * time) into a 4D output whose volume t is bit-identical to `diffeo apply --vol-idx t`
 * (the single-volume path) and to `map.transform` of that volume; the TR (pixdim[4]) is kept.
 * A 3D mapping with a smooth field, and a 2D mapping with an `[nx, ny, 1, nt]` series.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiffeomorphicMap, invertAffine } from '@diffeo/core';
import { loadNifti, saveMapping, saveNifti } from '@diffeo/io';

const main = fileURLToPath(new URL('./main.ts', import.meta.url));
const run = (args: string[]) =>
  spawnSync(process.execPath, ['--conditions=@diffeo/source', '--import', 'tsx', main, ...args], { encoding: 'utf8' });
const dir = mkdtempSync(join(tmpdir(), 'diffeo-apply4d-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const p = (name: string) => join(dir, name);

const S3 = [9, 8, 7];
const A3 = new Float64Array([2, 0, 0, -8, 0, 2, 0, -7, 0, 0, 2.5, -6, 0, 0, 0, 1]);
const NT = 3;

function smooth(n: number, d: number, amp: number, seed: number): Float32Array {
  return Float32Array.from({ length: n * d }, (_, i) => amp * Math.sin(0.05 * i + seed) * Math.cos(0.013 * i * (seed + 1)));
}

beforeAll(async () => {
  const n = S3[0] * S3[1] * S3[2];
  const m = new DiffeomorphicMap({ dim: 3, dispShape: S3, dispGridToWorld: A3, domainShape: S3, domainGridToWorld: A3, codomainShape: S3, codomainGridToWorld: A3 });
  m.setForwardField({ data: smooth(n, 3, 1.5, 1), shape: [...S3, 3] });
  m.setBackwardField({ data: smooth(n, 3, 1.5, 2), shape: [...S3, 3] });
  m.isInverse = true;
  await saveMapping(p('map3'), m);
  const series = Float32Array.from({ length: n * NT }, (_, i) => 100 * Math.exp(-(((i % 97) - 40) ** 2) / 300) + (i % NT));
  await saveNifti(p('series3.nii.gz'), { data: series, shape: [...S3, NT] }, A3, { pixdimExtra: [2.2] });

  const m2 = new DiffeomorphicMap({ dim: 2, dispShape: [12, 10], domainShape: [12, 10], codomainShape: [12, 10] });
  m2.setForwardField({ data: smooth(120, 2, 1, 3), shape: [12, 10, 2] });
  m2.setBackwardField({ data: smooth(120, 2, 1, 4), shape: [12, 10, 2] });
  await saveMapping(p('map2'), m2);
  const s2 = Float32Array.from({ length: 120 * 2 }, (_, i) => (i * 7) % 23);
  await saveNifti(p('series2.nii'), { data: s2, shape: [12, 10, 1, 2] }, null);
});

describe('diffeo apply on a 4D series', () => {
  it('3D: every volume, bit-identical to --vol-idx t and to map.transform; TR kept', async () => {
    const r = run(['apply', '--mapping', p('map3'), '--moving', p('series3.nii.gz'), '--out', p('out3.nii.gz')]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/warped the 3 volumes/);
    const out = await loadNifti(p('out3.nii.gz'));
    expect(out.shape).toEqual([...S3, NT]);
    expect(out.header.pixdim[4]).toBeCloseTo(2.2, 6);
    expect(Array.from(out.affine)).toEqual(Array.from(A3));
    const one = run(['apply', '--mapping', p('map3'), '--moving', p('series3.nii.gz'), '--out', p('vol1.nii'), '--vol-idx', '1', '--quiet']);
    expect(one.status, one.stderr).toBe(0);
    const v1 = (await loadNifti(p('vol1.nii'))).data;
    const n = v1.length;
    const series = (await loadNifti(p('series3.nii.gz'))).data;
    const { loadMapping } = await import('@diffeo/io');
    const map = await loadMapping(p('map3'));
    for (let t = 0; t < NT; t++) {
      const got = Float32Array.from({ length: n }, (_, v) => out.data[v * NT + t]);
      const vol = Float32Array.from({ length: n }, (_, v) => series[v * NT + t]);
      const want = map.transform({ data: vol, shape: S3 }, { imageWorldToGrid: invertAffine(A3) }).data;
      expect(Buffer.from(got.buffer).equals(Buffer.from(want.buffer)), `volume ${t}`).toBe(true);
      if (t === 1) expect(Buffer.from(got.buffer).equals(Buffer.from((v1 as Float32Array).buffer))).toBe(true);
    }
  });

  it('2D mapping, [nx, ny, 1, nt] series, nearest neighbour and --inverse', async () => {
    const r = run(['apply', '--mapping', p('map2'), '--moving', p('series2.nii'), '--out', p('out2.nii'), '--inverse', '--interpolation', 'nearest', '--quiet']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    const out = await loadNifti(p('out2.nii'));
    expect(out.shape).toEqual([12, 10, 1, 2]);
    const { loadMapping } = await import('@diffeo/io');
    const map = await loadMapping(p('map2'));
    const series = (await loadNifti(p('series2.nii'))).data;
    for (let t = 0; t < 2; t++) {
      const vol = Float32Array.from({ length: 120 }, (_, v) => series[v * 2 + t]);
      const want = map.transformInverse({ data: vol, shape: [12, 10] }, { interpolation: 'nearest', imageWorldToGrid: null });
      expect(Array.from({ length: 120 }, (_, v) => out.data[v * 2 + t])).toEqual(Array.from(want.data));
    }
  });

  it('checks --out before any work: an unwritable or missing folder is refused before the mapping is read', () => {
    const r = run(['apply', '--mapping', p('no-such-map'), '--moving', p('series3.nii.gz'), '--out', '/proc/out.nii.gz']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/--out cannot write "\/proc\/out.nii.gz"/);
    const r2 = run(['apply', '--mapping', p('no-such-map'), '--moving', p('series3.nii.gz'), '--out', p('none/out.nii.gz')]);
    expect(r2.stderr).toMatch(/--out .*the folder .* does not exist/);
  });

  it('a series that breaks off mid-stream leaves neither the output nor its temporary', () => {
    const d = p('broken');
    mkdirSync(d);
    // series3.nii.gz, uncompressed and cut inside its last volume.
    const whole = spawnSync('/usr/bin/python3', ['-c', 'import gzip,sys;sys.stdout.buffer.write(gzip.open(sys.argv[1]).read())', p('series3.nii.gz')]).stdout;
    writeFileSync(join(d, 'cut.nii'), whole.subarray(0, whole.length - 100));
    const r = run(['apply', '--mapping', p('map3'), '--moving', join(d, 'cut.nii'), '--out', join(d, 'out.nii.gz')]);
    expect(r.status).not.toBe(0);
    expect(readdirSync(d)).toEqual(['cut.nii']);
    expect(readFileSync(join(d, 'cut.nii')).length).toBe(whole.length - 100);
  });
});
