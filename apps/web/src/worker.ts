/**
 * Registration worker: runs diffeo's SyN (`@diffeo/syn`, DIPY's
 * `SymmetricDiffeomorphicRegistration`) off the main thread on 2D or 3D images in
 * world coordinates (each image's grid-to-world, mm), with the CC or SSD metric.
 *
 * One registration at a time; every message names its run (`runId`). `cancel` aborts
 * the named run through an `AbortController` (SyN checks the signal between iterations
 * and yields to the event loop every ~20 ms, so the message is received while it runs).
 * Progress: one `iteration` message per SyN iteration (ITER_END) and one `level`
 * message per pyramid level (SCALE_END). The result carries the warped image, the
 * warped image and the mapping as gzip NIfTI files, and the backend that ran.
 */
import { createContext, jacobianStats, mapJacobianDeterminant, type KernelContext } from '@diffeo/core';
import { serializeMapping, serializeNifti } from '@diffeo/io';
import { ccMetric } from '@diffeo/metrics-cc';
import { ssdMetric } from '@diffeo/metrics-ssd';
import { plot2dDiffeomorphicMap } from '@diffeo/regtools-viz';
import { SymmetricDiffeomorphicRegistration, type RegistrationEvent } from '@diffeo/syn';
import { wasmBackend, type WasmBackend } from '@diffeo/wasm-kernels';
import type { BackendReport, FromWorker, MetricChoice, Rgba, ToWorker } from './protocol.js';

let current: { runId: number; controller: AbortController } | null = null;

interface Kernels {
  readonly context: KernelContext;
  /** The WebAssembly backend, or null when the TypeScript kernels run. */
  readonly wasm: WasmBackend | null;
  readonly fallbackReason?: string;
}

/** The kernels: the WebAssembly backend (loaded once per worker), or the TypeScript kernels if it cannot load. */
let kernelsPromise: Promise<Kernels> | null = null;
function kernels(): Promise<Kernels> {
  kernelsPromise ??= wasmBackend().then(
    (b): Kernels => ({ context: createContext(b), wasm: b }),
    (e: unknown): Kernels => ({ context: createContext(), wasm: null, fallbackReason: e instanceof Error ? e.message : String(e) }),
  );
  return kernelsPromise;
}

/** What ran, read from the backend object now (its thread count is live: the workers start with the first large kernel call). */
function backendReport(k: Kernels): BackendReport {
  const isolated = (self as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
  if (k.wasm === null) return { name: 'ts', threads: 1, crossOriginIsolated: isolated, fallbackReason: k.fallbackReason };
  return { name: k.wasm.name, threads: k.wasm.threads, crossOriginIsolated: isolated };
}

function send(msg: FromWorker, transfer: Transferable[] = []): void {
  self.postMessage(msg, { transfer });
}

function metricFor(choice: MetricChoice, dim: 2 | 3) {
  return choice.name === 'cc' ? ccMetric(dim, { radius: choice.radius }) : ssdMetric(dim);
}

async function register(msg: Extract<ToWorker, { type: 'register' }>): Promise<void> {
  current?.controller.abort();
  const ctl = new AbortController();
  const runId = msg.runId;
  current = { runId, controller: ctl };
  const dim = msg.static.shape.length as 2 | 3;
  const levels = msg.levelIters.length;
  const onEvent = (e: RegistrationEvent): void => {
    if (e.stage === 'ITER_END') {
      send({
        type: 'iteration', runId, level: e.level, levels, iteration: e.iteration + 1,
        levelIters: msg.levelIters[levels - 1 - e.level] ?? 0, energy: e.energy, elapsedMs: e.elapsedMs,
      });
    } else if (e.stage === 'SCALE_END') {
      const energies = e.energies;
      send({ type: 'level', runId, level: e.level, iterations: e.iteration, energy: energies.length > 0 ? energies[energies.length - 1] : NaN, elapsedMs: e.elapsedMs });
    }
  };
  try {
    const k = await kernels();
    const syn = new SymmetricDiffeomorphicRegistration(metricFor(msg.metric, dim), {
      levelIters: msg.levelIters,
      invIter: msg.invIter,
      onEvent,
      signal: ctl.signal,
      context: k.context,
    });
    const t0 = performance.now();
    const map = await syn.optimize({
      static: { data: msg.static.data, shape: msg.static.shape },
      moving: { data: msg.moving.data, shape: msg.moving.shape },
      staticGridToWorld: msg.static.gridToWorld ?? undefined,
      movingGridToWorld: msg.moving.gridToWorld ?? undefined,
    });
    const registrationMs = performance.now() - t0;
    const backend = backendReport(k);
    const out = map.transform({ data: msg.moving.data, shape: msg.moving.shape }).data;
    const warpedData = out instanceof Float32Array ? out : Float32Array.from(out as ArrayLike<number>);
    const warpedNifti = serializeNifti({ data: warpedData, shape: msg.output.shape }, msg.output.affine, { gzip: true });
    const mappingNifti = serializeMapping(map, { gzip: true });
    const detJ = mapJacobianDeterminant(map, map.isInverse ? 'backward' : 'forward', { context: k.context }).data;
    const stats = jacobianStats(detJ);
    const jacobianNifti = serializeNifti({ data: detJ, shape: msg.output.shape }, msg.output.affine, { gzip: true });
    let latticeFigure: Rgba | null = null;
    if (dim === 2) {
      const fig = plot2dDiffeomorphicMap(map, { delta: 10 }).figure;
      latticeFigure = { width: fig.width, height: fig.height, data: fig.data };
    }
    const transfer: Transferable[] = [warpedData.buffer, warpedNifti.buffer, mappingNifti.buffer, jacobianNifti.buffer];
    if (latticeFigure) transfer.push(latticeFigure.data.buffer);
    send(
      {
        type: 'done', runId,
        warped: { data: warpedData, shape: msg.static.shape, gridToWorld: msg.static.gridToWorld },
        warpedNifti, mappingNifti, latticeFigure, jacobianNifti,
        jacobian: { minDetJ: stats.minDetJ, foldedVoxels: stats.foldedVoxels, voxels: stats.voxels },
        iterationsPerLevel: syn.iterationsPerLevel, registrationMs, backend,
      },
      transfer,
    );
  } catch (err) {
    // SyN rejects with @diffeo/core's AbortError (code 'ABORTED'); test the code, not
    // `name`, which a minifier may change with the class name.
    if (ctl.signal.aborted || (err as { code?: unknown } | null)?.code === 'ABORTED') send({ type: 'cancelled', runId });
    else send({ type: 'error', runId, message: err instanceof Error ? err.message : String(err) });
  } finally {
    if (current?.controller === ctl) current = null;
  }
}

self.onmessage = (e: MessageEvent<ToWorker>): void => {
  const msg = e.data;
  if (msg.type === 'cancel') {
    if (current?.runId === msg.runId) current.controller.abort();
  } else if (msg.type === 'register') void register(msg);
};
