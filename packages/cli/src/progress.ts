/**
 * Progress of a long command, one stage at a time (a pyramid level, the writing of the
 * outputs): on a terminal, a bar with the count, an ETA and a short status (cli-progress,
 * on stderr); elsewhere (a pipe, a log file) only the one-line summary of each finished
 * stage. Nothing at all with `quiet`.
 *
 * Plain lines go to stdout, or to stderr when stdout carries a `--json` summary, so that
 * stdout then holds exactly one JSON document.
 */
import cliProgress from 'cli-progress';

/** How a command reports. */
export interface ProgressOptions {
  /** Print nothing (errors still go to stderr from the command's caller). */
  readonly quiet: boolean;
  /** stdout is reserved for a JSON summary: plain lines go to stderr. */
  readonly json: boolean;
  /** Draw bars (default: when stderr is a terminal). */
  readonly bars?: boolean;
}

/** A stage-by-stage progress reporter (see the module comment). */
export class Progress {
  private readonly quiet: boolean;
  private readonly out: NodeJS.WriteStream;
  private readonly bars: boolean;
  private bar: cliProgress.SingleBar | null = null;

  constructor(options: ProgressOptions) {
    this.quiet = options.quiet;
    this.out = options.json ? process.stderr : process.stdout;
    this.bars = !options.quiet && (options.bars ?? process.stderr.isTTY === true);
  }

  /** Prints one line (not while a bar is drawn: the bar is finished first). */
  log(line: string): void {
    if (this.quiet) return;
    this.stopBar();
    this.out.write(`${line}\n`);
  }

  /** Starts a stage of `total` steps (iterations, files), labelled `label`. */
  start(label: string, total: number): void {
    if (!this.bars) return;
    this.stopBar();
    this.bar = new cliProgress.SingleBar({
      format: `  ${label} [{bar}] {value}/{total} | ETA {eta_formatted} | {status}`,
      barsize: 24,
      clearOnComplete: true,
      hideCursor: true,
      etaBuffer: 5,
      stream: process.stderr,
    }, cliProgress.Presets.shades_classic);
    this.bar.start(Math.max(total, 1), 0, { status: '' });
  }

  /** `done` steps of the current stage are finished; `status` is shown beside the bar. */
  update(done: number, status = ''): void {
    this.bar?.update(done, { status });
  }

  /** Ends the current stage with its one-line summary. */
  end(summary: string): void {
    this.log(summary);
  }

  private stopBar(): void {
    if (this.bar === null) return;
    this.bar.stop();
    this.bar = null;
  }
}
