/**
 * Before/after checks of `diffeo register` (issue 11 item 10).
 *
 * Foreground: the voxels of an image above `min + 0.1·(max − min)` (10 % of its intensity
 * range; a background near the minimum, as in MRI, is left out).
 * World-space overlap: the moving foreground is sampled (nearest neighbour) on the static
 * grid through the world, `moving grid ← moving world2grid · P · static grid2world` (P the
 * prealign, static world → moving world, mm; identity when none), and the overlap is the
 * fraction of the static foreground voxels it covers. Below {@link MIN_FOREGROUND_OVERLAP}
 * the pair most likely does not share a world space (wrong headers, a missing prealign).
 * Similarity: NCC (core's `ncc`) over the static foreground, of the static image against the
 * moving one sampled (linearly) on the static grid the same way: before registration, and
 * against the warped moving image after.
 */
import { invertAffine, mulAffine, ncc, transformAffine, type Affine, type NumericArray } from '@diffeo/core';
import type { InputImage } from './images.js';

/** Overlap (fraction of the static foreground) below which `register` warns. */
export const MIN_FOREGROUND_OVERLAP = 0.25;

/** The foreground mask (1/0 per voxel): values above min + 10 % of the range. */
export function foregroundMask(data: ArrayLike<number>): Uint8Array {
  let mn = Infinity, mx = -Infinity;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v < mn) mn = v;
    if (v > mx) mx = v;
  }
  const t = mn + 0.1 * (mx - mn);
  const m = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) m[i] = data[i] > t ? 1 : 0;
  return m;
}

/** What `register` reports before it starts. */
export interface PairCheck {
  /** Static foreground voxels. */
  readonly staticForeground: Uint8Array;
  /** Fraction (0..1) of the static foreground covered by the moving foreground in world space. */
  readonly overlap: number;
  /** NCC over the static foreground of the static image and the moving image on the static grid (prealign applied). */
  readonly nccBefore: number;
}

/** Checks a pair before registration (see the module documentation). */
export function checkPair(statik: InputImage, moving: InputImage, prealign: Affine | undefined): PairCheck {
  const toMovingGrid = mulAffine(mulAffine(invertAffine(moving.gridToWorld, `the affine of ${moving.path}`), prealign ?? null), statik.gridToWorld);
  const img = { data: moving.data as NumericArray, shape: moving.shape };
  const movingOnStatic = transformAffine(img, statik.shape, toMovingGrid, { interpolation: 'linear' }).data;
  const movingFg = transformAffine({ data: foregroundMask(moving.data), shape: moving.shape }, statik.shape, toMovingGrid, { interpolation: 'nearest' }).data;
  const staticForeground = foregroundMask(statik.data);
  let fg = 0, both = 0;
  for (let i = 0; i < staticForeground.length; i++) {
    if (!staticForeground[i]) continue;
    fg++;
    if (movingFg[i]) both++;
  }
  return { staticForeground, overlap: fg === 0 ? 0 : both / fg, nccBefore: ncc(statik.data, movingOnStatic, staticForeground) };
}
