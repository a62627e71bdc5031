import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decode } from 'fast-png';
import { FileExistsError } from '@diffeo/core';
import { createRgbaImage } from '@diffeo/regtools-viz';
import { writePng } from '@diffeo/regtools-viz/node';

describe('writePng', () => {
  it('writes a PNG, refuses to overwrite unless asked, and leaves no temporary files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'regtools-viz-'));
    const path = join(dir, 'fig.png');
    const red = createRgbaImage(3, 2, [255, 0, 0]);
    await writePng(path, red);
    const a = decode(readFileSync(path));
    expect([a.width, a.height]).toEqual([3, 2]);
    expect(Array.from(a.data.subarray(0, 4))).toEqual([255, 0, 0, 255]);

    const blue = createRgbaImage(3, 2, [0, 0, 255]);
    await expect(writePng(path, blue)).rejects.toBeInstanceOf(FileExistsError);
    expect(Array.from(decode(readFileSync(path)).data.subarray(0, 4))).toEqual([255, 0, 0, 255]);

    await writePng(path, blue, { overwrite: true });
    expect(Array.from(decode(readFileSync(path)).data.subarray(0, 4))).toEqual([0, 0, 255, 255]);
    expect(readdirSync(dir)).toEqual(['fig.png']);
  });

  it('does not replace a non-PNG file that is in the way', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'regtools-viz-'));
    const path = join(dir, 'keep.png');
    writeFileSync(path, 'precious');
    await expect(writePng(path, createRgbaImage(1, 1))).rejects.toThrow(/already exists/);
    expect(readFileSync(path, 'utf8')).toBe('precious');
    expect(readdirSync(dir)).toEqual(['keep.png']);
  });
});
