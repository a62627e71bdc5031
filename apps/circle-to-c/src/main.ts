/**
 * The seed's first experiment (DIPY's `syn_registration_2d`, part 1), line for
 * line with diffeo: register the circle (moving) onto the C (static) with SSD
 * SyN, and write the four figures of the example.
 *
 *   pnpm --filter @diffeo/app-circle-to-c start [--out DIR] [--force]
 */
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseNpy } from '@diffeo/io';
import { getFnames } from '@diffeo/data/node';
import { ssdMetric } from '@diffeo/metrics-ssd';
import { SymmetricDiffeomorphicRegistration } from '@diffeo/syn';
import { overlayImages, plot2dDiffeomorphicMap } from '@diffeo/regtools-viz';
import { writePng } from '@diffeo/regtools-viz/node';
import { dice, ssd } from '@diffeo/core';
import { prepareOutputDir, fail, demoArgs, userPath } from '@diffeo/app-utils';

const FIGURES = ['input_images.png', 'diffeomorphic_map.png', 'direct_warp_result.png', 'inverse_warp_result.png'];

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: demoArgs(),
    options: {
      out: { type: 'string' },
      force: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log('usage: circle-to-c [--out DIR] [--force]\n  writes ' + FIGURES.join(', ') + ' to DIR (default ./out)');
    return;
  }
  // --out is the user's path; by default the figures go to this app's out/ folder
  const out = values.out === undefined ? fileURLToPath(new URL('../out', import.meta.url)) : userPath(values.out);
  prepareOutputDir(out, FIGURES, values.force!);

  // moving = circle, static = C (DIPY's get_fnames('reg_o') and get_fnames('reg_c'))
  const load = (name: 'reg_o' | 'reg_c') => {
    const a = parseNpy(readFileSync(getFnames(name)), name);
    return { data: Float32Array.from(a.data as ArrayLike<number>), shape: a.shape };
  };
  const moving = load('reg_o');
  const statik = load('reg_c');

  const input = overlayImages(statik, moving, { title0: 'Static', titleMid: 'Overlay', title1: 'Moving' });
  writePng(join(out, 'input_images.png'), input.figure, { overwrite: values.force });

  const metric = ssdMetric(2);
  const levelIters = [200, 100, 50, 25];
  const sdr = new SymmetricDiffeomorphicRegistration(metric, { levelIters, invIter: 50 });
  const t0 = performance.now();
  const mapping = await sdr.optimize({ static: statik, moving });
  const seconds = (performance.now() - t0) / 1000;

  const plot = plot2dDiffeomorphicMap(mapping, { delta: 10 });
  writePng(join(out, 'diffeomorphic_map.png'), plot.figure, { overwrite: values.force });

  const warpedMoving = { data: mapping.transform(moving).data as Float32Array, shape: statik.shape };
  const direct = overlayImages(statik, warpedMoving, { title0: 'Static', titleMid: 'Overlay', title1: 'Warped moving' });
  writePng(join(out, 'direct_warp_result.png'), direct.figure, { overwrite: values.force });

  const warpedStatic = { data: mapping.transformInverse(statik).data as Float32Array, shape: moving.shape };
  const inverse = overlayImages(warpedStatic, moving, { title0: 'Warped static', titleMid: 'Overlay', title1: 'Moving' });
  writePng(join(out, 'inverse_warp_result.png'), inverse.figure, { overwrite: values.force });

  const f = (x: number) => x.toFixed(4);
  console.log(`circle -> C, SSD SyN, levelIters [${levelIters.join(', ')}], invIter 50`);
  console.log(`  iterations per level (coarsest first): [${sdr.iterationsPerLevel.join(', ')}]`);
  console.log(`  Dice (mask > 0.5): before ${f(dice(statik.data, moving.data))}, after ${f(dice(statik.data, warpedMoving.data))}` +
    ` (inverse direction: ${f(dice(moving.data, warpedStatic.data))})`);
  console.log(`  SSD: before ${ssd(statik.data, moving.data).toFixed(2)}, after ${ssd(statik.data, warpedMoving.data).toFixed(2)}` +
    ` (inverse direction: ${ssd(moving.data, warpedStatic.data).toFixed(2)})`);
  console.log(`  deformed lattices: 2 float32 arrays of shape [${plot.forwardShape.join(', ')}] and [${plot.backwardShape.join(', ')}]`);
  console.log(`  registration time: ${seconds.toFixed(2)} s`);
  console.log(`  wrote ${FIGURES.map((n) => join(out, n)).join(', ')}`);
}

main().catch(fail);
