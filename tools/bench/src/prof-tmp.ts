import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createContext, type Backend, type KernelContext, type SimilarityMetric, type Dim } from '@diffeo/core';
import { parseNpy } from '@diffeo/io';
import { SymmetricDiffeomorphicRegistration } from '@diffeo/syn';
import { loadWasmBackend } from './wasm.js';
const [caseDir, backend = 'wasm'] = process.argv.slice(2);
const params = JSON.parse(readFileSync(join(caseDir!, 'params.json'), 'utf8'));
const rd = (p: string) => { const b = readFileSync(join(caseDir!, p)); return parseNpy(new Uint8Array(b.buffer, b.byteOffset, b.byteLength)); };
let inner: Backend | null = null;
if (backend === 'wasm') { const l = await loadWasmBackend(); if (!l.ok) throw new Error(l.reason); inner = l.backend; }
const base = inner ? createContext(inner) : createContext();
const times = new Map<string, [number, number]>();
const wrapped: Record<string, unknown> = {};
for (const [name, fn] of Object.entries(base.kernels)) {
  wrapped[name] = (...a: unknown[]) => { const rss0 = process.resourceUsage().maxRSS; const t0 = performance.now(); const r = (fn as (...x: unknown[]) => unknown)(...a); if (name.startsWith('invert')) { const it = (r as {iterations:number}).iterations; const sh = a[2] as number[]; const px = sh.reduce((x,y)=>x*y,1); const k='pxit_'+name; const e2 = times.get(k) ?? [0,0]; e2[0]+=px*it; e2[1]+=it; times.set(k,e2);}  const e = times.get(name) ?? [0, 0]; e[0] += performance.now() - t0; e[1]++; times.set(name, e); return r; };
}
const prof: Backend = { name: 'prof', priority: 1e9, kernels: wrapped, allocFloat32: inner?.allocFloat32?.bind(inner), freeFloat32: inner?.freeFloat32?.bind(inner) };
const context: KernelContext = inner ? createContext(inner, prof) : createContext(prof);
const p = params.metric;
let metric: SimilarityMetric<Dim>;
if (p.metric === 'SSD') { const { ssdMetric } = await import('@diffeo/metrics-ssd'); metric = ssdMetric(p.dim, { smooth: p.smooth, innerIter: p.inner_iter, stepType: p.step_type === 'gauss_newton' ? 'gaussNewton' : 'demons' }) as SimilarityMetric<Dim>; }
else { const { ccMetric } = await import('@diffeo/metrics-cc'); metric = ccMetric(p.dim, { sigmaDiff: p.sigma_diff, radius: p.radius }) as SimilarityMetric<Dim>; }
const s = params.syn;
const stat = rd(params.inputs.static), mov = rd(params.inputs.moving);
const reg = new SymmetricDiffeomorphicRegistration(metric, { levelIters: s.level_iters, stepLength: s.step_length, ssSigmaFactor: s.ss_sigma_factor, optTol: s.opt_tol, invIter: s.inv_iter, invTol: s.inv_tol, context });
const rss0 = process.resourceUsage().maxRSS; const t0 = performance.now();
await reg.optimize({ static: { data: stat.data, shape: stat.shape }, moving: { data: mov.data, shape: mov.shape }, staticGridToWorld: params.static_grid2world, movingGridToWorld: params.moving_grid2world, prealign: params.prealign });
const total = performance.now() - t0;
const mem = (inner as unknown as {memory?: WebAssembly.Memory})?.memory; console.log('vox', stat.data.length, 'heap MiB', mem ? (mem.buffer.byteLength/2**20).toFixed(1) : '-', 'heap f32/vox', mem ? (mem.buffer.byteLength/4/stat.data.length).toFixed(2) : '-', 'rss before', (rss0/1024).toFixed(0), 'maxrss', (process.resourceUsage().maxRSS/1024).toFixed(0), 'cur rss', (process.memoryUsage().rss/2**20).toFixed(0), 'ab', (process.memoryUsage().arrayBuffers/2**20).toFixed(0));
let sum = 0;
const rows = [...times.entries()].sort((a, b) => b[1][0] - a[1][0]);
for (const [n, [t, c]] of rows) { sum += t; console.log(n.padEnd(28), t.toFixed(1).padStart(9), 'ms', String(c).padStart(6), (100 * t / total).toFixed(1).padStart(6) + '%'); }
console.log('kernels'.padEnd(28), sum.toFixed(1).padStart(9), 'ms; total', total.toFixed(1), 'ms; other', (total - sum).toFixed(1), 'ms');
process.exit(0);
