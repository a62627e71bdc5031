#!/usr/bin/env python3
"""Diagnostic (not a fixture generator): every MutualInformationMetric evaluation DIPY 1.6 makes on the
pipeline_b0_3d data (translation, rigid, affine stages from the centre of mass), to compare an affine run of
@diffeo/affine with DIPY's evaluation by evaluation (parameters, value, gradient).

    /usr/bin/python3 tools/reference/python/trace_dipy_affine.py OUT.json [LEVEL_ITERS, default 50,25,10]

OUT.json: {"TRANSLATION": [[params, value, gradient], ...], "TRANSLATION_affine": 4x4, "RIGID": ..., ...}.
Use 10000,1000,100 for the bench case affine_b0_3d (DIPY's defaults).
"""
import json
import os
import sys

import numpy as np
import nibabel as nib
from dipy.align import transforms as tf
from dipy.align.imaffine import AffineMap, AffineRegistration, MutualInformationMetric, transform_centers_of_mass

sys.path.insert(0, os.path.dirname(__file__))
import make_affine_fixtures as fx  # noqa: E402  (the pipeline_b0_3d data and helpers)


def main():
    out_path = sys.argv[1]
    level_iters = [int(v) for v in (sys.argv[2] if len(sys.argv) > 2 else '50,25,10').split(',')]
    log = []
    original = MutualInformationMetric.distance_and_gradient

    def traced(self, params):
        r = original(self, params)
        log.append([[float(v) for v in params], float(r[0]), [float(v) for v in r[1]]])
        return r

    MutualInformationMetric.distance_and_gradient = traced
    img = nib.load(os.path.join(fx.REPO, 'packages', 'data', 'files', 'S0_10slices.nii.gz'))
    vol = np.asarray(img.dataobj)[::2, ::2, :, 0].astype(np.float32)
    s_g2w = img.affine.copy()
    s_g2w[:3, :2] *= 2.0
    m_g2w = s_g2w.copy()
    m_g2w[:3, 3] += [3.0, -2.0, 1.0]
    truth = fx.hom(fx.rot3(0.04, -0.03) @ np.diag([1.03, 0.97, 1.0]), [2.0, -3.0, 1.5])
    amap = AffineMap(np.linalg.inv(truth), vol.shape, m_g2w, vol.shape, s_g2w)
    mv = np.sqrt(np.maximum(amap.transform(vol), 0)).astype(np.float32)
    affreg = AffineRegistration(MutualInformationMetric(32), level_iters, [3, 1, 0], [4, 2, 1], verbosity=0)
    start = transform_centers_of_mass(vol, s_g2w, mv, m_g2w).affine
    out = {}
    for name in ['TRANSLATION', 'RIGID', 'AFFINE']:
        log.clear()
        start = affreg.optimize(vol, mv, tf.regtransforms[(name, 3)], None, s_g2w, m_g2w, starting_affine=start).affine
        out[name] = list(log)
        out[name + '_affine'] = start.tolist()
        print(name, len(log), 'evaluations')
    with open(out_path, 'w') as f:
        json.dump(out, f)


if __name__ == '__main__':
    main()
