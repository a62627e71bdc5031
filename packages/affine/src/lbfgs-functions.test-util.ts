/**
 * Test helper: the smooth test functions of tools/reference/python/make_lbfgs_fixtures.py, written with the
 * same scalar float64 operations in the same order (so values and gradients are the same bits as scipy saw),
 * and a reader for fixtures/lbfgs/manifest.json.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** A function with gradient, as minimizeLbfgs takes it. */
export type TestFunction = (x: Float64Array) => { value: number; gradient: Float64Array };

/** Rosenbrock, gradient accumulated term by term. */
export function rosen(x: Float64Array): { value: number; gradient: Float64Array } {
  const n = x.length;
  let v = 0;
  const g = new Float64Array(n);
  for (let i = 0; i < n - 1; i++) {
    const a = x[i + 1] - x[i] * x[i], b = 1 - x[i];
    v = v + (100 * a * a + b * b);
    g[i] = g[i] + (-400 * x[i] * a - 2 * b);
    g[i + 1] = g[i + 1] + 200 * a;
  }
  return { value: v, gradient: g };
}

const QA = [[4, 1, 0.5, 0], [1, 3, 0.25, 0.5], [0.5, 0.25, 2, 0.125], [0, 0.5, 0.125, 1]];
const QB = [1, -2, 0.5, 3];

/** `½ xᵀAx − bᵀx` with a fixed 4×4 SPD matrix. */
export function quadratic(x: Float64Array): { value: number; gradient: Float64Array } {
  const n = x.length;
  const g = new Float64Array(n);
  let v = 0;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s = s + QA[i][j] * x[j];
    g[i] = s - QB[i];
    v = v + (0.5 * s - QB[i]) * x[i];
  }
  return { value: v, gradient: g };
}

/** `Σ wᵢ rᵢ²/(1 + rᵢ²) + 0.01 rᵢ²`, `rᵢ = xᵢ − cᵢ` (flat tails: several line-search steps). */
export function bumpy(x: Float64Array): { value: number; gradient: Float64Array } {
  const W = [3, 1, 2], C = [0.5, -1, 2];
  let v = 0;
  const g = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const r = x[i] - C[i];
    const q = 1 + r * r;
    v = v + (W[i] * r * r / q + 0.01 * r * r);
    g[i] = 2 * W[i] * r / (q * q) + 0.02 * r;
  }
  return { value: v, gradient: g };
}

/** The functions by the fixtures' names. */
export const FUNCTIONS: Record<string, TestFunction> = { rosen, quadratic, bumpy };

/** One case of fixtures/lbfgs. */
export interface TraceCase {
  name: string;
  params: { function: string; x0: number[]; options: Record<string, number> };
  values: { trace: number[][]; x: number[]; fun: number; nit: number; nfev: number; message: string };
}

const ROOT = fileURLToPath(new URL('../../../fixtures/lbfgs/', import.meta.url));

/** The L-BFGS trace cases of fixtures/lbfgs/manifest.json. */
export function traceCases(): TraceCase[] {
  return (JSON.parse(readFileSync(ROOT + 'manifest.json', 'utf8')) as { cases: TraceCase[] }).cases.filter((c) => c.name.startsWith('lbfgs_trace_'));
}
