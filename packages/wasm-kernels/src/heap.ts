/**
 * The linear memory of one WebAssembly backend and its bump allocator.
 *
 * Layout (bytes): `[0, heapBase)` belongs to the module (static data);
 * `[params, params + PARAMS_BYTES)` is a small fixed block for affines, spacings
 * and results; from `arenaStart` on, every kernel call lays out its buffers one
 * after the other (64-byte aligned, with a 64-byte tail so SIMD loads may read a
 * little past the end of an array). The arena is reset at the start of every
 * call, so the memory only ever holds the buffers of the largest call so far: it
 * grows (and never shrinks) when a call needs more, and is otherwise reused as
 * persistent scratch space. Kernels are synchronous and single-threaded, so one
 * arena per backend is enough.
 *
 * `memory.grow` detaches the previous `ArrayBuffer`; the typed views are
 * re-created after every growth, so callers must read `heap.f32` / `heap.f64`
 * again after allocating.
 */

const PAGE = 65536;
const ALIGN = 64;
/** Size of the fixed parameter block (affines, spacings, results). */
const PARAMS_BYTES = 4096;

/** Byte offsets of the slots of the parameter block. */
export const Slot = {
  A: 0,
  B: 128,
  C: 256,
  RESULT: 384,
  VEC: 512,
} as const;
/** A slot of the parameter block. */
export type Slot = (typeof Slot)[keyof typeof Slot];

/** Rounds `n` up to a multiple of the allocation alignment. */
function alignUp(n: number): number {
  return Math.ceil(n / ALIGN) * ALIGN;
}

/** Linear memory plus its views and arena (see the module documentation). */
export class WasmHeap {
  readonly memory: WebAssembly.Memory;
  /** Address of the parameter block. */
  readonly params: number;
  /** First address of the per-call arena. */
  readonly arenaStart: number;
  f32!: Float32Array;
  f64!: Float64Array;
  i32!: Int32Array;
  private top: number;

  constructor(memory: WebAssembly.Memory, heapBase: number) {
    this.memory = memory;
    this.params = alignUp(Math.max(heapBase, 1024));
    this.arenaStart = alignUp(this.params + PARAMS_BYTES);
    this.top = this.arenaStart;
    this.ensure(this.arenaStart);
    this.refresh();
  }

  /** Starts a new kernel call: every arena buffer of the previous call is released. */
  reset(): void {
    this.top = this.arenaStart;
  }

  /** Reserves `bytes` bytes in the arena (growing the memory if needed) and returns the address. */
  alloc(bytes: number): number {
    const p = this.top;
    this.top = alignUp(p + bytes + ALIGN);
    this.ensure(this.top);
    return p;
  }

  /** Allocates room for a float32 array of `n` elements and copies `src` into it (when given). */
  allocF32(n: number, src?: ArrayLike<number> | null): number {
    const p = this.alloc(n * 4);
    if (src) this.f32.set(src as ArrayLike<number>, p >>> 2);
    return p;
  }

  /** Copies `n = dst.length` float32 values from address `p` into `dst`. */
  readF32(p: number, dst: Float32Array): void {
    const o = p >>> 2;
    dst.set(this.f32.subarray(o, o + dst.length));
  }

  /**
   * Writes a row-major `n×n` affine into slot `slot` (entries past the array's
   * length are zero, like the TypeScript kernels' reading of a `d×(d+1)` matrix)
   * and returns its address, or 0 for `null` (the identity).
   */
  affine(slot: Slot, m: Float64Array | null, n: number): number {
    if (m === null) return 0;
    const p = this.params + slot;
    const o = p >>> 3;
    const len = Math.min(m.length, n * n);
    const f = this.f64;
    for (let q = 0; q < n * n; q++) f[o + q] = q < len ? m[q] : 0;
    return p;
  }

  /** Address of a parameter slot. */
  slot(slot: Slot): number {
    return this.params + slot;
  }

  /** Current memory size in bytes. */
  get byteLength(): number {
    return this.memory.buffer.byteLength;
  }

  private ensure(bytes: number): void {
    const have = this.memory.buffer.byteLength;
    if (bytes <= have) return;
    // Grow geometrically (at least 1/8 more) so a sequence of slightly larger calls does not grow every time.
    const want = Math.max(bytes, have + (have >>> 3));
    this.memory.grow(Math.ceil((want - have) / PAGE));
    this.refresh();
  }

  private refresh(): void {
    const b = this.memory.buffer;
    this.f32 = new Float32Array(b);
    this.f64 = new Float64Array(b);
    this.i32 = new Int32Array(b);
  }
}
