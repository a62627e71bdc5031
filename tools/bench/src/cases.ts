/**
 * The benchmark cases. Each case writes its inputs as `.npy` files and its
 * parameters as `params.json` into its own directory; every implementation (the
 * diffeo child and the DIPY script) reads exactly those bytes and parameters.
 *
 * Parameters use DIPY's names (as the fixture manifest does) and are always
 * complete: every SyN and metric parameter is written out, defaults included, so
 * no side relies on its own defaults. Grid-to-world matrices are (d+1)×(d+1)
 * row-major nested lists (`null` = identity); images are C-ordered arrays on their
 * grids, labels are unsigned integers.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseNpy, serializeNpy, type NpyArray, type NpyData } from '@diffeo/io';
import { START_PARALLEL_WORK } from '@diffeo/wasm-kernels';
import { syntheticPair } from './synthetic.js';
import { parseNpz } from './npz.js';

/** Metric parameters with DIPY's names. */
export interface MetricParams {
  metric: 'SSD' | 'CC' | 'EM' | 'MI';
  dim: 2 | 3;
  /** CC: standard deviation of the Gaussian smoothing of the step (voxels). */
  sigma_diff?: number;
  /** CC: half-width of the correlation window (voxels). */
  radius?: number;
  /** SSD, EM: regularisation weight (demons: smoothing sigma). */
  smooth?: number;
  /** SSD, EM: iterations of the step solver. */
  inner_iter?: number;
  /** SSD, EM: `demons` or `gauss_newton`. */
  step_type?: 'demons' | 'gauss_newton';
  /** EM: quantisation levels. */
  q_levels?: number;
  /** EM: add the class-mean gradients. */
  double_gradient?: boolean;
  /** MI: histogram bins per image. */
  nbins?: number;
}

/** SyN parameters with DIPY's names, all given. */
export interface SynParams {
  level_iters: number[];
  step_length: number;
  ss_sigma_factor: number;
  opt_tol: number;
  inv_iter: number;
  inv_tol: number;
  /**
   * diffeo only (`SynOptions.inversionMode`; DIPY has no such option and its script
   * ignores the key): set by `pnpm bench --syn-inversion-mode`, absent = DIPY's four inversions.
   */
  inversion_mode?: 'dipy' | 'backward-only';
}

/**
 * Affine-registration parameters with DIPY's names (`AffineRegistration`, `MutualInformationMetric`),
 * all given. A case with them runs the affine pipeline instead of SyN (`metric`/`syn` are then unused).
 */
export interface AffineParams {
  /** Stages in order, DIPY's names: `center_of_mass`, `translation`, `rigid`, `affine`. */
  pipeline: string[];
  nbins: number;
  /** null = dense sampling. */
  sampling_proportion: number | null;
  level_iters: number[];
  sigmas: number[];
  factors: number[];
}

/** DIPY 1.6's affine defaults (`affine_registration`). */
export const AFFINE_DEFAULTS: AffineParams = {
  pipeline: ['center_of_mass', 'translation', 'rigid', 'affine'], nbins: 32, sampling_proportion: null,
  level_iters: [10000, 1000, 100], sigmas: [3, 1, 0], factors: [4, 2, 1],
};

/** The contents of a case's `params.json`, read by both implementations. */
export interface BenchParams {
  metric: MetricParams;
  syn: SynParams;
  /** When given, the case is an affine registration with these parameters (see {@link AffineParams}). */
  affine?: AffineParams;
  static_grid2world: number[][] | null;
  moving_grid2world: number[][] | null;
  prealign: number[][] | null;
  /** File names (in the case directory) of the inputs; `moving_labels` is warped with nearest neighbour after registration. */
  inputs: { static: string; moving: string; moving_labels: string | null };
}

/** How the bench scores the warped moving image (see quality.ts). File names are in the case directory. */
export type QualitySpec =
  | { kind: 'binary-dice'; threshold: number }
  | { kind: 'ncc'; mask: string | null }
  | { kind: 'label-dice'; staticLabels: string; movingLabels: string; labels: number[] | null };

/** A case ready to run: inputs written, parameters fixed. */
export interface PreparedCase {
  name: string;
  /** e.g. `128×128×96`. */
  size: string;
  voxels: number;
  /** The case directory holding `params.json` and the inputs. */
  dir: string;
  params: BenchParams;
  quality: QualitySpec;
  /** Short name of the quality score for the table. */
  qualityName: string;
  notes: string[];
}

/** Options passed to a case's preparation. */
export interface PrepareOptions {
  /** The `--data` directory (the shared benchmark data), or null when not given. */
  dataDir: string | null;
}

/** A benchmark case definition. */
export interface CaseDef {
  name: string;
  description: string;
  /** Needs `--data`; skipped with a note otherwise. */
  requiresData: boolean;
  /** Part of the default selection (when `--cases` is not given). */
  byDefault: boolean;
  prepare(dir: string, options: PrepareOptions): Promise<PreparedCase>;
  /** Set when DIPY 1.6 cannot run the case (the reason shown in the table's DIPY column). */
  noDipy?: string;
}

/** Thrown by `prepare` when a case cannot run here (missing data); the row is kept with the reason. */
export class SkipCase extends Error {}

/** DIPY's SyN defaults. */
export const SYN_DEFAULTS: Omit<SynParams, 'level_iters'> = { step_length: 0.25, ss_sigma_factor: 0.2, opt_tol: 1e-5, inv_iter: 20, inv_tol: 1e-3 };

/** Fills DIPY's metric defaults (CC: sigma_diff 2, radius 4; SSD: smooth 4, inner_iter 10, demons; EM: smooth 1, inner_iter 5, q_levels 256, double gradient, gauss_newton). */
export function completeMetric(m: { metric: string; dim: number; [k: string]: unknown }): MetricParams {
  const dim = m.dim === 2 ? 2 : 3;
  const num = (k: string, d: number): number => (typeof m[k] === 'number' ? (m[k] as number) : d);
  if (m.metric === 'CC') return { metric: 'CC', dim, sigma_diff: num('sigma_diff', 2.0), radius: num('radius', 4) };
  if (m.metric === 'SSD') {
    return { metric: 'SSD', dim, smooth: num('smooth', 4), inner_iter: num('inner_iter', 10), step_type: m.step_type === 'gauss_newton' ? 'gauss_newton' : 'demons' };
  }
  if (m.metric === 'EM') {
    return {
      metric: 'EM', dim, smooth: num('smooth', 1), inner_iter: num('inner_iter', 5), q_levels: num('q_levels', 256),
      double_gradient: typeof m.double_gradient === 'boolean' ? m.double_gradient : true,
      step_type: m.step_type === 'demons' ? 'demons' : 'gauss_newton',
    };
  }
  if (m.metric === 'MI') return { metric: 'MI', dim, nbins: num('nbins', 32), smooth: num('smooth', 2) };
  throw new Error(`unsupported metric ${String(m.metric)} (the bench knows SSD, CC, EM and MI).`);
}

/** The repository root (tools/bench/src → ../../..). */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

function writeNpy(dir: string, file: string, data: NpyData, shape: readonly number[]): string {
  writeFileSync(join(dir, file), serializeNpy(data, shape));
  return file;
}

function readNpy(path: string): NpyArray {
  const b = readFileSync(path);
  return parseNpy(new Uint8Array(b.buffer, b.byteOffset, b.byteLength), path);
}

/** `128×128×96`. */
export function sizeLabel(shape: readonly number[]): string {
  return shape.join('×');
}

/** Writes a case's `params.json` (read by both children). */
export function writeParams(dir: string, params: BenchParams): void {
  writeFileSync(join(dir, 'params.json'), JSON.stringify(params, null, 2));
}

function isBinary(data: ArrayLike<number>): boolean {
  for (let i = 0; i < data.length; i++) if (data[i] !== 0 && data[i] !== 1) return false;
  return true;
}

interface ManifestCaseLike {
  name: string;
  params: { metric: { metric: string; dim: number; [k: string]: unknown }; syn: Record<string, unknown>; syn_defaults_used?: Record<string, unknown>; static_grid2world: number[][] | null; moving_grid2world: number[][] | null; prealign: number[][] | null };
  inputs: Record<string, { file: string }>;
  outputs: Record<string, { file: string }>;
}

/** A case taken from the in-repo DIPY fixture manifest: its inputs, parameters and affines. */
function manifestCase(name: string, manifestName: string, description: string): CaseDef {
  return {
    name,
    description,
    requiresData: false,
    byDefault: true,
    async prepare(dir) {
      const root = join(REPO_ROOT, 'fixtures', 'reference');
      const manifest = JSON.parse(readFileSync(join(root, 'manifest.json'), 'utf8')) as { cases: ManifestCaseLike[] };
      const c = manifest.cases.find((x) => x.name === manifestName);
      if (!c) throw new SkipCase(`case ${manifestName} is not in fixtures/reference/manifest.json`);
      const p = c.params;
      const syn = { ...SYN_DEFAULTS, ...(p.syn_defaults_used ?? {}), ...p.syn } as Record<string, unknown>;
      const params: BenchParams = {
        metric: completeMetric(p.metric),
        syn: {
          level_iters: syn.level_iters as number[],
          step_length: syn.step_length as number,
          ss_sigma_factor: syn.ss_sigma_factor as number,
          opt_tol: syn.opt_tol as number,
          inv_iter: syn.inv_iter as number,
          inv_tol: syn.inv_tol as number,
        },
        static_grid2world: p.static_grid2world,
        moving_grid2world: p.moving_grid2world,
        prealign: p.prealign,
        inputs: { static: 'static.npy', moving: 'moving.npy', moving_labels: null },
      };
      // Copy the fixture bytes unchanged (dtype included: uint16 inputs stay uint16, optimize casts them).
      writeFileSync(join(dir, 'static.npy'), readFileSync(join(root, c.inputs.static.file)));
      writeFileSync(join(dir, 'moving.npy'), readFileSync(join(root, c.inputs.moving.file)));
      const stat = readNpy(join(dir, 'static.npy'));
      let quality: QualitySpec;
      let qualityName: string;
      const maskEntry = c.inputs.mask_static ?? c.outputs.foreground_static;
      if (maskEntry) {
        writeFileSync(join(dir, 'mask.npy'), readFileSync(join(root, maskEntry.file)));
        quality = { kind: 'ncc', mask: 'mask.npy' };
        qualityName = c.inputs.mask_static ? 'NCC in mask' : 'NCC in Otsu fg';
      } else if (isBinary(stat.data)) {
        quality = { kind: 'binary-dice', threshold: 0.5 };
        qualityName = 'Dice (>0.5)';
      } else {
        quality = { kind: 'ncc', mask: null };
        qualityName = 'NCC';
      }
      writeParams(dir, params);
      return { name, size: sizeLabel(stat.shape), voxels: stat.data.length, dir, params, quality, qualityName, notes: [] };
    },
  };
}

/**
 * A T2-like contrast for the T1-like phantom (see synthetic.ts): piecewise linear
 * through (intensity → new intensity) knots, not monotonic (CSF and ventricles turn
 * bright, white matter darker than grey matter, skull dark); values ≤ 0.05 (air)
 * become 0, the EM metric's background.
 */
export function t2LikeRemap(v: number): number {
  const knots: [number, number][] = [[0.05, 0], [0.1, 0.9], [0.15, 1.0], [0.3, 0.2], [0.55, 0.6], [0.65, 0.55], [0.85, 0.35], [1.5, 0.3]];
  if (v <= knots[0][0]) return 0;
  for (let i = 1; i < knots.length; i++) {
    const [x1, y1] = knots[i];
    if (v <= x1) {
      const [x0, y0] = knots[i - 1];
      return y0 + ((v - x0) / (x1 - x0)) * (y1 - y0);
    }
  }
  return knots[knots.length - 1][1];
}

/**
 * A synthetic 2D or 3D case (see synthetic.ts), identity grid-to-world. With
 * `multimodal`, the moving image gets the T2-like contrast {@link t2LikeRemap}.
 */
function syntheticCase(name: string, shape: number[], levelIters: number[], byDefault: boolean, metric: MetricParams,
  multimodal = false): CaseDef {
  return {
    name,
    description: `synthetic brain-like phantom ${sizeLabel(shape)} vs the same warped by a smooth known field${multimodal ? ' with a T2-like contrast' : ''}; ${metric.metric} ${JSON.stringify(levelIters)}; tissue-label Dice`,
    requiresData: false,
    byDefault,
    async prepare(dir) {
      const pair = syntheticPair(shape);
      const moving = multimodal ? pair.moving.map(t2LikeRemap) : pair.moving;
      writeNpy(dir, 'static.npy', pair.static, shape);
      writeNpy(dir, 'moving.npy', moving, shape);
      writeNpy(dir, 'static_labels.npy', pair.staticLabels, shape);
      writeNpy(dir, 'moving_labels.npy', pair.movingLabels, shape);
      const params: BenchParams = {
        metric,
        syn: { level_iters: levelIters, ...SYN_DEFAULTS },
        static_grid2world: null,
        moving_grid2world: null,
        prealign: null,
        inputs: { static: 'static.npy', moving: 'moving.npy', moving_labels: 'moving_labels.npy' },
      };
      writeParams(dir, params);
      return {
        name, size: sizeLabel(shape), voxels: pair.static.length, dir, params,
        quality: { kind: 'label-dice', staticLabels: 'static_labels.npy', movingLabels: 'moving_labels.npy', labels: null },
        qualityName: 'label Dice (6)', notes: [],
      };
    },
  };
}

/** Loads an image or label volume from the data folder: `.npy` directly, NIfTI through @diffeo/io (data in nibabel order). */
async function loadVolume(path: string): Promise<{ data: NpyData; shape: number[] }> {
  if (!existsSync(path)) throw new SkipCase(`missing data file ${path}`);
  if (path.endsWith('.npy')) {
    const a = readNpy(path);
    return { data: a.data, shape: a.shape };
  }
  const { loadNifti } = await import('@diffeo/io');
  const v = await loadNifti(path);
  const shape = v.shape.slice(0, 3);
  const d = v.data;
  let data: NpyData;
  if (d instanceof Float32Array || d instanceof Uint8Array || d instanceof Uint16Array || d instanceof Int16Array || d instanceof Int32Array) data = d;
  else data = Float32Array.from(d as ArrayLike<number>);
  return { data, shape };
}

/**
 * A real brain pair from the `--data` folder (see its SOURCES.md, "Benchmark pairs"):
 * static ← moving with their label volumes, in voxel space (identity grid-to-world,
 * as the peers run them), CC defaults, level_iters [10,10,5]; scored by mean label
 * Dice after warping the moving labels with nearest neighbour.
 */
function brainCase(
  name: string,
  files: { static: string; moving: string; staticLabels: string; movingLabels: string },
  labelSource: { npz: string; key: string } | null,
  byDefault: boolean,
  what: string,
): CaseDef {
  return {
    name,
    description: `${what}; CC(3) defaults, level_iters [10,10,5], voxel space; mean label Dice`,
    requiresData: true,
    byDefault,
    async prepare(dir, { dataDir }) {
      if (!dataDir) throw new SkipCase('needs --data DIR (the shared benchmark data folder)');
      const st = await loadVolume(join(dataDir, files.static));
      const mv = await loadVolume(join(dataDir, files.moving));
      const sl = await loadVolume(join(dataDir, files.staticLabels));
      const ml = await loadVolume(join(dataDir, files.movingLabels));
      for (const v of [mv, sl, ml]) {
        if (v.shape.join() !== st.shape.join()) throw new SkipCase(`shapes differ (${st.shape} vs ${v.shape}); the bench expects a pair on one grid`);
      }
      const toF32 = (d: NpyData) => (d instanceof Float32Array ? d : Float32Array.from(d));
      writeNpy(dir, 'static.npy', toF32(st.data), st.shape);
      writeNpy(dir, 'moving.npy', toF32(mv.data), mv.shape);
      writeNpy(dir, 'static_labels.npy', sl.data, sl.shape);
      writeNpy(dir, 'moving_labels.npy', ml.data, ml.shape);
      const notes: string[] = [];
      let labels: number[] | null = null;
      if (labelSource) {
        const p = join(dataDir, labelSource.npz);
        if (existsSync(p)) {
          const b = readFileSync(p);
          const arr = parseNpz(new Uint8Array(b.buffer, b.byteOffset, b.byteLength), p)[labelSource.key];
          if (arr) labels = Array.from(arr.data as ArrayLike<number>);
        }
        if (!labels) notes.push(`label list ${labelSource.npz} not found: Dice over every non-zero label`);
      }
      const params: BenchParams = {
        metric: completeMetric({ metric: 'CC', dim: 3 }),
        syn: { level_iters: [10, 10, 5], ...SYN_DEFAULTS },
        static_grid2world: null,
        moving_grid2world: null,
        prealign: null,
        inputs: { static: 'static.npy', moving: 'moving.npy', moving_labels: 'moving_labels.npy' },
      };
      writeParams(dir, params);
      return {
        name, size: sizeLabel(st.shape), voxels: st.data.length, dir, params,
        quality: { kind: 'label-dice', staticLabels: 'static_labels.npy', movingLabels: 'moving_labels.npy', labels },
        qualityName: `label Dice (${labels ? labels.length : 'all'})`, notes,
      };
    },
  };
}

const CC3: MetricParams = completeMetric({ metric: 'CC', dim: 3 });

/**
 * An affine case from the in-repo affine fixtures (fixtures/affine, made by
 * tools/reference/python/make_affine_fixtures.py): the fixture's static and moving images
 * and grids, DIPY's affine defaults (`AFFINE_DEFAULTS`); scored by NCC of the warped moving image.
 */
function affineFixtureCase(name: string, fixture: string, description: string, byDefault = true): CaseDef {
  return {
    name,
    description,
    requiresData: false,
    byDefault,
    async prepare(dir) {
      const root = join(REPO_ROOT, 'fixtures', 'affine');
      const manifest = JSON.parse(readFileSync(join(root, 'manifest.json'), 'utf8')) as {
        cases: { name: string; params: { static_grid2world: number[][]; moving_grid2world: number[][] }; arrays: Record<string, { file: string }> }[];
      };
      const c = manifest.cases.find((x) => x.name === fixture);
      if (!c) throw new SkipCase(`case ${fixture} is not in fixtures/affine/manifest.json`);
      writeFileSync(join(dir, 'static.npy'), readFileSync(join(root, c.arrays.static.file)));
      writeFileSync(join(dir, 'moving.npy'), readFileSync(join(root, c.arrays.moving.file)));
      const stat = readNpy(join(dir, 'static.npy'));
      const dim = stat.shape.length as 2 | 3;
      const params: BenchParams = {
        metric: completeMetric({ metric: 'CC', dim }),
        syn: { level_iters: [], ...SYN_DEFAULTS },
        affine: { ...AFFINE_DEFAULTS },
        static_grid2world: c.params.static_grid2world,
        moving_grid2world: c.params.moving_grid2world,
        prealign: null,
        inputs: { static: 'static.npy', moving: 'moving.npy', moving_labels: null },
      };
      writeParams(dir, params);
      return {
        name, size: sizeLabel(stat.shape), voxels: stat.data.length, dir, params,
        quality: { kind: 'ncc', mask: null }, qualityName: 'NCC', notes: ['affine pipeline com,translation,rigid,affine (MI, DIPY defaults)',
          ...(stat.data.length >= START_PARALLEL_WORK ? ['wasm/browser: the worker threads are started before the timed call (WasmBackend.startThreads; the affine stage is synchronous)'] : [])],
      };
    },
  };
}

/** The DIPY column of the MI cases. */
const NO_DIPY_MI = 'DIPY 1.6 has no MI metric for SyN';

/** Every case, in table order. */
export const CASES: readonly CaseDef[] = [
  manifestCase('circle_to_c', 'e2e_circle_to_c_ssd', 'fixture e2e_circle_to_c_ssd: C ← circle, 256×256, SSD demons, level_iters [200,100,50,25], inv_iter 50'),
  manifestCase('s0_b0', 'e2e_s0_b0_cc', 'fixture e2e_s0_b0_cc: b0 slices, 128×128 uint16, CC(sigma_diff 3, radius 4), level_iters [100,50,25]'),
  manifestCase('aniso3d', 'e2e_aniso3d_cc_known', 'fixture e2e_aniso3d_cc_known: 77×77×40, CC(3), level_iters [10,10,5], grid2world diag(3,3,3)'),
  syntheticCase('synth128', [128, 128, 96], [10, 10, 5], true, CC3),
  syntheticCase('synth192', [192, 192, 192], [10, 10, 5], true, CC3),
  brainCase(
    'pairB_2mm',
    { static: 'derived/3d/vxm_2mm.npy', moving: 'derived/3d/fs_2mm.npy', staticLabels: 'derived/3d/vxm_seg_2mm.npy', movingLabels: 'derived/3d/fs_seg_2mm.npy' },
    { npz: 'orig/voxelmorph/labels.npz', key: 'labels' },
    true,
    'pairB 2 mm: voxelmorph subject ← FreeSurfer subject (affinely pre-aligned), 30 aseg labels',
  ),
  brainCase(
    'pairB_1mm',
    { static: 'derived/3d/vxm_1mm.nii.gz', moving: 'derived/3d/fs_affine_to_vxm_1mm.nii.gz', staticLabels: 'derived/3d/vxm_seg_1mm.nii.gz', movingLabels: 'derived/3d/fs_seg_affine_to_vxm_1mm.nii.gz' },
    { npz: 'orig/voxelmorph/labels.npz', key: 'labels' },
    true,
    'pairB 1 mm: voxelmorph subject ← FreeSurfer subject (affinely pre-aligned), 30 aseg labels',
  ),
  brainCase(
    'pairA_2mm',
    { static: 'derived/3d/mni_2mm.npy', moving: 'derived/3d/colin_2mm.npy', staticLabels: 'derived/3d/mnia_2mm.npy', movingLabels: 'derived/3d/colin_aal_2mm.npy' },
    null,
    false,
    'pairA 2 mm: MNI152 ← Colin27, 116 AAL labels',
  ),
  syntheticCase('tiny2d', [32, 32], [5, 5], false, completeMetric({ metric: 'CC', dim: 2, radius: 2 })),
  // EM (multimodal). The synthetic pairs use demons steps: DIPY's Gauss-Newton EM step
  // multiplies a difference in the other image's intensities by this image's gradient,
  // which points the wrong way where the intensity map decreases (as the T2-like one does).
  manifestCase('em_gn_3d', 'e2e_em_gn_3d', 'fixture e2e_em_gn_3d: 20×22×18 blobs vs a warped, remapped copy, EM(3) defaults, level_iters [8,4]'),
  syntheticCase('synth128_em', [128, 128, 96], [10, 10, 5], true, completeMetric({ metric: 'EM', dim: 3, step_type: 'demons', q_levels: 32 }), true),
  syntheticCase('tiny2d_em', [48, 48], [5, 5], false, completeMetric({ metric: 'EM', dim: 2, step_type: 'demons', q_levels: 32 }), true),
  // Affine (mutual information): DIPY's affine_registration defaults.
  affineFixtureCase('affine_b0_3d', 'pipeline_b0_3d',
    'affine fixture pipeline_b0_3d: 64×64×10 b0 (S0_10slices) ← affinely moved sqrt-intensity copy; com, translation, rigid, affine; MI(32) dense, level_iters [10000,1000,100]'),
  affineFixtureCase('affine_t1_2d', 'pipeline_t1_2d',
    'affine fixture pipeline_t1_2d: 128×128 T1 slice ← affinely moved copy on another grid; com, translation, rigid, affine; MI(32) dense, level_iters [10000,1000,100]', false),
  // MI (multimodal; @diffeo/metrics-mi defaults). DIPY 1.6 has no MI metric for SyN, so these run without DIPY.
  { ...syntheticCase('synth128_mi', [128, 128, 96], [10, 10, 5], true, completeMetric({ metric: 'MI', dim: 3 }), true), noDipy: NO_DIPY_MI },
  { ...syntheticCase('tiny2d_mi', [48, 48], [5, 5], false, completeMetric({ metric: 'MI', dim: 2 }), true), noDipy: NO_DIPY_MI },
];

/** Selects cases by name (comma-separated list, or `all`); default: those marked `byDefault`. */
export function selectCases(spec: string | undefined): CaseDef[] {
  if (!spec) return CASES.filter((c) => c.byDefault);
  if (spec === 'all') return [...CASES];
  const names = spec.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = names.filter((n) => !CASES.some((c) => c.name === n));
  if (unknown.length) throw new Error(`unknown case(s) ${unknown.join(', ')}; known: ${CASES.map((c) => c.name).join(', ')}`);
  return names.map((n) => CASES.find((c) => c.name === n)!);
}

/** Creates `dir` (recursively) and returns it. */
export function ensureDir(dir: string): string {
  mkdirSync(dir, { recursive: true });
  return dir;
}
