/**
 * The typed errors the backend throws: `InvalidArgumentError` (bad options) and
 * `WorkerThreadError` (a worker thread failed or stopped during a call), the classes of
 * `@diffeo/core`. This package has no static run-time import of `@diffeo/core`, so that
 * its `dist/` also runs unbundled in a browser (as `browser.test.ts` loads it); the
 * classes are imported with the backend ({@link errorClasses}). Where `@diffeo/core`
 * cannot be imported (an unbundled page without an import map), stand-ins with the same
 * names, `code`s and fields are used.
 */

/** The constructors of the two error classes. */
export interface ErrorClasses {
  InvalidArgumentError: new (message: string) => Error;
  WorkerThreadError: new (message: string, kernel: string, workerStopped: boolean) => Error;
}

/** A stand-in of a `DiffeoError` (same `name` and `code`). */
class StandInError extends Error {
  readonly code: string;
  constructor(name: string, code: string, message: string) {
    super(message);
    this.name = name;
    this.code = code;
  }
}

const standIns: ErrorClasses = {
  InvalidArgumentError: class InvalidArgumentError extends StandInError {
    constructor(message: string) {
      super('InvalidArgumentError', 'INVALID_ARGUMENT', message);
    }
  },
  WorkerThreadError: class WorkerThreadError extends StandInError {
    readonly kernel: string;
    readonly workerStopped: boolean;
    constructor(message: string, kernel: string, workerStopped: boolean) {
      super('WorkerThreadError', 'WORKER_FAILED', message);
      this.kernel = kernel;
      this.workerStopped = workerStopped;
    }
  },
};

let loaded: Promise<ErrorClasses> | null = null;

/** `@diffeo/core`'s error classes (imported once), or the stand-ins where it cannot be imported. */
export function errorClasses(): Promise<ErrorClasses> {
  loaded ??= import('@diffeo/core').then(
    (core): ErrorClasses => ({ InvalidArgumentError: core.InvalidArgumentError, WorkerThreadError: core.WorkerThreadError }),
    (): ErrorClasses => standIns,
  );
  return loaded;
}
