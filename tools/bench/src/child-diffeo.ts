/**
 * One diffeo run in its own process, so that its peak RSS is its own:
 *
 *   node --conditions=@diffeo/source --import tsx child-diffeo.ts <caseDir> <outDir> <ts|wasm>
 *
 * Reads `params.json` and the `.npy` inputs of the case, runs
 * `synRegistration` of `@diffeo/align` (SyN's optimize; the only timed part), warps the
 * moving image (linear) and the moving labels (nearest neighbour) onto the static
 * grid, writes them to `outDir` as `warped_moving.npy` / `warped_labels.npy`, and
 * writes `result.json`: optimize seconds, peak RSS in KiB before optimize, after
 * it and at the end (`process.resourceUsage().maxRSS`), iterations per level.
 * An affine case (`params.affine`) runs `affineRegistration` of `@diffeo/affine` instead
 * (the whole pipeline is timed; iterations are L-BFGS iterations per stage and level).
 */
import { closeSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Dim, SimilarityMetric } from '@diffeo/core';
import { loadBackend, metricByName, synRegistration } from '@diffeo/align';
import { emMetric } from '@diffeo/metrics-em';
import { affineRegistration, type PipelineStage } from '@diffeo/affine';
import { parseNpy, serializeNpyParts, type NpyArray, type NpyData } from '@diffeo/io/npy';
import type { AffineParams, BenchParams, MetricParams } from './cases.js';

/** What a child writes to `result.json` (the DIPY script writes the same keys). */
export interface ChildResult {
  implementation: string;
  optimizeSeconds: number;
  rssBeforeOptimizeKiB: number;
  rssAfterOptimizeKiB: number;
  maxRssKiB: number;
  iterationsPerLevel: number[];
  backend?: string;
}

/** Writes an array as `.npy`: the header, then the array's own bytes (no serialised copy). */
function writeNpy(path: string, data: NpyData, shape: readonly number[]): void {
  const [head, body] = serializeNpyParts(data, shape);
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, head);
    for (let off = 0; off < body.length;) off += writeSync(fd, body, off, Math.min(body.length - off, 1 << 30));
  } finally {
    closeSync(fd);
  }
}

function readNpy(path: string): NpyArray {
  const b = readFileSync(path);
  // a view of the file's bytes (as np.load reads into its array): no second copy in memory
  return parseNpy(new Uint8Array(b.buffer, b.byteOffset, b.byteLength), path, { copy: false });
}

function makeMetric(p: MetricParams): SimilarityMetric<Dim> {
  if (p.metric === 'SSD') {
    return metricByName('ssd', p.dim, { smooth: p.smooth, innerIter: p.inner_iter, stepType: p.step_type === 'gauss_newton' ? 'gaussNewton' : 'demons' });
  }
  if (p.metric === 'EM') {
    return emMetric(p.dim, {
      smooth: p.smooth, innerIter: p.inner_iter, qLevels: p.q_levels, doubleGradient: p.double_gradient,
      stepType: p.step_type === 'demons' ? 'demons' : 'gaussNewton',
    }) as SimilarityMetric<Dim>;
  }
  if (p.metric === 'MI') return metricByName('mi', p.dim, { nbins: p.nbins, smooth: p.smooth });
  if (p.metric === 'CC') return metricByName('cc', p.dim, { sigmaDiff: p.sigma_diff, radius: p.radius });
  throw new Error(`child-diffeo: unknown metric ${JSON.stringify((p as { metric: unknown }).metric)} in params.json (rebuild tools/bench after adding a metric).`);
}

/** A nested (d+1)×(d+1) grid-to-world as a row-major Float64Array (null = identity). */
function g2w(m: number[][] | null): Float64Array | null {
  return m ? Float64Array.from(m.flat()) : null;
}

/** DIPY's stage names → @diffeo/affine's. */
const STAGES: Record<string, PipelineStage> = {
  center_of_mass: 'centerOfMass', translation: 'translation', rigid: 'rigid', affine: 'affine',
  rigid_isoscaling: 'rigidIsoScaling', rigid_scaling: 'rigidScaling',
};

/** The affine case: the whole pipeline timed, the moving image warped linearly onto the static grid. */
async function runAffine(caseDir: string, outDir: string, backend: 'ts' | 'wasm', params: BenchParams, a: AffineParams): Promise<void> {
  const { context } = await loadBackend(backend);
  const stat = readNpy(join(caseDir, params.inputs.static));
  const mov = readNpy(join(caseDir, params.inputs.moving));
  const staticImg = { data: stat.data, shape: stat.shape as [number, number, number], gridToWorld: g2w(params.static_grid2world) };
  const movingImg = { data: mov.data, shape: mov.shape as [number, number, number], gridToWorld: g2w(params.moving_grid2world) };
  const iterations: number[] = [];
  const rssBefore = process.resourceUsage().maxRSS;
  const t0 = performance.now();
  const r = affineRegistration({
    static: staticImg, moving: movingImg,
    pipeline: a.pipeline.map((s) => {
      const st = STAGES[s];
      if (!st) throw new Error(`unknown affine stage ${s}`);
      return st;
    }),
    nbins: a.nbins, samplingProportion: a.sampling_proportion, levelIters: a.level_iters, sigmas: a.sigmas, factors: a.factors,
    context,
    onProgress: (e) => { if (e.type === 'levelEnd') iterations.push(e.iterations); },
  });
  const optimizeSeconds = (performance.now() - t0) / 1000;
  const rssAfter = process.resourceUsage().maxRSS;
  const warped = r.map.transform(movingImg);
  writeNpy(join(outDir, 'warped_moving.npy'), Float32Array.from(warped.data as ArrayLike<number>), stat.shape);
  writeFileSync(join(outDir, 'affine.json'), JSON.stringify(Array.from(r.affine)));
  const result: ChildResult = {
    implementation: `diffeo-${backend}`, backend, optimizeSeconds, rssBeforeOptimizeKiB: rssBefore, rssAfterOptimizeKiB: rssAfter,
    maxRssKiB: process.resourceUsage().maxRSS, iterationsPerLevel: iterations,
  };
  writeFileSync(join(outDir, 'result.json'), JSON.stringify(result));
}

async function main(argv: string[]): Promise<void> {
  const [caseDir, outDir, backend = 'ts'] = argv;
  if (!caseDir || !outDir) throw new Error('usage: child-diffeo.ts <caseDir> <outDir> [ts|wasm]');
  const params = JSON.parse(readFileSync(join(caseDir, 'params.json'), 'utf8')) as BenchParams;
  if (backend !== 'ts' && backend !== 'wasm') throw new Error(`unknown backend ${backend}`);
  if (params.affine) return runAffine(caseDir, outDir, backend, params, params.affine);
  const { context } = await loadBackend(backend);
  const metric = makeMetric(params.metric);
  const stat = readNpy(join(caseDir, params.inputs.static));
  const mov = readNpy(join(caseDir, params.inputs.moving));
  const labels = params.inputs.moving_labels ? readNpy(join(caseDir, params.inputs.moving_labels)) : null;
  const s = params.syn;
  const staticImg = { data: stat.data, shape: stat.shape };
  const movingImg = { data: mov.data, shape: mov.shape };
  const rssBefore = process.resourceUsage().maxRSS;
  const t0 = performance.now();
  const { mapping: map, registration: reg } = await synRegistration({
    static: staticImg,
    moving: movingImg,
    staticGridToWorld: params.static_grid2world,
    movingGridToWorld: params.moving_grid2world,
    prealign: params.prealign,
    metric,
    levelIters: s.level_iters,
    stepLength: s.step_length,
    ssSigmaFactor: s.ss_sigma_factor,
    optTol: s.opt_tol,
    invIter: s.inv_iter,
    invTol: s.inv_tol,
    // the opt-in faster mode (`pnpm bench --syn-inversion-mode`); absent: DIPY's inversions
    ...(s.inversion_mode === undefined ? {} : { inversionMode: s.inversion_mode }),
    context,
    // one registration per process: the result may stay in the backend's memory (no copy)
    resultInContextMemory: true,
  });
  const optimizeSeconds = (performance.now() - t0) / 1000;
  const rssAfter = process.resourceUsage().maxRSS;
  // Outputs are written as NumPy's np.save does, without extra copies in memory.
  const warped = map.transform(movingImg);
  writeNpy(join(outDir, 'warped_moving.npy'), warped.data instanceof Float32Array ? warped.data : Float32Array.from(warped.data as ArrayLike<number>), stat.shape);
  if (labels) {
    const wl = map.transform({ data: labels.data, shape: labels.shape }, { interpolation: 'nearest' });
    writeNpy(join(outDir, 'warped_labels.npy'), (wl.data instanceof Int32Array ? wl.data : Int32Array.from(wl.data as ArrayLike<number>)) as NpyData, stat.shape);
  }
  const result: ChildResult = {
    implementation: `diffeo-${backend}`,
    backend,
    optimizeSeconds,
    rssBeforeOptimizeKiB: rssBefore,
    rssAfterOptimizeKiB: rssAfter,
    maxRssKiB: process.resourceUsage().maxRSS,
    iterationsPerLevel: [...reg.iterationsPerLevel],
  };
  writeFileSync(join(outDir, 'result.json'), JSON.stringify(result));
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
    process.exit(1);
  },
);
