/**
 * The page: loads DIPY's circle and C samples, shows their overlay, and runs SSD
 * SyN in a Web Worker on "Register". Progress arrives per pyramid level; the result
 * is the warped overlay, the deformed lattices, the Dice score (mask > 0.5) and the
 * registration time. "Cancel" asks the worker to abort.
 *
 * `document.body.dataset.state` tracks the page for scripts and tests:
 * `loading` → `ready` → `running` → `done` | `cancelled` | `error`.
 */
import { sampleUrl, type SampleName } from '@diffeo/data';
import { parseNpy } from '@diffeo/io';
import { overlayImages } from '@diffeo/regtools-viz';
import { dice } from '@diffeo/core';
import type { FromWorker, Image2D, Rgba, ToWorker } from './protocol.js';

const LEVEL_ITERS = [200, 100, 50, 25] as const;
const INV_ITER = 50;

type State = 'loading' | 'ready' | 'running' | 'done' | 'cancelled' | 'error';

function el<T extends HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (!e) throw new Error(`the page has no #${id}`);
  return e as T;
}

const registerBtn = el<HTMLButtonElement>('register');
const cancelBtn = el<HTMLButtonElement>('cancel');
const statusEl = el<HTMLSpanElement>('status');
const progressEl = el<HTMLUListElement>('progress');
const resultEl = el<HTMLParagraphElement>('result');
const inputCanvas = el<HTMLCanvasElement>('input-canvas');
const warpedCanvas = el<HTMLCanvasElement>('warped-canvas');
const latticeCanvas = el<HTMLCanvasElement>('lattice-canvas');

function setState(state: State, status: string): void {
  document.body.dataset.state = state;
  statusEl.textContent = status;
  registerBtn.disabled = state === 'loading' || state === 'running';
  cancelBtn.disabled = state !== 'running';
}

/** Draws an RGBA raster at its natural size (the canvas scales down with CSS on narrow screens). */
function draw(canvas: HTMLCanvasElement, img: Rgba): void {
  canvas.width = img.width;
  canvas.height = img.height;
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('no 2D canvas context');
  const out = ctx.createImageData(img.width, img.height);
  out.data.set(img.data);
  ctx.putImageData(out, 0, 0);
  canvas.classList.remove('empty');
}

function clear(canvas: HTMLCanvasElement): void {
  canvas.width = 0;
  canvas.height = 0;
  canvas.classList.add('empty');
}

async function loadSample(name: SampleName): Promise<Image2D> {
  const url = sampleUrl(name);
  const res = await fetch(url);
  if (!res.ok) throw new Error(`could not load ${url.pathname}: HTTP ${res.status}`);
  const a = parseNpy(new Uint8Array(await res.arrayBuffer()), url.pathname);
  if (a.shape.length !== 2) throw new Error(`${name} should be 2D; got shape (${a.shape.join(', ')})`);
  const data = a.data instanceof Float32Array ? a.data : Float32Array.from(a.data);
  return { data, shape: [a.shape[0], a.shape[1]] };
}

function fmtSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

async function start(): Promise<void> {
  // static = C, moving = circle (DIPY's get_fnames('reg_c') and get_fnames('reg_o'))
  const [statik, moving] = await Promise.all([loadSample('reg_c'), loadSample('reg_o')]);
  draw(inputCanvas, overlayImages(statik, moving, { title0: 'Static', titleMid: 'Overlay', title1: 'Moving' }).figure);
  const diceBefore = dice(statik.data, moving.data);

  const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
  const post = (msg: ToWorker, transfer: Transferable[] = []): void => worker.postMessage(msg, transfer);
  let t0 = 0;

  worker.onmessage = (e: MessageEvent<FromWorker>): void => {
    const msg = e.data;
    switch (msg.type) {
      case 'level': {
        const li = document.createElement('li');
        const energy = Number.isFinite(msg.energy) ? msg.energy.toFixed(4) : 'n/a';
        li.textContent = `level ${msg.level}: ${msg.iterations} iterations, energy ${energy} (at ${fmtSeconds(msg.elapsedMs)})`;
        progressEl.append(li);
        setState('running', msg.level > 0 ? `registering… level ${msg.level} done` : 'registering… composing the final map');
        break;
      }
      case 'done': {
        const total = performance.now() - t0;
        const warpedFig = overlayImages(statik, msg.warped, { title0: 'Static', titleMid: 'Overlay', title1: 'Warped moving' }).figure;
        draw(warpedCanvas, warpedFig);
        draw(latticeCanvas, msg.latticeFigure);
        const d = dice(statik.data, msg.warped.data);
        resultEl.textContent =
          `Dice (mask > 0.5): before ${diceBefore.toFixed(4)}, after ${d.toFixed(4)} · ` +
          `registration ${fmtSeconds(msg.registrationMs)} (total ${fmtSeconds(total)}, ${msg.backend}) · ` +
          `iterations per level [${msg.iterationsPerLevel.join(', ')}]`;
        resultEl.dataset.dice = String(d);
        setState('done', 'done');
        break;
      }
      case 'cancelled':
        setState('cancelled', 'cancelled');
        break;
      case 'error':
        setState('error', `error: ${msg.message}`);
        break;
    }
  };
  worker.onerror = (e: ErrorEvent): void => setState('error', `worker error: ${e.message || 'could not start the worker'}`);

  registerBtn.onclick = (): void => {
    progressEl.replaceChildren();
    resultEl.textContent = '';
    delete resultEl.dataset.dice;
    clear(warpedCanvas);
    clear(latticeCanvas);
    setState('running', 'registering…');
    t0 = performance.now();
    // the worker gets copies (transferred), the page keeps its images for the overlays and Dice
    const s: Image2D = { data: statik.data.slice(), shape: statik.shape };
    const m: Image2D = { data: moving.data.slice(), shape: moving.shape };
    post({ type: 'register', static: s, moving: m, levelIters: LEVEL_ITERS, invIter: INV_ITER }, [s.data.buffer, m.data.buffer]);
  };
  cancelBtn.onclick = (): void => {
    cancelBtn.disabled = true;
    statusEl.textContent = 'cancelling…';
    post({ type: 'cancel' });
  };

  setState('ready', `ready: static C and moving circle, ${statik.shape.join('×')} pixels`);
}

start().catch((err: unknown) => setState('error', `error: ${err instanceof Error ? err.message : String(err)}`));
