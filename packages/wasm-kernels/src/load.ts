/**
 * Loading and instantiating `kernels.wasm` (ordinary memory) and
 * `kernels-threads.wasm` (shared memory, for threads) in Node and in browsers.
 *
 * The default locations are `new URL('../dist/kernels.wasm', import.meta.url)` (and
 * `kernels-threads.wasm` beside it),
 * which is the same file whether this module runs from `src/` (tests, through
 * the `@diffeo/source` condition) or from the built `dist/`. A `file:` URL is read
 * with `node:fs` (through `#platform`, whose browser build has no Node code); any
 * other URL is fetched and compiled with `WebAssembly.compileStreaming` when the
 * server sends `application/wasm`.
 */
import { readFileUrl } from '#platform';
import type { EmWasmExports } from './kernels-em.js';
import type { AffineWasmExports } from './adapters/affine.js';
import type { MiWasmExports } from './kernels-mi.js';

/** The functions `kernels.wasm` exports (addresses are byte offsets into the imported memory). */
export interface WasmExports extends EmWasmExports, AffineWasmExports, MiWasmExports {
  heapBase(): number;
  compose2d(out: number, d1: number, nr1: number, nc1: number, d2: number, nr2: number, nc2: number,
    A: number, B: number, t: number, stats: number, q: number, r0: number, r1: number, qRow: number): void;
  compose3d(out: number, d1: number, ns1: number, nr1: number, nc1: number, d2: number, ns2: number, nr2: number, nc2: number,
    A: number, B: number, t: number, stats: number, q: number, k0: number, k1: number, qRow: number): void;
  composeStats(q: number, from: number, to: number, stats: number): void;
  invertPass2d(p: number, d: number, q: number, nr: number, nc: number, W: number, sr: number, sc: number,
    update: number, measure: number, eps: number, maxlen: number, res: number, lo: number, hi: number): void;
  invertSum2d(q: number, from: number, to: number, sr: number, sc: number, res: number): void;
  invertLoop2d(p: number, d: number, q: number, nr: number, nc: number, W: number, sr: number, sc: number,
    maxIter: number, tol: number, res: number): void;
  invertLoop3d(p: number, d: number, q: number, ns: number, nr: number, nc: number, W: number,
    ss: number, sr: number, sc: number, maxIter: number, tol: number, res: number): void;
  invertPass3d(p: number, d: number, q: number, ns: number, nr: number, nc: number, W: number,
    ss: number, sr: number, sc: number, update: number, measure: number, eps: number, maxlen: number, res: number,
    k0: number, k1: number): void;
  invertSum3d(q: number, from: number, to: number, ss: number, sr: number, sc: number, res: number): void;
  warp2d(out: number, nr: number, nc: number, image: number, ir: number, ic: number,
    field: number, fr: number, fc: number, A: number, B: number, C: number, lo: number, hi: number): void;
  warp3d(out: number, ns: number, nr: number, nc: number, image: number, is: number, ir: number, ic: number,
    field: number, fs: number, fr: number, fc: number, A: number, B: number, C: number, k0: number, k1: number): void;
  warpNearest2d(out: number, elemBytes: number, nr: number, nc: number, image: number, ir: number, ic: number,
    field: number, fr: number, fc: number, A: number, B: number, C: number, r0: number, r1: number): void;
  warpNearest3d(out: number, elemBytes: number, ns: number, nr: number, nc: number, image: number, is: number, ir: number,
    ic: number, field: number, fs: number, fr: number, fc: number, A: number, B: number, C: number, k0: number, k1: number): void;
  ccFactors2d(out: number, st: number, mv: number, nr: number, nc: number, radius: number,
    slots: number, tails: number, rv: number): void;
  ccFactors3d(out: number, outFirstSlice: number, st: number, mv: number, ns: number, nr: number, nc: number, radius: number,
    temp: number, sFrom: number, sTo: number): void;
  ccStateConvert(ts: number, wasmState: number, count: number, toWasm: number): void;
  ccStep2d(out: number, grad: number, factors: number, nr: number, nc: number, radius: number,
    iy: number, ix: number, ia: number, ib: number, withEnergy: number, e0: number, r0: number, r1: number): number;
  ccEnergy2d(factors: number, nr: number, nc: number, radius: number, ia: number, ib: number,
    r0: number, r1: number, e: number): number;
  ccStep3d(out: number, grad: number, factors: number, ns: number, nr: number, nc: number, radius: number,
    iy: number, ix: number, ia: number, ib: number, withEnergy: number, e0: number, s0: number, s1: number): number;
  ccEnergy3d(factors: number, firstSlice: number, ns: number, nr: number, nc: number, radius: number, ia: number, ib: number,
    s0: number, s1: number, e: number): number;
  gaussianPanel(dst: number, src: number, outer: number, n: number, inner: number, w: number, r: number,
    lo: number, hi: number, buf: number): void;
  gaussianLast(dst: number, src: number, outer: number, n: number, ncomp: number, w: number, r: number,
    lo: number, hi: number, buf: number): void;
  numpyGradient2d(out: number, image: number, nr: number, nc: number, r0: number, r1: number): void;
  numpyGradient3d(out: number, image: number, ns: number, nr: number, nc: number, k0: number, k1: number): void;
  numpyGradientAdd2d(out: number, image: number, nr: number, nc: number, r0: number, r1: number): void;
  numpyGradientAdd3d(out: number, image: number, ns: number, nr: number, nc: number, k0: number, k1: number): void;
  physicalGradient2d(out: number, image: number, nr: number, nc: number, s0: number, s1: number, D: number,
    r0: number, r1: number): void;
  physicalGradient3d(out: number, image: number, ns: number, nr: number, nc: number, s0: number, s1: number, s2: number,
    D: number, k0: number, k1: number): void;
  jacobianDeterminant2d(out: number, field: number, nr: number, nc: number, W: number, lo: number, hi: number): void;
  jacobianDeterminant3d(out: number, field: number, ns: number, nr: number, nc: number, W: number, lo: number, hi: number): void;
  stepMaxNorm2d(step: number, nr: number, nc: number, s0: number, s1: number, rowMax: number, lo: number, hi: number): void;
  stepMaxNorm3d(step: number, ns: number, nr: number, nc: number, s0: number, s1: number, s2: number, sliceMax: number,
    lo: number, hi: number): void;
  stepDivide(step: number, f: number, lo: number, hi: number): void;
  resampleField2d(out: number, nr: number, nc: number, field: number, fr: number, fc: number, f0: number, f1: number,
    r0: number, r1: number): void;
  resampleField3d(out: number, ns: number, nr: number, nc: number, field: number, fs: number, fr: number, fc: number,
    f0: number, f1: number, f2: number, k0: number, k1: number): void;
  downsample2d(out: number, input: number, nr: number, nc: number, ncomp: number): void;
  downsample3d(out: number, input: number, ns: number, nr: number, nc: number, ncomp: number, K0: number, K1: number): void;
  ssdDemonsStep2d(out: number, delta: number, gradient: number, sigmaSqX: number, e0: number, lo: number, hi: number): number;
  ssdDemonsStep3d(out: number, delta: number, gradient: number, sigmaSqX: number, e0: number, lo: number, hi: number): number;
  sumSquares(delta: number, lo: number, hi: number, e: number): number;
  gaussSeidelSweep2d(u: number, delta: number, sigmaSq: number, gradient: number, target: number,
    lambda: number, nr: number, nc: number): void;
  gaussSeidelSweep3d(u: number, delta: number, sigmaSq: number, gradient: number, target: number,
    lambda: number, ns: number, nr: number, nc: number): void;
  residual2d(out: number, delta: number, sigmaSq: number, gradient: number, target: number,
    lambda: number, u: number, nr: number, nc: number, r0: number, r1: number): void;
  residual3d(out: number, delta: number, sigmaSq: number, gradient: number, target: number,
    lambda: number, u: number, ns: number, nr: number, nc: number, s0: number, s1: number): void;
}

/** Where the compiled kernels come from. */
export interface WasmSource {
  /** Location of the `.wasm` file (default: {@link defaultWasmUrl}). */
  wasmUrl?: URL | string;
  /** The module bytes themselves (takes precedence over `wasmUrl`). */
  wasmBytes?: Uint8Array;
  /** The default location when neither is given. */
  defaultUrl?: () => URL;
}

/** The default location of the compiled kernels (ordinary memory). */
export function defaultWasmUrl(): URL {
  return new URL('../dist/kernels.wasm', import.meta.url);
}

/** The default location of the shared-memory build of the kernels (for threads). */
export function defaultThreadsWasmUrl(): URL {
  return new URL('../dist/kernels-threads.wasm', import.meta.url);
}

const moduleCache = new Map<string, Promise<WebAssembly.Module>>();

async function compileFromUrl(url: URL): Promise<WebAssembly.Module> {
  if (url.protocol === 'file:') {
    let bytes: Uint8Array;
    try {
      bytes = await readFileUrl(url);
    } catch (e) {
      throw new Error(`@diffeo/wasm-kernels: cannot read ${url.href} (${(e as Error).message}). `
        + 'Build it with `pnpm --filter @diffeo/wasm-kernels build`, or pass { wasmUrl } or { wasmBytes } to wasmBackend().');
    }
    return WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>);
  }
  const response = await fetch(url);
  if (!response.ok) {
    throw new Error(`@diffeo/wasm-kernels: fetching ${url.href} failed (${response.status} ${response.statusText}); pass { wasmUrl } or { wasmBytes } to wasmBackend().`);
  }
  const type = response.headers.get('content-type') ?? '';
  if (typeof WebAssembly.compileStreaming === 'function' && type.startsWith('application/wasm')) {
    return WebAssembly.compileStreaming(response);
  }
  return WebAssembly.compile(await response.arrayBuffer());
}

/** Compiles the kernels module from the given source (URL compilations are cached per URL). */
export function compileKernels(source: WasmSource = {}): Promise<WebAssembly.Module> {
  if (source.wasmBytes) return WebAssembly.compile(source.wasmBytes as Uint8Array<ArrayBuffer>);
  const url = source.wasmUrl === undefined ? (source.defaultUrl ?? defaultWasmUrl)() : new URL(source.wasmUrl, import.meta.url);
  const key = url.href;
  let p = moduleCache.get(key);
  if (!p) {
    p = compileFromUrl(url);
    moduleCache.set(key, p);
    p.catch(() => moduleCache.delete(key));
  }
  return p;
}

/** Pages (64 KiB) of the largest shared memory tried first (4 GiB, the wasm32 limit). */
const SHARED_MAX_PAGES = [65536, 32768, 16384];

/**
 * Creates a memory of `initialPages` pages: an ordinary one, or a shared one (whose
 * maximum must be declared: the largest of 4, 2, 1 GiB this runtime accepts).
 */
export function createMemory(initialPages: number, shared: boolean): WebAssembly.Memory {
  if (!shared) return new WebAssembly.Memory({ initial: initialPages });
  let last: unknown;
  for (const maximum of SHARED_MAX_PAGES) {
    try {
      return new WebAssembly.Memory({ initial: initialPages, maximum, shared: true });
    } catch (e) {
      last = e;
    }
  }
  throw new Error(`@diffeo/wasm-kernels: cannot create a shared WebAssembly memory (${(last as Error)?.message ?? last}).`);
}

/** Instantiates the module on `memory`. */
export async function instantiateKernels(module: WebAssembly.Module, memory: WebAssembly.Memory): Promise<WasmExports> {
  const instance = await WebAssembly.instantiate(module, { env: { memory } });
  return instance.exports as unknown as WasmExports;
}
