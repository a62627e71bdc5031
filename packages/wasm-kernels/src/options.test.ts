/**
 * `wasmBackend`'s options are checked before anything is compiled: unknown keys, and
 * numbers out of range (NaN, negative, fractional where a count is meant), are refused
 * with `InvalidArgumentError` naming the option and what it accepts.
 */
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '@diffeo/core';
import { wasmBackend, type WasmBackendOptions } from '@diffeo/wasm-kernels';

async function refusal(options: unknown): Promise<InvalidArgumentError> {
  try {
    await wasmBackend(options as WasmBackendOptions);
  } catch (e) {
    expect(e).toBeInstanceOf(InvalidArgumentError);
    return e as InvalidArgumentError;
  }
  return expect.fail(`wasmBackend(${JSON.stringify(options)}) did not throw`);
}

describe('wasmBackend options', () => {
  it('refuses an unknown key, suggesting the nearest known one', async () => {
    const e = await refusal({ thread: 2 });
    expect(e.message).toMatch(/unknown option "thread"; did you mean "threads"\?/);
  });

  it.each([0, -1, 1.5, NaN, Infinity, 65, '2'])('refuses threads: %s', async (threads) => {
    const e = await refusal({ threads });
    expect(e.message).toMatch(/option threads must be a whole number from 1 to 64/);
    expect(e.message).toContain(typeof threads === 'string' ? '"2"' : String(threads));
  });

  it.each(['minParallelWork', 'startParallelWork'])('refuses a negative, NaN or non-numeric %s', async (name) => {
    for (const v of [-1, NaN, '100', null]) {
      const e = await refusal({ [name]: v });
      expect(e.message).toMatch(new RegExp(`option ${name} must be a number of work units ≥ 0 \\(0: as early as possible, Infinity: never\\)`));
    }
  });

  it('refuses a callerChunks below 1 or fractional, and a NaN priority', async () => {
    for (const v of [0, 2.5, NaN]) expect((await refusal({ callerChunks: v })).message).toMatch(/option callerChunks must be a whole number ≥ 1 or Infinity/);
    expect((await refusal({ priority: NaN })).message).toMatch(/option priority must be a number/);
  });

  it('accepts the documented values (threads 1, work 0 and Infinity, fractional work)', async () => {
    const a = await wasmBackend({ threads: 1, minParallelWork: 0, startParallelWork: Infinity, callerChunks: Infinity });
    expect(a.threads).toBe(1);
    const b = await wasmBackend({ minParallelWork: 2500.5, startParallelWork: 0, callerChunks: 3, priority: -1 });
    expect(b.priority).toBe(-1);
    await Promise.all([a.dispose(), b.dispose()]);
  });
});
