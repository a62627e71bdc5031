/**
 * NIfTI images as core `Volume`s: `{ data, shape, gridToWorld }` in C order over
 * `shape` (nibabel array order `[nx, ny, nz]`), `gridToWorld` mapping voxel
 * indices (grid frame) to world coordinates (mm).
 *
 * - 3D images: `gridToWorld` is the file's 4×4 affine (nibabel's `img.affine`).
 * - 2D images (`dim[0] = 2`, or 3D with one slice, `nz = 1`): a 2D Volume of shape
 *   `[nx, ny]` with the in-plane 3×3 affine — rows x, y and columns i, j plus the
 *   translation of the 4×4 affine (the slice axis dropped).
 * - 4D images: one volume `t` of the series (option `volume`; required when the
 *   image holds more than one), copied out of the interleaved `[nx, ny, nz, nt]` data.
 */
import { DimensionError, InvalidArgumentError, checkOptionKeys, type Dim, type NumericArray, type Volume } from '@diffeo/core';
import { loadNifti } from './nifti-read.js';
import type { NiftiVolume } from './nifti-types.js';

/** Options of {@link niftiToVolume} and {@link loadVolume}. */
export interface NiftiVolumeOptions {
  /** For a 4D image: which volume (0-based) to return. Required when the image holds more than one. */
  readonly volume?: number;
}

const VOLUME_OPTION_KEYS = ['volume'] as const;

/**
 * Converts a loaded NIfTI image (from `loadNifti`, or `parseNifti` for bytes in memory) to a core
 * `Volume` (see the module documentation for the 2D and 4D rules). The data array is
 * shared with `nii` for 2D and 3D images (not copied).
 *
 * @throws DimensionError for 1D or 5D+ images, or a 4D image with several volumes and no `volume`;
 *   InvalidArgumentError for a `volume` out of range, or unknown option keys.
 */
export function niftiToVolume(nii: NiftiVolume, options: NiftiVolumeOptions = {}): Volume {
  checkOptionKeys(options, VOLUME_OPTION_KEYS, 'niftiToVolume options');
  let data: NumericArray = nii.data;
  let shape = nii.shape.slice();
  if (shape.length === 4) {
    const nt = shape[3];
    const t = options.volume ?? (nt === 1 ? 0 : undefined);
    if (t === undefined) {
      throw new DimensionError(`The image is 4D with ${nt} volumes (${shape.join('×')}); choose one with the option volume (0 to ${nt - 1}).`);
    }
    if (!Number.isInteger(t) || t < 0 || t >= nt) {
      throw new InvalidArgumentError(`volume ${t} is out of range: the image has ${nt} volumes; pass an integer from 0 to ${nt - 1}.`);
    }
    const n = shape[0] * shape[1] * shape[2];
    const out = new (data.constructor as new (n: number) => NumericArray)(n);
    for (let v = 0; v < n; v++) out[v] = data[v * nt + t];
    data = out;
    shape = shape.slice(0, 3);
  } else if (options.volume !== undefined && options.volume !== 0) {
    throw new InvalidArgumentError(`volume ${options.volume} was given but the image is ${shape.length}D (one volume); omit the option or pass 0.`);
  }
  if (shape.length < 2 || shape.length > 3) {
    throw new DimensionError(`The image has ${nii.shape.length} dimensions (${nii.shape.join('×')}); a Volume is 2D or 3D (4D images: one volume at a time).`);
  }
  if (shape.length === 3 && shape[2] === 1) shape = shape.slice(0, 2);
  const a = nii.affine;
  const gridToWorld = shape.length === 3 ? a.slice() : new Float64Array([a[0], a[1], a[3], a[4], a[5], a[7], 0, 0, 1]);
  return { data, shape: shape as unknown as Volume<Dim>['shape'], gridToWorld };
}

/**
 * Reads a NIfTI file (path, in Node.js) or its bytes as a core `Volume`: {@link loadNifti}
 * then {@link niftiToVolume}. `loadNifti` stays the call for headers, scaling flags and warnings.
 *
 * @returns `{ data, shape, gridToWorld }`: C-order data over `[nx, ny(, nz)]`, grid-to-world in mm.
 * @throws as {@link loadNifti} and {@link niftiToVolume}.
 */
export async function loadVolume(pathOrBytes: string | Uint8Array | ArrayBuffer, options: NiftiVolumeOptions = {}): Promise<Volume> {
  checkOptionKeys(options, VOLUME_OPTION_KEYS, 'loadVolume options');
  return niftiToVolume(await loadNifti(pathOrBytes), options);
}

