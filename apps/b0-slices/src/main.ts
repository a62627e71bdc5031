/**
 * The seed's second experiment (DIPY's `syn_registration_2d`, part 2) with
 * diffeo: load a b0 volume from NIfTI, mask it with median_otsu (radius 4,
 * 4 passes), take two slices, and register them with CC SyN (sigma_diff 3,
 * radius 4, levels [100, 50, 25]), writing an overlay at the end of every level.
 *
 *   pnpm --filter @diffeo/app-b0-slices start [b0.nii[.gz]] [--static-slice 6] [--moving-slice 4] [--vol-idx 0] [--out DIR] [--force]
 *
 * Without a path it uses DIPY's bundled S0_10slices.nii.gz (see @diffeo/data);
 * DIPY's own example uses slices 40 and 38 of the Stanford syn_data b0, which is
 * not available offline.
 */
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { loadNifti } from '@diffeo/io';
import { getFnames } from '@diffeo/data/node';
import { medianOtsu } from '@diffeo/median-otsu';
import { ccMetric } from '@diffeo/metrics-cc';
import { SymmetricDiffeomorphicRegistration, type RegistrationEvent } from '@diffeo/syn';
import { overlayImages, plot2dDiffeomorphicMap } from '@diffeo/regtools-viz';
import { writePng } from '@diffeo/regtools-viz/node';
import { ncc, type Dim, type NumericArray } from '@diffeo/core';
import { fail, prepareOutputDir, demoArgs, userPath } from '@diffeo/app-utils';

const LEVEL_ITERS = [100, 50, 25];

/** `vol[:, :, k]` of a C-ordered 3D volume of shape (n0, n1, n2), as float32. */
function sliceLastAxis(data: NumericArray, shape: readonly number[], k: number): Float32Array {
  const [n0, n1, n2] = shape;
  const out = new Float32Array(n0 * n1);
  for (let i = 0; i < n0; i++) for (let j = 0; j < n1; j++) out[i * n1 + j] = data[(i * n1 + j) * n2 + k];
  return out;
}

/** `vol[..., t]` of a C-ordered 4D volume, keeping its dtype. */
function volumeAt(data: NumericArray, shape: readonly number[], t: number): NumericArray {
  const [n0, n1, n2, n3] = shape;
  const n = n0 * n1 * n2;
  const out = new (data.constructor as new (n: number) => NumericArray)(n);
  for (let v = 0; v < n; v++) out[v] = data[v * n3 + t];
  return out;
}

function intOption(value: string | undefined, name: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) fail(`--${name} must be a non-negative integer; got ${value}`);
  return n;
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    args: demoArgs(),
    allowPositionals: true,
    options: {
      out: { type: 'string' },
      force: { type: 'boolean', default: false },
      'static-slice': { type: 'string', default: '6' },
      'moving-slice': { type: 'string', default: '4' },
      'vol-idx': { type: 'string', default: '0' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log('usage: b0-slices [b0.nii[.gz]] [--static-slice 6] [--moving-slice 4] [--vol-idx 0] [--out DIR] [--force]');
    return;
  }
  const path = positionals[0] === undefined ? getFnames('S0_10slices') : userPath(positionals[0]);
  const sIdx = intOption(values['static-slice'], 'static-slice');
  const mIdx = intOption(values['moving-slice'], 'moving-slice');
  const volIdx = intOption(values['vol-idx'], 'vol-idx');
  // --out is the user's path; by default the figures go to this app's out/ folder
  const out = values.out === undefined ? fileURLToPath(new URL('../out', import.meta.url)) : userPath(values.out);
  const levelFiles = LEVEL_ITERS.map((_, i) => `t1_slices_level_${LEVEL_ITERS.length - 1 - i}.png`);
  const figures = ['t1_slices_input.png', ...levelFiles, 'diffeomorphic_map_b0s.png', 't1_slices_res.png', 't1_slices_res2.png'];

  const nifti = await loadNifti(path).catch((e: unknown) => fail(`cannot read ${path}: ${e instanceof Error ? e.message : String(e)}`));
  let vol = nifti.data;
  let shape = nifti.shape;
  if (shape.length === 4) {
    if (volIdx >= shape[3]) fail(`--vol-idx ${volIdx} is out of range: ${path} has ${shape[3]} volumes`);
    vol = volumeAt(vol, shape, volIdx);
    shape = shape.slice(0, 3);
  }
  if (shape.length !== 3) fail(`${path} is ${shape.length}D; a 3D (or 4D) b0 volume is needed`);
  for (const [name, k] of [['static-slice', sIdx], ['moving-slice', mIdx]] as const) {
    if (k >= shape[2]) fail(`--${name} ${k} is out of range: the volume has ${shape[2]} slices along its last axis`);
  }
  prepareOutputDir(out, figures, values.force!);
  const write = (name: string, img: Parameters<typeof writePng>[1]) => writePng(join(out, name), img, { overwrite: values.force });

  // b0_mask, mask = median_otsu(data, median_radius=4, numpass=4)
  const { masked, mask } = medianOtsu({ data: vol, shape }, { medianRadius: 4, numpass: 4 });
  const sliceShape = [shape[0], shape[1]];
  const statik = { data: sliceLastAxis(masked.data, shape, sIdx), shape: sliceShape };
  const moving = { data: sliceLastAxis(masked.data, shape, mIdx), shape: sliceShape };
  const staticMask = sliceLastAxis(mask.data, shape, sIdx);

  write('t1_slices_input.png', overlayImages(statik, moving, { title0: 'Static', titleMid: 'Overlay', title1: 'Moving' }).figure);

  // At the end of every level, draw what the metric saw (DIPY's callback_CC).
  const onEvent = (e: RegistrationEvent<Dim>) => {
    if (e.stage === 'SCALE_END' && e.movingWarped && e.staticWarped) {
      const fig = overlayImages(e.movingWarped, e.staticWarped, { title0: 'Warped moving', titleMid: 'Overlay', title1: 'Warped static' }).figure;
      write(`t1_slices_level_${e.level}.png`, fig);
    }
  };
  const metric = ccMetric(2, { sigmaDiff: 3.0, radius: 4 });
  const sdr = new SymmetricDiffeomorphicRegistration(metric, { levelIters: LEVEL_ITERS, onEvent });
  const t0 = performance.now();
  const mapping = await sdr.optimize({ static: statik, moving });
  const seconds = (performance.now() - t0) / 1000;

  write('diffeomorphic_map_b0s.png', plot2dDiffeomorphicMap(mapping, { delta: 5 }).figure);
  const warped = { data: mapping.transform(moving).data as Float32Array, shape: sliceShape };
  write('t1_slices_res.png', overlayImages(statik, warped, { title0: 'Static', titleMid: 'Overlay', title1: 'Warped moving' }).figure);
  const invWarped = { data: mapping.transformInverse(statik).data as Float32Array, shape: sliceShape };
  write('t1_slices_res2.png', overlayImages(invWarped, moving, { title0: 'Warped static', titleMid: 'Overlay', title1: 'Moving' }).figure);

  const f = (x: number) => x.toFixed(4);
  console.log(`b0 slices ${sIdx} (static) and ${mIdx} (moving) of ${path}, CC SyN (sigma_diff 3, radius 4), levelIters [${LEVEL_ITERS.join(', ')}]`);
  console.log(`  iterations per level (coarsest first): [${sdr.iterationsPerLevel.join(', ')}]`);
  console.log(`  NCC inside the static slice's median_otsu mask: before ${f(ncc(statik.data, moving.data, staticMask))}, after ${f(ncc(statik.data, warped.data, staticMask))}`);
  console.log(`  registration time: ${seconds.toFixed(2)} s`);
  console.log(`  wrote ${figures.map((n) => join(out, n)).join(', ')}`);
}

main().catch(fail);
