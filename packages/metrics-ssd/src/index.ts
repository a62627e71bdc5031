/**
 * @diffeo/metrics-ssd — the sum-of-squared-differences similarity metric for
 * symmetric diffeomorphic registration (DIPY 1.6's `SSDMetric`): demons steps, and
 * Gauss-Newton steps solved by a multigrid V-cycle (Bruhn & Weickert).
 */
export {
  SSDMetric,
  ssdMetric,
  SSD_STEP_TYPES,
  type SSDMetricOptions,
  type SSDStepType,
  type ResolvedSSDMetricOptions,
} from './ssd-metric.js';
export { vCycle2d, vCycle3d, ssdEnergy, VCycleScratch } from './v-cycle.js';
