/**
 * Similarity metrics by name, as DIPY's `syn_registration(metric='CC' | 'SSD' | 'EM')`
 * chooses them (case-insensitive): `'cc'` = {@link ccMetric} (local cross-correlation),
 * `'ssd'` = {@link ssdMetric} (sum of squared differences, demons or Gauss-Newton
 * steps), `'em'` = {@link emMetric} (expectation-maximisation, multimodal) and `'mi'` =
 * {@link miMetric} (Parzen mutual information, multimodal; not in DIPY 1.6). Options are
 * the metrics' keyword arguments in camelCase; units are voxels of the current pyramid level.
 */
import { InvalidArgumentError, type Dim, type SimilarityMetric } from '@diffeo/core';
import { ccMetric, type CCMetricOptions } from '@diffeo/metrics-cc';
import { emMetric, type EMMetricOptions } from '@diffeo/metrics-em';
import { miMetric, type MIMetricOptions } from '@diffeo/metrics-mi';
import { ssdMetric, type SSDMetricOptions } from '@diffeo/metrics-ssd';

/** Metric names {@link metricByName} knows (case-insensitive, like DIPY's). */
export type MetricName = 'cc' | 'ssd' | 'em' | 'mi' | 'CC' | 'SSD' | 'EM' | 'MI';

/**
 * The options of every named metric: CC's `sigmaDiff`, `radius`; SSD's `smooth`, `innerIter`,
 * `stepType`; EM's `smooth`, `innerIter`, `qLevels`, `doubleGradient`, `stepType`; MI's `nbins`, `smooth`.
 */
export interface MetricOptions extends CCMetricOptions, SSDMetricOptions, Omit<EMMetricOptions, 'smooth' | 'innerIter' | 'stepType'>,
  Omit<MIMetricOptions, 'smooth'> {}

type Key = 'cc' | 'ssd' | 'em' | 'mi';

/** The option names of each metric. */
export const METRIC_OPTIONS: Readonly<Record<Key, readonly (keyof MetricOptions)[]>> = {
  cc: ['sigmaDiff', 'radius'],
  ssd: ['smooth', 'innerIter', 'stepType'],
  em: ['smooth', 'innerIter', 'qLevels', 'doubleGradient', 'stepType'],
  mi: ['nbins', 'smooth'],
};

/**
 * The metric called `name` for images of dimension `dim`.
 * @param options - options of that metric; `undefined` entries take the metric's defaults.
 * @throws {InvalidArgumentError} unknown name, or an option of another metric (for example
 *   `radius` with `'ssd'`); the metric's own errors for bad values.
 */
export function metricByName<D extends Dim>(name: MetricName, dim: D, options: MetricOptions = {}): SimilarityMetric<D> {
  const key = (typeof name === 'string' ? name.toLowerCase() : '') as Key;
  if (!(key in METRIC_OPTIONS)) {
    throw new InvalidArgumentError(`unknown metric ${JSON.stringify(name)}; use 'cc' (cross-correlation), 'ssd' (sum of squared differences), 'em' (expectation-maximisation) or 'mi' (mutual information), or pass a metric object such as ccMetric(${dim}).`);
  }
  for (const [k, v] of Object.entries(options)) {
    if (v !== undefined && !METRIC_OPTIONS[key].includes(k as keyof MetricOptions)) {
      throw new InvalidArgumentError(`option ${k} does not apply to the ${key} metric (its options: ${METRIC_OPTIONS[key].join(', ')}).`);
    }
  }
  if (key === 'cc') return ccMetric(dim, { sigmaDiff: options.sigmaDiff, radius: options.radius });
  if (key === 'em') {
    return emMetric(dim, {
      smooth: options.smooth, innerIter: options.innerIter, qLevels: options.qLevels, doubleGradient: options.doubleGradient, stepType: options.stepType,
    });
  }
  if (key === 'mi') {
    const o: MIMetricOptions = {};
    if (options.nbins !== undefined) o.nbins = options.nbins;
    if (options.smooth !== undefined) o.smooth = options.smooth;
    return miMetric(dim, o);
  }
  return ssdMetric(dim, { smooth: options.smooth, innerIter: options.innerIter, stepType: options.stepType });
}
