/**
 * Workers: processes that take jobs from a cohort queue and run them with an injected
 * processor (a function from a job's options to its outcome), so this package knows
 * nothing of what a job computes.
 *
 * Recovery is BullMQ's. A worker holds a lock on each job it runs (`lockDurationMs`,
 * renewed at half that period while the process lives); a worker that dies (SIGKILL, lost
 * machine) stops renewing, and any other worker's stalled-job check (every
 * `stalledIntervalMs`) puts the job back in the queue, at most `maxStalledCount` times
 * before failing it. A processor error fails the attempt; the job is retried with
 * exponential backoff up to its `attempts`, except for permanent errors (`isPermanent`,
 * by default diffeo's typed errors: bad input is not fixed by retrying), which fail it at
 * once with their message. Either way the rest of the cohort goes on.
 *
 * Stopping: {@link BatchWorker.finish} takes no new job and lets the running ones end;
 * {@link BatchWorker.release} also aborts the running ones and puts them back in the
 * queue, untouched (no attempt used up), for another worker.
 */
import { hostname } from 'node:os';
import { Queue, UnrecoverableError, WaitingError, Worker, type Job } from 'bullmq';
import { DiffeoError } from '@diffeo/core';
import { redisConnection } from './connection.js';
import { unfinished, type JobData, type JobOutcome, type JobProgress, type JobResult, type QueueTarget } from './queue.js';
import { checkAbsent, commitStaged, removeStaging, stagingPath } from './staging.js';

/** Progress figures a processor reports (the worker adds phase, worker and attempt). */
export type ProgressFigures = Omit<JobProgress, 'phase' | 'worker' | 'attempt'>;

/** What a processor gets besides the job's options. */
export interface JobContext {
  /** The job id (the cohort id). */
  readonly id: string;
  /** Attempt number, from 1 (a job recovered from a dead worker counts a new attempt). */
  readonly attempt: number;
  /** This worker, `host:pid`. */
  readonly worker: string;
  /** Aborted when the worker releases the job; pass it on to long computations. */
  readonly signal: AbortSignal;
  /** Progress of the previous attempt, when there was one. */
  readonly previousProgress?: JobProgress;
  /** Reports progress (throttled; stored with the job, shown by status and wait). */
  progress(figures: ProgressFigures): void;
  /**
   * Writes outputs exactly once: `write` gets a staging path for each of `paths` (absolute
   * final paths) and must write them all; they are then moved onto the final names (see
   * the staging module). Leftovers of an earlier, killed attempt are removed first. Final
   * files that exist are an error before `write` runs, unless `overwrite`, or unless an
   * earlier attempt of this job was already moving its outputs into place (they are then
   * its own).
   * @throws FileExistsError for an existing output.
   */
  writeOutputs<R>(paths: readonly string[], overwrite: boolean, write: (staged: string[]) => Promise<R>): Promise<R>;
}

/** Runs one job. A thrown error fails the attempt with its message. */
export type JobProcessor<O> = (options: O, context: JobContext) => Promise<JobOutcome>;

/** Options of {@link startWorker}. */
export interface WorkerOptions<O> extends QueueTarget {
  /** Runs a job. */
  readonly processor: JobProcessor<O>;
  /** Jobs run at once by this worker (default 1). */
  readonly concurrency?: number;
  /** Stop once the queue has nothing left to do (no job waiting, delayed or running on any worker). */
  readonly exitWhenEmpty?: boolean;
  /** Lock period of a running job, milliseconds (default 30000): a dead worker's job is recovered after about this long. */
  readonly lockDurationMs?: number;
  /** Period of the stalled-job check, milliseconds (default 30000). */
  readonly stalledIntervalMs?: number;
  /** Times a job may be recovered from a dead worker before it fails (default 2). */
  readonly maxStalledCount?: number;
  /** Errors that fail a job at once, without retries (default: `DiffeoError`s). */
  readonly isPermanent?: (e: unknown) => boolean;
  /** Where the worker's one-line messages go (default: stderr). */
  readonly log?: (line: string) => void;
  /** Shortest interval between two progress writes to Redis, milliseconds (default 500). */
  readonly progressIntervalMs?: number;
}

/** What a worker did, once stopped. */
export interface WorkerSummary {
  readonly completed: number;
  readonly failed: number;
  readonly released: number;
}

/** A running worker. */
export interface BatchWorker {
  /** `host:pid`. */
  readonly name: string;
  /** Resolves once the worker has stopped and closed its connections. */
  readonly done: Promise<WorkerSummary>;
  /** Takes no new job; stops when the running ones end. */
  finish(): void;
  /** Aborts the running jobs, puts them back in the queue, and stops. */
  release(): void;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Starts a worker on `o.queue`. It runs until {@link BatchWorker.finish} or
 * {@link BatchWorker.release} (or, with `exitWhenEmpty`, until the queue is done); a
 * Redis that is down or goes away is retried, with a message, for as long as it takes.
 */
export function startWorker<O>(o: WorkerOptions<O>): BatchWorker {
  const log = o.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const name = `${hostname()}:${process.pid}`;
  let lastRetry = 0;
  const onRetry = (m: string): void => {
    if (Date.now() - lastRetry > 2000) log(`worker ${name}: ${m}`);
    lastRetry = Date.now();
  };
  const connection = redisConnection(o.redis, { onRetry, maxDelayMs: o.maxDelayMs });
  const isPermanent = o.isPermanent ?? ((e: unknown) => e instanceof DiffeoError);
  const interval = o.progressIntervalMs ?? 500;
  let releasing = false;
  let stopping = false;
  const summary = { completed: 0, failed: 0, released: 0 };

  const processor = async (job: Job<JobData<O>, JobResult>, token?: string, signal?: AbortSignal): Promise<JobResult> => {
    const id = String(job.id);
    const attempt = Math.max(1, job.attemptsStarted);
    const previous = typeof job.progress === 'object' && job.progress !== null ? (job.progress as unknown as JobProgress) : undefined;
    const abort = signal ?? new AbortController().signal;
    let figures: ProgressFigures = {};
    let phase: JobProgress['phase'] = 'running';
    let lastSent = 0;
    let lastLevel: number | undefined;
    const send = (): Promise<void> => job.updateProgress({ phase, worker: name, attempt, ...figures } as JobProgress as never).catch(() => {});
    const context: JobContext = {
      id,
      attempt,
      worker: name,
      signal: abort,
      ...(previous ? { previousProgress: previous } : {}),
      progress(f) {
        figures = f;
        const now = Date.now();
        if (f.level !== lastLevel || now - lastSent >= interval) {
          lastLevel = f.level;
          lastSent = now;
          void send();
        }
      },
      async writeOutputs(paths, overwrite, write) {
        const own = previous?.phase === 'writing';
        await Promise.all(paths.map(removeStaging));
        try {
          if (!overwrite && !own) await checkAbsent(paths);
          const r = await write(paths.map(stagingPath));
          phase = 'writing';
          await send();
          await commitStaged(paths, overwrite || own);
          return r;
        } finally {
          await Promise.all(paths.map(removeStaging));
        }
      },
    };
    await send();
    const t0 = performance.now();
    try {
      const outcome = await o.processor(job.data.options, context);
      return { ...outcome, seconds: (performance.now() - t0) / 1000, worker: name };
    } catch (e) {
      if (releasing && abort.aborted) {
        await job.moveToWait(token);
        summary.released++;
        log(`worker ${name}: released job ${id} (back in the queue)`);
        throw new WaitingError();
      }
      if (isPermanent(e)) throw new UnrecoverableError(message(e));
      throw e;
    }
  };

  const worker = new Worker<JobData<O>, JobResult>(o.queue, processor, {
    connection,
    name,
    concurrency: o.concurrency ?? 1,
    lockDuration: o.lockDurationMs ?? 30_000,
    stalledInterval: o.stalledIntervalMs ?? 30_000,
    maxStalledCount: o.maxStalledCount ?? 2,
  });
  let lastError = '';
  worker.on('error', (e) => {
    // Connection trouble is reported by the retries; report anything else once.
    if (message(e) !== lastError && !/ECONNREFUSED|ECONNRESET|Connection is closed|ENOTFOUND|ETIMEDOUT/.test(message(e))) log(`worker ${name}: ${message(e)}`);
    lastError = message(e);
  });
  worker.on('active', (job) => log(`worker ${name}: started job ${job.id} (attempt ${Math.max(1, job.attemptsStarted)})`));
  worker.on('completed', (job, r) => {
    summary.completed++;
    log(`worker ${name}: completed job ${job.id} in ${r.seconds.toFixed(2)} s`);
  });
  worker.on('failed', (job, e) => {
    if (job === undefined) return;
    const final = job.finishedOn !== undefined || job.attemptsMade >= (job.opts.attempts ?? 1);
    if (final) summary.failed++;
    log(`worker ${name}: job ${job.id} ${final ? 'failed' : `failed attempt ${job.attemptsMade}, will retry`}: ${message(e)}`);
  });

  let resolveStop: () => void = () => {};
  const stopRequested = new Promise<void>((r) => (resolveStop = r));
  const stop = (): void => {
    stopping = true;
    resolveStop();
  };

  let poller: ReturnType<typeof setInterval> | undefined;
  let probe: Queue | undefined;
  if (o.exitWhenEmpty === true) {
    probe = new Queue(o.queue, { connection });
    probe.on('error', () => {});
    let busy = false;
    const check = async (): Promise<void> => {
      if (busy || stopping || probe === undefined) return;
      busy = true;
      try {
        const c = await probe.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children');
        if (unfinished({ waiting: c.waiting ?? 0, active: c.active ?? 0, delayed: c.delayed ?? 0, prioritized: c.prioritized ?? 0, 'waiting-children': c['waiting-children'] ?? 0, completed: 0, failed: 0 }) === 0) {
          log(`worker ${name}: the queue is empty; exiting`);
          stop();
        }
      } catch {
        // Redis away: the retries say so; check again later.
      } finally {
        busy = false;
      }
    };
    poller = setInterval(() => void check(), 1000);
    void check();
  }

  const done = (async (): Promise<WorkerSummary> => {
    await stopRequested;
    if (poller) clearInterval(poller);
    if (releasing) worker.cancelAllJobs('released by the worker');
    await worker.close();
    await probe?.close();
    connection.disconnect();
    return { ...summary };
  })();

  return {
    name,
    done,
    finish: () => stop(),
    release: () => {
      releasing = true;
      if (stopping) worker.cancelAllJobs('released by the worker');
      stop();
    },
  };
}
