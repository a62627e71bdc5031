/**
 * @diffeo/metrics-mi — the mutual-information similarity metric for symmetric
 * diffeomorphic registration of images of different modalities: Parzen-window joint
 * histograms (forward and backward) and dense MI steps, energy −MI.
 */
export {
  MIMetric,
  miMetric,
  MI_MIN_NBINS,
  MI_MAX_NBINS,
  MI_OPTION_KEYS,
  type MIMetricOptions,
  type ResolvedMIMetricOptions,
} from './mi-metric.js';
