/**
 * `diffeo apply`: warps an image with a mapping saved by `diffeo register` (or by DIPY's
 * `write_mapping`, given `--domain` and `--codomain`), forward (moving -> static grid) by
 * default, `--inverse` for static -> moving grid. The image is sampled through its own
 * affine, so any image in the same world space works.
 * A 4D input without `--vol-idx` (a DWI or fMRI series) has every volume warped, like
 * `antsApplyTransforms -e 3`: streamed from the file one volume at a time
 * (`openNiftiSeries`), warped with `transformSeries`, appended to a 4D output
 * (`createNiftiSeriesWriter`, written atomically), so memory stays that of one volume.
 */
import { invertAffine, transformSeries, type DiffeomorphicMap, type Dim, type NumericArray } from '@diffeo/core';
import {
  createNiftiSeriesWriter, loadMapping, loadNifti, mappingFilePath, openNiftiSeries, serializeNifti, type MappingGrid, type NiftiSeriesReader,
} from '@diffeo/io';
import { OutputSet } from '../outputs.js';
import { abs, errorText, numberOption, parse, readPrealign, required } from '../args.js';
import { CliError, checkOutput, inPlaneAffine, loadInput, toNiftiAffine, type InputImage } from '../images.js';

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
  --vol-idx N                     warp only this volume of a 4D input (default: every volume,
                                  one at a time, into a 4D output, as antsApplyTransforms -e 3)
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
  // The output location is checked (and found writable) before any work; the output is
  // written to a temporary (streamed, for a 4D series) and moved into place at the end,
  // and SIGINT/SIGTERM remove the temporary (as `register`'s outputs).
  const outputs = await OutputSet.prepare([{ path: out, option: '--out' }], force);
  try {
    await applyInto(v, { mappingPath, imagePath, out, inverse, interpolation, force, quiet: v.quiet === true }, volIdx, outputs);
  } finally {
    await outputs.abort(); // a no-op after a successful commit
  }
}

async function applyInto(v: { domain?: string; codomain?: string; prealign?: string }, o: SeriesRun, volIdx: number | undefined,
  outputs: OutputSet): Promise<void> {
  const { mappingPath, imagePath, out, inverse, interpolation } = o;

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
  if (volIdx === undefined) {
    let series: NiftiSeriesReader | null = null;
    try {
      series = await openNiftiSeries(imagePath);
    } catch {
      series = null; // loadInput below gives the precise message
    }
    if (series !== null && series.count > 1) {
      await applySeries(map, series, o, outputs);
      return;
    }
    await series?.close();
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
  await outputs.stage(out, serializeNifti({ data: warpedData, shape: Array.from(outShape) }, toNiftiAffine(outG2W, map.dim), { gzip: out.toLowerCase().endsWith('.gz') }));
  await outputs.commit();
  if (!o.quiet) {
    console.log(`diffeo apply: warped ${image.path} with ${inverse ? 'the inverse of ' : ''}${mappingFilePath(mappingPath)} (${interpolation}) onto the ${inverse ? 'moving' : 'static'} grid (${Array.from(outShape).join('x')}); wrote ${out}`);
  }
}

/** The grid (spatial shape, 4×4 affine) of a NIfTI image, for a DIPY mapping file's domain or codomain (also used by `diffeo qc`). */
export async function gridOf(path: string, role: string): Promise<MappingGrid> {
  try {
    const nii = await loadNifti(path);
    return { shape: nii.shape.slice(0, 3), gridToWorld: nii.affine };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new CliError(`${role} ${path}: no such file`);
    const msg = errorText(e);
    throw new CliError(msg.startsWith(path) ? `${role} ${msg}` : `${role} ${path}: ${msg}`);
  }
}

interface SeriesRun {
  mappingPath: string;
  imagePath: string;
  out: string;
  inverse: boolean;
  interpolation: 'linear' | 'nearest';
  force: boolean;
  quiet: boolean;
}

/**
 * Warps every volume of a 4D series with the mapping, one volume in memory at a time:
 * read (streamed from the file), warped with `transformSeries`, appended to the 4D output
 * (written atomically once the last volume is in). The output keeps the series' `pixdim[4..7]`
 * (the TR) and units.
 */
async function applySeries(map: DiffeomorphicMap, series: NiftiSeriesReader, o: SeriesRun, outputs: OutputSet): Promise<void> {
  const [nx, ny, nz] = series.volumeShape;
  const dim = nz === 1 && map.dim === 2 ? 2 : 3;
  if (dim !== map.dim) {
    await series.close();
    throw new CliError(`dimension mismatch: the mapping ${mappingFilePath(o.mappingPath)} is ${map.dim}D but the volumes of --moving ${o.imagePath} are ${nz === 1 ? '2D' : '3D'} (${nx}x${ny}x${nz})`);
  }
  const toCodomain = map.isInverse !== o.inverse;
  const outShape = toCodomain ? map.codomainShape : map.domainShape;
  const outG2W = toCodomain ? map.codomainGridToWorld : map.domainGridToWorld;
  if (outShape === null) {
    await series.close();
    throw new CliError(`the mapping ${mappingFilePath(o.mappingPath)} has no ${toCodomain ? 'codomain' : 'domain'} shape to warp onto`);
  }
  const g2w = dim === 3 ? series.affine : inPlaneAffine(series.affine);
  const imageWorldToGrid = invertAffine(g2w, `the affine of ${o.imagePath}`);
  const spatial = dim === 3 ? [nx, ny, nz] : [nx, ny];
  const volumes = (async function* () {
    for await (const vol of series.volumes()) yield { data: vol.data, shape: spatial };
  })();
  const outVolumeShape = dim === 3 ? Array.from(outShape) : [...Array.from(outShape), 1];
  const pixdim = series.header.pixdim;
  // Streamed straight into the output set's temporary, which commit() moves into place.
  const staged = outputs.reserve(o.out);
  const writer = await createNiftiSeriesWriter(staged, outVolumeShape, series.count, toNiftiAffine(outG2W, map.dim), {
    atomic: false, pixdimExtra: [pixdim[4], pixdim[5], pixdim[6], pixdim[7]].map((x) => (Number.isFinite(x) && x !== 0 ? x : 1)),
    xyztUnits: series.header.xyztUnits,
  });
  let t = 0;
  try {
    for await (const warped of transformSeries(map, volumes, { interpolation: o.interpolation, imageWorldToGrid, inverse: o.inverse })) {
      await writer.write({ data: warped.data, shape: outVolumeShape });
      t++;
    }
    await writer.close();
  } catch (e) {
    await writer.abort();
    await series.close();
    throw new CliError(`--moving ${o.imagePath} (volume ${t}): ${errorText(e)}`);
  }
  await outputs.commit();
  if (!o.quiet) {
    console.log(`diffeo apply: warped the ${series.count} volumes of ${o.imagePath} one at a time with ${o.inverse ? 'the inverse of ' : ''}${mappingFilePath(o.mappingPath)} (${o.interpolation}) onto the ${o.inverse ? 'moving' : 'static'} grid (${outVolumeShape.join('x')}x${series.count}); wrote ${o.out}`);
  }
}
