/**
 * The long fuzz run of the readers: `pnpm fuzz [runs per reader, default 50000] [seed, default 1]`.
 * Mutates the regression corpus and freshly written files (tools/fuzz/mutate.ts) and prints,
 * per reader, how many mutants read, how many were refused with a DiffeoError, and every
 * other failure (a bug). Exit status 1 when any mutant failed untyped.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DiffeoError } from '../../packages/core/src/index.js';
import { parseMapping, parseNifti, parseNpy, serializeNifti, serializeNpy } from '../../packages/io/src/index.js';
import { fuzzReader } from './mutate.js';

const runs = Number(process.argv[2] ?? 50000);
const seed = Number(process.argv[3] ?? 1);
const corpus = join(import.meta.dirname, '..', '..', 'packages', 'io', 'test-data', 'corpus');
const file = (f: string): Uint8Array => new Uint8Array(readFileSync(join(corpus, f)));

const readers = [
  { name: 'parseNifti (.nii)', read: (b: Uint8Array) => parseNifti(b), seeds: [file('plain.nii'), file('ext-valid.nii'), serializeNifti({ data: new Float32Array(60).map((_, i) => i), shape: [3, 4, 5] }, null)] },
  { name: 'parseNifti (.nii.gz)', read: (b: Uint8Array) => parseNifti(b), seeds: [file('good.nii.gz'), file('multi-member.nii.gz')] },
  { name: 'parseNpy', read: (b: Uint8Array) => parseNpy(b), seeds: [serializeNpy(new Float64Array(6), [2, 3]), serializeNpy(new Int16Array(4), [4], { bigEndian: true })] },
  { name: 'parseMapping', read: (b: Uint8Array) => parseMapping(b), seeds: [file('good.nii.gz')] },
];

let bad = 0;
for (const [k, r] of readers.entries()) {
  const t0 = performance.now();
  const rep = fuzzReader({ seeds: r.seeds, read: r.read, typed: DiffeoError, runs, seed: seed * 100 + k });
  bad += rep.untyped.length;
  console.log(`${r.name}: ${rep.runs} mutants, ${rep.read} read, ${rep.refused} refused (typed), ${rep.untyped.length} untyped; slowest ${rep.slowest.toFixed(1)} ms; ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  for (const u of rep.untyped.slice(0, 10)) console.log(`  mutant ${u.index}: ${u.error}`);
}
process.exitCode = bad > 0 ? 1 : 0;
