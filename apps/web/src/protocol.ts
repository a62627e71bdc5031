/**
 * Messages between the page (`main.ts`) and the registration worker (`worker.ts`).
 * Images are plain `{ data, shape }` objects, C order, `shape = [rows, cols]`,
 * float32 grey values; their buffers are transferred, not copied.
 */

/** A 2D float32 image, C order, `data.length = rows·cols`. */
export interface Image2D {
  readonly data: Float32Array;
  readonly shape: readonly [number, number];
}

/** An 8-bit RGBA raster (the layout of DOM `ImageData`). */
export interface Rgba {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8ClampedArray;
}

/** Page → worker. */
export type ToWorker =
  | {
      readonly type: 'register';
      /** The C (static image). */
      readonly static: Image2D;
      /** The circle (moving image). */
      readonly moving: Image2D;
      /** Iterations per pyramid level, coarsest first. */
      readonly levelIters: readonly number[];
      /** Fixed-point iterations of each field inversion. */
      readonly invIter: number;
    }
  | { readonly type: 'cancel' };

/** Worker → page. */
export type FromWorker =
  | {
      /** One pyramid level finished (SyN's SCALE_END). */
      readonly type: 'level';
      /** Pyramid level, 0 = finest. */
      readonly level: number;
      /** Iterations run at this level. */
      readonly iterations: number;
      /** Energy (forward + backward) of the level's last iteration; NaN if it ran none. */
      readonly energy: number;
      /** Milliseconds since the registration started. */
      readonly elapsedMs: number;
    }
  | {
      readonly type: 'done';
      /** The moving image warped onto the static grid (`map.transform(moving)`). */
      readonly warped: Image2D;
      /** Lattice of the moving grid deformed onto the static grid (DIPY's `warped_forward`). */
      readonly latticeForward: Image2D;
      /** Lattice of the static grid deformed onto the moving grid (DIPY's `warped_backward`). */
      readonly latticeBackward: Image2D;
      /** The two-panel lattice figure of `plot2dDiffeomorphicMap`. */
      readonly latticeFigure: Rgba;
      /** Iterations per level, coarsest first. */
      readonly iterationsPerLevel: readonly number[];
      /** Wall time of `optimize`, milliseconds. */
      readonly registrationMs: number;
      /** The kernels that ran, e.g. `WebAssembly, 1 thread`. */
      readonly backend: string;
    }
  | { readonly type: 'cancelled' }
  | { readonly type: 'error'; readonly message: string };
