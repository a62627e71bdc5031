/**
 * @diffeo/metrics-cc — the local normalised cross-correlation similarity metric
 * for symmetric diffeomorphic registration (DIPY 1.6's `CCMetric`): window
 * correlations of radius `r` voxels, Avants' gradient steps, Gaussian-smoothed
 * by `sigmaDiff` voxels.
 */
export {
  CCMetric,
  ccMetric,
  type CCMetricOptions,
  type ResolvedCCMetricOptions,
} from './cc-metric.js';
