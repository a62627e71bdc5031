/**
 * Exporting a {@link DiffeomorphicMap} as ANTs/ITK transform files, the ones
 * `antsRegistration` writes and `antsApplyTransforms` reads:
 *
 * - `PREFIX0GenericAffine.mat` — the map's affine stage (its prealign), only when it has one:
 *   ITK's MATLAB transform file (MATLAB level-4 MAT file with two float64 column vectors:
 *   `AffineTransform_double_D_D` = the D×D matrix row by row then the translation, and
 *   `fixed` = the centre, here 0), so `y = M·x + t` in **LPS** millimetres.
 * - `PREFIX1Warp.nii.gz` / `PREFIX1InverseWarp.nii.gz` — displacement fields on the map's
 *   displacement grid: float32 NIfTI-1, `intent_code` 1007 (vector), ITK's 5D layout
 *   `(nx, ny, nz, 1, D)` (a 2D map: `(nx, ny, 1, 1, 2)`), the header affine the grid's
 *   grid-to-world (RAS, as every NIfTI; ITK converts it to LPS on reading), each vector the
 *   displacement in **LPS** mm: `(-u_x, -u_y, u_z)` of diffeo's world (RAS) displacement.
 *
 * Frames. diffeo's world is the NIfTI world (RAS+ mm); ITK's physical space is LPS, the same
 * points with x and y negated: with `F = diag(-1, -1, 1)`, an affine `A` becomes `F·A·F` and a
 * displacement `u` becomes `F·u`.
 *
 * Order. For a point `x` of the output grid, antsApplyTransforms applies its `-t` list first to
 * last. diffeo's `map.transform` (moving image onto the static grid, for a SyN result with
 * `isInverse = true`) samples at `inv(prealign)·(x + backward(x))`: the warp, then the affine,
 * i.e. `-t PREFIX1Warp.nii.gz -t PREFIX0GenericAffine.mat` (ANTs' usual order), with
 * `1Warp` = the backward field and the `.mat` = `map.prealignInv`. `map.transformInverse`
 * samples at `z + forward(z)`, `z = prealign·y`: `-t [PREFIX0GenericAffine.mat,1]
 * -t PREFIX1InverseWarp.nii.gz`. (For a map with `isInverse = false` the roles swap: `1Warp`
 * holds `forward`, the `.mat` `prealign`, and the affine comes first.) The returned
 * `forwardTransforms` / `inverseTransforms` lists give the exact `-t` arguments.
 *
 * Why a hand-written `.mat` writer: the format is two MATLAB v4 matrices (20-byte header,
 * name, float64 data), which ITK 5.2 reads (checked in the tests with ITK itself);
 * `@itk-wasm/transform-io` (0.1.x, on a beta itk-wasm runtime) would add a WebAssembly
 * runtime and several megabytes for those few bytes.
 */
import { gzipSync } from 'fflate';
import { DiffeoError, DiffeomorphicMap, FileExistsError, InvalidArgumentError, type Affine, type Dim } from '@diffeo/core';
import { writeFileAtomic } from './atomic.js';
import { nodeFs } from '#platform';
import { serializeNifti } from './nifti.js';

/** Files written by {@link saveAntsTransforms}, and how to apply them with antsApplyTransforms. */
export interface AntsTransformFiles {
  /** `PREFIX0GenericAffine.mat`, or `null` when the map has no prealign (identity). */
  readonly affine: string | null;
  /** `PREFIX1Warp.nii.gz`: the displacement field of the moving → static-grid warp. */
  readonly warp: string;
  /** `PREFIX1InverseWarp.nii.gz`: the displacement field of the inverse warp. */
  readonly inverseWarp: string;
  /**
   * The `-t` arguments, in order, for `antsApplyTransforms -i MOVING -r STATIC`: the same warp as
   * `map.transform` (for a SyN result: `[warp, affine]`).
   */
  readonly forwardTransforms: string[];
  /** The `-t` arguments for `-i STATIC -r MOVING`: the warp of `map.transformInverse` (for SyN: `["[affine,1]", inverseWarp]`). */
  readonly inverseTransforms: string[];
}

/** Options of {@link saveAntsTransforms}. */
export interface SaveAntsTransformsOptions {
  /** Replace existing files. Default `false`: any existing output raises {@link FileExistsError} before anything is written. */
  overwrite?: boolean;
}

/** `F·A·F` with `F = diag(-1, -1, 1)` (3D) or `diag(-1, -1)` (2D): an affine from RAS to LPS world coordinates. */
export function affineRasToLps(a: Float64Array, dim: Dim): Float64Array {
  const n = dim + 1;
  const sign = (k: number) => (k < 2 ? -1 : 1); // homogeneous row/column has sign +1
  const out = new Float64Array(n * n);
  for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) out[r * n + c] = sign(r) * sign(c) * a[r * n + c];
  return out;
}

/** One MATLAB level-4 matrix: header (type 0 = little-endian float64 full, rows, cols, imag 0, name length), name, column-major data. */
function matV4(name: string, values: ArrayLike<number>): Uint8Array {
  const nameBytes = new TextEncoder().encode(`${name}\0`);
  const out = new Uint8Array(20 + nameBytes.length + 8 * values.length);
  const v = new DataView(out.buffer);
  v.setInt32(0, 0, true);
  v.setInt32(4, values.length, true); // rows: a column vector
  v.setInt32(8, 1, true);
  v.setInt32(12, 0, true);
  v.setInt32(16, nameBytes.length, true);
  out.set(nameBytes, 20);
  const at = 20 + nameBytes.length;
  for (let i = 0; i < values.length; i++) v.setFloat64(at + 8 * i, values[i], true);
  return out;
}

/**
 * The bytes of an ITK MATLAB transform file (`.mat`, as antsRegistration's
 * `0GenericAffine.mat`) for the world affine `affine` (RAS, `(d+1)²` row-major, mapping points
 * of the output/fixed space to the input/moving space), converted to ITK's LPS frame.
 *
 * @param affine - `(d+1)×(d+1)` row-major world-to-world affine (RAS mm).
 * @param dim - 2 or 3.
 * @returns the file's bytes: `AffineTransform_double_D_D` (D² matrix entries row by row, then D
 *   translations) and `fixed` (D zeros, the centre of rotation).
 * @throws InvalidArgumentError when `affine` does not have `(d+1)²` finite entries or its last row is not `0 … 0 1`.
 */
export function serializeItkAffine(affine: ArrayLike<number>, dim: Dim): Uint8Array {
  const n = dim + 1;
  if (affine.length !== n * n || Array.from(affine).some((x) => !Number.isFinite(x))) {
    throw new InvalidArgumentError(`an ITK affine for ${dim}D needs ${n * n} finite numbers (a ${n}x${n} row-major matrix); got ${affine.length}.`);
  }
  for (let c = 0; c < n; c++) {
    if (affine[dim * n + c] !== (c === dim ? 1 : 0)) {
      throw new InvalidArgumentError(`the affine's last row must be [${Array.from({ length: n }, (_, c2) => (c2 === dim ? 1 : 0)).join(', ')}] (a homogeneous matrix); got [${Array.from(affine).slice(dim * n).join(', ')}].`);
    }
  }
  const lps = affineRasToLps(Float64Array.from(affine), dim);
  const params: number[] = [];
  for (let r = 0; r < dim; r++) for (let c = 0; c < dim; c++) params.push(lps[r * n + c]);
  for (let r = 0; r < dim; r++) params.push(lps[r * n + dim]);
  const a = matV4(`AffineTransform_double_${dim}_${dim}`, params);
  const b = matV4('fixed', new Float64Array(dim));
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** 4×4 header affine of a `(d+1)²` grid-to-world (`null` = identity; 2D embedded with identity z). */
function header4(a: Affine, dim: Dim): Float64Array {
  const out = new Float64Array([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
  if (a === null) return out;
  if (dim === 3) out.set(a);
  else {
    out[0] = a[0]; out[1] = a[1]; out[3] = a[2];
    out[4] = a[3]; out[5] = a[4]; out[7] = a[5];
  }
  return out;
}

/**
 * The bytes of an ANTs/ITK displacement-field file (`.nii.gz`, as antsRegistration's
 * `1Warp.nii.gz`) for a diffeo displacement field.
 *
 * @param field - C-order `[...shape, d]` displacements along the world (RAS) axes, mm.
 * @param shape - the field's grid, `[nx, ny, nz]` or `[nx, ny]` (voxels).
 * @param gridToWorld - the grid's grid-to-world (RAS mm), `(d+1)²` row-major; `null` = identity.
 * @param options - `gzip` (default `true`).
 * @returns float32 NIfTI-1 bytes, shape `(nx, ny, nz, 1, d)` (2D: `(nx, ny, 1, 1, 2)`), vector
 *   intent, vectors in LPS (`x` and `y` negated).
 */
export function serializeAntsWarp(field: Float32Array, shape: readonly number[], gridToWorld: Affine, options: { gzip?: boolean } = {}): Uint8Array {
  const dim = shape.length as Dim;
  if (dim !== 2 && dim !== 3) throw new InvalidArgumentError(`an ANTs warp needs a 2D or 3D grid; got shape [${shape.join(', ')}].`);
  const n = shape.reduce((a, b) => a * b, 1);
  if (field.length !== n * dim) {
    throw new InvalidArgumentError(`the field has ${field.length} numbers; a ${dim}D field on [${shape.join(', ')}] has ${n * dim}.`);
  }
  const data = new Float32Array(field.length);
  for (let v = 0; v < n; v++) {
    for (let c = 0; c < dim; c++) data[v * dim + c] = c < 2 ? -field[v * dim + c] : field[v * dim + c];
  }
  const niiShape = [shape[0], shape[1], dim === 3 ? shape[2] : 1, 1, dim];
  const bytes = serializeNifti({ data, shape: niiShape }, header4(gridToWorld, dim), { description: 'diffeo ANTs displacement field (LPS)', gzip: false });
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  view.setInt16(68, 1007, true); // intent_code NIFTI_INTENT_VECTOR
  return options.gzip === false ? bytes : gzipSync(bytes, { level: 6 });
}

/**
 * Writes a map as ANTs/ITK transforms (see the module notes): `PREFIX0GenericAffine.mat`
 * (when the map has a prealign), `PREFIX1Warp.nii.gz` and `PREFIX1InverseWarp.nii.gz`.
 * Each file is written atomically; with `overwrite` unset, nothing is written if any exists.
 *
 * ```ts
 * const files = await saveAntsTransforms('out/syn_', map);
 * // antsApplyTransforms -d 3 -i moving.nii.gz -r static.nii.gz -o warped.nii.gz \
 * //   ${files.forwardTransforms.map((t) => `-t ${t}`).join(' ')}
 * ```
 *
 * @param prefix - file-name prefix, as antsRegistration's `-o PREFIX` (for example `"out/syn_"`).
 * @param map - a map with both fields on its displacement grid (for example a SyN result).
 * @returns the written paths and the `-t` lists of both directions.
 * @throws InvalidArgumentError for a bad prefix or a map whose fields are not on its
 *   displacement grid; DiffeoError `NOT_READY` when a field is not set; FileExistsError.
 */
export async function saveAntsTransforms(prefix: string, map: DiffeomorphicMap, options: SaveAntsTransformsOptions = {}): Promise<AntsTransformFiles> {
  if (typeof prefix !== 'string' || prefix.length === 0) {
    throw new InvalidArgumentError('saveAntsTransforms needs a file prefix, for example "out/syn_" (writes out/syn_1Warp.nii.gz, ...).');
  }
  if (!(map instanceof DiffeomorphicMap)) throw new InvalidArgumentError('saveAntsTransforms needs a DiffeomorphicMap.');
  const dim = map.dim;
  const fwd = map.forward;
  const bwd = map.backward;
  if (fwd === null || bwd === null) {
    throw new DiffeoError('NOT_READY', `the map's ${fwd === null ? 'forward' : 'backward'} displacement field is not set; only a map with both fields can be exported.`);
  }
  const shape = Array.from(map.dispShape);
  for (const which of ['forward', 'backward'] as const) {
    const s = map.fieldShape(which);
    if (s.length !== shape.length || s.some((k, i) => k !== shape[i])) {
      throw new InvalidArgumentError(`the map's ${which} field is on grid [${s.join(', ')}], not on its displacement grid [${shape.join(', ')}]; export the original map, not a getSimplifiedTransform() result.`);
    }
  }
  // transform(): isInverse → inv(prealign)·(x + backward(x)); else z + forward(z), z = prealign·x.
  const inv = map.isInverse === true;
  const affineMatrix = inv ? map.prealignInv : map.prealign;
  const warpField = inv ? bwd : fwd;
  const inverseField = inv ? fwd : bwd;
  const affinePath = affineMatrix === null ? null : `${prefix}0GenericAffine.mat`;
  const warpPath = `${prefix}1Warp.nii.gz`;
  const inversePath = `${prefix}1InverseWarp.nii.gz`;
  const outputs: Array<[string, Uint8Array]> = [
    [warpPath, serializeAntsWarp(warpField, shape, map.dispGridToWorld)],
    [inversePath, serializeAntsWarp(inverseField, shape, map.dispGridToWorld)],
  ];
  if (affinePath !== null) outputs.unshift([affinePath, serializeItkAffine(affineMatrix!, dim)]);
  if (options.overwrite !== true) {
    const fs = await nodeFs();
    for (const [p] of outputs) {
      const there = await fs.lstat(p).then(() => true, (e: NodeJS.ErrnoException) => {
        if (e.code === 'ENOENT') return false;
        throw e;
      });
      if (there) throw new FileExistsError(`${p} already exists; pass overwrite: true (diffeo register --force) to replace it.`);
    }
  }
  for (const [p, bytes] of outputs) await writeFileAtomic(p, bytes, { overwrite: options.overwrite === true });
  const forwardTransforms = affinePath === null ? [warpPath] : inv ? [warpPath, affinePath] : [affinePath, warpPath];
  const inverseTransforms = affinePath === null ? [inversePath] : inv ? [`[${affinePath},1]`, inversePath] : [inversePath, `[${affinePath},1]`];
  return { affine: affinePath, warp: warpPath, inverseWarp: inversePath, forwardTransforms, inverseTransforms };
}
