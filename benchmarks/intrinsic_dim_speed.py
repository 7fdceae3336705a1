"""Whole-process wall time: ``manifold-scaling intrinsic-dim`` vs a Python process running skdim.

n = 20000 points of a d = 8 cube rotated into 64 ambient dims, saved once as .npy. Each round
runs, as fresh subprocesses in alternation (so load changes hit both alike):

* ours:  ``python -m manifold_scaling.cli intrinsic-dim POINTS.npy --json`` (default estimator),
* skdim: ``python -c "...; skdim.id.MLE().fit(np.load(POINTS.npy))"``,

and reports the median wall time and the CPU time (user + system of the child) of each, their
ratio, and the start-up floors (``manifold-scaling --help``, ``import skdim``). ``--in-process``
adds the old table: each estimator's time inside one warm process.

    python benchmarks/intrinsic_dim_speed.py [--n 20000] [--rounds 5] [--in-process] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
SKDIM_MLE = (
    "import sys, numpy as np, skdim; print(skdim.id.MLE().fit(np.load(sys.argv[1])).dimension_)"
)


def points(n: int, d: int = 8, ambient: int = 64) -> np.ndarray:
    rng = np.random.default_rng(0)
    q, _ = np.linalg.qr(rng.standard_normal((ambient, ambient)))
    return rng.random((n, d)) @ q[:d]


def run_process(argv: list[str]) -> tuple[float, float, str]:
    """Wall and CPU seconds (user + system of the child) of one subprocess, and its stdout."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    proc = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode:
        raise RuntimeError(f"{argv[:4]} exited {proc.returncode}: {proc.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, proc.stdout


def whole_process(path: str, rounds: int) -> dict:
    py = sys.executable
    commands = {
        "ours: manifold-scaling intrinsic-dim --json": [
            py, "-m", "manifold_scaling.cli", "intrinsic-dim", path, "--json",
        ],
        "skdim: python -c 'skdim.id.MLE().fit(X)'": [py, "-c", SKDIM_MLE, path],
        "ours, start-up floor: manifold-scaling --help": [py, "-m", "manifold_scaling.cli", "--help"],
        "skdim, start-up floor: python -c 'import skdim'": [py, "-c", "import skdim"],
    }  # fmt: skip
    times = {label: [] for label in commands}
    estimates = {}
    for _ in range(rounds):
        for label, argv in commands.items():
            wall, cpu, out = run_process(argv)
            times[label].append((wall, cpu))
            if label.startswith("ours:"):
                estimates[label] = json.loads(out)["dimension"]
            elif label.startswith("skdim:"):
                estimates[label] = float(out)
    return {
        label: {
            "wall_s": float(np.median([w for w, _ in rows])),
            "cpu_s": float(np.median([c for _, c in rows])),
            "walls": [round(w, 3) for w, _ in rows],
            "estimate": estimates.get(label),
        }
        for label, rows in times.items()
    }


def in_process(x: np.ndarray) -> list[tuple[str, float, float]]:
    sys.path.insert(0, ROOT)
    from manifold_scaling.intrinsic_dim import DEFAULT_ESTIMATOR, estimate_id

    rows = []
    for label, name in (
        (f"ours: {DEFAULT_ESTIMATOR}, first call", DEFAULT_ESTIMATOR),
        (f"ours: {DEFAULT_ESTIMATOR}, second call", DEFAULT_ESTIMATOR),
        ("ours: twonn", "twonn"),
        ("ours: mle (k = 20)", "mle"),
    ):
        t = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            value = estimate_id(x, estimator=name).dimension
        rows.append((label, time.perf_counter() - t, value))
    try:
        import skdim
    except ImportError:
        return rows
    for label, est in (("skdim.TwoNN", skdim.id.TwoNN()), ("skdim.MLE", skdim.id.MLE())):
        t = time.perf_counter()
        value = est.fit(x).dimension_
        rows.append((label, time.perf_counter() - t, float(value)))
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=5, help="alternating runs of each (median)")
    parser.add_argument("--in-process", action="store_true", help="also time inside one process")
    parser.add_argument("--json", default=None, metavar="OUT")
    args = parser.parse_args(argv)
    os.environ.setdefault("JAX_PLATFORMS", "cpu")  # a CPU-to-CPU comparison
    x = points(args.n)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "points.npy")
        np.save(path, x)
        res = whole_process(path, args.rounds)
    ours = res["ours: manifold-scaling intrinsic-dim --json"]
    theirs = res["skdim: python -c 'skdim.id.MLE().fit(X)'"]
    print(
        f"### Whole process: n = {args.n}, d = 8 cube in 64 dims, median of {args.rounds} "
        f"alternating runs ({os.cpu_count()} cores, load average {load:.1f} at start)\n"
    )
    print("| process | wall time (s) | CPU time (s) | estimate | all wall times (s) |")
    print("|---|---|---|---|---|")
    for label, row in res.items():
        est = "" if row["estimate"] is None else f"{row['estimate']:.2f}"
        walls = ", ".join(f"{w:.2f}" for w in row["walls"])
        print(f"| {label} | {row['wall_s']:.2f} | {row['cpu_s']:.2f} | {est} | {walls} |")
    ratio, cpu_ratio = theirs["wall_s"] / ours["wall_s"], theirs["cpu_s"] / ours["cpu_s"]
    print(
        f"\nours {ours['wall_s']:.2f} s vs skdim.MLE {theirs['wall_s']:.2f} s wall: skdim / ours "
        f"= {ratio:.2f} ({cpu_ratio:.2f} in CPU time); "
        + ("ours faster" if ratio > 1 else "skdim faster")
    )
    print("CPU time sums all threads; on a loaded machine the wall time exceeds it / cores.")
    rows = in_process(x) if args.in_process else []
    if rows:
        print("\n### Inside one process (after imports)\n")
        print("| estimator | wall time (s) | estimate |")
        print("|---|---|---|")
        for label, sec, val in rows:
            print(f"| {label} | {sec:.2f} | {val:.2f} |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"n": args.n, "whole_process": res, "in_process": rows}, f, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
