/**
 * The page's inputs: NIfTI files the user opens or drops, and the built-in
 * circle-to-C sample, turned into registration images.
 *
 * Frames (the command line's rules, so a file registers the same way in both).
 * `parseNifti` of `@diffeo/io` returns `shape = [nx, ny, nz]` (nibabel's array order,
 * C order in memory) and the 4×4 grid-to-world affine (voxel index `(i, j, k)` → mm).
 * A 3D image registers in 3D with that affine. A 2D image — two dimensions, or three with
 * `nz = 1` — registers in 2D with the in-plane 3×3 affine: rows x, y and columns i, j
 * plus the translation of the 4×4. A 4D image with one volume is that volume; more
 * volumes are refused (the command line's `--vol-idx` picks one). The warped output is
 * written with the static file's own shape and 4×4 affine.
 */
import { parseNifti, serializeNifti } from '@diffeo/io';
import type { GridImage } from './protocol.js';

/** An image ready for the worker and the viewer. */
export interface InputImage {
  /** File name (or the sample's name), for messages and the viewer. */
  readonly name: string;
  /** 2 or 3. */
  readonly dim: 2 | 3;
  /** Float32 voxels, registration shape (`[nx, ny]` or `[nx, ny, nz]`) and grid-to-world (mm). */
  readonly image: GridImage;
  /** The shape to write an image on this grid with (the file's spatial shape, `[nx, ny, 1]` kept). */
  readonly fileShape: readonly number[];
  /** The file's 4×4 affine, row-major (mm). */
  readonly fileAffine: Float64Array;
  /** NIfTI bytes of the image for the viewer (the file itself for user files). */
  readonly nifti: Uint8Array;
}

/** The in-plane 3×3 grid-to-world of a 4×4 affine (rows x, y; columns i, j, translation). */
function inPlaneAffine(a: Float64Array): Float64Array {
  return new Float64Array([a[0], a[1], a[3], a[4], a[5], a[7], 0, 0, 1]);
}

/**
 * Parses a `.nii` / `.nii.gz` file (gzip detected from the bytes) into a registration
 * image following the module's 2D/3D rules.
 * @throws Error whose message names the file and says what is wrong with it.
 */
export function imageFromNifti(bytes: Uint8Array, name: string): InputImage {
  const nii = parseNifti(bytes, {}, name);
  let shape = nii.shape.slice();
  if (shape.length === 4) {
    if (shape[3] !== 1) {
      throw new Error(`${name} is 4D with ${shape[3]} volumes; the page registers 2D and 3D images: extract one volume (for example with the command line's --vol-idx) first`);
    }
    shape = shape.slice(0, 3); // a single volume: the same voxels in the same order
  }
  if (shape.length < 2 || shape.length > 3) {
    throw new Error(`${name} has ${nii.shape.length} dimension${nii.shape.length === 1 ? '' : 's'} (${nii.shape.join('×')}); the page registers 2D and 3D images`);
  }
  const fileShape = shape.slice();
  if (shape.length === 3 && shape[2] === 1) shape = shape.slice(0, 2);
  const dim = shape.length as 2 | 3;
  const data = nii.data instanceof Float32Array ? nii.data : Float32Array.from(nii.data as ArrayLike<number>);
  const gridToWorld = dim === 3 ? nii.affine.slice() : inPlaneAffine(nii.affine);
  return { name, dim, image: { data, shape, gridToWorld }, fileShape, fileAffine: nii.affine, nifti: bytes };
}

/** A 4×4 identity affine. */
function identity4(): Float64Array {
  return new Float64Array([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
}

/**
 * A 2D array (`[rows, cols]`, C order, no geometry: the identity grid-to-world, as DIPY's
 * example registers the `.npy` samples) as an input image; its viewer copy is a NIfTI of
 * shape `[rows, cols]` with the identity affine.
 */
export function imageFromArray(data: Float32Array, shape: readonly [number, number], name: string): InputImage {
  const fileAffine = identity4();
  const nifti = serializeNifti({ data, shape }, fileAffine, { gzip: false, description: name });
  return { name, dim: 2, image: { data, shape, gridToWorld: null }, fileShape: shape, fileAffine, nifti };
}

/** Whether a file name looks like NIfTI (`.nii` or `.nii.gz`, any case). */
export function isNiftiName(name: string): boolean {
  const lower = name.toLowerCase();
  return lower.endsWith('.nii') || lower.endsWith('.nii.gz');
}
