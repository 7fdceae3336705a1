"""Accuracy of our intrinsic-dimension estimators vs scikit-dimension on point clouds of known d.

One run, the same point clouds for every estimator:
  cube-lin   U[0,1]^d rotated into max(3d, d+10) dims
  cube-tanh  U[0,1]^d through a random two-layer tanh network to 64 dims, weights N(0, 1/fan_in)
  sphere     S^d (uniform, in R^(d+1)) rotated into d+11 dims
and a duplicate test: d = 5 cube-lin with 10 % of its rows repeated.

    python benchmarks/intrinsic_dim_accuracy.py [--quick] [--slow] [--n 5000] [--json OUT]

Prints markdown tables: mean |relative error| per estimator and family, the point values, and
the duplicate test. skdim's DANCo and ESS (minutes per cloud) only run with --slow, for d <= 8.
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

from manifold_scaling.intrinsic_dim import (  # noqa: E402
    DEFAULT_ESTIMATOR,
    estimate_id,
)

DIMS = (2, 3, 4, 5, 6, 8, 10, 12, 14, 16)
QUICK_DIMS = (2, 5, 10, 16)
FAMILIES = ("cube-lin", "cube-tanh", "sphere")
OURS = ("calibrated", "twonn", "mle", "multiscale")
SLOW_MAX_D = 8


def _rotation(rng, ambient):
    q, _ = np.linalg.qr(rng.standard_normal((ambient, ambient)))
    return q


def point_cloud(family: str, d: int, n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng([seed, d, FAMILIES.index(family)])
    if family == "cube-lin":
        ambient = max(3 * d, d + 10)
        return rng.random((n, d)) @ _rotation(rng, ambient)[:d]
    if family == "cube-tanh":
        h = rng.random((n, d))
        for fan_in in (d, 64):
            h = np.tanh(h @ (rng.standard_normal((fan_in, 64)) / np.sqrt(fan_in)))
        return h
    g = rng.standard_normal((n, d + 1))
    return (g / np.linalg.norm(g, axis=1, keepdims=True)) @ _rotation(rng, d + 11)[: d + 1]


def skdim_estimators(slow: bool):
    try:
        import skdim
    except ImportError:
        return {}
    out = {
        "skdim.TwoNN": lambda x: skdim.id.TwoNN().fit(x).dimension_,
        "skdim.MLE": lambda x: skdim.id.MLE().fit(x).dimension_,
    }
    if slow:
        out["skdim.DANCo"] = lambda x: skdim.id.DANCo().fit(x).dimension_
        out["skdim.ESS"] = lambda x: skdim.id.ESS().fit(x).dimension_
    return out


def run(n: int, dims, slow: bool, seed: int = 0) -> dict:
    theirs = skdim_estimators(slow)
    names = [*OURS, *theirs]
    values = {f: {name: {} for name in names} for f in FAMILIES}
    seconds = {name: 0.0 for name in names}
    for family in FAMILIES:
        for d in dims:
            x = point_cloud(family, d, n, seed)
            for name in names:
                if name.startswith("skdim.") and name[6:] in ("DANCo", "ESS") and d > SLOW_MAX_D:
                    continue
                t = time.perf_counter()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    if name in OURS:
                        v = estimate_id(x, estimator=name).dimension
                    else:
                        v = float(theirs[name](x))
                seconds[name] += time.perf_counter() - t
                values[family][name][d] = v
            print(f"  {family} d={d} done", file=sys.stderr, flush=True)
    return {"n": n, "dims": list(dims), "values": values, "seconds": seconds, "names": names}


def duplicates(n: int, seed: int = 0) -> dict:
    clean = point_cloud("cube-lin", 5, n, seed)
    rng = np.random.default_rng([seed, 99])
    dup = np.vstack([clean, clean[rng.choice(n, n // 10, replace=False)]])
    dup = dup[rng.permutation(len(dup))]
    out = {}
    theirs = skdim_estimators(False)
    for name in [*OURS, *theirs]:
        row = {}
        for label, x in (("clean", clean), ("duplicated", dup)):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if name in OURS:
                    est = estimate_id(x, estimator=name)
                    row[label] = est.dimension
                    row["dropped"] = est.n_dropped
                else:
                    row[label] = float(theirs[name](x))
        out[name] = row
    return out


def _mean_rel_err(values: dict, dims) -> float:
    errs = [abs(values[d] / d - 1) for d in dims if d in values]
    return float(np.mean(errs)) if errs else float("nan")


def print_tables(res: dict, dup: dict) -> None:
    dims, names = res["dims"], res["names"]
    print(f"### Mean |relative error|, d = {', '.join(map(str, dims))}, n = {res['n']}\n")
    print("| estimator | " + " | ".join(FAMILIES) + " | all | time (s) |")
    print("|---|" + "---|" * (len(FAMILIES) + 2))
    for name in names:
        cells, all_errs = [], []
        for f in FAMILIES:
            vals = res["values"][f][name]
            cells.append(f"{100 * _mean_rel_err(vals, dims):.1f} %")
            all_errs += [abs(v / d - 1) for d, v in vals.items()]
        label = f"**{name} (ours, default)**" if name == DEFAULT_ESTIMATOR else name
        if name in OURS and name != DEFAULT_ESTIMATOR:
            label = f"{name} (ours)"
        partial = "" if len(all_errs) == len(dims) * len(FAMILIES) else f" (d <= {SLOW_MAX_D})"
        print(
            f"| {label}{partial} | "
            + " | ".join(cells)
            + f" | {100 * np.mean(all_errs):.1f} % | {res['seconds'][name]:.0f} |"
        )
    for f in FAMILIES:
        print(f"\n### {f}: estimates (true d in the first column)\n")
        print("| d | " + " | ".join(names) + " |")
        print("|---|" + "---|" * len(names))
        for d in dims:
            cells = [
                f"{res['values'][f][n][d]:.2f}" if d in res["values"][f][n] else "–" for n in names
            ]
            print(f"| {d} | " + " | ".join(cells) + " |")
    print(f"\n### Duplicates: d = 5 cube-lin, n = {res['n']} plus 10 % repeated rows\n")
    print("| estimator | clean | 10 % duplicated | change | rows dropped |")
    print("|---|---|---|---|---|")
    for name, row in dup.items():
        change = row["duplicated"] / row["clean"] - 1 if row["clean"] else float("nan")
        dropped = row.get("dropped", "–")
        print(
            f"| {name} | {row['clean']:.2f} | {row['duplicated']:.2f} | {100 * change:+.1f} % "
            f"| {dropped} |"
        )
    if not any(n in names for n in ("skdim.DANCo", "skdim.ESS")):
        print("\nskdim DANCo and ESS take minutes per cloud; run with --slow (d <= 8) to include.")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"only d = {QUICK_DIMS}")
    parser.add_argument("--slow", action="store_true", help="also skdim DANCo and ESS (d <= 8)")
    parser.add_argument("--n", type=int, default=5000, help="points per cloud (default 5000)")
    parser.add_argument("--json", default=None, metavar="OUT", help="also write results here")
    args = parser.parse_args(argv)
    res = run(args.n, QUICK_DIMS if args.quick else DIMS, args.slow)
    dup = duplicates(args.n)
    print_tables(res, dup)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({**res, "duplicates": dup}, f, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
