#!/usr/bin/env python3
"""Generate DIPY 1.6 reference fixtures for @diffeo/affine (dipy.align.imaffine / transforms / parzenhist).

Run with Debian's DIPY 1.6:  /usr/bin/python3 tools/reference/python/make_affine_fixtures.py [OUT_DIR]
(default OUT_DIR: fixtures/affine). Writes `.npy` files plus a `manifest.json` in the format of
fixtures/reference (one entry per array: file, dtype, shape, bytes, sha256, description), and
small scalars and matrices directly in the manifest.

Cases (all small, so they can live in the repository):
- transforms: each of DIPY's 14 regtransforms at random parameters and points: param_to_matrix,
  jacobian, get_identity_parameters.
- initialisers: transform_centers_of_mass / transform_geometric_centers / transform_origins on a
  2D b0 slice pair and a 3D blob pair with oblique, anisotropic grid-to-world matrices.
- affine_map: AffineMap.transform / transform_inverse, linear and nearest, 2D and 3D.
- mi_*: MutualInformationMetric distance and gradient (dense, with and without masks; sparse with
  sampling_proportion), and the sample points of sample_domain_regular.
- scalespace_iso: IsotropicScaleSpace levels of a 2D image.
- pipeline_t1_2d: the centre-of-mass, translation, rigid, affine pipeline on a 128x128 T1 slice and an
  affinely moved copy on another grid (reduced level_iters), the affine after each stage, and label maps
  (intensity classes moved through the true affine, and warped back through DIPY's final affine); the same with
  masks (pipeline_t1_2d_masks); and a 3D pipeline on a 64x64x10 b0 volume (pipeline_b0_3d).
"""
import hashlib
import json
import os
import sys

import numpy as np
import dipy
from dipy.align import transforms as tf
from dipy.align.imaffine import (AffineMap, MutualInformationMetric, AffineRegistration,
                                 transform_centers_of_mass, transform_geometric_centers,
                                 transform_origins)
from dipy.align.parzenhist import sample_domain_regular
from dipy.align.scalespace import IsotropicScaleSpace

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))

NAMES = [('TRANSLATION', 'translation'), ('ROTATION', 'rotation'), ('RIGID', 'rigid'),
         ('RIGIDISOSCALING', 'rigidIsoScaling'), ('RIGIDSCALING', 'rigidScaling'),
         ('SCALING', 'scaling'), ('AFFINE', 'affine')]


class Writer:
    def __init__(self, out_dir):
        self.out_dir = out_dir
        self.cases = []

    def case(self, name, description, **params):
        c = {'name': name, 'description': description, 'params': params, 'arrays': {}, 'values': {}}
        self.cases.append(c)
        return c

    def array(self, case, key, arr, description):
        rel = f"{case['name']}/{key}.npy"
        path = os.path.join(self.out_dir, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        arr = np.ascontiguousarray(arr)
        np.save(path, arr)
        data = open(path, 'rb').read()
        case['arrays'][key] = {'file': rel, 'dtype': arr.dtype.str, 'shape': list(arr.shape), 'bytes': len(data),
                               'sha256': hashlib.sha256(data).hexdigest(), 'description': description}

    def value(self, case, key, v):
        case['values'][key] = v

    def finish(self):
        manifest = {'title': 'DIPY imaffine reference fixtures (tools/reference/python/make_affine_fixtures.py)',
                    'generator': {'dipy_version': dipy.__version__, 'numpy_version': np.__version__},
                    'cases': self.cases}
        with open(os.path.join(self.out_dir, 'manifest.json'), 'w') as f:
            json.dump(manifest, f, indent=1)
        print(f'wrote {len(self.cases)} cases to {self.out_dir}')


def rot2(t):
    c, s = np.cos(t), np.sin(t)
    return np.array([[c, -s], [s, c]])


def rot3(a, b):
    ca, sa, cb, sb = np.cos(a), np.sin(a), np.cos(b), np.sin(b)
    rx = np.array([[1, 0, 0], [0, ca, -sa], [0, sa, ca]])
    ry = np.array([[cb, 0, sb], [0, 1, 0], [-sb, 0, cb]])
    return rx @ ry


def hom(lin, trans):
    d = lin.shape[0]
    a = np.eye(d + 1)
    a[:d, :d] = lin
    a[:d, d] = trans
    return a


def b0_pair():
    """The 128x128 uint16 b0 slices of fixtures/reference/e2e_s0_b0_cc, every 2nd pixel (64x64)."""
    d = os.path.join(REPO, 'fixtures', 'reference', 'e2e_s0_b0_cc')
    s = np.load(os.path.join(d, 'static.npy'))[::2, ::2].copy()
    m = np.load(os.path.join(d, 'moving.npy'))[::2, ::2].copy()
    return s, m


def blobs3(shape, seed, n=5):
    rng = np.random.default_rng(seed)
    grid = np.stack(np.meshgrid(*[np.arange(k) for k in shape], indexing='ij'), -1).astype(np.float64)
    vol = np.zeros(shape)
    for _ in range(n):
        c = rng.uniform(0.3, 0.7, 3) * np.array(shape)
        r = rng.uniform(2.0, 4.0)
        vol += rng.uniform(0.5, 1.0) * np.exp(-np.sum((grid - c) ** 2, -1) / (2 * r * r))
    return (vol / vol.max()).astype(np.float32)


def data_case(w):
    s, m = b0_pair()
    c = w.case('data', 'inputs shared by the other cases: the 64x64 b0 pair (every 2nd pixel of '
               'fixtures/reference/e2e_s0_b0_cc static/moving) and two 3D blob volumes')
    w.array(c, 'b0_static', s, 'b0 static slice (uint16)')
    w.array(c, 'b0_moving', m, 'b0 moving slice (uint16)')
    w.array(c, 'blobs_static', blobs3((14, 16, 12), 1), 'blob volume 14x16x12 (float32)')
    w.array(c, 'blobs_moving', blobs3((13, 15, 16), 2), 'blob volume 13x15x16 (float32)')


def transforms_case(w):
    rng = np.random.default_rng(20261207)
    for dim in (2, 3):
        for dname, name in NAMES:
            t = tf.regtransforms[(dname, dim)]
            n = t.get_number_of_parameters()
            k = 5
            ident = t.get_identity_parameters()
            theta = ident[None, :] + rng.uniform(-0.6, 0.6, (k, n))
            x = rng.uniform(-60, 60, (k, dim))
            mats = np.stack([t.param_to_matrix(theta[i]) for i in range(k)])
            jacs = np.stack([t.jacobian(theta[i], x[i]) for i in range(k)])
            c = w.case(f'transform_{name}_{dim}d', f'regtransforms[({dname!r}, {dim})] at {k} random parameters',
                       transform=name, dim=dim)
            w.value(c, 'identity', ident.tolist())
            w.array(c, 'theta', theta, 'parameters, one row per sample')
            w.array(c, 'x', x, 'world points, one row per sample')
            w.array(c, 'matrix', mats, 'param_to_matrix(theta[i])')
            w.array(c, 'jacobian', jacs, 'jacobian(theta[i], x[i]), shape (dim, n)')


def initializers_case(w):
    s, m = b0_pair()
    s_g2w = hom(rot2(0.2) @ np.diag([1.8, 2.2]), [-40.0, 30.5])
    m_g2w = hom(rot2(-0.1) @ np.diag([2.0, 1.9]), [-35.25, 28.0])
    blobs_s = blobs3((14, 16, 12), 1)
    blobs_m = blobs3((13, 15, 16), 2)
    s3 = hom(rot3(0.1, -0.2) @ np.diag([2.0, 1.5, 2.5]), [-10.0, 4.0, 7.5])
    m3 = hom(rot3(-0.15, 0.05) @ np.diag([1.7, 2.1, 1.9]), [-8.0, 3.0, 9.0])
    for name, st, mv, sg, mg in [('init_b0_2d', s, m, s_g2w, m_g2w), ('init_blobs_3d', blobs_s, blobs_m, s3, m3)]:
        c = w.case(name, 'transform_centers_of_mass / transform_geometric_centers / transform_origins',
                   static_grid2world=sg.tolist(), moving_grid2world=mg.tolist())
        w.array(c, 'com', transform_centers_of_mass(st, sg, mv, mg).affine, 'transform_centers_of_mass(...).affine')
        w.array(c, 'centers', transform_geometric_centers(st, sg, mv, mg).affine,
                'transform_geometric_centers(...).affine')
        w.array(c, 'origins', transform_origins(st, sg, mv, mg).affine, 'transform_origins(...).affine')
        w.array(c, 'com_identity', transform_centers_of_mass(st, None, mv, None).affine,
                'transform_centers_of_mass without grid-to-world matrices')


def affine_map_case(w):
    s, m = b0_pair()
    s_g2w = hom(rot2(0.2) @ np.diag([1.8, 2.2]), [-40.0, 30.5])
    m_g2w = hom(rot2(-0.1) @ np.diag([2.0, 1.9]), [-35.25, 28.0])
    A = hom(rot2(0.05) @ np.array([[1.05, 0.03], [-0.02, 0.97]]), [2.5, -1.75])
    c = w.case('affine_map_2d', 'AffineMap(A, static.shape, static_g2w, moving.shape, moving_g2w) on the b0 pair',
               affine=A.tolist(), domain_grid2world=s_g2w.tolist(), codomain_grid2world=m_g2w.tolist())
    amap = AffineMap(A, s.shape, s_g2w, m.shape, m_g2w)
    w.array(c, 'transform_linear', amap.transform(m), 'transform(moving) (float64)')
    w.array(c, 'transform_nearest', amap.transform(m.astype(np.int32), interpolation='nearest'), 'transform(moving as int32, nearest)')
    w.array(c, 'inverse_linear', amap.transform_inverse(s), 'transform_inverse(static) (float64)')
    w.array(c, 'inverse_nearest', amap.transform_inverse(s.astype(np.int32), interpolation='nearest'),
            'transform_inverse(static as int32, nearest)')

    st, mv = blobs3((14, 16, 12), 1), blobs3((13, 15, 16), 2)
    s3 = hom(rot3(0.1, -0.2) @ np.diag([2.0, 1.5, 2.5]), [-10.0, 4.0, 7.5])
    m3 = hom(rot3(-0.15, 0.05) @ np.diag([1.7, 2.1, 1.9]), [-8.0, 3.0, 9.0])
    A3 = hom(rot3(0.05, 0.02) @ np.diag([1.02, 0.98, 1.01]), [1.0, -0.5, 2.0])
    c = w.case('affine_map_3d', 'AffineMap on a 3D blob pair', affine=A3.tolist(),
               domain_grid2world=s3.tolist(), codomain_grid2world=m3.tolist())
    amap = AffineMap(A3, st.shape, s3, mv.shape, m3)
    w.array(c, 'transform_linear', amap.transform(mv), 'transform(moving)')
    w.array(c, 'transform_nearest', amap.transform(mv, interpolation='nearest'), 'transform(moving, nearest)')
    w.array(c, 'inverse_linear', amap.transform_inverse(st), 'transform_inverse(static)')
    w.array(c, 'inverse_nearest', amap.transform_inverse(st, interpolation='nearest'),
            'transform_inverse(static, nearest)')


def mi_cases(w):
    s, m = b0_pair()
    s = s.astype(np.float64) / 4095.0
    m = m.astype(np.float64) / 4095.0
    s_g2w = hom(rot2(0.2) @ np.diag([1.8, 2.2]), [-40.0, 30.5])
    m_g2w = hom(rot2(-0.1) @ np.diag([2.0, 1.9]), [-35.25, 28.0])
    start = transform_centers_of_mass(s, s_g2w, m, m_g2w).affine
    smask = (s > 0.05).astype(np.int32)
    mmask = (m > 0.05).astype(np.int32)
    runs = [
        ('mi_dense_rigid_2d', 'RIGID', 2, [0.05, 1.5, -2.0], None, None, None),
        ('mi_dense_affine_2d', 'AFFINE', 2, [1.03, 0.02, 1.0, -0.03, 0.98, -0.5], None, None, None),
        ('mi_dense_rigidscaling_2d_masks', 'RIGIDSCALING', 2, [0.04, 1.0, -1.0, 1.05, 0.97], smask, mmask, None),
        ('mi_sparse_rigid_2d', 'RIGID', 2, [0.05, 1.5, -2.0], None, None, 0.3),
    ]
    for name, tname, dim, params, sm, mm, sp in runs:
        t = tf.regtransforms[(tname, dim)]
        metric = MutualInformationMetric(32, sp)
        metric.setup(t, s, m, s_g2w, m_g2w, start, sm, mm)
        theta = np.array(params, dtype=np.float64)
        val, grad = metric.distance_and_gradient(theta)
        c = w.case(name, f'MutualInformationMetric(32, {sp}) distance_and_gradient, {tname} {dim}D, b0 pair',
                   transform=tname.lower(), dim=dim, nbins=32, sampling_proportion=sp, theta=params,
                   static_grid2world=s_g2w.tolist(), moving_grid2world=m_g2w.tolist(), starting_affine=start.tolist())
        if sm is not None:
            c['params']['masks'] = 'static > 0.05, moving > 0.05 (int32)'
        w.value(c, 'distance', float(val))
        w.value(c, 'gradient', [float(g) for g in grad])
        w.array(c, 'joint', metric.histogram.joint, 'histogram.joint after the call')
        if sp is not None:
            w.array(c, 'samples', metric.samples[:, :dim], 'sample points (world) of sample_domain_regular')

    # 3D dense on the blob pair
    st, mv = blobs3((14, 16, 12), 1).astype(np.float64), blobs3((13, 15, 16), 2).astype(np.float64)
    s3 = hom(rot3(0.1, -0.2) @ np.diag([2.0, 1.5, 2.5]), [-10.0, 4.0, 7.5])
    m3 = hom(rot3(-0.15, 0.05) @ np.diag([1.7, 2.1, 1.9]), [-8.0, 3.0, 9.0])
    start3 = transform_centers_of_mass(st, s3, mv, m3).affine
    for name, tname, params in [('mi_dense_rigid_3d', 'RIGID', [0.02, -0.03, 0.05, 0.5, -0.4, 0.3]),
                                ('mi_dense_affine_3d', 'AFFINE', [1.02, 0.01, -0.02, 0.3, 0.0, 0.98, 0.03, -0.2,
                                                                  0.01, -0.02, 1.01, 0.4])]:
        t = tf.regtransforms[(tname, 3)]
        metric = MutualInformationMetric(32, None)
        metric.setup(t, st, mv, s3, m3, start3)
        theta = np.array(params, dtype=np.float64)
        val, grad = metric.distance_and_gradient(theta)
        c = w.case(name, f'MutualInformationMetric(32) dense, {tname} 3D, blob pair', transform=tname.lower(), dim=3,
                   nbins=32, sampling_proportion=None, theta=params, static_grid2world=s3.tolist(),
                   moving_grid2world=m3.tolist(), starting_affine=start3.tolist())
        w.value(c, 'distance', float(val))
        w.value(c, 'gradient', [float(g) for g in grad])
        w.array(c, 'joint', metric.histogram.joint, 'histogram.joint after the call')

    c = w.case('sample_domain_regular', 'sample_domain_regular(k, shape, grid2world) (seed 1234, sigma 0.25)',
               k=3, shape=[7, 9], grid2world=s_g2w.tolist())
    w.array(c, 'samples_2d', sample_domain_regular(3, np.array([7, 9], dtype=np.int32), s_g2w), '2D samples')
    w.array(c, 'samples_3d', sample_domain_regular(4, np.array([5, 6, 7], dtype=np.int32), s3), '3D samples, k=4')


def scalespace_case(w):
    s, _ = b0_pair()
    g2w = hom(rot2(0.2) @ np.diag([1.8, 2.2]), [-40.0, 30.5])
    spacing = np.sqrt(np.sum(g2w[:2, :2] ** 2, 0))
    img = s.astype(np.float64) / 4095.0
    ss = IsotropicScaleSpace(img, [4, 2, 1], [3, 1, 0], g2w, spacing, False)
    c = w.case('scalespace_iso_2d', 'IsotropicScaleSpace(image, [4,2,1], [3,1,0], g2w, spacing, False)',
               factors=[4, 2, 1], sigmas=[3, 1, 0], grid2world=g2w.tolist(), spacing=spacing.tolist())
    for L in range(3):
        w.array(c, f'image_{L}', ss.get_image(L), f'get_image({L}) (float32)')
        w.value(c, f'domain_shape_{L}', [int(v) for v in ss.get_domain_shape(L)])
        w.value(c, f'affine_{L}', np.asarray(ss.get_affine(L)).tolist())


def t1_pair():
    """A real T1 slice (DIPY's t1_coronal_slice, every 2nd pixel: 128x128) as static, and as moving the
    same slice resampled through a known affine on another oblique grid, with a monotone intensity change."""
    st = np.load(os.path.join(REPO, 'packages', 'data', 'files', 't1_coronal_slice.npy'))[::2, ::2].astype(np.float32)
    s_g2w = hom(rot2(0.15) @ np.diag([1.6, 1.9]), [-100.0, -110.0])
    m_g2w = hom(rot2(-0.05) @ np.diag([1.75, 1.7]), [-105.0, -95.0])
    truth = hom(rot2(0.08) @ np.array([[1.06, 0.04], [-0.03, 0.95]]), [4.0, -6.5])
    # moving(y) = static(truth^-1 y): resample the static image on the moving grid
    amap = AffineMap(np.linalg.inv(truth), (120, 124), m_g2w, st.shape, s_g2w)
    mv = (amap.transform(st) ** 0.8 * 1000.0).astype(np.float32)
    return st, s_g2w, mv, m_g2w, truth


def pipeline_case(w):
    st, s_g2w, mv, m_g2w, truth = t1_pair()
    level_iters = [100, 50, 25]
    c = w.case('pipeline_t1_2d', 'center_of_mass, translation, rigid, affine on a 128x128 T1 slice and an affinely '
               'moved, intensity-changed copy on another grid (AffineRegistration, MutualInformationMetric(32), '
               'factors [4,2,1], sigmas [3,1,0])',
               level_iters=level_iters, static_grid2world=s_g2w.tolist(), moving_grid2world=m_g2w.tolist(),
               true_affine=truth.tolist())
    w.array(c, 'static', st, 'static (float32)')
    w.array(c, 'moving', mv, 'moving (float32)')
    affreg = AffineRegistration(MutualInformationMetric(32), level_iters, [3, 1, 0], [4, 2, 1], verbosity=0)
    start = transform_centers_of_mass(st, s_g2w, mv, m_g2w).affine
    w.value(c, 'affine_com', start.tolist())
    for tname, key in [('TRANSLATION', 'translation'), ('RIGID', 'rigid'), ('AFFINE', 'affine')]:
        amap = affreg.optimize(st, mv, tf.regtransforms[(tname, 2)], None, s_g2w, m_g2w, starting_affine=start)
        start = amap.affine
        w.value(c, f'affine_{key}', start.tolist())
    # Label maps: three intensity classes of the static slice (thresholds at the 30th and 70th percentile
    # of the foreground > 0.05), moved to the moving grid through the true affine like the image, and
    # DIPY's final affine applied to the moving labels (nearest neighbour) back on the static grid.
    fg = st[st > 0.05]
    t1, t2 = np.percentile(fg, [30, 70])
    labels = np.zeros(st.shape, np.int32)
    labels[st > 0.05] = 1
    labels[st > t1] = 2
    labels[st > t2] = 3
    lmap = AffineMap(np.linalg.inv(truth), (120, 124), m_g2w, st.shape, s_g2w)
    mlabels = lmap.transform(labels, interpolation='nearest').astype(np.int32)
    final = AffineMap(start, st.shape, s_g2w, mlabels.shape, m_g2w)
    warped = final.transform(mlabels, interpolation='nearest').astype(np.int32)
    w.array(c, 'labels_static', labels, 'static labels (int32): 0 background, 1-3 intensity classes of the static slice')
    w.array(c, 'labels_moving', mlabels, 'moving labels (int32): labels_static moved through true_affine (nearest)')
    w.array(c, 'labels_warped_dipy', warped, "labels_moving on the static grid through DIPY's final affine (nearest)")
    dices = [float(2.0 * np.sum((labels == k) & (warped == k)) / (np.sum(labels == k) + np.sum(warped == k))) for k in (1, 2, 3)]
    w.value(c, 'dice_dipy', dices)


def pipeline_masked_case(w):
    """The T1 pair again, with a static and a moving mask (intensity > 0.05)."""
    st, s_g2w, mv, m_g2w, truth = t1_pair()
    level_iters = [100, 50, 25]
    smask = (st > 0.05).astype(np.int32)
    mmask = (mv > 0.05 * 1000).astype(np.int32)
    c = w.case('pipeline_t1_2d_masks', 'the pipeline_t1_2d pipeline with static_mask = static > 0.05 and '
               'moving_mask = moving > 50 (DIPY 1.6 masks: masked centres of mass, masked intensity ranges and histogram)',
               level_iters=level_iters, static_grid2world=s_g2w.tolist(), moving_grid2world=m_g2w.tolist(),
               masks='static > 0.05, moving > 50')
    affreg = AffineRegistration(MutualInformationMetric(32), level_iters, [3, 1, 0], [4, 2, 1], verbosity=0)
    start = transform_centers_of_mass(st * smask, s_g2w, mv * mmask, m_g2w).affine
    w.value(c, 'affine_com', start.tolist())
    for tname, key in [('TRANSLATION', 'translation'), ('RIGID', 'rigid'), ('AFFINE', 'affine')]:
        amap = affreg.optimize(st, mv, tf.regtransforms[(tname, 2)], None, s_g2w, m_g2w, starting_affine=start,
                               static_mask=smask, moving_mask=mmask)
        start = amap.affine
        w.value(c, f'affine_{key}', start.tolist())


def pipeline_3d_case(w):
    """A real 3D b0 volume (S0_10slices, every 2nd voxel in-plane: 64x64x10, 4 mm x 4 mm x 32 mm... made
    less anisotropic by taking slices as they are) and an affinely moved, intensity-changed copy."""
    import nibabel as nib
    img = nib.load(os.path.join(REPO, 'packages', 'data', 'files', 'S0_10slices.nii.gz'))
    vol = np.asarray(img.dataobj)[::2, ::2, :, 0].astype(np.float32)
    s_g2w = img.affine.copy()
    s_g2w[:3, :2] *= 2.0
    m_g2w = s_g2w.copy()
    m_g2w[:3, 3] += [3.0, -2.0, 1.0]
    lin = rot3(0.04, -0.03) @ np.diag([1.03, 0.97, 1.0])
    truth = hom(lin, [2.0, -3.0, 1.5])
    amap = AffineMap(np.linalg.inv(truth), vol.shape, m_g2w, vol.shape, s_g2w)
    mv = np.sqrt(np.maximum(amap.transform(vol), 0)).astype(np.float32)
    level_iters = [50, 25, 10]
    c = w.case('pipeline_b0_3d', 'center_of_mass, translation, rigid, affine on a 64x64x10 b0 volume (S0_10slices) '
               'and an affinely moved, sqrt-intensity copy (AffineRegistration, MutualInformationMetric(32))',
               level_iters=level_iters, static_grid2world=s_g2w.tolist(), moving_grid2world=m_g2w.tolist(),
               true_affine=truth.tolist())
    w.array(c, 'static', vol, 'static (float32)')
    w.array(c, 'moving', mv, 'moving (float32)')
    affreg = AffineRegistration(MutualInformationMetric(32), level_iters, [3, 1, 0], [4, 2, 1], verbosity=0)
    start = transform_centers_of_mass(vol, s_g2w, mv, m_g2w).affine
    w.value(c, 'affine_com', start.tolist())
    for tname, key in [('TRANSLATION', 'translation'), ('RIGID', 'rigid'), ('AFFINE', 'affine')]:
        amap = affreg.optimize(vol, mv, tf.regtransforms[(tname, 3)], None, s_g2w, m_g2w, starting_affine=start)
        start = amap.affine
        w.value(c, f'affine_{key}', start.tolist())


def lbfgs_case(w):
    """scipy's L-BFGS-B (unbounded) on Rosenbrock functions: the optimiser AffineRegistration uses."""
    from scipy.optimize import minimize, rosen, rosen_der
    for name, x0, opts in [('lbfgs_rosen_2d', [-1.2, 1.0], {'gtol': 1e-4}),
                           ('lbfgs_rosen_5d', [1.3, 0.7, 0.8, 1.9, 1.2], {'gtol': 1e-4}),
                           ('lbfgs_rosen_5d_maxfun', [1.3, 0.7, 0.8, 1.9, 1.2], {'gtol': 1e-4, 'maxfun': 15})]:
        res = minimize(lambda x: (rosen(x), rosen_der(x)), np.array(x0), method='L-BFGS-B', jac=True, options=opts)
        c = w.case(name, 'scipy.optimize.minimize(rosen, method=L-BFGS-B, jac=True)', x0=x0, options=opts)
        w.value(c, 'x', res.x.tolist())
        w.value(c, 'fun', float(res.fun))
        w.value(c, 'nit', int(res.nit))
        w.value(c, 'nfev', int(res.nfev))
        w.value(c, 'message', str(res.message))


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(REPO, 'fixtures', 'affine')
    os.makedirs(out_dir, exist_ok=True)
    w = Writer(out_dir)
    data_case(w)
    transforms_case(w)
    initializers_case(w)
    affine_map_case(w)
    mi_cases(w)
    scalespace_case(w)
    lbfgs_case(w)
    pipeline_case(w)
    pipeline_masked_case(w)
    pipeline_3d_case(w)
    w.finish()


if __name__ == '__main__':
    main()
