"""Writes the end-to-end test's 3D NIfTI pair from DIPY's S0_10slices.nii.gz.

Run with a Python that has nibabel (Debian: /usr/bin/python3):

    /usr/bin/python3 apps/web/test-data/make_test_data.py

Both outputs are 64 x 64 x 10 uint16 crops of the b0 volume (its only volume), stored
with the same affine: the static crop starts at voxel (32, 32, 0), the moving crop at
(35, 29, 0). Written with the static crop's affine, the moving image shows the same
anatomy displaced by (-3, +3) voxels in-plane (-6 mm, +6 mm along the first two axes),
which a registration has to undo.

The source header's third affine column, (30, 30, 32) mm, is no plausible slice step
(a 53 mm sheared spacing), so the crops get a plain affine: 2 × 2 × 4 mm voxels, no shear, the
origin at the static crop's first voxel.
"""
from pathlib import Path

import nibabel as nib
import numpy as np

HERE = Path(__file__).resolve().parent
SOURCE = HERE.parents[2] / 'packages' / 'data' / 'files' / 'S0_10slices.nii.gz'
SIZE = 64


def crop(data, i0, j0):
    return np.ascontiguousarray(data[i0:i0 + SIZE, j0:j0 + SIZE, :])


def main():
    img = nib.load(str(SOURCE))
    data = np.asarray(img.dataobj)[..., 0]
    affine = np.diag([2.0, 2.0, 4.0, 1.0])
    # the origin: where the source affine puts the static crop's first voxel (32, 32, 0)
    affine[:3, 3] = img.affine[:3, :3] @ np.array([32.0, 32.0, 0.0]) + img.affine[:3, 3]
    for name, (i0, j0) in (('static', (32, 32)), ('moving', (35, 29))):
        out = nib.Nifti1Image(crop(data, i0, j0).astype(np.uint16), affine)
        out.header.set_data_dtype(np.uint16)
        nib.save(out, str(HERE / f's0_{name}.nii.gz'))


if __name__ == '__main__':
    main()
