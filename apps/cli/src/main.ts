#!/usr/bin/env node
/**
 * `diffeo`: symmetric diffeomorphic (SyN) registration of NIfTI images from the command
 * line — DIPY's `dipy_align_syn` workflow, or a minimal `antsRegistration -t SyN`.
 *
 *   diffeo register --static s.nii.gz --moving m.nii.gz [--metric cc|ssd|ssd-gn]
 *                   [--level-iters 10,10,5] [--step-length 0.25] [--inv-iter 20]
 *                   [--sigma-diff 2] [--radius 4] [--smooth 4] [--prealign affine.txt]
 *                   [--out-warped warped_moved.nii.gz] [--out-mapping mapping] [--backend wasm|ts] [--force] [--quiet]
 *   diffeo apply --mapping mapping --moving m.nii.gz --out w.nii.gz [--inverse]
 *                [--interpolation linear|nearest] [--force] [--quiet]
 *
 * `register` reads both images with their affines as grid-to-world (voxel index → mm),
 * runs `SymmetricDiffeomorphicRegistration` (defaults of DIPY's workflow: CC metric,
 * levels 10,10,5), prints one progress line per pyramid level, and writes the moving
 * image warped onto the static grid (with the static affine) and the mapping
 * (`saveMapping` of `@diffeo/io`: `prefix.nii.gz`, both displacement fields and the exact
 * affines). `apply` warps an image with a saved mapping: forward (moving → static grid)
 * by default, `--inverse` for static → moving grid. Errors print one line to stderr and
 * exit with status 1 (2 for usage errors).
 *
 * Run it with `pnpm cli <command> ...` from the repository root, `pnpm --filter
 * @diffeo/app-cli exec diffeo ...`, or `node --conditions=@diffeo/source --import tsx
 * apps/cli/src/main.ts ...`.
 */
import { resolve } from 'node:path';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { createContext, invertAffine, type Dim, type KernelContext, type NumericArray, type SimilarityMetric } from '@diffeo/core';
import { loadMapping, mappingFilePath, saveMapping, saveNifti } from '@diffeo/io';
import { ccMetric } from '@diffeo/metrics-cc';
import { ssdMetric } from '@diffeo/metrics-ssd';
import { SymmetricDiffeomorphicRegistration, type RegistrationEvent } from '@diffeo/syn';
import { CliError, checkOutput, loadInput, toNiftiAffine, type InputImage } from './images.js';

const USAGE = `usage: diffeo <command> [options]

commands:
  register   register a moving image onto a static image (SyN) and save the warped image and the mapping
  apply      warp an image with a saved mapping

run "diffeo <command> --help" for the options of a command.`;

const REGISTER_USAGE = `usage: diffeo register --static S.nii[.gz] --moving M.nii[.gz] [options]

Symmetric diffeomorphic registration (DIPY's SyN) of M onto S. Images are 2D or 3D NIfTI
(4D: pick a volume with --vol-idx); their affines are used as grid-to-world.

  --metric cc|ssd|ssd-gn   similarity: local cross-correlation (default), sum of squared
                           differences with demons steps, or with Gauss-Newton steps
  --level-iters 10,10,5    iterations per pyramid level, coarsest first (default 10,10,5)
  --step-length 0.25       largest update per iteration, voxels (default 0.25)
  --inv-iter 20            fixed-point iterations per field inversion (default 20)
  --inv-tol 0.001          inversion tolerance (default 1e-3)
  --opt-tol 1e-5           convergence threshold on the energy slope (default 1e-5)
  --ss-sigma-factor 0.2    pyramid smoothing factor (default 0.2)
  --sigma-diff 2           cc: Gaussian smoothing of the update, voxels (default 2)
  --radius 4               cc: correlation window radius, voxels (default 4)
  --smooth 4               ssd: smoothness (demons sigma / Gauss-Newton weight; default 4)
  --inner-iter 10          ssd-gn: Gauss-Seidel sweeps per V-cycle level (default 10)
  --prealign A.txt         (d+1)x(d+1) world affine mapping static to moving points
                           (text rows, as numpy.savetxt writes DIPY's affine_map.affine)
  --vol-idx N              volume of a 4D input
  --out-warped W.nii.gz    warped moving image, on the static grid (default warped_moved.nii.gz)
  --out-mapping PREFIX     mapping file PREFIX.nii.gz (default mapping); read it with
                           "diffeo apply" or loadMapping() of @diffeo/io
  --backend wasm|ts        kernels: WebAssembly (default; SIMD and worker threads) or
                           TypeScript; the same numbers either way
  --force                  overwrite existing outputs
  --quiet                  print nothing but errors`;

const APPLY_USAGE = `usage: diffeo apply --mapping PREFIX --moving M.nii[.gz] --out W.nii[.gz] [options]

Warps an image with a mapping saved by "diffeo register": by default the moving image onto
the static grid; with --inverse, an image in the static space onto the moving grid. The
image is sampled through its own affine, so any image in the same world space works.

  --mapping PREFIX                the mapping (PREFIX.nii.gz, or the file name itself)
  --moving M.nii.gz               the image to warp
  --out W.nii.gz                  the output
  --inverse                       apply the inverse mapping (static space -> moving grid)
  --interpolation linear|nearest  default linear (float32 output); nearest keeps the data type
  --vol-idx N                     volume of a 4D input
  --force                         overwrite an existing output
  --quiet                         print nothing but errors`;

/**
 * Relative paths are relative to where the user typed the command: when run through
 * `pnpm cli` (this package's `start` script, whose working directory is apps/cli), that
 * is pnpm's `INIT_CWD`.
 */
const BASE_DIR = process.env.npm_lifecycle_event === 'start' && process.env.npm_package_name === '@diffeo/app-cli' && process.env.INIT_CWD
  ? process.env.INIT_CWD
  : process.cwd();
const abs = (p: string): string => resolve(BASE_DIR, p);

// ------------------------------------------------------------------------------------------------
// Option parsing
// ------------------------------------------------------------------------------------------------

type OptionSpec = Record<string, { type: 'string' | 'boolean'; short?: string }>;

function parse<O extends OptionSpec>(args: string[], options: O, usage: string) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values;
  } catch (e) {
    throw new CliError(`${errorText(e)} (${usage.split('\n')[0]})`, 2);
  }
}

function required(v: string | undefined, name: string, cmd: string): string {
  if (v === undefined || v === '') throw new CliError(`${cmd} needs --${name} (see "diffeo ${cmd} --help")`, 2);
  return v;
}

interface NumberRule {
  integer?: boolean;
  min?: number;
  /** strictly greater than `min` */
  exclusive?: boolean;
}

function numberOption(v: string | undefined, name: string, rule: NumberRule = {}): number | undefined {
  if (v === undefined) return undefined;
  const x = v.trim() === '' ? NaN : Number(v);
  const min = rule.min ?? -Infinity;
  const ok = Number.isFinite(x) && (!rule.integer || Number.isInteger(x)) && (rule.exclusive ? x > min : x >= min);
  if (!ok) {
    const kind = rule.integer ? 'an integer' : 'a number';
    const bound = rule.min === undefined ? '' : rule.exclusive ? ` greater than ${rule.min}` : ` of at least ${rule.min}`;
    throw new CliError(`--${name} must be ${kind}${bound}; got "${v}"`, 2);
  }
  return x;
}

function levelItersOption(v: string): number[] {
  const parts = v.split(',').map((s) => s.trim());
  const out = parts.map(Number);
  if (parts.some((s) => s === '') || out.some((n) => !Number.isInteger(n) || n < 0)) {
    throw new CliError(`--level-iters must be comma-separated non-negative integers, coarsest level first (for example 10,10,5); got "${v}"`, 2);
  }
  return out;
}

/** Reads a `(d+1)×(d+1)` matrix from a text file: rows on lines, numbers separated by spaces, tabs or commas; `#` comments. */
async function readPrealign(path: string, dim: Dim): Promise<Float64Array> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CliError(`--prealign ${path}: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  const rows = text.split(/\r?\n/).map((l) => l.replace(/#.*/, '').trim()).filter((l) => l.length > 0)
    .map((l) => l.split(/[\s,]+/).map(Number));
  const n = dim + 1;
  if (rows.length !== n || rows.some((r) => r.length !== n || r.some((x) => !Number.isFinite(x)))) {
    throw new CliError(`--prealign ${path}: expected a ${n}x${n} matrix of numbers for ${dim}D images (${n} lines of ${n} numbers); got ${rows.length} line(s)`);
  }
  return Float64Array.from(rows.flat());
}

// ------------------------------------------------------------------------------------------------
// Output helpers
// ------------------------------------------------------------------------------------------------

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ').trim();
}

function errorText(e: unknown): string {
  return oneLine(e instanceof Error ? e.message : String(e));
}

/** Normalised cross-correlation of two equally long arrays. */
function ncc(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sa = 0, sb = 0;
  const n = a.length;
  for (let i = 0; i < n; i++) { sa += a[i]; sb += b[i]; }
  const ma = sa / n, mb = sb / n;
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < n; i++) {
    const x = a[i] - ma, y = b[i] - mb;
    sab += x * y; saa += x * x; sbb += y * y;
  }
  return sab / Math.sqrt(saa * sbb);
}

// ------------------------------------------------------------------------------------------------
// register
// ------------------------------------------------------------------------------------------------

/**
 * The kernel context of a registration: the WebAssembly backend (falling back to the
 * TypeScript kernels, with a notice, when it cannot be loaded and was not asked for
 * explicitly) or the TypeScript kernels.
 */
async function kernelContext(name: 'wasm' | 'ts', explicit: boolean, quiet: boolean): Promise<KernelContext> {
  if (name === 'ts') return createContext();
  try {
    const { wasmBackend } = await import('@diffeo/wasm-kernels');
    return createContext(await wasmBackend());
  } catch (e) {
    if (explicit) throw new CliError(`--backend wasm: the WebAssembly backend could not be loaded (${errorText(e)}); build it with "pnpm build" or use --backend ts`);
    if (!quiet) console.error(`diffeo register: the WebAssembly backend could not be loaded (${errorText(e)}); using the TypeScript kernels`);
    return createContext();
  }
}

async function register(args: string[]): Promise<void> {
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
    prealign: { type: 'string' },
    'vol-idx': { type: 'string' },
    'out-warped': { type: 'string' },
    'out-mapping': { type: 'string' },
    backend: { type: 'string' },
    force: { type: 'boolean' },
    quiet: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  }, REGISTER_USAGE);
  if (v.help) {
    console.log(REGISTER_USAGE);
    return;
  }
  const staticPath = abs(required(v.static, 'static', 'register'));
  const movingPath = abs(required(v.moving, 'moving', 'register'));
  const metricName = v.metric ?? 'cc';
  if (metricName !== 'cc' && metricName !== 'ssd' && metricName !== 'ssd-gn') {
    throw new CliError(`--metric must be cc, ssd or ssd-gn; got "${metricName}"`, 2);
  }
  for (const [opt, metrics] of [['sigma-diff', ['cc']], ['radius', ['cc']], ['smooth', ['ssd', 'ssd-gn']], ['inner-iter', ['ssd-gn']]] as const) {
    if (v[opt] !== undefined && !(metrics as readonly string[]).includes(metricName)) {
      throw new CliError(`--${opt} applies to --metric ${metrics.join(' or ')} only (the metric is ${metricName})`, 2);
    }
  }
  const levelIters = levelItersOption(v['level-iters'] ?? '10,10,5');
  const stepLength = numberOption(v['step-length'], 'step-length', { min: 0, exclusive: true });
  const invIter = numberOption(v['inv-iter'], 'inv-iter', { integer: true, min: 0 });
  const invTol = numberOption(v['inv-tol'], 'inv-tol', { min: 0 });
  const optTol = numberOption(v['opt-tol'], 'opt-tol', { min: 0 });
  const ssSigmaFactor = numberOption(v['ss-sigma-factor'], 'ss-sigma-factor', { min: 0 });
  const sigmaDiff = numberOption(v['sigma-diff'], 'sigma-diff', { min: 0 });
  const radius = numberOption(v.radius, 'radius', { integer: true, min: 1 });
  const smooth = numberOption(v.smooth, 'smooth', { min: 0, exclusive: true });
  const innerIter = numberOption(v['inner-iter'], 'inner-iter', { integer: true, min: 1 });
  const volIdx = numberOption(v['vol-idx'], 'vol-idx', { integer: true, min: 0 });
  const force = v.force === true;
  const quiet = v.quiet === true;
  const backendName = v.backend ?? 'wasm';
  if (backendName !== 'wasm' && backendName !== 'ts') throw new CliError(`--backend must be wasm or ts; got "${backendName}"`, 2);
  const outWarped = abs(v['out-warped'] ?? 'warped_moved.nii.gz');
  const outMapping = mappingFilePath(abs(v['out-mapping'] ?? 'mapping'));
  if (outWarped === outMapping) throw new CliError(`--out-warped and --out-mapping name the same file ${outWarped}`, 2);
  // Refuse early, not after minutes of registration.
  checkOutput(outWarped, '--out-warped', force);
  checkOutput(outMapping, '--out-mapping', force);

  const statik = await loadInput(staticPath, '--static', volIdx);
  const moving = await loadInput(movingPath, '--moving', volIdx);
  if (statik.dim !== moving.dim) {
    throw new CliError(`dimension mismatch: --static ${statik.path} is ${statik.dim}D (${statik.shape.join('x')}) but --moving ${moving.path} is ${moving.dim}D (${moving.shape.join('x')})`);
  }
  const dim = statik.dim;
  const prealign = v.prealign === undefined ? undefined : await readPrealign(abs(v.prealign), dim);

  let metric: SimilarityMetric<Dim>;
  try {
    metric = metricName === 'cc'
      ? ccMetric(dim, { sigmaDiff, radius })
      : ssdMetric(dim, { smooth, innerIter, stepType: metricName === 'ssd' ? 'demons' : 'gaussNewton' });
  } catch (e) {
    throw new CliError(errorText(e), 2);
  }

  const nLevels = levelIters.length;
  const tty = process.stdout.isTTY === true && !quiet;
  let levelShape: readonly number[] = [];
  let levelStart = 0;
  const onEvent = (e: RegistrationEvent<Dim>): void => {
    if (quiet) return;
    if (e.stage === 'SCALE_START') {
      levelShape = e.shape;
      levelStart = e.elapsedMs;
    } else if (e.stage === 'ITER_END' && tty) {
      const cap = levelIters[nLevels - 1 - e.level];
      process.stdout.write(`\r\x1b[K  level ${e.level} (${levelShape.join('x')}): iteration ${e.iteration + 1}/${cap}, energy ${e.energy.toPrecision(6)}`);
    } else if (e.stage === 'SCALE_END') {
      const last = e.energies.length > 0 ? e.energies[e.energies.length - 1].toPrecision(6) : '-';
      const secs = ((e.elapsedMs - levelStart) / 1000).toFixed(2);
      process.stdout.write(`${tty ? '\r\x1b[K' : ''}  level ${e.level} (${levelShape.join('x')}): ${e.iteration} iterations, energy ${last}, ${secs} s\n`);
    }
  };
  const context = await kernelContext(backendName, v.backend !== undefined, quiet);
  const sdr = new SymmetricDiffeomorphicRegistration(metric, {
    levelIters, stepLength, invIter, invTol, optTol, ssSigmaFactor, onEvent, context,
    // one registration per run: the result may stay in the backend's memory (no copy)
    resultInContextMemory: true,
  });
  if (!quiet) {
    console.log(`diffeo register: ${moving.path} (${moving.shape.join('x')}) onto ${statik.path} (${statik.shape.join('x')}), ${dim}D, metric ${metricName}, level iterations ${levelIters.join(',')}`);
  }
  const t0 = performance.now();
  const map = await sdr.optimize({
    static: { data: statik.data, shape: statik.shape },
    moving: { data: moving.data, shape: moving.shape },
    staticGridToWorld: statik.gridToWorld,
    movingGridToWorld: moving.gridToWorld,
    prealign,
  });
  const seconds = (performance.now() - t0) / 1000;

  const warped = map.transform({ data: moving.data, shape: moving.shape });
  await saveNifti(outWarped, { data: warped.data as Float32Array, shape: statik.fileShape }, statik.fileAffine, { overwrite: force });
  await saveMapping(outMapping, map, { overwrite: force });
  map.dispose();
  if (!quiet) {
    console.log(`  done in ${seconds.toFixed(2)} s; NCC(static, warped moving) = ${ncc(statik.data, warped.data).toFixed(4)}`);
    console.log(`  wrote ${outWarped} (moving image on the static grid)`);
    console.log(`  wrote ${outMapping} (mapping; apply it with: diffeo apply --mapping ${outMapping} --moving IMAGE --out OUT)`);
  }
}

// ------------------------------------------------------------------------------------------------
// apply
// ------------------------------------------------------------------------------------------------

async function apply(args: string[]): Promise<void> {
  const v = parse(args, {
    mapping: { type: 'string' },
    moving: { type: 'string' },
    out: { type: 'string' },
    inverse: { type: 'boolean' },
    interpolation: { type: 'string' },
    'vol-idx': { type: 'string' },
    force: { type: 'boolean' },
    quiet: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  }, APPLY_USAGE);
  if (v.help) {
    console.log(APPLY_USAGE);
    return;
  }
  const mappingPath = abs(required(v.mapping, 'mapping', 'apply'));
  const imagePath = abs(required(v.moving, 'moving', 'apply'));
  const out = abs(required(v.out, 'out', 'apply'));
  const interpolation = v.interpolation ?? 'linear';
  if (interpolation !== 'linear' && interpolation !== 'nearest') {
    throw new CliError(`--interpolation must be linear or nearest; got "${interpolation}"`, 2);
  }
  const volIdx = numberOption(v['vol-idx'], 'vol-idx', { integer: true, min: 0 });
  const inverse = v.inverse === true;
  const force = v.force === true;
  checkOutput(out, '--out', force);

  let map: Awaited<ReturnType<typeof loadMapping>>;
  try {
    map = await loadMapping(mappingPath);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT') throw new CliError(`--mapping ${mappingPath}: no such file (looked for ${mappingFilePath(mappingPath)})`);
    const msg = errorText(e);
    throw new CliError(msg.includes(mappingPath) ? `--mapping ${msg}` : `--mapping ${mappingPath}: ${msg}`);
  }
  const image: InputImage = await loadInput(imagePath, '--moving', volIdx);
  if (image.dim !== map.dim) {
    throw new CliError(`dimension mismatch: the mapping ${mappingFilePath(mappingPath)} is ${map.dim}D but --moving ${image.path} is ${image.dim}D (${image.shape.join('x')})`);
  }
  // transform() runs the forward warp (output on the domain grid) unless isInverse; transformInverse() the other one.
  const toCodomain = map.isInverse !== inverse;
  const outShape = toCodomain ? map.codomainShape : map.domainShape;
  const outG2W = toCodomain ? map.codomainGridToWorld : map.domainGridToWorld;
  if (outShape === null) throw new CliError(`the mapping ${mappingFilePath(mappingPath)} has no ${toCodomain ? 'codomain' : 'domain'} shape to warp onto`);
  let warpedData: NumericArray;
  try {
    // The image is sampled through its own affine (as DIPY's image_world2grid).
    const options = { interpolation, imageWorldToGrid: invertAffine(image.gridToWorld, `the affine of ${image.path}`) } as const;
    const img = { data: image.data, shape: image.shape };
    warpedData = (inverse ? map.transformInverse(img, options) : map.transform(img, options)).data;
  } catch (e) {
    throw new CliError(errorText(e));
  }
  await saveNifti(out, { data: warpedData, shape: Array.from(outShape) }, toNiftiAffine(outG2W, map.dim), { overwrite: force });
  if (v.quiet !== true) {
    console.log(`diffeo apply: warped ${image.path} with ${inverse ? 'the inverse of ' : ''}${mappingFilePath(mappingPath)} (${interpolation}) onto the ${inverse ? 'moving' : 'static'} grid (${Array.from(outShape).join('x')}); wrote ${out}`);
  }
}

// ------------------------------------------------------------------------------------------------

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'register':
      return register(rest);
    case 'apply':
      return apply(rest);
    case undefined:
      throw new CliError('no command given: use "diffeo register ..." or "diffeo apply ..." (run "diffeo --help")', 2);
    case 'help':
    case '-h':
    case '--help':
      console.log(USAGE);
      return;
    default:
      throw new CliError(`unknown command "${command}"; the commands are register and apply (run "diffeo --help")`, 2);
  }
}

main(process.argv.slice(2)).catch((e: unknown) => {
  process.stderr.write(`diffeo: error: ${errorText(e)}\n`);
  process.exitCode = e instanceof CliError ? e.exitCode : 1;
});
