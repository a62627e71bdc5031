/**
 * Input matrices the CLI refuses with a message naming the file (issue 11 items 9, 10): a
 * singular header affine (the corpus file sform-singular.nii, whose sform's first row is
 * zero) and a --prealign whose last row is not [0, 0, 0, 1].
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiffeomorphicMap } from '@diffeo/core';
import { saveMapping, saveNifti } from '@diffeo/io';

const main = fileURLToPath(new URL('./main.ts', import.meta.url));
const run = (args: string[]) =>
  spawnSync(process.execPath, ['--conditions=@diffeo/source', '--import', 'tsx', main, ...args], { encoding: 'utf8' });
const singular = fileURLToPath(new URL('../../io/test-data/corpus/sform-singular.nii', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'h-rel-inputs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const p = (name: string) => join(dir, name);

beforeAll(async () => {
  const data = Float32Array.from({ length: 144 }, (_, i) => (i * 37) % 200);
  await saveNifti(p('good.nii'), { data, shape: [6, 6, 4] }, null);
  const m = new DiffeomorphicMap({ dim: 3, dispShape: [6, 6, 4], domainShape: [6, 6, 4], codomainShape: [6, 6, 4] });
  m.allocate();
  await saveMapping(p('map'), m);
});

describe('the CLI names the file whose matrix is wrong', () => {
  it('register and apply: a singular header affine names the input file, not staticGridToWorld', () => {
    const r = run(['register', '--static', singular, '--moving', p('good.nii'), '--out-warped', p('w.nii'), '--out-mapping', p('m')]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(`--static ${singular}: its header affine (sform/qform) is singular`);
    expect(r.stderr).not.toContain('staticGridToWorld');
    const a = run(['apply', '--mapping', p('map'), '--moving', singular, '--out', p('a.nii')]);
    expect(a.status).not.toBe(0);
    expect(a.stderr).toContain(`--moving ${singular}: its header affine (sform/qform) is singular`);
  });

  it('--prealign whose last row is not [0, 0, 0, 1] is refused, naming the file', () => {
    writeFileSync(p('pre.txt'), '1 0 0 0\n0 1 0 0\n0 0 1 0\n0 0 0.5 1\n');
    const r = run(['register', '--static', p('good.nii'), '--moving', p('good.nii'), '--prealign', p('pre.txt'), '--out-warped', p('w2.nii'), '--out-mapping', p('m2')]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(`--prealign ${p('pre.txt')}: the matrix has last row [0, 0, 0.5, 1]`);
  });
});
