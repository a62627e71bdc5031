import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMapping, loadNifti, saveNifti } from '@diffeo/io';

const main = fileURLToPath(new URL('./main.ts', import.meta.url));
const run = (args: string[]) =>
  spawnSync(process.execPath, ['--conditions=@diffeo/source', '--import', 'tsx', main, ...args], { encoding: 'utf8' });

const dir = mkdtempSync(join(tmpdir(), 'diffeo-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const p = (name: string) => join(dir, name);

const N = 24;
/** An anisotropic Gaussian blob on an N³ grid, centred at voxel (ci, cj, ck). */
function blob3(ci: number, cj: number, ck: number): Float32Array {
  const out = new Float32Array(N * N * N);
  for (let i = 0; i < N; i++) {
    for (let j = 0; j < N; j++) {
      for (let k = 0; k < N; k++) out[(i * N + j) * N + k] = 100 * Math.exp(-(((i - ci) / 5) ** 2 + ((j - cj) / 4) ** 2 + ((k - ck) / 4.5) ** 2));
    }
  }
  return out;
}

function blob2(ci: number, cj: number, n = 32): Float32Array {
  const out = new Float32Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) out[i * n + j] = 200 * Math.exp(-(((i - ci) / 6) ** 2 + ((j - cj) / 5) ** 2));
  return out;
}

function ssd(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return s;
}

function sameBits(a: ArrayBufferView, b: ArrayBufferView): boolean {
  return Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;
}

/** Exit status 1 or 2, and exactly one line on stderr matching `re`. */
function expectOneLineError(r: ReturnType<typeof run>, re: RegExp, status = 1): void {
  expect(r.status, r.stderr).toBe(status);
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^diffeo: error: /);
  expect(lines[0]).toMatch(re);
}

const AFFINE = [[2, 0, 0, -20], [0, 2, 0, -24], [0, 0, 2.5, 5], [0, 0, 0, 1]];
const staticData = blob3(12, 12, 12);
const movingData = blob3(13.5, 11, 12.5); // shifted by 1.5, -1, 0.5 voxels

beforeAll(async () => {
  await saveNifti(p('static.nii.gz'), { data: staticData, shape: [N, N, N] }, AFFINE);
  await saveNifti(p('moving.nii.gz'), { data: movingData, shape: [N, N, N] }, AFFINE);
  // 2D pair, and a 4D series whose volume 1 is the 2D moving image (as nx × ny × 1 × 2)
  const s2 = blob2(16, 16), m2 = blob2(18, 14.5);
  await saveNifti(p('static2d.nii'), { data: s2, shape: [32, 32] }, null);
  const series = new Float32Array(32 * 32 * 2);
  for (let v = 0; v < 32 * 32; v++) { series[v * 2] = s2[v]; series[v * 2 + 1] = m2[v]; }
  await saveNifti(p('series.nii.gz'), { data: series, shape: [32, 32, 1, 2] }, null);
  writeFileSync(p('garbage.nii.gz'), 'this is not a NIfTI file at all, just some text long enough to fill the header'.repeat(10));
});

describe('diffeo register / apply', () => {
  it('registers two 3D blobs, writes the warped image and the mapping, and apply reproduces the warp bit for bit', async () => {
    const r = run(['register', '--static', p('static.nii.gz'), '--moving', p('moving.nii.gz'), '--radius', '2', '--level-iters', '20,10',
      '--out-warped', p('warped.nii.gz'), '--out-mapping', p('map')]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    // one progress line per level (level 1 then level 0)
    expect(r.stdout).toMatch(/level 1 \(\d+x\d+x\d+\): \d+ iterations/);
    expect(r.stdout).toMatch(/level 0 \(24x24x24\): \d+ iterations/);
    // the summary ends with the smallest det J and the folding count of the applied field
    expect(r.stdout).toMatch(/min det J [-\d.e+]+, folded voxels \(det J <= 0\) \d+ of 13824/);

    const warped = await loadNifti(p('warped.nii.gz'));
    expect(warped.shape).toEqual([N, N, N]);
    expect(Array.from(warped.affine)).toEqual(AFFINE.flat());
    expect(ssd(warped.data, staticData)).toBeLessThan(0.25 * ssd(movingData, staticData));

    const map = await loadMapping(p('map'));
    expect(map.isInverse).toBe(true);
    expect(Array.from(map.codomainGridToWorld!)).toEqual(AFFINE.flat());

    const a = run(['apply', '--mapping', p('map'), '--moving', p('moving.nii.gz'), '--out', p('applied.nii.gz')]);
    expect(a.status, a.stderr).toBe(0);
    const applied = await loadNifti(p('applied.nii.gz'));
    expect(applied.shape).toEqual([N, N, N]);
    expect(Array.from(applied.affine)).toEqual(AFFINE.flat());
    expect(sameBits(applied.data, warped.data)).toBe(true);

    // the inverse warp takes the static image towards the moving one
    const inv = run(['apply', '--mapping', p('map.nii.gz'), '--moving', p('static.nii.gz'), '--out', p('inverse.nii'), '--inverse']);
    expect(inv.status, inv.stderr).toBe(0);
    const back = await loadNifti(p('inverse.nii'));
    expect(ssd(back.data, movingData)).toBeLessThan(0.25 * ssd(staticData, movingData));

    // nearest neighbour keeps the data type
    const nn = run(['apply', '--mapping', p('map'), '--moving', p('moving.nii.gz'), '--out', p('nearest.nii'), '--interpolation', 'nearest', '--quiet']);
    expect(nn.status, nn.stderr).toBe(0);
    expect(nn.stdout).toBe('');
    expect((await loadNifti(p('nearest.nii'))).header.dtype).toBe('float32');
  });

  it('gives the same warped image and mapping bits with --backend ts as with the default WebAssembly backend', async () => {
    const common = ['register', '--static', p('static.nii.gz'), '--moving', p('moving.nii.gz'), '--radius', '2', '--level-iters', '20,10', '--quiet'];
    const w = run([...common, '--out-warped', p('warped-wasm.nii'), '--out-mapping', p('map-wasm')]);
    expect(w.status, w.stderr).toBe(0);
    expect(w.stderr).toBe(''); // the wasm backend loaded (no fallback notice)
    const t = run([...common, '--backend', 'ts', '--out-warped', p('warped-ts.nii'), '--out-mapping', p('map-ts')]);
    expect(t.status, t.stderr).toBe(0);
    expect(sameBits((await loadNifti(p('warped-wasm.nii'))).data, (await loadNifti(p('warped-ts.nii'))).data)).toBe(true);
    const mw = await loadMapping(p('map-wasm'));
    const mt = await loadMapping(p('map-ts'));
    expect(sameBits(mw.forward!, mt.forward!)).toBe(true);
    expect(sameBits(mw.backward!, mt.backward!)).toBe(true);
    expectOneLineError(run([...common, '--backend', 'gpu']), /--backend must be wasm or ts/, 2);
  });

  it('registers a 2D image with a volume of a 4D series (--vol-idx) and the SSD metric', async () => {
    const r = run(['register', '--static', p('static2d.nii'), '--moving', p('series.nii.gz'), '--vol-idx', '1', '--metric', 'ssd',
      '--level-iters', '20,10', '--out-warped', p('w2d.nii'), '--out-mapping', p('m2d'), '--quiet']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    const s2 = (await loadNifti(p('static2d.nii'))).data;
    const w = await loadNifti(p('w2d.nii'));
    expect(w.shape).toEqual([32, 32]);
    const series = (await loadNifti(p('series.nii.gz'))).data;
    const m2 = new Float32Array(32 * 32).map((_, v) => series[v * 2 + 1]);
    expect(ssd(w.data, s2)).toBeLessThan(0.25 * ssd(m2, s2));
    expect((await loadMapping(p('m2d'))).dim).toBe(2);
  });

  it('registers a 2D image with the EM metric, and with its demons variant and options', async () => {
    const s2 = (await loadNifti(p('static2d.nii'))).data;
    const series = (await loadNifti(p('series.nii.gz'))).data;
    const m2 = new Float32Array(32 * 32).map((_, v) => series[v * 2 + 1]);
    // DIPY 1.6 itself leaves 0.543 (Gauss-Newton, defaults) and 0.044 (this demons set-up) of the SSD on this pair.
    for (const [tag, extra, ratio] of [['gn', [], 0.6], ['demons', ['--em-step', 'demons', '--q-levels', '32', '--double-gradient', 'false', '--smooth', '1.5'], 0.1]] as const) {
      const r = run(['register', '--static', p('static2d.nii'), '--moving', p('series.nii.gz'), '--vol-idx', '1', '--metric', 'em', ...extra,
        '--level-iters', '20,10', '--out-warped', p(`w2d-em-${tag}.nii`), '--out-mapping', p(`m2d-em-${tag}`), '--quiet']);
      expect(r.status, r.stderr).toBe(0);
      const w = await loadNifti(p(`w2d-em-${tag}.nii`));
      expect(ssd(w.data, s2)).toBeLessThan(ratio * ssd(m2, s2));
    }
    const reg = (...args: string[]) => run(['register', '--static', p('static2d.nii'), '--moving', p('series.nii.gz'), '--vol-idx', '1',
      '--out-warped', p('never-em.nii'), '--out-mapping', p('never-em'), ...args]);
    expectOneLineError(reg('--metric', 'em', '--q-levels', '1'), /--q-levels/, 2);
    expectOneLineError(reg('--metric', 'em', '--em-step', 'newton'), /--em-step must be demons or gauss_newton/, 2);
    expectOneLineError(reg('--metric', 'em', '--double-gradient', 'maybe'), /--double-gradient must be true or false/, 2);
    expectOneLineError(reg('--metric', 'em', '--q-levels', '100000'), /qLevels = 100000 is absurdly large/, 2);
    expectOneLineError(reg('--q-levels', '64'), /--q-levels applies to --metric em only/, 2);
    expect(existsSync(p('never-em.nii'))).toBe(false);
  });

  it('registers a 2D image with the MI metric (--metric mi --nbins), and rejects bad --nbins', async () => {
    const s2 = (await loadNifti(p('static2d.nii'))).data;
    const series = (await loadNifti(p('series.nii.gz'))).data;
    const m2 = new Float32Array(32 * 32).map((_, v) => series[v * 2 + 1]);
    for (const [tag, extra] of [['default', []], ['bins', ['--nbins', '16', '--smooth', '1.5']]] as const) {
      const r = run(['register', '--static', p('static2d.nii'), '--moving', p('series.nii.gz'), '--vol-idx', '1', '--metric', 'mi', ...extra,
        '--level-iters', '20,10', '--out-warped', p(`w2d-mi-${tag}.nii`), '--out-mapping', p(`m2d-mi-${tag}`), '--quiet']);
      expect(r.status, r.stderr).toBe(0);
      const w = await loadNifti(p(`w2d-mi-${tag}.nii`));
      expect(ssd(w.data, s2)).toBeLessThan(0.5 * ssd(m2, s2));
    }
    const reg = (...args: string[]) => run(['register', '--static', p('static2d.nii'), '--moving', p('series.nii.gz'), '--vol-idx', '1',
      '--out-warped', p('never-mi.nii'), '--out-mapping', p('never-mi'), ...args]);
    expectOneLineError(reg('--metric', 'mi', '--nbins', '2'), /--nbins/, 2);
    expectOneLineError(reg('--metric', 'mi', '--nbins', '5000'), /nbins = 5000 is absurdly large/, 2);
    expectOneLineError(reg('--nbins', '32'), /--nbins applies to --metric mi only/, 2);
    expectOneLineError(reg('--metric', 'mutual'), /--metric must be cc, ssd, ssd-gn, em or mi/, 2);
    expect(existsSync(p('never-mi.nii'))).toBe(false);
  });

  it('reads a --prealign matrix written like numpy.savetxt and stores it in the mapping (as DIPY: inverted)', async () => {
    // static points -> moving points: the blob moved by (1.5, -1, 0.5) voxels = (3, -2, 1.25) mm
    const pre = [[1, 0, 0, 3], [0, 1, 0, -2], [0, 0, 1, 1.25], [0, 0, 0, 1]];
    writeFileSync(p('pre.txt'), pre.map((row) => row.map((x) => x.toExponential(18)).join(' ')).join('\n') + '\n');
    const r = run(['register', '--static', p('static.nii.gz'), '--moving', p('moving.nii.gz'), '--radius', '2', '--level-iters', '20,10',
      '--prealign', p('pre.txt'), '--out-warped', p('warped-pre.nii.gz'), '--out-mapping', p('map-pre'), '--quiet']);
    expect(r.status, r.stderr).toBe(0);
    const map = await loadMapping(p('map-pre'));
    expect(Array.from(map.prealignInv!)).toEqual(pre.flat());
    const warped = await loadNifti(p('warped-pre.nii.gz'));
    expect(ssd(warped.data, staticData)).toBeLessThan(0.25 * ssd(movingData, staticData));
    writeFileSync(p('pre-bad.txt'), '1 0 0\n0 1 0\n0 0 1\n');
    const bad = run(['register', '--static', p('static.nii.gz'), '--moving', p('moving.nii.gz'), '--prealign', p('pre-bad.txt'),
      '--out-warped', p('never-pre-warped.nii.gz'), '--out-mapping', p('never-pre')]);
    expectOneLineError(bad, /--prealign .*pre-bad\.txt: expected a 4x4 matrix/);
  });

  it('refuses to overwrite outputs without --force, and overwrites with it', () => {
    const before = readFileSync(p('applied.nii.gz'));
    const r = run(['apply', '--mapping', p('map'), '--moving', p('static.nii.gz'), '--out', p('applied.nii.gz')]);
    expectOneLineError(r, /applied\.nii\.gz already exists; pass --force/);
    expect(Buffer.compare(readFileSync(p('applied.nii.gz')), before)).toBe(0);
    const reg = run(['register', '--static', p('static.nii.gz'), '--moving', p('moving.nii.gz'), '--out-warped', p('fresh.nii.gz'), '--out-mapping', p('map')]);
    expectOneLineError(reg, /map\.nii\.gz already exists/);
    expect(existsSync(p('fresh.nii.gz'))).toBe(false);
    const f = run(['apply', '--mapping', p('map'), '--moving', p('static.nii.gz'), '--out', p('applied.nii.gz'), '--force']);
    expect(f.status, f.stderr).toBe(0);
    expect(Buffer.compare(readFileSync(p('applied.nii.gz')), before)).not.toBe(0);
  });

  it('prints one line and exits non-zero for bad inputs', () => {
    const reg = (...args: string[]) => run(['register', '--out-warped', p('never-warped.nii.gz'), '--out-mapping', p('never'), ...args]);
    expectOneLineError(reg('--static', p('nope.nii.gz'), '--moving', p('moving.nii.gz')), /--static .*nope\.nii\.gz: no such file/);
    expectOneLineError(reg('--static', p('static.nii.gz'), '--moving', p('garbage.nii.gz')), /garbage\.nii\.gz/);
    expectOneLineError(reg('--static', p('static.nii.gz'), '--moving', p('static2d.nii')), /dimension mismatch.*3D.*2D/);
    expectOneLineError(reg('--static', p('static2d.nii'), '--moving', p('series.nii.gz')), /4D with 2 volumes; choose one with --vol-idx/);
    expectOneLineError(reg('--static', p('static.nii.gz'), '--moving', p('moving.nii.gz'), '--prealign', p('nope.txt')), /--prealign .*nope\.txt: no such file/);
    expectOneLineError(reg('--static', p('static.nii.gz'), '--moving', p('moving.nii.gz'), '--metric', 'ncc'), /--metric must be cc, ssd, ssd-gn, em or mi/, 2);
    expectOneLineError(reg('--static', p('static.nii.gz'), '--moving', p('moving.nii.gz'), '--level-iters', '10,x'), /--level-iters/, 2);
    expectOneLineError(reg('--static', p('static.nii.gz'), '--moving', p('moving.nii.gz'), '--smooth', '2'), /--smooth applies to --metric ssd/, 2);
    expectOneLineError(reg('--static', p('static.nii.gz')), /needs --moving/, 2);
    expectOneLineError(reg('--static', p('static.nii.gz'), '--moving', p('moving.nii.gz'), '--bogus'), /bogus/, 2);
    // the default radius 4 does not fit the coarsest level of a 24³ image: the metric says so
    expectOneLineError(reg('--static', p('static.nii.gz'), '--moving', p('moving.nii.gz')), /radius/);
    expect(existsSync(p('never-warped.nii.gz')) || existsSync(p('never.nii.gz'))).toBe(false);
    expectOneLineError(run(['frobnicate']), /unknown command "frobnicate"/, 2);

    const apply = (...args: string[]) => run(['apply', '--out', p('never.nii.gz'), ...args]);
    expectOneLineError(apply('--mapping', p('nomap'), '--moving', p('moving.nii.gz')), /nomap.*no such file/);
    expectOneLineError(apply('--mapping', p('map'), '--moving', p('static2d.nii')), /dimension mismatch: the mapping .* is 3D but --moving .* is 2D/);
    const bytes = readFileSync(p('map.nii.gz'));
    writeFileSync(p('truncated.nii.gz'), bytes.subarray(0, bytes.length >> 1));
    expectOneLineError(apply('--mapping', p('truncated.nii.gz'), '--moving', p('moving.nii.gz')), /truncated\.nii\.gz.*(gzip|truncated)/);
    expectOneLineError(apply('--mapping', p('static.nii.gz'), '--moving', p('moving.nii.gz')), /static\.nii\.gz.*not a mapping file/);
    expectOneLineError(apply('--mapping', p('map'), '--moving', p('moving.nii.gz'), '--interpolation', 'cubic'), /--interpolation must be linear or nearest/, 2);
    expect(existsSync(p('never.nii.gz'))).toBe(false);
  });
});

describe('negative option values (issue 11 item 9)', () => {
  it('--sigma-diff -1 is reported as out of range, not as an ambiguous argument', () => {
    const r = run(['register', '--static', 'a.nii', '--moving', 'b.nii', '--sigma-diff', '-1']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/sigma-diff/);
    expect(r.stderr).not.toMatch(/ambiguous/);
  });
});
