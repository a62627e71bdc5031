/**
 * Loading and instantiating `kernels.wasm` in Node and in browsers.
 *
 * The default location is `new URL('../dist/kernels.wasm', import.meta.url)`,
 * which is the same file whether this module runs from `src/` (tests, through
 * the `@diffeo/source` condition) or from the built `dist/`. A `file:` URL is read
 * with `node:fs` (imported dynamically, so browser bundles never see it); any
 * other URL is fetched and compiled with `WebAssembly.compileStreaming` when the
 * server sends `application/wasm`.
 */

/** The functions `kernels.wasm` exports (addresses are byte offsets into the imported memory). */
export interface WasmExports {
  heapBase(): number;
  compose2d(out: number, d1: number, nr1: number, nc1: number, d2: number, nr2: number, nc2: number,
    A: number, B: number, t: number, stats: number, qrow: number): void;
  compose3d(out: number, d1: number, ns1: number, nr1: number, nc1: number, d2: number, ns2: number, nr2: number, nc2: number,
    A: number, B: number, t: number, stats: number, qrow: number): void;
  invert2d(p: number, d: number, q: number, nr: number, nc: number, W: number, sr: number, sc: number,
    maxIter: number, tol: number, res: number, mbuf: number): void;
  invert3d(p: number, d: number, q: number, ns: number, nr: number, nc: number, W: number, ss: number, sr: number, sc: number,
    maxIter: number, tol: number, res: number, mbuf: number): void;
  warp2d(out: number, nr: number, nc: number, image: number, ir: number, ic: number,
    field: number, fr: number, fc: number, A: number, B: number, C: number): void;
  warp3d(out: number, ns: number, nr: number, nc: number, image: number, is: number, ir: number, ic: number,
    field: number, fs: number, fr: number, fc: number, A: number, B: number, C: number): void;
  ccFactors2d(out: number, st: number, mv: number, nr: number, nc: number, radius: number,
    slots: number, tails: number, rv: number): void;
  ccFactors3d(out: number, st: number, mv: number, ns: number, nr: number, nc: number, radius: number, temp: number): void;
  ccStep2d(out: number, grad: number, factors: number, nr: number, nc: number, radius: number,
    iy: number, ix: number, ia: number, ib: number): number;
  ccStep3d(out: number, grad: number, factors: number, ns: number, nr: number, nc: number, radius: number,
    iy: number, ix: number, ia: number, ib: number): number;
  gaussianSlab(dst: number, src: number, outer: number, n: number, inner: number, w: number, r: number, offs: number): void;
  gaussianLast(dst: number, src: number, outer: number, n: number, ncomp: number, w: number, r: number, buf: number): void;
  numpyGradient2d(out: number, image: number, nr: number, nc: number): void;
  numpyGradient3d(out: number, image: number, ns: number, nr: number, nc: number): void;
  resampleField2d(out: number, nr: number, nc: number, field: number, fr: number, fc: number, f0: number, f1: number): void;
  resampleField3d(out: number, ns: number, nr: number, nc: number, field: number, fs: number, fr: number, fc: number,
    f0: number, f1: number, f2: number): void;
  downsample2d(out: number, input: number, nr: number, nc: number, ncomp: number): void;
  downsample3d(out: number, input: number, ns: number, nr: number, nc: number, ncomp: number): void;
  ssdDemonsStep2d(out: number, delta: number, gradient: number, n: number, sigmaSqX: number): number;
  ssdDemonsStep3d(out: number, delta: number, gradient: number, n: number, sigmaSqX: number): number;
  gaussSeidelSweep2d(u: number, delta: number, sigmaSq: number, gradient: number, target: number,
    lambda: number, nr: number, nc: number): void;
  gaussSeidelSweep3d(u: number, delta: number, sigmaSq: number, gradient: number, target: number,
    lambda: number, ns: number, nr: number, nc: number): void;
  residual2d(out: number, delta: number, sigmaSq: number, gradient: number, target: number,
    lambda: number, u: number, nr: number, nc: number): void;
  residual3d(out: number, delta: number, sigmaSq: number, gradient: number, target: number,
    lambda: number, u: number, ns: number, nr: number, nc: number): void;
}

/** Where the compiled kernels come from. */
export interface WasmSource {
  /** Location of `kernels.wasm` (default: next to the package's `dist/` entry). */
  wasmUrl?: URL | string;
  /** The module bytes themselves (takes precedence over `wasmUrl`). */
  wasmBytes?: Uint8Array;
}

/** The default location of the compiled kernels. */
export function defaultWasmUrl(): URL {
  return new URL('../dist/kernels.wasm', import.meta.url);
}

const moduleCache = new Map<string, Promise<WebAssembly.Module>>();

async function compileFromUrl(url: URL): Promise<WebAssembly.Module> {
  if (url.protocol === 'file:') {
    const fs = await import('node:fs/promises');
    const { fileURLToPath } = await import('node:url');
    const path = fileURLToPath(url);
    let bytes: Uint8Array;
    try {
      bytes = await fs.readFile(path);
    } catch (e) {
      throw new Error(`@diffeo/wasm-kernels: cannot read ${path} (${(e as Error).message}). `
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
  const url = source.wasmUrl === undefined ? defaultWasmUrl() : new URL(source.wasmUrl, import.meta.url);
  const key = url.href;
  let p = moduleCache.get(key);
  if (!p) {
    p = compileFromUrl(url);
    moduleCache.set(key, p);
    p.catch(() => moduleCache.delete(key));
  }
  return p;
}

/** Instantiates the module with a fresh memory of `initialPages` pages. */
export async function instantiateKernels(module: WebAssembly.Module, initialPages: number):
  Promise<{ exports: WasmExports; memory: WebAssembly.Memory }> {
  const memory = new WebAssembly.Memory({ initial: initialPages });
  const instance = await WebAssembly.instantiate(module, { env: { memory } });
  return { exports: instance.exports as unknown as WasmExports, memory };
}
