/**
 * The bench's registration worker (a dedicated module Web Worker, so that the
 * WebAssembly backend's threads may block on shared memory): fetches the case from
 * the bench's server, runs `registerCase` (the Node child's very code) with the
 * WebAssembly backend at its default thread count, and PUTs the outputs back as
 * `.npy` (and `affine.json`). Only the registration call is timed, with the
 * worker's `performance.now()`. As in the Node child, the kernel context is wrapped by
 * `profileKernels` (the per-kernel breakdown goes back with the result) and the
 * backend's memory counters are read around the timed call.
 *
 * Around the timed call the worker posts a `mark` and blocks (`Atomics.wait` on the
 * page's shared flag) until Node has read the renderer's peak RSS, as the Node child
 * reads its own there; the wait is outside the timed interval.
 */
import { createContext, profileKernels } from '@diffeo/core';
import { wasmBackend, type WasmMemoryStats } from '@diffeo/wasm-kernels';
import { parseNpy, serializeNpyParts, type NpyArray, type NpyData } from '@diffeo/io/npy';
import type { BenchParams } from '../cases.js';
import { kernelBreakdown, type KernelBreakdown } from '../format.js';
import { registerCase, startAffineThreads } from '../registration.js';
import type { FromWorker, ToWorker } from './protocol.js';

/** The little of `DedicatedWorkerGlobalScope` used here (the package's lib is DOM). */
interface WorkerScope {
  postMessage(message: FromWorker): void;
  onmessage: ((e: MessageEvent<ToWorker>) => void) | null;
  crossOriginIsolated: boolean;
}
const scope = self as unknown as WorkerScope;

async function fetchOk(url: string): Promise<Response> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`GET ${url}: HTTP ${r.status}`);
  return r;
}

async function fetchNpy(url: string): Promise<NpyArray> {
  const bytes = new Uint8Array(await (await fetchOk(url)).arrayBuffer());
  return parseNpy(bytes, url, { copy: false });
}

/** A view Blob accepts: Blob refuses views of shared memory (the wasm backend's), so those are copied. */
function unshared(a: Uint8Array): Uint8Array<ArrayBuffer> {
  return a.buffer instanceof ArrayBuffer ? (a as Uint8Array<ArrayBuffer>) : new Uint8Array(a);
}

async function put(url: string, parts: Uint8Array[] | string): Promise<void> {
  const body = typeof parts === 'string' ? parts : new Blob(parts.map(unshared));
  const r = await fetch(url, { method: 'PUT', body });
  if (!r.ok) throw new Error(`PUT ${url}: HTTP ${r.status} ${await r.text()}`);
}

async function run({ caseUrl, outUrl, flag }: ToWorker): Promise<void> {
  const mark = (name: 'beforeOptimize' | 'afterOptimize'): void => {
    Atomics.store(flag, 0, 0);
    scope.postMessage({ type: 'mark', name });
    Atomics.wait(flag, 0, 0);
  };
  const params = (await (await fetchOk(`${caseUrl}params.json`)).json()) as BenchParams;
  // the backend the Node child makes: wasmBackend() with its default options, profiled
  const wasm = await wasmBackend();
  const prof = profileKernels(createContext(wasm));
  const stat = await fetchNpy(caseUrl + params.inputs.static);
  const moving = await fetchNpy(caseUrl + params.inputs.moving);
  const labels = params.inputs.moving_labels && !params.affine ? await fetchNpy(caseUrl + params.inputs.moving_labels) : null;
  let mem0: WasmMemoryStats | null = null;
  let kernels: KernelBreakdown | null = null;
  const wasmMemory: Record<string, number> = {};
  await startAffineThreads(params, stat.data.length, wasm);
  const out = await registerCase(params, { static: stat, moving, movingLabels: labels }, prof.context, {
    beforeOptimize: () => {
      mark('beforeOptimize');
      mem0 = wasm.stats();
    },
    afterOptimize: (seconds) => {
      // before the warps, which call kernels too
      kernels = kernelBreakdown(prof.report().kernels.map((k) => ({ name: k.name, backend: k.backend, calls: k.calls, seconds: k.seconds })), seconds);
      const after = wasm.stats();
      for (const k of Object.keys(after) as (keyof WasmMemoryStats)[]) wasmMemory[k] = k === 'scratchBytes' ? after[k] : after[k] - mem0![k];
      mark('afterOptimize');
    },
  });
  const files = ['warped_moving.npy'];
  await put(`${outUrl}warped_moving.npy`, serializeNpyParts(out.warped, stat.shape));
  if (out.warpedLabels) {
    await put(`${outUrl}warped_labels.npy`, serializeNpyParts(out.warpedLabels as NpyData, stat.shape));
    files.push('warped_labels.npy');
  }
  if (out.affine) {
    await put(`${outUrl}affine.json`, JSON.stringify(out.affine));
    files.push('affine.json');
  }
  scope.postMessage({
    type: 'done',
    result: {
      optimizeSeconds: out.optimizeSeconds, iterationsPerLevel: out.iterationsPerLevel,
      backend: 'WebAssembly', threads: wasm.threads, crossOriginIsolated: scope.crossOriginIsolated === true, files,
      kernels: kernels!, wasmMemory,
    },
  });
}

scope.onmessage = (e) => {
  scope.onmessage = null;
  run(e.data).catch((err: unknown) => scope.postMessage({ type: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) }));
};
