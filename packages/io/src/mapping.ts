/**
 * Saving and loading a {@link DiffeomorphicMap} as one NIfTI-1 file in the layout of DIPY
 * 1.6's `write_mapping`, so DIPY's `read_mapping` reads it, with the exact map in a header
 * extension so diffeo reloads it bit for bit. DIPY's own `write_mapping` files, and diffeo's
 * older (version 1) files, are read too.
 *
 * ## File layout (format `diffeo.DiffeomorphicMap`, version 2)
 * One single-file NIfTI-1 image (`.nii.gz` by default, or `.nii`), little endian, float32:
 *
 * - **Voxels** (DIPY's layout): shape `(nx, ny, nz, 3, 2)` on the map's displacement grid;
 *   `data[i, j, k, :, 0]` is `map.forward` and `data[i, j, k, :, 1]` `map.backward` at voxel
 *   `(i, j, k)`. Component `c` is the displacement along **world** axis `c`, in world units
 *   (usually mm), as in DIPY. A 2D map (`[nx, ny]`, 2 components) is stored as one z slice,
 *   `(nx, ny, 1, 3, 2)`, with a zero z component (so DIPY, which reads 3D maps only, sees the
 *   equivalent one-slice 3D map).
 * - **Header affine** (sform and qform codes 1, float32 as NIfTI-1 stores it): the
 *   displacement grid's **world-to-grid** matrix, as DIPY writes it (DIPY writes the
 *   codomain's world-to-grid; for maps from SyN, DIPY's and ours, the displacement grid is the
 *   codomain grid, so the two are the same matrix; for other maps ours is the one DIPY's
 *   `read_mapping`, which inverts it into the displacement grid-to-world, needs). A 2D affine
 *   is embedded with an identity z row and column. No intent code (as DIPY's files);
 *   `intent_name` `"diffeo-mapping"`.
 * - **Metadata**: a NIfTI header extension with `ecode` 6 (comment, so nibabel shows it as
 *   text and other readers skip it) holding UTF-8 JSON, padded with spaces to a multiple of 16
 *   bytes: `format`, `version`, `dim`, `dispShape`, `dispGridToWorld`, `domainShape`,
 *   `domainGridToWorld`, `codomainShape`, `codomainGridToWorld`, `prealign`, `isInverse`.
 *   Shapes are arrays of integers (or `null`); affines are nested rows of float64 numbers
 *   (or `null` for DIPY's `None`, the identity) written with the shortest decimal that
 *   round-trips (`-0` written as `-0.0`), so `JSON.parse` and Python's `json.loads` recover
 *   every bit. The affines' inverses are recomputed on load, by the same code that computed
 *   them when the map was built. diffeo rebuilds the map from this metadata, never from the
 *   float32 header affine.
 *
 * ## Reading a diffeo file with DIPY 1.6
 * `read_mapping(path, domain_img, codomain_img, prealign=P)` with the images the map was made
 * with: for a SyN result (DIPY's or diffeo's), `domain_img` is the **moving** image and
 * `codomain_img` the **static** one (DIPY's SyN map has `is_inverse = True`, domain = moving,
 * codomain = static; `read_mapping` sets `is_inverse = True`). DIPY's files do not store the
 * prealign; pass the map's own `prealign` (from the metadata: `P = np.array(meta['prealign'])`,
 * `None` when null — for SyN it is the inverse of the prealign given to the registration).
 * `mapping.transform(moving)` then gives the same warp as diffeo's `map.transform`: bit for bit
 * in 3D when the affines' inverses are exact (our checks use dyadic oblique/anisotropic
 * grids); otherwise within the last bits, because DIPY inverts the (float32) header affine and
 * the images' affines with LAPACK. In 2D DIPY runs its 3D trilinear kernel on the one slice,
 * which differs from its own 2D bilinear kernel by an ulp (1.2e-7 on unit-range images).
 *
 * The exact map, in Python:
 *
 * ```python
 * img = nib.load(path); d = np.asanyarray(img.dataobj)
 * meta = json.loads([e for e in img.header.extensions if e.get_code() == 6][0].get_content())
 * A = lambda k: None if meta[k] is None else np.array(meta[k])
 * m = DiffeomorphicMap(meta['dim'], meta['dispShape'], A('dispGridToWorld'), meta['domainShape'],
 *                      A('domainGridToWorld'), meta['codomainShape'], A('codomainGridToWorld'), A('prealign'))
 * dim = meta['dim']; f = d[..., :dim, 0]; b = d[..., :dim, 1]
 * if dim == 2: f, b = f[:, :, 0], b[:, :, 0]
 * m.forward, m.backward = f.copy(), b.copy(); m.is_inverse = meta['isInverse']
 * ```
 *
 * ## Other files read
 * - DIPY's `write_mapping` files (no diffeo metadata, shape `(nx, ny, nz, 3, 2)`): as DIPY's
 *   `read_mapping` builds the map, so they need the domain and codomain grids (the images);
 *   displacement grid-to-world = inverse of the header affine, `isInverse = true`,
 *   prealign as given (DIPY's default `None`).
 * - diffeo version 1 files (shape `(nx, ny, nz, 2, d)`, vector intent 1007: index 0 of the
 *   fourth axis forward, 1 backward), restored exactly from their metadata.
 *
 * Why one file with an extension rather than NIfTI + JSON sidecar: one file is written
 * atomically (temporary file, then link/rename), cannot be separated from its metadata or
 * paired with a sidecar from another run, and serialises to one `Uint8Array` in browsers.
 *
 * Not stored: the kernel `context` (the loaded map uses the default context) and maps whose
 * two fields live on different grids (from `getSimplifiedTransform`), which are refused.
 */
import { writeFileAtomic } from './atomic.js';
import { nodeFs } from '#platform';
import { gzipSync } from 'fflate';
import { gunzip } from './gzip.js';
import { readWholeFile } from './nifti-read.js';
import {
  DiffeoError,
  DiffeomorphicMap,
  DtypeError,
  FileExistsError,
  InvalidArgumentError,
  MalformedFileError,
  invertAffine,
  toAffine,
  checkOptionKeys,
  type Affine,
  type AffineLike,
  type Dim,
} from '@diffeo/core';
import { parseNifti, serializeNifti } from './nifti.js';

/** The `format` value in the metadata of a mapping file. */
export const MAPPING_FORMAT = 'diffeo.DiffeomorphicMap';
/**
 * The metadata `version` written by {@link serializeMapping}: 2 = DIPY's `write_mapping`
 * layout `(nx, ny, nz, 3, 2)`. Version 1 files (`(nx, ny, nz, 2, d)`) are still read.
 */
export const MAPPING_FORMAT_VERSION = 2;
/** NIfTI `intent_code` of a version 1 mapping file: `NIFTI_INTENT_VECTOR` (version 2 files, as DIPY's, have none). */
export const MAPPING_INTENT_CODE = 1007;
/** NIfTI extension code of the metadata: `NIFTI_ECODE_COMMENT`. */
export const MAPPING_EXTENSION_CODE = 6;
const INTENT_NAME = 'diffeo-mapping';

/** Options of {@link serializeMapping}. */
export interface SerializeMappingOptions {
  /** gzip the bytes (a `.nii.gz` file). Default `true`. */
  gzip?: boolean;
}

/** Options of {@link saveMapping}. */
export interface SaveMappingOptions {
  /** Replace an existing file. Default `false` (then an existing file raises {@link FileExistsError}). */
  overwrite?: boolean;
}

/** The metadata stored in a mapping file's extension (the map without its fields). */
export interface MappingMetadata {
  readonly format: typeof MAPPING_FORMAT;
  readonly version: number;
  readonly dim: Dim;
  /** Displacement grid shape (voxels, array-axis order). */
  readonly dispShape: number[];
  /** Grid-to-world of the displacement grid, `(d+1)` rows of `(d+1)` numbers; `null` = identity. */
  readonly dispGridToWorld: number[][] | null;
  readonly domainShape: number[] | null;
  readonly domainGridToWorld: number[][] | null;
  readonly codomainShape: number[] | null;
  readonly codomainGridToWorld: number[][] | null;
  /** World-to-world prealign affine; `null` = identity. */
  readonly prealign: number[][] | null;
  readonly isInverse: boolean;
}

// ------------------------------------------------------------------------------------------------
// JSON with exact float64 numbers
// ------------------------------------------------------------------------------------------------

/** ECMAScript's `String(number)` is the shortest round-tripping decimal; only `-0` needs help. */
function jsonNumber(v: number): string {
  if (!Number.isFinite(v)) throw new InvalidArgumentError(`cannot store the non-finite number ${v} in a mapping file.`);
  return Object.is(v, -0) ? '-0.0' : String(v);
}

function toJson(value: unknown, indent: string): string {
  if (value === null) return 'null';
  if (typeof value === 'number') return jsonNumber(value);
  if (typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) {
    // Arrays of numbers on one line (a shape or an affine row); nested arrays one per line.
    if (value.every((v) => typeof v === 'number')) return `[${value.map(jsonNumber).join(', ')}]`;
    const inner = indent + '  ';
    return `[\n${value.map((v) => inner + toJson(v, inner)).join(',\n')}\n${indent}]`;
  }
  const inner = indent + '  ';
  const entries = Object.entries(value as Record<string, unknown>).map(([k, v]) => `${inner}${JSON.stringify(k)}: ${toJson(v, inner)}`);
  return `{\n${entries.join(',\n')}\n${indent}}`;
}

function affineRows(a: Affine, dim: Dim): number[][] | null {
  if (a === null) return null;
  const n = dim + 1;
  const rows: number[][] = [];
  for (let r = 0; r < n; r++) rows.push(Array.from(a.subarray(r * n, r * n + n)));
  return rows;
}

// ------------------------------------------------------------------------------------------------
// Writing
// ------------------------------------------------------------------------------------------------

function product(shape: readonly number[]): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}

/** A 4×4 header affine from a `(d+1)²` one (2D affines get an identity z row/column; `null` = identity). */
function headerAffine(a: Affine, dim: Dim): Float64Array {
  const out = new Float64Array([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
  if (a === null) return out;
  if (dim === 3) {
    out.set(a);
    return out;
  }
  // [[a b t0] [c d t1] [0 0 1]] -> [[a b 0 t0] [c d 0 t1] [0 0 1 0] [0 0 0 1]]
  out[0] = a[0]; out[1] = a[1]; out[3] = a[2];
  out[4] = a[3]; out[5] = a[4]; out[7] = a[5];
  return out;
}

/**
 * Encodes a map as the bytes of a mapping file (see the module notes for the layout).
 * Usable in browsers.
 *
 * @param map - a map with both fields set on its displacement grid (for example a SyN result).
 * @param options - `gzip` (default `true`: the bytes of a `.nii.gz` file).
 * @returns the file's bytes.
 * @throws InvalidArgumentError when `map` is not a `DiffeomorphicMap`, or its two fields are on
 *   different grids (a `getSimplifiedTransform` result); DiffeoError `NOT_READY` when a field is
 *   not set.
 */
export function serializeMapping(map: DiffeomorphicMap, options: SerializeMappingOptions = {}): Uint8Array {
  checkOptionKeys(options, ['gzip'], 'serializeMapping options');
  if (!(map instanceof DiffeomorphicMap)) {
    throw new InvalidArgumentError('serializeMapping needs a DiffeomorphicMap (for example the result of SymmetricDiffeomorphicRegistration.optimize).');
  }
  const dim = map.dim;
  const fwd = map.forward;
  const bwd = map.backward;
  if (fwd === null || bwd === null) {
    throw new DiffeoError('NOT_READY', `the map's ${fwd === null ? 'forward' : 'backward'} displacement field is not set; only a map with both fields can be saved (call allocate() or set the fields first).`);
  }
  const dispShape = Array.from(map.dispShape);
  for (const which of ['forward', 'backward'] as const) {
    const s = map.fieldShape(which);
    if (s.length !== dispShape.length || s.some((n, k) => n !== dispShape[k])) {
      throw new InvalidArgumentError(
        `the map's ${which} field is on grid [${s.join(', ')}], not on its displacement grid [${dispShape.join(', ')}]; maps from getSimplifiedTransform() cannot be saved — save the original map instead.`,
      );
    }
  }
  const meta: MappingMetadata = {
    format: MAPPING_FORMAT,
    version: MAPPING_FORMAT_VERSION,
    dim,
    dispShape,
    dispGridToWorld: affineRows(map.dispGridToWorld, dim),
    domainShape: map.domainShape === null ? null : Array.from(map.domainShape),
    domainGridToWorld: affineRows(map.domainGridToWorld, dim),
    codomainShape: map.codomainShape === null ? null : Array.from(map.codomainShape),
    codomainGridToWorld: affineRows(map.codomainGridToWorld, dim),
    prealign: affineRows(map.prealign, dim),
    isInverse: map.isInverse === true,
  };

  // Voxels, DIPY's write_mapping layout: C order over [nx, ny, nz, 3, 2], so per grid point
  // the pairs (forward_c, backward_c) for c = 0, 1, 2 (z = 0 for a 2D map).
  const n = product(dispShape);
  const data = new Float32Array(n * 6);
  for (let v = 0, src = 0, dst = 0; v < n; v++, src += dim, dst += 6) {
    for (let c = 0; c < dim; c++) {
      data[dst + 2 * c] = fwd[src + c];
      data[dst + 2 * c + 1] = bwd[src + c];
    }
  }
  const niiShape = dim === 3 ? [dispShape[0], dispShape[1], dispShape[2], 3, 2] : [dispShape[0], dispShape[1], 1, 3, 2];
  const plain = serializeNifti({ data, shape: niiShape }, headerAffine(map.dispWorldToGrid, dim), {
    description: `diffeo DiffeomorphicMap v${MAPPING_FORMAT_VERSION} (${dim}D)`,
    gzip: false,
  });

  // Insert the metadata extension between the header and the voxels (serializeNifti writes
  // none: extension flag 0, vox_offset 352).
  const json = new TextEncoder().encode(toJson(meta, ''));
  const esize = Math.ceil((8 + json.length) / 16) * 16;
  const ext = new Uint8Array(esize).fill(0x20); // space padding keeps the JSON parseable
  const ev = new DataView(ext.buffer);
  ev.setInt32(0, esize, true);
  ev.setInt32(4, MAPPING_EXTENSION_CODE, true);
  ext.set(json, 8);
  const out = new Uint8Array(plain.length + esize);
  out.set(plain.subarray(0, 348), 0);
  out[348] = 1; // extension flag
  out.set(ext, 352);
  out.set(plain.subarray(352), 352 + esize);
  const hv = new DataView(out.buffer);
  hv.setFloat32(108, 352 + esize, true); // vox_offset
  for (let i = 0; i < 16; i++) hv.setUint8(328 + i, i < INTENT_NAME.length ? INTENT_NAME.charCodeAt(i) : 0);
  // mtime 0: no time stamp in the gzip header, so the same map always gives the same bytes.
  return options.gzip === false ? out : gzipSync(out, { level: 6, mtime: 0 });
}

// ------------------------------------------------------------------------------------------------
// Reading
// ------------------------------------------------------------------------------------------------

function malformed(source: string, msg: string, cause?: unknown): never {
  throw new MalformedFileError(`${source}: ${msg}`, cause === undefined ? undefined : { cause });
}

function checkShape(v: unknown, dim: Dim, key: string, nullable: boolean, source: string): number[] | null {
  if (v === null && nullable) return null;
  if (!Array.isArray(v) || v.length !== dim || v.some((n) => typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1)) {
    malformed(source, `metadata "${key}" must be ${nullable ? 'null or ' : ''}an array of ${dim} positive integers; got ${JSON.stringify(v)}.`);
  }
  return v as number[];
}

function checkAffine(v: unknown, dim: Dim, key: string, source: string): number[][] | null {
  if (v === null) return null;
  const n = dim + 1;
  if (!Array.isArray(v) || v.length !== n || v.some((row) => !Array.isArray(row) || row.length !== n || row.some((x) => typeof x !== 'number' || !Number.isFinite(x)))) {
    malformed(source, `metadata "${key}" must be null or ${n} rows of ${n} finite numbers; got ${JSON.stringify(v)}.`);
  }
  return v as number[][];
}

/**
 * Finds and validates the diffeo metadata among the header extensions of decompressed NIfTI
 * bytes; `null` when there is none (a foreign file, for example DIPY's `write_mapping`).
 */
function readMetadata(u8: Uint8Array, version: 1 | 2, le: boolean, voxOffset: number, source: string): MappingMetadata | null {
  const flagAt = version === 1 ? 348 : 540;
  const view = new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
  const notMapping = `not a diffeo mapping file: it has no "${MAPPING_FORMAT}" metadata extension (mapping files are written by saveMapping of @diffeo/io, or diffeo register).`;
  if (u8.length < flagAt + 4 || u8[flagAt] === 0) return null;
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let raw: unknown = undefined;
  for (let pos = flagAt + 4; pos + 8 <= voxOffset;) {
    const esize = view.getInt32(pos, le);
    const ecode = view.getInt32(pos + 4, le);
    if (esize < 16 || esize % 16 !== 0 || pos + esize > voxOffset) {
      malformed(source, `corrupt NIfTI header extension at byte ${pos} (esize ${esize}, code ${ecode}; it must be a multiple of 16 that ends before the voxels at byte ${voxOffset}).`);
    }
    if (ecode === MAPPING_EXTENSION_CODE) {
      let text: string;
      try {
        text = decoder.decode(u8.subarray(pos + 8, pos + esize)).replace(/[\0\s]+$/, '');
      } catch (e) {
        malformed(source, `the comment extension at byte ${pos} is not valid UTF-8; the file is corrupt.`, e);
      }
      if (text.startsWith('{') && text.includes(`"${MAPPING_FORMAT}"`)) {
        try {
          raw = JSON.parse(text);
        } catch (e) {
          malformed(source, `the mapping metadata (JSON in the extension at byte ${pos}) does not parse: ${(e as Error).message}; the file is corrupt.`, e);
        }
        break;
      }
    }
    pos += esize;
  }
  if (raw === undefined) return null;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) malformed(source, 'the mapping metadata is not a JSON object.');
  const m = raw as Record<string, unknown>;
  if (m.format !== MAPPING_FORMAT) malformed(source, notMapping);
  if (m.version !== 1 && m.version !== 2) {
    malformed(source, `mapping format version ${JSON.stringify(m.version)} is not supported; this diffeo reads versions 1 and ${MAPPING_FORMAT_VERSION} (upgrade @diffeo/io).`);
  }
  const dim = m.dim;
  if (dim !== 2 && dim !== 3) malformed(source, `metadata "dim" must be 2 or 3; got ${JSON.stringify(dim)}.`);
  if (typeof m.isInverse !== 'boolean') malformed(source, `metadata "isInverse" must be true or false; got ${JSON.stringify(m.isInverse)}.`);
  return {
    format: MAPPING_FORMAT,
    version: m.version,
    dim,
    dispShape: checkShape(m.dispShape, dim, 'dispShape', false, source) as number[],
    dispGridToWorld: checkAffine(m.dispGridToWorld, dim, 'dispGridToWorld', source),
    domainShape: checkShape(m.domainShape, dim, 'domainShape', true, source),
    domainGridToWorld: checkAffine(m.domainGridToWorld, dim, 'domainGridToWorld', source),
    codomainShape: checkShape(m.codomainShape, dim, 'codomainShape', true, source),
    codomainGridToWorld: checkAffine(m.codomainGridToWorld, dim, 'codomainGridToWorld', source),
    prealign: checkAffine(m.prealign, dim, 'prealign', source),
    isInverse: m.isInverse,
  };
}

/**
 * A grid a DIPY mapping file needs from outside: an image's shape and grid-to-world (a
 * {@link Volume} or a loaded NIfTI image's `{ shape, gridToWorld }` works).
 */
export interface MappingGrid {
  /** Spatial shape in voxels: `[nx, ny, nz]` (extra trailing axes are ignored; `[nx, ny]` means `nz = 1`). */
  readonly shape: ArrayLike<number>;
  /** Grid-to-world (voxel index → world, mm), 4×4 (or 3×3 for a `[nx, ny]` grid); `null` = identity. */
  readonly gridToWorld: AffineLike | null;
}

/** Options of {@link parseMapping} and {@link loadMapping}: what a DIPY `write_mapping` file lacks. */
/** The keys {@link ParseMappingOptions} may have. */
const PARSE_MAPPING_OPTION_KEYS = ['domain', 'codomain', 'prealign'] as const;

export interface ParseMappingOptions {
  /**
   * The domain grid, as DIPY's `read_mapping(disp, domain_img, codomain_img)` takes it (for a
   * DIPY SyN result: the **moving** image). Needed for DIPY files; ignored for diffeo files,
   * which store it.
   */
  readonly domain?: MappingGrid;
  /** The codomain grid (for a DIPY SyN result: the **static** image). Needed for DIPY files; ignored for diffeo files. */
  readonly codomain?: MappingGrid;
  /** World-to-world prealign of a DIPY file's map (DIPY's `read_mapping(..., prealign=)`); default identity. Ignored for diffeo files. */
  readonly prealign?: AffineLike | null;
}

/** A DIPY `write_mapping` file was given without the domain or codomain grid it needs. */
export class MissingMappingGridsError extends InvalidArgumentError {
  constructor(message: string) {
    super(message);
    this.name = 'MissingMappingGridsError';
  }
}

/** A 3D grid from a {@link MappingGrid} (a 2D one is embedded as one z slice). */
function grid3(g: MappingGrid, what: string): { shape: number[]; gridToWorld: Affine } {
  const shape = Array.from(g.shape);
  if (shape.length < 2 || shape.some((n) => !Number.isSafeInteger(n) || n < 1)) {
    throw new InvalidArgumentError(`the ${what} grid's shape must be 2 or more positive integers (voxels); got [${shape.join(', ')}].`);
  }
  if (shape.length === 2) {
    const a = toAffine(g.gridToWorld ?? null, 2, `the ${what} grid-to-world`, true);
    return { shape: [shape[0], shape[1], 1], gridToWorld: headerAffine(a, 2) };
  }
  return { shape: shape.slice(0, 3), gridToWorld: toAffine(g.gridToWorld ?? null, 3, `the ${what} grid-to-world`, true) };
}

/** The map of a DIPY `write_mapping` file, built as DIPY 1.6's `read_mapping` builds it. */
function dipyMapping(vol: ReturnType<typeof parseNifti>, options: ParseMappingOptions, source: string): DiffeomorphicMap {
  const [nx, ny, nz] = vol.shape;
  if (options.domain === undefined || options.codomain === undefined) {
    throw new MissingMappingGridsError(
      `${source} is a DIPY write_mapping file (shape ${vol.shape.join('x')}, no diffeo metadata), which does not store the ${options.domain === undefined ? 'domain' : 'codomain'} grid. ` +
        'Pass the images the map was made with, as DIPY\'s read_mapping needs them: loadMapping(path, { domain, codomain }) or diffeo apply --domain IMAGE --codomain IMAGE ' +
        '(for a DIPY SyN result the domain is the moving image and the codomain the static one).',
    );
  }
  if (vol.header.dtype !== 'float32' || vol.scaled) {
    malformed(source, `a DIPY mapping file read by diffeo holds unscaled float32 voxels (DIPY's default); this one has ${vol.header.dtype}${vol.scaled ? ' scaled by scl_slope/scl_inter' : ''}.`);
  }
  const domain = grid3(options.domain, 'domain');
  const codomain = grid3(options.codomain, 'codomain');
  let map: DiffeomorphicMap;
  try {
    map = new DiffeomorphicMap<3>({
      dim: 3,
      dispShape: [nx, ny, nz],
      // DIPY: disp_grid2world = inv(header affine), the file's affine being a world-to-grid.
      dispGridToWorld: invertAffine(vol.affine, `${source}: the header affine`),
      domainShape: domain.shape,
      domainGridToWorld: domain.gridToWorld,
      codomainShape: codomain.shape,
      codomainGridToWorld: codomain.gridToWorld,
      prealign: options.prealign ?? null,
    });
  } catch (e) {
    if (e instanceof DiffeoError && !(e instanceof MalformedFileError)) throw e;
    malformed(source, `cannot build a map from this DIPY mapping file: ${(e as Error).message}`, e);
  }
  map.isInverse = true;
  const data = vol.data as Float32Array;
  const n = nx * ny * nz;
  const fwd = new Float32Array(n * 3);
  const bwd = new Float32Array(n * 3);
  for (let v = 0; v < n; v++) {
    for (let c = 0; c < 3; c++) {
      fwd[v * 3 + c] = data[(v * 3 + c) * 2];
      bwd[v * 3 + c] = data[(v * 3 + c) * 2 + 1];
    }
  }
  map.forward = fwd;
  map.backward = bwd;
  return map;
}

/**
 * Decodes the bytes of a mapping file (gzip-compressed or not): one written by
 * {@link serializeMapping} / {@link saveMapping} (format version 2, or the older version 1),
 * or one written by DIPY 1.6's `write_mapping` (then `options.domain` and `options.codomain`
 * are required, as for DIPY's `read_mapping`). Usable in browsers.
 *
 * @param bytes - the whole file.
 * @param source - a name for error messages (usually the path). Default `"mapping data"`.
 * @param options - the grids (and prealign) a DIPY file lacks; ignored for diffeo files.
 * @returns a new map (default kernel context). For a diffeo file its fields, shapes, affines,
 *   prealign and `isInverse` are bit-identical to the saved map's. For a DIPY file it is the
 *   map DIPY's `read_mapping` builds: 3D, displacement grid-to-world = inverse of the header
 *   affine, the given grids and prealign, `isInverse = true`.
 * @throws MissingMappingGridsError for a DIPY file without `domain`/`codomain`;
 *   MalformedFileError (message starting with `source`) for truncated or corrupt bytes, a
 *   NIfTI file that is not a mapping, a newer format version, or inconsistent metadata.
 */
export function parseMapping(bytes: Uint8Array | ArrayBuffer, source = 'mapping data', options: ParseMappingOptions = {}): DiffeomorphicMap {
  checkOptionKeys(options, PARSE_MAPPING_OPTION_KEYS, 'mapping read options');
  let u8 = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  if (u8.length >= 2 && u8[0] === 0x1f && u8[1] === 0x8b) {
    u8 = gunzip(u8, source); // CRC32 and size verified
  }
  let vol: ReturnType<typeof parseNifti>;
  try {
    vol = parseNifti(u8, {}, source);
  } catch (e) {
    if (e instanceof DtypeError) malformed(source, `not a diffeo mapping file: ${e.message}`, e);
    throw e;
  }
  const h = vol.header;
  const meta = readMetadata(u8, h.version, h.littleEndian, h.voxOffset, source);
  if (meta === null) {
    if (vol.shape.length === 5 && vol.shape[3] === 3 && vol.shape[4] === 2) return dipyMapping(vol, options, source);
    malformed(
      source,
      `not a mapping file: it has no "${MAPPING_FORMAT}" metadata extension and is not a DIPY write_mapping image of shape (nx, ny, nz, 3, 2) (its shape is ${vol.shape.join('x')}); mapping files are written by saveMapping of @diffeo/io, diffeo register, or DIPY's write_mapping.`,
    );
  }
  const dim = meta.dim;
  if (h.dtype !== 'float32' || vol.scaled) {
    malformed(source, `a mapping file holds unscaled float32 voxels; this one has ${h.dtype}${vol.scaled ? ` scaled by scl_slope/scl_inter` : ''}.`);
  }
  const ds = meta.dispShape;
  const nz = dim === 3 ? ds[2] : 1;
  const expected = meta.version === 1 ? [ds[0], ds[1], nz, 2, dim] : [ds[0], ds[1], nz, 3, 2];
  if (vol.shape.length !== 5 || vol.shape.some((n, k) => n !== expected[k])) {
    malformed(source, `the voxel array has shape (${vol.shape.join(', ')}) but the metadata describes a ${dim}D map on grid [${ds.join(', ')}], stored as (${expected.join(', ')}) in format version ${meta.version}.`);
  }
  let map: DiffeomorphicMap;
  try {
    map = new DiffeomorphicMap<Dim>({
      dim,
      dispShape: ds,
      dispGridToWorld: meta.dispGridToWorld,
      domainShape: meta.domainShape ?? ds,
      domainGridToWorld: meta.domainGridToWorld,
      codomainShape: meta.codomainShape ?? ds,
      codomainGridToWorld: meta.codomainGridToWorld,
      prealign: meta.prealign,
    });
  } catch (e) {
    malformed(source, `the mapping metadata is inconsistent: ${(e as Error).message}`, e);
  }
  if (meta.domainShape === null) map.domainShape = null;
  if (meta.codomainShape === null) map.codomainShape = null;
  map.isInverse = meta.isInverse;
  const data = vol.data as Float32Array;
  const n = product(ds);
  const fwd = new Float32Array(n * dim);
  const bwd = new Float32Array(n * dim);
  for (let v = 0; v < n; v++) {
    for (let c = 0; c < dim; c++) {
      if (meta.version === 1) {
        // [..., 2, d]: the d forward components, then the d backward ones.
        fwd[v * dim + c] = data[v * 2 * dim + c];
        bwd[v * dim + c] = data[v * 2 * dim + dim + c];
      } else {
        // [..., 3, 2]: (forward_c, backward_c) pairs.
        fwd[v * dim + c] = data[v * 6 + 2 * c];
        bwd[v * dim + c] = data[v * 6 + 2 * c + 1];
      }
    }
  }
  map.forward = fwd;
  map.backward = bwd;
  return map;
}

// ------------------------------------------------------------------------------------------------
// Files (Node.js)
// ------------------------------------------------------------------------------------------------

/**
 * The file a mapping path names: `pathOrPrefix` itself when it ends in `.nii` or `.nii.gz`,
 * otherwise `pathOrPrefix + ".nii.gz"` (so `"out/syn"` names `out/syn.nii.gz`).
 */
export function mappingFilePath(pathOrPrefix: string): string {
  const lower = pathOrPrefix.toLowerCase();
  return lower.endsWith('.nii') || lower.endsWith('.nii.gz') ? pathOrPrefix : `${pathOrPrefix}.nii.gz`;
}

/**
 * Saves a map to one NIfTI file (see the module notes for the layout): `path` itself when
 * it ends in `.nii` or `.nii.gz` (gzip for `.nii.gz`), otherwise `path + ".nii.gz"`.
 * The write is atomic: the bytes go to a temporary file in the same folder, which is then
 * hard-linked (or, with `overwrite`, renamed) onto the destination.
 *
 * ```ts
 * const map = await syn.optimize({ static, moving, staticGridToWorld, movingGridToWorld });
 * const file = await saveMapping('results/syn', map);   // writes results/syn.nii.gz
 * const again = await loadMapping(file);                 // same fields and affines, bit for bit
 * ```
 *
 * @returns the path of the written file.
 * @throws FileExistsError when the file exists and `overwrite` is not set; the errors of
 *   {@link serializeMapping}; Node.js file-system errors (for example a missing folder).
 */
export async function saveMapping(pathOrPrefix: string, map: DiffeomorphicMap, options: SaveMappingOptions = {}): Promise<string> {
  checkOptionKeys(options, ['overwrite'], 'saveMapping options');
  if (typeof pathOrPrefix !== 'string' || pathOrPrefix.length === 0) {
    throw new InvalidArgumentError('saveMapping needs a file path or prefix, for example "out/mapping" (writes out/mapping.nii.gz).');
  }
  const path = mappingFilePath(pathOrPrefix);
  const bytes = serializeMapping(map, { gzip: path.toLowerCase().endsWith('.gz') });
  await writeFileAtomic(path, bytes, { overwrite: options.overwrite === true });
  return path;
}

/**
 * Loads a map saved by {@link saveMapping} (or by an older diffeo), or written by DIPY's
 * `write_mapping` (then pass `domain` and `codomain`, as DIPY's `read_mapping` needs them).
 *
 * ```ts
 * const mine = await loadMapping('results/syn');                    // diffeo file: exact
 * const moving = await loadNifti('moving.nii.gz');
 * const statik = await loadNifti('static.nii.gz');
 * const dipys = await loadMapping('dipy_map.nii.gz', {               // DIPY file
 *   domain: { shape: moving.shape, gridToWorld: moving.affine },      // SyN: domain = moving
 *   codomain: { shape: statik.shape, gridToWorld: statik.affine },    //       codomain = static
 * });
 * ```
 *
 * @param pathOrBytes - a file path (Node.js): a `.nii`/`.nii.gz` file, or the prefix given to
 *   `saveMapping` (then `prefix.nii.gz`, else `prefix.nii`, is read); or the file's bytes.
 * @param options - the grids and prealign of a DIPY file (see {@link ParseMappingOptions}).
 * @returns the map (see {@link parseMapping}).
 * @throws MissingMappingGridsError for a DIPY file without the grids; MalformedFileError
 *   naming the file for truncated, corrupt or non-mapping files; Node.js file-system errors
 *   (for example `ENOENT`) when the file cannot be read.
 */
export async function loadMapping(pathOrBytes: string | Uint8Array | ArrayBuffer, options: ParseMappingOptions = {}): Promise<DiffeomorphicMap> {
  checkOptionKeys(options, PARSE_MAPPING_OPTION_KEYS, 'loadMapping options');
  if (typeof pathOrBytes !== 'string') return parseMapping(pathOrBytes, undefined, options);
  const fs = await nodeFs();
  let path = mappingFilePath(pathOrBytes);
  if (path !== pathOrBytes && !(await exists(fs, path)) && (await exists(fs, `${pathOrBytes}.nii`))) path = `${pathOrBytes}.nii`;
  return parseMapping(await readWholeFile(path), path, options);
}

async function exists(fs: typeof import('node:fs/promises'), p: string): Promise<boolean> {
  try {
    await fs.lstat(p);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}
