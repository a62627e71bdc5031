import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DimensionError, InvalidArgumentError } from '@diffeo/core';
import { loadNifti, loadVolume, niftiToVolume, saveNifti, serializeNifti } from '@diffeo/io';
import { mulberry32, randomFloat32 } from '@diffeo/core/oracles';

const dir = mkdtempSync(join(tmpdir(), 'h-orc-nifti-volume-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// An oblique affine with distinct entries, so a misplaced row or column shows.
const A = new Float64Array([0.9, 0.1, 0.05, -20, -0.1, 1.1, 0.02, 12, 0.03, -0.02, 1.3, 7, 0, 0, 0, 1]);

describe('loadVolume / niftiToVolume', () => {
  it('3D: the data and shape of loadNifti, gridToWorld = the file affine', async () => {
    const data = randomFloat32(mulberry32(1), 4 * 5 * 6, -3, 3);
    const path = join(dir, 'a.nii');
    await saveNifti(path, { data, shape: [4, 5, 6] }, A);
    const nii = await loadNifti(path);
    const v = await loadVolume(path);
    expect(v.shape).toEqual([4, 5, 6]);
    expect(v.data).toEqual(data);
    expect(Array.from(v.gridToWorld!)).toEqual(Array.from(nii.affine));
  });

  it('3D with one slice and 2D files: a 2D Volume with the in-plane 3×3 affine', async () => {
    const data = randomFloat32(mulberry32(2), 7 * 3, -1, 1);
    const bytes = serializeNifti({ data, shape: [7, 3, 1] }, A);
    const v = await loadVolume(bytes);
    const a = (await loadNifti(bytes)).affine;
    expect(v.shape).toEqual([7, 3]);
    expect(Array.from(v.gridToWorld!)).toEqual([a[0], a[1], a[3], a[4], a[5], a[7], 0, 0, 1]);
    const v2 = await loadVolume(serializeNifti({ data, shape: [7, 3] }, A));
    expect(v2.shape).toEqual([7, 3]);
    expect(v2.data).toEqual(data);
  });

  it('4D: volume t is data[v·nt + t]; several volumes need the option', async () => {
    const nt = 3, n = 2 * 3 * 4;
    const data = new Float32Array(n * nt);
    for (let v = 0; v < n; v++) for (let t = 0; t < nt; t++) data[v * nt + t] = 100 * t + v;
    const nii = await loadNifti(serializeNifti({ data, shape: [2, 3, 4, nt] }, A));
    const v1 = niftiToVolume(nii, { volume: 1 });
    expect(v1.shape).toEqual([2, 3, 4]);
    expect(Array.from(v1.data)).toEqual(Array.from({ length: n }, (_, v) => 100 + v));
    expect(() => niftiToVolume(nii)).toThrow(DimensionError);
    expect(() => niftiToVolume(nii, { volume: 3 })).toThrow(InvalidArgumentError);
    expect(() => niftiToVolume(nii, { volume: 1, vol: 2 } as never)).toThrow(/vol/);
  });
});
