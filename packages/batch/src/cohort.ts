/**
 * Cohorts: the list of jobs a queue runs. Each job has an `id` (unique in the cohort; it
 * is also the BullMQ job id, which makes submission idempotent) and options that only
 * the job processor interprets (for `diffeo batch`, the options of `diffeo register` in
 * camelCase).
 */
import { CohortError } from './errors.js';

/** One job of a cohort: its id and the processor's options. */
export interface CohortJob<O> {
  /** Unique id (letters, digits, `.`, `_`, `-`; not only digits, which BullMQ reserves). */
  readonly id: string;
  /** What the processor needs to run the job. */
  readonly options: O;
}

/**
 * Turns the options of one raw job (its fields other than `id`) into the processor's
 * options, or throws {@link CohortError} (use {@link cohortError} for the message).
 */
export type OptionsValidator<O> = (fields: Record<string, unknown>, jobId: string, index: number) => O;

const ID = /^[A-Za-z0-9._-]{1,200}$/;

/** A {@link CohortError} about `field` of job `jobId` (at `index`), with the job named in the message. */
export function cohortError(jobId: string | undefined, index: number, field: string | undefined, what: string): CohortError {
  const who = jobId === undefined ? `job #${index + 1}` : `job "${jobId}"`;
  return new CohortError(`${who}${field === undefined ? '' : `, field "${field}"`}: ${what}`, jobId, field, index);
}

/**
 * Checks a cohort: an array of objects, each with a valid, unique `id`; the other fields
 * of each go through `validate`.
 * @param source - what the cohort was read from (a file name), for messages
 * @throws CohortError naming the job and the field that are wrong.
 */
export function parseCohort<O>(raw: unknown, validate: OptionsValidator<O>, source = 'the cohort'): CohortJob<O>[] {
  if (!Array.isArray(raw)) throw new CohortError(`${source} must be a JSON array of jobs ([{"id": "sub-01", ...}, ...]); got ${raw === null ? 'null' : typeof raw}`, undefined, undefined, undefined);
  const seen = new Map<string, number>();
  return raw.map((entry: unknown, index) => {
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) throw cohortError(undefined, index, undefined, `must be an object with an "id" and the job's options`);
    const { id, ...fields } = entry as Record<string, unknown>;
    if (typeof id !== 'string') throw cohortError(undefined, index, 'id', `must be a string (got ${id === undefined ? 'nothing' : JSON.stringify(id)})`);
    if (!ID.test(id) || /^\d+$/.test(id)) {
      throw cohortError(undefined, index, 'id', `"${id}" is not a valid job id: use 1 to 200 letters, digits, ".", "_" or "-", not only digits (e.g. "sub-01")`);
    }
    const previous = seen.get(id);
    if (previous !== undefined) throw cohortError(id, index, 'id', `the id is used twice (jobs #${previous + 1} and #${index + 1}); every job needs its own id`);
    seen.set(id, index);
    return { id, options: validate(fields, id, index) };
  });
}
