"""Wall time of our default intrinsic-dimension estimator vs scikit-dimension, same points.

n = 20000 points of a d = 8 cube rotated into 64 ambient dims. Our default (``calibrated``) is
timed twice: the first call includes drawing and searching the reference samples of its
calibration, the warm call reuses the in-memory calibration (the usual case: every later call
with the same block size). Prints a markdown table with the ratios.

    python benchmarks/intrinsic_dim_speed.py [--n 20000] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from manifold_scaling.intrinsic_dim import DEFAULT_ESTIMATOR, estimate_id  # noqa: E402


def _timed(fn):
    """Wall and CPU seconds (all threads of this process) of ``fn()``, and its value."""
    t, c = time.perf_counter(), time.process_time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = fn()
    return time.perf_counter() - t, time.process_time() - c, float(value)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20000)
    parser.add_argument("--json", default=None, metavar="OUT")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    d, ambient = 8, 64
    q, _ = np.linalg.qr(rng.standard_normal((ambient, ambient)))
    x = rng.random((args.n, d)) @ q[:d]
    import jax

    jax.random.key(0)  # backend start-up is not the estimator's cost
    rows = [
        (f"ours: {DEFAULT_ESTIMATOR}, first call (builds calibration)", DEFAULT_ESTIMATOR),
        (f"ours: {DEFAULT_ESTIMATOR}, warm call (cached calibration)", DEFAULT_ESTIMATOR),
        ("ours: twonn", "twonn"),
        ("ours: mle (k = 20)", "mle"),
    ]
    results = []
    for label, name in rows:
        results.append((label, *_timed(lambda name=name: estimate_id(x, estimator=name).dimension)))
    try:
        import skdim

        for label, est in (("skdim.TwoNN", skdim.id.TwoNN()), ("skdim.MLE", skdim.id.MLE())):
            results.append((label, *_timed(lambda est=est: est.fit(x).dimension_)))
    except ImportError:
        pass
    warm = results[1][1]
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"### Speed: n = {args.n}, d = {d} cube rotated into {ambient} dims "
        f"({os.cpu_count()} cores, load average {load:.1f})\n"
    )
    print("| estimator | wall time (s) | CPU time (s) | estimate | wall time / our warm call |")
    print("|---|---|---|---|---|")
    for label, sec, cpu, val in results:
        print(f"| {label} | {sec:.2f} | {cpu:.2f} | {val:.2f} | {sec / warm:.1f}x |")
    print("\nCPU time sums all threads; on a loaded machine the wall time exceeds it / cores.")
    if args.json:
        with open(args.json, "w") as f:
            rows = [
                dict(zip(("estimator", "seconds", "cpu_seconds", "estimate"), r)) for r in results
            ]
            json.dump(rows, f, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
