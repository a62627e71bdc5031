#!/usr/bin/env node
// Launcher for the `diffeo` command: runs src/main.ts through tsx against the built
// packages (run `pnpm build` first), as a user's install would. Exits with the CLI's status.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const tsx = import.meta.resolve('tsx');
const r = spawnSync(process.execPath, ['--import', tsx, main, ...process.argv.slice(2)], { stdio: 'inherit' });
if (r.error) {
  console.error(`diffeo: error: cannot start node: ${r.error.message}`);
  process.exit(1);
}
process.exit(r.status ?? 1);
