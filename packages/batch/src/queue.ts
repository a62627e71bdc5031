/**
 * The client side of a cohort queue: submit jobs, read their states, wait for the end,
 * and gather one result row per job. All state lives in Redis (BullMQ's keys under
 * `bull:<queue>:`), so any machine that reaches the server sees the same cohort.
 */
import { Queue, type Job, type JobState } from 'bullmq';
import type { Redis } from 'ioredis';
import type { CohortJob } from './cohort.js';
import { redisConnection, type RedisConnectionOptions } from './connection.js';

/** Progress a worker reports for a running job (stored with the job in Redis). */
export interface JobProgress {
  /** `running` while the processor computes, `writing` while it commits its outputs. */
  readonly phase: 'running' | 'writing';
  /** The worker running the job (`host:pid`). */
  readonly worker: string;
  /** Attempt number, from 1. */
  readonly attempt: number;
  /** Current pyramid level (SyN numbering: the coarsest is `levels - 1`, the finest 0). */
  readonly level?: number;
  /** Number of pyramid levels. */
  readonly levels?: number;
  /** Iterations done at the current level. */
  readonly iteration?: number;
  /** Iterations allowed at the current level. */
  readonly iterations?: number;
  /** Latest energy. */
  readonly energy?: number;
}

/** What a processor returns for a job (JSON-serialisable). */
export interface JobOutcome {
  /** Total iterations run. */
  readonly iterations?: number;
  /** Final energy. */
  readonly energy?: number;
  /** Quality-control figures by name (e.g. `ncc`), unitless. */
  readonly qc?: Readonly<Record<string, number>>;
  /** Files written (absolute paths). */
  readonly outputs?: readonly string[];
}

/** A completed job's result as stored: the processor's outcome plus where and how long. */
export interface JobResult extends JobOutcome {
  /** Wall time of the successful attempt, seconds. */
  readonly seconds: number;
  /** The worker that completed the job (`host:pid`). */
  readonly worker: string;
}

/** Data of a job in the queue. */
export interface JobData<O> {
  readonly options: O;
}

/** Where a queue lives. */
export interface QueueTarget extends RedisConnectionOptions {
  /** Redis URL, `redis://HOST:PORT`. */
  readonly redis: string;
  /** Queue name (one cohort per queue, or several cohorts with distinct job ids). */
  readonly queue: string;
}

/** Retry policy of submitted jobs. */
export interface SubmitOptions {
  /** Attempts per job before it is failed (default 3). A worker that dies does not use one up: the job is recovered as stalled. */
  readonly attempts?: number;
  /** First retry delay after a failure, milliseconds; doubles each retry (default 5000). */
  readonly backoffMs?: number;
}

/** Counts of jobs by state. */
export interface JobCounts {
  readonly waiting: number;
  readonly active: number;
  readonly completed: number;
  readonly failed: number;
  readonly delayed: number;
  readonly prioritized: number;
  readonly 'waiting-children': number;
}

/** One job as `status` reports it. */
export interface JobStatus {
  readonly id: string;
  readonly state: JobState | 'unknown';
  /** Attempts that ended in failure so far. */
  readonly attemptsMade: number;
  /** Attempts started (including ones lost with their worker). */
  readonly attemptsStarted: number;
  /** Latest progress, while active (and kept afterwards). */
  readonly progress?: JobProgress;
  /** The result, once completed. */
  readonly result?: JobResult;
  /** Why it failed (the processor's error message), once failed. */
  readonly error?: string;
}

/** A queue's state: counts by state and every job. */
export interface CohortStatus {
  readonly counts: JobCounts;
  readonly jobs: JobStatus[];
}

const STATES = ['waiting', 'active', 'completed', 'failed', 'delayed', 'prioritized', 'waiting-children'] as const;

/** A BullMQ queue on its own connection; `close()` releases both. */
export async function openQueue<O>(target: QueueTarget): Promise<{ queue: Queue<JobData<O>, JobResult>; close: () => Promise<void> }> {
  const connection: Redis = redisConnection(target.redis, target);
  const queue = new Queue<JobData<O>, JobResult>(target.queue, { connection });
  queue.on('error', () => {}); // connection errors are reported by the connection's retries
  return {
    queue,
    close: async () => {
      await queue.close();
      connection.disconnect();
    },
  };
}

/**
 * Queues the jobs of a cohort. The job id is the cohort id, so submitting a cohort again
 * (or twice from two machines) queues only the jobs the queue does not hold yet, whatever
 * their state.
 * @returns how many jobs were queued now and how many were already there.
 */
export async function submitCohort<O>(target: QueueTarget, jobs: readonly CohortJob<O>[], options: SubmitOptions = {}): Promise<{ queued: number; existing: number }> {
  const { queue, close } = await openQueue<O>(target);
  try {
    let queued = 0;
    let existing = 0;
    for (const job of jobs) {
      if ((await queue.getJob(job.id)) !== undefined) {
        existing++;
        continue;
      }
      await queue.add('job', { options: job.options }, {
        jobId: job.id,
        attempts: options.attempts ?? 3,
        backoff: { type: 'exponential', delay: options.backoffMs ?? 5000 },
      });
      // Should another submission add it in between, BullMQ keeps the first (same id).
      queued++;
    }
    return { queued, existing };
  } finally {
    await close();
  }
}

function jobStatus(job: Job<JobData<unknown>, JobResult>, state: JobState | 'unknown'): JobStatus {
  const progress = typeof job.progress === 'object' && job.progress !== null ? (job.progress as unknown as JobProgress) : undefined;
  return {
    id: String(job.id),
    state,
    attemptsMade: job.attemptsMade,
    attemptsStarted: job.attemptsStarted,
    ...(progress ? { progress } : {}),
    ...(state === 'completed' && job.returnvalue ? { result: job.returnvalue } : {}),
    ...(state === 'failed' && job.failedReason ? { error: job.failedReason } : {}),
  };
}

/**
 * Counts and jobs of a queue, jobs sorted by id (numbers in ids compare as numbers). The
 * states are read one after the other while workers move jobs between them, so a reading
 * that does not add up (a job seen twice, or in none) is taken again, up to three times.
 */
export async function queueStatus(queue: Queue<JobData<unknown>, JobResult>): Promise<CohortStatus> {
  let counts: JobCounts | undefined;
  let jobs: JobStatus[] = [];
  for (let attempt = 0; attempt < 3; attempt++) {
    const raw = await queue.getJobCounts(...STATES);
    counts = Object.fromEntries(STATES.map((s) => [s, raw[s] ?? 0])) as unknown as JobCounts;
    const byId = new Map<string, JobStatus>();
    for (const state of STATES) {
      if (counts[state] === 0) continue;
      for (const job of await queue.getJobs([state], 0, -1, true)) {
        if (job) byId.set(String(job.id), jobStatus(job, state));
      }
    }
    jobs = [...byId.values()];
    const total = STATES.reduce((n, s) => n + (counts as JobCounts)[s], 0);
    if (jobs.length === total && jobs.every((j) => (counts as JobCounts)[j.state as keyof JobCounts] > 0)) break;
  }
  jobs.sort((a, b) => a.id.localeCompare(b.id, 'en', { numeric: true }));
  return { counts: counts as JobCounts, jobs };
}

/** {@link queueStatus} on a fresh connection. */
export async function cohortStatus(target: QueueTarget): Promise<CohortStatus> {
  const { queue, close } = await openQueue(target);
  try {
    return await queueStatus(queue);
  } finally {
    await close();
  }
}

/** Jobs not yet finished (neither completed nor failed for good). */
export function unfinished(c: JobCounts): number {
  return c.waiting + c.active + c.delayed + c.prioritized + c['waiting-children'];
}

/** Options of {@link waitForCohort}. */
export interface WaitOptions {
  /** Give up after this many seconds (default: wait for ever). */
  readonly timeoutSeconds?: number;
  /** Poll period, milliseconds (default 1000). */
  readonly pollMs?: number;
  /** Called after each poll with the current state. */
  readonly onStatus?: (s: CohortStatus) => void;
}

/**
 * Waits until every job of the queue has completed or failed for good.
 * @returns the final state, and `timedOut` when the timeout came first.
 */
export async function waitForCohort(target: QueueTarget, options: WaitOptions = {}): Promise<{ status: CohortStatus; timedOut: boolean }> {
  const { queue, close } = await openQueue(target);
  const deadline = options.timeoutSeconds === undefined ? Infinity : Date.now() + options.timeoutSeconds * 1000;
  try {
    for (;;) {
      const status = await queueStatus(queue);
      options.onStatus?.(status);
      if (unfinished(status.counts) === 0) return { status, timedOut: false };
      if (Date.now() >= deadline) return { status, timedOut: true };
      await new Promise((r) => setTimeout(r, Math.min(options.pollMs ?? 1000, Math.max(0, deadline - Date.now()))));
    }
  } finally {
    await close();
  }
}

/** One line summing up a cohort's progress: counts, and the level and iteration of each running job. */
export function progressLine(s: CohortStatus): string {
  const c = s.counts;
  const total = s.jobs.length;
  const running = s.jobs
    .filter((j) => j.state === 'active' && j.progress)
    .map((j) => {
      const p = j.progress as JobProgress;
      if (p.phase === 'writing') return `${j.id} writing`;
      return p.level === undefined ? `${j.id} starting` : `${j.id} L${p.level} ${p.iteration ?? 0}/${p.iterations ?? '?'}`;
    });
  const waiting = c.waiting + c.delayed + c.prioritized + c['waiting-children'];
  return `${c.completed + c.failed}/${total} done (${c.completed} completed, ${c.failed} failed), ${c.active} running, ${waiting} waiting${running.length ? `: ${running.join(', ')}` : ''}`;
}
