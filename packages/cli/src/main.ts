#!/usr/bin/env node
/**
 * `diffeo`: symmetric diffeomorphic (SyN) registration of NIfTI images from the command
 * line — DIPY's `dipy_align_syn` workflow, or a minimal `antsRegistration -t SyN`.
 *
 *   diffeo register --static s.nii.gz --moving m.nii.gz [--metric cc|ssd|ssd-gn]
 *                   [--level-iters 10,10,5] [--step-length 0.25] [--inv-iter 20]
 *                   [--sigma-diff 2] [--radius 4] [--smooth 4] [--prealign affine.txt]
 *                   [--out-warped warped_moved.nii.gz] [--out-mapping mapping] [--backend wasm|ts] [--force] [--quiet]
 *   diffeo apply --mapping mapping --moving m.nii.gz --out w.nii.gz [--inverse]
 *                [--interpolation linear|nearest] [--force] [--quiet]
 *   diffeo qc --mapping mapping [--out-jacobian J.nii.gz] [--log] [--json report.json]
 *
 * `register` reads both images with their affines as grid-to-world (voxel index → mm),
 * runs `SymmetricDiffeomorphicRegistration` (defaults of DIPY's workflow: CC metric,
 * levels 10,10,5), prints one progress line per pyramid level, and writes the moving
 * image warped onto the static grid (with the static affine) and the mapping
 * (`saveMapping` of `@diffeo/io`: `prefix.nii.gz`, both displacement fields and the exact
 * affines). `apply` warps an image with a saved mapping: forward (moving → static grid)
 * by default, `--inverse` for static → moving grid. Errors print one line to stderr and
 * exit with status 1 (2 for usage errors).
 *
 * Run it with `pnpm cli <command> ...` from the repository root, `pnpm --filter
 * @diffeo/cli exec diffeo ...`, or `node --conditions=@diffeo/source --import tsx
 * packages/cli/src/main.ts ...`.
 *
 * Each command lives in `src/commands/<name>.ts` and exports a function taking the
 * command's arguments; `COMMANDS` below lists them.
 */
import { readFileSync } from 'node:fs';
import { errorText } from './args.js';
import { CliError } from './images.js';
import { apply } from './commands/apply.js';
import { batch } from './commands/batch.js';
import { register } from './commands/register.js';
import { qc } from './commands/qc.js';

/** The commands, in the order `diffeo --help` lists them: name, one-line summary, entry point. */
const COMMANDS: ReadonlyArray<readonly [name: string, summary: string, run: (args: string[]) => Promise<void>]> = [
  ['register', 'register a moving image onto a static image (SyN) and save the warped image and the mapping', register],
  ['apply', 'warp an image with a saved mapping', apply],
  ['qc', 'quality control of a mapping: Jacobian determinant, folding, inverse consistency', qc],
  ['batch', 'register a cohort on a job queue (BullMQ on Redis): submit, worker, status, wait, results', batch],
];

const USAGE = `usage: diffeo <command> [options]

commands:
${COMMANDS.map(([name, summary]) => `  ${name.padEnd(10)} ${summary}`).join('\n')}

run "diffeo <command> --help" for the options of a command; "diffeo --version" prints the version.`;

/** This package's version (its package.json sits one folder above both src/ and dist/). */
function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === undefined) {
    throw new CliError('no command given: use "diffeo register ..." or "diffeo apply ..." (run "diffeo --help")', 2);
  }
  if (command === '--version' || command === '-v' || command === 'version') {
    console.log(version());
    return;
  }
  if (command === 'help' || command === '-h' || command === '--help') {
    console.log(USAGE);
    return;
  }
  const entry = COMMANDS.find(([name]) => name === command);
  if (entry === undefined) {
    throw new CliError(`unknown command "${command}"; the commands are ${COMMANDS.map(([n]) => n).join(', ')} (run "diffeo --help")`, 2);
  }
  return entry[2](rest);
}

main(process.argv.slice(2)).catch((e: unknown) => {
  process.stderr.write(`diffeo: error: ${errorText(e)}\n`);
  process.exitCode = e instanceof CliError ? e.exitCode : 1;
});
