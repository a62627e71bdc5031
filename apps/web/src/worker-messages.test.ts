/**
 * The worker's replies to messages it cannot run (issue 11): a null or non-object message,
 * one without a numeric runId, and an unknown type each get a typed `error` reply (never a
 * throw, never silence), carrying the run id when the message had one. The worker module
 * runs in Node with a stand-in for the worker global `self`.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { FromWorker } from './protocol.js';

const replies: FromWorker[] = [];
let onmessage: (e: { data: unknown }) => void;

beforeAll(async () => {
  const fake = { postMessage: (m: FromWorker) => { replies.push(m); }, onmessage: null as unknown };
  (globalThis as { self?: unknown }).self = fake;
  await import('./worker.js');
  onmessage = fake.onmessage as (e: { data: unknown }) => void;
}, 60_000);

function reply(data: unknown): FromWorker {
  replies.length = 0;
  expect(() => onmessage({ data })).not.toThrow();
  expect(replies).toHaveLength(1);
  return replies[0];
}

describe('worker message checks', () => {
  it('null, a number, an array: BAD_MESSAGE with runId null', () => {
    for (const data of [null, 42, 'register', [1]]) {
      const r = reply(data);
      expect(r).toMatchObject({ type: 'error', runId: null, code: 'BAD_MESSAGE' });
    }
  });

  it('an unknown type: UNKNOWN_TYPE, carrying the run id', () => {
    expect(reply({ type: 'regster', runId: 7 })).toMatchObject({ type: 'error', runId: 7, code: 'UNKNOWN_TYPE' });
    expect(reply({ type: 'regster', runId: 7 })).toMatchObject({ message: expect.stringContaining('"regster"') as unknown as string });
    expect(reply({ runId: 3 })).toMatchObject({ type: 'error', runId: 3, code: 'UNKNOWN_TYPE' });
  });

  it('a known type without a numeric runId: BAD_MESSAGE', () => {
    expect(reply({ type: 'cancel', runId: '1' })).toMatchObject({ type: 'error', runId: null, code: 'BAD_MESSAGE' });
  });

  it('a register whose images are wrong fails as RUN_FAILED with its run id', async () => {
    replies.length = 0;
    onmessage({ data: { type: 'register', runId: 5, static: { data: new Float32Array(4), shape: [2, 2], gridToWorld: null }, moving: { data: new Float32Array(9), shape: [3, 3], gridToWorld: null }, metric: { name: 'ssd' }, levelIters: [1], invIter: 5, output: { shape: [2, 2], affine: new Float64Array(16) } } });
    for (let i = 0; i < 200 && replies.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(replies.at(-1)).toMatchObject({ type: 'error', runId: 5, code: 'RUN_FAILED' });
  });
});
