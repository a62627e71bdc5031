/**
 * The page: the user opens or drops a static and a moving NIfTI image (or loads the
 * circle-to-C sample), chooses the metric and the iterations per level, and runs SyN in
 * a Web Worker (`worker.ts`) with progress per iteration and level, and Cancel. The
 * result is shown in NiiVue (static in grey, warped moving overlaid), scored by NCC
 * (and Dice for the sample's binary images), and offered as two downloads: the warped
 * image and the mapping, gzip NIfTI files made by `@diffeo/io` in the worker.
 *
 * `document.body.dataset.state` tracks the page for scripts and tests:
 * `empty` (images missing) → `loading` → `ready` → `running` → `done` | `cancelled` |
 * `error`. After a run `#result` carries `data-ncc-before`, `data-ncc-after`,
 * `data-dice` (sample) and `#backend` carries `data-name`, `data-threads`,
 * `data-cross-origin-isolated` (what the worker's backend object reported).
 */
import { sampleUrl, type SampleName } from '@diffeo/data';
import { parseNpy } from '@diffeo/io';
import { overlayImages } from '@diffeo/regtools-viz';
import { imageFromArray, imageFromNifti, isNiftiName, type InputImage } from './images.js';
import { dice, ncc, type FromWorker, type GridImage, type MetricChoice, type Rgba, type ToWorker } from './protocol.js';
import type { Viewer } from './viewer.js';

type State = 'empty' | 'loading' | 'ready' | 'running' | 'done' | 'cancelled' | 'error';
type Role = 'static' | 'moving';

function el<T extends HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (!e) throw new Error(`the page has no #${id}`);
  return e as T;
}

const registerBtn = el<HTMLButtonElement>('register');
const cancelBtn = el<HTMLButtonElement>('cancel');
const sampleBtn = el<HTMLButtonElement>('sample');
const statusEl = el<HTMLSpanElement>('status');
const progressBar = el<HTMLProgressElement>('progress-bar');
const progressText = el<HTMLSpanElement>('progress-text');
const progressEl = el<HTMLUListElement>('progress');
const resultEl = el<HTMLParagraphElement>('result');
const backendEl = el<HTMLParagraphElement>('backend');
const metricSel = el<HTMLSelectElement>('metric');
const radiusInput = el<HTMLInputElement>('radius');
const radiusLabel = el<HTMLLabelElement>('radius-label');
const levelItersInput = el<HTMLInputElement>('level-iters');
const invIterInput = el<HTMLInputElement>('inv-iter');
const overlaySel = el<HTMLSelectElement>('overlay');
const opacityInput = el<HTMLInputElement>('opacity');
const colormapSel = el<HTMLSelectElement>('colormap');
const downloadWarped = el<HTMLAnchorElement>('download-warped');
const downloadMapping = el<HTMLAnchorElement>('download-mapping');
const inputCanvas = el<HTMLCanvasElement>('input-canvas');
const warpedCanvas = el<HTMLCanvasElement>('warped-canvas');
const latticeCanvas = el<HTMLCanvasElement>('lattice-canvas');
const fileInputs: Record<Role, HTMLInputElement> = { static: el('static-file'), moving: el('moving-file') };
const infos: Record<Role, HTMLDivElement> = { static: el('static-info'), moving: el('moving-info') };
const drops: Record<Role, HTMLDivElement> = { static: el('static-drop'), moving: el('moving-drop') };

const viewerCanvas = el<HTMLCanvasElement>('viewer');
/** NiiVue (about 1 MB of script) loads with the first images, not with the page. */
let viewerPromise: Promise<Viewer> | null = null;
function viewer(): Promise<Viewer> {
  viewerPromise ??= import('./viewer.js').then(({ Viewer: V }) => {
    const v = new V(viewerCanvas);
    v.setOverlayOpacity(Number(opacityInput.value));
    v.setOverlayColormap(colormapSel.value);
    return v;
  });
  return viewerPromise;
}
const images: Record<Role, InputImage | null> = { static: null, moving: null };
let isSample = false;
/** The last result, for the overlay switch. */
let warpedView: { nifti: Uint8Array; name: string } | null = null;
/** The det J image of the last result (NIfTI bytes), for the overlay switch. */
let jacobianView: { nifti: Uint8Array; name: string } | null = null;

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function setState(state: State, status: string): void {
  document.body.dataset.state = state;
  statusEl.textContent = status;
  const busy = state === 'loading' || state === 'running';
  registerBtn.disabled = busy || images.static === null || images.moving === null;
  cancelBtn.disabled = state !== 'running';
  sampleBtn.disabled = busy;
  fileInputs.static.disabled = busy;
  fileInputs.moving.disabled = busy;
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

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** A 2D image as regtools-viz's `{ data, shape: [rows, cols] }`. */
function as2d(g: GridImage): { data: Float32Array; shape: [number, number] } {
  return { data: g.data, shape: [g.shape[0], g.shape[1]] };
}

function fmtSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

function describeImage(img: InputImage): string {
  const g = img.image.gridToWorld;
  const d = img.dim;
  const spacing = g === null ? [1, 1] : Array.from({ length: d }, (_, c) => Math.hypot(...Array.from({ length: d }, (_, r) => g[r * (d + 1) + c])));
  return `${img.name}: ${d}D, ${img.image.shape.join('×')} voxels, ${spacing.map((s) => s.toFixed(2)).join('×')} mm`;
}

function resetResult(): void {
  progressEl.replaceChildren();
  progressBar.value = 0;
  progressText.textContent = '';
  resultEl.textContent = '';
  for (const k of Object.keys(resultEl.dataset)) delete resultEl.dataset[k];
  backendEl.textContent = '';
  for (const k of Object.keys(backendEl.dataset)) delete backendEl.dataset[k];
  for (const a of [downloadWarped, downloadMapping]) {
    if (a.href.startsWith('blob:')) URL.revokeObjectURL(a.href);
    a.removeAttribute('href');
    a.hidden = true;
  }
  warpedView = null;
  jacobianView = null;
  overlaySel.value = 'moving';
  (overlaySel.querySelector('option[value="warped"]') as HTMLOptionElement).disabled = true;
  (overlaySel.querySelector('option[value="jacobian"]') as HTMLOptionElement).disabled = true;
  clear(warpedCanvas);
  clear(latticeCanvas);
}

/** Shows the static image with the chosen overlay. */
async function showViewer(): Promise<void> {
  const s = images.static;
  const m = images.moving;
  if (!s) return;
  const overlay = overlaySel.value === 'warped' && warpedView ? warpedView
    : overlaySel.value === 'jacobian' && jacobianView ? jacobianView
      : m ? { nifti: m.nifti, name: m.name } : { nifti: s.nifti, name: s.name };
  await (await viewer()).show({ nifti: s.nifti, name: niftiName(s.name) }, { nifti: overlay.nifti, name: niftiName(overlay.name) }, s.dim === 3);
}

/** NiiVue picks its reader from the name: make sure it ends in `.nii` or `.nii.gz`. */
function niftiName(name: string): string {
  return isNiftiName(name) ? name : `${name}.nii`;
}

/** After images change: the 2D input figure, the viewer, the state. */
async function imagesChanged(): Promise<void> {
  resetResult();
  clear(inputCanvas);
  const s = images.static;
  const m = images.moving;
  if (s && m && s.dim === 2 && m.dim === 2 && sameShape(s.image.shape, m.image.shape)) {
    draw(inputCanvas, overlayImages(as2d(s.image), as2d(m.image), { title0: 'Static', titleMid: 'Overlay', title1: 'Moving' }).figure);
  }
  try {
    await showViewer();
  } catch (e) {
    setState('error', `the viewer could not show the images: ${describe(e)}`);
    return;
  }
  if (s && m) {
    if (s.dim !== m.dim) setState('error', `the static image is ${s.dim}D and the moving image ${m.dim}D; both must be 2D or both 3D`);
    else setState('ready', `ready: static ${s.name} (${s.image.shape.join('×')}), moving ${m.name} (${m.image.shape.join('×')})`);
  } else setState('empty', `now open the ${s ? 'moving' : 'static'} image`);
}

async function loadFiles(assign: Partial<Record<Role, File>>): Promise<void> {
  setState('loading', 'reading the images…');
  if (isSample) {
    images.static = null;
    images.moving = null;
    infos.static.textContent = 'none';
    infos.moving.textContent = 'none';
    isSample = false;
  }
  for (const role of ['static', 'moving'] as const) {
    const file = assign[role];
    if (!file) continue;
    try {
      if (!isNiftiName(file.name)) throw new Error(`${file.name} is not a NIfTI file: choose a .nii or .nii.gz file`);
      images[role] = imageFromNifti(new Uint8Array(await file.arrayBuffer()), file.name);
      infos[role].textContent = describeImage(images[role]);
    } catch (e) {
      images[role] = null;
      infos[role].textContent = 'none';
      setState('error', `${role} image: ${describe(e)}`);
      return;
    }
  }
  await imagesChanged();
}

async function loadNpy(name: SampleName): Promise<Float32Array> {
  const url = sampleUrl(name);
  const res = await fetch(url);
  if (!res.ok) throw new Error(`could not load ${url.pathname}: HTTP ${res.status}`);
  const a = parseNpy(new Uint8Array(await res.arrayBuffer()), url.pathname);
  if (a.shape.length !== 2 || a.shape[0] !== 256 || a.shape[1] !== 256) throw new Error(`${name} should be 256×256; got shape (${a.shape.join(', ')})`);
  return a.data instanceof Float32Array ? a.data : Float32Array.from(a.data);
}

async function loadSample(): Promise<void> {
  setState('loading', 'loading the sample images…');
  // static = C, moving = circle (DIPY's get_fnames('reg_c') and get_fnames('reg_o'))
  const [c, circle] = await Promise.all([loadNpy('reg_c'), loadNpy('reg_o')]);
  images.static = imageFromArray(c, [256, 256], 'C.nii');
  images.moving = imageFromArray(circle, [256, 256], 'circle.nii');
  isSample = true;
  for (const role of ['static', 'moving'] as const) {
    infos[role].textContent = `${describeImage(images[role]!)} (sample)`;
    fileInputs[role].value = '';
  }
  metricSel.value = 'ssd';
  levelItersInput.value = '200,100,50,25';
  invIterInput.value = '50';
  metricChanged();
  await imagesChanged();
}

/** Parses "10,10,5": non-negative integers, coarsest level first. */
function parseLevelIters(text: string): number[] {
  const parts = text.split(/[\s,]+/).filter((p) => p.length > 0);
  const values = parts.map(Number);
  if (parts.length === 0 || parts.length > 10 || values.some((v) => !Number.isInteger(v) || v < 0 || v > 10_000)) {
    throw new Error(`levelIters "${text}" should be 1 to 10 whole numbers from 0 to 10000, coarsest level first, for example 10,10,5`);
  }
  return values;
}

function positiveInt(input: HTMLInputElement, what: string, max: number): number {
  const v = Number(input.value);
  if (!Number.isInteger(v) || v < 1 || v > max) throw new Error(`${what} should be a whole number from 1 to ${max}; got "${input.value}"`);
  return v;
}

function metricChanged(): void {
  radiusLabel.hidden = metricSel.value !== 'cc';
}

// ---------------------------------------------------------------------------------------------
// the worker
// ---------------------------------------------------------------------------------------------

const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
let runId = 0;
let t0 = 0;
let itersDone = 0;
let itersTotal = 0;
let nccBefore = NaN;
let diceBefore = NaN;

function post(msg: ToWorker, transfer: Transferable[] = []): void {
  worker.postMessage(msg, transfer);
}

function startRun(): void {
  const s = images.static;
  const m = images.moving;
  if (!s || !m) return;
  let levelIters: number[];
  let metric: MetricChoice;
  let invIter: number;
  try {
    if (s.dim !== m.dim) throw new Error(`the static image is ${s.dim}D and the moving image ${m.dim}D; both must be 2D or both 3D`);
    levelIters = parseLevelIters(levelItersInput.value);
    invIter = positiveInt(invIterInput, 'invIter', 200);
    metric = metricSel.value === 'cc' ? { name: 'cc', radius: positiveInt(radiusInput, 'the cc radius', 20) } : { name: 'ssd' };
  } catch (e) {
    setState('error', describe(e));
    return;
  }
  resetResult();
  runId += 1;
  itersDone = 0;
  itersTotal = levelIters.reduce((a, b) => a + b, 0);
  progressBar.max = Math.max(1, itersTotal);
  const comparable = sameShape(s.image.shape, m.image.shape);
  nccBefore = comparable ? ncc(s.image.data, m.image.data) : NaN;
  diceBefore = isSample ? dice(s.image.data, m.image.data) : NaN;
  setState('running', 'registering…');
  t0 = performance.now();
  // the worker gets copies (transferred); the page keeps its images for the scores and the viewer
  const copy = (g: GridImage): GridImage => ({ data: g.data.slice(), shape: g.shape.slice(), gridToWorld: g.gridToWorld?.slice() ?? null });
  const sc = copy(s.image);
  const mc = copy(m.image);
  post(
    { type: 'register', runId, static: sc, moving: mc, metric, levelIters, invIter, output: { shape: s.fileShape.slice(), affine: s.fileAffine.slice() } },
    [sc.data.buffer, mc.data.buffer],
  );
}

function setDownload(a: HTMLAnchorElement, bytes: Uint8Array): void {
  a.href = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/gzip' }));
  a.hidden = false;
}

async function finished(msg: Extract<FromWorker, { type: 'done' }>): Promise<void> {
  const total = performance.now() - t0;
  const s = images.static!;
  const nccAfter = ncc(s.image.data, msg.warped.data);
  resultEl.dataset.nccBefore = String(nccBefore);
  resultEl.dataset.nccAfter = String(nccAfter);
  const parts = [`NCC(static, moving): before ${Number.isFinite(nccBefore) ? nccBefore.toFixed(4) : 'n/a (different grids)'}, after ${nccAfter.toFixed(4)}`];
  if (isSample) {
    const d = dice(s.image.data, msg.warped.data);
    resultEl.dataset.dice = String(d);
    parts.unshift(`Dice (mask > 0.5): before ${diceBefore.toFixed(4)}, after ${d.toFixed(4)}`);
  }
  const j = msg.jacobian;
  resultEl.dataset.minDetJ = String(j.minDetJ);
  resultEl.dataset.foldedVoxels = String(j.foldedVoxels);
  parts.push(`min det J ${j.minDetJ.toPrecision(4)}, folded voxels (det J ≤ 0) ${j.foldedVoxels} of ${j.voxels}`);
  parts.push(`registration ${fmtSeconds(msg.registrationMs)} (total ${fmtSeconds(total)})`, `iterations per level [${msg.iterationsPerLevel.join(', ')}]`);
  resultEl.textContent = parts.join(' · ');

  const b = msg.backend;
  backendEl.dataset.name = b.name;
  backendEl.dataset.threads = String(b.threads);
  backendEl.dataset.crossOriginIsolated = String(b.crossOriginIsolated);
  backendEl.textContent =
    `backend: ${b.name === 'wasm' ? 'wasm (WebAssembly)' : `${b.name} (TypeScript${b.fallbackReason ? `; WebAssembly unavailable: ${b.fallbackReason}` : ''})`}, ` +
    `${b.threads} thread${b.threads === 1 ? '' : 's'} at the end of the run · crossOriginIsolated: ${b.crossOriginIsolated}` +
    (b.crossOriginIsolated ? '' : ' (no shared memory, so one thread: serve the page with COOP/COEP headers)');

  setDownload(downloadWarped, msg.warpedNifti);
  setDownload(downloadMapping, msg.mappingNifti);
  if (s.dim === 2) {
    draw(warpedCanvas, overlayImages(as2d(s.image), as2d(msg.warped), { title0: 'Static', titleMid: 'Overlay', title1: 'Warped moving' }).figure);
    if (msg.latticeFigure) draw(latticeCanvas, msg.latticeFigure);
  }
  warpedView = { nifti: msg.warpedNifti, name: 'warped_moved.nii.gz' };
  jacobianView = { nifti: msg.jacobianNifti, name: 'jacobian_det.nii.gz' };
  (overlaySel.querySelector('option[value="warped"]') as HTMLOptionElement).disabled = false;
  (overlaySel.querySelector('option[value="jacobian"]') as HTMLOptionElement).disabled = false;
  overlaySel.value = 'warped';
  try {
    await showViewer();
  } catch (e) {
    setState('error', `registered, but the viewer could not show the result: ${describe(e)}`);
    return;
  }
  setState('done', 'done');
}

worker.onmessage = (e: MessageEvent<FromWorker>): void => {
  const msg = e.data;
  // A message of an earlier run is dropped; an error naming no run (a malformed message) is shown.
  if (msg.runId !== runId && !(msg.type === 'error' && msg.runId === null)) return;
  switch (msg.type) {
    case 'iteration':
      itersDone += 1;
      progressBar.value = itersDone;
      progressText.textContent =
        `level ${msg.level} (${msg.levels - msg.level} of ${msg.levels}), iteration ${msg.iteration}/${msg.levelIters}, ` +
        `energy ${msg.energy.toFixed(4)}, ${fmtSeconds(msg.elapsedMs)}`;
      progressText.dataset.iterations = String(itersDone);
      break;
    case 'level': {
      const li = document.createElement('li');
      const energy = Number.isFinite(msg.energy) ? msg.energy.toFixed(4) : 'n/a';
      li.textContent = `level ${msg.level}: ${msg.iterations} iterations, energy ${energy} (at ${fmtSeconds(msg.elapsedMs)})`;
      progressEl.append(li);
      statusEl.textContent = msg.level > 0 ? `registering… level ${msg.level} done` : 'registering… composing the final map';
      break;
    }
    case 'done':
      progressBar.value = progressBar.max;
      finished(msg).catch((err: unknown) => setState('error', `error: ${describe(err)}`));
      break;
    case 'cancelled':
      setState('cancelled', 'cancelled');
      break;
    case 'error':
      setState('error', `error: ${msg.message}`);
      break;
  }
};
worker.onerror = (e: ErrorEvent): void => setState('error', `worker error: ${e.message || 'could not start the worker'}`);

// ---------------------------------------------------------------------------------------------
// controls
// ---------------------------------------------------------------------------------------------

registerBtn.onclick = startRun;
cancelBtn.onclick = (): void => {
  cancelBtn.disabled = true;
  statusEl.textContent = 'cancelling…';
  post({ type: 'cancel', runId });
};
sampleBtn.onclick = (): void => {
  loadSample().catch((e: unknown) => setState('error', `error: ${describe(e)}`));
};
metricSel.onchange = metricChanged;
opacityInput.oninput = (): void => {
  if (viewerPromise) void viewerPromise.then((v) => v.setOverlayOpacity(Number(opacityInput.value)));
};
colormapSel.onchange = (): void => {
  if (viewerPromise) void viewerPromise.then((v) => v.setOverlayColormap(colormapSel.value));
};
overlaySel.onchange = (): void => {
  showViewer().catch((e: unknown) => setState('error', `the viewer could not show the images: ${describe(e)}`));
};

for (const role of ['static', 'moving'] as const) {
  const input = fileInputs[role];
  input.onchange = (): void => {
    const f = input.files?.[0];
    if (f) void loadFiles({ [role]: f });
  };
  const zone = drops[role];
  zone.addEventListener('dragover', (e) => {
    e.preventDefault();
    zone.classList.add('over');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('over');
    if (document.body.dataset.state === 'loading' || document.body.dataset.state === 'running') return;
    const files = Array.from(e.dataTransfer?.files ?? []);
    if (files.length >= 2) void loadFiles({ static: files[0], moving: files[1] });
    else if (files.length === 1) void loadFiles({ [role]: files[0] });
  });
}
// a file dropped outside the boxes must not replace the page
window.addEventListener('dragover', (e) => e.preventDefault());
window.addEventListener('drop', (e) => e.preventDefault());

metricChanged();
setState('empty', 'open a static and a moving image, or try the sample');
