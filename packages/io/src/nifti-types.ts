/**
 * Public types of the NIfTI reader and writer: the header fields as nibabel sees them,
 * the volume returned by `loadNifti`/`parseNifti` (C-order data over `[nx, ny, nz, ...]`
 * voxels, a 4x4 grid-to-world affine in mm) and the options of both directions.
 */
import type * as niftijs from 'nifti-reader-js';
import type { NumericArray } from '@diffeo/core';

/** Voxel data types diffeo reads and writes (NIfTI datatype codes 2, 256, 4, 512, 8, 768, 16, 64). */
export type NiftiDtype = 'uint8' | 'int8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'float32' | 'float64';

/** The header fields of a NIfTI file, as nibabel sees them after its load-time fixes. */
export interface NiftiHeaderInfo {
  /** 1 for NIfTI-1 (348-byte header), 2 for NIfTI-2 (540-byte header). */
  readonly version: 1 | 2;
  /** Byte order of the file. */
  readonly littleEndian: boolean;
  /** NIfTI datatype code (for example 4 = int16, 16 = float32). */
  readonly datatype: number;
  /** The dtype of the stored voxels. */
  readonly dtype: NiftiDtype;
  /** `bitpix` as stored (not used to read the data). */
  readonly bitpix: number;
  /** `dim[0..7]`: `dim[0]` is the number of dimensions. */
  readonly dim: readonly number[];
  /** `pixdim[0..7]` after nibabel's fixes: `pixdim[0]` is qfac, `pixdim[1..3]` voxel sizes (mm), `pixdim[4]` TR. */
  readonly pixdim: readonly number[];
  /** Voxel sizes `pixdim[1..ndim]` (nibabel's `get_zooms()`). */
  readonly zooms: readonly number[];
  /** Byte offset of the voxel data. */
  readonly voxOffset: number;
  /** `scl_slope` as stored. */
  readonly sclSlope: number;
  /** `scl_inter` as stored. */
  readonly sclInter: number;
  /** `qform_code` (after fixes; 0 unknown, 1 scanner, 2 aligned, 3 Talairach, 4 MNI, 5 template). */
  readonly qformCode: number;
  /** `sform_code` (after fixes). */
  readonly sformCode: number;
  /** `quatern_b, quatern_c, quatern_d`. */
  readonly quatern: readonly [number, number, number];
  /** `qoffset_x, qoffset_y, qoffset_z` (world units). */
  readonly qoffset: readonly [number, number, number];
  /** `srow_x, srow_y, srow_z`, 12 numbers row-major (world units). */
  readonly srow: Float64Array;
  /** `xyzt_units` (spatial units in bits 0-2: 1 m, 2 mm, 3 µm; temporal in bits 3-5). */
  readonly xyztUnits: number;
  readonly dimInfo: number;
  readonly intentCode: number;
  readonly intentName: string;
  readonly sliceCode: number;
  readonly sliceStart: number;
  readonly sliceEnd: number;
  readonly sliceDuration: number;
  readonly toffset: number;
  readonly calMin: number;
  readonly calMax: number;
  /** `descrip`. */
  readonly description: string;
  readonly auxFile: string;
}

/** The "image" part of {@link loadNifti}'s result when `returnImg` is set (DIPY's `return_img`). */
export interface NiftiImage {
  /** The header object parsed by nifti-reader-js (raw values, before nibabel's fixes). */
  readonly rawHeader: niftijs.NIFTI1 | niftijs.NIFTI2;
  /** The stored (unscaled) voxels in the file's dtype, in nibabel array order (C order, shape = `shape`). */
  readonly unscaledData: NumericArray;
  /** The slope and intercept applied to produce `data`, or `null` when the data is unscaled. */
  readonly scaling: { readonly slope: number; readonly inter: number } | null;
}

/** A NIfTI volume as returned by {@link loadNifti} and {@link parseNifti}. */
export interface NiftiVolume {
  /**
   * Voxel values in C order over `shape` (nibabel array order: index `(i, j, k, ...)`,
   * last index fastest). The file's dtype, or `Float64Array` when scaling applies.
   */
  readonly data: NumericArray;
  /** `dim[1..dim[0]]`: `[nx, ny, nz, ...]` (voxels). */
  readonly shape: number[];
  /** Grid-to-world 4×4 affine, row-major (nibabel's `img.affine`); grid = `(i, j, k)` voxel indices, world = mm. */
  readonly affine: Float64Array;
  /** The header fields. */
  readonly header: NiftiHeaderInfo;
  /** Whether `scl_slope`/`scl_inter` were applied (then `data` is a `Float64Array`). */
  readonly scaled: boolean;
  /** Problems nibabel would have fixed (and that were fixed the same way) while reading the header. */
  readonly warnings: string[];
  /** Present when `returnImg: true` was passed. */
  readonly img?: NiftiImage;
}

/** Options of {@link loadNifti} and {@link parseNifti}. */
export interface LoadNiftiOptions {
  /** Also return the raw header and the unscaled data (DIPY's `return_img`). Default `false`. */
  returnImg?: boolean;
}

/** An array to write: C-order data over `shape` (nibabel order, `[nx, ny, nz, ...]`). */
export interface NiftiArrayInput {
  readonly data: NumericArray;
  readonly shape: readonly number[];
}

/** Options of {@link saveNifti} and {@link serializeNifti}. */
export interface SaveNiftiOptions {
  /** Replace an existing file. Default `false` (then an existing file raises {@link FileExistsError}). */
  overwrite?: boolean;
  /** `sform_code` to write (0..5). Default 1 (scanner). */
  sformCode?: number;
  /** `qform_code` to write (0..5). Default 1 (scanner). */
  qformCode?: number;
  /** `xyzt_units`. Default 2 (millimetres, no temporal unit). */
  xyztUnits?: number;
  /** `pixdim[4..7]` (for example the TR of a 4D series). Default 1 for each. */
  pixdimExtra?: readonly number[];
  /** `descrip` (at most 79 ASCII characters). Default `"diffeo"`. */
  description?: string;
  /** gzip the output. Default: from the file name (`.nii.gz` yes, `.nii` no); ignored by `saveNifti` unless the name agrees. */
  gzip?: boolean;
}
