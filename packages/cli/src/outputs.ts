/**
 * A command's output files as one set: every location is checked before the work starts
 * (name, folder, existing file, and that the folder is writable, by creating and removing
 * a probe file), the outputs are written to temporaries beside their targets, and only
 * when all are written are they moved into place, one rename (or link, when not
 * overwriting) after the other. If anything fails, or SIGINT/SIGTERM arrives, the
 * temporaries are removed and outputs already moved by this set are taken back, so a run
 * leaves all its outputs or none (and never a stray temporary).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, rmSync, statSync } from 'node:fs';
import { link, open, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileAccessError } from '@diffeo/core';
import { CliError } from './images.js';

/** One output: the file to produce and the option that named it (for messages). */
export interface OutputSpec {
  /** Absolute path of the output file. */
  readonly path: string;
  /** The option that named it, for example `--out-warped`. */
  readonly option: string;
}

function tempName(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

function accessMessage(e: unknown, spec: OutputSpec): string {
  const err = fileAccessError(e, spec.path, 'write');
  return `${spec.option} ${err instanceof Error ? err.message : String(err)}`;
}

/**
 * The outputs of one command run. Create it with {@link OutputSet.prepare} before any
 * long work; {@link stage} each output's bytes; {@link commit} at the end. {@link abort}
 * (also run on SIGINT/SIGTERM and by a failed commit) removes everything staged.
 */
export class OutputSet {
  private readonly temps = new Map<string, string>();
  private readonly committed: string[] = [];
  private readonly onSignal: (signal: NodeJS.Signals) => void;
  private done = false;

  private constructor(
    private readonly specs: readonly OutputSpec[],
    private readonly force: boolean,
    private readonly guardSignals: boolean,
  ) {
    this.onSignal = (signal) => {
      this.abortSync();
      process.exitCode = signal === 'SIGINT' ? 130 : 143;
      process.kill(process.pid, signal); // default action, now that our handler is removed
    };
    if (guardSignals) {
      process.once('SIGINT', this.onSignal);
      process.once('SIGTERM', this.onSignal);
    }
  }

  /**
   * Checks every output location and starts guarding against interruption.
   * @param specs - the outputs (absolute paths).
   * @param force - whether existing files may be replaced.
   * @param options - `guardSignals` (default true): on SIGINT/SIGTERM remove the temporaries
   *   and end the process with the signal's default action. Pass false when the caller
   *   handles interruption itself (then it must reject, and {@link abort} cleans up).
   * @throws CliError naming the option and the file: the same path twice, an existing file
   *   without `--force`, a folder where the file should be, a missing or unwritable folder.
   */
  static async prepare(specs: readonly OutputSpec[], force: boolean, options: { guardSignals?: boolean } = {}): Promise<OutputSet> {
    const seen = new Map<string, string>();
    for (const s of specs) {
      const other = seen.get(s.path);
      if (other) throw new CliError(`${other} and ${s.option} name the same file ${s.path}`, 2);
      seen.set(s.path, s.option);
      const dir = dirname(s.path);
      if (!existsSync(dir) || !statSync(dir).isDirectory()) {
        throw new CliError(`${s.option} ${s.path}: the folder ${dir} does not exist; create it first or choose another path`);
      }
      if (existsSync(s.path)) {
        if (statSync(s.path).isDirectory()) throw new CliError(`${s.option} ${s.path} is a folder`);
        if (!force) throw new CliError(`${s.option} ${s.path} already exists; pass --force to overwrite it`);
      }
      // Writable? Create and remove a probe beside the target (read-only mounts, permissions, ...).
      const probe = tempName(s.path);
      try {
        const fh = await open(probe, 'wx');
        await fh.close();
        await rm(probe, { force: true });
      } catch (e) {
        throw new CliError(accessMessage(e, s));
      }
    }
    return new OutputSet(specs, force, options.guardSignals !== false);
  }

  /** Writes the bytes of the output at `path` (one of the prepared paths) to its temporary. */
  async stage(path: string, bytes: Uint8Array): Promise<void> {
    const spec = this.specs.find((s) => s.path === path);
    if (!spec) throw new Error(`internal: ${path} is not one of the prepared outputs`);
    const tmp = tempName(path);
    this.temps.set(path, tmp);
    try {
      await writeFile(tmp, bytes, { flag: 'wx' });
    } catch (e) {
      await this.abort();
      throw new CliError(accessMessage(e, spec));
    }
  }

  /**
   * Reserves the temporary of the output at `path` for a caller that streams it itself (a
   * 4D series written volume by volume) and returns its path. The name ends in the target's
   * own `.nii`/`.nii.gz` (so writers that choose the format by extension agree), and it is
   * removed on {@link abort} or a signal like a staged output's temporary. The caller must
   * create it (it does not exist yet) and close it before {@link commit}.
   */
  reserve(path: string): string {
    if (!this.specs.some((s) => s.path === path)) throw new Error(`internal: ${path} is not one of the prepared outputs`);
    const ext = /\.nii\.gz$/i.exec(path)?.[0] ?? /\.[A-Za-z0-9]+$/.exec(path)?.[0] ?? '';
    const tmp = tempName(path) + ext;
    this.temps.set(path, tmp);
    return tmp;
  }

  /**
   * Moves every staged output into place. Without `force`, each is linked (which fails
   * rather than replace a file that appeared meanwhile) and its temporary removed; with
   * `force`, renamed. On a failure the outputs already placed are removed again.
   * @throws CliError when an output was not staged, or a move fails.
   */
  async commit(): Promise<void> {
    for (const s of this.specs) if (!this.temps.has(s.path)) throw new Error(`internal: ${s.option} ${s.path} was not written`);
    for (const s of this.specs) {
      const tmp = this.temps.get(s.path)!;
      try {
        if (this.force) await rename(tmp, s.path);
        else {
          await link(tmp, s.path);
          await rm(tmp, { force: true });
        }
        this.temps.delete(s.path);
        this.committed.push(s.path);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        for (const p of this.committed) await rm(p, { force: true });
        this.committed.length = 0;
        await this.abort();
        if (code === 'EEXIST') throw new CliError(`${s.option} ${s.path} appeared while this command ran; nothing was written (pass --force to overwrite it)`);
        throw new CliError(accessMessage(e, s));
      }
    }
    this.finish();
  }

  /** Removes every temporary (and stops guarding against signals). Safe to call twice. */
  async abort(): Promise<void> {
    for (const tmp of this.temps.values()) await rm(tmp, { force: true });
    this.temps.clear();
    this.finish();
  }

  private abortSync(): void {
    // Interrupted while moving outputs into place: take back the ones already moved.
    for (const p of this.committed) rmSync(p, { force: true });
    for (const tmp of this.temps.values()) rmSync(tmp, { force: true });
    this.temps.clear();
    this.finish();
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    if (!this.guardSignals) return;
    process.removeListener('SIGINT', this.onSignal);
    process.removeListener('SIGTERM', this.onSignal);
  }
}
