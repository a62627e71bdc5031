/** Small helpers shared by diffeo's demo apps. */
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Prints a one-line error and exits with status 1. */
export function fail(e: unknown): never {
  console.error(`error: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
}

/** Creates `dir` if needed; refuses (one-line error) when it already holds one of `files` and `force` is false. */
export function prepareOutputDir(dir: string, files: readonly string[], force: boolean): void {
  const existing = files.filter((f) => existsSync(join(dir, f)));
  if (existing.length > 0 && !force) {
    fail(`${dir} already holds ${existing.join(', ')}; pass --force to overwrite or --out to choose another folder`);
  }
  mkdirSync(dir, { recursive: true });
}

/**
 * The demo's own arguments: `process.argv` after the script, without the `--` that
 * `pnpm demo:b0 -- …` passes through (Node's parseArgs would take everything after it as
 * positionals and ignore the options).
 */
export function demoArgs(argv: readonly string[] = process.argv.slice(2)): string[] {
  return argv[0] === '--' ? argv.slice(1) : argv.slice();
}

/**
 * A path the user typed, made absolute against the folder they typed the command in:
 * pnpm runs a package's script in the package's folder and records the caller's folder in
 * `INIT_CWD`.
 */
export function userPath(p: string): string {
  return resolve(process.env.INIT_CWD ?? process.cwd(), p);
}
