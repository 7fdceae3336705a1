"""What moves the optimisation floor? One trial (d = 2, the hardest case) trained several ways, measured
in one run: longer Adam, Adam + full-batch L-BFGS, float64, smaller batch, at their wall-clock cost.

    python benchmarks/optimisation_floor.py [--d 2] [--size 1024] [--json OUT]

Prints train loss, test loss, train/test (the interpolation diagnostic: <= 0.1 passes the window rule)
and seconds for each variant. The default budget of the reproduction is the first row.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace

import jax

from manifold_scaling.studies.base import DataScalingConfig, replicates
from manifold_scaling.studies.presets import REPRODUCE
from manifold_scaling.studies.trials import TrialConfig, run_trial


def variants(base):
    t = base.train
    return {
        "Adam 16·D (default)": t,
        "Adam 32·D": replace(t, steps_per_point=2 * t.steps_per_point),
        "Adam 16·D + 500 L-BFGS": replace(t, lbfgs_steps=500),
        "Adam 16·D, batch 128": replace(t, batch_size=128),
        "Adam 16·D, float64": replace(t, precision="float64"),
    }


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--d", type=int, default=2)
    ap.add_argument("--size", type=int, default=1024)
    ap.add_argument("--json")
    args = ap.parse_args(argv)
    config: DataScalingConfig = replace(REPRODUCE, dims=(args.d,))
    rep = replicates(config, args.d)[0]  # replicate 0: its own calibrated teacher and seeds
    manifold = config.manifold(args.d)
    rows = []
    print(f"d = {args.d}, D = {args.size}, student {config.student}, {jax.devices()[0]}")
    print("| variant | steps | train loss | test loss | train/test | seconds |")
    print("|---|---|---|---|---|---|")
    # float64 flips a process-wide switch, so it runs last.
    for name, train in variants(config).items():
        trial = TrialConfig(
            manifold=manifold,
            student=config.student,
            train=train,
            n_train=args.size,
            n_test=config.n_test,
            **rep.draws(),
        )
        t0 = time.perf_counter()
        m = run_trial(trial).metrics
        secs = time.perf_counter() - t0
        rows.append({"variant": name, **m, "seconds": secs})
        print(
            f"| {name} | {m['steps']} | {m['train_loss']:.2e} | {m['test_loss']:.2e} | "
            f"{m['train_test_ratio']:.3f} | {secs:.0f} |",
            flush=True,
        )
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(rows, fh, indent=2)


if __name__ == "__main__":
    main()
