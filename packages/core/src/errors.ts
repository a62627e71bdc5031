/**
 * Typed errors. Every error diffeo throws for bad input is a {@link DiffeoError}
 * with a stable `code`, and a message that says what was wrong and how to fix it.
 */

/** Stable error codes, one per kind of problem. */
export type DiffeoErrorCode =
  | 'SHAPE_MISMATCH'
  | 'INVALID_DIMENSION'
  | 'INVALID_AFFINE'
  | 'NON_FINITE'
  | 'UNSUPPORTED_DTYPE'
  | 'INVALID_ARGUMENT'
  | 'MALFORMED_FILE'
  | 'IMAGE_TOO_SMALL'
  | 'EMPTY_IMAGE'
  | 'FILE_EXISTS'
  | 'NOT_READY'
  | 'UNAVAILABLE'
  | 'ABORTED'
  | 'DISPOSED'
  | 'FILE_ACCESS'
  | 'RESOURCE_LIMIT'
  | 'BACKEND_UNAVAILABLE'
  | 'CONTEXT_FROZEN'
  | 'WORKER_FAILED';

/** Base class of all diffeo errors. */
export class DiffeoError extends Error {
  /** Stable machine-readable code. */
  readonly code: DiffeoErrorCode;
  constructor(code: DiffeoErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name; // subclasses below also set a literal name, which survives minification
  }
}

/** Shapes of two inputs disagree (or a field's last axis is not the dimension). */
export class ShapeMismatchError extends DiffeoError {
  constructor(message: string) {
    super('SHAPE_MISMATCH', message);
    this.name = 'ShapeMismatchError';
  }
}

/** A dimension other than 2 or 3, or inputs of different dimensions. */
export class DimensionError extends DiffeoError {
  constructor(message: string) {
    super('INVALID_DIMENSION', message);
    this.name = 'DimensionError';
  }
}

/** An affine that is malformed, non-finite or singular. */
export class InvalidAffineError extends DiffeoError {
  constructor(message: string) {
    super('INVALID_AFFINE', message);
    this.name = 'InvalidAffineError';
  }
}

/** NaN or infinite values where finite ones are required. */
export class NonFiniteError extends DiffeoError {
  constructor(message: string) {
    super('NON_FINITE', message);
    this.name = 'NonFiniteError';
  }
}

/** A data type diffeo cannot use here. */
export class DtypeError extends DiffeoError {
  constructor(message: string) {
    super('UNSUPPORTED_DTYPE', message);
    this.name = 'DtypeError';
  }
}

/** An argument out of its valid range or of the wrong kind. */
export class InvalidArgumentError extends DiffeoError {
  constructor(message: string) {
    super('INVALID_ARGUMENT', message);
    this.name = 'InvalidArgumentError';
  }
}

/** A file (`.npy`, NIfTI, ...) that is truncated, corrupt or not of the expected format. */
export class MalformedFileError extends DiffeoError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('MALFORMED_FILE', message, options);
    this.name = 'MalformedFileError';
  }
}

/** An image too small for the requested operation (for example a CC window or a pyramid level). */
export class ImageTooSmallError extends DiffeoError {
  constructor(message: string) {
    super('IMAGE_TOO_SMALL', message);
    this.name = 'ImageTooSmallError';
  }
}

/** An image with no usable content (no voxels, or constant where contrast is needed). */
export class EmptyImageError extends DiffeoError {
  constructor(message: string) {
    super('EMPTY_IMAGE', message);
    this.name = 'EmptyImageError';
  }
}

/** An output file already exists and overwriting was not requested. */
export class FileExistsError extends DiffeoError {
  constructor(message: string) {
    super('FILE_EXISTS', message);
    this.name = 'FileExistsError';
  }
}

/** An operation was cancelled through an `AbortSignal`. */
export class AbortError extends DiffeoError {
  constructor(message = 'The operation was aborted.') {
    super('ABORTED', message);
    this.name = 'AbortError';
  }
}

/** An object (a map, a step, a workspace) used after its `dispose()` released its memory. */
export class DisposedError extends DiffeoError {
  constructor(message: string) {
    super('DISPOSED', message);
    this.name = 'DisposedError';
  }
}

/**
 * A run or a read that cannot fit in memory (or in a typed array, or in the 4 GiB of a
 * WebAssembly memory), or whose cost would explode; refused before allocating.
 */
export class ResourceLimitError extends DiffeoError {
  /** The estimated peak memory in bytes, when the refusal comes from an estimate. */
  readonly estimatedBytes: number | undefined;
  constructor(message: string, estimatedBytes?: number) {
    super('RESOURCE_LIMIT', message);
    this.name = 'ResourceLimitError';
    this.estimatedBytes = estimatedBytes;
  }
}

/**
 * A file or folder that cannot be read or written: missing, not permitted, read-only, full
 * disk. `cause` holds the system error; `path` the file concerned.
 */
export class FileAccessError extends DiffeoError {
  /** The file or folder concerned. */
  readonly path: string;
  /** The system error code (`ENOENT`, `EACCES`, `EROFS`, `ENOSPC`, ...), when there is one. */
  readonly systemCode: string | undefined;
  constructor(message: string, path: string, options?: { cause?: unknown }) {
    super('FILE_ACCESS', message, options);
    this.name = 'FileAccessError';
    this.path = path;
    const c = options?.cause as { code?: unknown } | undefined;
    this.systemCode = typeof c?.code === 'string' ? c.code : undefined;
  }
}

/** A kernel backend that was asked for by name could not be loaded (not built, no WebAssembly, …). */
export class BackendUnavailableError extends DiffeoError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('BACKEND_UNAVAILABLE', message, options);
    this.name = 'BackendUnavailableError';
  }
}

/**
 * A kernel context was changed (`use`, `remove`) while a registration runs on it: its
 * kernels are fixed for the whole run, so that every iteration uses the same ones.
 */
export class ContextFrozenError extends DiffeoError {
  constructor(message: string) {
    super('CONTEXT_FROZEN', message);
    this.name = 'ContextFrozenError';
  }
}

/**
 * A worker thread of a threaded backend failed during a kernel call: its kernel threw,
 * or the thread stopped (exited) in the middle of a chunk of the call, so the call's
 * outputs are incomplete. The backend stops using its worker threads after a thread
 * stopped (later calls run on the calling thread, with the same results).
 */
export class WorkerThreadError extends DiffeoError {
  /** The kernel function the call was running (for example `"warp3d"`). */
  readonly kernel: string;
  /** True when a worker thread stopped (rather than its kernel throwing). */
  readonly workerStopped: boolean;
  constructor(message: string, kernel: string, workerStopped: boolean) {
    super('WORKER_FAILED', message);
    this.name = 'WorkerThreadError';
    this.kernel = kernel;
    this.workerStopped = workerStopped;
  }
}
