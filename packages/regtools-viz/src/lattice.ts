/**
 * Deformed-lattice plots of a 2D `DiffeomorphicMap`: DIPY's
 * `dipy.viz.regtools.draw_lattice_2d` and `plot_2d_diffeomorphic_map`
 * (docs/algorithm.md §7.2–§7.3).
 *
 * The lattice is a grey image (value 127) crossed by black lines (value 0) one
 * pixel wide on every row and column whose index is a multiple of `delta + 1`, so
 * the squares are `delta × delta` pixels. `plot2dDiffeomorphicMap` draws one lattice
 * on the "inverse" grid and warps it with `transform` onto the "direct" grid, and
 * one on the direct grid warped with `transformInverse` onto the inverse grid,
 * both with bilinear interpolation (zero padding outside the lattice). For a SyN
 * result (`isInverse = true`) the direct grid is the static image's grid and the
 * inverse grid the moving image's. Shapes are in pixels `[rows, cols]`; the grids'
 * geometry comes from their grid-to-world affines (world units, usually mm).
 */
import { DimensionError, InvalidArgumentError, checkOptionKeys, invertAffine, toAffine, toShape } from '@diffeo/core';
import type { Affine, AffineLike, DiffeomorphicMap, Dim, Shape2D } from '@diffeo/core';
import { to2D } from './input.js';
import { FIGURE_OPTION_KEYS, layoutFigure, grayToRgba } from './raster.js';
import type { FigureOptions, RgbaImage } from './raster.js';

/** Value of the lattice squares (DIPY's "white"). */
export const LATTICE_FILL = 127;
/** Value of the lattice lines. */
export const LATTICE_LINE = 0;

/** A lattice image: float64, shape `[rows, cols]`, C order. */
export interface Lattice2D {
  readonly data: Float64Array;
  readonly shape: Shape2D;
}

function checkCount(v: number, what: string): void {
  if (!Number.isInteger(v) || v < 0) throw new InvalidArgumentError(`${what} must be a non-negative integer; got ${v}.`);
}

/** The lattice of line period `delta + 1` cropped to `rows × cols` (lines at indices ≡ 0 mod `delta + 1`). */
function latticeImage(rows: number, cols: number, delta: number): Float32Array {
  const period = delta + 1;
  const out = new Float32Array(rows * cols);
  for (let i = 0, o = 0; i < rows; i++) {
    const lineRow = i % period === 0;
    for (let j = 0; j < cols; j++, o++) out[o] = lineRow || j % period === 0 ? LATTICE_LINE : LATTICE_FILL;
  }
  return out;
}

/**
 * DIPY's `draw_lattice_2d(nrows, ncols, delta)`: a regular lattice of
 * `nrows × ncols` squares of `delta × delta` pixels separated by one-pixel lines.
 *
 * @param nrows - number of squares along the rows axis (non-negative integer).
 * @param ncols - number of squares along the columns axis (non-negative integer).
 * @param delta - side of a square in pixels (non-negative integer).
 * @returns float64 image of shape `[1 + (delta+1)·nrows, 1 + (delta+1)·ncols]`:
 *   127 inside the squares, 0 on every row and column whose index is a multiple of
 *   `delta + 1`.
 * @throws {InvalidArgumentError} for negative or non-integer arguments.
 */
export function drawLattice2d(nrows: number, ncols: number, delta: number): Lattice2D {
  checkCount(nrows, 'nrows');
  checkCount(ncols, 'ncols');
  checkCount(delta, 'delta');
  const rows = 1 + (delta + 1) * nrows;
  const cols = 1 + (delta + 1) * ncols;
  return { data: Float64Array.from(latticeImage(rows, cols, delta)), shape: [rows, cols] };
}

/**
 * Options of {@link plot2dDiffeomorphicMap}. For each affine, `undefined` (omitted)
 * means "the map's default grid" and `null` means the identity (DIPY's `-1` and
 * `None`). Affines are 3×3 homogeneous grid-to-world matrices (flat row-major or
 * nested rows).
 */
export interface Plot2dDiffeomorphicMapOptions extends FigureOptions {
  /** Side of the lattice squares in pixels. Default 10. */
  readonly delta?: number;
  /**
   * Grid on which the direct (`transform`) result is sampled, `[rows, cols]`.
   * Default: the codomain shape if `map.isInverse` (for SyN: the static grid),
   * else the domain shape.
   */
  readonly directGridShape?: ArrayLike<number>;
  /** Grid-to-world affine of the direct grid. Default: codomain's if `map.isInverse`, else domain's. */
  readonly directGridToWorld?: AffineLike | null;
  /**
   * Grid on which the inverse (`transformInverse`) result is sampled, `[rows, cols]`.
   * Default: the domain shape if `map.isInverse` (for SyN: the moving grid), else the
   * codomain shape.
   */
  readonly inverseGridShape?: ArrayLike<number>;
  /** Grid-to-world affine of the inverse grid. Default: domain's if `map.isInverse`, else codomain's. */
  readonly inverseGridToWorld?: AffineLike | null;
}

/** Result of {@link plot2dDiffeomorphicMap}. */
export interface Plot2dDiffeomorphicMapResult {
  /**
   * The lattice drawn on the inverse grid warped by `map.transform` onto the direct
   * grid (DIPY's `warped_forward`), float32, C order, shape {@link forwardShape}.
   */
  readonly warpedForward: Float32Array;
  /**
   * The lattice drawn on the direct grid warped by `map.transformInverse` onto the
   * inverse grid (DIPY's `warped_backward`), float32, C order, shape {@link backwardShape}.
   */
  readonly warpedBackward: Float32Array;
  /** Shape `[rows, cols]` of {@link warpedForward} (the direct grid). */
  readonly forwardShape: Shape2D;
  /** Shape `[rows, cols]` of {@link warpedBackward} (the inverse grid). */
  readonly backwardShape: Shape2D;
  /** Two grey panels, "Direct transform" and "Inverse transform", row 0 at the top. */
  readonly figure: RgbaImage;
}

function resolveShape(given: ArrayLike<number> | undefined, fallback: Shape2D | null, what: string): Shape2D {
  if (given !== undefined) return toShape(given, 2, what);
  if (fallback === null) {
    throw new InvalidArgumentError(`${what} is not given and the map has no default for it; pass ${what}.`);
  }
  return fallback;
}

/**
 * DIPY's `plot_2d_diffeomorphic_map(mapping, delta)`: shows the effect of a 2D
 * diffeomorphic map on a regular lattice, in both directions.
 *
 * With `I` the inverse grid and `D` the direct grid (see the options for their
 * defaults): a lattice with `ceil(n/(delta+1))` squares per axis is drawn and cropped
 * to `I`'s shape, then warped with `map.transform(lattice, { interpolation: 'linear',
 * imageWorldToGrid: inverse(I's affine), outShape: D's shape, outGridToWorld: D's
 * affine })`; the same with `D` and `I` exchanged and `map.transformInverse`. An
 * affine that resolves to the identity (`null`) is passed as "not given", so the
 * map's own default applies, as in DIPY (which passes `None`). With an identity
 * map the results equal the cropped lattices exactly.
 *
 * @param map - a 2D `DiffeomorphicMap` from `@diffeo/core` with its fields set.
 * @returns both warped lattices (float32; values 0 and 127 where undeformed,
 *   intermediate greys where bilinear sampling mixes lines and squares) with their
 *   shapes, and a two-panel grey figure.
 * @throws {DimensionError} when the map is not 2D; {@link InvalidArgumentError} for a
 *   bad `delta` or a grid shape that is neither given nor known to the map; errors of
 *   `map.transform` (for example `NOT_READY` when a field is missing).
 */
export function plot2dDiffeomorphicMap(map: DiffeomorphicMap<Dim>, options: Plot2dDiffeomorphicMapOptions = {}): Plot2dDiffeomorphicMapResult {
  checkOptionKeys(options, [...FIGURE_OPTION_KEYS, 'delta', 'directGridShape', 'directGridToWorld', 'inverseGridShape', 'inverseGridToWorld'], 'plot2dDiffeomorphicMap options');
  if (map === null || typeof map !== 'object' || map.dim !== 2) {
    throw new DimensionError(`plot2dDiffeomorphicMap needs a 2D DiffeomorphicMap; got dim ${String((map as { dim?: unknown } | null)?.dim)}.`);
  }
  const m = map as DiffeomorphicMap<2>;
  const delta = options.delta ?? 10;
  checkCount(delta, 'delta');

  const inv = m.isInverse;
  const directShape = resolveShape(options.directGridShape, inv ? m.codomainShape : m.domainShape, 'directGridShape');
  const inverseShape = resolveShape(options.inverseGridShape, inv ? m.domainShape : m.codomainShape, 'inverseGridShape');
  const directG2W: Affine = options.directGridToWorld === undefined
    ? (inv ? m.codomainGridToWorld : m.domainGridToWorld)
    : toAffine(options.directGridToWorld, 2, 'directGridToWorld', true);
  const inverseG2W: Affine = options.inverseGridToWorld === undefined
    ? (inv ? m.domainGridToWorld : m.codomainGridToWorld)
    : toAffine(options.inverseGridToWorld, 2, 'inverseGridToWorld', true);

  // `undefined` = "not given" for the map, which then uses its own default — what
  // DIPY's `None` means in `transform`.
  const orDefault = (a: Affine): Float64Array | undefined => (a === null ? undefined : a);

  const latticeOut = latticeImage(inverseShape[0], inverseShape[1], delta);
  const fwd = m.transform(
    { data: latticeOut, shape: inverseShape },
    {
      interpolation: 'linear',
      imageWorldToGrid: orDefault(invertAffine(inverseG2W, 'inverseGridToWorld')),
      outShape: directShape,
      outGridToWorld: orDefault(directG2W),
    },
  );
  const latticeIn = latticeImage(directShape[0], directShape[1], delta);
  const bwd = m.transformInverse(
    { data: latticeIn, shape: directShape },
    {
      interpolation: 'linear',
      imageWorldToGrid: orDefault(invertAffine(directG2W, 'directGridToWorld')),
      outShape: inverseShape,
      outGridToWorld: orDefault(inverseG2W),
    },
  );
  const f = to2D(fwd, 'warped forward lattice');
  const b = to2D(bwd, 'warped backward lattice');
  const warpedForward = f.data instanceof Float32Array ? f.data : Float32Array.from(f.data);
  const warpedBackward = b.data instanceof Float32Array ? b.data : Float32Array.from(b.data);
  const forwardShape: Shape2D = [f.rows, f.cols];
  const backwardShape: Shape2D = [b.rows, b.cols];

  const figure = layoutFigure(
    [
      { image: grayToRgba(warpedForward, f.rows, f.cols), title: 'Direct transform' },
      { image: grayToRgba(warpedBackward, b.rows, b.cols), title: 'Inverse transform' },
    ],
    options,
  );
  return { warpedForward, warpedBackward, forwardShape, backwardShape, figure };
}
