/**
 * Registration stages and the typed events SyN emits (DIPY's
 * `RegistrationStages` and its callback, as plain data instead of the
 * optimizer handed to a callback).
 */
import type { Dim, ShapeOf } from '@diffeo/core';

/** DIPY's stage codes (`RegistrationStages`), for users who log or compare numbers. */
export const RegistrationStages = {
  INIT_START: 0,
  INIT_END: 1,
  OPT_START: 2,
  OPT_END: 3,
  SCALE_START: 4,
  SCALE_END: 5,
  ITER_START: 6,
  ITER_END: 7,
} as const;

/** A stage name; SyN emits all but `INIT_START`/`INIT_END` (as DIPY). */
export type RegistrationStage = keyof typeof RegistrationStages;

/** An image on the reference grid of a level: `prod(shape)` float32 values, C order. */
export interface LevelImage<D extends Dim = Dim> {
  readonly shape: ShapeOf<D>;
  readonly data: Float32Array;
}

/**
 * The four displacement fields of the two half-way maps at the moment of an event
 * (world units, on the reference grid of the current level, `prod(shape)·d` values).
 * These are live views: copy them if you keep them past the callback.
 */
export interface HalfwayFields<D extends Dim = Dim> {
  readonly shape: ShapeOf<D>;
  /** static → reference map, forward field */
  readonly staticToRefForward: Float32Array;
  /** static → reference map, backward field */
  readonly staticToRefBackward: Float32Array;
  /** moving → reference map, forward field */
  readonly movingToRefForward: Float32Array;
  /** moving → reference map, backward field */
  readonly movingToRefBackward: Float32Array;
}

/** Fields common to every event. */
export interface EventBase {
  /** Stage name. */
  readonly stage: RegistrationStage;
  /** DIPY's numeric stage code. */
  readonly stageCode: number;
  /** Pyramid level (0 = finest), or −1 before the first and after the last level. */
  readonly level: number;
  /** Iteration index within the level (0-based) for ITER events; the number of iterations run for SCALE_END; otherwise 0. */
  readonly iteration: number;
  /** Milliseconds since `optimize` started. */
  readonly elapsedMs: number;
}

/** Emitted before the first level. */
export interface OptStartEvent extends EventBase { readonly stage: 'OPT_START' }
/** Emitted after the final composition; carries the energy profile. */
export interface OptEndEvent extends EventBase {
  readonly stage: 'OPT_END';
  readonly fullEnergyProfile: readonly number[];
  readonly iterationsPerLevel: readonly number[];
}
/** Emitted when a level starts (after the fields were expanded to it). */
export interface ScaleStartEvent<D extends Dim = Dim> extends EventBase {
  readonly stage: 'SCALE_START';
  /** Reference grid shape of this level. */
  readonly shape: ShapeOf<D>;
}
/**
 * Emitted when a level ends. Carries the static and moving images as warped onto the
 * reference grid at the start of the level's last iteration (what DIPY's
 * `metric.static_image`/`moving_image` hold then; the seed's `callback_CC` draws them).
 * These two images stay valid after the callback (copies, except at the finest level,
 * whose buffers nothing writes afterwards); `fields` are live views as in every event.
 */
export interface ScaleEndEvent<D extends Dim = Dim> extends EventBase {
  readonly stage: 'SCALE_END';
  /** Energies of this level (fw + bw per iteration). */
  readonly energies: readonly number[];
  /** Static image warped to the reference grid (null if the level ran no iteration). */
  readonly staticWarped: LevelImage<D> | null;
  /** Moving image warped to the reference grid (null if the level ran no iteration). */
  readonly movingWarped: LevelImage<D> | null;
  /** The half-way fields at the end of the level. */
  readonly fields: HalfwayFields<D>;
}
/**
 * Emitted after the metric prepared the iteration, before the forward step. The
 * warped images are the buffers SyN reuses every iteration: valid during the
 * callback only (the next iteration overwrites them); copy them to keep them.
 */
export interface IterStartEvent<D extends Dim = Dim> extends EventBase {
  readonly stage: 'ITER_START';
  /** Static image warped onto the reference grid for this iteration (a live view). */
  readonly staticWarped: LevelImage<D>;
  /** Moving image warped onto the reference grid for this iteration (a live view). */
  readonly movingWarped: LevelImage<D>;
}
/**
 * Emitted after the four inversions of an iteration. `staticWarped`/`movingWarped` are
 * the images the iteration started from and, like `fields`, live views valid during
 * the callback only.
 */
export interface IterEndEvent<D extends Dim = Dim> extends EventBase {
  readonly stage: 'ITER_END';
  /** fw + bw energy of this iteration. */
  readonly energy: number;
  /** The convergence value computed this iteration (+∞ while fewer than 12 energies exist). */
  readonly derivative: number;
  readonly staticWarped: LevelImage<D>;
  readonly movingWarped: LevelImage<D>;
  readonly fields: HalfwayFields<D>;
}

/** Any registration event. */
export type RegistrationEvent<D extends Dim = Dim> =
  | OptStartEvent
  | OptEndEvent
  | ScaleStartEvent<D>
  | ScaleEndEvent<D>
  | IterStartEvent<D>
  | IterEndEvent<D>;

/** Event handler. Exceptions thrown by it abort the registration. */
export type RegistrationEventHandler<D extends Dim = Dim> = (event: RegistrationEvent<D>) => void;
