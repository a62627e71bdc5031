/**
 * Errors of the affine stage, as typed {@link DiffeoError}s (DIPY's `AffineInversionError`
 * and `AffineInvalidValuesError`, with the same meanings).
 */
import { InvalidAffineError, NonFiniteError } from '@diffeo/core';

/** An affine that cannot be inverted (DIPY's `AffineInversionError`); code `INVALID_AFFINE`. */
export class AffineInversionError extends InvalidAffineError {
  constructor(message: string) {
    super(message);
    this.name = 'AffineInversionError';
  }
}

/**
 * An affine with invalid entries: non-finite values, or a last row other than `[0, …, 0, 1]`
 * (DIPY's `AffineInvalidValuesError`); code `INVALID_AFFINE`.
 */
export class AffineInvalidValuesError extends InvalidAffineError {
  constructor(message: string) {
    super(message);
    this.name = 'AffineInvalidValuesError';
  }
}

/** The optimiser produced non-finite parameters or metric values; code `NON_FINITE`. */
export class NonFiniteParametersError extends NonFiniteError {
  constructor(message: string) {
    super(message);
    this.name = 'NonFiniteParametersError';
  }
}
