/**
 * The regression corpus: one small file per reported reader problem (test-data/corpus,
 * written by make_corpus.py), each with the outcome reading it must give. Where nibabel is
 * installed, the files that must read are also read by nibabel and compared voxel for voxel,
 * and the corrupt gzip files must be refused by Python's gzip module too.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DiffeoError } from '@diffeo/core';
import { parseNifti, parseNpy } from '@diffeo/io';

const CORPUS = join(import.meta.dirname, '..', 'test-data', 'corpus');

interface Entry {
  file: string;
  note: string;
  expect: { error?: string; message?: string; ok?: boolean; shape?: number[]; same_as?: string; extensions?: number; values?: number[]; dtype?: string };
}
const manifest = JSON.parse(readFileSync(join(CORPUS, 'manifest.json'), 'utf8')) as Entry[];

function read(file: string): unknown {
  const bytes = new Uint8Array(readFileSync(join(CORPUS, file)));
  return file.endsWith('.npy') ? parseNpy(bytes, file) : parseNifti(bytes, { returnImg: true }, file);
}

const PY = '/usr/bin/python3';
const hasNibabel = existsSync(PY) && spawnSync(PY, ['-c', 'import nibabel'], { stdio: 'ignore' }).status === 0;
if (!hasNibabel) console.warn('corpus.test.ts: nibabel not importable from /usr/bin/python3; skipping the nibabel cross-checks.');

describe('regression corpus', () => {
  it('holds a manifest entry for every file', () => {
    expect(manifest.length).toBeGreaterThan(10);
    for (const e of manifest) expect(existsSync(join(CORPUS, e.file)), e.file).toBe(true);
  });

  for (const entry of manifest) {
    it(`${entry.file}: ${entry.note}`, () => {
      const t0 = performance.now();
      if (entry.expect.error) {
        let caught: unknown;
        try {
          read(entry.file);
        } catch (e) {
          caught = e;
        }
        expect(caught, 'must throw').toBeInstanceOf(DiffeoError);
        expect((caught as Error).name).toBe(entry.expect.error);
        expect((caught as Error).message).toContain(entry.file);
        if (entry.expect.message) expect((caught as Error).message).toContain(entry.expect.message);
      } else {
        const v = read(entry.file) as { shape: number[]; data: ArrayLike<number>; img?: { rawHeader: { extensions: unknown[] } } };
        if (entry.expect.shape) expect(v.shape).toEqual(entry.expect.shape);
        if (entry.expect.extensions !== undefined) expect(v.img?.rawHeader.extensions.length).toBe(entry.expect.extensions);
        // values and dtype, where given, are what NumPy itself read (make_corpus.py).
        if (entry.expect.values) expect(Array.from(v.data)).toEqual(entry.expect.values);
        if (entry.expect.dtype) expect((v as unknown as { dtype: string }).dtype).toBe(entry.expect.dtype);
        if (entry.expect.same_as) {
          const ref = read(entry.expect.same_as) as { data: ArrayLike<number> };
          expect(Array.from(v.data)).toEqual(Array.from(ref.data));
        }
      }
      // None of these may hang or take long: each is a few hundred bytes.
      expect(performance.now() - t0).toBeLessThan(2000);
    });
  }

  it.skipIf(!hasNibabel)('nibabel reads the files we read with the same voxels, and Python refuses the corrupt gzip files', () => {
    const ok = manifest.filter((e) => e.expect.ok && e.file.includes('.nii'));
    const gzBad = manifest.filter((e) => e.expect.error && e.file.endsWith('.gz') && /CRC|length|gzip/.test(e.expect.message ?? ''));
    const script = `
import sys, json, gzip, numpy as np, nibabel as nib
ok, bad = json.loads(sys.argv[1]), json.loads(sys.argv[2])
out = {'ok': {}, 'bad': {}}
for p in ok:
    d = np.asanyarray(nib.load(p).dataobj)
    out['ok'][p] = [list(d.shape), [float(x) for x in d.ravel(order='C')]]
for p in bad:
    try:
        gzip.decompress(open(p, 'rb').read()); out['bad'][p] = 'accepted'
    except Exception as e:
        out['bad'][p] = type(e).__name__
print(json.dumps(out))`;
    const r = spawnSync(PY, ['-c', script, JSON.stringify(ok.map((e) => join(CORPUS, e.file))), JSON.stringify(gzBad.map((e) => join(CORPUS, e.file)))], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { ok: Record<string, [number[], number[]]>; bad: Record<string, string> };
    for (const e of ok) {
      const [shape, values] = out.ok[join(CORPUS, e.file)];
      const v = read(e.file) as { shape: number[]; data: ArrayLike<number> };
      expect(v.shape, e.file).toEqual(shape);
      expect(Array.from(v.data), e.file).toEqual(values);
    }
    for (const e of gzBad) expect(out.bad[join(CORPUS, e.file)], e.file).not.toBe('accepted');
  });
});
