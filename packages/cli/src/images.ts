/**
 * NIfTI inputs and outputs of the `diffeo` command line, and their geometry.
 *
 * Frames. A NIfTI volume loaded by `loadNifti` has shape `[nx, ny, nz]` (nibabel's array
 * order, C order in memory) and a 4×4 grid-to-world affine from voxel index `(i, j, k)`
 * to world coordinates (mm); that affine is passed to SyN as the image's grid-to-world.
 *
 * 2D images. A NIfTI image with two dimensions, or three with `nz = 1`, is registered in
 * 2D: its grid-to-world is the 3×3 affine made of rows x, y and columns i, j (plus the
 * translation) of the 4×4 — the in-plane part of the slice's geometry. Outputs of a 2D
 * registration are written with the static image's own shape and 4×4 affine.
 *
 * 4D images. One volume `[..., t]` is taken, chosen with `--vol-idx` (a single-volume 4D
 * image needs none).
 */
import { existsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { toAffine, type Dim, type NumericArray } from '@diffeo/core';
import { loadNifti } from '@diffeo/io';

/** A user-facing failure: a one-line message and the process exit status. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = 'CliError';
  }
}

/** An input image ready for registration or warping. */
export interface InputImage {
  /** The path it was read from. */
  readonly path: string;
  /** 2 or 3. */
  readonly dim: Dim;
  /** C-order voxels over `shape`, in the file's dtype (float64 when scaled). */
  readonly data: NumericArray;
  /** Spatial shape: `[nx, ny]` or `[nx, ny, nz]` (voxels). */
  readonly shape: number[];
  /** Grid-to-world, `(dim+1)²` row-major (voxel index → mm). */
  readonly gridToWorld: Float64Array;
  /** The shape to write an image on this grid with (the file's spatial shape, `[nx, ny, 1]` kept). */
  readonly fileShape: number[];
  /** The file's 4×4 affine. */
  readonly fileAffine: Float64Array;
}

/** `vol[..., t]` of a C-ordered 4D array, keeping its dtype. */
function volumeAt(data: NumericArray, shape: readonly number[], t: number): NumericArray {
  const [n0, n1, n2, n3] = shape;
  const n = n0 * n1 * n2;
  const out = new (data.constructor as new (n: number) => NumericArray)(n);
  for (let v = 0; v < n; v++) out[v] = data[v * n3 + t];
  return out;
}

/** The in-plane 3×3 grid-to-world of a 4×4 affine (rows x, y; columns i, j, translation). */
export function inPlaneAffine(a: Float64Array): Float64Array {
  return new Float64Array([a[0], a[1], a[3], a[4], a[5], a[7], 0, 0, 1]);
}

/** A 4×4 affine for writing a grid whose grid-to-world is `g2w` (`null` = identity; 3×3 embedded with an identity z). */
export function toNiftiAffine(g2w: Float64Array | null, dim: Dim): Float64Array {
  const out = new Float64Array([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
  if (g2w === null) return out;
  if (dim === 3) out.set(g2w);
  else {
    out[0] = g2w[0]; out[1] = g2w[1]; out[3] = g2w[2];
    out[4] = g2w[3]; out[5] = g2w[4]; out[7] = g2w[5];
  }
  return out;
}

function describeError(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Loads a 2D, 3D or 4D NIfTI image for the command line.
 * @param role - the option it came from (for messages), for example `"--static"`.
 * @param volIdx - the volume of a 4D image (required when it has more than one).
 * @throws CliError with a one-line message.
 */
export async function loadInput(path: string, role: string, volIdx: number | undefined): Promise<InputImage> {
  let nii: Awaited<ReturnType<typeof loadNifti>>;
  try {
    nii = await loadNifti(path);
  } catch (e) {
    const code = (e as { systemCode?: string }).systemCode ?? (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new CliError(`${role} ${path}: no such file`);
    if (code === 'EISDIR') throw new CliError(`${role} ${path}: is a folder, not a NIfTI file`);
    const msg = describeError(e);
    throw new CliError(msg.startsWith(path) ? `${role} ${msg}` : `${role} ${path}: ${msg}`);
  }
  let data = nii.data;
  let shape = nii.shape.slice();
  if (shape.length === 4) {
    const nt = shape[3];
    if (volIdx === undefined && nt !== 1) {
      throw new CliError(`${role} ${path} is 4D with ${nt} volumes; choose one with --vol-idx (0 to ${nt - 1})`);
    }
    const t = volIdx ?? 0;
    if (t >= nt) throw new CliError(`--vol-idx ${t} is out of range: ${role} ${path} has ${nt} volumes (0 to ${nt - 1})`);
    data = volumeAt(data, shape, t);
    shape = shape.slice(0, 3);
  }
  if (shape.length < 2 || shape.length > 3) {
    throw new CliError(`${role} ${path} has ${nii.shape.length} dimensions (${nii.shape.join('x')}); diffeo registers 2D and 3D images (4D with --vol-idx)`);
  }
  const fileShape = shape.slice();
  const fileAffine = nii.affine;
  if (shape.length === 3 && shape[2] === 1) shape = shape.slice(0, 2);
  const dim = shape.length as Dim;
  const gridToWorld = dim === 3 ? fileAffine.slice() : inPlaneAffine(fileAffine);
  // A singular (or non-affine) header matrix is named with its file here, not later as
  // "staticGridToWorld" or "the affine of ...".
  try {
    toAffine(gridToWorld, dim, 'its header affine (sform/qform)', true);
  } catch (e) {
    const hint = e instanceof Error && /singular/.test(e.message) ? '; fix the sform/qform of the file (for example with nibabel), the voxel sizes must be non-zero' : '';
    throw new CliError(`${role} ${path}: ${describeError(e)}${hint}`);
  }
  return { path, dim, data, shape, gridToWorld, fileShape, fileAffine };
}

/**
 * Checks, before any work, that an output file can be written: a NIfTI name, an existing
 * folder, and no existing file unless `force`.
 * @throws CliError
 */
export function checkOutput(path: string, option: string, force: boolean): void {
  const lower = path.toLowerCase();
  if (!lower.endsWith('.nii') && !lower.endsWith('.nii.gz')) {
    throw new CliError(`${option} ${path}: the file name must end in .nii or .nii.gz`, 2);
  }
  const dir = dirname(path);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new CliError(`${option} ${path}: the folder ${dir} does not exist`);
  if (existsSync(path)) {
    if (!force) throw new CliError(`${option} ${path} already exists; pass --force to overwrite it`);
    if (statSync(path).isDirectory()) throw new CliError(`${option} ${path} is a folder`);
  }
}
