/**
 * Seeded fuzzing of the readers (a few thousand mutants each, in seconds): every mutant must
 * either read or be refused with a DiffeoError, never hang or fail with another error; and
 * a gzip file with any single bit flipped must either be refused or give exactly the
 * original voxels (the CRC32 and size trailer are checked). `tools/fuzz/run.ts` runs the
 * same with many more mutants.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DiffeoError } from '@diffeo/core';
import { parseNifti, parseNpy, serializeNifti, serializeNpy } from '@diffeo/io';
import { fuzzReader } from '../../../tools/fuzz/mutate.js';

const CORPUS = join(import.meta.dirname, '..', 'test-data', 'corpus');
const corpus = (f: string): Uint8Array => new Uint8Array(readFileSync(join(CORPUS, f)));

const niftiSeeds = [corpus('plain.nii'), corpus('ext-valid.nii'), serializeNifti({ data: new Float32Array(24).map((_, i) => i / 3), shape: [2, 3, 4] }, null)];
const gzSeeds = [corpus('good.nii.gz'), corpus('multi-member.nii.gz'), serializeNifti({ data: new Uint8Array(60).map((_, i) => i), shape: [5, 4, 3] }, null, { gzip: true })];
const npySeeds = [
  serializeNpy(new Float64Array([1, 2, 3, 4, 5, 6]), [2, 3]),
  serializeNpy(new Int16Array([1, -2, 3]), [3]),
  serializeNpy(new Float32Array(8), [2, 2, 2], { fortranOrder: true, bigEndian: true }),
];

function report(name: string, r: ReturnType<typeof fuzzReader>): void {
  expect(r.untyped, `${name}: untyped errors`).toEqual([]);
  expect(r.read + r.refused).toBe(r.runs);
  expect(r.slowest, `${name}: slowest mutant (ms)`).toBeLessThan(1000);
}

describe('fuzzing the readers (seeded)', () => {
  it('parseNifti: 3000 mutants of .nii files read or raise a DiffeoError', () => {
    report('nii', fuzzReader({ seeds: niftiSeeds, read: (b) => parseNifti(b), typed: DiffeoError, runs: 3000, seed: 11 }));
  });

  it('parseNifti: 1500 mutants of .nii.gz files read or raise a DiffeoError', () => {
    report('nii.gz', fuzzReader({ seeds: gzSeeds, read: (b) => parseNifti(b), typed: DiffeoError, runs: 1500, seed: 12 }));
  });

  it('parseNifti: every single-bit flip of a .nii.gz is refused or reads the original voxels', () => {
    const gz = gzSeeds[2];
    const original = Array.from(parseNifti(gz).data);
    let accepted = 0;
    let flips = 0;
    const r = fuzzReader({
      seeds: [gz],
      typed: DiffeoError,
      runs: gz.length * 8,
      seed: 13,
      mutant: (s) => {
        const b = s.slice();
        b[flips >> 3] ^= 1 << (flips & 7);
        flips++;
        return b;
      },
      read: (b) => parseNifti(b),
      check: (v) => {
        accepted++;
        expect(Array.from(v.data)).toEqual(original);
      },
    });
    report('gz bit flips', r);
    // Only flips that do not change the content may be accepted: the gzip header's flags,
    // mtime, extra flags and OS bytes, and the unused bits of the last deflate byte.
    expect(accepted).toBeLessThanOrEqual(10 * 8);
    expect(accepted).toBeLessThan(flips / 4);
  });

  it('parseNpy: 3000 mutants of .npy files read or raise a DiffeoError', () => {
    report('npy', fuzzReader({ seeds: npySeeds, read: (b) => parseNpy(b), typed: DiffeoError, runs: 3000, seed: 14 }));
  });
});
