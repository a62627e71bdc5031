/**
 * The `wasmBackend()` factory itself: nothing registered on import, loading from
 * explicit bytes or URLs, a helpful error for a missing .wasm file. The kernels'
 * bit-exactness (basic and stress tiers, every thread and memory configuration)
 * is checked by the conformance kit in wasm.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { defaultContext, tsKernels, type Kernels } from '@diffeo/core';
import { compareValues, mulberry32, smoothField } from '@diffeo/conformance';
import { wasmBackend } from '@diffeo/wasm-kernels';

describe('wasmBackend()', () => {
  it('registers nothing on import and serves its kernels through a context', async () => {
    expect(defaultContext.backendNames).not.toContain('wasm');
    const b = await wasmBackend({ priority: 3 });
    expect(b.name).toBe('wasm');
    expect(b.priority).toBe(3);
    const d = await wasmBackend();
    expect(d.priority).toBe(10);
    await Promise.all([b.dispose(), d.dispose()]);
  });

  it('loads from explicit bytes and from an explicit URL (string or URL)', async () => {
    const { readFile } = await import('node:fs/promises');
    const url = new URL('../dist/kernels.wasm', import.meta.url);
    const fromBytes = await wasmBackend({ wasmBytes: await readFile(url) });
    const fromUrl = await wasmBackend({ wasmUrl: url });
    const fromString = await wasmBackend({ wasmUrl: url.href });
    for (const b of [fromBytes, fromUrl, fromString]) {
      const out = new Float32Array(3 * 4 * 5 * 3);
      const d = smoothField(mulberry32(9), [3, 4, 5], 1);
      const ref = new Float32Array(out.length);
      const got = (b.kernels as Kernels).compose3d(out, d, [3, 4, 5], d, [3, 4, 5], null, null, 1);
      const expected = tsKernels.compose3d(ref, d, [3, 4, 5], d, [3, 4, 5], null, null, 1);
      expect(compareValues([out, got], [ref, expected], 0)).toBeNull();
      await b.dispose();
    }
  });

  it('explains how to fix a missing .wasm file', async () => {
    await expect(wasmBackend({ wasmUrl: new URL('./no-such-file.wasm', import.meta.url) })).rejects.toThrow(/cannot read .*no-such-file\.wasm/);
  });
});
