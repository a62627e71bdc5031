import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CohortError, RedisUnavailableError, cohortStatus, type CohortStatus } from '@diffeo/batch';
import { loadNifti, saveNifti } from '@diffeo/io';
import { freePort, redisServerMissing, startRedis, type TestRedis } from '../../batch/src/redis-server.testutil.js';
import { batch, readCohort } from './commands/batch.js';
import { runRegister } from './commands/register.js';

const main = fileURLToPath(new URL('./main.ts', import.meta.url));
const missing = redisServerMissing();
if (missing) console.warn(`skipping diffeo batch tests: ${missing}`);

interface Run { status: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }
function start(args: string[]): { child: ChildProcess; done: Promise<Run> } {
  const child = spawn(process.execPath, ['--conditions=@diffeo/source', '--import', 'tsx', main, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<Run>((resolve) => child.on('close', (status, signal) => resolve({ status, signal, stdout, stderr })));
  return { child, done };
}
const run = (args: string[]): Promise<Run> => start(args).done;

/**
 * Runs `diffeo batch ...` in this process (the command's own function, as main.ts calls it),
 * capturing what it prints; worker processes and `wait` run as separate processes above.
 */
async function inProcess(args: string[]): Promise<{ stdout: string; stderr: string; error?: Error }> {
  let stdout = '';
  let stderr = '';
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void (stdout += `${a.join(' ')}\n`));
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((stdout += String(chunk)), true));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((stderr += String(chunk)), true));
  try {
    await batch(args.slice(1));
    return { stdout, stderr };
  } catch (e) {
    return { stdout, stderr, error: e as Error };
  } finally {
    log.mockRestore();
    out.mockRestore();
    err.mockRestore();
  }
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls the queue until `pred` holds (or fails the test after `ms`). */
async function until(target: { redis: string; queue: string }, pred: (s: CohortStatus) => boolean, ms = 60_000): Promise<CohortStatus> {
  const t0 = Date.now();
  for (;;) {
    const s = await cohortStatus(target);
    if (pred(s)) return s;
    if (Date.now() - t0 > ms) throw new Error(`condition not met in ${ms} ms; last status ${JSON.stringify(s.counts)}`);
    await sleep(50);
  }
}

const N = 64;
const IDENTITY = [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]];
/** The circle-to-C pair of DIPY's SyN example, drawn analytically on a 64×64 grid: a disc (shifted by `di` rows) and a "C". */
function disc(di: number): Float32Array {
  const out = new Float32Array(N * N);
  for (let i = 0; i < N; i++) for (let j = 0; j < N; j++) out[i * N + j] = Math.hypot(i - 32 - di, j - 32) < 18 ? 1 : 0;
  return out;
}
function cShape(): Float32Array {
  const out = new Float32Array(N * N);
  for (let i = 0; i < N; i++) {
    for (let j = 0; j < N; j++) {
      const r = Math.hypot(i - 32, j - 32);
      out[i * N + j] = r < 20 && r > 10 && !(j > 32 && Math.abs(i - 32) < 6) ? 1 : 0;
    }
  }
  return out;
}

describe.skipIf(missing)('diffeo batch on a real Redis, with worker processes', () => {
  let redis: TestRedis;
  const dir = mkdtempSync(join(tmpdir(), 'diffeo-batch-cli-'));
  beforeAll(async () => {
    redis = await startRedis();
    await saveNifti(join(dir, 'c.nii.gz'), { data: cShape(), shape: [N, N] }, IDENTITY);
    for (const di of [0, 1, 2, 3]) await saveNifti(join(dir, `circle${di}.nii.gz`), { data: disc(di), shape: [N, N] }, IDENTITY);
    mkdirSync(join(dir, 'out'));
    mkdirSync(join(dir, 'local'));
  });
  afterAll(async () => {
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('cohort.json errors name the job and the field', async () => {
    const bad = (jobs: unknown) => {
      writeFileSync(join(dir, 'bad.json'), JSON.stringify(jobs));
      return readCohort(join(dir, 'bad.json'));
    };
    await expect(bad([{ id: 's1', static: 'c.nii.gz' }])).rejects.toThrow('job "s1", field "moving": is missing');
    await expect(bad([{ id: 's1', static: 'c.nii.gz', moving: 'm.nii.gz', 'level-iters': [1] }])).rejects.toThrow(/job "s1", field "level-iters": unknown field \(write options in camelCase, e.g. "levelIters"\)/);
    await expect(bad([{ id: 's1', static: 'c.nii.gz', moving: 'm.nii.gz', levelIters: '10,10' }])).rejects.toThrow(/job "s1", field "levelIters": must be an array of non-negative integers/);
    await expect(bad([{ id: 's1', static: 'c.nii.gz', moving: 'm.nii.gz', radius: 0 }])).rejects.toThrow(/job "s1", field "radius": must be an integer of at least 1; got 0/);
    await expect(bad([{ id: 's1', static: 'c.nii.gz', moving: 'm.nii.gz', outWarped: 'w.nii.gz' }, { id: 's2', static: 'c.nii.gz', moving: 'm.nii.gz', outWarped: 'w.nii.gz' }]))
      .rejects.toThrow(/job "s2", field "outWarped": .*w\.nii\.gz is also an output of job "s1"/);
    await expect(bad([{ id: 's1', static: 'c.nii.gz', moving: 'm.nii.gz', outAnts: 'ants/' }])).rejects.toThrow(/job "s1", field "outAnts": is not supported in batch jobs yet/);
    await expect(bad([{ id: 's1', static: 'c.nii.gz', moving: 'm.nii.gz', metric: 'em', emStep: 'newton' }])).rejects.toThrow(/job "s1", field "emStep": must be "demons" or "gauss_newton"/);
    await expect(bad([{ id: 's1', static: 'c.nii.gz', moving: 'm.nii.gz', staticMask: 7 }])).rejects.toThrow(/job "s1", field "staticMask": must be a file path \(a non-empty string\); got 7/);
    await expect(bad([{ id: 's1', static: 'c.nii.gz', moving: 'm.nii.gz', 'moving-mask': 'mm.nii.gz' }])).rejects.toThrow(/job "s1", field "moving-mask": unknown field \(write options in camelCase, e.g. "movingMask"\)/);
    const [job] = await bad([{ id: 's1', static: 'c.nii.gz', moving: 'sub/m.nii.gz' }]);
    expect(job.options).toEqual({ static: join(dir, 'c.nii.gz'), moving: join(dir, 'sub/m.nii.gz'), metric: 'cc', outWarped: join(dir, 's1_warped.nii.gz'), outMapping: join(dir, 's1_mapping.nii.gz') });
  });

  it('two workers, one SIGKILLed mid-job: every output once, bit-identical to a local register; a bad job fails alone', async () => {
    const queue = 'cohort';
    const target = { redis: redis.url, queue };
    const ids = ['s0', 's1', 's2', 's3'];
    const cohort = [
      ...ids.map((id, k) => ({ id, static: 'c.nii.gz', moving: `circle${k}.nii.gz`, levelIters: [20, 20, 10], outWarped: `out/${id}_warped.nii.gz`, outMapping: `out/${id}_map` })),
      { id: 'broken', static: 'c.nii.gz', moving: 'no-such-image.nii.gz', levelIters: [2], outWarped: 'out/broken_warped.nii.gz', outMapping: 'out/broken_map' },
    ];
    writeFileSync(join(dir, 'cohort.json'), JSON.stringify(cohort, null, 2));
    const common = ['--redis', redis.url, '--queue', queue];

    const first = await inProcess(['batch', 'submit', ...common, '--jobs', join(dir, 'cohort.json'), '--backoff', '0.1']);
    expect(first.stdout.trim(), first.stderr).toBe(`queued 5 jobs on ${queue}`);
    const again = await inProcess(['batch', 'submit', ...common, '--jobs', join(dir, 'cohort.json')]);
    expect(again.stdout.trim()).toBe(`queued 0 jobs on ${queue} (5 already in the queue, left alone)`);

    const workerArgs = ['batch', 'worker', ...common, '--backend', 'ts', '--lock-duration', '1', '--stalled-interval', '0.5'];
    const a = start(workerArgs);
    const b = start([...workerArgs, '--exit-when-empty']);
    const waiting = start(['batch', 'wait', ...common, '--timeout', '90']);
    // Kill worker A as soon as it is in the middle of a registration.
    const s = await until(target, (st) => st.jobs.some((j) => j.state === 'active' && j.progress?.worker.endsWith(`:${a.child.pid}`) && j.progress.level !== undefined));
    a.child.kill('SIGKILL');
    const killedJob = s.jobs.find((j) => j.state === 'active' && j.progress?.worker.endsWith(`:${a.child.pid}`))!.id;
    expect((await a.done).signal).toBe('SIGKILL');

    const waited = await waiting.done;
    expect(waited.status, waited.stderr).toBe(1);
    expect(waited.stderr).toMatch(/diffeo: error: 1 of 5 jobs failed \(broken: --moving .*no-such-image\.nii\.gz.*\); see "diffeo batch status"/);
    expect(waited.stderr).toMatch(/done \(\d completed/); // the live progress line
    const bRun = await b.done;
    expect(bRun.status, bRun.stderr).toBe(0);
    expect(bRun.stderr).toMatch(new RegExp(`started job ${killedJob} \\(attempt 2\\)`));

    const final = await cohortStatus(target);
    expect(final.counts).toMatchObject({ completed: 4, failed: 1, active: 0, waiting: 0 });
    const killed = final.jobs.find((j) => j.id === killedJob)!;
    expect(killed).toMatchObject({ state: 'completed', attemptsStarted: 2 });
    expect(killed.result!.worker.endsWith(`:${b.child.pid}`)).toBe(true);
    expect(final.jobs.find((j) => j.id === 'broken')).toMatchObject({ state: 'failed', attemptsStarted: 1 });

    // Each output exactly once, nothing else (no staging or temporary files).
    expect(readdirSync(join(dir, 'out')).sort()).toEqual(ids.flatMap((id) => [`${id}_map.nii.gz`, `${id}_warped.nii.gz`]).sort());
    // The same bits as a local registration of the same pair.
    for (const [k, id] of ids.entries()) {
      const local = await runRegister({ static: join(dir, 'c.nii.gz'), moving: join(dir, `circle${k}.nii.gz`), levelIters: [20, 20, 10], outWarped: join(dir, 'local', `${id}_warped.nii.gz`), outMapping: join(dir, 'local', `${id}_map`), backend: 'ts', quiet: true });
      for (const [name, path] of [[`${id}_warped.nii.gz`, local.outWarped], [`${id}_map.nii.gz`, local.outMapping]]) {
        expect(Buffer.compare(readFileSync(join(dir, 'out', name)), readFileSync(path)), `${name} differs from a local register`).toBe(0);
      }
      const job = final.jobs.find((j) => j.id === id)!;
      expect(job.result).toMatchObject({ iterations: local.iterationsPerLevel.reduce((x, y) => x + y, 0), energy: local.energy, qc: { ncc: local.ncc } });
    }

    const status = await inProcess(['batch', 'status', ...common, '--json']);
    const parsed = JSON.parse(status.stdout) as CohortStatus;
    expect(parsed.counts).toMatchObject({ completed: 4, failed: 1 });
    expect(parsed.jobs.map((j) => j.id)).toEqual(['broken', 's0', 's1', 's2', 's3']);

    const csvPath = join(dir, 'results.csv');
    const res = await inProcess(['batch', 'results', ...common, '--out', csvPath]);
    expect(res.error).toBeUndefined();
    expect(res.stdout.trim()).toBe(`wrote ${csvPath} (5 jobs)`);
    const rows = readFileSync(csvPath, 'utf8').trim().split('\n');
    expect(rows[0]).toBe('id,status,attempts,seconds,iterations,energy,ncc,worker,error');
    expect(rows).toHaveLength(6);
    expect(rows.find((r) => r.startsWith(`${killedJob},`))).toMatch(new RegExp(`^${killedJob},completed,2,[0-9.]+,\\d+,-[0-9.]+,0\\.\\d+,[^,]+:${b.child.pid},$`));
    expect(rows.find((r) => r.startsWith('broken,'))).toMatch(/^broken,failed,1,,,,,[^,]+,.*no-such-image/);
    const noClobber = await inProcess(['batch', 'results', ...common, '--out', csvPath]);
    expect(noClobber.error?.message).toMatch(/results\.csv already exists; pass --force/);
  });

  describe('masks (staticMask, movingMask): the masked T1 pair of fixtures/masks', () => {
    const fx = (name: string) => fileURLToPath(new URL(`../../../fixtures/masks/${name}.nii.gz`, import.meta.url));
    const flat = async (f: string) => Float32Array.from((await loadNifti(f)).data as ArrayLike<number>);
    /** `fu` (and its mask) moved by (3, -2) voxels on the same grid, zeros shifted in: a second subject. */
    beforeAll(async () => {
      for (const name of ['t1longi_2d_fu', 't1longi_2d_fu_mask']) {
        const img = await loadNifti(fx(name));
        const [ni, nj] = img.shape;
        const out = new (img.data.constructor as new (n: number) => typeof img.data)(img.data.length);
        for (let i = 0; i < ni; i++) for (let j = 0; j < nj; j++) {
          const si = i - 3, sj = j + 2;
          if (si >= 0 && si < ni && sj >= 0 && sj < nj) out[i * nj + j] = img.data[si * nj + sj];
        }
        await saveNifti(join(dir, `${name}_shifted.nii.gz`), { data: out, shape: img.shape }, img.affine);
      }
      mkdirSync(join(dir, 'masked'));
      mkdirSync(join(dir, 'masked-local'));
    });

    it('a 2-subject cohort with masks: each output has the bytes of "diffeo register" with the same masks', async () => {
      const queue = 'masked';
      const common = ['--redis', redis.url, '--queue', queue];
      // A template mask repeated in both jobs, and each subject's own moving mask.
      const subjects = [
        { id: 'sub-01', moving: fx('t1longi_2d_fu'), movingMask: fx('t1longi_2d_fu_mask') },
        { id: 'sub-02', moving: 't1longi_2d_fu_shifted.nii.gz', movingMask: 't1longi_2d_fu_mask_shifted.nii.gz' },
      ];
      const cohort = subjects.map((s) => ({
        ...s, static: fx('t1longi_2d_bl'), staticMask: fx('t1longi_2d_bl_mask'), metric: 'ssd', levelIters: [10, 5],
        outWarped: `masked/${s.id}_warped.nii.gz`, outMapping: `masked/${s.id}_map`,
      }));
      writeFileSync(join(dir, 'masked.json'), JSON.stringify(cohort));
      const submitted = await inProcess(['batch', 'submit', ...common, '--jobs', join(dir, 'masked.json')]);
      expect(submitted.error).toBeUndefined();
      expect(submitted.stdout.trim()).toBe(`queued 2 jobs on ${queue}`);
      const w = await run(['batch', 'worker', ...common, '--backend', 'ts', '--exit-when-empty', '--quiet']);
      expect(w.status, w.stderr).toBe(0);
      const s = await cohortStatus({ redis: redis.url, queue });
      expect(s.counts).toMatchObject({ completed: 2, failed: 0 });

      for (const sub of subjects) {
        const moving = resolve(dir, sub.moving), movingMask = resolve(dir, sub.movingMask); // as the cohort resolves them
        const local = await run(['register', '--static', fx('t1longi_2d_bl'), '--moving', moving, '--static-mask', fx('t1longi_2d_bl_mask'), '--moving-mask', movingMask,
          '--metric', 'ssd', '--level-iters', '10,5', '--backend', 'ts', '--quiet', '--out-warped', join(dir, 'masked-local', `${sub.id}_warped.nii.gz`), '--out-mapping', join(dir, 'masked-local', `${sub.id}_map`)]);
        expect(local.status, local.stderr).toBe(0);
        for (const name of [`${sub.id}_warped.nii.gz`, `${sub.id}_map.nii.gz`]) {
          expect(Buffer.compare(readFileSync(join(dir, 'masked', name)), readFileSync(join(dir, 'masked-local', name))), `${name} differs from diffeo register with the masks`).toBe(0);
        }
      }
      // The masks reached the worker: without them the result is another image.
      const plain = await runRegister({ static: fx('t1longi_2d_bl'), moving: fx('t1longi_2d_fu'), metric: 'ssd', levelIters: [10, 5], backend: 'ts', quiet: true,
        outWarped: join(dir, 'masked-local', 'plain_warped.nii.gz'), outMapping: join(dir, 'masked-local', 'plain_map') });
      const masked = await flat(join(dir, 'masked', 'sub-01_warped.nii.gz'));
      const unmasked = await flat(plain.outWarped);
      expect(masked.some((v, i) => v !== unmasked[i])).toBe(true);
    });

    it('a bad mask stops the submission before anything is queued, naming the job, the field and the fix', async () => {
      const queue = 'badmask';
      const common = ['--redis', redis.url, '--queue', queue];
      const m = await loadNifti(fx('t1longi_2d_bl_mask'));
      const shifted = Float64Array.from(m.affine);
      shifted[3] += 2;
      await saveNifti(join(dir, 'mask_shifted_affine.nii.gz'), { data: m.data, shape: m.shape }, shifted);
      await saveNifti(join(dir, 'mask_64.nii.gz'), { data: new Uint8Array(64 * 64).fill(1), shape: [64, 64] }, m.affine);
      await saveNifti(join(dir, 'mask_empty.nii.gz'), { data: new Uint8Array(m.data.length), shape: m.shape }, m.affine);
      writeFileSync(join(dir, 'not_a_mask.nii.gz'), 'not a NIfTI file');
      const good = { id: 'good', static: fx('t1longi_2d_bl'), moving: fx('t1longi_2d_fu'), staticMask: fx('t1longi_2d_bl_mask'), metric: 'ssd', levelIters: [1], outWarped: 'never/good_w.nii.gz', outMapping: 'never/good_m' };
      const submitWith = async (bad: Record<string, unknown>) => {
        writeFileSync(join(dir, 'badmask.json'), JSON.stringify([good, { ...good, id: 'bad', outWarped: 'never/bad_w.nii.gz', outMapping: 'never/bad_m', ...bad }]));
        const r = await inProcess(['batch', 'submit', ...common, '--jobs', join(dir, 'badmask.json')]);
        expect(r.error).toBeInstanceOf(CohortError);
        expect(r.stdout).toBe('');
        return r.error!.message;
      };
      expect(await submitWith({ staticMask: 'mask_shifted_affine.nii.gz' }))
        .toMatch(/^job "bad", field "staticMask": the mask .*mask_shifted_affine\.nii\.gz: its affine differs from that of its image .*t1longi_2d_bl\.nii\.gz; a mask must be on its image's grid \(resample it first\)$/);
      expect(await submitWith({ movingMask: 'mask_64.nii.gz' }))
        .toMatch(/^job "bad", field "movingMask": the mask .*mask_64\.nii\.gz has shape 64x64 but its image .*t1longi_2d_fu\.nii\.gz has 256x176; a mask must be on its image's grid$/);
      expect(await submitWith({ movingMask: 'mask_empty.nii.gz' })).toMatch(/^job "bad", field "movingMask": the mask .*mask_empty\.nii\.gz is empty \(no non-zero voxel\)/);
      expect(await submitWith({ movingMask: 'not_a_mask.nii.gz' })).toMatch(/^job "bad", field "movingMask": the mask .*not_a_mask\.nii\.gz/);
      expect(await submitWith({ staticMask: 'no_such_mask.nii.gz' })).toMatch(/^job "bad", field "staticMask": the mask .*no_such_mask\.nii\.gz: no such file$/);
      expect(await submitWith({ moving: 'no_such_subject.nii.gz', movingMask: fx('t1longi_2d_fu_mask') }))
        .toMatch(/^job "bad", field "moving": the image .*no_such_subject\.nii\.gz: no such file; it is read at submission to check movingMask against its grid$/);
      // Nothing was queued, not even the good job.
      expect((await cohortStatus({ redis: redis.url, queue })).jobs).toEqual([]);
    });
  });

  it('SIGTERM releases the running job to the queue and the worker exits cleanly', async () => {
    const queue = 'term';
    const target = { redis: redis.url, queue };
    writeFileSync(join(dir, 'term.json'), JSON.stringify([{ id: 'long', static: 'c.nii.gz', moving: 'circle1.nii.gz', levelIters: [100, 100, 100], optTol: 0, outWarped: 'out/long_warped.nii.gz', outMapping: 'out/long_map' }]));
    const common = ['--redis', redis.url, '--queue', queue];
    expect((await inProcess(['batch', 'submit', ...common, '--jobs', join(dir, 'term.json')])).stdout).toMatch(/^queued 1 job on term/);
    const w = start(['batch', 'worker', ...common, '--backend', 'ts']);
    await until(target, (st) => st.jobs[0]?.state === 'active' && st.jobs[0].progress?.level !== undefined);
    w.child.kill('SIGTERM');
    const r = await w.done;
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/released job long \(back in the queue\)/);
    const s = await cohortStatus(target);
    expect(s.jobs[0]).toMatchObject({ id: 'long', state: 'waiting', attemptsMade: 0 });
    expect(readdirSync(join(dir, 'out')).filter((n) => n.includes('long'))).toEqual([]);
  });

  it('a Redis that is down: a clear error after retries, not a crash', async () => {
    const port = await freePort();
    const r = await inProcess(['batch', 'status', '--redis', `redis://127.0.0.1:${port}`, '--queue', 'q']);
    expect(r.stderr).toMatch(/diffeo batch: cannot reach Redis .*ECONNREFUSED.*retrying in .* \(attempt 2 of 5\)/);
    expect(r.error).toBeInstanceOf(RedisUnavailableError);
    expect(r.error?.message).toMatch(new RegExp(`^cannot reach Redis at redis://127.0.0.1:${port} \\(ECONNREFUSED\\) after 5 attempts; start it`));
  });
});
