#!/usr/bin/env python3
"""Generate scipy L-BFGS-B reference traces for @diffeo/affine's minimizeLbfgs (the optimiser of DIPY's
AffineRegistration: scipy.optimize.minimize(method='L-BFGS-B', jac=True), no bounds).

Run with Debian's Python (DIPY 1.6, scipy 1.10.1):
    /usr/bin/python3 tools/reference/python/make_lbfgs_fixtures.py [OUT_DIR]    (default fixtures/lbfgs)

Each L-BFGS case records every point at which scipy evaluated the function (in order), the final x, f, nit, nfev and
message. The test functions are written with explicit scalar float64 operations (no numpy reductions, no
transcendental functions) so that the TypeScript mirror in packages/affine/src/lbfgs.test.ts computes the same
bits.
Floats are stored as JSON numbers (Python's shortest round-trip repr), which JavaScript parses exactly.
"""
import json
import os
import sys

import numpy as np
import scipy
from scipy.optimize import minimize

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))


def rosen(x):
    """Rosenbrock: sum_i 100 (x_{i+1} - x_i^2)^2 + (1 - x_i)^2, gradient accumulated term by term."""
    n = len(x)
    v = 0.0
    g = [0.0] * n
    for i in range(n - 1):
        a = x[i + 1] - x[i] * x[i]
        b = 1.0 - x[i]
        v = v + (100.0 * a * a + b * b)
        g[i] = g[i] + (-400.0 * x[i] * a - 2.0 * b)
        g[i + 1] = g[i + 1] + 200.0 * a
    return v, g


QA = [[4.0, 1.0, 0.5, 0.0], [1.0, 3.0, 0.25, 0.5], [0.5, 0.25, 2.0, 0.125], [0.0, 0.5, 0.125, 1.0]]
QB = [1.0, -2.0, 0.5, 3.0]


def quadratic(x):
    """0.5 x'Ax - b'x with a fixed 4x4 SPD A; gradient Ax - b (row sums left to right)."""
    n = len(x)
    g = [0.0] * n
    v = 0.0
    for i in range(n):
        s = 0.0
        for j in range(n):
            s = s + QA[i][j] * x[j]
        g[i] = s - QB[i]
        v = v + (0.5 * s - QB[i]) * x[i]
    return v, g


def bumpy(x):
    """sum_i w_i r_i^2 / (1 + r_i^2) + 0.01 r_i^2 with r_i = x_i - c_i: flat tails, so quasi-Newton steps
    overshoot and the line search needs several evaluations."""
    W = [3.0, 1.0, 2.0]
    Cc = [0.5, -1.0, 2.0]
    v = 0.0
    g = [0.0] * len(x)
    for i in range(len(x)):
        r = x[i] - Cc[i]
        q = 1.0 + r * r
        v = v + (W[i] * r * r / q + 0.01 * r * r)
        g[i] = 2.0 * W[i] * r / (q * q) + 0.02 * r
    return v, g


FUNS = {'rosen': rosen, 'quadratic': quadratic, 'bumpy': bumpy}

CASES = [
    ('lbfgs_trace_rosen_2d', 'rosen', [-1.2, 1.0], {'gtol': 1e-4}),
    ('lbfgs_trace_rosen_5d', 'rosen', [1.3, 0.7, 0.8, 1.9, 1.2], {'gtol': 1e-4}),
    ('lbfgs_trace_rosen_5d_m3', 'rosen', [1.3, 0.7, 0.8, 1.9, 1.2], {'gtol': 1e-6, 'maxcor': 3}),
    ('lbfgs_trace_quadratic', 'quadratic', [3.0, -1.0, 2.0, 0.5], {'gtol': 1e-8}),
    ('lbfgs_trace_bumpy', 'bumpy', [4.0, 3.0, -3.0], {'gtol': 1e-6}),
    ('lbfgs_trace_rosen_5d_maxfun', 'rosen', [1.3, 0.7, 0.8, 1.9, 1.2], {'gtol': 1e-4, 'maxfun': 15}),
    ('lbfgs_trace_rosen_2d_maxiter', 'rosen', [-1.2, 1.0], {'gtol': 1e-4, 'maxiter': 7}),
]


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(REPO, 'fixtures', 'lbfgs')
    os.makedirs(out_dir, exist_ok=True)
    cases = []
    for name, fname, x0, opts in CASES:
        fun = FUNS[fname]
        trace = []

        def wrapped(x, fun=fun, trace=trace):
            trace.append([float(v) for v in x])
            v, g = fun([float(t) for t in x])
            return v, np.array(g)

        res = minimize(wrapped, np.array(x0, dtype=np.float64), method='L-BFGS-B', jac=True, options=opts)
        cases.append({'name': name, 'description': f'scipy.optimize.minimize({fname}, method=L-BFGS-B, jac=True)',
                      'params': {'function': fname, 'x0': x0, 'options': opts},
                      'values': {'trace': trace, 'x': res.x.tolist(), 'fun': float(res.fun), 'nit': int(res.nit),
                                 'nfev': int(res.nfev), 'message': str(res.message)}})
        print(name, 'nit', res.nit, 'nfev', res.nfev, 'evaluations', len(trace), res.message)
    manifest = {'title': 'scipy L-BFGS-B reference traces (tools/reference/python/make_lbfgs_fixtures.py)',
                'generator': {'scipy_version': scipy.__version__, 'numpy_version': np.__version__},
                'cases': cases}
    with open(os.path.join(out_dir, 'manifest.json'), 'w') as f:
        json.dump(manifest, f, indent=1)
    print(f'wrote {len(cases)} cases to {out_dir}')


if __name__ == '__main__':
    main()
