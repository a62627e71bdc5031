/**
 * NIfTI-1 / NIfTI-2 reading and NIfTI-1 writing, with the semantics of nibabel 5.0
 * (which is what DIPY 1.6's `load_nifti` / `save_nifti` use).
 *
 * ## Array order
 * A NIfTI file stores voxel `(i, j, k, ...)` with `i` varying fastest. nibabel returns
 * an array indexed `[i, j, k, ...]`; diffeo arrays are C order (last index fastest),
 * so a volume with `dim = (nx, ny, nz)` is returned with `shape = [nx, ny, nz]` and
 * `data[(i * ny + j) * nz + k]` is voxel `(i, j, k)`: the file's x-fastest layout
 * is transposed on read (and back on write). Index `(i, j, k)` is the grid frame
 * (voxels); the affine maps it to the world frame (scanner/aligned space, usually mm).
 *
 * ## Affine (grid to world), exactly as nibabel's `get_best_affine`
 * 1. `sform_code != 0`: the three `srow_*` rows (float32 in NIfTI-1, widened to double).
 * 2. else `qform_code != 0`: the quaternion form. With `(b, c, d)` from the header,
 *    `a = sqrt(1 − (b² + c² + d²))` (or 0 when the bracket is slightly negative; an
 *    error below −3·eps of the header float type), `R` = the rotation of the unit
 *    quaternion `(a, b, c, d)`, `M = R · diag(pixdim₁, pixdim₂, qfac·pixdim₃)`,
 *    translation `(qoffset_x, qoffset_y, qoffset_z)`, `qfac = pixdim₀`.
 *    nibabel evaluates this in NumPy's `longdouble`, which on x86-64 is the 80-bit
 *    x87 extended format (64-bit significand), and rounds the result to double.
 *    This package emulates that arithmetic exactly (`ext80.ts`), so the matrix
 *    is bit-identical to nibabel on x86-64 Linux.
 * 3. else the "base" affine from the shape and voxel sizes, centred on the volume:
 *    `diag(−p₁, p₂, p₃)` with translation `−(n_k − 1)/2 · zoom_k` (x flipped, as
 *    Analyze does); missing dimensions count as size 1, zoom 1.
 *
 * ## Header fixes nibabel applies on load (and so do we; listed in `warnings`)
 * zero `pixdim[1..3]` → 1; negative `pixdim[1..3]` → absolute value; `pixdim[0]`
 * (qfac) not ±1 → 1; `qform_code`/`sform_code` outside 0..5 → 0. `bitpix` is ignored
 * (the datatype decides the item size).
 *
 * Deliberate differences: a single-file header whose `vox_offset` is below 352 (544 for
 * NIfTI-2) is rejected — nibabel raises for 1..351 and, for 0, reads the header bytes
 * as voxels; `.hdr`/`.img` pairs and Analyze 7.5 files are not supported.
 *
 * ## Scaling (nibabel 5.0 rules)
 * `scl_slope`/`scl_inter` are taken as doubles. No scaling when the slope is 0 or not
 * finite, or when `(slope, inter) == (1, 0)`: the data keeps the file's dtype. Otherwise
 * the result is **float64** for every stored dtype (nibabel promotes the scale factors to
 * 1-element float64 arrays, so even float32 data becomes float64):
 * `value = stored * slope` (only when `slope != 1`) then `+ inter` (only when `inter != 0`),
 * in double. A valid slope with a non-finite intercept is an error (as in nibabel).
 *
 * ## Writing
 * NIfTI-1 single file (`.nii`, or gzip-compressed `.nii.gz`), data at byte 352,
 * little endian, datatype from the typed array. The sform rows are the affine's first
 * three rows rounded to float32 (so nibabel's `img.affine` reads back exactly
 * `float32(affine)`); the qform is the nearest rotation + zooms + qfac of the affine
 * (as nibabel's `set_qform`, shears stripped by polar decomposition); `pixdim[1..3]`
 * are the column norms of the affine's 3×3 block. Writes are atomic (temporary file
 * in the same folder, then rename) and never replace an existing file unless asked.
 *
 * Files: `nifti-types.ts` (public types), `nifti-read.ts`, `nifti-write.ts`,
 * `nifti-layout.ts` (datatypes, axis order), `nifti-qform.ts`, `ext80.ts`.
 */
export type {
  NiftiDtype,
  NiftiHeaderInfo,
  NiftiImage,
  NiftiVolume,
  LoadNiftiOptions,
  NiftiArrayInput,
  SaveNiftiOptions,
} from './nifti-types.js';
export { parseNifti, loadNifti } from './nifti-read.js';
export { serializeNifti, saveNifti } from './nifti-write.js';
