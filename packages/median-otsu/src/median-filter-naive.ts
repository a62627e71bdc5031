/**
 * Naive oracle of the median filter (SciPy's `median_filter`, mode `reflect`, as
 * DIPY's `median_otsu` uses it): gather the full `(2r+1)^d` window with the reflect
 * extension (`… c b a | a b c | c b a …`, unfolded by repeated mirroring, written
 * independently of `reflectTable`'s modular formula), sort it, take the middle.
 * C-order data over a 2D `[rows, cols]` or 3D shape; radius `r` in voxels. Used by
 * the tests only (not exported from the package index).
 */
/** scipy 'reflect' index, by repeated mirroring (independent of reflectTable's modular formula). */
export function mirror(i: number, n: number): number {
  while (i < 0 || i >= n) {
    if (i < 0) i = -i - 1;
    if (i >= n) i = 2 * n - i - 1;
  }
  return i;
}

/** Naive oracle: gather the full (2r+1)^d window with reflection, sort, take the middle. */
export function naiveMedian(data: ArrayLike<number>, shape: number[], r: number): number[] {
  const s3 = shape.length === 2 ? [1, shape[0], shape[1]] : shape;
  const r3 = shape.length === 2 ? [0, r, r] : [r, r, r];
  const out: number[] = [];
  const win: number[] = [];
  for (let i = 0; i < s3[0]; i++) {
    for (let j = 0; j < s3[1]; j++) {
      for (let k = 0; k < s3[2]; k++) {
        win.length = 0;
        for (let a = -r3[0]; a <= r3[0]; a++) {
          for (let b = -r3[1]; b <= r3[1]; b++) {
            for (let c = -r3[2]; c <= r3[2]; c++) {
              win.push(data[(mirror(i + a, s3[0]) * s3[1] + mirror(j + b, s3[1])) * s3[2] + mirror(k + c, s3[2])]);
            }
          }
        }
        win.sort((x, y) => x - y);
        out.push(win[(win.length - 1) / 2]);
      }
    }
  }
  return out;
}
