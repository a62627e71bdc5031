/**
 * The linear memory of one WebAssembly backend and its two allocators.
 *
 * Layout (bytes): `[0, heapBase)` belongs to the module (it has no data
 * segments, so this is tiny); `[params, params + PARAMS_BYTES)` is a fixed block
 * for affines, spacings and results; `[ctl, ctl + CTL_BYTES)` is the control block
 * of the worker threads (see `protocol.ts`); everything above is managed here:
 *
 * - **blocks**: a first-fit free list with coalescing over `[start, memory end)`.
 *   Long-lived buffers (`allocFloat32`) are blocks; so are the arena's chunks.
 *   When no free block fits, the memory grows (geometrically, by at least 1/8).
 * - **arena**: per-call scratch. A kernel call starts with {@link WasmHeap.reset}
 *   and takes its buffers one after the other with {@link WasmHeap.alloc}; when the
 *   current chunk is full a new chunk is taken, and at the next reset the chunks are
 *   merged into one chunk large enough for the largest call so far. So the arena
 *   only grows to the size of the largest call and is otherwise reused.
 *
 * Every buffer is 64-byte aligned and followed by a 64-byte tail, so SIMD loads may
 * read a little past the end of an array.
 *
 * Counters ({@link WasmHeap.stats}): long-lived arrays allocated and freed, blocks
 * taken and released for the arena (scratch), memory growths, and copies between
 * this memory and ordinary JavaScript arrays (in: into the memory, out: from it),
 * with their byte counts. Every adapter copies through {@link WasmHeap.allocF32} /
 * {@link WasmHeap.readF32} or reports its own copies with {@link WasmHeap.countIn} /
 * {@link WasmHeap.countOut}; moves inside the memory and the small writes of the
 * parameter block (affines, spacings: at most 128 bytes) are not copies in this sense.
 *
 * `memory.grow` replaces `memory.buffer`: for an ordinary memory the previous
 * `ArrayBuffer` is detached, for a shared memory the previous `SharedArrayBuffer`
 * stays valid with its old length. The typed views of this class are re-created
 * after every growth, so callers must read `heap.f32` / `heap.f64` again after
 * allocating.
 */

const PAGE = 65536;
const ALIGN = 64;
/** Size of the fixed parameter block (affines, spacings, results). */
const PARAMS_BYTES = 4096;
/** Size of the control block of the worker threads. */
export const CTL_BYTES = 4096;

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

/**
 * The counters of one backend's memory since it was created (see {@link WasmHeap.stats}).
 * Counts are totals; take two snapshots and subtract to count what happened in between.
 */
export interface WasmMemoryStats {
  /** Long-lived arrays allocated (`allocFloat32`). */
  readonly arrayAllocations: number;
  /** Long-lived arrays released (`freeFloat32` returning true). */
  readonly arrayFrees: number;
  /** Blocks taken for the kernels' per-call scratch (the arena grows: a new chunk, or the merged chunk replacing several). */
  readonly scratchAllocations: number;
  /** Scratch blocks released (when several chunks are merged into one). */
  readonly scratchFrees: number;
  /** Bytes the scratch arena holds now. */
  readonly scratchBytes: number;
  /** Times the memory grew (`memory.grow`). */
  readonly memoryGrowths: number;
  /** Copies of an ordinary array (one not living in this memory) into the memory. */
  readonly copiesIn: number;
  /** Bytes of those copies. */
  readonly bytesIn: number;
  /** Copies of results out of the memory into an ordinary array. */
  readonly copiesOut: number;
  /** Bytes of those copies. */
  readonly bytesOut: number;
}

type MutableStats = { -readonly [K in keyof WasmMemoryStats]: WasmMemoryStats[K] };

/** A free or used range of the managed memory (bytes). */
interface Range {
  addr: number;
  size: number;
}

/** Linear memory plus its views and allocators (see the module documentation). */
export class WasmHeap {
  readonly memory: WebAssembly.Memory;
  /** Whether the memory is a shared one (views stay valid when it grows). */
  readonly shared: boolean;
  /** Address of the parameter block. */
  readonly params: number;
  /** Address of the control block of the worker threads. */
  readonly ctl: number;
  f32!: Float32Array;
  f64!: Float64Array;
  i32!: Int32Array;
  /** Free ranges, sorted by address, never adjacent (coalesced). */
  private readonly free: Range[] = [];
  /** Live blocks by address → size (bytes, including alignment and tail). */
  private readonly used = new Map<number, number>();
  /**
   * The live blocks that are not arena chunks (what {@link owns} accepts), sorted by
   * address: their start and end addresses, searched without allocating (owns runs a few
   * times per kernel call, so iterating `used` there made garbage on every call).
   */
  private ownedStart: number[] = [];
  private ownedEnd: number[] = [];
  /** Every `ArrayBuffer`/`SharedArrayBuffer` the memory has had (for {@link owns}). */
  private readonly buffers = new Set<ArrayBufferLike>();
  private chunks: Range[] = [];
  private chunk = 0;
  private top = 0;
  private callBytes = 0;
  private peakBytes = 0;
  private readonly counts: MutableStats = {
    arrayAllocations: 0, arrayFrees: 0, scratchAllocations: 0, scratchFrees: 0, scratchBytes: 0,
    memoryGrowths: 0, copiesIn: 0, bytesIn: 0, copiesOut: 0, bytesOut: 0,
  };

  constructor(memory: WebAssembly.Memory, heapBase: number, shared: boolean) {
    this.memory = memory;
    this.shared = shared;
    this.params = alignUp(Math.max(heapBase, 1024));
    this.ctl = alignUp(this.params + PARAMS_BYTES);
    const start = alignUp(this.ctl + CTL_BYTES);
    const have = memory.buffer.byteLength;
    if (start > have) memory.grow(Math.ceil((start - have) / PAGE));
    const end = memory.buffer.byteLength;
    if (end > start) this.free.push({ addr: start, size: end - start });
    this.refresh();
  }

  /** Starts a new kernel call: every arena buffer of the previous call is released. */
  reset(): void {
    if (this.chunks.length > 1) {
      // Merge: one chunk for the largest call so far.
      for (const c of this.chunks) this.freeBlock(c.addr);
      this.counts.scratchFrees += this.chunks.length;
      const size = alignUp(this.peakBytes + (this.peakBytes >>> 3));
      this.chunks = [{ addr: this.allocBlock(size), size }];
      this.counts.scratchAllocations++;
      this.counts.scratchBytes = size;
    }
    this.chunk = 0;
    this.top = this.chunks.length ? this.chunks[0].addr : 0;
    this.callBytes = 0;
  }

  /** Reserves `bytes` bytes of arena (growing the memory if needed) and returns the address. */
  alloc(bytes: number): number {
    const need = alignUp(bytes + ALIGN);
    this.callBytes += need;
    if (this.callBytes > this.peakBytes) this.peakBytes = this.callBytes;
    for (;;) {
      const c = this.chunks[this.chunk];
      if (c && this.top + need <= c.addr + c.size) {
        const p = this.top;
        this.top += need;
        return p;
      }
      if (c && this.chunk + 1 < this.chunks.length) {
        this.chunk++;
        this.top = this.chunks[this.chunk].addr;
        continue;
      }
      const size = Math.max(need, c ? c.size : 0, 1 << 20);
      this.chunks.push({ addr: this.allocBlock(size), size });
      this.counts.scratchAllocations++;
      this.counts.scratchBytes += size;
      this.chunk = this.chunks.length - 1;
      this.top = this.chunks[this.chunk].addr;
    }
  }

  /** Allocates arena room for a float32 array of `n` elements and copies `src` into it (when given). */
  allocF32(n: number, src?: ArrayLike<number> | null): number {
    const p = this.alloc(n * 4);
    if (src) {
      this.f32.set(src as ArrayLike<number>, p >>> 2);
      this.countIn(src.length * 4);
    }
    return p;
  }

  /** Copies `n = dst.length` float32 values from address `p` into `dst`. */
  readF32(p: number, dst: Float32Array): void {
    const o = p >>> 2;
    dst.set(this.f32.subarray(o, o + dst.length));
    this.countOut(dst.length * 4);
  }

  /** Records a copy of `bytes` bytes from an ordinary array into the memory (made by an adapter itself). */
  countIn(bytes: number): void {
    this.counts.copiesIn++;
    this.counts.bytesIn += bytes;
  }

  /** Records a copy of `bytes` bytes from the memory into an ordinary array (made by an adapter itself). */
  countOut(bytes: number): void {
    this.counts.copiesOut++;
    this.counts.bytesOut += bytes;
  }

  /** Allocates a long-lived array block of `bytes` bytes (see {@link allocBlock}), counted in {@link stats}. */
  allocArray(bytes: number): number {
    const addr = this.allocBlock(bytes);
    this.addOwned(addr, this.used.get(addr)!);
    this.counts.arrayAllocations++;
    return addr;
  }

  /** Releases a block from {@link allocArray}; returns false when `addr` is not a live block. */
  freeArray(addr: number): boolean {
    if (this.isArenaChunk(addr)) return false;
    const ok = this.freeBlock(addr);
    if (ok) {
      this.removeOwned(addr);
      this.counts.arrayFrees++;
    }
    return ok;
  }

  /** A snapshot of the counters (see {@link WasmMemoryStats}). */
  stats(): WasmMemoryStats {
    return { ...this.counts };
  }

  /**
   * Allocates a long-lived block of at least `bytes` bytes (64-byte aligned, with a
   * 64-byte tail) and returns its address; it stays reserved until {@link freeBlock}.
   */
  allocBlock(bytes: number): number {
    const size = alignUp(bytes + ALIGN);
    for (;;) {
      for (let i = 0; i < this.free.length; i++) {
        const f = this.free[i];
        if (f.size < size) continue;
        const addr = f.addr;
        if (f.size === size) this.free.splice(i, 1);
        else { f.addr += size; f.size -= size; }
        this.used.set(addr, size);
        return addr;
      }
      this.grow(size);
    }
  }

  /** Releases a block from {@link allocBlock}; returns false when `addr` is not a live block. */
  freeBlock(addr: number): boolean {
    const size = this.used.get(addr);
    if (size === undefined) return false;
    this.used.delete(addr);
    this.insertFree(addr, size);
    return true;
  }

  /**
   * Whether `a` lies entirely inside a live block of this memory (so a kernel may use
   * it in place instead of copying it in and out). Any typed array: a `Float64Array`
   * view of an `allocFloat32` block counts too.
   */
  owns(a: ArrayBufferView): boolean {
    if (!this.buffers.has(a.buffer)) return false;
    const lo = a.byteOffset, hi = lo + a.byteLength;
    // the last block starting at or before lo (blocks never overlap)
    const starts = this.ownedStart;
    let l = 0, h = starts.length;
    while (l < h) {
      const m = (l + h) >>> 1;
      if (starts[m] <= lo) l = m + 1;
      else h = m;
    }
    return l > 0 && hi <= this.ownedEnd[l - 1];
  }

  /** Records a live array block in the sorted lists of {@link owns}. */
  private addOwned(addr: number, size: number): void {
    const starts = this.ownedStart;
    let i = starts.length;
    while (i > 0 && starts[i - 1] > addr) i--;
    starts.splice(i, 0, addr);
    this.ownedEnd.splice(i, 0, addr + size);
  }

  /** Removes a released array block from the sorted lists of {@link owns}. */
  private removeOwned(addr: number): void {
    const i = this.ownedStart.indexOf(addr);
    if (i >= 0) {
      this.ownedStart.splice(i, 1);
      this.ownedEnd.splice(i, 1);
    }
  }

  /** A float32 view of `n` values at address `p` on the current buffer. */
  view(p: number, n: number): Float32Array {
    return new Float32Array(this.memory.buffer, p, n);
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

  private isArenaChunk(addr: number): boolean {
    for (const c of this.chunks) if (c.addr === addr) return true;
    return false;
  }

  private insertFree(addr: number, size: number): void {
    const free = this.free;
    let i = 0;
    while (i < free.length && free[i].addr < addr) i++;
    free.splice(i, 0, { addr, size });
    // Coalesce with the next, then with the previous range.
    if (i + 1 < free.length && free[i].addr + free[i].size === free[i + 1].addr) {
      free[i].size += free[i + 1].size;
      free.splice(i + 1, 1);
    }
    if (i > 0 && free[i - 1].addr + free[i - 1].size === free[i].addr) {
      free[i - 1].size += free[i].size;
      free.splice(i, 1);
    }
  }

  /** Grows the memory so that a free range of at least `size` bytes exists at its end. */
  private grow(size: number): void {
    const have = this.memory.buffer.byteLength;
    const last = this.free[this.free.length - 1];
    const tailFree = last && last.addr + last.size === have ? last.size : 0;
    const needBytes = size - tailFree;
    // Grow geometrically (at least 1/8 more) so a sequence of slightly larger requests does not grow every time.
    const want = Math.max(needBytes, have >>> 3);
    const pages = Math.ceil(want / PAGE);
    try {
      this.memory.grow(pages);
      this.counts.memoryGrowths++;
    } catch (e) {
      throw new RangeError(`@diffeo/wasm-kernels: cannot grow the WebAssembly memory from ${have} by ${pages * PAGE} bytes `
        + `(${(e as Error).message}); the data do not fit in this backend's memory (free long-lived buffers with freeFloat32, or use smaller images).`);
    }
    this.insertFree(have, pages * PAGE);
    this.refresh();
  }

  private refresh(): void {
    const b = this.memory.buffer;
    this.buffers.add(b);
    this.f32 = new Float32Array(b);
    this.f64 = new Float64Array(b);
    this.i32 = new Int32Array(b);
  }
}
