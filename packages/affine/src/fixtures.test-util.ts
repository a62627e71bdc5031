/** Test helper: reads the DIPY fixtures of fixtures/affine (made by tools/reference/python/make_affine_fixtures.py). */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseNpy, type NpyArray } from '@diffeo/io';
import type { Volume } from '@diffeo/core';

const ROOT = fileURLToPath(new URL('../../../fixtures/affine/', import.meta.url));

interface CaseEntry {
  name: string;
  params: Record<string, unknown>;
  arrays: Record<string, { file: string }>;
  values: Record<string, unknown>;
}

const manifest = JSON.parse(readFileSync(ROOT + 'manifest.json', 'utf8')) as { cases: CaseEntry[] };

/** The fixture case `name`. */
export function fixtureCase(name: string): CaseEntry {
  const c = manifest.cases.find((x) => x.name === name);
  if (!c) throw new Error(`no fixture case ${name}`);
  return c;
}

/** Array `key` of case `name`. */
export function fixtureArray(name: string, key: string): NpyArray {
  const c = fixtureCase(name);
  return parseNpy(new Uint8Array(readFileSync(ROOT + c.arrays[key].file)), key);
}

/** Flattens nested rows into a Float64Array. */
export function flat(rows: unknown): Float64Array {
  return Float64Array.from((rows as number[][]).flat());
}

/** The static and moving volumes of fixture case `name` (grid-to-world matrices from its params). */
export function fixturePair(name: string): { st: Volume; mv: Volume } {
  const p = fixtureCase(name).params;
  const s = fixtureArray(name, 'static'), m = fixtureArray(name, 'moving');
  return {
    st: { data: s.data, shape: s.shape as unknown as Volume['shape'], gridToWorld: flat(p.static_grid2world) },
    mv: { data: m.data, shape: m.shape as unknown as Volume['shape'], gridToWorld: flat(p.moving_grid2world) },
  };
}

/** Whether two arrays hold the same bits (NaN equal to NaN, −0 unequal to +0). */
export function sameBits(a: Float64Array, b: Float64Array): boolean {
  return a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
}
