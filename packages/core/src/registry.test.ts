import { describe, expect, it } from 'vitest';
import { ContextFrozenError, DiffeomorphicMap, InvalidArgumentError, createContext, defaultContext, tsKernels, type Backend } from '@diffeo/core';

/** A fake backend whose "memory" is one ArrayBuffer, handing out consecutive float32 ranges. */
function arenaBackend(name: string, priority: number): Backend & { live: Set<Float32Array> } {
  const memory = new ArrayBuffer(1 << 12);
  let top = 0;
  const live = new Set<Float32Array>();
  return {
    name,
    priority,
    kernels: {},
    live,
    allocFloat32(n: number): Float32Array {
      const a = new Float32Array(memory, top, n);
      top += n * 4;
      live.add(a);
      return a;
    },
    freeFloat32(a: Float32Array): boolean {
      return live.delete(a);
    },
  };
}

describe('KernelContext.allocFloat32 / freeFloat32', () => {
  it('falls back to a plain zero-filled Float32Array without a backend that allocates', () => {
    const ctx = createContext({ name: 'plain', priority: 5, kernels: {} });
    const a = ctx.allocFloat32(7);
    expect(a).toBeInstanceOf(Float32Array);
    expect(a.length).toBe(7);
    expect([...a]).toEqual(new Array(7).fill(0));
    expect(ctx.freeFloat32(a)).toBe(false);
  });

  it('uses the highest-priority backend that has allocFloat32 and frees through the owner', () => {
    const low = arenaBackend('low', 1), high = arenaBackend('high', 9);
    const ctx = createContext(low, high, { name: 'none', priority: 20, kernels: {} });
    const a = ctx.allocFloat32(3);
    expect(high.live.has(a)).toBe(true);
    expect(low.live.size).toBe(0);
    expect(ctx.freeFloat32(a)).toBe(true);
    expect(high.live.size).toBe(0);
    expect(ctx.freeFloat32(a)).toBe(false);
    ctx.remove('high');
    const b = ctx.allocFloat32(2);
    expect(low.live.has(b)).toBe(true);
  });
});

describe('KernelContext.kernelsFor', () => {
  it('names every …2d/…3d pair of the table by its stem, for both dimensions', () => {
    const ctx = createContext();
    const table = ctx.kernels as unknown as Record<string, unknown>;
    const stems = Object.keys(table).filter((k) => k.endsWith('2d') && `${k.slice(0, -2)}3d` in table).map((k) => k.slice(0, -2));
    expect(stems.length).toBeGreaterThan(10);
    for (const dim of [2, 3] as const) {
      const view = ctx.kernelsFor(dim) as unknown as Record<string, unknown>;
      for (const stem of stems) expect(view[stem], `${stem} (${dim}D)`).toBe(table[`${stem}${dim}d`]);
      for (const k of ['gaussianFilter', 'numpyGradient', 'numpyGradientAdd', 'physicalGradient', 'conditionStep']) expect(view[k]).toBe(table[k]);
    }
  });

  it('follows the backends registered after a first view, and rejects other dimensions', () => {
    const ctx = createContext();
    const before = ctx.kernelsFor(3).warp;
    const warp3d = (): void => {};
    ctx.use({ name: 'fake', priority: 1, kernels: { warp3d } });
    expect(ctx.kernelsFor(3).warp).toBe(warp3d);
    expect(ctx.kernelsFor(3).warp).not.toBe(before);
    expect(ctx.kernelsFor(2).warp).toBe(ctx.kernel('warp2d'));
    expect(() => ctx.kernelsFor(4 as 3)).toThrow(/dimension 2 or 3/);
  });
});

describe('KernelContext.hold (frozen during a run) and the fixed defaultContext', () => {
  const backend = (name: string): Backend => ({ name, priority: 1, kernels: { warp2d: tsKernels.warp2d } });
  it('refuses use/remove with ContextFrozenError while held, and accepts them once every hold is released', () => {
    const ctx = createContext(backend('a'));
    expect(ctx.frozen).toBe(false);
    const r1 = ctx.hold('run one');
    const r2 = ctx.hold('run two');
    expect(ctx.frozen).toBe(true);
    expect(() => ctx.use(backend('b'))).toThrow(ContextFrozenError);
    expect(() => ctx.use(backend('b'))).toThrow(/run one, run two/);
    expect(() => ctx.remove('a')).toThrow(ContextFrozenError);
    expect(ctx.backendNames).toEqual(['a']);
    r1();
    r1(); // releasing twice does not release the other hold
    expect(() => ctx.use(backend('b'))).toThrow(ContextFrozenError);
    r2();
    expect(ctx.frozen).toBe(false);
    ctx.use(backend('b'));
    expect(ctx.remove('a')).toBe(true);
    expect(ctx.backendNames).toEqual(['b']);
  });
  it('defaultContext cannot be changed: no mutable global', () => {
    expect(defaultContext.frozen).toBe(true);
    expect(() => defaultContext.use(backend('x'))).toThrow(ContextFrozenError);
    expect(() => defaultContext.remove('ts')).toThrow(ContextFrozenError);
    expect(defaultContext.backendNames).toEqual([]);
  });
  it('a DiffeomorphicMap takes its context at construction; withContext replaces assignment', () => {
    const ctx = createContext(backend('a'));
    const map = new DiffeomorphicMap({ dim: 2, dispShape: [4, 4], context: ctx });
    expect(map.context).toBe(ctx);
    expect(new DiffeomorphicMap({ dim: 2, dispShape: [4, 4] }).context).toBe(defaultContext);
    expect(() => { (map as unknown as { context: unknown }).context = defaultContext; }).toThrow(TypeError);
    map.allocate();
    const other = map.withContext(defaultContext);
    expect(other.context).toBe(defaultContext);
    expect(map.context).toBe(ctx);
    expect(other.forward).toBe(map.forward);
    expect(map.inverse().context).toBe(ctx);
    expect(() => new DiffeomorphicMap({ dim: 2, dispShape: [4, 4], context: {} as never })).toThrow(InvalidArgumentError);
  });
});
