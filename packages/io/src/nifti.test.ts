import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import { DtypeError, FileExistsError, MalformedFileError, type NumericArray } from '@diffeo/core';
import { loadNifti, parseNifti, saveNifti, serializeNifti, type NiftiDtype } from '@diffeo/io';

const dir = mkdtempSync(join(tmpdir(), 'diffeo-nifti-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// ------------------------------------------------------------------------------------------------
// Hand-built headers (independent of serializeNifti)
// ------------------------------------------------------------------------------------------------

interface HandHeader {
  version?: 1 | 2;
  le?: boolean;
  dims: number[];
  datatype: number;
  bitpix: number;
  pixdim?: number[];
  slope?: number;
  inter?: number;
  qformCode?: number;
  sformCode?: number;
  quatern?: [number, number, number];
  qoffset?: [number, number, number];
  srow?: number[];
  /** raw voxel bytes in file order (x fastest), already in the right byte order */
  body: Uint8Array;
}

function buildNifti(h: HandHeader): Uint8Array {
  const version = h.version ?? 1;
  const le = h.le ?? true;
  const hsize = version === 1 ? 352 : 544;
  const out = new Uint8Array(hsize + h.body.length);
  const v = new DataView(out.buffer);
  const pix = h.pixdim ?? [1, 1, 1, 1, 1, 1, 1, 1];
  const dims = [h.dims.length, ...h.dims];
  while (dims.length < 8) dims.push(1);
  const srow = h.srow ?? [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
  const q = h.quatern ?? [0, 0, 0];
  const qo = h.qoffset ?? [0, 0, 0];
  if (version === 1) {
    v.setInt32(0, 348, le);
    for (let k = 0; k < 8; k++) v.setInt16(40 + 2 * k, dims[k], le);
    v.setInt16(70, h.datatype, le);
    v.setInt16(72, h.bitpix, le);
    for (let k = 0; k < 8; k++) v.setFloat32(76 + 4 * k, pix[k] ?? 1, le);
    v.setFloat32(108, 352, le);
    v.setFloat32(112, h.slope ?? 0, le);
    v.setFloat32(116, h.inter ?? 0, le);
    v.setInt16(252, h.qformCode ?? 0, le);
    v.setInt16(254, h.sformCode ?? 0, le);
    for (let k = 0; k < 3; k++) v.setFloat32(256 + 4 * k, q[k], le);
    for (let k = 0; k < 3; k++) v.setFloat32(268 + 4 * k, qo[k], le);
    for (let k = 0; k < 12; k++) v.setFloat32(280 + 4 * k, srow[k], le);
    out.set([0x6e, 0x2b, 0x31, 0], 344);
    out.set(h.body, 352);
  } else {
    v.setInt32(0, 540, le);
    out.set([0x6e, 0x2b, 0x32, 0, 0x0d, 0x0a, 0x1a, 0x0a], 4);
    v.setInt16(12, h.datatype, le);
    v.setInt16(14, h.bitpix, le);
    for (let k = 0; k < 8; k++) v.setBigInt64(16 + 8 * k, BigInt(dims[k]), le);
    for (let k = 0; k < 8; k++) v.setFloat64(104 + 8 * k, pix[k] ?? 1, le);
    v.setBigInt64(168, 544n, le);
    v.setFloat64(176, h.slope ?? 0, le);
    v.setFloat64(184, h.inter ?? 0, le);
    v.setInt32(344, h.qformCode ?? 0, le);
    v.setInt32(348, h.sformCode ?? 0, le);
    for (let k = 0; k < 3; k++) v.setFloat64(352 + 8 * k, q[k], le);
    for (let k = 0; k < 3; k++) v.setFloat64(376 + 8 * k, qo[k], le);
    for (let k = 0; k < 12; k++) v.setFloat64(400 + 8 * k, srow[k], le);
    out.set(h.body, 544);
  }
  return out;
}

/** int16 body whose file-order voxel f holds the value f (written with the given byte order). */
function rampInt16(n: number, le = true): Uint8Array {
  const b = new Uint8Array(2 * n);
  const v = new DataView(b.buffer);
  for (let f = 0; f < n; f++) v.setInt16(2 * f, f - 7, le);
  return b;
}

const f32 = Math.fround;
const identityAffine = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];

function affineRows(a: Float64Array): number[][] {
  return [0, 1, 2, 3].map((r) => Array.from(a.subarray(4 * r, 4 * r + 4)));
}

// ------------------------------------------------------------------------------------------------
// Layout, byte order, versions
// ------------------------------------------------------------------------------------------------

describe('parseNifti: array order and byte order', () => {
  for (const version of [1, 2] as const) {
    for (const le of [true, false]) {
      it(`NIfTI-${version} ${le ? 'little' : 'big'} endian: voxel (i,j,k) = file index i + nx*(j + ny*k)`, () => {
        const [nx, ny, nz] = [3, 4, 5];
        const bytes = buildNifti({ version, le, dims: [nx, ny, nz], datatype: 4, bitpix: 16, body: rampInt16(nx * ny * nz, le) });
        const vol = parseNifti(bytes);
        expect(vol.header.version).toBe(version);
        expect(vol.header.littleEndian).toBe(le);
        expect(vol.shape).toEqual([nx, ny, nz]);
        expect(vol.data).toBeInstanceOf(Int16Array);
        for (let i = 0; i < nx; i++) {
          for (let j = 0; j < ny; j++) {
            for (let k = 0; k < nz; k++) expect(vol.data[(i * ny + j) * nz + k]).toBe(i + nx * (j + ny * k) - 7);
          }
        }
      });
    }
  }

  it('4D and 2D layouts', () => {
    const shape4 = [2, 3, 4, 5];
    const n4 = 120;
    const vol4 = parseNifti(buildNifti({ dims: shape4, datatype: 4, bitpix: 16, body: rampInt16(n4) }));
    expect(vol4.shape).toEqual(shape4);
    for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 4; k++) for (let t = 0; t < 5; t++) {
      expect(vol4.data[((i * 3 + j) * 4 + k) * 5 + t]).toBe(i + 2 * (j + 3 * (k + 4 * t)) - 7);
    }
    // 5D with singleton axes and sizes above the transpose tile (33 > 32)
    const shape5 = [33, 1, 3, 2, 35];
    const n5 = 33 * 3 * 2 * 35;
    const vol5 = parseNifti(buildNifti({ dims: shape5, datatype: 4, bitpix: 16, body: rampInt16(n5) }));
    expect(vol5.shape).toEqual(shape5);
    for (let i = 0; i < 33; i++) for (let k = 0; k < 3; k++) for (let t = 0; t < 2; t++) for (let u = 0; u < 35; u++) {
      expect(vol5.data[((i * 3 + k) * 2 + t) * 35 + u]).toBe(i + 33 * (k + 3 * (t + 2 * u)) - 7);
    }
    const again = parseNifti(serializeNifti({ data: vol5.data, shape: shape5 }, null));
    expect(Array.from(again.data)).toEqual(Array.from(vol5.data));
    const vol2 = parseNifti(buildNifti({ dims: [4, 3], datatype: 4, bitpix: 16, body: rampInt16(12) }));
    expect(vol2.shape).toEqual([4, 3]);
    for (let i = 0; i < 4; i++) for (let j = 0; j < 3; j++) expect(vol2.data[i * 3 + j]).toBe(i + 4 * j - 7);
  });

  it('reads .nii.gz bytes (gzip detected from the magic bytes)', async () => {
    const bytes = buildNifti({ dims: [3, 4, 5], datatype: 4, bitpix: 16, body: rampInt16(60) });
    const p = join(dir, 'hand.nii.gz');
    writeFileSync(p, gzipSync(bytes));
    const a = await loadNifti(p);
    const b = parseNifti(bytes);
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
  });
});

// ------------------------------------------------------------------------------------------------
// Affine selection
// ------------------------------------------------------------------------------------------------

describe('parseNifti: affine selection (nibabel get_best_affine)', () => {
  const body = rampInt16(4 * 5 * 6);
  const base = { dims: [4, 5, 6], datatype: 4, bitpix: 16, body };
  const srow = [1.5, 0.1, 0, -10.25, 0, 2, 0.2, 20.5, -0.3, 0, 3, 30.75];

  it('sform when sform_code > 0 (even if qform_code is larger)', () => {
    const vol = parseNifti(buildNifti({ ...base, sformCode: 2, qformCode: 4, srow, quatern: [0.5, 0.5, 0.5], pixdim: [1, 9, 9, 9] }));
    expect(Array.from(vol.affine)).toEqual([...srow.map(f32), 0, 0, 0, 1]);
  });

  it('sform of a NIfTI-2 file is kept in double', () => {
    const vol = parseNifti(buildNifti({ ...base, version: 2, sformCode: 1, srow }));
    expect(Array.from(vol.affine)).toEqual([...srow, 0, 0, 0, 1]);
  });

  it('qform when only qform_code > 0: quaternion (b,c,d) = (1,0,0), qfac -1', () => {
    // w = 0, R = diag(1, -1, -1); M = R · diag(2, 3, -1·4) = diag(2, -3, 4)
    const vol = parseNifti(buildNifti({ ...base, qformCode: 1, quatern: [1, 0, 0], qoffset: [7, -8, 9.5], pixdim: [-1, 2, 3, 4] }));
    expect(affineRows(vol.affine)).toEqual([
      [2, 0, 0, 7],
      [0, -3, 0, -8],
      [0, 0, 4, 9.5],
      [0, 0, 0, 1],
    ]);
  });

  it('qform: quaternion (0.5, 0.5, 0.5) is the axis permutation x→y→z→x', () => {
    // w = 0.5; R = [[0,0,1],[1,0,0],[0,1,0]]; times diag(2, 3, 4)
    const vol = parseNifti(buildNifti({ ...base, qformCode: 2, quatern: [0.5, 0.5, 0.5], pixdim: [1, 2, 3, 4] }));
    expect(affineRows(vol.affine)).toEqual([
      [0, 0, 4, 0],
      [2, 0, 0, 0],
      [0, 3, 0, 0],
      [0, 0, 0, 1],
    ]);
  });

  it('qform: a quaternion with b²+c²+d² > 1 is rejected', () => {
    expect(() => parseNifti(buildNifti({ ...base, qformCode: 1, quatern: [0.8, 0.8, 0] }))).toThrow(MalformedFileError);
  });

  it('neither: centred base affine from pixdim with x flipped', () => {
    const vol = parseNifti(buildNifti({ ...base, pixdim: [1, 2, 3, 4] }));
    // diag(-2, 3, 4); translation -(n-1)/2 * zoom = (1.5*2, -2*3, -2.5*4)
    expect(affineRows(vol.affine)).toEqual([
      [-2, 0, 0, 3],
      [0, 3, 0, -6],
      [0, 0, 4, -10],
      [0, 0, 0, 1],
    ]);
  });

  it('neither, 2D: the missing axis has size 1 and zoom 1', () => {
    const vol = parseNifti(buildNifti({ dims: [4, 5], datatype: 4, bitpix: 16, body: rampInt16(20), pixdim: [1, 2, 3, 7] }));
    expect(affineRows(vol.affine)).toEqual([
      [-2, 0, 0, 3],
      [0, 3, 0, -6],
      [0, 0, 1, -0],
      [0, 0, 0, 1],
    ]);
  });

  it("applies nibabel's header fixes: |pixdim|, zero pixdim → 1, bad qfac → 1, bad codes → 0", () => {
    const vol = parseNifti(buildNifti({ ...base, pixdim: [0.5, -2, 0, 4], sformCode: 9, qformCode: 1, quatern: [0, 0, 0] }));
    expect(vol.header.pixdim.slice(0, 4)).toEqual([1, 2, 1, 4]);
    expect(vol.header.sformCode).toBe(0);
    expect(vol.warnings.length).toBe(4);
    expect(affineRows(vol.affine)).toEqual([
      [2, 0, 0, 0],
      [0, 1, 0, 0],
      [0, 0, 4, 0],
      [0, 0, 0, 1],
    ]);
  });
});

// ------------------------------------------------------------------------------------------------
// Scaling, dtypes, errors
// ------------------------------------------------------------------------------------------------

describe('parseNifti: scaling', () => {
  const base = { dims: [2, 3, 2], datatype: 4, bitpix: 16, body: rampInt16(12) };
  const raw = (f: number) => f - 7;
  const at = (i: number, j: number, k: number) => i + 2 * (j + 3 * k);

  it('slope 2.5, inter -1 → float64 stored*slope + inter', () => {
    const vol = parseNifti(buildNifti({ ...base, slope: 2.5, inter: -1 }), { returnImg: true });
    expect(vol.scaled).toBe(true);
    expect(vol.data).toBeInstanceOf(Float64Array);
    expect(vol.data[(1 * 3 + 2) * 2 + 1]).toBe(raw(at(1, 2, 1)) * 2.5 - 1);
    expect(vol.img?.unscaledData).toBeInstanceOf(Int16Array);
    expect(vol.img?.scaling).toEqual({ slope: 2.5, inter: -1 });
  });

  it('(1, 0), slope 0 and slope NaN leave the stored dtype', () => {
    for (const [slope, inter] of [[1, 0], [0, 5], [NaN, 3]]) {
      const vol = parseNifti(buildNifti({ ...base, slope, inter }));
      expect(vol.scaled).toBe(false);
      expect(vol.data).toBeInstanceOf(Int16Array);
    }
  });

  it('slope 1 with an intercept, and float32 data with a slope, give float64', () => {
    const a = parseNifti(buildNifti({ ...base, slope: 1, inter: 3 }));
    expect(a.data).toBeInstanceOf(Float64Array);
    expect(a.data[1]).toBe(raw(at(0, 0, 1)) + 3);
    const body = new Uint8Array(new Float32Array([0.1, 0.2, 0.3, 0.4]).buffer);
    const b = parseNifti(buildNifti({ dims: [4], datatype: 16, bitpix: 32, body, slope: 3 }));
    expect(b.data).toBeInstanceOf(Float64Array);
    expect(b.data[2]).toBe(f32(0.3) * 3);
  });

  it('a valid slope with a non-finite intercept is malformed', () => {
    expect(() => parseNifti(buildNifti({ ...base, slope: 2, inter: Infinity }))).toThrow(MalformedFileError);
  });
});

describe('parseNifti: errors', () => {
  it('unsupported datatypes raise DtypeError naming the code', () => {
    for (const [code, bitpix] of [[1024, 64], [32, 64], [128, 24], [1, 1], [12345, 8]]) {
      const bytes = buildNifti({ dims: [2, 2, 2], datatype: code, bitpix, body: new Uint8Array(64) });
      expect(() => parseNifti(bytes)).toThrow(DtypeError);
      expect(() => parseNifti(bytes)).toThrow(new RegExp(`datatype code ${code}\\b`));
    }
  });

  it('a truncated file raises MalformedFileError naming the file', async () => {
    const bytes = buildNifti({ dims: [3, 4, 5], datatype: 4, bitpix: 16, body: rampInt16(60) });
    const p = join(dir, 'truncated.nii');
    writeFileSync(p, bytes.subarray(0, bytes.length - 10));
    await expect(loadNifti(p)).rejects.toThrow(MalformedFileError);
    await expect(loadNifti(p)).rejects.toThrow(/truncated\.nii: truncated/);
    const p2 = join(dir, 'truncated-header.nii');
    writeFileSync(p2, bytes.subarray(0, 200));
    await expect(loadNifti(p2)).rejects.toThrow(/truncated-header\.nii: .*200 bytes/);
    const p3 = join(dir, 'truncated.nii.gz');
    const gz = gzipSync(bytes);
    writeFileSync(p3, gz.subarray(0, gz.length >> 1));
    await expect(loadNifti(p3)).rejects.toThrow(MalformedFileError);
  });

  it('random bytes raise MalformedFileError', async () => {
    let seed = 12345;
    const rnd = new Uint8Array(4096).map(() => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed >>> 24;
    });
    const p = join(dir, 'random.nii');
    writeFileSync(p, rnd);
    await expect(loadNifti(p)).rejects.toThrow(MalformedFileError);
    await expect(loadNifti(p)).rejects.toThrow(/random\.nii: not a NIfTI file/);
    expect(() => parseNifti(new Uint8Array(0))).toThrow(MalformedFileError);
    // gzip magic followed by garbage
    expect(() => parseNifti(new Uint8Array([0x1f, 0x8b, 8, 0, 1, 2, 3]))).toThrow(/gzip/);
  });

  it('a header without the NIfTI magic (Analyze) is rejected', () => {
    const bytes = buildNifti({ dims: [2, 2, 2], datatype: 2, bitpix: 8, body: new Uint8Array(8) });
    bytes.fill(0, 344, 348);
    expect(() => parseNifti(bytes)).toThrow(/magic/);
  });
});

// ------------------------------------------------------------------------------------------------
// Writing
// ------------------------------------------------------------------------------------------------

const ALL: { dtype: NiftiDtype; make: (n: number) => NumericArray; lo: number; hi: number }[] = [
  { dtype: 'uint8', make: (n) => new Uint8Array(n), lo: 0, hi: 255 },
  { dtype: 'int8', make: (n) => new Int8Array(n), lo: -128, hi: 127 },
  { dtype: 'int16', make: (n) => new Int16Array(n), lo: -32768, hi: 32767 },
  { dtype: 'uint16', make: (n) => new Uint16Array(n), lo: 0, hi: 65535 },
  { dtype: 'int32', make: (n) => new Int32Array(n), lo: -2147483648, hi: 2147483647 },
  { dtype: 'uint32', make: (n) => new Uint32Array(n), lo: 0, hi: 4294967295 },
  { dtype: 'float32', make: (n) => new Float32Array(n), lo: -1e30, hi: 1e30 },
  { dtype: 'float64', make: (n) => new Float64Array(n), lo: -1e300, hi: 1e300 },
];

function filled(spec: (typeof ALL)[number], n: number): NumericArray {
  const a = spec.make(n);
  for (let i = 0; i < n; i++) {
    const t = ((i * 7919) % n) / (n - 1);
    a[i] = spec.dtype.startsWith('float') ? spec.lo + t * (spec.hi - spec.lo) + 0.123 : Math.round(spec.lo + t * (spec.hi - spec.lo));
  }
  a[0] = spec.lo;
  a[n - 1] = spec.hi;
  return a;
}

const testAffine = new Float64Array([0.9, -0.1, 0.05, -90.3, 0.1, 1.1, 0.02, 126.7, -0.03, 0.01, 2.5, -72.1, 0, 0, 0, 1]);

describe('saveNifti / loadNifti round trips', () => {
  for (const spec of ALL) {
    for (const ext of ['.nii', '.nii.gz']) {
      it(`${spec.dtype} ${ext}`, async () => {
        const shape = [5, 4, 3];
        const data = filled(spec, 60);
        const p = join(dir, `rt-${spec.dtype}${ext}`);
        await saveNifti(p, { data, shape }, testAffine);
        const raw = readFileSync(p);
        expect(raw[0] === 0x1f && raw[1] === 0x8b).toBe(ext === '.nii.gz');
        const vol = await loadNifti(p);
        expect(vol.header.dtype).toBe(spec.dtype);
        expect(vol.shape).toEqual(shape);
        expect(vol.data.constructor).toBe(data.constructor);
        expect(Array.from(vol.data)).toEqual(Array.from(data));
        expect(Array.from(vol.affine)).toEqual(Array.from(testAffine, f32));
        expect(vol.header.sformCode).toBe(1);
        expect(vol.header.qformCode).toBe(1);
        expect(vol.warnings).toEqual([]);
      });
    }
  }

  it('4D data, codes as given, qform reproduces an orthogonal affine', async () => {
    const data = filled(ALL[6], 2 * 3 * 4 * 5);
    const c = Math.cos(0.3), s = Math.sin(0.3);
    // rotation about z, zooms (2, 2.5, 3), a reflection of the last axis
    const A = new Float64Array([2 * c, -2.5 * s, 0, 10, 2 * s, 2.5 * c, 0, -20, 0, 0, -3, 30, 0, 0, 0, 1]);
    const p = join(dir, 'rt4d.nii');
    await saveNifti(p, { data, shape: [2, 3, 4, 5] }, A, { sformCode: 0, qformCode: 3, pixdimExtra: [2.2] });
    const vol = await loadNifti(p);
    expect(vol.shape).toEqual([2, 3, 4, 5]);
    expect(Array.from(vol.data)).toEqual(Array.from(data));
    expect(vol.header.qformCode).toBe(3);
    expect(vol.header.sformCode).toBe(0);
    expect(vol.header.pixdim[0]).toBe(-1);
    expect(vol.header.pixdim[4]).toBe(f32(2.2));
    for (let i = 0; i < 16; i++) expect(vol.affine[i]).toBeCloseTo(A[i], 5);
  });

  it('never overwrites unless asked, and leaves no temporary files', async () => {
    const sub = mkdtempSync(join(dir, 'ow-'));
    const p = join(sub, 'x.nii');
    await saveNifti(p, { data: new Uint8Array([1, 2]), shape: [2] }, null);
    await expect(saveNifti(p, { data: new Uint8Array([3, 4]), shape: [2] }, null)).rejects.toThrow(FileExistsError);
    expect(Array.from((await loadNifti(p)).data)).toEqual([1, 2]);
    await saveNifti(p, { data: new Uint8Array([5, 6]), shape: [2] }, null, { overwrite: true });
    expect(Array.from((await loadNifti(p)).data)).toEqual([5, 6]);
    expect(readdirSync(sub)).toEqual(['x.nii']);
  });

  it('rejects bad names, shapes and affines', async () => {
    const arr = { data: new Float32Array(8), shape: [2, 2, 2] };
    await expect(saveNifti(join(dir, 'bad.img'), arr, null)).rejects.toThrow(/\.nii or \.nii\.gz/);
    expect(() => serializeNifti({ data: new Float32Array(7), shape: [2, 2, 2] }, null)).toThrow(/needs 8/);
    expect(() => serializeNifti(arr, new Float64Array([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]))).toThrow(/zero column/);
    expect(() => serializeNifti(arr, new Float64Array([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 1, 1]))).toThrow(/last row/);
    expect(() => serializeNifti(arr, identityAffine, { sformCode: 7 })).toThrow(/sformCode/);
  });
});

// ------------------------------------------------------------------------------------------------
// Cross-checks with nibabel (skipped when /usr/bin/python3 cannot import nibabel)
// ------------------------------------------------------------------------------------------------

const PY = '/usr/bin/python3';
const hasNibabel = existsSync(PY) && spawnSync(PY, ['-c', 'import nibabel'], { stdio: 'ignore' }).status === 0;
if (!hasNibabel) console.warn('nifti.test.ts: nibabel not importable from /usr/bin/python3; skipping the nibabel cross-checks.');

function py(script: string, ...args: string[]): unknown {
  const r = spawnSync(PY, ['-c', script, ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`python failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

const PY_DESCRIBE = `
import sys, json, hashlib, numpy as np, nibabel as nib
out = []
for p in sys.argv[1:]:
    img = nib.load(p)
    d = np.asanyarray(img.dataobj)
    d = np.ascontiguousarray(d.astype(d.dtype.newbyteorder('<')))
    out.append(dict(shape=list(d.shape), dtype=str(d.dtype.name), sha=hashlib.sha256(d.tobytes()).hexdigest(),
                    affine=[float(x) for x in img.affine.ravel()],
                    sform=int(img.header['sform_code']), qform=int(img.header['qform_code'])))
print(json.dumps(out))
`;

function sha(a: NumericArray): string {
  return createHash('sha256').update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)).digest('hex');
}

interface PyDesc { shape: number[]; dtype: string; sha: string; affine: number[]; sform: number; qform: number }

describe.skipIf(!hasNibabel)('nibabel interoperability', () => {
  it('files written by diffeo read identically in nibabel (every dtype, .nii and .nii.gz)', async () => {
    const paths: string[] = [];
    const arrays: NumericArray[] = [];
    for (const spec of ALL) {
      for (const ext of ['.nii', '.nii.gz']) {
        const data = filled(spec, 7 * 6 * 5);
        const p = join(dir, `nib-${spec.dtype}${ext}`);
        await saveNifti(p, { data, shape: [7, 6, 5] }, testAffine, { sformCode: 2 });
        paths.push(p);
        arrays.push(data);
      }
    }
    const desc = py(PY_DESCRIBE, ...paths) as PyDesc[];
    desc.forEach((d, i) => {
      expect(d.shape).toEqual([7, 6, 5]);
      expect(d.dtype).toBe(ALL[i >> 1].dtype);
      expect(d.sha).toBe(sha(arrays[i]));
      expect(d.affine).toEqual(Array.from(testAffine, f32));
      expect(d.sform).toBe(2);
    });
  });

  it('nibabel qform of a diffeo file matches the affine (orthogonal case)', async () => {
    const c = Math.cos(0.7), s = Math.sin(0.7);
    const A = new Float64Array([1.5 * c, 0, 2 * s, 5, 0, -1.25, 0, 6, -1.5 * s, 0, 2 * c, 7, 0, 0, 0, 1]);
    const p = join(dir, 'nib-qform.nii');
    await saveNifti(p, { data: new Int16Array(24), shape: [2, 3, 4] }, A);
    const q = py(`
import sys, json, nibabel as nib
print(json.dumps([float(x) for x in nib.load(sys.argv[1]).header.get_qform().ravel()]))`, p) as number[];
    q.forEach((v, i) => expect(v).toBeCloseTo(A[i], 6));
  });

  it('files written by nibabel (scaling, big endian, qform-only, no xform, NIfTI-2) read like nibabel reads them', async () => {
    const paths = py(`
import sys, json, numpy as np, nibabel as nib
d = sys.argv[1]
rng = np.random.default_rng(3)
out = []
def save(img, name):
    p = d + '/' + name; nib.save(img, p); out.append(p)
aff = np.array([[-1.1, 0.2, 0.05, 90.1], [0.15, 1.3, -0.3, -126.2], [0.01, 0.25, 2.7, -72.3], [0, 0, 0, 1]])
a = (rng.random((9, 8, 7)) * 1000).astype(np.int16)
img = nib.Nifti1Image(a, aff); img.header.set_slope_inter(0.37, -12.5); save(img, 'py-scaled.nii.gz')
b = rng.random((6, 5, 4, 3)).astype('>f4')
img = nib.Nifti1Image(b, aff); save(img, 'py-be.nii')
img = nib.Nifti1Image(rng.random((5, 6, 7)).astype(np.float64), aff); img.set_sform(None, 0); img.set_qform(aff, 1); save(img, 'py-qform.nii')
h = nib.Nifti1Header(); h.set_data_shape((5, 6, 7)); h.set_data_dtype(np.uint8); h.set_zooms((1.5, 2.5, 3.5))
h['pixdim'][2] = -2.5; h['vox_offset'] = 352  # no sform/qform: base affine (after nibabel's |pixdim| fix)
p = d + '/py-base.nii'; open(p, 'wb').write(h.binaryblock + bytes(4) + rng.integers(0, 255, (5, 6, 7)).astype(np.uint8).tobytes('F')); out.append(p)
img = nib.Nifti2Image((rng.random((4, 5, 6)) * 100).astype(np.float32), aff); save(img, 'py-n2.nii.gz')
img = nib.Nifti1Image(rng.integers(-5, 5, (4, 3)).astype(np.int32), aff); save(img, 'py-2d.nii')
print(json.dumps(out))`, dir) as string[];
    const desc = py(PY_DESCRIBE, ...paths) as PyDesc[];
    for (let i = 0; i < paths.length; i++) {
      const vol = await loadNifti(paths[i]);
      expect(vol.shape, paths[i]).toEqual(desc[i].shape);
      expect(vol.data instanceof Float64Array ? 'float64' : vol.header.dtype, paths[i]).toBe(desc[i].dtype);
      expect(sha(vol.data), paths[i]).toBe(desc[i].sha);
      expect(Array.from(vol.affine), paths[i]).toEqual(desc[i].affine);
    }
  });

  it('random qform headers give the bit-identical affine (extended-precision quaternion maths)', () => {
    const cases = py(`
import json, numpy as np, nibabel as nib
rng = np.random.default_rng(11); out = []
for t in range(300):
    q = rng.normal(size=4); q /= np.linalg.norm(q)
    bcd = q[1:].astype(np.float32) * (1 if q[0] >= 0 else -1)
    vox = rng.uniform(0.2, 4, 3).astype(np.float32); qfac = float(rng.choice([-1, 1]))
    h = nib.Nifti1Header(); h['pixdim'][1:4] = vox; h['pixdim'][0] = qfac
    h['quatern_b'], h['quatern_c'], h['quatern_d'] = bcd; h['qform_code'] = 1
    out.append(dict(bcd=[float(v) for v in bcd], vox=[float(v) for v in vox], qfac=qfac, a=[float(v) for v in h.get_qform().ravel()]))
print(json.dumps(out))`) as { bcd: number[]; vox: number[]; qfac: number; a: number[] }[];
    for (const c of cases) {
      const vol = parseNifti(buildNifti({ dims: [1, 1, 1], datatype: 2, bitpix: 8, body: new Uint8Array(1), qformCode: 1, quatern: c.bcd as [number, number, number], pixdim: [c.qfac, ...c.vox] }));
      expect(Array.from(vol.affine)).toEqual(c.a);
    }
  });

  const system = [
    '/usr/lib/python3/dist-packages/nibabel/tests/data/example4d.nii.gz',
    '/usr/lib/python3/dist-packages/nibabel/tests/data/example_nifti2.nii.gz',
    '/usr/lib/python3/dist-packages/nibabel/tests/data/anatomical.nii',
    '/usr/lib/python3/dist-packages/nibabel/tests/data/standard.nii.gz',
    '/usr/lib/python3/dist-packages/dipy/data/files/S0_10slices.nii.gz',
  ].filter((p) => existsSync(p));
  it.skipIf(system.length === 0)('real files shipped with nibabel and DIPY read identically', async () => {
    const desc = py(PY_DESCRIBE, ...system) as PyDesc[];
    for (let i = 0; i < system.length; i++) {
      const vol = await loadNifti(system[i]);
      expect(vol.shape, system[i]).toEqual(desc[i].shape);
      expect(sha(vol.data), system[i]).toBe(desc[i].sha);
      expect(Array.from(vol.affine), system[i]).toEqual(desc[i].affine);
    }
  });
});

describe('gzip output is reproducible', () => {
  it('writes no time stamp in the gzip header (RFC 1952 MTIME, bytes 4..7, is zero)', () => {
    const bytes = serializeNifti({ data: new Float32Array([1, 2, 3, 4]), shape: [2, 2] }, [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]], { gzip: true });
    expect([bytes[0], bytes[1]]).toEqual([0x1f, 0x8b]);
    expect(Array.from(bytes.subarray(4, 8))).toEqual([0, 0, 0, 0]);
  });
});
