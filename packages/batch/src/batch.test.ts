import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '@diffeo/core';
import {
  CohortError, RedisUnavailableError, cohortError, cohortStatus, parseCohort, progressLine, resultsCsv, startWorker,
  submitCohort, waitForCohort, waitForRedis, type CohortJob, type JobProcessor,
} from '@diffeo/batch';
import { freePort, redisServerMissing, startRedis, type TestRedis } from './redis-server.testutil.js';

const missing = redisServerMissing();
if (missing) console.warn(`skipping @diffeo/batch queue tests: ${missing}`);

interface Opts { n: number; mode?: 'ok' | 'bad' | 'flaky' | 'hold'; out?: string }
const validate = (f: Record<string, unknown>, id: string, index: number): Opts => {
  if (typeof f.n !== 'number') throw cohortError(id, index, 'n', 'must be a number');
  return f as unknown as Opts;
};

describe('parseCohort', () => {
  it('names the job and the field that are wrong', () => {
    expect(() => parseCohort({}, validate, 'c.json')).toThrow(/c.json must be a JSON array/);
    expect(() => parseCohort([{ id: 'a', n: 1 }, 'x'], validate)).toThrow(/job #2: must be an object/);
    expect(() => parseCohort([{ n: 1 }], validate)).toThrow(/job #1, field "id": must be a string/);
    expect(() => parseCohort([{ id: '12', n: 1 }], validate)).toThrow(/not only digits/);
    expect(() => parseCohort([{ id: 'a:b', n: 1 }], validate)).toThrow(/not a valid job id/);
    expect(() => parseCohort([{ id: 'a', n: 1 }, { id: 'a', n: 2 }], validate)).toThrow(/job "a", field "id": the id is used twice \(jobs #1 and #2\)/);
    try {
      parseCohort([{ id: 'sub-01', n: 'three' }], validate);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(CohortError);
      expect(e).toBeInstanceOf(InvalidArgumentError);
      expect(e).toMatchObject({ jobId: 'sub-01', field: 'n', index: 0, message: 'job "sub-01", field "n": must be a number' });
    }
    expect(parseCohort([{ id: 'sub-01', n: 3 }], validate)).toEqual([{ id: 'sub-01', options: { n: 3 } }]);
  });
});

describe('Redis that is down', () => {
  it('gets retries with a message, then a typed error naming the URL', async () => {
    const port = await freePort();
    const retries: string[] = [];
    const err = await waitForRedis(`redis://127.0.0.1:${port}`, { attempts: 3, maxDelayMs: 50, onRetry: (m) => retries.push(m) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RedisUnavailableError);
    expect((err as Error).message).toMatch(new RegExp(`cannot reach Redis at redis://127.0.0.1:${port} \\(ECONNREFUSED\\) after 3 attempts`));
    expect(retries).toHaveLength(2);
    expect(retries[0]).toMatch(/ECONNREFUSED.*retrying in .* \(attempt 2 of 3\)/);
  });

  it('rejects a URL that is not a Redis URL', async () => {
    await expect(waitForRedis('http://localhost:6379')).rejects.toThrow(/not a Redis URL/);
  });

  it.skipIf(missing)('a worker started before Redis waits for it, then runs the jobs', async () => {
    const port = await freePort();
    const url = `redis://127.0.0.1:${port}`;
    const lines: string[] = [];
    const w = startWorker<Opts>({ redis: url, queue: 'late', maxDelayMs: 200, processor: async (o) => ({ iterations: o.n }), log: (l) => lines.push(l) });
    await new Promise((r) => setTimeout(r, 800));
    expect(lines.some((l) => /cannot reach Redis .*ECONNREFUSED.*retrying/.test(l))).toBe(true);
    const redis = await startRedis(port);
    try {
      await submitCohort({ redis: url, queue: 'late' }, [{ id: 'j1', options: { n: 4 } }]);
      const { status } = await waitForCohort({ redis: url, queue: 'late' }, { pollMs: 100, timeoutSeconds: 20 });
      expect(status.jobs[0]).toMatchObject({ id: 'j1', state: 'completed', result: { iterations: 4 } });
      w.finish();
      expect(await w.done).toEqual({ completed: 1, failed: 0, released: 0 });
    } finally {
      await redis.stop();
    }
  });
});

describe.skipIf(missing)('a cohort on a real Redis', () => {
  let redis: TestRedis;
  const dir = mkdtempSync(join(tmpdir(), 'diffeo-batch-'));
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  // A real processor: writes one text file per job through the staged, exactly-once path.
  const processor: JobProcessor<Opts> = async (o, ctx) => {
    if (o.mode === 'bad') throw new InvalidArgumentError(`n=${o.n} is not allowed here`);
    if (o.mode === 'flaky' && ctx.attempt === 1) throw new Error('transient failure');
    if (o.mode === 'hold') {
      ctx.progress({ level: 1, levels: 2, iteration: 0, iterations: 9 });
      await new Promise<void>((resolve, reject) => ctx.signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true }));
    }
    for (let i = 0; i < o.n; i++) ctx.progress({ level: 0, levels: 1, iteration: i + 1, iterations: o.n, energy: -i });
    if (o.out !== undefined) {
      await ctx.writeOutputs([o.out], false, async ([staged]) => writeFileSync(staged, `job ${ctx.id}: ${o.n}\n`));
    }
    return { iterations: o.n, energy: -o.n, qc: { ncc: o.n / 10 }, ...(o.out ? { outputs: [o.out] } : {}) };
  };

  it('submission is idempotent; failures are recorded and the cohort goes on; results as CSV', async () => {
    const target = { redis: redis.url, queue: 'cohort' };
    const jobs: CohortJob<Opts>[] = [
      { id: 'sub-01', options: { n: 3, out: join(dir, 'sub-01.txt') } },
      { id: 'sub-02', options: { n: 5, mode: 'bad' } },
      { id: 'sub-03', options: { n: 2, mode: 'flaky', out: join(dir, 'sub-03.txt') } },
      { id: 'sub-04', options: { n: 1, out: join(dir, 'taken.txt') } },
    ];
    writeFileSync(join(dir, 'taken.txt'), 'a user file\n');
    expect(await submitCohort(target, jobs, { backoffMs: 50 })).toEqual({ queued: 4, existing: 0 });
    expect(await submitCohort(target, jobs, { backoffMs: 50 })).toEqual({ queued: 0, existing: 4 });
    expect((await cohortStatus(target)).counts.waiting).toBe(4);

    const w = startWorker<Opts>({ ...target, processor, exitWhenEmpty: true, log: () => {} });
    const lines: string[] = [];
    const { status, timedOut } = await waitForCohort(target, { pollMs: 100, timeoutSeconds: 30, onStatus: (s) => lines.push(progressLine(s)) });
    expect(timedOut).toBe(false);
    expect(await w.done).toEqual({ completed: 2, failed: 2, released: 0 });
    expect(status.counts).toMatchObject({ completed: 2, failed: 2, waiting: 0, active: 0, delayed: 0 });
    expect(lines.at(-1)).toBe('4/4 done (2 completed, 2 failed), 0 running, 0 waiting');

    const byId = Object.fromEntries(status.jobs.map((j) => [j.id, j]));
    expect(byId['sub-01']).toMatchObject({ state: 'completed', attemptsStarted: 1, result: { iterations: 3, energy: -3, qc: { ncc: 0.3 } } });
    expect(byId['sub-01'].progress).toMatchObject({ phase: 'writing', attempt: 1 });
    // a typed error fails the job at once, with its message
    expect(byId['sub-02']).toMatchObject({ state: 'failed', attemptsStarted: 1, error: 'n=5 is not allowed here' });
    // an untyped error is retried (backoff) and the second attempt completes
    expect(byId['sub-03']).toMatchObject({ state: 'completed', attemptsStarted: 2 });
    // a user's file is never overwritten
    expect(byId['sub-04'].state).toBe('failed');
    expect(byId['sub-04'].error).toMatch(/taken\.txt already exists; remove it, choose another output name, or set "force": true/);
    expect(readFileSync(join(dir, 'taken.txt'), 'utf8')).toBe('a user file\n');

    // every output once, nothing else (no staging or temporary file left)
    expect(readdirSync(dir).sort()).toEqual(['sub-01.txt', 'sub-03.txt', 'taken.txt']);
    expect(readFileSync(join(dir, 'sub-03.txt'), 'utf8')).toBe('job sub-03: 2\n');

    const csv = resultsCsv(status).trim().split('\n');
    expect(csv[0]).toBe('id,status,attempts,seconds,iterations,energy,ncc,worker,error');
    expect(csv).toHaveLength(5);
    expect(csv[1]).toMatch(/^sub-01,completed,1,[0-9.e-]+,3,-3,0\.3,[^,]+:\d+,$/);
    expect(csv[2]).toMatch(/^sub-02,failed,1,,,,,[^,]+:\d+,n=5 is not allowed here$/);
    expect(csv[4]).toMatch(/^sub-04,failed,1,,,,,[^,]+:\d+,.*taken\.txt already exists; remove it, choose another output name, or set ""force"": true for this job"$/);
  });

  it('release puts a running job back in the queue without using an attempt', async () => {
    const target = { redis: redis.url, queue: 'release' };
    await submitCohort(target, [{ id: 'long', options: { n: 1, mode: 'hold' } }]);
    const w = startWorker<Opts>({ ...target, processor, log: () => {} });
    for (let i = 0; i < 100 && (await cohortStatus(target)).jobs[0]?.progress?.level !== 1; i++) await new Promise((r) => setTimeout(r, 50));
    expect((await cohortStatus(target)).counts.active).toBe(1);
    w.release();
    expect(await w.done).toEqual({ completed: 0, failed: 0, released: 1 });
    const s = await cohortStatus(target);
    expect(s.counts).toMatchObject({ waiting: 1, active: 0, failed: 0 });
    expect(s.jobs[0]).toMatchObject({ id: 'long', state: 'waiting', attemptsMade: 0 });
  });

  it('a second attempt removes what a killed one left, and may replace its own outputs', async () => {
    const target = { redis: redis.url, queue: 'leftovers' };
    const out = join(dir, 'left.nii.gz');
    const staged = join(dir, '.left.diffeo-partial.nii.gz');
    const tmp = join(dir, '..left.diffeo-partial.nii.gz.123.abc.tmp'); // an atomic writer's temporary file
    writeFileSync(staged, 'partial');
    writeFileSync(tmp, 'partial');
    writeFileSync(out, 'written by an earlier attempt that was moving its outputs into place');
    await submitCohort(target, [{ id: 'left', options: { n: 2, out } }]);
    // What a worker killed while committing leaves in Redis: progress in the writing phase.
    const { openQueue } = await import('@diffeo/batch');
    const { queue, close } = await openQueue(target);
    await (await queue.getJob('left'))!.updateProgress({ phase: 'writing', worker: 'lost:1', attempt: 1 });
    await close();
    const w = startWorker<Opts>({ ...target, processor, exitWhenEmpty: true, log: () => {} });
    expect(await w.done).toMatchObject({ completed: 1 });
    expect(existsSync(staged) || existsSync(tmp)).toBe(false);
    expect(readFileSync(out, 'utf8')).toBe('job left: 2\n');
  });
});
