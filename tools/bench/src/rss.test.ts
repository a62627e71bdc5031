/**
 * The children's peak RSS is their own: on Linux a process's `ru_maxrss` survives
 * `exec`, so a child spawned by a large bench process would report at least the
 * bench's RSS. The children read `VmHWM` instead; here the test process grows by
 * 400 MiB before running tiny2d, and the child must still report less than that.
 */
import { describe, expect, it } from 'vitest';
import { runBench } from './bench.js';
import { selectCases } from './cases.js';

describe.skipIf(process.platform !== 'linux')('peak RSS of the bench children (Linux)', () => {
  it('does not include the RSS of the bench process that spawned them', async () => {
    const ballast = Buffer.alloc(400 * 2 ** 20, 1); // resident: every page written
    expect(process.memoryUsage().rss).toBeGreaterThan(400 * 2 ** 20);
    const report = await runBench({
      cases: selectCases('tiny2d'), runs: 1, dataDir: null, skipDipy: true, backends: ['ts'],
      python: '/usr/bin/python3', keep: false, log: () => {},
    });
    const ts = report.rows[0].impls.ts;
    expect(ts.status, ts.reason).toBe('ok');
    // a Node child on a 32×32 case: tens of MiB (Node's own baseline), far below the ballast
    expect(ts.maxRssKiB!).toBeGreaterThan(10 * 1024);
    expect(ts.maxRssKiB!).toBeLessThan(300 * 1024);
    expect(ballast[ballast.length - 1]).toBe(1);
  });
});
