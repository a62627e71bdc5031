/**
 * `diffeo apply`: warps an image with a mapping saved by `diffeo register` (or by DIPY's
 * `write_mapping`, given `--domain` and `--codomain`), forward (moving -> static grid) by
 * default, `--inverse` for static -> moving grid. The image is sampled through its own
 * affine, so any image in the same world space works.
 */
import { invertAffine, type Dim, type NumericArray } from '@diffeo/core';
import { loadMapping, loadNifti, mappingFilePath, saveNifti, type MappingGrid } from '@diffeo/io';
import { abs, errorText, numberOption, parse, readPrealign, required } from '../args.js';
import { CliError, checkOutput, loadInput, toNiftiAffine, type InputImage } from '../images.js';

export const APPLY_USAGE = `usage: diffeo apply --mapping PREFIX --moving M.nii[.gz] --out W.nii[.gz] [options]

Warps an image with a mapping saved by "diffeo register": by default the moving image onto
the static grid; with --inverse, an image in the static space onto the moving grid. The
image is sampled through its own affine, so any image in the same world space works.

  --mapping PREFIX                the mapping (PREFIX.nii.gz, or the file name itself)
  --moving M.nii.gz               the image to warp
  --out W.nii.gz                  the output
  --inverse                       apply the inverse mapping (static space -> moving grid)
  --domain D.nii.gz               for a DIPY write_mapping file: its domain image (for DIPY's
                                  SyN, the moving image), as DIPY's read_mapping needs it
  --codomain C.nii.gz             for a DIPY file: its codomain image (DIPY's SyN: the static one)
  --prealign A.txt                for a DIPY file: the map's prealign, 4x4 text rows (default
                                  identity; DIPY's files do not store it)
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
    domain: { type: 'string' },
    codomain: { type: 'string' },
    prealign: { type: 'string' },
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

  const domain = v.domain === undefined ? undefined : await gridOf(abs(v.domain), '--domain');
  const codomain = v.codomain === undefined ? undefined : await gridOf(abs(v.codomain), '--codomain');
  const prealign = v.prealign === undefined ? undefined : await readPrealign(abs(v.prealign), 3);
  let map: Awaited<ReturnType<typeof loadMapping>>;
  try {
    map = await loadMapping(mappingPath, { domain, codomain, prealign });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT') throw new CliError(`--mapping ${mappingPath}: no such file (looked for ${mappingFilePath(mappingPath)})`);
    const msg = errorText(e);
    throw new CliError(msg.includes(mappingPath) ? `--mapping ${msg}` : `--mapping ${mappingPath}: ${msg}`);
  }
  let image: InputImage = await loadInput(imagePath, '--moving', volIdx);
  if (image.dim === 2 && map.dim === 3 && image.fileShape.length === 3) {
    // A one-slice image with a 3D map (DIPY's maps are 3D): warp it as the 3D volume it is.
    image = { ...image, dim: 3 as Dim, shape: image.fileShape, gridToWorld: image.fileAffine };
  }
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
  await saveNifti(out, { data: warpedData, shape: Array.from(outShape) }, toNiftiAffine(outG2W, map.dim), { overwrite: force });
  if (v.quiet !== true) {
    console.log(`diffeo apply: warped ${image.path} with ${inverse ? 'the inverse of ' : ''}${mappingFilePath(mappingPath)} (${interpolation}) onto the ${inverse ? 'moving' : 'static'} grid (${Array.from(outShape).join('x')}); wrote ${out}`);
  }
}

/** The grid (spatial shape, 4×4 affine) of a NIfTI image, for a DIPY mapping file's domain or codomain. */
async function gridOf(path: string, role: string): Promise<MappingGrid> {
  try {
    const nii = await loadNifti(path);
    return { shape: nii.shape.slice(0, 3), gridToWorld: nii.affine };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new CliError(`${role} ${path}: no such file`);
    const msg = errorText(e);
    throw new CliError(msg.startsWith(path) ? `${role} ${msg}` : `${role} ${path}: ${msg}`);
  }
}
