/**
 * `diffeo qc`: quality control of a saved mapping — the world-space Jacobian determinant
 * of both displacement fields (min, max, mean, folded voxels = `det J ≤ 0`) and the
 * inverse-consistency error `|forward(x) + backward(x + forward(x))|` in mm (mean, 99th
 * percentile, max), from `qualityReport` of `@diffeo/core`. A mapping file written by
 * DIPY's `write_mapping` (no grids stored) is read with `--domain` and `--codomain`, as
 * `diffeo apply` does. `--out-jacobian` writes the
 * `det J` image (or `ln det J` with `--log`) of the field `diffeo apply` uses to warp the
 * moving image onto the static grid (the `backward` field of a SyN mapping), on the
 * displacement grid with its affine; `--json` writes the report as
 * `{ forward: {minDetJ, maxDetJ, meanDetJ, foldedVoxels, voxels}, backward: {…},
 * inverseConsistencyMm: {mean, p99, max} }` (forward/backward are the mapping's two
 * fields under DIPY's names).
 */
import { existsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  inverseConsistencyError, jacobianStats, mapJacobianDeterminant, type DiffeomorphicMap, type JacobianStats,
} from '@diffeo/core';
import { loadMapping, mappingFilePath, saveNifti, writeFileAtomic } from '@diffeo/io';
import { abs, errorText, parse, required } from '../args.js';
import { CliError, checkOutput, toNiftiAffine } from '../images.js';
import { gridOf } from './apply.js';

export const QC_USAGE = `usage: diffeo qc --mapping PREFIX [--domain D.nii.gz --codomain C.nii.gz] [--out-jacobian J.nii.gz] [--log] [--json report.json] [options]

Quality control of a mapping saved by "diffeo register" (or by DIPY's write_mapping): the Jacobian determinant (det J, the
local volume ratio, in world space) of both displacement fields with its min, max, mean and
the folded voxels (det J <= 0), and the inverse-consistency error
|forward(x) + backward(x + forward(x))| in mm (mean, 99th percentile, max).

  --mapping PREFIX        the mapping (PREFIX.nii.gz, or the file name itself)
  --domain D.nii.gz       for a DIPY write_mapping file: its domain image (DIPY's SyN: the
                          moving image), as DIPY's read_mapping needs it
  --codomain C.nii.gz     for a DIPY file: its codomain image (DIPY's SyN: the static one)
  --out-jacobian J.nii.gz write det J of the field "diffeo apply" uses (moving -> static
                          grid), on the displacement grid
  --log                   write ln det J instead (NaN where det J <= 0)
  --json report.json      write the report as JSON
  --force                 overwrite existing outputs
  --quiet                 print nothing but errors`;

/** The report `--json` writes (exactly these keys). */
export interface QcJson {
  forward: JacobianStats;
  backward: JacobianStats;
  inverseConsistencyMm: { mean: number; p99: number; max: number };
}

function pick(s: JacobianStats): JacobianStats {
  return { minDetJ: s.minDetJ, maxDetJ: s.maxDetJ, meanDetJ: s.meanDetJ, foldedVoxels: s.foldedVoxels, voxels: s.voxels };
}

const fmt = (x: number): string => (Number.isFinite(x) ? x.toPrecision(4) : String(x));

function line(name: string, s: JacobianStats): string {
  const pct = s.voxels > 0 ? ((100 * s.foldedVoxels) / s.voxels).toFixed(3) : '0';
  return `  ${name}: det J min ${fmt(s.minDetJ)}, max ${fmt(s.maxDetJ)}, mean ${fmt(s.meanDetJ)}; folded voxels ${s.foldedVoxels} of ${s.voxels} (${pct}%)`;
}

export async function qc(args: string[]): Promise<void> {
  const v = parse(args, {
    mapping: { type: 'string' },
    domain: { type: 'string' },
    codomain: { type: 'string' },
    'out-jacobian': { type: 'string' },
    log: { type: 'boolean' },
    json: { type: 'string' },
    force: { type: 'boolean' },
    quiet: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  }, QC_USAGE);
  if (v.help) {
    console.log(QC_USAGE);
    return;
  }
  const mappingPath = abs(required(v.mapping, 'mapping', 'qc'));
  const force = v.force === true;
  const outJacobian = v['out-jacobian'] === undefined ? undefined : abs(v['out-jacobian']);
  const jsonPath = v.json === undefined ? undefined : abs(v.json);
  if (v.log === true && outJacobian === undefined) throw new CliError('--log applies to the image written with --out-jacobian; pass --out-jacobian J.nii.gz', 2);
  if (outJacobian !== undefined) checkOutput(outJacobian, '--out-jacobian', force);
  if (jsonPath !== undefined) {
    const dir = dirname(jsonPath);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new CliError(`--json ${jsonPath}: the folder ${dir} does not exist`);
    if (existsSync(jsonPath) && !force) throw new CliError(`--json ${jsonPath} already exists; pass --force to overwrite it`);
    if (jsonPath === outJacobian) throw new CliError(`--json and --out-jacobian name the same file ${jsonPath}`, 2);
  }

  const domain = v.domain === undefined ? undefined : await gridOf(abs(v.domain), '--domain');
  const codomain = v.codomain === undefined ? undefined : await gridOf(abs(v.codomain), '--codomain');
  let map: DiffeomorphicMap;
  try {
    map = await loadMapping(mappingPath, { domain, codomain });
  } catch (e) {
    const err = e as { code?: string; systemCode?: string };
    if (err.code === 'ENOENT' || err.systemCode === 'ENOENT') throw new CliError(`--mapping ${mappingPath}: no such file (looked for ${mappingFilePath(mappingPath)})`);
    const msg = errorText(e);
    throw new CliError(msg.includes(mappingPath) ? `--mapping ${msg}` : `--mapping ${mappingPath}: ${msg}`);
  }
  let report: QcJson;
  const applied: 'forward' | 'backward' = map.isInverse ? 'backward' : 'forward';
  let appliedDet: Float32Array;
  try {
    const fwd = mapJacobianDeterminant(map, 'forward');
    const bwd = mapJacobianDeterminant(map, 'backward');
    const ic = inverseConsistencyError(map);
    report = {
      forward: pick(jacobianStats(fwd.data)),
      backward: pick(jacobianStats(bwd.data)),
      inverseConsistencyMm: { mean: ic.mean, p99: ic.p99, max: ic.max },
    };
    appliedDet = applied === 'forward' ? fwd.data : bwd.data;
  } catch (e) {
    throw new CliError(`--mapping ${mappingFilePath(mappingPath)}: ${errorText(e)}`);
  }
  if (outJacobian !== undefined) {
    const data = appliedDet;
    if (v.log === true) for (let i = 0; i < data.length; i++) data[i] = data[i] > 0 ? Math.log(data[i]) : NaN;
    await saveNifti(outJacobian, { data, shape: Array.from(map.dispShape) }, toNiftiAffine(map.dispGridToWorld, map.dim), { overwrite: force });
  }
  if (jsonPath !== undefined) {
    await writeFileAtomic(jsonPath, new TextEncoder().encode(`${JSON.stringify(report, null, 2)}\n`), { overwrite: force });
  }
  if (v.quiet !== true) {
    const ic = report.inverseConsistencyMm;
    console.log(`diffeo qc: ${mappingFilePath(mappingPath)} (${map.dim}D, displacement grid ${Array.from(map.dispShape).join('x')})`);
    console.log(line(`forward field${applied === 'forward' ? ' (used by diffeo apply)' : ''}`, report.forward));
    console.log(line(`backward field${applied === 'backward' ? ' (used by diffeo apply)' : ''}`, report.backward));
    console.log(`  inverse consistency |forward(x) + backward(x + forward(x))|: mean ${fmt(ic.mean)} mm, p99 ${fmt(ic.p99)} mm, max ${fmt(ic.max)} mm`);
    if (outJacobian !== undefined) console.log(`  wrote ${outJacobian} (${v.log === true ? 'ln det J' : 'det J'} of the ${applied} field)`);
    if (jsonPath !== undefined) console.log(`  wrote ${jsonPath}`);
  }
}
