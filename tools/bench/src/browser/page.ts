/**
 * The bench's browser page: starts the registration worker, relays its peak-RSS
 * marks and its result to Node (functions bound by playwright-core, see
 * {@link PageBindings}), and releases the worker after each mark.
 */
import type { BrowserRunResult, FromWorker, PageBindings, ToWorker } from './protocol.js';

const bindings = window as unknown as PageBindings;

function start(): void {
  const q = new URLSearchParams(location.search);
  const caseUrl = q.get('case');
  const outUrl = q.get('out');
  if (!caseUrl || !outUrl) throw new Error('the page needs ?case=…&out=… (the bench opens it so)');
  if (!crossOriginIsolated) throw new Error('the page is not cross-origin isolated (the server must send COOP same-origin and COEP require-corp): no shared memory, no threads');
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const marks: BrowserRunResult['marks'] = { beforeOptimize: null, afterOptimize: null };
  const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
  worker.onerror = (e) => void bindings.__benchDone({ error: `worker error: ${e.message || 'the worker script failed to load'}` });
  worker.onmessage = async (e: MessageEvent<FromWorker>) => {
    const m = e.data;
    if (m.type === 'mark') {
      marks[m.name] = await bindings.__benchMark(m.name);
      Atomics.store(flag, 0, 1);
      Atomics.notify(flag, 0);
    } else if (m.type === 'done') {
      await bindings.__benchDone({ ...m.result, marks });
      worker.terminate();
    } else {
      await bindings.__benchDone({ error: m.message });
      worker.terminate();
    }
  };
  const msg: ToWorker = { caseUrl, outUrl, flag };
  worker.postMessage(msg);
}

try {
  start();
} catch (e) {
  void bindings.__benchDone({ error: e instanceof Error ? e.message : String(e) });
}
