/**
 * A worker script for the tests of worker threads that stop on their own
 * (`src/worker-stop.test.ts`): the package's real `dist/worker.js`, except that the
 * kernel named by the environment variable `DIFFEO_TEST_STOP_IN` computes the first
 * half of its chunk and then ends the thread with `process.exit(7)`, as a worker that
 * fails in the middle of a chunk would; with `DIFFEO_TEST_STOP_HOW=throw` it throws
 * instead (a kernel failing in a worker, which keeps running). Not part of the
 * published package.
 */
const stopIn = process.env.DIFFEO_TEST_STOP_IN;
const how = process.env.DIFFEO_TEST_STOP_HOW ?? 'exit';
const RealInstance = WebAssembly.Instance;
WebAssembly.Instance = function Instance(module, imports) {
  const instance = new RealInstance(module, imports);
  const exports = { ...instance.exports };
  const kernel = exports[stopIn];
  if (typeof kernel === 'function') {
    // the threaded kernels take (...args, lo, hi, aux)
    exports[stopIn] = (...args) => {
      const n = args.length;
      const lo = args[n - 3], hi = args[n - 2];
      kernel(...args.slice(0, n - 3), lo, lo + Math.floor((hi - lo) / 2), args[n - 1]);
      if (how === 'throw') throw new Error('test: the kernel failed');
      process.exit(7);
    };
  }
  return { exports };
};
await import('../dist/worker.js');
