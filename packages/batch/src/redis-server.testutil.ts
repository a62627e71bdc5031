/**
 * Test support: a throw-away `redis-server` on a free 127.0.0.1 port, persistence off.
 * Tests that need Redis skip (saying why) when `redis-server` is not installed.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { waitForRedis } from './connection.js';

/** Whether `redis-server` can be run, and why not. */
export function redisServerMissing(): string | undefined {
  const r = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? undefined : 'redis-server is not installed (apt-get install redis-server); the batch queue tests need a real Redis';
}

/** A free TCP port on 127.0.0.1 (free when asked; nothing holds it afterwards). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** A running test Redis. */
export interface TestRedis {
  readonly port: number;
  readonly url: string;
  stop(): Promise<void>;
}

/** Starts `redis-server` on `port` (default: a free one) and waits until it answers. */
export async function startRedis(port?: number): Promise<TestRedis> {
  const p = port ?? (await freePort());
  const child: ChildProcess = spawn('redis-server', ['--port', String(p), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const url = `redis://127.0.0.1:${p}`;
  await waitForRedis(url, { attempts: 20, maxDelayMs: 250 });
  return {
    port: p,
    url,
    stop: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    }),
  };
}
