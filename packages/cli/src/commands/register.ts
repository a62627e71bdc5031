/**
 * `diffeo register`: SyN registration of a moving NIfTI image onto a static one.
 *
 * Reads both images with their affines as grid-to-world (voxel index -> mm), runs
 * `SymmetricDiffeomorphicRegistration` (DIPY's workflow defaults: CC metric, levels
 * 10,10,5), prints one progress line per pyramid level, and writes the moving image
 * warped onto the static grid (with the static affine) and the mapping.
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, resolve, sep } from 'node:path';
import { metricByName, synRegistration } from '@diffeo/align';
import { jacobianStats, mapJacobianDeterminant, ncc, type Dim, type KernelContext, type NumericArray, type SimilarityMetric } from '@diffeo/core';
import { mappingFilePath, saveAntsTransforms, serializeMapping, serializeNifti } from '@diffeo/io';
import { OutputSet } from '../outputs.js';
import { MIN_FOREGROUND_OVERLAP, checkPair } from '../overlap.js';
import { emMetric } from '@diffeo/metrics-em';
import type { RegistrationEvent } from '@diffeo/syn';
import { abs, errorText, levelItersOption, numberOption, parse, readPrealign, required } from '../args.js';
import { CliError, checkOutput, loadInput } from '../images.js';
import { Progress } from '../progress.js';
import { kernelBackend } from '../backend.js';
import { runAffine } from './affine.js';

export const REGISTER_USAGE = `usage: diffeo register --static S.nii[.gz] --moving M.nii[.gz] [options]

Symmetric diffeomorphic registration (DIPY's SyN) of M onto S. Images are 2D or 3D NIfTI
(4D: pick a volume with --vol-idx); their affines are used as grid-to-world.

  --metric cc|ssd|ssd-gn|em|mi  similarity: local cross-correlation (default), sum of squared
                           differences with demons steps, or with Gauss-Newton steps,
                           expectation-maximisation (em: multimodal, e.g. T1 vs b0), or
                           mutual information (mi: multimodal, any intensity relation)
  --level-iters 10,10,5    iterations per pyramid level, coarsest first (default 10,10,5)
  --step-length 0.25       largest update per iteration, voxels (default 0.25)
  --inv-iter 20            fixed-point iterations per field inversion (default 20)
  --inv-tol 0.001          inversion tolerance (default 1e-3)
  --opt-tol 1e-5           convergence threshold on the energy slope (default 1e-5)
  --ss-sigma-factor 0.2    pyramid smoothing factor (default 0.2)
  --sigma-diff 2           cc: Gaussian smoothing of the update, voxels (default 2)
  --radius 4               cc: correlation window radius, voxels (default 4)
  --smooth 4               ssd, em, mi: smoothness (demons sigma / Gauss-Newton weight /
                           mi step sigma, voxels; default 4 for ssd, 1 for em, 2 for mi)
  --inner-iter 10          ssd-gn, em: Gauss-Seidel sweeps per V-cycle level (default 10
                           for ssd-gn, 5 for em)
  --q-levels 256           em: intensity classes, class 0 (values <= 0) included (default 256)
  --double-gradient true   em: add the gradient of the other image's class means (true|false;
                           default true)
  --em-step gauss_newton   em: step type, gauss_newton (default) or demons
  --nbins 32               mi: histogram bins per image, 5 to 1024 (default 32)
  --prealign A.txt         (d+1)x(d+1) world affine mapping static to moving points
                           (text rows, as numpy.savetxt writes DIPY's affine_map.affine)
  --affine                 first run the affine pipeline of "diffeo affine" (centre of mass,
                           translation, rigid, affine; its defaults) and use the result as
                           --prealign
  --out-affine A.txt       with --affine: also write that matrix (numpy.savetxt text)
  --static-mask SM.nii.gz  mask of the static image (same grid; non-zero = inside): the
                           metric uses only voxels inside both masks (each carried by its
                           half of the warp) and the update is zero elsewhere (greedy's
                           -gm/-mm); the energy is summed inside the masks only
  --moving-mask MM.nii.gz  mask of the moving image (same grid as --moving)
  --vol-idx N              volume of a 4D input
  --out-warped W.nii.gz    warped moving image, on the static grid (default warped_moved.nii.gz)
  --out-mapping PREFIX     mapping file PREFIX.nii.gz (default mapping); read it with
                           "diffeo apply", loadMapping() of @diffeo/io, or DIPY's
                           read_mapping (DIPY's write_mapping layout)
  --out-ants PREFIX        also write ANTs/ITK transforms: PREFIX0GenericAffine.mat (with
                           --prealign), PREFIX1Warp.nii.gz, PREFIX1InverseWarp.nii.gz, for
                           antsApplyTransforms -t PREFIX1Warp.nii.gz -t PREFIX0GenericAffine.mat
  --backend wasm|ts        kernels: WebAssembly (default; SIMD and worker threads) or
                           TypeScript; the same numbers either way
  --force                  overwrite existing outputs
  --quiet                  print nothing but errors
  --json                   print a JSON summary on stdout (outputs, seconds, iterations per
                           level, final energy, NCC); progress goes to stderr`;

/** The metrics `register` offers. */
export type RegisterMetricName = 'cc' | 'ssd' | 'ssd-gn' | 'em' | 'mi';

/**
 * Everything `diffeo register` needs, in the camelCase names a job file uses (the
 * command's `--kebab-case` options). Paths are absolute or relative to the process's
 * working directory; numbers left `undefined` take SyN's (DIPY's) defaults.
 */
export interface RegisterOptions {
  /** Static (fixed) NIfTI image: the grid the result lives on. */
  static: string;
  /** Moving NIfTI image, warped onto the static grid. */
  moving: string;
  /** Similarity metric (default `cc`). */
  metric?: RegisterMetricName;
  /** Iterations per pyramid level, coarsest first (default `[10, 10, 5]`). */
  levelIters?: number[];
  /** Largest update per iteration, voxels. */
  stepLength?: number;
  /** Fixed-point iterations per field inversion. */
  invIter?: number;
  /** Inversion tolerance. */
  invTol?: number;
  /** Convergence threshold on the energy slope. */
  optTol?: number;
  /** Pyramid smoothing factor. */
  ssSigmaFactor?: number;
  /** cc: Gaussian smoothing of the update, voxels. */
  sigmaDiff?: number;
  /** cc: correlation window radius, voxels. */
  radius?: number;
  /** ssd, em, mi: smoothness. */
  smooth?: number;
  /** ssd-gn, em: Gauss-Seidel sweeps per V-cycle level. */
  innerIter?: number;
  /** em: quantisation levels (default 256). */
  qLevels?: number;
  /** em: add the gradients of the class-mean images (default true). */
  doubleGradient?: boolean;
  /** em: step type (default `'gauss_newton'`, DIPY's spelling). */
  emStep?: 'demons' | 'gauss_newton';
  /** mi: histogram bins per image (default 32, 5 to 1024). */
  nbins?: number;
  /** Text file with the (d+1)×(d+1) world affine mapping static to moving points. */
  prealign?: string;
  /** Run the affine pipeline (`diffeo affine`, its defaults) first and use its matrix as the prealign. */
  affine?: boolean;
  /** With `affine`: where to write that matrix (numpy.savetxt text). */
  outAffine?: string;
  /** Mask NIfTI of the static image (same grid as `static`; non-zero = inside). */
  staticMask?: string;
  /** Mask NIfTI of the moving image (same grid as `moving`). */
  movingMask?: string;
  /** Volume of 4D inputs. */
  volIdx?: number;
  /** Warped moving image (default `warped_moved.nii.gz`). */
  outWarped?: string;
  /** Mapping prefix or file name (default `mapping`, written as `mapping.nii.gz`). */
  outMapping?: string;
  /** ANTs/ITK transforms prefix (as antsRegistration's `-o`): writes `PREFIX0GenericAffine.mat` (with a prealign), `PREFIX1Warp.nii.gz`, `PREFIX1InverseWarp.nii.gz`. */
  outAnts?: string;
  /** Kernels (default `wasm`, falling back to `ts` with a notice unless `backendExplicit`). */
  backend?: 'wasm' | 'ts';
  /** The backend was asked for explicitly: fail instead of falling back. */
  backendExplicit?: boolean;
  /** Overwrite existing outputs. */
  force?: boolean;
  /** Print nothing but errors. */
  quiet?: boolean;
  /** stdout is kept for a JSON summary: progress lines go to stderr. */
  json?: boolean;
}

/** What a registration did, for summaries (`--json`, batch results). */
export interface RegisterResult {
  /** Absolute path of the warped image written. */
  readonly outWarped: string;
  /** Absolute path of the mapping file written. */
  readonly outMapping: string;
  /**
   * The ANTs/ITK files written with `outAnts`: paths, and the antsApplyTransforms `-t` lists
   * that reproduce the warp (`forwardTransforms`: moving onto the static grid) and its inverse.
   */
  readonly outAnts?: {
    readonly affine: string | null;
    readonly warp: string;
    readonly inverseWarp: string;
    readonly forwardTransforms: readonly string[];
    readonly inverseTransforms: readonly string[];
  };
  /** Wall time of `optimize`, seconds. */
  readonly seconds: number;
  /** Wall time from the start of `optimize` to the last output written, seconds. */
  readonly totalSeconds: number;
  /** Iterations run per level, coarsest first. */
  readonly iterationsPerLevel: readonly number[];
  /** The last energy of the finest level (`NaN` when no iteration ran). */
  readonly energy: number;
  /** Normalised cross-correlation of the static image and the warped moving image. */
  readonly ncc: number;
  /** Smallest world-space Jacobian determinant of the field that warps the moving image onto the static grid. */
  readonly minDetJ: number;
  /** Voxels of that field with `det J ≤ 0` (folded). */
  readonly foldedVoxels: number;
}

/** Hooks of a programmatic run. */
export interface RegisterHooks {
  /** Every SyN event, after the command's own progress printing. */
  onEvent?: (e: RegistrationEvent<Dim>) => void;
  /**
   * Cancels the registration. Without it, SIGINT/SIGTERM during the run remove the staged
   * outputs and end the process; with it, the caller owns interruption (abort the signal).
   */
  signal?: AbortSignal;
}

export async function register(args: string[]): Promise<void> {
  const v = parse(args, {
    static: { type: 'string' },
    moving: { type: 'string' },
    metric: { type: 'string' },
    'level-iters': { type: 'string' },
    'step-length': { type: 'string' },
    'inv-iter': { type: 'string' },
    'inv-tol': { type: 'string' },
    'opt-tol': { type: 'string' },
    'ss-sigma-factor': { type: 'string' },
    'sigma-diff': { type: 'string' },
    radius: { type: 'string' },
    smooth: { type: 'string' },
    'inner-iter': { type: 'string' },
    'q-levels': { type: 'string' },
    'double-gradient': { type: 'string' },
    'em-step': { type: 'string' },
    nbins: { type: 'string' },
    prealign: { type: 'string' },
    affine: { type: 'boolean' },
    'out-affine': { type: 'string' },
    'vol-idx': { type: 'string' },
    'static-mask': { type: 'string' },
    'moving-mask': { type: 'string' },
    'out-warped': { type: 'string' },
    'out-mapping': { type: 'string' },
    'out-ants': { type: 'string' },
    backend: { type: 'string' },
    force: { type: 'boolean' },
    quiet: { type: 'boolean' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  }, REGISTER_USAGE);
  if (v.help) {
    console.log(REGISTER_USAGE);
    return;
  }
  const metricName = v.metric ?? 'cc';
  if (metricName !== 'cc' && metricName !== 'ssd' && metricName !== 'ssd-gn' && metricName !== 'em' && metricName !== 'mi') {
    throw new CliError(`--metric must be cc, ssd, ssd-gn, em or mi; got "${metricName}"`, 2);
  }
  const dg = v['double-gradient'];
  if (dg !== undefined && dg !== 'true' && dg !== 'false') throw new CliError(`--double-gradient must be true or false; got "${dg}"`, 2);
  const emStep = v['em-step'];
  if (emStep !== undefined && emStep !== 'demons' && emStep !== 'gauss_newton') {
    throw new CliError(`--em-step must be demons or gauss_newton; got "${emStep}"`, 2);
  }
  const backendName = v.backend ?? 'wasm';
  if (backendName !== 'wasm' && backendName !== 'ts') throw new CliError(`--backend must be wasm or ts; got "${backendName}"`, 2);
  const result = await runRegister({
    static: abs(required(v.static, 'static', 'register')),
    moving: abs(required(v.moving, 'moving', 'register')),
    metric: metricName,
    levelIters: levelItersOption(v['level-iters'] ?? '10,10,5'),
    stepLength: numberOption(v['step-length'], 'step-length', { min: 0, exclusive: true }),
    invIter: numberOption(v['inv-iter'], 'inv-iter', { integer: true, min: 0 }),
    invTol: numberOption(v['inv-tol'], 'inv-tol', { min: 0 }),
    optTol: numberOption(v['opt-tol'], 'opt-tol', { min: 0 }),
    ssSigmaFactor: numberOption(v['ss-sigma-factor'], 'ss-sigma-factor', { min: 0 }),
    sigmaDiff: numberOption(v['sigma-diff'], 'sigma-diff', { min: 0 }),
    radius: numberOption(v.radius, 'radius', { integer: true, min: 1 }),
    smooth: numberOption(v.smooth, 'smooth', { min: 0, exclusive: true }),
    innerIter: numberOption(v['inner-iter'], 'inner-iter', { integer: true, min: 1 }),
    qLevels: numberOption(v['q-levels'], 'q-levels', { integer: true, min: 2 }),
    doubleGradient: dg === undefined ? undefined : dg === 'true',
    emStep,
    nbins: numberOption(v.nbins, 'nbins', { integer: true, min: 5 }),
    prealign: v.prealign === undefined ? undefined : abs(v.prealign),
    affine: v.affine === true,
    outAffine: v['out-affine'] === undefined ? undefined : abs(v['out-affine']),
    volIdx: numberOption(v['vol-idx'], 'vol-idx', { integer: true, min: 0 }),
    staticMask: v['static-mask'] === undefined ? undefined : abs(v['static-mask']),
    movingMask: v['moving-mask'] === undefined ? undefined : abs(v['moving-mask']),
    outWarped: abs(v['out-warped'] ?? 'warped_moved.nii.gz'),
    outMapping: abs(v['out-mapping'] ?? 'mapping'),
    outAnts: v['out-ants'] === undefined ? undefined : abs(v['out-ants']) + (/[\\/]$/.test(v['out-ants']) ? sep : ''),
    backend: backendName,
    backendExplicit: v.backend !== undefined,
    force: v.force === true,
    quiet: v.quiet === true,
    json: v.json === true,
  });
  if (v.json === true) process.stdout.write(`${JSON.stringify({ command: 'register', ...result })}\n`);
}

/**
 * Registers `o.moving` onto `o.static` and writes the warped image and the mapping, as
 * `diffeo register` does (the same bits for the same options). Progress lines go to
 * stdout unless `o.quiet`.
 * @throws CliError for bad options or inputs (exit status 2 for usage errors).
 */
export async function runRegister(o: RegisterOptions, hooks: RegisterHooks = {}): Promise<RegisterResult> {
  const metricName = o.metric ?? 'cc';
  for (const [opt, key, metrics] of [['sigma-diff', 'sigmaDiff', ['cc']], ['radius', 'radius', ['cc']], ['smooth', 'smooth', ['ssd', 'ssd-gn', 'em', 'mi']], ['inner-iter', 'innerIter', ['ssd-gn', 'em']],
    ['q-levels', 'qLevels', ['em']], ['double-gradient', 'doubleGradient', ['em']], ['em-step', 'emStep', ['em']], ['nbins', 'nbins', ['mi']]] as const) {
    if (o[key] !== undefined && !(metrics as readonly string[]).includes(metricName)) {
      throw new CliError(`--${opt} applies to --metric ${metrics.join(' or ')} only (the metric is ${metricName})`, 2);
    }
  }
  const levelIters = o.levelIters ?? [10, 10, 5];
  const { stepLength, invIter, invTol, optTol, ssSigmaFactor, sigmaDiff, radius, smooth, innerIter, volIdx } = o;
  const force = o.force === true;
  const quiet = o.quiet === true;
  const outWarped = resolve(o.outWarped ?? 'warped_moved.nii.gz');
  const outMapping = mappingFilePath(resolve(o.outMapping ?? 'mapping'));
  if (outWarped === outMapping) throw new CliError(`--out-warped and --out-mapping name the same file ${outWarped}`, 2);
  // Refuse early, not after minutes of registration.
  checkOutput(outWarped, '--out-warped', force);
  checkOutput(outMapping, '--out-mapping', force);
  const outAnts = o.outAnts === undefined ? undefined : resolve(o.outAnts) + (/[\\/]$/.test(o.outAnts) ? sep : '');
  if (outAnts !== undefined) checkAntsOutputs(outAnts, o.prealign !== undefined, force);
  // Writable folders checked now; outputs written as a set at the end (all or none). A caller
  // with its own AbortSignal (the batch worker) handles SIGINT/SIGTERM itself.
  const outputs = await OutputSet.prepare([
    { path: outWarped, option: '--out-warped' },
    { path: outMapping, option: '--out-mapping' },
  ], force, { guardSignals: hooks.signal === undefined });
  try {
    return await registerInto(o, hooks, outputs, outWarped, outMapping, outAnts);
  } finally {
    await outputs.abort(); // a no-op after a successful commit
  }
}

/**
 * A mask NIfTI for `image`: same shape and the same affine (to 1e-5 mm), else a one-line
 * error naming the file; an all-zero mask is an error too. Also used by `diffeo batch
 * submit` to check a cohort's masks before queueing.
 * @param role - how messages name the mask (`--static-mask`, or `the mask` in a cohort).
 * @returns the mask's voxels (C order, the file's dtype) and its spatial shape (voxels).
 * @throws CliError naming the file and what is wrong.
 */
export async function loadMask(path: string, role: string, image: Awaited<ReturnType<typeof loadInput>>): Promise<{ data: NumericArray; shape: number[] }> {
  const m = await loadInput(path, role, undefined);
  if (m.shape.length !== image.shape.length || m.shape.some((n, i) => n !== image.shape[i])) {
    throw new CliError(`${role} ${path} has shape ${m.shape.join('x')} but its image ${image.path} has ${image.shape.join('x')}; a mask must be on its image's grid`);
  }
  const a = m.fileAffine, b = image.fileAffine;
  for (let i = 0; i < 16; i++) {
    if (!(Math.abs(a[i] - b[i]) <= 1e-5 * Math.max(1, Math.abs(b[i])))) {
      throw new CliError(`${role} ${path}: its affine differs from that of its image ${image.path}; a mask must be on its image's grid (resample it first)`);
    }
  }
  let inside = false;
  for (let i = 0; i < m.data.length && !inside; i++) inside = Number(m.data[i]) !== 0;
  if (!inside) throw new CliError(`${role} ${path} is empty (no non-zero voxel); pass a mask of the region to register, or no mask`);
  return { data: m.data, shape: m.shape };
}

async function registerInto(o: RegisterOptions, hooks: RegisterHooks, outputs: OutputSet, outWarped: string, outMapping: string,
  outAnts: string | undefined): Promise<RegisterResult> {
  const metricName = o.metric ?? 'cc';
  const force = o.force === true;
  const levelIters = o.levelIters ?? [10, 10, 5];
  const { stepLength, invIter, invTol, optTol, ssSigmaFactor, sigmaDiff, radius, smooth, innerIter, volIdx } = o;
  const quiet = o.quiet === true;

  const statik = await loadInput(resolve(o.static), '--static', volIdx);
  const moving = await loadInput(resolve(o.moving), '--moving', volIdx);
  if (statik.dim !== moving.dim) {
    throw new CliError(`dimension mismatch: --static ${statik.path} is ${statik.dim}D (${statik.shape.join('x')}) but --moving ${moving.path} is ${moving.dim}D (${moving.shape.join('x')})`);
  }
  const dim = statik.dim;
  const staticMask = o.staticMask === undefined ? undefined : await loadMask(resolve(o.staticMask), '--static-mask', statik);
  const movingMask = o.movingMask === undefined ? undefined : await loadMask(resolve(o.movingMask), '--moving-mask', moving);
  if (o.affine === true && o.prealign !== undefined) throw new CliError('--affine computes the prealign itself; drop --prealign or --affine', 2);
  if (o.outAffine !== undefined && o.affine !== true) throw new CliError('--out-affine needs --affine', 2);
  const kernels = await kernelBackend(o.backend ?? 'wasm', o.backendExplicit === true, quiet, 'register');
  const context = kernels.context;
  const prealign = o.affine === true
    ? Float64Array.from((await runAffine({ static: o.static, moving: o.moving, outAffine: o.outAffine, volIdx, force, quiet, json: o.json, kernels })).affine)
    : o.prealign === undefined ? undefined : await readPrealign(resolve(o.prealign), dim);

  // World-space overlap of the foregrounds and the similarity before (see overlap.ts).
  const pair = checkPair(statik, moving, prealign ?? null);
  const warn = (text: string): void => { if (!quiet) console.error(`diffeo register: warning: ${text}`); };
  if (pair.overlap < MIN_FOREGROUND_OVERLAP) {
    warn(`the foregrounds hardly overlap in world space: the moving foreground covers ${(100 * pair.overlap).toFixed(1)} % of the static one ` +
      `(warning below ${100 * MIN_FOREGROUND_OVERLAP} %; foreground = voxels above 10 % of the intensity range). SyN only refines a rough alignment: ` +
      'check the headers (sform/qform) of both files, or align first (--affine, or --prealign A.txt).');
  }

  let metric: SimilarityMetric<Dim>;
  try {
    metric = metricName === 'cc'
      ? metricByName('cc', dim, { sigmaDiff, radius })
      : metricName === 'mi'
        ? metricByName('mi', dim, { nbins: o.nbins, smooth })
      : metricName === 'em'
        ? emMetric(dim, { smooth, innerIter, qLevels: o.qLevels, doubleGradient: o.doubleGradient, stepType: o.emStep === undefined || o.emStep === 'gauss_newton' ? 'gaussNewton' : o.emStep as 'demons' })
        : metricByName('ssd', dim, { smooth, innerIter, stepType: metricName === 'ssd' ? 'demons' : 'gaussNewton' });
  } catch (e) {
    throw new CliError(errorText(e), 2);
  }

  const nLevels = levelIters.length;
  const progress = new Progress({ quiet, json: o.json === true });
  let levelShape: readonly number[] = [];
  let levelStart = 0;
  const onEvent = (e: RegistrationEvent<Dim>): void => {
    if (e.stage === 'SCALE_START') {
      levelShape = e.shape;
      levelStart = e.elapsedMs;
      progress.start(`level ${e.level} (${levelShape.join('x')})`, levelIters[nLevels - 1 - e.level]);
    } else if (e.stage === 'ITER_END') {
      progress.update(e.iteration + 1, `energy ${e.energy.toPrecision(6)}`);
    } else if (e.stage === 'SCALE_END') {
      const last = e.energies.length > 0 ? e.energies[e.energies.length - 1].toPrecision(6) : '-';
      const secs = ((e.elapsedMs - levelStart) / 1000).toFixed(2);
      progress.end(`  level ${e.level} (${levelShape.join('x')}): ${e.iteration} iterations, energy ${last}, ${secs} s`);
    }
    hooks.onEvent?.(e);
  };
  progress.log(`diffeo register: ${moving.path} (${moving.shape.join('x')}) onto ${statik.path} (${statik.shape.join('x')}), ${dim}D, metric ${metricName}, level iterations ${levelIters.join(',')}`);
  const t0 = performance.now();
  const { mapping: map, warped, registration: sdr } = await synRegistration({
    static: { data: statik.data, shape: statik.shape },
    moving: { data: moving.data, shape: moving.shape },
    staticGridToWorld: statik.gridToWorld,
    movingGridToWorld: moving.gridToWorld,
    prealign,
    ...(staticMask === undefined ? {} : { staticMask }),
    ...(movingMask === undefined ? {} : { movingMask }),
    metric,
    levelIters, stepLength, invIter, invTol, optTol, ssSigmaFactor, onEvent, context, signal: hooks.signal,
    // one registration per run: the result may stay in the backend's memory (no copy)
    resultInContextMemory: true,
  });
  const seconds = (performance.now() - t0) / 1000;

  const score = ncc(statik.data, warped.data);
  const nccAfter = ncc(statik.data, warped.data, pair.staticForeground);
  progress.start('writing outputs', outAnts === undefined ? 2 : 3);
  const gz = (p: string): boolean => p.toLowerCase().endsWith('.gz');
  await outputs.stage(outWarped, serializeNifti({ data: warped.data as Float32Array, shape: statik.fileShape }, statik.fileAffine, { gzip: gz(outWarped) }));
  progress.update(1, outWarped);
  await outputs.stage(outMapping, serializeMapping(map, { gzip: gz(outMapping) }));
  progress.update(2, outMapping);
  await outputs.commit();
  // The ANTs files are written after the set (they are extra views of the same map).
  const antsFiles = outAnts === undefined ? undefined : await saveAntsTransforms(outAnts, map, { overwrite: force });
  if (antsFiles !== undefined) progress.update(3, antsFiles.warp);
  const jac = jacobianStats(mapJacobianDeterminant(map, map.isInverse ? 'backward' : 'forward', { context }).data);
  map.dispose();
  const totalSeconds = (performance.now() - t0) / 1000;
  progress.end(`  registered in ${seconds.toFixed(2)} s, outputs written, done in ${totalSeconds.toFixed(2)} s; NCC(static, warped moving) = ${score.toFixed(4)}`);
  progress.log(`  wrote ${outWarped} (moving image on the static grid)`);
  progress.log(`  wrote ${outMapping} (mapping; apply it with: diffeo apply --mapping ${outMapping} --moving IMAGE --out OUT)`);
  if (antsFiles !== undefined) {
    const files = [antsFiles.affine, antsFiles.warp, antsFiles.inverseWarp].filter((f): f is string => f !== null);
    progress.log(`  wrote ${files.join(', ')} (ANTs/ITK; apply with: antsApplyTransforms -d ${dim} -i MOVING -r STATIC -o OUT ${antsFiles.forwardTransforms.map((t) => `-t ${t}`).join(' ')})`);
  }
  progress.log(`  NCC over the static foreground (voxels above 10 % of its range): before ${pair.nccBefore.toFixed(4)}, after ${nccAfter.toFixed(4)}; foreground overlap before ${(100 * pair.overlap).toFixed(1)} %`);
  progress.log(`  min det J ${jac.minDetJ.toPrecision(4)}, folded voxels (det J <= 0) ${jac.foldedVoxels} of ${jac.voxels} (details: diffeo qc --mapping ${outMapping})`);
  if (jac.foldedVoxels > 0) {
    warn(`the mapping folds: det J <= 0 at ${jac.foldedVoxels} of ${jac.voxels} voxels (min det J ${jac.minDetJ.toPrecision(4)}); ` +
      'there it is not invertible. Try a smaller --step-length, more --inv-iter, or a smoother metric (larger --sigma-diff); inspect with diffeo qc.');
  }
  const energies = sdr.fullEnergyProfile;
  return {
    outWarped, outMapping, seconds, totalSeconds,
    ...(antsFiles === undefined ? {} : { outAnts: antsFiles }),
    iterationsPerLevel: sdr.iterationsPerLevel.slice(),
    energy: energies.length > 0 ? energies[energies.length - 1] : NaN,
    ncc: score,
    minDetJ: jac.minDetJ,
    foldedVoxels: jac.foldedVoxels,
  };
}

/**
 * Checks, before registering, that the ANTs files of `prefix` can be written: the folder
 * exists, and none of them exists unless `force`.
 * @throws CliError
 */
function checkAntsOutputs(prefix: string, withAffine: boolean, force: boolean): void {
  const dir = prefix.endsWith(sep) ? prefix : dirname(prefix);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new CliError(`--out-ants ${prefix}: the folder ${dir} does not exist`);
  const names = [...(withAffine ? ['0GenericAffine.mat'] : []), '1Warp.nii.gz', '1InverseWarp.nii.gz'];
  for (const n of names) {
    const p = prefix + n;
    if (existsSync(p) && !force) throw new CliError(`--out-ants: ${p} already exists; pass --force to overwrite it`);
  }
}
