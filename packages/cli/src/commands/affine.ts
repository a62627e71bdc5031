/**
 * `diffeo affine`: affine registration by mutual information (DIPY's `affine_registration`
 * pipeline, `@diffeo/affine`) of a moving NIfTI image onto a static one.
 *
 * Reads both images with their affines as grid-to-world (voxel index → mm), runs the
 * pipeline (default centre of mass, translation, rigid, affine), and writes the final
 * `(d+1)×(d+1)` matrix (static world → moving world, mm; DIPY's `AffineMap.affine`) as
 * `numpy.savetxt` writes it (`%.18e`, one row per line) — the file `register --prealign`
 * reads — and, on request, the moving image resampled on the static grid.
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { affineRegistration, AffineMap, type PipelineStage, type AffineProgressEvent } from '@diffeo/affine';
import type { Volume } from '@diffeo/core';
import type { LoadedBackend } from '@diffeo/align';
import { saveNifti, writeFileAtomic } from '@diffeo/io';
import { abs, errorText, numberOption, parse, required } from '../args.js';
import { CliError, checkOutput, loadInput, type InputImage } from '../images.js';
import { Progress } from '../progress.js';
import { kernelBackend } from '../backend.js';

export const AFFINE_USAGE = `usage: diffeo affine --static S.nii[.gz] --moving M.nii[.gz] --out-affine A.txt [options]

Affine registration by mutual information (DIPY's affine_registration) of M onto S.
Writes the (d+1)x(d+1) matrix mapping static world points to moving world points (mm),
as numpy.savetxt writes DIPY's affine_map.affine: the file "register --prealign" reads.

  --pipeline com,translation,rigid,affine
                           stages in order (default); also rigid_isoscaling,
                           rigid_scaling, scaling, rotation
  --nbins 32               histogram bins of the mutual information (default 32)
  --sampling-proportion P  use a fraction P in (0, 1] of the static voxels (default: all)
  --level-iters 10000,1000,100
                           maximum evaluations per level, coarsest first
  --sigmas 3,1,0           Gaussian smoothing per level, voxels (default 3,1,0)
  --factors 4,2,1          shrink factors per level (default 4,2,1)
  --static-mask SM.nii.gz  mask on the static grid (non-zero = used)
  --moving-mask MM.nii.gz  mask on the moving grid (non-zero = used)
  --out-warped W.nii.gz    also write the moving image resampled on the static grid
  --vol-idx N              volume of a 4D input
  --backend wasm|ts        kernels: WebAssembly (default) or TypeScript; the same
                           numbers either way
  --force                  overwrite existing outputs
  --quiet                  print nothing but errors
  --json                   print a JSON summary on stdout; progress goes to stderr`;

/** Pipeline names accepted on the command line (DIPY's snake_case and our camelCase). */
const STAGE_NAMES: Record<string, PipelineStage> = {
  com: 'centerOfMass', center_of_mass: 'centerOfMass', centerOfMass: 'centerOfMass',
  translation: 'translation', rotation: 'rotation', rigid: 'rigid', scaling: 'scaling', affine: 'affine',
  rigid_isoscaling: 'rigidIsoScaling', rigidIsoScaling: 'rigidIsoScaling',
  rigid_scaling: 'rigidScaling', rigidScaling: 'rigidScaling',
};

/** Parses `--pipeline` (comma-separated stage names). */
export function pipelineOption(v: string): PipelineStage[] {
  const parts = v.split(',').map((s) => s.trim());
  return parts.map((p) => {
    const s = STAGE_NAMES[p];
    if (s === undefined) {
      throw new CliError(`--pipeline: unknown stage "${p}"; use comma-separated names among com, translation, rigid, rigid_isoscaling, rigid_scaling, scaling, rotation, affine`, 2);
    }
    return s;
  });
}

/** Parses a comma-separated list of numbers (`--sigmas`, `--factors`, `--level-iters`). */
export function listOption(v: string, name: string, integer: boolean): number[] {
  const parts = v.split(',').map((s) => s.trim());
  const out = parts.map(Number);
  if (parts.some((s) => s === '') || out.some((n) => !Number.isFinite(n) || n < 0 || (integer && !Number.isInteger(n)))) {
    throw new CliError(`--${name} must be comma-separated non-negative ${integer ? 'integers' : 'numbers'}, coarsest level first; got "${v}"`, 2);
  }
  return out;
}

/** One number as C's `%.18e` (numpy.savetxt's default format). */
export function formatE18(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  const s = Math.abs(x).toExponential(18);
  const [mant, exp] = s.split('e');
  const e = Number(exp);
  const sign = x < 0 || Object.is(x, -0) ? '-' : '';
  return `${sign}${mant}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
}

/** The text numpy.savetxt writes for a square row-major matrix. */
export function affineText(a: ArrayLike<number>): string {
  const m = Math.round(Math.sqrt(a.length));
  const lines: string[] = [];
  for (let i = 0; i < m; i++) lines.push(Array.from({ length: m }, (_, j) => formatE18(a[i * m + j])).join(' '));
  return `${lines.join('\n')}\n`;
}

/** Checks, before any work, that a text output can be written. */
function checkTextOutput(path: string, option: string, force: boolean): void {
  const dir = dirname(path);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new CliError(`${option} ${path}: the folder ${dir} does not exist`);
  if (existsSync(path)) {
    if (!force) throw new CliError(`${option} ${path} already exists; pass --force to overwrite it`);
    if (statSync(path).isDirectory()) throw new CliError(`${option} ${path} is a folder`);
  }
}

/** Options of {@link runAffine} (the command's options in camelCase; paths absolute or relative to the working directory). */
export interface AffineOptions {
  static: string;
  moving: string;
  /** Where to write the matrix (numpy.savetxt text); omitted = not written. */
  outAffine?: string;
  pipeline?: PipelineStage[];
  nbins?: number;
  samplingProportion?: number;
  levelIters?: number[];
  sigmas?: number[];
  factors?: number[];
  staticMask?: string;
  movingMask?: string;
  outWarped?: string;
  volIdx?: number;
  /** Kernels (default `wasm`, falling back to `ts` with a notice unless `backendExplicit`); ignored when `kernels` is given. */
  backend?: 'wasm' | 'ts';
  /** The backend was asked for explicitly: fail instead of falling back. */
  backendExplicit?: boolean;
  /** Loaded kernels to run on (as `register --affine` passes its own). */
  kernels?: LoadedBackend;
  force?: boolean;
  quiet?: boolean;
  json?: boolean;
}

/** What {@link runAffine} did. */
export interface AffineRunResult {
  /** The final affine (static world → moving world, mm), row-major. */
  readonly affine: number[];
  /** Absolute paths written. */
  readonly outAffine: string | null;
  readonly outWarped: string | null;
  /** Wall time of the registration, seconds. */
  readonly seconds: number;
}

function volumeOf(img: InputImage): Volume {
  return { data: img.data, shape: img.shape as unknown as Volume['shape'], gridToWorld: img.gridToWorld };
}

async function loadMask(path: string, role: string, like: InputImage, volIdx: number | undefined): Promise<ArrayLike<number>> {
  const m = await loadInput(path, role, volIdx);
  if (m.shape.join('x') !== like.shape.join('x')) {
    throw new CliError(`${role} ${m.path} is ${m.shape.join('x')} but its image ${like.path} is ${like.shape.join('x')}; a mask must be on its image's grid`);
  }
  return m.data;
}

/**
 * Runs the affine pipeline as `diffeo affine` does and writes its outputs.
 * @throws CliError for bad options or inputs (exit status 2 for usage errors).
 */
export async function runAffine(o: AffineOptions, hooks: { signal?: AbortSignal } = {}): Promise<AffineRunResult> {
  const force = o.force === true, quiet = o.quiet === true;
  const outAffine = o.outAffine === undefined ? null : resolve(o.outAffine);
  const outWarped = o.outWarped === undefined ? null : resolve(o.outWarped);
  if (outAffine) checkTextOutput(outAffine, '--out-affine', force);
  if (outWarped) checkOutput(outWarped, '--out-warped', force);
  const statik = await loadInput(resolve(o.static), '--static', o.volIdx);
  const moving = await loadInput(resolve(o.moving), '--moving', o.volIdx);
  if (statik.dim !== moving.dim) {
    throw new CliError(`dimension mismatch: --static ${statik.path} is ${statik.dim}D (${statik.shape.join('x')}) but --moving ${moving.path} is ${moving.dim}D (${moving.shape.join('x')})`);
  }
  const staticMask = o.staticMask === undefined ? undefined : await loadMask(resolve(o.staticMask), '--static-mask', statik, o.volIdx);
  const movingMask = o.movingMask === undefined ? undefined : await loadMask(resolve(o.movingMask), '--moving-mask', moving, o.volIdx);
  const pipeline = o.pipeline ?? ['centerOfMass', 'translation', 'rigid', 'affine'];
  const progress = new Progress({ quiet, json: o.json === true });
  progress.log(`diffeo affine: ${moving.path} (${moving.shape.join('x')}) onto ${statik.path} (${statik.shape.join('x')}), ${statik.dim}D, pipeline ${pipeline.join(',')}`);
  const onProgress = (e: AffineProgressEvent): void => {
    if (e.type === 'levelStart') progress.start(`${e.stage} level ${e.level}`, e.maxIterations);
    else if (e.type === 'iteration') progress.update(Math.min(e.iteration, 1e9), `-MI ${e.value.toPrecision(6)}`);
    else if (e.type === 'levelEnd') progress.end(`  ${e.stage} level ${e.level}: ${e.iterations} iterations, ${e.evaluations} evaluations, -MI ${e.value.toPrecision(6)}`);
    else if (e.type === 'stageEnd' && e.stage === 'centerOfMass') progress.log('  centerOfMass: translation between the centres of mass');
  };
  const kernels = o.kernels ?? await kernelBackend(o.backend ?? 'wasm', o.backendExplicit === true, quiet, 'affine');
  const context = kernels.context;
  // The affine stage is synchronous: lazy worker threads must be running before it starts.
  await kernels.startThreadsFor(statik.shape.reduce((n, d) => n * d, 1));
  const t0 = performance.now();
  let result: ReturnType<typeof affineRegistration>;
  try {
    result = affineRegistration({
      static: volumeOf(statik), moving: volumeOf(moving), pipeline, nbins: o.nbins, samplingProportion: o.samplingProportion,
      levelIters: o.levelIters, sigmas: o.sigmas, factors: o.factors, staticMask, movingMask, signal: hooks.signal, onProgress, context,
    });
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw new CliError(errorText(e));
  }
  const seconds = (performance.now() - t0) / 1000;
  if (outAffine) {
    await writeFileAtomic(outAffine, new TextEncoder().encode(affineText(result.affine)), { overwrite: force });
    progress.log(`  wrote ${outAffine} (static world -> moving world; use it with: diffeo register --prealign ${outAffine})`);
  }
  if (outWarped) {
    const map = new AffineMap(result.affine, {
      domainShape: statik.shape, domainGridToWorld: statik.gridToWorld, codomainShape: moving.shape, codomainGridToWorld: moving.gridToWorld,
    });
    const warped = map.transform(volumeOf(moving));
    await saveNifti(outWarped, { data: Float32Array.from(warped.data as ArrayLike<number>), shape: statik.fileShape }, statik.fileAffine, { overwrite: force });
    progress.log(`  wrote ${outWarped} (moving image on the static grid)`);
  }
  progress.log(`  done in ${seconds.toFixed(2)} s`);
  return { affine: Array.from(result.affine), outAffine, outWarped, seconds };
}

export async function affine(args: string[]): Promise<void> {
  const v = parse(args, {
    static: { type: 'string' },
    moving: { type: 'string' },
    'out-affine': { type: 'string' },
    pipeline: { type: 'string' },
    nbins: { type: 'string' },
    'sampling-proportion': { type: 'string' },
    'level-iters': { type: 'string' },
    sigmas: { type: 'string' },
    factors: { type: 'string' },
    'static-mask': { type: 'string' },
    'moving-mask': { type: 'string' },
    'out-warped': { type: 'string' },
    'vol-idx': { type: 'string' },
    backend: { type: 'string' },
    force: { type: 'boolean' },
    quiet: { type: 'boolean' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  }, AFFINE_USAGE);
  if (v.help) {
    console.log(AFFINE_USAGE);
    return;
  }
  const sp = numberOption(v['sampling-proportion'], 'sampling-proportion', { min: 0, exclusive: true });
  if (sp !== undefined && sp > 1) throw new CliError(`--sampling-proportion must be in (0, 1]; got "${v['sampling-proportion']}"`, 2);
  if (v.backend !== undefined && v.backend !== 'wasm' && v.backend !== 'ts') throw new CliError(`--backend must be wasm or ts; got "${v.backend}"`, 2);
  const result = await runAffine({
    static: abs(required(v.static, 'static', 'affine')),
    moving: abs(required(v.moving, 'moving', 'affine')),
    outAffine: abs(required(v['out-affine'], 'out-affine', 'affine')),
    pipeline: v.pipeline === undefined ? undefined : pipelineOption(v.pipeline),
    nbins: numberOption(v.nbins, 'nbins', { integer: true, min: 5 }),
    samplingProportion: sp,
    levelIters: v['level-iters'] === undefined ? undefined : listOption(v['level-iters'], 'level-iters', true),
    sigmas: v.sigmas === undefined ? undefined : listOption(v.sigmas, 'sigmas', false),
    factors: v.factors === undefined ? undefined : listOption(v.factors, 'factors', true),
    staticMask: v['static-mask'] === undefined ? undefined : abs(v['static-mask']),
    movingMask: v['moving-mask'] === undefined ? undefined : abs(v['moving-mask']),
    outWarped: v['out-warped'] === undefined ? undefined : abs(v['out-warped']),
    volIdx: numberOption(v['vol-idx'], 'vol-idx', { integer: true, min: 0 }),
    backend: v.backend as 'wasm' | 'ts' | undefined,
    backendExplicit: v.backend !== undefined,
    force: v.force === true,
    quiet: v.quiet === true,
    json: v.json === true,
  });
  if (v.json === true) process.stdout.write(`${JSON.stringify({ command: 'affine', ...result })}\n`);
}

