/** Test helper: reads the DIPY fixtures of fixtures/affine (made by tools/reference/python/make_affine_fixtures.py). */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseNpy, type NpyArray } from '@diffeo/io';

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
