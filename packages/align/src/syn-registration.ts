/**
 * `synRegistration`: DIPY's `dipy.align._public.syn_registration` in one call —
 * choose the metric by name (or pass one), load the kernels, run SyN, and warp the
 * moving image onto the static grid. Images are in grid (voxel) order with their
 * grid-to-world affines (world units, usually mm); a {@link Volume} carries its own.
 * The returned map has `isInverse = true`, as DIPY's: `mapping.transform(moving)` is
 * the moving image on the static grid.
 */
import {
  isVolume,
  InvalidArgumentError,
  type AffineLike,
  type DiffeomorphicMap,
  type Dim,
  type ImageInput,
  type KernelContext,
  type NdArray,
  type NumericArray,
  type SimilarityMetric,
  type Volume,
} from '@diffeo/core';
import { SymmetricDiffeomorphicRegistration, type SynOptions } from '@diffeo/syn';
import { loadBackend, type BackendChoice, type LoadedBackend } from './backend.js';
import { metricByName, type MetricName, type MetricOptions } from './metric.js';

/** Input of {@link synRegistration}: the images, the metric and its options, the kernels, SyN's options. */
export interface SynRegistrationInput<D extends Dim = Dim> extends Omit<SynOptions<D>, 'context'>, MetricOptions {
  /** Static (reference) image: an ndarray, `{ data, shape }`, or a {@link Volume} (then its `gridToWorld` is the default `staticGridToWorld`). */
  static: ImageInput | Volume<D, NumericArray>;
  /** Moving image, same dimension (shape may differ). */
  moving: ImageInput | Volume<D, NumericArray>;
  /** Grid-to-world affine of the static image; default the Volume's, else identity. */
  staticGridToWorld?: AffineLike;
  /** Grid-to-world affine of the moving image; default the Volume's, else identity. */
  movingGridToWorld?: AffineLike;
  /** World affine mapping static points to moving points (an affine registration's result). */
  prealign?: AffineLike;
  /** Optional static-image mask (same shape as `static`, non-zero = inside); see `OptimizeInput.staticMask` of `@diffeo/syn`. */
  staticMask?: ImageInput;
  /** Optional moving-image mask (same shape as `moving`, non-zero = inside). */
  movingMask?: ImageInput;
  /** `'cc'` (default, as DIPY's), `'ssd'`, `'em'` or `'mi'` (case-insensitive), or a metric object (then no metric options). */
  metric?: MetricName | SimilarityMetric<D>;
  /** Kernels: `'auto'` (default: WebAssembly, else TypeScript), `'ts'` or `'wasm'`. */
  backend?: BackendChoice;
  /** An existing context instead of `backend` (load it once with `loadBackend` for many runs). */
  context?: KernelContext;
}

/** Result of {@link synRegistration}. */
export interface SynRegistrationResult<D extends Dim = Dim> {
  /** The moving image warped onto the static grid (linear), DIPY's `warped_moving`; computed on first read. */
  readonly warped: NdArray<Float32Array>;
  /** The static ↔ moving map (`isInverse = true`). */
  readonly mapping: DiffeomorphicMap;
  /** The registration object: `fullEnergyProfile`, `iterationsPerLevel`, `intermediateMaps`. */
  readonly registration: SymmetricDiffeomorphicRegistration<D>;
  /** The kernels that ran (for a given `context`: its backends, `threads` reported as 1). */
  readonly kernels: LoadedBackend;
}

const METRIC_OPTION_KEYS = ['sigmaDiff', 'radius', 'smooth', 'innerIter', 'stepType', 'qLevels', 'doubleGradient', 'nbins'] as const;

function shapeOf(img: unknown, what: string): readonly number[] {
  const shape = (img as { shape?: unknown } | null)?.shape;
  if (!Array.isArray(shape) && !(ArrayBuffer.isView(shape))) {
    throw new InvalidArgumentError(`${what} must be an ndarray, a { data, shape } object or a Volume; got ${img === null ? 'null' : typeof img}.`);
  }
  return Array.from(shape as ArrayLike<number>);
}

function gridToWorldOf(img: unknown): AffineLike | undefined {
  const g = (img as { gridToWorld?: unknown }).gridToWorld;
  return g === undefined || g === null ? undefined : (g as AffineLike);
}

/**
 * Registers `moving` onto `static` with SyN (DIPY's `syn_registration`): builds the
 * metric (`metric` by name with the metric options, default `'cc'`), loads the kernels
 * (`backend`, default `'auto'`), runs `SymmetricDiffeomorphicRegistration` with the
 * other options (DIPY's defaults, e.g. `levelIters = [100, 100, 25]`), and warps the
 * moving image onto the static grid.
 * @throws {InvalidArgumentError} bad metric name or options, `backend` and `context`
 *   both given, metric options with a metric object; {@link BackendUnavailableError}
 *   with `backend: 'wasm'`; every error of `optimize` (typed, see `@diffeo/syn`).
 * @example
 * ```ts
 * const { warped, mapping } = await synRegistration({ static: fixed, moving, metric: 'ssd', levelIters: [200, 100, 50, 25] });
 * ```
 */
export async function synRegistration<D extends Dim = Dim>(input: SynRegistrationInput<D>): Promise<SynRegistrationResult<D>> {
  if (!input || typeof input !== 'object' || input.static === undefined || input.moving === undefined) {
    throw new InvalidArgumentError('synRegistration needs { static, moving } images.');
  }
  const {
    static: staticImage, moving, staticGridToWorld, movingGridToWorld, prealign, staticMask, movingMask,
    metric = 'cc', backend, context, ...rest
  } = input;
  const metricOptions: MetricOptions = {};
  const synOptions: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(rest)) {
    if ((METRIC_OPTION_KEYS as readonly string[]).includes(k)) (metricOptions as Record<string, unknown>)[k] = v;
    else synOptions[k] = v;
  }
  if (backend !== undefined && context !== undefined) {
    throw new InvalidArgumentError('synRegistration takes either backend or context, not both.');
  }
  const dim = shapeOf(staticImage, 'static').length as D;
  let simMetric: SimilarityMetric<D>;
  if (typeof metric === 'string') {
    if (dim !== 2 && dim !== 3) throw new InvalidArgumentError(`synRegistration registers 2D or 3D images; static has ${dim} axes.`);
    simMetric = metricByName(metric, dim, metricOptions);
  } else {
    if (Object.values(metricOptions).some((v) => v !== undefined)) {
      throw new InvalidArgumentError('metric options (sigmaDiff, radius, smooth, innerIter, stepType, qLevels, doubleGradient, nbins) go with a metric name; set them on the metric object instead.');
    }
    simMetric = metric;
  }
  const kernels: LoadedBackend = context !== undefined
    ? {
      context, backend: context.backendOf('warp3d'), threads: 1, startThreadsFor: () => Promise.resolve(1),
      description: context.backendNames.length === 0 ? 'TypeScript' : context.backendNames.join(', '), fallbackReason: null,
    }
    : await loadBackend(backend ?? 'auto');
  const registration = new SymmetricDiffeomorphicRegistration<D>(simMetric, { ...(synOptions as SynOptions<D>), context: kernels.context });
  const mapping = await registration.optimize({
    static: staticImage as ImageInput,
    moving: moving as ImageInput,
    staticGridToWorld: staticGridToWorld ?? gridToWorldOf(staticImage),
    movingGridToWorld: movingGridToWorld ?? gridToWorldOf(moving),
    prealign,
    ...(staticMask === undefined ? {} : { staticMask }),
    ...(movingMask === undefined ? {} : { movingMask }),
  });
  let warped: NdArray<Float32Array> | null = null;
  return {
    get warped(): NdArray<Float32Array> {
      // the map's own grids place the moving image (a Volume's gridToWorld went into optimize already)
      warped ??= mapping.transform(isVolume(moving) ? { data: moving.data, shape: moving.shape } : moving as ImageInput) as NdArray<Float32Array>;
      return warped;
    },
    mapping, registration, kernels,
  };
}
