/**
 * @diffeo/median-otsu — brain masking by median filtering and Otsu thresholding
 * (DIPY 1.6 `median_otsu`), the exact median filter (scipy `median_filter`, reflect
 * boundary) and scikit-image's Otsu threshold.
 */
export { medianOtsu } from './median-otsu.js';
export type { MedianOtsuInput, MedianOtsuOptions, MedianOtsuResult } from './median-otsu.js';
export { medianFilter } from './median-filter.js';
export type { MedianFilterOptions, VolumeInput, VolumeOutput } from './median-filter.js';
export { otsuThreshold, otsuFromHistogram } from './otsu.js';
export type { OtsuOptions } from './otsu.js';
