/**
 * Option parsing and message helpers shared by the `diffeo` commands.
 *
 * Paths given on the command line are resolved against the directory the user typed the
 * command in (`abs`); numbers are checked with `numberOption`; every failure is a
 * `CliError` carrying the exit status (2 for usage errors, 1 otherwise).
 */
import { resolve } from 'node:path';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { toAffine, type Dim } from '@diffeo/core';
import { CliError } from './images.js';

/**
 * Relative paths are relative to where the user typed the command: when run through
 * `pnpm cli` (this package's `start` script, whose working directory is packages/cli), that
 * is pnpm's `INIT_CWD`.
 */
export const BASE_DIR = process.env.npm_lifecycle_event === 'start' && process.env.npm_package_name === '@diffeo/cli' && process.env.INIT_CWD
  ? process.env.INIT_CWD
  : process.cwd();
export const abs = (p: string): string => resolve(BASE_DIR, p);

export type OptionSpec = Record<string, { type: 'string' | 'boolean'; short?: string }>;

/** The parsed values of `options`, typed by their specs. */
export type ParsedOptions<O extends OptionSpec> = ReturnType<typeof parseArgs<{ args: string[]; options: O; strict: true; allowPositionals: false }>>['values'];

/** Parses `args` strictly against `options`; a usage error names the command's usage line. */
export function parse<O extends OptionSpec>(args: string[], options: O, usage: string): ParsedOptions<O> {
  // `--sigma-diff -1`: Node's parser takes "-1" for an option and calls the value ambiguous.
  // A string option followed by a negative number gets it as its value (then range-checked).
  const joined: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const spec = a.startsWith('--') && !a.includes('=') ? (options as Record<string, { type: string }>)[a.slice(2)] : undefined;
    if (spec?.type === 'string' && i + 1 < args.length && /^-(\d|\.\d|Infinity)/.test(args[i + 1])) {
      joined.push(`${a}=${args[i + 1]}`);
      i++;
    } else joined.push(a);
  }
  try {
    return parseArgs({ args: joined, options, strict: true, allowPositionals: false }).values;
  } catch (e) {
    throw new CliError(`${errorText(e)} (${usage.split('\n')[0]})`, 2);
  }
}

export function required(v: string | undefined, name: string, cmd: string): string {
  if (v === undefined || v === '') throw new CliError(`${cmd} needs --${name} (see "diffeo ${cmd} --help")`, 2);
  return v;
}

export interface NumberRule {
  integer?: boolean;
  min?: number;
  /** strictly greater than `min` */
  exclusive?: boolean;
}

export function numberOption(v: string | undefined, name: string, rule: NumberRule = {}): number | undefined {
  if (v === undefined) return undefined;
  const x = v.trim() === '' ? NaN : Number(v);
  const min = rule.min ?? -Infinity;
  const ok = Number.isFinite(x) && (!rule.integer || Number.isInteger(x)) && (rule.exclusive ? x > min : x >= min);
  if (!ok) {
    const kind = rule.integer ? 'an integer' : 'a number';
    const bound = rule.min === undefined ? '' : rule.exclusive ? ` greater than ${rule.min}` : ` of at least ${rule.min}`;
    throw new CliError(`--${name} must be ${kind}${bound}; got "${v}"`, 2);
  }
  return x;
}

export function levelItersOption(v: string): number[] {
  const parts = v.split(',').map((s) => s.trim());
  const out = parts.map(Number);
  if (parts.some((s) => s === '') || out.some((n) => !Number.isInteger(n) || n < 0)) {
    throw new CliError(`--level-iters must be comma-separated non-negative integers, coarsest level first (for example 10,10,5); got "${v}"`, 2);
  }
  return out;
}

/** Reads a `(d+1)×(d+1)` matrix from a text file: rows on lines, numbers separated by spaces, tabs or commas; `#` comments. */
export async function readPrealign(path: string, dim: Dim): Promise<Float64Array> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CliError(`--prealign ${path}: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  const rows = text.split(/\r?\n/).map((l) => l.replace(/#.*/, '').trim()).filter((l) => l.length > 0)
    .map((l) => l.split(/[\s,]+/).map(Number));
  const n = dim + 1;
  if (rows.length !== n || rows.some((r) => r.length !== n || r.some((x) => !Number.isFinite(x)))) {
    throw new CliError(`--prealign ${path}: expected a ${n}x${n} matrix of numbers for ${dim}D images (${n} lines of ${n} numbers); got ${rows.length} line(s)`);
  }
  const flat = Float64Array.from(rows.flat());
  try {
    toAffine(flat, dim, 'the matrix', true); // last row [0, …, 0, 1], invertible
  } catch (e) {
    throw new CliError(`--prealign ${path}: ${errorText(e)}`);
  }
  return flat;
}

export function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ').trim();
}

export function errorText(e: unknown): string {
  return oneLine(e instanceof Error ? e.message : String(e));
}

