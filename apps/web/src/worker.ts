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
import { loadBackend, metricByName, type LoadedBackend } from '@diffeo/align';
import { jacobianStats, mapJacobianDeterminant } from '@diffeo/core';
import { serializeMapping, serializeNifti } from '@diffeo/io';
import { plot2dDiffeomorphicMap } from '@diffeo/regtools-viz';
import { SymmetricDiffeomorphicRegistration, type RegistrationEvent } from '@diffeo/syn';
import type { BackendReport, FromWorker, MetricChoice, Rgba, ToWorker } from './protocol.js';

let current: { runId: number; controller: AbortController } | null = null;

/**
 * The kernels, through @diffeo/align's loader: the WebAssembly backend (loaded once per
 * worker), or the TypeScript kernels, with the reason, if it cannot load.
 */
let kernelsPromise: Promise<LoadedBackend> | null = null;
function kernels(): Promise<LoadedBackend> {
  kernelsPromise ??= loadBackend('auto');
  return kernelsPromise;
}

/** What ran, read from the loaded backend now (its thread count is live: the workers start with the first large kernel call). */
function backendReport(k: LoadedBackend): BackendReport {
  const isolated = (self as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
  return { name: k.backend, threads: k.threads, crossOriginIsolated: isolated, ...(k.fallbackReason === null ? {} : { fallbackReason: k.fallbackReason }) };
}

function send(msg: FromWorker, transfer: Transferable[] = []): void {
  self.postMessage(msg, { transfer });
}

function metricFor(choice: MetricChoice, dim: 2 | 3) {
  return choice.name === 'cc' ? metricByName('cc', dim, { radius: choice.radius }) : metricByName('ssd', dim);
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
    else send({ type: 'error', runId, code: 'RUN_FAILED', message: err instanceof Error ? err.message : String(err) });
  } finally {
    if (current?.controller === ctl) current = null;
  }
}

/**
 * Checks an incoming message: an object with a known `type` and a numeric `runId`. Anything
 * else gets a typed `error` reply (code `BAD_MESSAGE` or `UNKNOWN_TYPE`) carrying the run id
 * when the message had one (else null); the worker never throws on a message nor ignores one.
 */
function badMessage(data: unknown): FromWorker | null {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    const what = data === null ? 'null' : Array.isArray(data) ? 'an array' : typeof data;
    return { type: 'error', runId: null, code: 'BAD_MESSAGE', message: `the worker takes { type: 'register' | 'cancel', runId, ... } objects; got ${what}.` };
  }
  const m = data as { type?: unknown; runId?: unknown };
  const runId = typeof m.runId === 'number' && Number.isFinite(m.runId) ? m.runId : null;
  if (m.type !== 'register' && m.type !== 'cancel') {
    return { type: 'error', runId, code: 'UNKNOWN_TYPE', message: `unknown message type ${JSON.stringify(m.type) ?? String(m.type)}; the worker takes 'register' and 'cancel'.` };
  }
  if (runId === null) return { type: 'error', runId: null, code: 'BAD_MESSAGE', message: `a '${m.type}' message needs a numeric runId; got ${JSON.stringify(m.runId) ?? String(m.runId)}.` };
  return null;
}

self.onmessage = (e: MessageEvent<unknown>): void => {
  const bad = badMessage(e.data);
  if (bad !== null) {
    send(bad);
    return;
  }
  const msg = e.data as ToWorker;
  if (msg.type === 'cancel') {
    if (current?.runId === msg.runId) current.controller.abort();
  } else void register(msg);
};
