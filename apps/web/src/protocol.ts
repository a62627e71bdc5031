/**
 * Messages between the page (`main.ts`) and the registration worker (`worker.ts`).
 *
 * Images are plain `{ data, shape, gridToWorld }` objects: float32 voxels in C order
 * over `shape` (nibabel's array order, `[nx, ny]` or `[nx, ny, nz]`, voxels) and a
 * grid-to-world affine (voxel index → world, mm; `(d+1)²` row-major, `null` = identity).
 * Their buffers are transferred, not copied.
 *
 * Every message carries the `runId` of the registration it belongs to: the page starts
 * a run with a fresh id and ignores messages of any other run (a late progress message
 * of a cancelled run, for example); `cancel` names the run to stop.
 */

/** A 2D or 3D float32 image on its grid, C order, `data.length = prod(shape)`. */
export interface GridImage {
  readonly data: Float32Array;
  /** `[nx, ny]` (2D) or `[nx, ny, nz]` (3D), voxels. */
  readonly shape: readonly number[];
  /** Grid-to-world, `(d+1)²` row-major (voxel → mm); `null` = identity. */
  readonly gridToWorld: Float64Array | null;
}

/** An 8-bit RGBA raster (the layout of DOM `ImageData`). */
export interface Rgba {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8ClampedArray;
}

/** The similarity metric and its parameters. */
export type MetricChoice =
  /** Local cross-correlation, window radius in voxels (DIPY's `CCMetric(dim, radius=...)`). */
  | { readonly name: 'cc'; readonly radius: number }
  /** Sum of squared differences, demons steps (DIPY's `SSDMetric(dim)`). */
  | { readonly name: 'ssd' };

/** Page → worker. */
export type ToWorker =
  | {
      readonly type: 'register';
      readonly runId: number;
      readonly static: GridImage;
      readonly moving: GridImage;
      readonly metric: MetricChoice;
      /** Iterations per pyramid level, coarsest first. */
      readonly levelIters: readonly number[];
      /** Fixed-point iterations of each field inversion. */
      readonly invIter: number;
      /**
       * How to write the warped image (on the static grid): the static file's shape
       * (`[nx, ny, 1]` kept for a 2D slice) and 4×4 affine (mm).
       */
      readonly output: { readonly shape: readonly number[]; readonly affine: Float64Array };
    }
  | { readonly type: 'cancel'; readonly runId: number };

/** The kernels that ran a registration, read from the backend object after the run. */
export interface BackendReport {
  /** `wasm` (WebAssembly) or `ts` (TypeScript fallback). */
  readonly name: string;
  /** Threads the backend used at the end of the run, the worker's own included. */
  readonly threads: number;
  /** `self.crossOriginIsolated` in the worker (needed for shared memory, hence threads). */
  readonly crossOriginIsolated: boolean;
  /** Why the WebAssembly backend is not used, when it is not. */
  readonly fallbackReason?: string;
}

/** Worker → page. */
export type FromWorker =
  | {
      /** One iteration finished (SyN's ITER_END). */
      readonly type: 'iteration';
      readonly runId: number;
      /** Pyramid level, 0 = finest. */
      readonly level: number;
      /** Levels in the pyramid. */
      readonly levels: number;
      /** Iterations done at this level (1-based). */
      readonly iteration: number;
      /** The iteration budget of this level (`levelIters`). */
      readonly levelIters: number;
      /** fw + bw energy of this iteration. */
      readonly energy: number;
      /** Milliseconds since the registration started. */
      readonly elapsedMs: number;
    }
  | {
      /** One pyramid level finished (SyN's SCALE_END). */
      readonly type: 'level';
      readonly runId: number;
      /** Pyramid level, 0 = finest. */
      readonly level: number;
      /** Iterations run at this level. */
      readonly iterations: number;
      /** Energy of the level's last iteration; NaN if it ran none. */
      readonly energy: number;
      /** Milliseconds since the registration started. */
      readonly elapsedMs: number;
    }
  | {
      readonly type: 'done';
      readonly runId: number;
      /** The moving image warped onto the static grid (`map.transform(moving)`). */
      readonly warped: GridImage;
      /** The warped image as a gzip NIfTI-1 file (`serializeNifti`, static grid and affine). */
      readonly warpedNifti: Uint8Array;
      /** The mapping as a gzip NIfTI file (`serializeMapping`; read it with `parseMapping`/`loadMapping`). */
      readonly mappingNifti: Uint8Array;
      /**
       * The Jacobian determinant of the warp `diffeo apply` uses (the map's backward field for
       * a SyN result), on the static grid, as a gzip NIfTI-1 file (static file's shape and affine).
       */
      readonly jacobianNifti: Uint8Array;
      /** Its smallest value and the number of folded voxels (det J ≤ 0) out of `voxels`. */
      readonly jacobian: { readonly minDetJ: number; readonly foldedVoxels: number; readonly voxels: number };
      /** 2D only: the two-panel deformed-lattice figure of `plot2dDiffeomorphicMap`. */
      readonly latticeFigure: Rgba | null;
      /** Iterations per level, coarsest first. */
      readonly iterationsPerLevel: readonly number[];
      /** Wall time of `optimize`, milliseconds. */
      readonly registrationMs: number;
      readonly backend: BackendReport;
    }
  | { readonly type: 'cancelled'; readonly runId: number }
  | {
      readonly type: 'error';
      /** The run the error belongs to; null for a message that named no run (not an object, or no numeric runId). */
      readonly runId: number | null;
      /**
       * `RUN_FAILED`: the registration threw (bad images, options, ...); `BAD_MESSAGE`: the
       * message was not an object or had no numeric runId; `UNKNOWN_TYPE`: its type is not
       * 'register' or 'cancel'.
       */
      readonly code: 'RUN_FAILED' | 'BAD_MESSAGE' | 'UNKNOWN_TYPE';
      readonly message: string;
    };

/** Dice coefficient of the masks `a > 0.5` and `b > 0.5` (1 when both are empty). */
export function dice(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let inter = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] > 0.5;
    const y = b[i] > 0.5;
    if (x) na++;
    if (y) nb++;
    if (x && y) inter++;
  }
  return na + nb === 0 ? 1 : (2 * inter) / (na + nb);
}

/**
 * Normalised cross-correlation of two images of the same length (Pearson's r of the
 * voxel values, in double): 1 for identical images up to gain and offset; NaN when
 * one is constant.
 */
export function ncc(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let sa = 0;
  let sb = 0;
  for (let i = 0; i < n; i++) { sa += a[i]; sb += b[i]; }
  const ma = sa / n;
  const mb = sb / n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const x = a[i] - ma;
    const y = b[i] - mb;
    sab += x * y; saa += x * x; sbb += y * y;
  }
  return sab / Math.sqrt(saa * sbb);
}
