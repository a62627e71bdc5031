/**
 * `diffeo apply`: warps an image with a mapping saved by `diffeo register`, forward
 * (moving -> static grid) by default, `--inverse` for static -> moving grid. The image is
 * sampled through its own affine, so any image in the same world space works.
 */
import { invertAffine, type NumericArray } from '@diffeo/core';
import { loadMapping, mappingFilePath, serializeNifti } from '@diffeo/io';
import { OutputSet } from '../outputs.js';
import { abs, errorText, numberOption, parse, required } from '../args.js';
import { CliError, checkOutput, loadInput, toNiftiAffine, type InputImage } from '../images.js';

export const APPLY_USAGE = `usage: diffeo apply --mapping PREFIX --moving M.nii[.gz] --out W.nii[.gz] [options]

Warps an image with a mapping saved by "diffeo register": by default the moving image onto
the static grid; with --inverse, an image in the static space onto the moving grid. The
image is sampled through its own affine, so any image in the same world space works.

  --mapping PREFIX                the mapping (PREFIX.nii.gz, or the file name itself)
  --moving M.nii.gz               the image to warp
  --out W.nii.gz                  the output
  --inverse                       apply the inverse mapping (static space -> moving grid)
  --interpolation linear|nearest  default linear (float32 output); nearest keeps the data type
  --vol-idx N                     volume of a 4D input
  --force                         overwrite an existing output
  --quiet                         print nothing but errors`;

export async function apply(args: string[]): Promise<void> {
  const v = parse(args, {
    mapping: { type: 'string' },
    moving: { type: 'string' },
    out: { type: 'string' },
    inverse: { type: 'boolean' },
    interpolation: { type: 'string' },
    'vol-idx': { type: 'string' },
    force: { type: 'boolean' },
    quiet: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  }, APPLY_USAGE);
  if (v.help) {
    console.log(APPLY_USAGE);
    return;
  }
  const mappingPath = abs(required(v.mapping, 'mapping', 'apply'));
  const imagePath = abs(required(v.moving, 'moving', 'apply'));
  const out = abs(required(v.out, 'out', 'apply'));
  const interpolation = v.interpolation ?? 'linear';
  if (interpolation !== 'linear' && interpolation !== 'nearest') {
    throw new CliError(`--interpolation must be linear or nearest; got "${interpolation}"`, 2);
  }
  const volIdx = numberOption(v['vol-idx'], 'vol-idx', { integer: true, min: 0 });
  const inverse = v.inverse === true;
  const force = v.force === true;
  checkOutput(out, '--out', force);
  const outputs = await OutputSet.prepare([{ path: out, option: '--out' }], force);
  try {

    let map: Awaited<ReturnType<typeof loadMapping>>;
    try {
      map = await loadMapping(mappingPath);
    } catch (e) {
      const err = e as { code?: string; systemCode?: string };
      if (err.code === 'ENOENT' || err.systemCode === 'ENOENT') throw new CliError(`--mapping ${mappingPath}: no such file (looked for ${mappingFilePath(mappingPath)})`);
      const msg = errorText(e);
      throw new CliError(msg.includes(mappingPath) ? `--mapping ${msg}` : `--mapping ${mappingPath}: ${msg}`);
    }
    const image: InputImage = await loadInput(imagePath, '--moving', volIdx);
    if (image.dim !== map.dim) {
      throw new CliError(`dimension mismatch: the mapping ${mappingFilePath(mappingPath)} is ${map.dim}D but --moving ${image.path} is ${image.dim}D (${image.shape.join('x')})`);
    }
    // transform() runs the forward warp (output on the domain grid) unless isInverse; transformInverse() the other one.
    const toCodomain = map.isInverse !== inverse;
    const outShape = toCodomain ? map.codomainShape : map.domainShape;
    const outG2W = toCodomain ? map.codomainGridToWorld : map.domainGridToWorld;
    if (outShape === null) throw new CliError(`the mapping ${mappingFilePath(mappingPath)} has no ${toCodomain ? 'codomain' : 'domain'} shape to warp onto`);
    let warpedData: NumericArray;
    try {
      // The image is sampled through its own affine (as DIPY's image_world2grid).
      const options = { interpolation, imageWorldToGrid: invertAffine(image.gridToWorld, `the affine of ${image.path}`) } as const;
      const img = { data: image.data, shape: image.shape };
      warpedData = (inverse ? map.transformInverse(img, options) : map.transform(img, options)).data;
    } catch (e) {
      throw new CliError(errorText(e));
    }
    await outputs.stage(out, serializeNifti({ data: warpedData, shape: Array.from(outShape) }, toNiftiAffine(outG2W, map.dim), { gzip: out.toLowerCase().endsWith('.gz') }));
    await outputs.commit();
    if (v.quiet !== true) {
      console.log(`diffeo apply: warped ${image.path} with ${inverse ? 'the inverse of ' : ''}${mappingFilePath(mappingPath)} (${interpolation}) onto the ${inverse ? 'moving' : 'static'} grid (${Array.from(outShape).join('x')}); wrote ${out}`);
    }
  } finally {
    await outputs.abort();
  }
}
