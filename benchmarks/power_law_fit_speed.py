"""How long one power-law fit with its bootstrap takes (was a wall-clock assertion in the tests).

    python benchmarks/power_law_fit_speed.py [--points 30] [--bootstrap 500] [--repeats 5]

Fits ``fit_power_law`` to a noisy exact power law of ``--points`` sizes (alpha = 1), after one
warm-up fit, and prints the median wall time. The expectation: well under a second on an idle
core for 30 points and 500 bootstrap resamples.
"""

import argparse
import statistics
import time

import jax
import numpy as np

from manifold_scaling.fitting import fit_power_law


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=30)
    parser.add_argument("--bootstrap", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(8)
    d = np.geomspace(100, 1e5, args.points)
    loss = 3.0 * d**-1.0 * np.exp(0.05 * rng.standard_normal(d.size))
    key = jax.random.key(0)
    fit_power_law(d, loss, key=key, n_bootstrap=20)  # warm imports and compilation
    times = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        fit_power_law(d, loss, key=key, n_bootstrap=args.bootstrap)
        times.append(time.perf_counter() - start)
    print(
        f"fit_power_law, {args.points} points, {args.bootstrap} bootstraps: "
        f"median {statistics.median(times):.3f} s over {args.repeats} (min {min(times):.3f} s)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
