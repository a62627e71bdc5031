/**
 * One diffeo run in its own process, so that its peak RSS is its own:
 *
 *   node --conditions=@diffeo/source --import tsx child-diffeo.ts <caseDir> <outDir> <ts|wasm> [wasmOptions]
 *
 * (`wasmOptions`: JSON of `wasmBackend`'s `threads` / `minParallelWork`, from the bench's
 * `--wasm-threads` / `--wasm-min-parallel-work`; without it the backend's defaults.)
 *
 * Reads `params.json` and the `.npy` inputs of the case, runs (through `registerCase`
 * of `registration.ts`, which the browser worker runs too)
 * `synRegistration` of `@diffeo/align` (SyN's optimize; the only timed part), warps the
 * moving image (linear) and the moving labels (nearest neighbour) onto the static
 * grid, writes them to `outDir` as `warped_moving.npy` / `warped_labels.npy`, and
 * writes `result.json`: optimize seconds, peak RSS in KiB before optimize, after
 * it and at the end (see {@link peakRssKiB}), iterations per level, and
 * where the optimize time went: the kernel context is wrapped by `profileKernels` of
 * `@diffeo/core`, which counts and times every kernel call (some 0.15–0.25 µs per
 * call, two clock reads: see the README for why this does not perturb the timing), and
 * for wasm the backend's memory counters over the optimize call (`WasmBackend.stats()`).
 * An affine case (`params.affine`) runs `affineRegistration` of `@diffeo/affine` instead
 * (the whole pipeline is timed; iterations are L-BFGS iterations per stage and level).
 */
import { closeSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { createContext, profileKernels, type KernelContext, type KernelProfile } from '@diffeo/core';
import { wasmBackend, type WasmBackend, type WasmMemoryStats } from '@diffeo/wasm-kernels';
import { loadBackend } from '@diffeo/align';
import { parseNpy, serializeNpyParts, type NpyArray, type NpyData } from '@diffeo/io/npy';
import type { WasmChildOptions } from './bench.js';
import type { BenchParams } from './cases.js';
import { kernelBreakdown, type KernelBreakdown } from './format.js';
import { registerCase, startAffineThreads } from './registration.js';

/** What a child writes to `result.json` (the DIPY script writes the same keys). */
export interface ChildResult {
  implementation: string;
  optimizeSeconds: number;
  rssBeforeOptimizeKiB: number;
  rssAfterOptimizeKiB: number;
  maxRssKiB: number;
  iterationsPerLevel: number[];
  /** Affine cases: metric evaluations per stage and level (the DIPY script writes `affineEvaluationsPerLevel`). */
  evaluationsPerLevel?: number[];
  /** DIPY affine cases: scipy's `nfev` per stage and level. */
  affineEvaluationsPerLevel?: number[];
  /** DIPY affine cases: scipy's `nit` per stage and level. */
  affineIterationsPerLevel?: number[];
  backend?: string;
  /** Per-kernel calls and seconds of the optimize call, and the rest (`other_s`). */
  kernels?: KernelBreakdown;
  /** The wasm backend's memory counters over the optimize call (wasm runs only). */
  wasmMemory?: WasmMemoryStats;
  /** Threads the wasm backend ran on at the end of optimize (its workers start lazily; wasm runs only). */
  threads?: number;
}

/**
 * The kernel context of a run, profiled, and for wasm the backend itself (for its memory
 * counters): the same backend `loadBackend('wasm')` of `@diffeo/align` makes (default options, unless the bench passes `--wasm-threads` / `--wasm-min-parallel-work`).
 */
async function kernelsFor(backend: 'ts' | 'wasm', wasmOptions: WasmChildOptions = {}): Promise<{ prof: KernelProfile; wasm: WasmBackend | null }> {
  let context: KernelContext;
  let wasm: WasmBackend | null = null;
  if (backend === 'wasm') {
    wasm = await wasmBackend({ ...wasmOptions });
    context = createContext(wasm);
  } else {
    context = (await loadBackend('ts')).context;
  }
  return { prof: profileKernels(context), wasm };
}

/** `after − before`, counter by counter (the scratch size: its value after). */
function memoryDelta(before: WasmMemoryStats, after: WasmMemoryStats): WasmMemoryStats {
  const d = { ...after };
  for (const k of Object.keys(after) as (keyof WasmMemoryStats)[]) if (k !== 'scratchBytes') d[k] = after[k] - before[k];
  return d;
}

/** The profile's entries as the bench's breakdown of an optimize call of `seconds`. */
function breakdownOf(prof: KernelProfile, seconds: number): KernelBreakdown {
  return kernelBreakdown(prof.report().kernels.map((k) => ({ name: k.name, backend: k.backend, calls: k.calls, seconds: k.seconds })), seconds);
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

/**
 * This process's peak RSS, KiB: `VmHWM` of `/proc/self/status` on Linux, else
 * `process.resourceUsage().maxRSS`. Not `maxRSS` on Linux: the kernel carries a
 * process's `ru_maxrss` across `exec`, so a child's `maxRSS` is at least the RSS its
 * parent (the bench) had when it forked it; `VmHWM` belongs to the child's own memory.
 */
function peakRssKiB(): number {
  try {
    const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]);
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS;
}

function readNpy(path: string): NpyArray {
  const b = readFileSync(path);
  // a view of the file's bytes (as np.load reads into its array): no second copy in memory
  return parseNpy(new Uint8Array(b.buffer, b.byteOffset, b.byteLength), path, { copy: false });
}

async function main(argv: string[]): Promise<void> {
  const [caseDir, outDir, backend = 'ts', wasmJson] = argv;
  if (!caseDir || !outDir) throw new Error('usage: child-diffeo.ts <caseDir> <outDir> [ts|wasm]');
  const params = JSON.parse(readFileSync(join(caseDir, 'params.json'), 'utf8')) as BenchParams;
  if (backend !== 'ts' && backend !== 'wasm') throw new Error(`unknown backend ${backend}`);
  const wasmOptions = wasmJson ? JSON.parse(wasmJson) as WasmChildOptions : {};
  const { prof, wasm } = await kernelsFor(backend, wasmOptions);
  const stat = readNpy(join(caseDir, params.inputs.static));
  const mov = readNpy(join(caseDir, params.inputs.moving));
  const labels = params.inputs.moving_labels && !params.affine ? readNpy(join(caseDir, params.inputs.moving_labels)) : null;
  let rssBefore = 0, rssAfter = 0;
  let mem0: WasmMemoryStats | undefined;
  let kernels: KernelBreakdown | undefined;
  let wasmMemory: WasmMemoryStats | undefined;
  let wasmThreads: number | undefined;
  await startAffineThreads(params, stat.data.length, wasm);
  const out = await registerCase(params, { static: stat, moving: mov, movingLabels: labels }, prof.context, {
    beforeOptimize: () => {
      rssBefore = peakRssKiB();
      mem0 = wasm?.stats();
    },
    afterOptimize: (optimizeSeconds) => {
      rssAfter = peakRssKiB();
      // before the warps, which call kernels too
      kernels = breakdownOf(prof, optimizeSeconds);
      wasmMemory = wasm && mem0 ? memoryDelta(mem0, wasm.stats()) : undefined;
      wasmThreads = wasm?.threads;
    },
  });
  // Outputs are written as NumPy's np.save does, without extra copies in memory.
  writeNpy(join(outDir, 'warped_moving.npy'), out.warped, stat.shape);
  if (out.warpedLabels) writeNpy(join(outDir, 'warped_labels.npy'), out.warpedLabels, stat.shape);
  if (out.affine) writeFileSync(join(outDir, 'affine.json'), JSON.stringify(out.affine));
  const result: ChildResult = {
    implementation: `diffeo-${backend}`,
    backend,
    optimizeSeconds: out.optimizeSeconds,
    rssBeforeOptimizeKiB: rssBefore,
    rssAfterOptimizeKiB: rssAfter,
    maxRssKiB: peakRssKiB(),
    iterationsPerLevel: out.iterationsPerLevel,
    ...(out.evaluationsPerLevel ? { evaluationsPerLevel: out.evaluationsPerLevel } : {}),
    kernels,
    wasmMemory,
    threads: wasmThreads,
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
