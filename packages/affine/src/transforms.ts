/**
 * Parametric transforms of the affine stage (DIPY 1.6 `dipy.align.transforms`).
 *
 * Each transform `T_θ` maps a world point `x` (mm) to `T_θ(x) = A(θ)·[x; 1]`, where
 * `A(θ)` is the homogeneous `(d+1)×(d+1)` matrix {@link Transform.paramToMatrix} returns
 * (row-major). {@link Transform.jacobian} writes `J = ∂T_θ(x)/∂θ`, a `d × n` matrix
 * (row-major, `J[i*n + k] = ∂T_i/∂θ_k`), evaluated at a world point.
 *
 * Parameterisations (the same as DIPY's, so parameter vectors are interchangeable):
 * - translation: `θ = t` (d values);
 * - rotation: 2D `θ = [angle]`; 3D `θ = [a, b, c]` (radians), `R = Rz(c)·Rx(a)·Ry(b)`;
 * - rigid: 2D `[angle, tx, ty]`; 3D `[a, b, c, tx, ty, tz]`;
 * - rigidIsoScaling: rigid followed by one scale `s`: 2D `[angle, tx, ty, s]`, 3D `[a, b, c, tx, ty, tz, s]`;
 *   the linear part is `s·R`;
 * - rigidScaling: per-axis scales `f`: 2D `[angle, tx, ty, fx, fy]`, 3D `[a, b, c, tx, ty, tz, fx, fy, fz]`;
 *   the linear part is `diag(f)·R` (row `i` of `R` times `f_i`);
 * - scaling: one isotropic scale `[s]` (no translation);
 * - affine: the first `d` rows of the matrix, row by row (2D 6 values, 3D 12 values).
 *
 * The Jacobians are DIPY's formulas, term by term (so they agree with DIPY to rounding).
 */
import { InvalidArgumentError, type Dim } from '@diffeo/core';

/** The transform names of DIPY's `regtransforms` table, in camelCase. */
export type TransformName =
  | 'translation'
  | 'rotation'
  | 'rigid'
  | 'rigidIsoScaling'
  | 'rigidScaling'
  | 'scaling'
  | 'affine';

/** All transform names, in DIPY's order. */
export const TRANSFORM_NAMES: readonly TransformName[] = [
  'translation', 'rotation', 'rigid', 'rigidIsoScaling', 'rigidScaling', 'scaling', 'affine',
];

/** A parametric transform of world space (mm → mm). */
export interface Transform {
  /** The transform's name. */
  readonly name: TransformName;
  /** Spatial dimension. */
  readonly dim: Dim;
  /** Number of parameters `n`. */
  readonly numberOfParameters: number;
  /** Parameters of the identity transform (a new array of length `n`). */
  identityParameters(): Float64Array;
  /** The homogeneous matrix `A(θ)`, `(d+1)²` values row-major (a new array). */
  paramToMatrix(theta: ArrayLike<number>): Float64Array;
  /**
   * Writes `J = ∂T_θ(x)/∂θ` (`d × n`, row-major) into `out` (length ≥ `d·n`) at the world point `x` (mm).
   * @returns true when `J` does not depend on `x` (DIPY's "constant Jacobian" flag).
   */
  jacobianInto(theta: ArrayLike<number>, x: ArrayLike<number>, out: Float64Array): boolean;
  /** `J` as a new `d·n` array (row-major); see {@link Transform.jacobianInto}. */
  jacobian(theta: ArrayLike<number>, x: ArrayLike<number>): Float64Array;
}

type MatFn = (t: ArrayLike<number>, R: Float64Array) => void;
type JacFn = (t: ArrayLike<number>, x: ArrayLike<number>, J: Float64Array) => boolean;

/** Sines and cosines of the three 3D angles. */
function trig3(t: ArrayLike<number>): [number, number, number, number, number, number] {
  return [Math.sin(t[0]), Math.cos(t[0]), Math.sin(t[1]), Math.cos(t[1]), Math.sin(t[2]), Math.cos(t[2])];
}

/** Writes the 3D rotation `Rz(c)·Rx(a)·Ry(b)` scaled row-wise by `f0, f1, f2` into R (4×4). */
function rot3(t: ArrayLike<number>, R: Float64Array, f0: number, f1: number, f2: number): void {
  const [sa, ca, sb, cb, sc, cc] = trig3(t);
  R[0] = (cc * cb - sc * sa * sb) * f0; R[1] = -sc * ca * f0; R[2] = (cc * sb + sc * sa * cb) * f0;
  R[4] = (sc * cb + cc * sa * sb) * f1; R[5] = cc * ca * f1; R[6] = (sc * sb - cc * sa * cb) * f1;
  R[8] = -ca * sb * f2; R[9] = sa * f2; R[10] = ca * cb * f2;
}

/**
 * Derivatives of the rotated point `R x` w.r.t. the three angles, each row scaled by `f_i`,
 * written into columns 0..2 of J (row stride n).
 */
function rot3Jac(t: ArrayLike<number>, x: ArrayLike<number>, J: Float64Array, n: number, f0: number, f1: number, f2: number): void {
  const [sa, ca, sb, cb, sc, cc] = trig3(t);
  const px = x[0], py = x[1], pz = x[2];
  J[0] = (-sc * ca * sb) * px * f0 + (sc * sa) * py * f0 + (sc * ca * cb) * pz * f0;
  J[n] = (cc * ca * sb) * px * f1 + (-cc * sa) * py * f1 + (-cc * ca * cb) * pz * f1;
  J[2 * n] = (sa * sb) * px * f2 + ca * py * f2 + (-sa * cb) * pz * f2;
  J[1] = (-cc * sb - sc * sa * cb) * px * f0 + (cc * cb - sc * sa * sb) * pz * f0;
  J[n + 1] = (-sc * sb + cc * sa * cb) * px * f1 + (sc * cb + cc * sa * sb) * pz * f1;
  J[2 * n + 1] = (-ca * cb) * px * f2 + (-ca * sb) * pz * f2;
  J[2] = (-sc * cb - cc * sa * sb) * px * f0 + (-cc * ca) * py * f0 + (-sc * sb + cc * sa * cb) * pz * f0;
  J[n + 2] = (cc * cb - sc * sa * sb) * px * f1 + (-sc * ca) * py * f1 + (cc * sb + sc * sa * cb) * pz * f1;
  J[2 * n + 2] = 0;
}

/** Plain (unscaled) rotation Jacobian, with DIPY's operand order for the unscaled transforms. */
function rot3JacPlain(t: ArrayLike<number>, x: ArrayLike<number>, J: Float64Array, n: number): void {
  const [sa, ca, sb, cb, sc, cc] = trig3(t);
  const px = x[0], py = x[1], pz = x[2];
  J[0] = (-sc * ca * sb) * px + (sc * sa) * py + (sc * ca * cb) * pz;
  J[n] = (cc * ca * sb) * px + (-cc * sa) * py + (-cc * ca * cb) * pz;
  J[2 * n] = (sa * sb) * px + ca * py + (-sa * cb) * pz;
  J[1] = (-cc * sb - sc * sa * cb) * px + (cc * cb - sc * sa * sb) * pz;
  J[n + 1] = (-sc * sb + cc * sa * cb) * px + (sc * cb + cc * sa * sb) * pz;
  J[2 * n + 1] = (-ca * cb) * px + (-ca * sb) * pz;
  J[2] = (-sc * cb - cc * sa * sb) * px + (-cc * ca) * py + (-sc * sb + cc * sa * cb) * pz;
  J[n + 2] = (cc * cb - sc * sa * sb) * px + (-sc * ca) * py + (cc * sb + sc * sa * cb) * pz;
  J[2 * n + 2] = 0;
}

/** The rotated (unscaled) point `R x` in 3D, DIPY's expressions. */
function rot3Point(t: ArrayLike<number>, x: ArrayLike<number>): [number, number, number] {
  const [sa, ca, sb, cb, sc, cc] = trig3(t);
  const px = x[0], py = x[1], pz = x[2];
  return [
    (cc * cb - sc * sa * sb) * px - sc * ca * py + (cc * sb + sc * sa * cb) * pz,
    (sc * cb + cc * sa * sb) * px + cc * ca * py + (sc * sb - cc * sa * cb) * pz,
    -ca * sb * px + sa * py + ca * cb * pz,
  ];
}

interface Spec {
  readonly n: number;
  readonly identity: readonly number[];
  readonly matrix: MatFn;
  readonly jac: JacFn;
}

function translationSpec(d: Dim): Spec {
  return {
    n: d,
    identity: new Array<number>(d).fill(0),
    matrix: (t, R) => { for (let i = 0; i < d; i++) R[i * (d + 1) + d] = t[i]; },
    jac: (_t, _x, J) => { for (let i = 0; i < d; i++) J[i * d + i] = 1; return true; },
  };
}

const SPECS: Record<Dim, Record<TransformName, Spec>> = {
  2: {
    translation: translationSpec(2),
    rotation: {
      n: 1, identity: [0],
      matrix: (t, R) => { const ct = Math.cos(t[0]), st = Math.sin(t[0]); R[0] = ct; R[1] = -st; R[3] = st; R[4] = ct; },
      jac: (t, x, J) => {
        const st = Math.sin(t[0]), ct = Math.cos(t[0]);
        J[0] = -x[0] * st - x[1] * ct; J[1] = x[0] * ct - x[1] * st; return false;
      },
    },
    rigid: {
      n: 3, identity: [0, 0, 0],
      matrix: (t, R) => {
        const ct = Math.cos(t[0]), st = Math.sin(t[0]);
        R[0] = ct; R[1] = -st; R[2] = t[1]; R[3] = st; R[4] = ct; R[5] = t[2];
      },
      jac: (t, x, J) => {
        const st = Math.sin(t[0]), ct = Math.cos(t[0]), px = x[0], py = x[1];
        J[0] = -px * st - py * ct; J[1] = 1; J[2] = 0;
        J[3] = px * ct - py * st; J[4] = 0; J[5] = 1;
        return false;
      },
    },
    rigidIsoScaling: {
      n: 4, identity: [0, 0, 0, 1],
      matrix: (t, R) => {
        const ct = Math.cos(t[0]), st = Math.sin(t[0]), s = t[3];
        R[0] = ct * s; R[1] = -st * s; R[2] = t[1]; R[3] = st * s; R[4] = ct * s; R[5] = t[2];
      },
      jac: (t, x, J) => {
        const st = Math.sin(t[0]), ct = Math.cos(t[0]), px = x[0], py = x[1], s = t[3];
        J[0] = -px * s * st - py * s * ct; J[1] = 1; J[2] = 0; J[3] = px * ct - py * st;
        J[4] = px * s * ct - py * s * st; J[5] = 0; J[6] = 1; J[7] = px * st + py * ct;
        return false;
      },
    },
    rigidScaling: {
      n: 5, identity: [0, 0, 0, 1, 1],
      matrix: (t, R) => {
        const ct = Math.cos(t[0]), st = Math.sin(t[0]);
        R[0] = ct * t[3]; R[1] = -st * t[3]; R[2] = t[1]; R[3] = st * t[4]; R[4] = ct * t[4]; R[5] = t[2];
      },
      jac: (t, x, J) => {
        const st = Math.sin(t[0]), ct = Math.cos(t[0]), px = x[0], py = x[1], fx = t[3], fy = t[4];
        J[0] = -px * fx * st - py * fx * ct; J[1] = 1; J[2] = 0; J[3] = px * ct - py * st; J[4] = 0;
        J[5] = px * fy * ct - py * fy * st; J[6] = 0; J[7] = 1; J[8] = 0; J[9] = px * st + py * ct;
        return false;
      },
    },
    scaling: {
      n: 1, identity: [1],
      matrix: (t, R) => { R[0] = t[0]; R[4] = t[0]; },
      jac: (_t, x, J) => { J[0] = x[0]; J[1] = x[1]; return false; },
    },
    affine: {
      n: 6, identity: [1, 0, 0, 0, 1, 0],
      matrix: (t, R) => { for (let k = 0; k < 6; k++) R[k] = t[k]; },
      jac: (_t, x, J) => {
        J.fill(0, 0, 12);
        J[0] = x[0]; J[1] = x[1]; J[2] = 1; J[9] = x[0]; J[10] = x[1]; J[11] = 1;
        return false;
      },
    },
  },
  3: {
    translation: translationSpec(3),
    rotation: {
      n: 3, identity: [0, 0, 0],
      matrix: (t, R) => rot3(t, R, 1, 1, 1),
      jac: (t, x, J) => { rot3JacPlain(t, x, J, 3); return false; },
    },
    rigid: {
      n: 6, identity: [0, 0, 0, 0, 0, 0],
      matrix: (t, R) => { rot3(t, R, 1, 1, 1); R[3] = t[3]; R[7] = t[4]; R[11] = t[5]; },
      jac: (t, x, J) => {
        J.fill(0, 0, 18);
        rot3JacPlain(t, x, J, 6);
        J[3] = 1; J[10] = 1; J[17] = 1;
        return false;
      },
    },
    rigidIsoScaling: {
      n: 7, identity: [0, 0, 0, 0, 0, 0, 1],
      matrix: (t, R) => { rot3(t, R, t[6], t[6], t[6]); R[3] = t[3]; R[7] = t[4]; R[11] = t[5]; },
      jac: (t, x, J) => {
        J.fill(0, 0, 21);
        rot3Jac(t, x, J, 7, t[6], t[6], t[6]);
        J[3] = 1; J[11] = 1; J[19] = 1;
        const p = rot3Point(t, x);
        J[6] = p[0]; J[13] = p[1]; J[20] = p[2];
        return false;
      },
    },
    rigidScaling: {
      n: 9, identity: [0, 0, 0, 0, 0, 0, 1, 1, 1],
      matrix: (t, R) => { rot3(t, R, t[6], t[7], t[8]); R[3] = t[3]; R[7] = t[4]; R[11] = t[5]; },
      jac: (t, x, J) => {
        J.fill(0, 0, 27);
        rot3Jac(t, x, J, 9, t[6], t[7], t[8]);
        J[3] = 1; J[13] = 1; J[23] = 1;
        const p = rot3Point(t, x);
        J[6] = p[0]; J[16] = p[1]; J[26] = p[2];
        return false;
      },
    },
    scaling: {
      n: 1, identity: [1],
      matrix: (t, R) => { R[0] = t[0]; R[5] = t[0]; R[10] = t[0]; },
      jac: (_t, x, J) => { J[0] = x[0]; J[1] = x[1]; J[2] = x[2]; return false; },
    },
    affine: {
      n: 12, identity: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0],
      matrix: (t, R) => { for (let k = 0; k < 12; k++) R[k] = t[k]; },
      jac: (_t, x, J) => {
        J.fill(0, 0, 36);
        J[0] = x[0]; J[1] = x[1]; J[2] = x[2]; J[3] = 1;
        J[16] = x[0]; J[17] = x[1]; J[18] = x[2]; J[19] = 1;
        J[32] = x[0]; J[33] = x[1]; J[34] = x[2]; J[35] = 1;
        return false;
      },
    },
  },
};

class ParametricTransform implements Transform {
  readonly numberOfParameters: number;
  constructor(readonly name: TransformName, readonly dim: Dim, private readonly spec: Spec) {
    this.numberOfParameters = spec.n;
  }

  private check(theta: ArrayLike<number>): void {
    if (theta.length !== this.spec.n) {
      throw new InvalidArgumentError(
        `${this.name} (${this.dim}D) takes ${this.spec.n} parameters, got ${theta.length}; ` +
          'pass a parameter vector of the right length (see identityParameters()).',
      );
    }
  }

  identityParameters(): Float64Array {
    return Float64Array.from(this.spec.identity);
  }

  paramToMatrix(theta: ArrayLike<number>): Float64Array {
    this.check(theta);
    const d = this.dim, m = d + 1;
    const R = new Float64Array(m * m);
    for (let i = 0; i < m; i++) R[i * m + i] = 1;
    this.spec.matrix(theta, R);
    return R;
  }

  jacobianInto(theta: ArrayLike<number>, x: ArrayLike<number>, out: Float64Array): boolean {
    return this.spec.jac(theta, x, out);
  }

  jacobian(theta: ArrayLike<number>, x: ArrayLike<number>): Float64Array {
    this.check(theta);
    if (x.length < this.dim) {
      throw new InvalidArgumentError(`the point x has ${x.length} coordinates; a ${this.dim}D transform needs ${this.dim}.`);
    }
    const J = new Float64Array(this.dim * this.spec.n);
    this.spec.jac(theta, x, J);
    return J;
  }
}

/**
 * The transform `name` in dimension `dim` (DIPY's `regtransforms[(NAME, dim)]`).
 * @throws InvalidArgumentError for an unknown name or a dimension other than 2 or 3.
 */
export function getTransform(name: TransformName, dim: Dim): Transform {
  if (dim !== 2 && dim !== 3) throw new InvalidArgumentError(`transforms exist in 2D and 3D, got dimension ${String(dim)}.`);
  const spec = (SPECS[dim] as Record<string, Spec | undefined>)[name];
  if (spec === undefined) {
    throw new InvalidArgumentError(`unknown transform '${String(name)}'; use one of ${TRANSFORM_NAMES.join(', ')}.`);
  }
  return new ParametricTransform(name, dim, spec);
}
