#!/usr/bin/env python3
"""One DIPY run of a diffeo benchmark case, in its own process.

    /usr/bin/python3 run_dipy.py <case_dir> <out_dir>

Reads the case's params.json and .npy inputs written by the diffeo bench
(tools/bench), runs DIPY's SymmetricDiffeomorphicRegistration.optimize with
exactly those parameters (only the optimize call is timed), warps the moving
image (linear) and the moving labels (nearest neighbour) onto the static grid,
saves them as warped_moving.npy / warped_labels.npy in out_dir, and writes
result.json with the same keys as the diffeo child:

    optimizeSeconds        seconds in optimize (time.perf_counter)
    rssBeforeOptimizeKiB   peak RSS after imports and loading (KiB; see peak_rss_kib)
    rssAfterOptimizeKiB    peak RSS right after optimize
    maxRssKiB              peak RSS at the end
    iterationsPerLevel     iterations per pyramid level, coarsest first

Only DIPY's public API is used: SymmetricDiffeomorphicRegistration, SSDMetric,
CCMetric, EMMetric and the returned DiffeomorphicMap's transform.

A case whose params.json has an "affine" entry runs the affine pipeline instead:
transform_centers_of_mass, then AffineRegistration(MutualInformationMetric).optimize
per stage (the whole pipeline is timed), and warps the moving image with the final
AffineMap; iterationsPerLevel is then empty (DIPY's optimize reports no iterations),
and affineIterationsPerLevel / affineEvaluationsPerLevel give scipy's nit / nfev per
stage and level (recorded by wrapping imaffine's Optimizer).
"""
import json
import os
import resource
import sys
import time

import numpy as np
import dipy
from dipy.align.imwarp import SymmetricDiffeomorphicRegistration, RegistrationStages
from dipy.align.metrics import CCMetric, EMMetric, SSDMetric


def peak_rss_kib():
    # VmHWM of /proc/self/status (KiB) on Linux: this process's own peak. Not
    # ru_maxrss there, which the kernel carries across exec, so that it is at least
    # the RSS the parent (the bench) had when it forked this process.
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    # elsewhere ru_maxrss (KiB on Linux, bytes on macOS)
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def affine(value):
    return None if value is None else np.asarray(value, dtype=np.float64)


def make_metric(p):
    dim = int(p["dim"])
    if p["metric"] == "SSD":
        return SSDMetric(dim, smooth=p["smooth"], inner_iter=int(p["inner_iter"]), step_type=p["step_type"])
    if p["metric"] == "CC":
        return CCMetric(dim, sigma_diff=p["sigma_diff"], radius=int(p["radius"]))
    if p["metric"] == "EM":
        return EMMetric(dim, smooth=p["smooth"], inner_iter=int(p["inner_iter"]), q_levels=int(p["q_levels"]),
                        double_gradient=bool(p["double_gradient"]), step_type=p["step_type"])
    raise ValueError("unsupported metric %r" % p["metric"])


AFFINE_STAGES = {"translation": "TRANSLATION", "rigid": "RIGID", "affine": "AFFINE",
                 "rigid_isoscaling": "RIGIDISOSCALING", "rigid_scaling": "RIGIDSCALING"}


def run_affine(params, static, moving, out_dir):
    from dipy.align.imaffine import AffineRegistration, MutualInformationMetric, transform_centers_of_mass
    from dipy.align import transforms as tf
    a = params["affine"]
    s_g2w = affine(params["static_grid2world"])
    m_g2w = affine(params["moving_grid2world"])
    dim = static.ndim
    # DIPY's optimize keeps no counts: its Optimizer (scipy's minimize result) is wrapped to record,
    # per stage and level, the iterations (nit) and the metric evaluations (nfev)
    import dipy.align.imaffine as imaffine
    counts = {"iterations": [], "evaluations": []}
    base_optimizer = imaffine.Optimizer

    class CountingOptimizer(base_optimizer):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            counts["iterations"].append(int(self.nit))
            counts["evaluations"].append(int(self.nfev))

    imaffine.Optimizer = CountingOptimizer
    rss_before = peak_rss_kib()
    t0 = time.perf_counter()
    affreg = AffineRegistration(MutualInformationMetric(int(a["nbins"]), a["sampling_proportion"]),
                                list(a["level_iters"]), list(a["sigmas"]), list(a["factors"]), verbosity=0)
    start = None
    amap = None
    for stage in a["pipeline"]:
        if stage == "center_of_mass":
            amap = transform_centers_of_mass(static, s_g2w, moving, m_g2w)
        else:
            amap = affreg.optimize(static, moving, tf.regtransforms[(AFFINE_STAGES[stage], dim)], None, s_g2w, m_g2w,
                                   starting_affine=start)
        start = amap.affine
    optimize_seconds = time.perf_counter() - t0
    imaffine.Optimizer = base_optimizer
    rss_after = peak_rss_kib()
    warped = np.asarray(amap.transform(moving), dtype=np.float32)
    np.save(os.path.join(out_dir, "warped_moving.npy"), warped)
    with open(os.path.join(out_dir, "affine.json"), "w") as f:
        json.dump(np.asarray(start).ravel().tolist(), f)
    return {
        "implementation": "dipy-" + dipy.__version__,
        "optimizeSeconds": optimize_seconds,
        "rssBeforeOptimizeKiB": rss_before,
        "rssAfterOptimizeKiB": rss_after,
        "maxRssKiB": peak_rss_kib(),
        "iterationsPerLevel": [],
        # per stage and level, coarsest first (scipy's nit and nfev; not part of the timed comparison)
        "affineIterationsPerLevel": counts["iterations"],
        "affineEvaluationsPerLevel": counts["evaluations"],
        "numpy": np.__version__,
    }


def main(argv):
    if len(argv) != 2:
        sys.stderr.write("usage: run_dipy.py <case_dir> <out_dir>\n")
        return 2
    case_dir, out_dir = argv
    with open(os.path.join(case_dir, "params.json")) as f:
        params = json.load(f)
    inputs = params["inputs"]
    static = np.load(os.path.join(case_dir, inputs["static"]))
    moving = np.load(os.path.join(case_dir, inputs["moving"]))
    labels = None
    if inputs.get("moving_labels"):
        labels = np.load(os.path.join(case_dir, inputs["moving_labels"])).astype(np.int32)

    if params.get("affine"):
        result = run_affine(params, static, moving, out_dir)
        with open(os.path.join(out_dir, "result.json"), "w") as f:
            json.dump(result, f)
        return 0

    iterations = []

    def callback(sdr, status):
        if status == RegistrationStages.SCALE_START:
            iterations.append(0)
        elif status == RegistrationStages.ITER_END:
            iterations[-1] += 1

    s = params["syn"]
    sdr = SymmetricDiffeomorphicRegistration(
        make_metric(params["metric"]),
        level_iters=list(s["level_iters"]),
        step_length=s["step_length"],
        ss_sigma_factor=s["ss_sigma_factor"],
        opt_tol=s["opt_tol"],
        inv_iter=int(s["inv_iter"]),
        inv_tol=s["inv_tol"],
        callback=callback,
    )
    rss_before = peak_rss_kib()
    t0 = time.perf_counter()
    mapping = sdr.optimize(
        static,
        moving,
        static_grid2world=affine(params["static_grid2world"]),
        moving_grid2world=affine(params["moving_grid2world"]),
        prealign=affine(params["prealign"]),
    )
    optimize_seconds = time.perf_counter() - t0
    rss_after = peak_rss_kib()

    warped = np.asarray(mapping.transform(moving), dtype=np.float32)
    np.save(os.path.join(out_dir, "warped_moving.npy"), warped)
    if labels is not None:
        warped_labels = np.asarray(mapping.transform(labels, interpolation="nearest"), dtype=np.int32)
        np.save(os.path.join(out_dir, "warped_labels.npy"), warped_labels)

    result = {
        "implementation": "dipy-" + dipy.__version__,
        "optimizeSeconds": optimize_seconds,
        "rssBeforeOptimizeKiB": rss_before,
        "rssAfterOptimizeKiB": rss_after,
        "maxRssKiB": peak_rss_kib(),
        "iterationsPerLevel": iterations,
        "numpy": np.__version__,
    }
    with open(os.path.join(out_dir, "result.json"), "w") as f:
        json.dump(result, f)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
