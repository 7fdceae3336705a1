"""What the reference learners add to a data-scaling trial, measured in one run.

    python benchmarks/learner_overhead.py [--d 4] [--size 1024] [--repeats 2]

Runs the same trial (the reproduction's student and budget) with ``learners=("network",)`` and
with ``("network", "simplex", "kernel")`` and prints both wall times and their ratio; compilation is
paid once before timing. The requirement: learners add at most 25 % at d <= 4.
"""

import argparse
import sys
import time
from dataclasses import replace

from manifold_scaling.studies.base import replicates
from manifold_scaling.studies.data_scaling import trial_configs
from manifold_scaling.studies.presets import REPRODUCE
from manifold_scaling.studies.trials import run_trial


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--d", type=int, default=4)
    ap.add_argument("--size", type=int, default=1024)
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args(sys.argv[1:] if argv is None else argv)
    config = replace(REPRODUCE, dims=(args.d,), sizes=(64, 128, args.size), seeds=1)
    trial = [t for t in trial_configs(config, {args.d: replicates(config, args.d)})][-1]
    times = {}
    for learners in (("network",), ("network", "simplex", "kernel")):
        t = replace(trial, learners=learners, hull_size=64 if len(learners) > 1 else None)
        run_trial(t)  # compile
        start = time.perf_counter()
        for _ in range(args.repeats):
            run_trial(t)
        times[learners] = (time.perf_counter() - start) / args.repeats
    base, full = times[("network",)], times[("network", "simplex", "kernel")]
    print(
        f"d = {args.d}, D = {args.size}: network alone {base:.2f} s per trial; with simplex and "
        f"kernel {full:.2f} s; the learners add {100 * (full / base - 1):.1f} %"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
