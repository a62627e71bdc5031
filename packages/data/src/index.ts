/**
 * @diffeo/data — the sample images of DIPY's registration examples, shipped
 * with the package (no download), like DIPY's `get_fnames`.
 *
 * | name | file | content |
 * |---|---|---|
 * | `reg_o` | reg_o.npy | DIPY's `circle.npy`: 256×256 float32 binary disc (moving image of the circle-to-C example) |
 * | `reg_c` | reg_c.npy | DIPY's `C.npy`: 256×256 float32 binary "C" (static image of the circle-to-C example) |
 * | `S0_10slices` | S0_10slices.nii.gz | DIPY's bundled b0 volume, 128×128×10×1 uint16, 2×2×32 mm-ish sheared affine |
 * | `t1_coronal_slice` | t1_coronal_slice.npy | DIPY's 256×256 float64 T1 coronal slice in [0, 1] |
 *
 * Where each file comes from is recorded in the package's SOURCES.md.
 */

/** Names of the bundled samples. */
export type SampleName = 'reg_o' | 'reg_c' | 'S0_10slices' | 't1_coronal_slice';

const FILES: Record<SampleName, string> = {
  reg_o: 'reg_o.npy',
  reg_c: 'reg_c.npy',
  S0_10slices: 'S0_10slices.nii.gz',
  t1_coronal_slice: 't1_coronal_slice.npy',
};

/** All sample names. */
export const sampleNames: readonly SampleName[] = Object.keys(FILES) as SampleName[];

/**
 * URL of a bundled sample file, resolved next to this module (works in Node, and in
 * browsers with bundlers that understand `new URL(..., import.meta.url)`).
 * @throws Error for an unknown name (the message lists the valid ones).
 */
export function sampleUrl(name: SampleName): URL {
  const file = FILES[name];
  if (!file) throw new Error(`unknown sample '${String(name)}'; available: ${sampleNames.join(', ')}`);
  return new URL(`../files/${file}`, import.meta.url);
}
