/**
 * Release checks of every public workspace package (`"private"` absent), as a user
 * of npm would meet them:
 *
 * - metadata: licence and LICENSE file, repository (with the package's folder),
 *   homepage, bugs, keywords, engines, ESM, public access, a 0.x version, and no
 *   `@diffeo` peer dependencies (a 0.x minor of a peer would force its dependents to
 *   a new major under changesets);
 * - the packed tarball (`pnpm pack`, which turns `workspace:` ranges into versions)
 *   ships every file its `exports`, `imports`, `main`, `types` and `bin` name, and
 *   no test files;
 * - each tarball installs alone with npm in an empty folder, given only the
 *   tarballs of its own `@diffeo` dependencies (the rest comes from the npm
 *   registry), imports with plain `node` (no TypeScript loader, no conditions),
 *   and the CLI's `diffeo --help` and `--version` run.
 *
 * The packs need the packages built (`pnpm build`, as the README's set-up does). The
 * install checks need the npm registry; without it they skip, saying so.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const REPOSITORY = 'git+https://github.com/diffeo/diffeo.git';

interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  description?: string;
  license?: string;
  type?: string;
  keywords?: string[];
  homepage?: string;
  bugs?: { url?: string };
  repository?: { type?: string; url?: string; directory?: string };
  engines?: { node?: string };
  publishConfig?: { access?: string };
  exports?: unknown;
  imports?: unknown;
  main?: string;
  types?: string;
  bin?: Record<string, string>;
  files?: string[];
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

interface Pkg { dir: string; manifest: Manifest }

function workspacePackages(): Pkg[] {
  const out: Pkg[] = [];
  const walk = (dir: string, depth: number): void => {
    if (existsSync(join(dir, 'package.json'))) {
      out.push({ dir, manifest: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest });
      return;
    }
    if (depth === 0) return;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory() && e.name !== 'node_modules' && e.name !== 'dist') walk(join(dir, e.name), depth - 1);
    }
  };
  for (const top of ['packages', 'apps', 'tools']) walk(join(ROOT, top), 2);
  return out;
}

const ALL = workspacePackages();
const PUBLIC = ALL.filter((p) => p.manifest.private !== true);
const byName = new Map(PUBLIC.map((p) => [p.manifest.name, p]));

/** Every string leaf of an `exports`/`imports` map (the file targets). */
function targets(map: unknown): string[] {
  if (typeof map === 'string') return [map];
  if (map === null || typeof map !== 'object') return [];
  return Object.values(map as Record<string, unknown>).flatMap(targets);
}

/** The `@diffeo` packages `name` needs at run time, itself included, transitively. */
function closure(name: string, seen = new Set<string>()): Set<string> {
  if (seen.has(name)) return seen;
  seen.add(name);
  const p = byName.get(name);
  if (p === undefined) throw new Error(`${name} is not a public workspace package`);
  for (const dep of Object.keys(p.manifest.dependencies ?? {})) if (dep.startsWith('@diffeo/')) closure(dep, seen);
  return seen;
}

describe('public packages: metadata', () => {
  it('there are public packages, and every workspace package is either public or private on purpose', () => {
    expect(PUBLIC.length).toBeGreaterThanOrEqual(10);
    for (const p of ALL) {
      const where = relative(ROOT, p.dir);
      // apps and tools are never published
      if (where.startsWith('apps/') || where.startsWith('tools/')) expect(p.manifest.private, where).toBe(true);
    }
  });

  for (const { dir, manifest: m } of PUBLIC) {
    const where = relative(ROOT, dir);
    it(`${m.name}: complete metadata`, () => {
      expect(m.version, `${where}: a 0.x semver version`).toMatch(/^0\.\d+\.\d+$/);
      expect(m.description, where).toBeTruthy();
      expect(m.license).toBe('BSD-3-Clause');
      expect(existsSync(join(dir, 'LICENSE')), `${where}/LICENSE (run node tools/release/normalize-packages.mjs)`).toBe(true);
      expect(readFileSync(join(dir, 'LICENSE'), 'utf8')).toBe(readFileSync(join(ROOT, 'LICENSE'), 'utf8'));
      expect(m.type).toBe('module');
      expect(m.keywords?.length ?? 0).toBeGreaterThan(0);
      expect(m.repository).toEqual({ type: 'git', url: REPOSITORY, directory: where });
      expect(m.homepage).toMatch(/^https:\/\//);
      expect(m.bugs?.url).toMatch(/^https:\/\//);
      expect(m.engines?.node).toMatch(/^>=\s*20/);
      expect(m.publishConfig?.access).toBe('public');
      expect(m.files?.length ?? 0, 'an explicit files list').toBeGreaterThan(0);
      const peers = Object.keys(m.peerDependencies ?? {}).filter((d) => d.startsWith('@diffeo/'));
      expect(peers, '@diffeo packages as dependencies, not peers').toEqual([]);
      for (const [dep, range] of Object.entries(m.dependencies ?? {})) {
        if (!dep.startsWith('@diffeo/')) continue;
        expect(byName.has(dep), `${dep} (a dependency of ${m.name}) must be public`).toBe(true);
        expect(range, `${m.name} → ${dep}`).toBe('workspace:^');
      }
    });
  }

  it('changesets version public packages only, with no fixed group', () => {
    const config = JSON.parse(readFileSync(join(ROOT, '.changeset/config.json'), 'utf8')) as {
      fixed: unknown[]; privatePackages?: { version?: boolean };
      ___experimentalUnsafeOptions_WILL_CHANGE_IN_PATCH?: { onlyUpdatePeerDependentsWhenOutOfRange?: boolean };
    };
    expect(config.fixed).toEqual([]);
    expect(config.privatePackages?.version).toBe(false);
    expect(config.___experimentalUnsafeOptions_WILL_CHANGE_IN_PATCH?.onlyUpdatePeerDependentsWhenOutOfRange).toBe(true);
  });
});

describe('public packages: packed and installed alone', () => {
  let work = '';
  const tarballs = new Map<string, string>();
  const contents = new Map<string, Set<string>>();
  let registryProblem: string | null = null;

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'diffeo-pack-'));
    const dest = join(work, 'tarballs');
    mkdirSync(dest);
    for (const { dir, manifest: m } of PUBLIC) {
      const out = execFileSync('pnpm', ['pack', '--pack-destination', dest], { cwd: dir, encoding: 'utf8' });
      const file = out.trim().split('\n').filter((l) => l.endsWith('.tgz')).pop();
      if (file === undefined) throw new Error(`pnpm pack printed no tarball for ${m.name}:\n${out}`);
      const tgz = file.startsWith('/') ? file : join(dest, file);
      tarballs.set(m.name, tgz);
      const list = execFileSync('tar', ['-tzf', tgz], { encoding: 'utf8' }).split('\n').filter(Boolean);
      contents.set(m.name, new Set(list.map((l) => l.replace(/^package\//, ''))));
    }
    const ping = spawnSync('npm', ['ping', '--fetch-timeout=20000', '--fetch-retries=0'], { encoding: 'utf8', timeout: 40_000 });
    if (ping.status !== 0) registryProblem = `the npm registry is not reachable (npm ping: ${(ping.stderr || ping.error?.message || '').trim().split('\n')[0]})`;
  }, 300_000);

  afterAll(() => { if (work) rmSync(work, { recursive: true, force: true }); }, 120_000);

  for (const { manifest: m } of PUBLIC) {
    it(`${m.name}: the tarball ships every file its manifest names, and no tests`, () => {
      const files = contents.get(m.name)!;
      const named = [
        ...targets(m.exports), ...targets(m.imports), ...(m.main ? [m.main] : []), ...(m.types ? [m.types] : []),
        ...Object.values(m.bin ?? {}),
      ].map((t) => t.replace(/^\.\//, ''));
      expect(named.length).toBeGreaterThan(0);
      for (const t of named) {
        if (t.includes('*')) continue;
        expect(files.has(t), `${m.name}: ${t} is named in package.json but not in the tarball`).toBe(true);
      }
      expect([...files].filter((f) => /\.test\.ts$/.test(f))).toEqual([]);
      expect(files.has('LICENSE')).toBe(true);
    });

    it(`${m.name}: what the browser condition names has no Node code`, () => {
      const browserTargets = new Set<string>();
      const walk = (map: unknown, underBrowser: boolean): void => {
        if (typeof map === 'string') { if (underBrowser) browserTargets.add(map.replace(/^\.\//, '')); return; }
        if (map === null || typeof map !== 'object') return;
        for (const [k, v] of Object.entries(map as Record<string, unknown>)) walk(v, underBrowser || k === 'browser');
      };
      walk(m.exports, false);
      for (const t of browserTargets) {
        const text = readFileSync(join(byName.get(m.name)!.dir, t), 'utf8');
        expect(text.match(/(?:from\s*|import\s*\(\s*|require\s*\(\s*)["'](?:node:[\w/]+|fs|path|os|url|worker_threads|zlib|child_process)(?:\/promises)?["']/g) ?? [],
          `${m.name}: ${t} imports Node built-ins`).toEqual([]);
      }
    });
  }

  for (const { manifest: m } of PUBLIC) {
    it(`${m.name}: installs alone with npm and imports with plain node`, (ctx) => {
      if (registryProblem !== null) ctx.skip(registryProblem);
      const dir = join(work, `install-${m.name.replace('@diffeo/', '')}`);
      mkdirSync(dir);
      writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'try-it', private: true, type: 'module' }));
      const needed = [...closure(m.name)].map((n) => tarballs.get(n)!);
      const install = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', ...needed],
        { cwd: dir, encoding: 'utf8', timeout: 240_000 });
      expect(install.status, `npm install ${m.name}:\n${install.stderr}`).toBe(0);
      // every installed @diffeo package came from our tarballs, never from the registry
      const installed = readdirSync(join(dir, 'node_modules/@diffeo')).map((n) => `@diffeo/${n}`).sort();
      expect(installed).toEqual([...closure(m.name)].sort());
      // plain node: no loader, no custom conditions
      // (a package with only a `bin`, such as the CLI, has nothing to import)
      const entries = Object.keys(typeof m.exports === 'object' && m.exports !== null ? m.exports : m.main ? { '.': 0 } : {})
        .filter((k) => !k.endsWith('.wasm') && !k.endsWith('.json'))
        .map((k) => (k === '.' ? m.name : `${m.name}/${k.replace(/^\.\//, '')}`));
      const script = `if (${JSON.stringify(entries)}.length === 0 && ${JSON.stringify(m.bin === undefined)}) throw new Error('nothing to import or run');\nfor (const e of ${JSON.stringify(entries)}) { const mod = await import(e); if (Object.keys(mod).length === 0) throw new Error(e + ' exports nothing'); }`;
      const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: dir, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
      expect(run.status, `importing ${entries.join(', ')}:\n${run.stderr}`).toBe(0);
      if (m.bin?.diffeo !== undefined) {
        const bin = join(dir, 'node_modules/.bin/diffeo');
        const help = spawnSync(bin, ['--help'], { cwd: dir, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
        expect(help.status, help.stderr).toBe(0);
        expect(help.stdout).toMatch(/^usage: diffeo <command>/);
        expect(help.stdout).toMatch(/\n {2}register /);
        const registerHelp = spawnSync(bin, ['register', '--help'], { cwd: dir, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
        expect(registerHelp.status, registerHelp.stderr).toBe(0);
        expect(registerHelp.stdout).toMatch(/--static/);
        const version = spawnSync(bin, ['--version'], { cwd: dir, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
        expect(version.stdout.trim()).toBe(m.version);
      }
    }, 300_000);
  }
});
