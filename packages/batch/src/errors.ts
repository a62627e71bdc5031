/**
 * Typed errors of @diffeo/batch: a cohort file that names a job or a field wrongly, and
 * a Redis server that cannot be reached.
 */
import { DiffeoError, InvalidArgumentError } from '@diffeo/core';

/**
 * A cohort (the list of jobs given to {@link submitCohort}) is malformed. `jobId` names the
 * job (or is `undefined` when the job has no usable id; `index` is then its position in
 * the list, from 0) and `field` the offending field.
 */
export class CohortError extends InvalidArgumentError {
  constructor(
    message: string,
    /** Id of the offending job, when it has one. */
    readonly jobId: string | undefined,
    /** Name of the offending field (`id`, or an option name in camelCase). */
    readonly field: string | undefined,
    /** Position of the job in the cohort, from 0. */
    readonly index: number | undefined,
  ) {
    super(message);
    this.name = 'CohortError';
  }
}

/** Redis could not be reached at the given URL after the allowed retries. */
export class RedisUnavailableError extends DiffeoError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('UNAVAILABLE', message, options);
    this.name = 'RedisUnavailableError';
  }
}
