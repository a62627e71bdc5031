/**
 * Outputs as a set (issue 11 item 5): checked before the work, written to temporaries,
 * moved into place together; nothing left behind on failure or SIGINT/SIGTERM.
 * Real files and a real child process receiving a real signal.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { OutputSet } from './outputs.js';

const root = mkdtempSync(join(tmpdir(), 'diffeo-outputs-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const folder = (): string => {
  const d = join(root, `case${n++}`);
  mkdirSync(d);
  return d;
};

describe('OutputSet', () => {
  it('writes every output or none, and leaves no temporary', async () => {
    const d = folder();
    const a = join(d, 'a.nii'), b = join(d, 'b.nii.gz');
    const set = await OutputSet.prepare([{ path: a, option: '--out-a' }, { path: b, option: '--out-b' }], false);
    await set.stage(a, new Uint8Array([1, 2, 3]));
    expect(existsSync(a)).toBe(false); // nothing visible before commit
    await set.stage(b, new Uint8Array([4]));
    await set.commit();
    expect([...readFileSync(a)]).toEqual([1, 2, 3]);
    expect([...readFileSync(b)]).toEqual([4]);
    expect(readdirSync(d).sort()).toEqual(['a.nii', 'b.nii.gz']);
  });

  it('refuses before any work: same path twice, an existing file without force, a missing folder', async () => {
    const d = folder();
    const a = join(d, 'a.nii');
    await expect(OutputSet.prepare([{ path: a, option: '--x' }, { path: a, option: '--y' }], false)).rejects.toThrow(/--x and --y name the same file/);
    writeFileSync(a, 'old');
    await expect(OutputSet.prepare([{ path: a, option: '--x' }], false)).rejects.toThrow(/--x .* already exists; pass --force/);
    await expect(OutputSet.prepare([{ path: join(d, 'no', 'a.nii'), option: '--x' }], false)).rejects.toThrow(/folder .* does not exist/);
    expect(readdirSync(d)).toEqual(['a.nii']);
    // with force, the existing file is replaced only at commit
    const set = await OutputSet.prepare([{ path: a, option: '--x' }], true);
    await set.stage(a, new Uint8Array([9]));
    expect(readFileSync(a, 'utf8')).toBe('old');
    await set.commit();
    expect([...readFileSync(a)]).toEqual([9]);
  });

  it('finds an unwritable folder up front and names the output, not a temporary', async () => {
    // /proc exists but takes no new files, even for root.
    const err = await OutputSet.prepare([{ path: '/proc/out.nii', option: '--out-warped' }], false).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/^--out-warped cannot write "\/proc\/out.nii"/);
    expect((err as Error).message).not.toMatch(/\.tmp/);
    if (process.getuid?.() !== 0) {
      const d = folder();
      chmodSync(d, 0o500);
      await expect(OutputSet.prepare([{ path: join(d, 'a.nii'), option: '--out' }], false)).rejects.toThrow(/--out cannot write .*permission denied/);
      chmodSync(d, 0o700);
    }
  });

  it('abort removes the temporaries; an output appearing meanwhile makes commit write nothing', async () => {
    const d = folder();
    const a = join(d, 'a.nii'), b = join(d, 'b.nii');
    let set = await OutputSet.prepare([{ path: a, option: '--a' }, { path: b, option: '--b' }], false);
    await set.stage(a, new Uint8Array([1]));
    await set.abort();
    expect(readdirSync(d)).toEqual([]);
    set = await OutputSet.prepare([{ path: a, option: '--a' }, { path: b, option: '--b' }], false);
    await set.stage(a, new Uint8Array([1]));
    await set.stage(b, new Uint8Array([2]));
    writeFileSync(b, 'someone else');
    await expect(set.commit()).rejects.toThrow(/--b .* appeared while this command ran; nothing was written/);
    expect(readdirSync(d)).toEqual(['b.nii']);
    expect(readFileSync(b, 'utf8')).toBe('someone else');
  });

  it('reserve: a streamed temporary named like its target is moved into place by commit, removed by abort', async () => {
    const d = folder();
    const a = join(d, 'a.nii.gz');
    let set = await OutputSet.prepare([{ path: a, option: '--out' }], false);
    let tmp = set.reserve(a);
    expect(tmp.endsWith('.nii.gz') && tmp !== a && tmp.startsWith(d)).toBe(true);
    writeFileSync(tmp, 'streamed');
    await set.commit();
    expect(readFileSync(a, 'utf8')).toBe('streamed');
    set = await OutputSet.prepare([{ path: join(d, 'b.nii'), option: '--out' }], false);
    tmp = set.reserve(join(d, 'b.nii'));
    expect(tmp.endsWith('.nii')).toBe(true);
    writeFileSync(tmp, 'half');
    await set.abort();
    expect(readdirSync(d)).toEqual(['a.nii.gz']);
  });

  it('SIGTERM while a reserved (streamed) temporary is being written removes it', async () => {
    const d = folder();
    const script = join(d, '..', 'child-reserve.mts');
    writeFileSync(script, `
import { writeFileSync } from 'node:fs';
import { OutputSet } from ${JSON.stringify(join(import.meta.dirname, 'outputs.ts'))};
const d = ${JSON.stringify(d)};
const set = await OutputSet.prepare([{ path: d + '/s.nii.gz', option: '--out' }], false);
writeFileSync(set.reserve(d + '/s.nii.gz'), new Uint8Array(1000));
process.stdout.write('staged\\n');
setInterval(() => {}, 1000);
`);
    const child = spawn(process.execPath, ['--conditions=@diffeo/source', '--import', 'tsx', script], { cwd: import.meta.dirname, stdio: ['ignore', 'pipe', 'pipe'] });
    await new Promise<void>((res, rej) => {
      child.stdout.on('data', (c: Buffer) => { if (c.toString().includes('staged')) res(); });
      child.on('exit', () => rej(new Error('child exited early')));
    });
    expect(readdirSync(d).length).toBe(1);
    const exit = new Promise<NodeJS.Signals | null>((res) => child.on('exit', (_code, sig) => res(sig)));
    child.kill('SIGTERM');
    expect(await exit).toBe('SIGTERM');
    expect(readdirSync(d)).toEqual([]);
  });

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`${signal} while outputs are staged removes the temporaries and writes nothing`, async () => {
      const d = folder();
      const script = join(d, '..', `child-${signal}.mts`);
      writeFileSync(script, `
import { OutputSet } from ${JSON.stringify(join(import.meta.dirname, 'outputs.ts'))};
const d = ${JSON.stringify(d)};
const set = await OutputSet.prepare([{ path: d + '/a.nii', option: '--a' }, { path: d + '/b.nii', option: '--b' }], false);
await set.stage(d + '/a.nii', new Uint8Array(1000));
process.stdout.write('staged\\n');
setInterval(() => {}, 1000);
`);
      const child = spawn(process.execPath, ['--conditions=@diffeo/source', '--import', 'tsx', script], { cwd: import.meta.dirname, stdio: ['ignore', 'pipe', 'pipe'] });
      let err = '';
      child.stderr.on('data', (c: Buffer) => { err += c.toString(); });
      await new Promise<void>((res, rej) => {
        child.stdout.on('data', (c: Buffer) => { if (c.toString().includes('staged')) res(); });
        child.on('exit', () => rej(new Error(`child exited early: ${err}`)));
      });
      expect(readdirSync(d).length).toBe(1); // the temporary of a.nii
      const exit = new Promise<NodeJS.Signals | null>((res) => child.on('exit', (_code, sig) => res(sig)));
      child.kill(signal);
      expect(await exit).toBe(signal);
      expect(readdirSync(d)).toEqual([]);
    });
  }
});
