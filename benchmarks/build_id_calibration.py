"""Build the calibrated intrinsic-dimension estimator's shipped reference table.

Draws, for every grid size n in ``SIZES`` (50 ... 5000), reference family (sphere, cube,
Gaussian) and d = 1..128, the reference samples that ``calibrated_id`` would otherwise draw on
first use, and stores their pooled raw Levina--Bickel (2005) statistic and inhomogeneity in
``manifold_scaling/data/id_calibration.npz`` (format: the docstring of
``manifold_scaling.intrinsic_dim._calibration_table``). Deterministic: every sample comes from the fixed
calibration key ``jax.random.key(0)`` folded with (family, d, repeat), as at run time. Takes about
half an hour of one CPU core; ``--check N`` rebuilds size N (N = 5000: ~3 min).

    python benchmarks/build_id_calibration.py [--dims 128] [--sizes 50,60,...] [--out FILE]
    python benchmarks/build_id_calibration.py --check 50   # rebuild one size, compare to the file
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from manifold_scaling import __version__  # noqa: E402
from manifold_scaling.intrinsic_dim import _calibrated as cal  # noqa: E402
from manifold_scaling.intrinsic_dim import _calibration_table as table  # noqa: E402

DIMS = 128  # covers the estimator's d grid for raw estimates up to ~60 (true d ~ 100)


def meta(sizes, dims: int) -> dict:
    import scipy

    return {
        **table.table_parameters(cal._parameters()),
        "sizes": [int(n) for n in sizes],
        "dims": [1, dims],
        "repeats": [cal.repeats(int(n)) for n in sizes],
        "families_order": "axis 1 of raw and inhomogeneity",
        "built_by": "benchmarks/build_id_calibration.py",
        "package_version": __version__,
        "numpy_version": np.__version__,
        "scipy_version": scipy.__version__,
        "python": platform.python_version(),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dims", type=int, default=DIMS, help=f"largest d (default {DIMS})")
    parser.add_argument("--sizes", default=None, help="comma-separated sizes (default SIZES)")
    parser.add_argument("--out", default=table.path(), help="output .npz (default: shipped)")
    parser.add_argument("--check", type=int, default=None, metavar="N", help="compare size N")
    args = parser.parse_args(argv)
    if args.check is not None:
        return check(args.check, args.out)
    sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else list(cal.SIZES)
    t0 = time.perf_counter()

    def progress(i, n):
        print(f"  n = {n}: done ({time.perf_counter() - t0:.0f} s)", file=sys.stderr, flush=True)

    built = cal.build_table(sizes, args.dims, progress=progress)
    table.save(args.out, built, meta(sizes, args.dims))
    size = os.path.getsize(args.out)
    print(f"wrote {args.out}: {len(sizes)} sizes x 3 families x d = 1..{args.dims}, {size} bytes")
    return 0


def check(n: int, file: str) -> int:
    """Rebuild size ``n`` for every d of ``file`` and report the largest relative difference."""
    with np.load(file, allow_pickle=False) as data:
        sizes = [int(s) for s in data["sizes"]]
        raw, inhom = data["raw"], data["inhomogeneity"]
        info = json.loads(str(data["meta"]))
    fresh = cal.build_table([n], raw.shape[2])
    i = sizes.index(n)
    err = max(
        float(np.max(np.abs(fresh["raw"][0] / raw[i] - 1))),
        float(np.max(np.abs(fresh["inhomogeneity"][0] - inhom[i]))),
    )
    print(f"{file} (format {info['format_version']}, built by {info['package_version']}): n = {n}")
    print(f"largest difference from a fresh build: {err:.3g}")
    return 0 if err < 1e-9 else 1


if __name__ == "__main__":
    raise SystemExit(main())
