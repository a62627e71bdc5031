/**
 * Registration worker: runs diffeo's SSD SyN (DIPY's circle-to-C example) off the
 * main thread. One registration at a time; a `cancel` message aborts it through an
 * `AbortController` (SyN checks the signal between iterations and yields to the event
 * loop every ~20 ms, so the message is received while it runs).
 */
import { loadBackend, synRegistration, type LoadedBackend } from '@diffeo/align';
import type { RegistrationEvent } from '@diffeo/syn';
import { plot2dDiffeomorphicMap } from '@diffeo/regtools-viz';
import type { FromWorker, Image2D, ToWorker } from './protocol.js';

let controller: AbortController | null = null;

/** The kernels: the WebAssembly backend (loaded once), or the TypeScript kernels if it cannot load. */
let contextPromise: Promise<LoadedBackend> | null = null;
function kernelContext(): Promise<LoadedBackend> {
  contextPromise ??= loadBackend('auto');
  return contextPromise;
}

function send(msg: FromWorker, transfer: Transferable[] = []): void {
  self.postMessage(msg, { transfer });
}

function asImage(data: Float32Array, shape: readonly number[]): Image2D {
  return { data, shape: [shape[0], shape[1]] };
}

async function register(msg: Extract<ToWorker, { type: 'register' }>): Promise<void> {
  controller?.abort();
  const ctl = new AbortController();
  controller = ctl;
  const onEvent = (e: RegistrationEvent<2>): void => {
    if (e.stage !== 'SCALE_END') return;
    const energies = e.energies;
    send({ type: 'level', level: e.level, iterations: e.iteration, energy: energies.length > 0 ? energies[energies.length - 1] : NaN, elapsedMs: e.elapsedMs });
  };
  try {
    const { context, description: backend } = await kernelContext();
    const t0 = performance.now();
    const { mapping: map, warped: warpedArray, registration: syn } = await synRegistration({
      static: msg.static, moving: msg.moving, metric: 'ssd',
      levelIters: msg.levelIters, invIter: msg.invIter, onEvent, signal: ctl.signal, context,
    });
    const registrationMs = performance.now() - t0;
    const warped = asImage(warpedArray.data, msg.static.shape);
    const plot = plot2dDiffeomorphicMap(map, { delta: 10 });
    const latticeForward = asImage(plot.warpedForward, plot.forwardShape);
    const latticeBackward = asImage(plot.warpedBackward, plot.backwardShape);
    const fig = plot.figure;
    send(
      {
        type: 'done', warped, latticeForward, latticeBackward,
        latticeFigure: { width: fig.width, height: fig.height, data: fig.data },
        iterationsPerLevel: syn.iterationsPerLevel, registrationMs, backend,
      },
      [warped.data.buffer, latticeForward.data.buffer, latticeBackward.data.buffer, fig.data.buffer],
    );
  } catch (err) {
    // SyN rejects with @diffeo/core's AbortError (code 'ABORTED'); test the code, not
    // `name`, which a minifier may change with the class name.
    if (ctl.signal.aborted || (err as { code?: unknown } | null)?.code === 'ABORTED') send({ type: 'cancelled' });
    else send({ type: 'error', message: err instanceof Error ? err.message : String(err) });
  } finally {
    if (controller === ctl) controller = null;
  }
}

self.onmessage = (e: MessageEvent<ToWorker>): void => {
  const msg = e.data;
  if (msg.type === 'cancel') controller?.abort();
  else if (msg.type === 'register') void register(msg);
};
