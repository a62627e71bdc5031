/**
 * Runs the metric conformance kit on diffeo's SSD and CC metrics (2D and 3D) and
 * on a toy third-party metric written here, the way an outside package would.
 */
import {
  NonFiniteError,
  ShapeMismatchError,
  type Dim,
  type MetricInputs,
  type MetricStep,
  type Shape2D,
  type Shape3D,
  type SimilarityMetric,
} from '@diffeo/core';
import { ssdMetric } from '@diffeo/metrics-ssd';
import { ccMetric } from '@diffeo/metrics-cc';
import { describeMetric } from '@diffeo/conformance';

const shapes = { shape2d: [32, 32] as const, shape3d: [20, 20, 20] as const };

describeMetric('SSD demons', (dim) => ssdMetric(dim), { dims: [2, 3], ...shapes });
describeMetric('SSD Gauss-Newton', () => ssdMetric(2, { stepType: 'gaussNewton' }), { dims: [2], ...shapes });
describeMetric('CC', (dim) => ccMetric(dim), { dims: [2, 3], ...shapes });

// ---------------------------------------------------------------------------
// A toy third-party metric, written against the public contract only. This is the
// example of docs/writing-a-metric.md, verbatim (keep the two in sync).

/**
 * Plain SSD with gradient steps: energy `Σ (S − M)²`; forward step
 * `u = (S − M)·∇S`, backward step `v = (M − S)·∇M`, gradients in world units.
 */
function plainSsdMetric<D extends Dim>(dim: D): SimilarityMetric<D> {
  return {
    dim,
    name: 'plain SSD',
    mask0: false,
    prepare(inputs: MetricInputs<D>): MetricStep<D> {
      const { static: S, moving: M, shape, spacing, direction, context } = inputs;
      const n = S.length;
      if (inputs.dim !== dim || M.length !== n) {
        throw new ShapeMismatchError(`plain SSD: expected two ${dim}D images of the same size; got ${n} and ${M.length} voxels.`);
      }
      for (let i = 0; i < n; i++) {
        if (!Number.isFinite(S[i]) || !Number.isFinite(M[i])) {
          const which = Number.isFinite(S[i]) ? 'moving' : 'static';
          throw new NonFiniteError(`plain SSD: the ${which} image holds a non-finite value at voxel ${i}; replace NaN/Infinity first.`);
        }
      }
      // World-frame gradient: numpy.gradient (per voxel) / spacing, rotated by the static direction.
      const worldGradient = (image: Float32Array): Float32Array => {
        const g = new Float32Array(n * dim);
        context.kernel('numpyGradient')(g, image, shape as Shape2D | Shape3D);
        const m = dim + 1;
        const t = new Float64Array(dim);
        for (let i = 0; i < n; i++) {
          for (let k = 0; k < dim; k++) t[k] = g[i * dim + k] / spacing[k];
          for (let r = 0; r < dim; r++) {
            let s = 0;
            for (let k = 0; k < dim; k++) s += direction[r * m + k] * t[k];
            g[i * dim + r] = s;
          }
        }
        return g;
      };
      let energy = 0;
      for (let i = 0; i < n; i++) energy += (S[i] - M[i]) * (S[i] - M[i]);
      // Gradients are computed on first use and dropped by dispose().
      let gradStatic: Float32Array | null = null;
      let gradMoving: Float32Array | null = null;
      const write = (out: Float32Array, g: Float32Array, sign: 1 | -1): number => {
        for (let i = 0; i < n; i++) {
          const delta = sign * (S[i] - M[i]);
          for (let k = 0; k < dim; k++) out[i * dim + k] = delta * g[i * dim + k];
        }
        return energy;
      };
      return {
        dim,
        forward: (out) => write(out, (gradStatic ??= worldGradient(S)), 1),
        backward: (out) => write(out, (gradMoving ??= worldGradient(M)), -1),
        dispose: () => {
          gradStatic = null;
          gradMoving = null;
        },
      };
    },
  };
}

describeMetric('toy third-party plain SSD', (dim) => plainSsdMetric(dim), { dims: [2, 3], ...shapes });
