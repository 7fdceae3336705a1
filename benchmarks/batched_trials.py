"""One compiled program per d against one trial at a time, on this machine, in one run.

    python benchmarks/batched_trials.py [--d 2] [--seeds 8] [--steps 2000] [--rounds 2]

The main job's design (``presets.REPRODUCE``: every teacher and size of one d with one step budget
and one minibatch size) trains as one vmapped program (``data_scaling.run_trials_batched``, the
grouping every backend uses) or, as before, one trial at a time (``trials.run_trial``). Both ways
run on the same trials, alternating, ``--rounds`` times; the first round includes compilation.
Prints wall seconds per way and round, the ratio (one at a time / batched: > 1 means the batched
program is faster), and the largest relative difference of any per-trial metric between the two,
on the timed trials and on a 300-step version of them (vmap reorders float sums; over a long run
the training dynamics amplify that rounding, so only the short horizon is held to 1e-6, as
``tests/unit/studies/test_batched_trials.py`` does).
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace

import jax
import numpy as np

from manifold_scaling.studies.base import replicates
from manifold_scaling.studies.data_scaling import run_trials_batched
from manifold_scaling.studies.presets import REPRODUCE
from manifold_scaling.studies.trials import batch_key, data_scaling_trials, run_trial

COMPARED = ("test_loss", "train_loss", "val_loss", "val_tail_dlog", "kernel_test_loss")


def _trials(d: int, seeds: int, steps: int):
    config = replace(REPRODUCE, dims=(d,), seeds=seeds, train=replace(REPRODUCE.train, steps=steps))
    return data_scaling_trials(config, {d: replicates(config, d)})


def max_relative_difference(a: list, b: list) -> float:
    """The largest |x - y| / max(|x|, |y|) over the compared metrics of paired outputs."""
    worst = 0.0
    for x, y in zip(a, b):
        for k in COMPARED:
            u, v = float(x.metrics[k]), float(y.metrics[k])
            scale = max(abs(u), abs(v))
            if scale > 0 and np.isfinite(scale):
                worst = max(worst, abs(u - v) / scale)
    return worst


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--d", type=int, default=2)
    ap.add_argument("--seeds", type=int, default=8)
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--json")
    args = ap.parse_args(argv)
    trials = _trials(args.d, args.seeds, args.steps)
    n_programs = len({batch_key(t) for t in trials})
    print(
        f"d = {args.d}: {len(trials)} trials ({args.seeds} teachers x sizes "
        f"{sorted({t.n_train for t in trials})}), {args.steps} steps, batch "
        f"{trials[0].train.batch_size}, {n_programs} compiled program(s) batched; "
        f"{jax.devices()[0].platform} x {len(jax.devices())}"
    )
    times = {"batched": [], "one at a time": []}
    outs = {}
    for _ in range(args.rounds):
        for way in times:
            t0 = time.perf_counter()
            if way == "batched":
                outs[way] = run_trials_batched(trials)
            else:
                outs[way] = [run_trial(t) for t in trials]
            times[way].append(time.perf_counter() - t0)
    diff = max_relative_difference(outs["batched"], outs["one at a time"])
    short = _trials(args.d, min(args.seeds, 2), 300)
    short_diff = max_relative_difference(run_trials_batched(short), [run_trial(t) for t in short])
    print("| way | " + " | ".join(f"round {i + 1} (s)" for i in range(args.rounds)) + " |")
    print("|---|" + "---|" * args.rounds)
    for way, ts in times.items():
        print(f"| {way} | " + " | ".join(f"{t:.1f}" for t in ts) + " |")
    ratio = [a / b for a, b in zip(times["one at a time"], times["batched"])]
    print(
        "ratio one-at-a-time / batched: " + ", ".join(f"{r:.2f}" for r in ratio)
        + f" (round 1 includes compilation); largest relative metric difference {diff:.1e} "
        f"at {args.steps} steps, {short_diff:.1e} at 300 steps"
    )  # fmt: skip
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(
                {
                    "times": times,
                    "ratio": ratio,
                    "max_rel_diff": diff,
                    "max_rel_diff_300_steps": short_diff,
                },
                fh,
                indent=1,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
