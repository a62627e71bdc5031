#!/usr/bin/env node
// Brings every public workspace package's package.json to the release rules that
// tools/release/src/packages.test.ts checks: metadata (repository, homepage, bugs,
// keywords, engines, license, ESM), @diffeo packages as
// ordinary dependencies (not peers, so a 0.x minor of one never forces a major of the
// others), and `files` shipping `src/` (which the `@diffeo/source` export condition
// names) without tests, and the repository's LICENSE in each package folder. Run it after adding a package: `node tools/release/normalize-packages.mjs`.
import { copyFileSync, readFileSync, writeFileSync, readdirSync, existsSync } from 'node:fs';
import { join, relative, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
export const REPOSITORY = 'https://github.com/diffeo/diffeo';

function packageDirs() {
  const out = [];
  const walk = (dir, depth) => {
    if (existsSync(join(dir, 'package.json')) && dir !== root) { out.push(dir); return; }
    if (depth === 0) return;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory() && e.name !== 'node_modules' && e.name !== 'dist') walk(join(dir, e.name), depth - 1);
    }
  };
  walk(join(root, 'packages'), 2);
  return out;
}

for (const dir of packageDirs()) {
  const file = join(dir, 'package.json');
  const p = JSON.parse(readFileSync(file, 'utf8'));
  if (p.private) continue;
  p.license = 'BSD-3-Clause';
  p.type = 'module';
  p.repository = { type: 'git', url: `git+${REPOSITORY}.git`, directory: relative(root, dir) };
  p.homepage = `${REPOSITORY}/tree/main/${relative(root, dir)}#readme`;
  p.bugs = { url: `${REPOSITORY}/issues` };
  const kw = new Set(['image-registration', 'diffeomorphic', 'syn', 'dipy', 'neuroimaging', 'medical-imaging', ...(p.keywords ?? [])]);
  p.keywords = [...kw];
  p.engines = { node: '>=20.19' };
  // @diffeo peers become dependencies
  for (const [name, range] of Object.entries(p.peerDependencies ?? {})) {
    if (!name.startsWith('@diffeo/')) continue;
    p.dependencies = { ...(p.dependencies ?? {}), [name]: range };
    delete p.peerDependencies[name];
    if (p.devDependencies) delete p.devDependencies[name];
  }
  if (p.peerDependencies && Object.keys(p.peerDependencies).length === 0) delete p.peerDependencies;
  if (p.devDependencies && Object.keys(p.devDependencies).length === 0) delete p.devDependencies;
  const usesSource = JSON.stringify(p.exports ?? {}).includes('@diffeo/source');
  const files = new Set(p.files ?? ['dist']);
  if (usesSource) { files.add('src'); files.add('!src/**/*.test.ts'); }
  p.files = [...files];
  p.publishConfig = { access: 'public' };
  // a stable key order
  const order = ['name', 'version', 'description', 'keywords', 'license', 'author', 'homepage', 'bugs', 'repository', 'type', 'sideEffects', 'bin', 'exports', 'imports', 'main', 'types', 'files', 'engines', 'scripts', 'dependencies', 'peerDependencies', 'peerDependenciesMeta', 'devDependencies', 'publishConfig'];
  const sorted = {};
  for (const k of order) if (k in p) sorted[k] = p[k];
  for (const k of Object.keys(p)) if (!(k in sorted)) sorted[k] = p[k];
  writeFileSync(file, `${JSON.stringify(sorted, null, 2)}\n`);
  // npm packs a package folder's own LICENSE, not the repository's
  copyFileSync(join(root, 'LICENSE'), join(dir, 'LICENSE'));
  console.log(`${p.name}@${p.version}`);
}
