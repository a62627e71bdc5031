import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('./main.ts', import.meta.url));
const run = (args: string[], env: NodeJS.ProcessEnv = process.env) =>
  spawnSync(process.execPath, ['--conditions=@diffeo/source', '--import', 'tsx', main, ...args], { encoding: 'utf8', env });
const S0 = fileURLToPath(new URL('../../../packages/data/files/S0_10slices.nii.gz', import.meta.url));

describe('b0-slices demo', () => {
  it('writes the input, per-level, lattice and result figures and improves NCC as DIPY does (0.547 -> 0.844)', () => {
    const out = mkdtempSync(join(tmpdir(), 'b0-'));
    try {
      const r = run(['--out', out]);
      expect(r.status, r.stderr).toBe(0);
      for (const f of ['t1_slices_input.png', 't1_slices_level_2.png', 't1_slices_level_1.png', 't1_slices_level_0.png',
        'diffeomorphic_map_b0s.png', 't1_slices_res.png', 't1_slices_res2.png']) {
        expect(existsSync(join(out, f)), f).toBe(true);
      }
      // DIPY 1.6 on the same slices (fixture e2e_s0_b0_cc): NCC in the static mask 0.5472 -> 0.8437, iterations [24, 50, 25]
      expect(r.stdout).toMatch(/\[24, 50, 25\]/);
      const m = /before (\d\.\d+), after (\d\.\d+)/.exec(r.stdout)!;
      expect(Math.abs(Number(m[1]) - 0.5472276683508964)).toBeLessThan(1e-3);
      expect(Math.abs(Number(m[2]) - 0.8437311106747023)).toBeLessThan(1e-3);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
  it('prints a one-line error and exits non-zero for a wrong path', () => {
    const r = run(['/definitely/not/here.nii.gz', '--out', join(tmpdir(), 'b0-never')]);
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/not\/here\.nii\.gz/);
    expect(existsSync(join(tmpdir(), 'b0-never'))).toBe(false);
  });

  it('takes options after pnpm\'s "--" and resolves relative paths against the folder the command was typed in (INIT_CWD)', () => {
    const user = mkdtempSync(join(tmpdir(), 'b0-user-'));
    try {
      mkdirSync(join(user, 'in'));
      copyFileSync(S0, join(user, 'in', 'b0.nii.gz'));
      // as `pnpm demo:b0 -- in/b0.nii.gz --static-slice 5 --moving-slice 3 --out figs` typed in `user`
      const r = run(['--', 'in/b0.nii.gz', '--static-slice', '5', '--moving-slice', '3', '--out', 'figs'], { ...process.env, INIT_CWD: user });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toContain(`b0 slices 5 (static) and 3 (moving) of ${join(user, 'in', 'b0.nii.gz')}`);
      expect(existsSync(join(user, 'figs', 't1_slices_res.png'))).toBe(true);
    } finally {
      rmSync(user, { recursive: true, force: true });
    }
  });
});
