/**
 * SyN with masks (`staticMask`, `movingMask`): input checks, a bright artefact outside
 * the mask that must not pull the warp (label overlap measured by Dice, written in
 * core's scores independently of SyN), the step being exactly zero outside the mask
 * (fields stay zero where no masked voxel is near), and the real masked 2D T1 pair of
 * fixtures/masks (greedy's test data).
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { EmptyImageError, ShapeMismatchError, dice, ncc } from '@diffeo/core';
import { parseNifti } from '@diffeo/io';
import { ssdMetric } from '@diffeo/metrics-ssd';
import { SymmetricDiffeomorphicRegistration } from '@diffeo/syn';

const N = 64;
function disk(cr: number, cc: number, r: number): Float32Array {
  const out = new Float32Array(N * N);
  for (let i = 0; i < N; i++) for (let j = 0; j < N; j++) if ((i - cr) ** 2 + (j - cc) ** 2 <= r * r) out[i * N + j] = 1;
  return out;
}
const img = (data: Float32Array) => ({ data, shape: [N, N] });

describe('SyN masks', () => {
  it('rejects a mask of the wrong shape and an empty mask (typed errors)', async () => {
    const s = disk(32, 30, 10), m = disk(32, 34, 10);
    const syn = new SymmetricDiffeomorphicRegistration(ssdMetric(2), { levelIters: [2] });
    await expect(syn.optimize({ static: img(s), moving: img(m), staticMask: { data: new Uint8Array(10), shape: [2, 5] } }))
      .rejects.toBeInstanceOf(ShapeMismatchError);
    await expect(syn.optimize({ static: img(s), moving: img(m), movingMask: { data: new Uint8Array(N * N), shape: [N, N] } }))
      .rejects.toBeInstanceOf(EmptyImageError);
  });

  it('a bright artefact outside the static mask does not pull the warp; the step is zero far from the mask', async () => {
    const label = disk(32, 30, 10);
    const stat = label.slice();
    // artefact: a bright block right of the disk, only in the static image
    for (let i = 26; i < 39; i++) for (let j = 41; j < 52; j++) stat[i * N + j] = 1;
    const moving = disk(32, 34, 10);
    // the mask: the disk's neighbourhood without the artefact
    const mask = disk(32, 30, 14);
    for (let i = 26; i < 39; i++) for (let j = 41; j < 52; j++) mask[i * N + j] = 0;
    const run = async (withMask: boolean) => {
      const syn = new SymmetricDiffeomorphicRegistration(ssdMetric(2), { levelIters: [40, 20] });
      const map = await syn.optimize({ static: img(stat), moving: img(moving), ...(withMask ? { staticMask: { data: mask, shape: [N, N] } } : {}) });
      const warped = map.transform(img(moving)).data;
      return { map, d: dice(warped, label) };
    };
    const plain = await run(false);
    const masked = await run(true);
    expect(masked.d).toBeGreaterThan(plain.d);
    expect(masked.d).toBeGreaterThan(0.9);
    // far (> 6 voxels) from the mask the fields never moved: exactly zero
    const far = disk(32, 30, 21);
    const f = masked.map.forward!;
    let maxFar = 0;
    for (let v = 0; v < N * N; v++) if (far[v] === 0) maxFar = Math.max(maxFar, Math.abs(f[2 * v]), Math.abs(f[2 * v + 1]));
    expect(maxFar).toBe(0);
  });

  it('registers the real masked T1 pair (greedy test data): NCC inside the mask improves', async () => {
    const read = (name: string) => {
      const im = parseNifti(readFileSync(fileURLToPath(new URL(`../../../fixtures/masks/${name}.nii.gz`, import.meta.url))));
      return { data: Float32Array.from(im.data as ArrayLike<number>), shape: im.shape.slice(0, 2), affine: im.affine };
    };
    const bl = read('t1longi_2d_bl'), fu = read('t1longi_2d_fu');
    const blMask = read('t1longi_2d_bl_mask'), fuMask = read('t1longi_2d_fu_mask');
    const syn = new SymmetricDiffeomorphicRegistration(ssdMetric(2), { levelIters: [20, 10] });
    const map = await syn.optimize({
      static: { data: bl.data, shape: bl.shape }, moving: { data: fu.data, shape: fu.shape },
      staticMask: { data: blMask.data, shape: blMask.shape }, movingMask: { data: fuMask.data, shape: fuMask.shape },
    });
    const warped = map.transform({ data: fu.data, shape: fu.shape }).data;
    expect(ncc(warped, bl.data, blMask.data)).toBeGreaterThan(ncc(fu.data, bl.data, blMask.data));
    expect(syn.fullEnergyProfile.every(Number.isFinite)).toBe(true);
  });
});
