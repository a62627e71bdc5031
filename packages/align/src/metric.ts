/**
 * Similarity metrics by name, as DIPY's `syn_registration(metric='CC' | 'SSD')`
 * chooses them (case-insensitive): `'cc'` = {@link ccMetric} (local cross-correlation),
 * `'ssd'` = {@link ssdMetric} (sum of squared differences, demons or Gauss-Newton
 * steps). Options are DIPY's metric keyword arguments in camelCase; units are voxels
 * of the current pyramid level.
 */
import { InvalidArgumentError, type Dim, type SimilarityMetric } from '@diffeo/core';
import { ccMetric, type CCMetricOptions } from '@diffeo/metrics-cc';
import { ssdMetric, type SSDMetricOptions } from '@diffeo/metrics-ssd';

/** Metric names {@link metricByName} knows (case-insensitive, like DIPY's). */
export type MetricName = 'cc' | 'ssd' | 'CC' | 'SSD';

/** The options of every named metric: CC's `sigmaDiff`, `radius`; SSD's `smooth`, `innerIter`, `stepType`. */
export interface MetricOptions extends CCMetricOptions, SSDMetricOptions {}

const OWN: Record<'cc' | 'ssd', readonly (keyof MetricOptions)[]> = {
  cc: ['sigmaDiff', 'radius'],
  ssd: ['smooth', 'innerIter', 'stepType'],
};

/**
 * The metric called `name` for images of dimension `dim`.
 * @param options - options of that metric; `undefined` entries take the metric's (DIPY's) defaults.
 * @throws {InvalidArgumentError} unknown name, or an option of another metric (for example
 *   `radius` with `'ssd'`); the metric's own errors for bad values.
 */
export function metricByName<D extends Dim>(name: MetricName, dim: D, options: MetricOptions = {}): SimilarityMetric<D> {
  const key = typeof name === 'string' ? name.toLowerCase() : '';
  if (key !== 'cc' && key !== 'ssd') {
    throw new InvalidArgumentError(`unknown metric ${JSON.stringify(name)}; use 'cc' (cross-correlation) or 'ssd' (sum of squared differences), or pass a metric object such as ccMetric(${dim}).`);
  }
  for (const [k, v] of Object.entries(options)) {
    if (v !== undefined && !OWN[key].includes(k as keyof MetricOptions)) {
      throw new InvalidArgumentError(`option ${k} does not apply to the ${key} metric (its options: ${OWN[key].join(', ')}).`);
    }
  }
  if (key === 'cc') return ccMetric(dim, { sigmaDiff: options.sigmaDiff, radius: options.radius });
  return ssdMetric(dim, { smooth: options.smooth, innerIter: options.innerIter, stepType: options.stepType });
}
