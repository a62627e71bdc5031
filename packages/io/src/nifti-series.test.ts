/**
 * 4D NIfTI streamed one volume at a time: every volume read by `openNiftiSeries` equals
 * `loadNifti`'s `data[..., t]` (plain, gzip, NIfTI-1 as written here), and a series written
 * volume by volume is byte-identical to `serializeNifti` of the whole 4D array, written
 * atomically (nothing on an incomplete series, no overwrite unless asked).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import { FileExistsError, ShapeMismatchError } from '@diffeo/core';
import { createNiftiSeriesWriter, loadNifti, openNiftiSeries, saveNifti, serializeNifti } from '@diffeo/io';

const dir = mkdtempSync(join(tmpdir(), 'diffeo-series-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const p = (name: string) => join(dir, name);

const SHAPE = [5, 4, 3, 6];
const AFF = [[1.5, 0, 0, -3], [0, 2, 0.1, 4], [0, 0, 2.5, 1], [0, 0, 0, 1]];
const n = 5 * 4 * 3;
function seriesData(): Int16Array {
  const a = new Int16Array(n * 6);
  for (let v = 0; v < n; v++) for (let t = 0; t < 6; t++) a[v * 6 + t] = v * 10 - t * 7 + (v % 3) * t;
  return a;
}
const volumeOf = (a: ArrayLike<number>, t: number): number[] => Array.from({ length: n }, (_, v) => a[v * 6 + t]);

describe('openNiftiSeries', () => {
  for (const name of ['s.nii', 's.nii.gz']) {
    it(`reads every volume of ${name} as loadNifti's data[..., t]`, async () => {
      const data = seriesData();
      await saveNifti(p(name), { data, shape: SHAPE }, AFF, { pixdimExtra: [2.5] });
      const whole = await loadNifti(p(name));
      const r = await openNiftiSeries(p(name));
      expect(r.shape).toEqual(SHAPE);
      expect(r.volumeShape).toEqual([5, 4, 3]);
      expect(r.count).toBe(6);
      expect(Array.from(r.affine)).toEqual(Array.from(whole.affine));
      expect(r.header.pixdim[4]).toBe(2.5);
      let t = 0;
      for await (const vol of r.volumes()) {
        expect(vol.shape).toEqual([5, 4, 3]);
        expect(vol.data).toBeInstanceOf(Int16Array);
        expect(Array.from(vol.data)).toEqual(volumeOf(whole.data, t));
        t++;
      }
      expect(t).toBe(6);
    });
  }

  it('a 3D file is a series of one volume; a truncated file is a MalformedFileError naming the volume', async () => {
    await saveNifti(p('one.nii'), { data: new Float32Array([1, 2, 3, 4, 5, 6]), shape: [3, 2] }, null);
    const r = await openNiftiSeries(p('one.nii'));
    expect(r.count).toBe(1);
    const vols = [];
    for await (const v of r.volumes()) vols.push(Array.from(v.data));
    expect(vols).toEqual([[1, 2, 3, 4, 5, 6]]);
    const bytes = serializeNifti({ data: seriesData(), shape: SHAPE }, AFF);
    writeFileSync(p('cut.nii'), bytes.subarray(0, 352 + n * 2 * 3 + 10));
    const c = await openNiftiSeries(p('cut.nii'));
    const read = async () => { for await (const v of c.volumes()) void v; };
    await expect(read()).rejects.toThrow(/volume 3 of 6/);
  });
});

describe('createNiftiSeriesWriter', () => {
  for (const name of ['w.nii', 'w.nii.gz']) {
    it(`writes ${name} volume by volume, byte-identical to serializeNifti of the whole series`, async () => {
      const data = seriesData();
      const w = await createNiftiSeriesWriter(p(name), [5, 4, 3], 6, AFF, { pixdimExtra: [2.5] });
      for (let t = 0; t < 6; t++) {
        await w.write({ data: Int16Array.from(volumeOf(data, t)), shape: [5, 4, 3] });
        expect(existsSync(p(name))).toBe(false); // only complete files appear
      }
      await w.close();
      const want = serializeNifti({ data, shape: SHAPE }, AFF, { pixdimExtra: [2.5] });
      const got = readFileSync(p(name));
      const raw = name.endsWith('.gz') ? gunzipSync(got) : new Uint8Array(got);
      expect(Buffer.from(raw).equals(Buffer.from(want))).toBe(true);
    });
  }

  it('an incomplete series or abort leaves nothing; an existing file is kept unless overwrite', async () => {
    const vol = { data: new Float32Array(6), shape: [3, 2] };
    const w = await createNiftiSeriesWriter(p('part.nii.gz'), [3, 2], 3, null);
    await w.write(vol);
    await expect(w.close()).rejects.toThrow(/1 of 3 volumes/);
    expect(existsSync(p('part.nii.gz'))).toBe(false);
    const a = await createNiftiSeriesWriter(p('part.nii'), [3, 2], 2, null);
    await a.write(vol);
    await expect(a.write({ data: new Float32Array(5), shape: [5] })).rejects.toThrow(ShapeMismatchError);
    await a.abort();
    expect(existsSync(p('part.nii'))).toBe(false);
    writeFileSync(p('keep.nii'), 'precious');
    const k = await createNiftiSeriesWriter(p('keep.nii'), [3, 2], 1, null);
    await k.write(vol);
    await expect(k.close()).rejects.toThrow(FileExistsError);
    expect(readFileSync(p('keep.nii'), 'utf8')).toBe('precious');
    const o = await createNiftiSeriesWriter(p('keep.nii'), [3, 2], 1, null, { overwrite: true });
    await o.write(vol);
    await o.close();
    expect((await loadNifti(p('keep.nii'))).shape).toEqual([3, 2, 1, 1]);
  });

  it('atomic: false writes the path itself (for a caller staging its own temporary), never over an existing file', async () => {
    const vol = { data: Float32Array.from({ length: 6 }, (_, i) => i), shape: [3, 2] };
    const w = await createNiftiSeriesWriter(p('direct.nii.gz'), [3, 2], 2, null, { atomic: false });
    await w.write(vol);
    await w.write(vol);
    await w.close();
    const back = await loadNifti(p('direct.nii.gz'));
    expect(back.shape).toEqual([3, 2, 1, 2]);
    expect(Array.from(back.data).slice(0, 4)).toEqual([0, 0, 1, 1]);
    const a = await createNiftiSeriesWriter(p('direct2.nii'), [3, 2], 2, null, { atomic: false });
    await a.write(vol);
    await a.abort();
    expect(existsSync(p('direct2.nii'))).toBe(false);
    writeFileSync(p('keep2.nii'), 'precious');
    const k = await createNiftiSeriesWriter(p('keep2.nii'), [3, 2], 1, null, { atomic: false });
    await k.write(vol).catch(() => undefined);
    await expect(k.close()).rejects.toThrow(/EEXIST|exists/);
    expect(readFileSync(p('keep2.nii'), 'utf8')).toBe('precious');
  });
});
