/**
 * `WasmHeap.owns`: whether a typed array lies inside a live long-lived block (so a kernel
 * uses it in place). Checked against a naive oracle, the list of live blocks kept by the
 * test itself, over a random sequence of allocations and frees, with views inside,
 * straddling and outside the blocks, arena (scratch) views and ordinary arrays.
 */
import { describe, expect, it } from 'vitest';
import { WasmHeap } from './heap.js';

/** A small deterministic generator (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('WasmHeap.owns', () => {
  it('agrees with a scan of the live blocks over random allocations, frees and views', () => {
    const heap = new WasmHeap(new WebAssembly.Memory({ initial: 1, maximum: 512 }), 0, false);
    const rand = rng(7);
    /** The oracle: live array blocks as [address, extent]; a block's extent is its request plus a 64-byte tail, rounded up to 64 bytes. */
    const live: [number, number][] = [];
    const extent = (bytes: number) => Math.ceil((bytes + 64) / 64) * 64;
    const oracle = (lo: number, hi: number) => live.some(([a, size]) => lo >= a && hi <= a + size);
    let checked = 0, inside = 0;
    for (let step = 0; step < 400; step++) {
      if (live.length === 0 || rand() < 0.6) {
        const bytes = 4 * (1 + Math.floor(rand() * 5000));
        live.push([heap.allocArray(bytes), extent(bytes)]);
      } else {
        const [addr] = live.splice(Math.floor(rand() * live.length), 1)[0];
        expect(heap.freeArray(addr)).toBe(true);
        expect(heap.freeArray(addr)).toBe(false);
      }
      // views: inside a live block, from inside one to past its end, and anywhere
      for (let k = 0; k < 6; k++) {
        let lo: number, n: number;
        if (k < 3 && live.length > 0) {
          const [a, size] = live[Math.floor(rand() * live.length)];
          lo = a + 4 * Math.floor(rand() * (size / 4));
          const room = (a + size - lo) / 4;
          n = k === 2 ? room + 1 + Math.floor(rand() * 8) : Math.floor(rand() * (room + 1));
        } else {
          lo = 4 * Math.floor(rand() * (heap.byteLength / 4 - 64));
          n = Math.floor(rand() * 64);
        }
        if (lo + 4 * n > heap.byteLength) continue;
        const want = oracle(lo, lo + 4 * n);
        expect(heap.owns(new Float32Array(heap.memory.buffer, lo, n)), `view [${lo}, ${lo + 4 * n})`).toBe(want);
        checked++;
        if (want) inside++;
      }
    }
    expect(inside).toBeGreaterThan(500);
    expect(checked).toBeGreaterThan(1000);
    // ordinary arrays, and views of the arena (per-call scratch), are never owned
    expect(heap.owns(new Float32Array(16))).toBe(false);
    heap.reset();
    const p = heap.alloc(4096);
    expect(heap.owns(new Float32Array(heap.memory.buffer, p, 16))).toBe(false);
    // nor is the arena chunk's address a long-lived block that freeArray would release
    expect(heap.freeArray(p)).toBe(false);
    // every block freed: nothing is owned
    for (const [addr] of live.splice(0)) expect(heap.freeArray(addr)).toBe(true);
    const a = heap.allocArray(64);
    expect(heap.owns(new Float32Array(heap.memory.buffer, a, 16))).toBe(true);
    heap.freeArray(a);
    expect(heap.owns(new Float32Array(heap.memory.buffer, a, 16))).toBe(false);
  });
});
