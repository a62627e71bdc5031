/**
 * Types of the reference runner: the manifest format of DIPY fixture folders
 * (see fixtures/reference/README.md) and the case-handler contract.
 */
import type { NpyArray, NpyData } from '@diffeo/io';
import type { KernelContext } from '@diffeo/core';

/** A tolerance block of the manifest. */
export interface Tolerance {
  metric: string;
  rtol: number;
  atol: number | null;
  why?: string;
  [extra: string]: unknown;
}

/** An array file entry of the manifest. */
export interface ManifestArray {
  file: string;
  dtype: string;
  shape: number[];
  bytes?: number;
  sha256?: string;
  description?: string;
  tolerance?: Tolerance;
}

/** One case of the manifest. */
export interface ManifestCase {
  name: string;
  kind: 'unit' | 'e2e' | string;
  dipy_function: string;
  description?: string;
  params: Record<string, unknown>;
  inputs: Record<string, ManifestArray>;
  outputs: Record<string, ManifestArray>;
  scalar_outputs: Record<string, unknown>;
  tolerance: Record<string, Tolerance>;
  notes?: unknown;
}

/** The manifest file. */
export interface Manifest {
  title?: string;
  cases: ManifestCase[];
  [extra: string]: unknown;
}

/** Result of one comparison row. */
export interface Comparison {
  /** Output name (an array output, a scalar output, or a derived quantity). */
  output: string;
  /** Measured difference, formatted for the table. */
  measured: string;
  /** Tolerance, formatted for the table. */
  tolerance: string;
  status: 'pass' | 'fail' | 'unsupported' | 'info';
  /** Extra explanation shown under the table on failure. */
  detail?: string;
}

/** What a handler gets to run one case. */
export interface CaseContext {
  readonly manifestDir: string;
  readonly case: ManifestCase;
  /** Kernel context of the requested backend. */
  readonly kernels: KernelContext;
  /** Loads an input array by its key in `inputs`. */
  input(key: string): NpyArray;
  /** Loads an expected output array by its key in `outputs`. */
  expected(key: string): NpyArray;
  /**
   * Compares `actual` to the expected output `key` with that output's own tolerance
   * (or `tolerance` when given), returning a table row.
   */
  compare(key: string, actual: NpyData | ArrayLike<number>, tolerance?: Tolerance): Comparison;
  /** Compares a computed value with a scalar (or list) output of the manifest, with the given tolerance. */
  compareScalar(key: string, actual: number | ArrayLike<number>, tolerance: Tolerance, expected?: number | ArrayLike<number>): Comparison;
}

/** Runs the cases whose `dipy_function` it supports. */
export interface CaseHandler {
  /** The exact `dipy_function` strings this handler runs. */
  readonly dipyFunctions: readonly string[];
  run(ctx: CaseContext): Promise<Comparison[]> | Comparison[];
}
