/**
 * Node helpers of @diffeo/data: file-system paths of the bundled samples.
 */
import { fileURLToPath } from 'node:url';
import { sampleUrl, type SampleName } from './index.js';

export { sampleNames, sampleUrl, type SampleName } from './index.js';

/** Absolute file-system path of a bundled sample (DIPY's `get_fnames`). */
export function getFnames(name: SampleName): string {
  return fileURLToPath(sampleUrl(name));
}
