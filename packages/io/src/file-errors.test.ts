/** File-system problems and unknown options give typed errors naming the user's path (issue 11 items 8, 12). */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FileAccessError, InvalidArgumentError } from '@diffeo/core';
import { loadMapping, loadNifti, parseNifti, saveNifti, serializeNpy } from '@diffeo/io';

const dir = mkdtempSync(join(tmpdir(), 'diffeo-io-errors-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const img = { data: new Uint8Array(8), shape: [2, 2, 2] };

describe('typed file errors', () => {
  it('saveNifti into a missing folder is a FileAccessError naming the file, not a temporary', async () => {
    const p = join(dir, 'missing', 'out.nii');
    const err = await saveNifti(p, img, null).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FileAccessError);
    expect((err as FileAccessError).path).toBe(p);
    expect((err as FileAccessError).systemCode).toBe('ENOENT');
    expect((err as Error).message).toContain(p);
    expect((err as Error).message).not.toMatch(/\.tmp/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('loadNifti and loadMapping of a missing file are FileAccessErrors', async () => {
    const p = join(dir, 'nope.nii.gz');
    await expect(loadNifti(p)).rejects.toBeInstanceOf(FileAccessError);
    await expect(loadNifti(p)).rejects.toThrow(/no such file/);
    await expect(loadMapping(p)).rejects.toBeInstanceOf(FileAccessError);
  });

  it('unknown option keys are refused with the nearest name', async () => {
    await expect(loadNifti(new Uint8Array(0), { returnimg: true } as never)).rejects.toThrow(/did you mean "returnImg"/);
    expect(() => parseNifti(new Uint8Array(0), { return_img: true } as never)).toThrow(InvalidArgumentError);
    await expect(saveNifti(join(dir, 'a.nii'), img, null, { overwrites: true } as never)).rejects.toThrow(/did you mean "overwrite"/);
    expect(() => serializeNpy(new Float32Array(2), [2], { bigendian: true } as never)).toThrow(/did you mean "bigEndian"/);
  });
});
