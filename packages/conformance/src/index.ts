/**
 * @diffeo/conformance — test kits that every kernel backend and every
 * similarity metric runs from its own vitest suite.
 */
export { describeMetric, metricTestPair, metricTestInputs, METRIC_CHECKS, type MetricFactory, type MetricCheck, type DescribeMetricOptions, type MetricTestPair } from './metric.js';
export { describeBackend, KERNEL_NAMES } from './backend.js';
export type { BackendFactory, DescribeBackendOptions } from './backend.js';
export { kernelCases } from './kernel-cases.js';
export type { KernelCase, KernelCases } from './kernel-cases.js';
export { stressCases, stressScenarios } from './stress-cases.js';
export type { StressCases, StressScenario } from './stress-cases.js';
export { compareValues, numbersAgree, describeMismatch } from './compare.js';
export type { Mismatch } from './compare.js';
export { mulberry32, hashString, randomFloat32, smoothImage, smoothField, randomAffine, diagonalAffine } from './random.js';
export type { Random } from './random.js';
