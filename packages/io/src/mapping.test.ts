import { mulberry32, randomFloat32 } from '@diffeo/core/oracles';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import { DiffeoError, DiffeomorphicMap, FileExistsError, InvalidArgumentError, MalformedFileError, type Affine, type Dim } from '@diffeo/core';
import {
  MAPPING_FORMAT_VERSION,
  MissingMappingGridsError,
  loadMapping,
  mappingFilePath,
  parseMapping,
  parseNifti,
  saveMapping,
  saveNifti,
  serializeMapping,
} from '@diffeo/io';

const dir = mkdtempSync(join(tmpdir(), 'diffeo-mapping-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function bytesOf(a: ArrayBufferView): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

/** Same bits (not just equal values: -0, NaN payloads). */
function expectSameBits(a: ArrayBufferView, b: ArrayBufferView): void {
  expect(a.constructor).toBe(b.constructor);
  expect(a.byteLength).toBe(b.byteLength);
  expect(Buffer.compare(bytesOf(a), bytesOf(b))).toBe(0);
}

function expectSameAffine(a: Affine, b: Affine): void {
  if (a === null || b === null) {
    expect(b).toBe(a);
    return;
  }
  expectSameBits(a, b);
}

/** Every piece of state a reload must reproduce, including the recomputed inverses. */
function expectSameMap(got: DiffeomorphicMap, want: DiffeomorphicMap): void {
  expect(got).toBeInstanceOf(DiffeomorphicMap);
  expect(got.dim).toBe(want.dim);
  expect(got.isInverse).toBe(want.isInverse);
  expect(got.dispShape).toEqual(want.dispShape);
  expect(got.domainShape).toEqual(want.domainShape);
  expect(got.codomainShape).toEqual(want.codomainShape);
  for (const k of ['dispGridToWorld', 'dispWorldToGrid', 'domainGridToWorld', 'domainWorldToGrid', 'codomainGridToWorld',
    'codomainWorldToGrid', 'prealign', 'prealignInv'] as const) {
    expectSameAffine(got[k], want[k]);
  }
  expectSameBits(got.forward!, want.forward!);
  expectSameBits(got.backward!, want.backward!);
}

function rotation3(ax: number, ay: number, az: number): number[] {
  const [ca, sa, cb, sb, cc, sc] = [Math.cos(ax), Math.sin(ax), Math.cos(ay), Math.sin(ay), Math.cos(az), Math.sin(az)];
  // Rz·Ry·Rx, row-major
  return [
    cc * cb, cc * sb * sa - sc * ca, cc * sb * ca + sc * sa,
    sc * cb, sc * sb * sa + cc * ca, sc * sb * ca - cc * sa,
    -sb, cb * sa, cb * ca,
  ];
}

function affine3(rot: number[], zooms: number[], t: number[]): Float64Array {
  const a = new Float64Array(16);
  for (let r = 0; r < 3; r++) {
    for (let c = 0; c < 3; c++) a[r * 4 + c] = rot[r * 3 + c] * zooms[c];
    a[r * 4 + 3] = t[r];
  }
  a[15] = 1;
  return a;
}

/** A 3D map with oblique, anisotropic grids of three different shapes and a prealign holding a -0. */
function make3dMap(): DiffeomorphicMap<3> {
  const prealign = affine3(rotation3(0.05, -0.11, 0.2), [1.02, 0.97, 1.0], [1.5, -2.25, 0.3]);
  prealign[2] = -0; // must survive the JSON round trip
  const map = new DiffeomorphicMap({
    dim: 3,
    dispShape: [9, 8, 7],
    dispGridToWorld: affine3(rotation3(0.3, 0.1, -0.7), [1.25, 0.9, 2.1], [-11.3, 7.77, 3.1415926535]),
    domainShape: [10, 9, 8],
    domainGridToWorld: affine3(rotation3(0.29, 0.12, -0.69), [1.1, 1.0, 1.9], [-10.1, 6.5, 2.0]),
    codomainShape: [8, 10, 9],
    codomainGridToWorld: affine3(rotation3(-0.2, 0.4, 0.33), [1.3, 0.8, 2.0], [-9.0, 8.25, 1.0 / 3]),
    prealign,
  });
  map.forward = randomFloat32(mulberry32(1), 9 * 8 * 7 * 3, -1.5, 1.5);
  map.backward = randomFloat32(mulberry32(2), 9 * 8 * 7 * 3, -1.5, 1.5);
  return map;
}

function make2dMap(): DiffeomorphicMap<2> {
  const map = new DiffeomorphicMap({ dim: 2, dispShape: [12, 10], codomainShape: [9, 11] });
  map.domainShape = null;
  map.forward = randomFloat32(mulberry32(3), 12 * 10 * 2, -2, 2);
  map.backward = randomFloat32(mulberry32(4), 12 * 10 * 2, -2, 2);
  map.isInverse = true;
  return map;
}

describe('serializeMapping / parseMapping', () => {
  it('a 3D map with non-trivial affines and prealign reloads bit-identically, and warps images bit-identically', () => {
    const map = make3dMap();
    for (const m of [map, map.inverse()]) {
      for (const gzip of [true, false]) {
        const back = parseMapping(serializeMapping(m, { gzip }));
        expectSameMap(back, m);
        expect(Object.is(back.prealign![2], -0)).toBe(true);
        // transform samples an image on the codomain grid (domain grid when isInverse), and vice versa
        const onCodomain = { data: randomFloat32(mulberry32(5), 8 * 10 * 9, -100, 100), shape: [8, 10, 9] };
        const onDomain = { data: randomFloat32(mulberry32(6), 10 * 9 * 8, -100, 100), shape: [10, 9, 8] };
        const [a, b] = m.isInverse ? [onDomain, onCodomain] : [onCodomain, onDomain];
        expectSameBits(back.transform(a).data, m.transform(a).data);
        expectSameBits(back.transformInverse(b).data, m.transformInverse(b).data);
        expectSameBits(back.transform(a, { interpolation: 'nearest' }).data, m.transform(a, { interpolation: 'nearest' }).data);
        const pts = { data: Float64Array.from(randomFloat32(mulberry32(7), 30, -10, 10)), shape: [10, 3] };
        expectSameBits(back.transformPoints(pts).data, m.transformPoints(pts).data);
      }
    }
  });

  it('keeps null affines, a null domain shape and isInverse of a 2D map', () => {
    const map = make2dMap();
    const back = parseMapping(serializeMapping(map));
    expectSameMap(back, map);
    expect(back.domainShape).toBeNull();
    expect(back.dispGridToWorld).toBeNull();
    expect(back.isInverse).toBe(true);
    const img = { data: randomFloat32(mulberry32(8), 12 * 10, -5, 5), shape: [12, 10] };
    // isInverse: transform is the backward warp (output on the codomain grid)
    expectSameBits(back.transform(img).data, map.transform(img).data);
  });

  it("stores DIPY write_mapping's layout: (nx, ny, nz, 3, 2) float32, forward at [..., :, 0], backward at [..., :, 1], world-to-grid header", () => {
    const map = make3dMap();
    const vol = parseNifti(serializeMapping(map));
    expect(vol.shape).toEqual([9, 8, 7, 3, 2]);
    expect(vol.header.intentCode).toBe(0); // as DIPY's (nibabel's default)
    expect(vol.header.dtype).toBe('float32');
    const data = vol.data as Float32Array;
    // C order over (9, 8, 7, 3, 2): voxel v, component c, field w at (v * 3 + c) * 2 + w
    for (const v of [0, 1, 17, 9 * 8 * 7 - 1]) {
      for (let c = 0; c < 3; c++) {
        expect(Object.is(data[(v * 3 + c) * 2], map.forward![v * 3 + c])).toBe(true);
        expect(Object.is(data[(v * 3 + c) * 2 + 1], map.backward![v * 3 + c])).toBe(true);
      }
    }
    // the header affine is the displacement grid's world-to-grid, rounded to float32
    expect(Array.from(vol.affine)).toEqual(Array.from(map.dispWorldToGrid!, Math.fround));
    // a 2D map: one z slice, z components 0
    const m2 = make2dMap();
    const vol2 = parseNifti(serializeMapping(m2, { gzip: false }));
    expect(vol2.shape).toEqual([12, 10, 1, 3, 2]);
    const d2 = vol2.data as Float32Array;
    for (const v of [0, 5, 119]) {
      expect([d2[v * 6], d2[v * 6 + 1], d2[v * 6 + 2], d2[v * 6 + 3], d2[v * 6 + 4], d2[v * 6 + 5]]).toEqual([
        m2.forward![v * 2], m2.backward![v * 2], m2.forward![v * 2 + 1], m2.backward![v * 2 + 1], 0, 0,
      ]);
    }
  });

  it('refuses maps it cannot store exactly', () => {
    const empty = new DiffeomorphicMap({ dim: 2, dispShape: [4, 4] });
    expect(() => serializeMapping(empty)).toThrow(DiffeoError);
    expect(() => serializeMapping(empty)).toThrow(/not set/);
    const simplified = make3dMap().getSimplifiedTransform();
    expect(() => serializeMapping(simplified)).toThrow(InvalidArgumentError);
    expect(() => serializeMapping({} as DiffeomorphicMap)).toThrow(InvalidArgumentError);
  });
});

describe('saveMapping / loadMapping', () => {
  it('writes prefix.nii.gz atomically, reloads it by prefix or by file name, and never overwrites unless asked', async () => {
    const sub = mkdtempSync(join(dir, 'save-'));
    const prefix = join(sub, 'syn');
    const map = make3dMap();
    const file = await saveMapping(prefix, map);
    expect(file).toBe(`${prefix}.nii.gz`);
    expect(mappingFilePath(prefix)).toBe(file);
    expectSameMap(await loadMapping(prefix), map);
    expectSameMap(await loadMapping(file), map);
    expectSameMap(await loadMapping(readFileSync(file)), map);

    const before = readFileSync(file);
    const other = make2dMap();
    await expect(saveMapping(prefix, other)).rejects.toBeInstanceOf(FileExistsError);
    await expect(saveMapping(file, other)).rejects.toThrow(/already exists/);
    expect(Buffer.compare(readFileSync(file), before)).toBe(0);
    await saveMapping(prefix, other, { overwrite: true });
    expectSameMap(await loadMapping(prefix), other);
    expect(readdirSync(sub)).toEqual(['syn.nii.gz']); // no temporary files left behind

    const plain = await saveMapping(join(sub, 'plain.nii'), map);
    expect(readFileSync(plain).subarray(344, 347).toString('latin1')).toBe('n+1'); // not gzipped
    expectSameMap(await loadMapping(join(sub, 'plain')), map); // prefix falls back to .nii
  });

  it('reports truncated and corrupt files as MalformedFileError naming the file', async () => {
    const map = make3dMap();
    const gz = serializeMapping(map);
    const raw = gunzipSync(gz);
    const cases: Array<[string, Uint8Array, RegExp]> = [
      ['truncated.nii.gz', gz.subarray(0, gz.length >> 1), /gzip|truncated/],
      ['truncated-data.nii', raw.subarray(0, raw.length - 100), /truncated/],
      ['truncated-header.nii', raw.subarray(0, 200), /truncated|fewer/],
      ['empty.nii.gz', new Uint8Array(0), /truncated|not a NIfTI/],
    ];
    // corrupt JSON: break the colon after "dim"
    const text = Buffer.from(raw).toString('latin1');
    const bad = raw.slice();
    bad[text.indexOf('"dim":') + 5] = 0x3b; // ';'
    cases.push(['bad-json.nii', bad, /does not parse/]);
    // a shape that disagrees with the voxels
    const wrong = Buffer.from(text.replace('"dispShape": [9, 8, 7]', '"dispShape": [9, 8, 6]'), 'latin1');
    cases.push(['wrong-shape.nii', new Uint8Array(wrong), /shape/]);
    for (const [name, bytes, re] of cases) {
      const p = join(dir, name);
      writeFileSync(p, bytes);
      const err = await loadMapping(p).then(() => null, (e: unknown) => e);
      expect(err, name).toBeInstanceOf(MalformedFileError);
      expect((err as Error).message, name).toContain(p);
      expect((err as Error).message, name).toMatch(re);
    }
  });

  it('says so when a NIfTI file is not a mapping', async () => {
    const p = join(dir, 'image.nii.gz');
    await saveNifti(p, { data: new Float32Array(4 * 5 * 6), shape: [4, 5, 6] }, null);
    await expect(loadMapping(p)).rejects.toThrow(/not a mapping file/);
    await expect(loadMapping(p)).rejects.toBeInstanceOf(MalformedFileError);
    const i16 = join(dir, 'image16.nii');
    await saveNifti(i16, { data: new Int16Array(8), shape: [2, 2, 2] }, null);
    await expect(loadMapping(i16)).rejects.toBeInstanceOf(MalformedFileError);
  });
});

describe('older and foreign mapping files', () => {
  const testData = fileURLToPath(new URL('../test-data', import.meta.url));
  // The fixtures were written by diffeo's version 1 writer from maps whose fields are
  // forward[i] = fround(1.5 sin i), backward[i] = fround(0.75 cos i) (C order over [...grid, d]).
  const formula = (n: number, g: (i: number) => number) => Float32Array.from({ length: n }, (_, i) => g(i));
  it('reads version 1 files (shape (nx, ny, nz, 2, d), vector intent) exactly: 2D with prealign, 3D with a null affine', async () => {
    expect(MAPPING_FORMAT_VERSION).toBe(2);
    const m2 = await loadMapping(join(testData, 'mapping-v1-2d.nii.gz'));
    expect(m2.dim).toBe(2);
    expect(m2.isInverse).toBe(true);
    expect(m2.dispShape).toEqual([5, 4]);
    expect(m2.domainShape).toEqual([6, 3]);
    expect(Array.from(m2.dispGridToWorld!)).toEqual([2, 0.5, -3, -0.5, 2, 1.25, 0, 0, 1]);
    expect(Array.from(m2.domainGridToWorld!)).toEqual([1.5, 0, 2, 0, 0.75, -1, 0, 0, 1]);
    expect(Array.from(m2.prealign!)).toEqual([1, 0.125, 0.5, 0, 1, -0.25, 0, 0, 1]);
    expectSameBits(m2.forward!, formula(40, (i) => Math.sin(i) * 1.5));
    expectSameBits(m2.backward!, formula(40, (i) => Math.cos(i) * 0.75));
    const m3 = await loadMapping(join(testData, 'mapping-v1-3d.nii'));
    expect(m3.dim).toBe(3);
    expect(m3.isInverse).toBe(false);
    expect(m3.dispShape).toEqual([4, 3, 2]);
    expect(m3.domainGridToWorld).toBeNull();
    expect(m3.prealign).toBeNull();
    expect(Array.from(m3.codomainGridToWorld!)).toEqual([0, -1.5, 0, 4, 2, 0, 0, -2, 0, 0, 0.5, 1, 0, 0, 0, 1]);
    expectSameBits(m3.forward!, formula(72, (i) => Math.sin(i) * 1.5));
    expectSameBits(m3.backward!, formula(72, (i) => Math.cos(i) * 0.75));
    // re-saved, it is a version 2 file that reloads to the same map
    expectSameMap(parseMapping(serializeMapping(m3)), m3);
  });

  it('a file in DIPY layout without diffeo metadata needs the domain and codomain grids (MissingMappingGridsError)', async () => {
    const p = join(dir, 'dipy-like.nii');
    await saveNifti(p, { data: new Float32Array(4 * 3 * 2 * 6), shape: [4, 3, 2, 3, 2] }, [[0.5, 0, 0, 1], [0, 2, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]);
    const err = await loadMapping(p).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(MissingMappingGridsError);
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect((err as Error).message).toContain(p);
    expect((err as Error).message).toMatch(/write_mapping.*domain.*--domain IMAGE --codomain IMAGE/s);
    await expect(loadMapping(p, { domain: { shape: [4, 3, 2], gridToWorld: null } })).rejects.toThrow(/codomain/);
    // with the grids: DIPY's read_mapping construction
    const m = await loadMapping(p, {
      domain: { shape: [5, 5, 5, 7], gridToWorld: null },
      codomain: { shape: [4, 3], gridToWorld: [[1, 0, 2], [0, 1, 3], [0, 0, 1]] },
    });
    expect(m.dim).toBe(3);
    expect(m.isInverse).toBe(true);
    expect(m.dispShape).toEqual([4, 3, 2]);
    expect(Array.from(m.dispGridToWorld!)).toEqual([2, 0, 0, -2, 0, 0.5, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
    expect(m.domainShape).toEqual([5, 5, 5]);
    expect(m.codomainShape).toEqual([4, 3, 1]);
    expect(Array.from(m.codomainGridToWorld!)).toEqual([1, 0, 0, 2, 0, 1, 0, 3, 0, 0, 1, 0, 0, 0, 0, 1]);
    expect(m.prealign).toBeNull();
  });
});

// ------------------------------------------------------------------------------------------------
// nibabel reads the file (skipped when /usr/bin/python3 cannot import nibabel)
// ------------------------------------------------------------------------------------------------

const PY = '/usr/bin/python3';
const hasNibabel = existsSync(PY) && spawnSync(PY, ['-c', 'import nibabel'], { stdio: 'ignore' }).status === 0;
if (!hasNibabel) console.warn('mapping.test.ts: nibabel not importable from /usr/bin/python3; skipping the nibabel check of the mapping file layout.');

const PY_READ = `
import sys, json, hashlib, numpy as np, nibabel as nib
img = nib.load(sys.argv[1])
d = np.asanyarray(img.dataobj)
ext = [e for e in img.header.extensions if e.get_code() == 6]
meta = json.loads(ext[0].get_content())
sha = lambda a: hashlib.sha256(np.ascontiguousarray(a, dtype='<f4').tobytes()).hexdigest()
print(json.dumps(dict(shape=list(d.shape), dtype=d.dtype.name, intent=img.header.get_intent()[0],
    fwd=sha(d[..., :meta['dim'], 0]), bwd=sha(d[..., :meta['dim'], 1]), zeros=bool(np.all(d[..., meta['dim']:, :] == 0)), affine=[float(x) for x in img.affine.ravel()], meta=meta)))
`;

describe.skipIf(!hasNibabel)('nibabel reads a mapping file', () => {
  for (const dim of [3, 2] as Dim[]) {
    it(`${dim}D: shape, both fields and the exact metadata`, async () => {
      const map = dim === 3 ? make3dMap() : make2dMap();
      const file = await saveMapping(join(dir, `nib${dim}`), map);
      const r = spawnSync(PY, ['-c', PY_READ, file], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      const got = JSON.parse(r.stdout) as {
        shape: number[]; dtype: string; intent: string; fwd: string; bwd: string; zeros: boolean; affine: number[]; meta: Record<string, unknown>;
      };
      const { createHash } = await import('node:crypto');
      const sha = (a: Float32Array) => createHash('sha256').update(bytesOf(a)).digest('hex');
      expect(got.shape).toEqual(dim === 3 ? [9, 8, 7, 3, 2] : [12, 10, 1, 3, 2]);
      expect(got.dtype).toBe('float32');
      expect(got.intent).toBe('none');
      expect(got.zeros).toBe(true);
      expect(got.fwd).toBe(sha(map.forward!));
      expect(got.bwd).toBe(sha(map.backward!));
      expect(got.meta.isInverse).toBe(map.isInverse);
      expect(got.meta.dispShape).toEqual(Array.from(map.dispShape));
      if (dim === 3) {
        expect(got.affine).toEqual(Array.from(map.dispWorldToGrid!, Math.fround));
        // Python's json.dumps writes repr(float), which JSON.parse reads back to the same double
        for (const k of ['dispGridToWorld', 'domainGridToWorld', 'codomainGridToWorld', 'prealign'] as const) {
          const flat = (got.meta[k] as number[][]).flat();
          flat.forEach((v, i) => expect(Object.is(v, map[k]![i]), `${k}[${i}]`).toBe(true));
        }
      } else {
        expect(got.meta.dispGridToWorld).toBeNull();
        expect(got.meta.domainShape).toBeNull();
      }
    });
  }
});
