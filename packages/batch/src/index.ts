/**
 * @diffeo/batch — cohorts of registrations on a distributed job queue: BullMQ on Redis.
 *
 * {@link submitCohort} queues jobs (the job id is the cohort id: resubmitting queues only
 * what is missing); {@link startWorker} runs them on any number of machines with an
 * injected processor; {@link cohortStatus}, {@link waitForCohort} and {@link resultsCsv}
 * report. Nothing starts or connects on import.
 */
export { CohortError, RedisUnavailableError } from './errors.js';
export { checkRedisUrl, redactedUrl, redisConnection, waitForRedis, type RedisConnectionOptions } from './connection.js';
export { cohortError, parseCohort, type CohortJob, type OptionsValidator } from './cohort.js';
export {
  cohortStatus, openQueue, progressLine, queueStatus, submitCohort, unfinished, waitForCohort,
  type CohortStatus, type JobCounts, type JobData, type JobOutcome, type JobProgress, type JobResult, type JobStatus,
  type QueueTarget, type SubmitOptions, type WaitOptions,
} from './queue.js';
export { resultsCsv } from './results.js';
export { checkAbsent, commitStaged, removeStaging, stagingPath } from './staging.js';
export { startWorker, type BatchWorker, type JobContext, type JobProcessor, type ProgressFigures, type WorkerOptions, type WorkerSummary } from './worker.js';
