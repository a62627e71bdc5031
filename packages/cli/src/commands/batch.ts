/**
 * `diffeo batch`: cohorts of registrations on a BullMQ queue in Redis (@diffeo/batch).
 *
 *   submit   queue the jobs of a cohort file (idempotent: the job id is the cohort id)
 *   worker   run jobs with `runRegister` (the same bits as `diffeo register`), outputs
 *            staged and moved into place once complete
 *   status   counts by state and each job's state, progress (level, iteration) or result
 *   wait     a live progress line until every job has completed or failed
 *   results  one CSV row per job
 *
 * A cohort file is a JSON array of jobs; each has an `id` and the options of `register` in
 * camelCase. Relative paths in it are relative to the cohort file's folder and are stored
 * absolute, so every worker must see the same paths (a shared file system).
 *
 * Masks. A job may name a `staticMask` (on the grid of its `static` image, e.g. a template
 * mask repeated in every job) and a `movingMask` (on the grid of its `moving` image), as
 * `register --static-mask/--moving-mask`. `submit` reads each mask and the image it masks
 * before anything is queued (each distinct image/mask pair once) and refuses the cohort
 * if a mask is unreadable, empty, or on another grid (shape, or affine beyond 1e-5 mm).
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import {
  checkRedisUrl, cohortError, cohortStatus, parseCohort, progressLine, resultsCsv, startWorker, submitCohort, waitForCohort, waitForRedis,
  type CohortStatus, type JobProcessor, type JobStatus,
} from '@diffeo/batch';
import { DiffeoError } from '@diffeo/core';
import { mappingFilePath, writeFileAtomic } from '@diffeo/io';
import { abs, errorText, numberOption, parse, required } from '../args.js';
import { CliError, loadInput, type InputImage } from '../images.js';
import { loadMask, runRegister, type RegisterOptions } from './register.js';

export const BATCH_USAGE = `usage: diffeo batch submit|worker|status|wait|results --redis redis://HOST:PORT --queue NAME [options]

Registers cohorts on a job queue (BullMQ on Redis) with workers on any number of machines
that share the file system.

  diffeo batch submit  --redis URL --queue NAME --jobs cohort.json [--attempts 3] [--backoff 5]
      queues the jobs of cohort.json (a JSON array: {"id": "sub-01", "static": ..., "moving": ...,
      and any option of "diffeo register" in camelCase}); prints how many were queued. Jobs
      already in the queue (same id) are left alone. Relative paths are relative to the folder
      of cohort.json; outWarped defaults to ID_warped.nii.gz and outMapping to ID_mapping there.
      Masks: "staticMask" (on the grid of the job's static image; repeat a template mask in
      every job) and "movingMask" (on the grid of its moving image), as --static-mask and
      --moving-mask of register; they are read and checked before anything is queued.
      --attempts: tries per job before it fails; --backoff: seconds before the first retry
      (doubling). A job whose worker dies is recovered without using up an attempt.
  diffeo batch worker  --redis URL --queue NAME [--concurrency 1] [--backend wasm|ts] [--exit-when-empty]
                       [--lock-duration 30] [--stalled-interval 30] [--max-stalled 2] [--quiet]
      runs jobs until stopped (SIGTERM: release the running job to the queue and exit; Ctrl-C:
      finish it and exit, a second Ctrl-C releases it). --exit-when-empty: exit once nothing is
      waiting or running. A worker that dies mid-job has its job taken up by another about
      --lock-duration seconds later (checked every --stalled-interval seconds), at most
      --max-stalled times.
  diffeo batch status  --redis URL --queue NAME [--json]
      counts by state and every job (state, attempts, progress or result or error); --json
      prints {"counts": {...}, "jobs": [...]}.
  diffeo batch wait    --redis URL --queue NAME [--timeout S] [--quiet]
      shows a progress line until every job has finished; exits 0 when all completed, 1 if any
      failed, 3 on timeout.
  diffeo batch results --redis URL --queue NAME --out results.csv [--force]
      writes one row per job: id, status, attempts, seconds, iterations, energy, ncc, worker, error.`;

const REGISTER_FIELDS = new Set([
  'static', 'moving', 'metric', 'levelIters', 'stepLength', 'invIter', 'invTol', 'optTol', 'ssSigmaFactor', 'sigmaDiff',
  'radius', 'smooth', 'innerIter', 'qLevels', 'doubleGradient', 'emStep', 'nbins', 'prealign', 'affine', 'staticMask', 'movingMask', 'volIdx', 'outWarped', 'outMapping', 'force',
]);
/** Options of `register` that write further files; batch jobs do not stage them yet. */
const UNSUPPORTED_FIELDS = new Set(['outAffine', 'outAnts']);
type NumberField = 'stepLength' | 'invIter' | 'invTol' | 'optTol' | 'ssSigmaFactor' | 'sigmaDiff' | 'radius' | 'smooth' | 'innerIter' | 'qLevels' | 'nbins' | 'volIdx';
const NUMBER_RULES: Record<NumberField, { integer?: boolean; min: number; exclusive?: boolean }> = {
  stepLength: { min: 0, exclusive: true },
  invIter: { integer: true, min: 0 },
  invTol: { min: 0 },
  optTol: { min: 0 },
  ssSigmaFactor: { min: 0 },
  sigmaDiff: { min: 0 },
  radius: { integer: true, min: 1 },
  smooth: { min: 0, exclusive: true },
  innerIter: { integer: true, min: 1 },
  qLevels: { integer: true, min: 2 },
  nbins: { integer: true, min: 5 },
  volIdx: { integer: true, min: 0 },
};

/** The options of one cohort job, as a worker runs them (absolute paths, final output names). */
export type BatchJobOptions = RegisterOptions & { outWarped: string; outMapping: string };

/**
 * Checks the fields of one cohort job and turns them into `register` options: relative
 * paths resolved against `base` (the cohort file's folder), default output names from the
 * job id.
 * @throws CohortError naming the job and the field.
 */
export function registerJobOptions(fields: Record<string, unknown>, id: string, index: number, base: string): BatchJobOptions {
  const fail = (field: string, what: string): never => {
    throw cohortError(id, index, field, what);
  };
  for (const k of Object.keys(fields)) {
    if (UNSUPPORTED_FIELDS.has(k)) fail(k, 'is not supported in batch jobs yet (only outWarped and outMapping are written exactly once); run "diffeo register" for it');
    if (!REGISTER_FIELDS.has(k)) {
      const hint = k.includes('-') ? ` (write options in camelCase, e.g. "${k.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())}")` : '';
      fail(k, `unknown field${hint}; the fields are id and ${[...REGISTER_FIELDS].join(', ')}`);
    }
  }
  const path = (k: 'static' | 'moving' | 'prealign' | 'staticMask' | 'movingMask' | 'outWarped' | 'outMapping', fallback?: string): string | undefined => {
    const v = fields[k];
    if (v === undefined) return fallback === undefined ? undefined : resolve(base, fallback);
    if (typeof v !== 'string' || v === '') return fail(k, `must be a file path (a non-empty string); got ${JSON.stringify(v)}`);
    return resolve(base, v);
  };
  const statik = path('static') ?? fail('static', 'is missing: every job needs a "static" image');
  const moving = path('moving') ?? fail('moving', 'is missing: every job needs a "moving" image');
  const metric = fields.metric ?? 'cc';
  if (metric !== 'cc' && metric !== 'ssd' && metric !== 'ssd-gn' && metric !== 'em' && metric !== 'mi') fail('metric', `must be "cc", "ssd", "ssd-gn", "em" or "mi"; got ${JSON.stringify(metric)}`);
  for (const k of ['doubleGradient', 'affine'] as const) {
    if (fields[k] !== undefined && typeof fields[k] !== 'boolean') fail(k, `must be true or false; got ${JSON.stringify(fields[k])}`);
  }
  if (fields.emStep !== undefined && fields.emStep !== 'demons' && fields.emStep !== 'gauss_newton') fail('emStep', `must be "demons" or "gauss_newton"; got ${JSON.stringify(fields.emStep)}`);
  const li = fields.levelIters;
  if (li !== undefined && (!Array.isArray(li) || li.length === 0 || li.some((n) => !Number.isInteger(n) || (n as number) < 0))) {
    fail('levelIters', `must be an array of non-negative integers, coarsest level first (e.g. [10, 10, 5]); got ${JSON.stringify(li)}`);
  }
  const numbers: Partial<Record<NumberField, number>> = {};
  for (const [k, rule] of Object.entries(NUMBER_RULES) as [NumberField, (typeof NUMBER_RULES)[NumberField]][]) {
    const v = fields[k];
    if (v === undefined) continue;
    const ok = typeof v === 'number' && Number.isFinite(v) && (!rule.integer || Number.isInteger(v)) && (rule.exclusive ? v > rule.min : v >= rule.min);
    if (!ok) fail(k, `must be ${rule.integer ? 'an integer' : 'a number'} ${rule.exclusive ? 'greater than' : 'of at least'} ${rule.min}; got ${JSON.stringify(v)}`);
    numbers[k] = v as number;
  }
  if (fields.force !== undefined && typeof fields.force !== 'boolean') fail('force', `must be true or false; got ${JSON.stringify(fields.force)}`);
  const outWarped = path('outWarped', `${id}_warped.nii.gz`) as string;
  const outMapping = mappingFilePath(path('outMapping', `${id}_mapping`) as string);
  for (const [k, p] of [['outWarped', outWarped], ['outMapping', outMapping]] as const) {
    const lower = p.toLowerCase();
    if (!lower.endsWith('.nii') && !lower.endsWith('.nii.gz')) fail(k, `${p}: the file name must end in .nii or .nii.gz`);
  }
  if (outWarped === outMapping) fail('outMapping', `names the same file as outWarped (${outWarped})`);
  return {
    static: statik,
    moving,
    metric: metric as RegisterOptions['metric'],
    ...(li !== undefined ? { levelIters: li as number[] } : {}),
    ...numbers,
    ...(fields.prealign !== undefined ? { prealign: path('prealign') } : {}),
    ...(fields.doubleGradient !== undefined ? { doubleGradient: fields.doubleGradient as boolean } : {}),
    ...(fields.emStep !== undefined ? { emStep: fields.emStep as 'demons' | 'gauss_newton' } : {}),
    ...(fields.affine === true ? { affine: true } : {}),
    ...(fields.staticMask !== undefined ? { staticMask: path('staticMask') } : {}),
    ...(fields.movingMask !== undefined ? { movingMask: path('movingMask') } : {}),
    outWarped,
    outMapping,
    ...(fields.force === true ? { force: true } : {}),
  };
}

/** A job's mask field and the field of the image it must share a grid with. */
const MASK_FIELDS = [['staticMask', 'static'], ['movingMask', 'moving']] as const;

/**
 * Checks every mask of a cohort as `register` does when it starts (readable NIfTI, not
 * empty, the shape and affine of its image; `volIdx` picks the volume of a 4D image), so
 * that a bad mask stops the submission instead of failing jobs later. Each distinct
 * (image, mask, volIdx) is read once and one at a time (a template mask repeated in every
 * job costs one read).
 * @throws CohortError naming the first job whose mask (field `staticMask`/`movingMask`) or
 * masked image (field `static`/`moving`) is wrong, and what to do about it.
 */
export async function checkCohortMasks(jobs: readonly { id: string; options: BatchJobOptions }[]): Promise<void> {
  const verdicts = new Map<string, { on: 'image' | 'mask'; text: string } | null>();
  for (const [index, job] of jobs.entries()) {
    for (const [maskField, imageField] of MASK_FIELDS) {
      const mask = job.options[maskField];
      if (mask === undefined) continue;
      const image = job.options[imageField];
      const key = JSON.stringify([image, mask, job.options.volIdx ?? null]);
      let verdict = verdicts.get(key);
      if (verdict === undefined) {
        verdict = null;
        let img: InputImage | undefined;
        try {
          img = await loadInput(image, 'the image', job.options.volIdx);
        } catch (e) {
          if (!(e instanceof CliError)) throw e;
          verdict = { on: 'image', text: `${errorText(e).replace('--vol-idx', 'volIdx')}; it is read at submission to check ${maskField} against its grid` };
        }
        if (img !== undefined) {
          try {
            await loadMask(mask, 'the mask', img);
          } catch (e) {
            if (!(e instanceof CliError)) throw e;
            verdict = { on: 'mask', text: errorText(e) };
          }
        }
        verdicts.set(key, verdict);
      }
      if (verdict !== null) throw cohortError(job.id, index, verdict.on === 'image' ? imageField : maskField, verdict.text);
    }
  }
}

/**
 * Reads and checks a cohort file: every field (see {@link registerJobOptions}), two jobs may
 * not write the same output, and the masks are checked ({@link checkCohortMasks}).
 * @throws CohortError naming the job and the field; CliError for a missing or non-JSON file.
 */
export async function readCohort(file: string): Promise<ReturnType<typeof parseCohort<BatchJobOptions>>> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CliError(`--jobs ${file}: ${code === 'ENOENT' ? 'no such file' : `not valid JSON (${errorText(e)})`}`, code === 'ENOENT' ? 1 : 2);
  }
  const jobs = parseCohort(raw, (f, id, i) => registerJobOptions(f, id, i, dirname(file)), `--jobs ${file}`);
  const writers = new Map<string, string>();
  jobs.forEach((j, index) => {
    for (const [field, p] of [['outWarped', j.options.outWarped], ['outMapping', j.options.outMapping]] as const) {
      const other = writers.get(p);
      if (other !== undefined) throw cohortError(j.id, index, field, `${p} is also an output of job "${other}"; every output needs its own name`);
      writers.set(p, j.id);
    }
  });
  await checkCohortMasks(jobs);
  return jobs;
}

/**
 * The worker's processor: `runRegister` on staging names (the outputs are moved onto
 * their final names once both are written), with SyN's level and iteration as progress.
 */
export function registerProcessor(backend: 'wasm' | 'ts', backendExplicit: boolean): JobProcessor<BatchJobOptions> {
  return async (o, ctx) => {
    const levelIters = o.levelIters ?? [10, 10, 5];
    const outputs = [o.outWarped, o.outMapping];
    return ctx.writeOutputs(outputs, o.force === true, async ([warped, mapping]) => {
      let level: number | undefined;
      const r = await runRegister(
        { ...o, outWarped: warped, outMapping: mapping, force: true, quiet: true, backend, backendExplicit },
        {
          signal: ctx.signal,
          onEvent: (e) => {
            if (e.stage === 'SCALE_START') {
              level = e.level;
              ctx.progress({ level, levels: levelIters.length, iteration: 0, iterations: levelIters[levelIters.length - 1 - e.level] });
            } else if (e.stage === 'ITER_END' && level !== undefined) {
              ctx.progress({ level, levels: levelIters.length, iteration: e.iteration + 1, iterations: levelIters[levelIters.length - 1 - level], energy: e.energy });
            }
          },
        },
      );
      return { iterations: r.iterationsPerLevel.reduce((a, b) => a + b, 0), energy: r.energy, qc: { ncc: r.ncc }, outputs };
    });
  };
}

function target(v: { redis?: string; queue?: string }, sub: string): { redis: string; queue: string } {
  const redis = required(v.redis, 'redis', `batch ${sub}`);
  const queue = required(v.queue, 'queue', `batch ${sub}`);
  if (!/^[A-Za-z0-9._-]+$/.test(queue)) throw new CliError(`--queue must be letters, digits, ".", "_" or "-"; got "${queue}"`, 2);
  try {
    checkRedisUrl(redis);
  } catch (e) {
    throw new CliError(`--redis: ${errorText(e)}`, 2);
  }
  return { redis, queue };
}

const seconds = (v: string | undefined, name: string): number | undefined => {
  const s = numberOption(v, name, { min: 0, exclusive: true });
  return s === undefined ? undefined : Math.round(s * 1000);
};

const onRetry = (m: string): void => void process.stderr.write(`diffeo batch: ${m}\n`);
const connect = (redis: string): Promise<void> => waitForRedis(redis, { onRetry });

function describeJob(j: JobStatus): string {
  const p = j.progress;
  let what = '';
  if (j.state === 'completed' && j.result) {
    what = `${j.result.seconds.toFixed(2)} s, ${j.result.iterations ?? '?'} iterations, energy ${j.result.energy?.toPrecision(6) ?? '-'}, ncc ${j.result.qc?.ncc?.toFixed(4) ?? '-'}`;
  } else if (j.state === 'failed') {
    what = j.error ?? '';
  } else if (j.state === 'active' && p) {
    what = p.phase === 'writing' ? `writing outputs on ${p.worker}` : p.level === undefined ? `starting on ${p.worker}` : `level ${p.level} iteration ${p.iteration ?? 0}/${p.iterations ?? '?'} on ${p.worker}`;
  }
  return `  ${j.id.padEnd(16)} ${j.state.padEnd(10)} attempt ${Math.max(j.attemptsStarted, 0)}${what ? `  ${what}` : ''}`;
}

async function submit(args: string[]): Promise<void> {
  const v = parse(args, { redis: { type: 'string' }, queue: { type: 'string' }, jobs: { type: 'string' }, attempts: { type: 'string' }, backoff: { type: 'string' } }, BATCH_USAGE);
  const t = target(v, 'submit');
  const file = abs(required(v.jobs, 'jobs', 'batch submit'));
  const attempts = numberOption(v.attempts, 'attempts', { integer: true, min: 1 });
  const backoffMs = seconds(v.backoff, 'backoff');
  const jobs = await readCohort(file);
  await connect(t.redis);
  const { queued, existing } = await submitCohort(t, jobs, { attempts, backoffMs });
  console.log(`queued ${queued} job${queued === 1 ? '' : 's'} on ${t.queue}${existing ? ` (${existing} already in the queue, left alone)` : ''}`);
}

async function worker(args: string[]): Promise<void> {
  const v = parse(args, {
    redis: { type: 'string' }, queue: { type: 'string' }, concurrency: { type: 'string' }, backend: { type: 'string' },
    'exit-when-empty': { type: 'boolean' }, 'lock-duration': { type: 'string' }, 'stalled-interval': { type: 'string' },
    'max-stalled': { type: 'string' }, quiet: { type: 'boolean' },
  }, BATCH_USAGE);
  const t = target(v, 'worker');
  const backend = v.backend ?? 'wasm';
  if (backend !== 'wasm' && backend !== 'ts') throw new CliError(`--backend must be wasm or ts; got "${backend}"`, 2);
  const quiet = v.quiet === true;
  const log = (line: string): void => {
    if (!quiet || /cannot reach Redis/.test(line)) process.stderr.write(`diffeo batch: ${line}\n`);
  };
  const w = startWorker<BatchJobOptions>({
    ...t,
    processor: registerProcessor(backend, v.backend !== undefined),
    concurrency: numberOption(v.concurrency, 'concurrency', { integer: true, min: 1 }),
    exitWhenEmpty: v['exit-when-empty'] === true,
    lockDurationMs: seconds(v['lock-duration'], 'lock-duration'),
    stalledIntervalMs: seconds(v['stalled-interval'], 'stalled-interval'),
    maxStalledCount: numberOption(v['max-stalled'], 'max-stalled', { integer: true, min: 0 }),
    isPermanent: (e) => e instanceof CliError || e instanceof DiffeoError,
    log,
  });
  log(`worker ${w.name} on ${t.queue} (${t.redis.replace(/\/\/[^@/]*@/, '//***@')}); SIGTERM releases the running job, Ctrl-C finishes it`);
  let interrupts = 0;
  const onInt = (): void => {
    interrupts++;
    if (interrupts === 1) {
      log(`worker ${w.name}: finishing the running job, then exiting (Ctrl-C again to release it to the queue now)`);
      w.finish();
    } else {
      w.release();
    }
  };
  const onTerm = (): void => {
    log(`worker ${w.name}: SIGTERM, releasing the running job to the queue and exiting`);
    w.release();
  };
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  try {
    const s = await w.done;
    log(`worker ${w.name}: stopped (${s.completed} completed, ${s.failed} failed, ${s.released} released)`);
  } finally {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
  }
}

async function status(args: string[]): Promise<void> {
  const v = parse(args, { redis: { type: 'string' }, queue: { type: 'string' }, json: { type: 'boolean' } }, BATCH_USAGE);
  const t = target(v, 'status');
  await connect(t.redis);
  const s = await cohortStatus(t);
  if (v.json === true) {
    process.stdout.write(`${JSON.stringify(s)}\n`);
    return;
  }
  console.log(`queue ${t.queue}: ${progressLine(s)}`);
  for (const j of s.jobs) console.log(describeJob(j));
}

async function wait(args: string[]): Promise<void> {
  const v = parse(args, { redis: { type: 'string' }, queue: { type: 'string' }, timeout: { type: 'string' }, quiet: { type: 'boolean' } }, BATCH_USAGE);
  const t = target(v, 'wait');
  const timeoutSeconds = numberOption(v.timeout, 'timeout', { min: 0 });
  await connect(t.redis);
  const tty = process.stderr.isTTY === true;
  let last = '';
  const show = (s: CohortStatus): void => {
    if (v.quiet === true) return;
    const line = progressLine(s);
    if (line === last) return;
    last = line;
    process.stderr.write(tty ? `\r\x1b[2K${line}` : `${line}\n`);
  };
  // Should Redis go away meanwhile, the wait goes on (retrying, with a message) until it is back.
  const { status: s, timedOut } = await waitForCohort({ ...t, onRetry }, { timeoutSeconds, onStatus: show });
  if (tty && v.quiet !== true) process.stderr.write('\n');
  if (s.jobs.length === 0) throw new CliError(`queue ${t.queue} holds no jobs; submit a cohort first (diffeo batch submit) or check --queue`);
  if (timedOut) throw new CliError(`timed out after ${timeoutSeconds} s: ${progressLine(s)}`, 3);
  const failed = s.jobs.filter((j) => j.state === 'failed');
  if (failed.length > 0) {
    throw new CliError(`${failed.length} of ${s.jobs.length} jobs failed (${failed.slice(0, 5).map((j) => `${j.id}: ${j.error ?? 'no message'}`).join('; ')}${failed.length > 5 ? '; ...' : ''}); see "diffeo batch status"`);
  }
  if (v.quiet !== true) console.log(`all ${s.jobs.length} jobs completed`);
}

async function results(args: string[]): Promise<void> {
  const v = parse(args, { redis: { type: 'string' }, queue: { type: 'string' }, out: { type: 'string' }, force: { type: 'boolean' } }, BATCH_USAGE);
  const t = target(v, 'results');
  const out = abs(required(v.out, 'out', 'batch results'));
  await connect(t.redis);
  const s = await cohortStatus(t);
  try {
    await writeFileAtomic(out, new TextEncoder().encode(resultsCsv(s)), { overwrite: v.force === true });
  } catch (e) {
    if (e instanceof DiffeoError && e.code === 'FILE_EXISTS') throw new CliError(`--out ${out} already exists; pass --force to overwrite it`);
    throw e;
  }
  console.log(`wrote ${out} (${s.jobs.length} job${s.jobs.length === 1 ? '' : 's'})`);
}

const SUBCOMMANDS: Record<string, (args: string[]) => Promise<void>> = { submit, worker, status, wait, results };

/** `diffeo batch <subcommand> ...`. */
export async function batch(args: string[]): Promise<void> {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    console.log(BATCH_USAGE);
    return;
  }
  const run = SUBCOMMANDS[sub];
  if (run === undefined) throw new CliError(`unknown batch command "${sub}"; use submit, worker, status, wait or results (see "diffeo batch --help")`, 2);
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(BATCH_USAGE);
    return;
  }
  return run(rest);
}
