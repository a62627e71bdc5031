import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('./main.ts', import.meta.url));
const run = (args: string[]) =>
  spawnSync(process.execPath, ['--conditions=@diffeo/source', '--import', 'tsx', main, ...args], { encoding: 'utf8' });

describe('circle-to-c demo', () => {
  it('writes the four figures, reports Dice >= 0.99, and refuses to overwrite without --force', () => {
    const out = mkdtempSync(join(tmpdir(), 'c2c-'));
    try {
      const r = run(['--out', out]);
      expect(r.status, r.stderr).toBe(0);
      for (const f of ['input_images.png', 'diffeomorphic_map.png', 'direct_warp_result.png', 'inverse_warp_result.png']) {
        const p = join(out, f);
        expect(existsSync(p)).toBe(true);
        expect(readFileSync(p).subarray(1, 4).toString('latin1')).toBe('PNG');
      }
      const dice = /after (\d\.\d+)/.exec(r.stdout);
      expect(Number(dice?.[1])).toBeGreaterThanOrEqual(0.99);
      const again = run(['--out', out]);
      expect(again.status).toBe(1);
      expect(again.stderr.trim().split('\n')).toHaveLength(1);
      expect(again.stderr).toMatch(/--force/);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
