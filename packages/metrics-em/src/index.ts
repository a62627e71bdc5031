/**
 * @diffeo/metrics-em — the expectation-maximisation similarity metric for
 * symmetric diffeomorphic registration of images of different modalities (DIPY
 * 1.6's `EMMetric`): intensity classes, per-class statistics, and demons or
 * Gauss-Newton (multigrid V-cycle) steps.
 */
export {
  EMMetric,
  emMetric,
  EM_STEP_TYPES,
  EM_MAX_Q_LEVELS,
  type EMMetricOptions,
  type EMStepType,
  type ResolvedEMMetricOptions,
} from './em-metric.js';
