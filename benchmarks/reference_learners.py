"""Do the theories' own learners show the theories' exponents? Simplex interpolation and ridgeless
Laplace-kernel regression on a smooth teacher and on Matérn-ν Gaussian random fields.

    python benchmarks/reference_learners.py [--seeds 0 1] [--sizes 256 512 1024 2048 4096]
        [--n-test 1024] [--ntk] [--threads N] [--json OUT]

Setup (fixed before any exponent was seen):

- Latent points uniform on the cube [-1, 1]^d; the learners see z itself (a rotation or pad
  embedding would leave every distance, hence every learner, unchanged).
- One pool per (case, seed): max(sizes) training points then ``n_test`` test points. Training
  sets are nested prefixes of the pool, and a Matérn field is drawn *jointly* over the whole pool
  (``draw_matern_field``, length scale 0.5 = a quarter of the cube's side), so every size sees the
  same field.
- Test MSE over the test points inside the hull of the *smallest* training set (all learners are
  defined there; with nested sets it lies inside every larger hull).
- Smooth teacher: a fixed random tanh network d -> 64 -> 64 -> 1, weights N(0, 2²/fan_in), biases
  N(0, 1) (C^∞, so simplex should give 4/d).
- α from ``fit_power_law`` over all sizes with groups = seed (replicate-t interval; with 2 seeds
  the 90 % interval is wide: t_{0.95, 1} = 6.3). Targets: simplex α/(4/d) in [0.85, 1.15] on the
  smooth teacher; Matérn ν = 0.5, 1.5: α within ±20 % of 2ν/d; ν = 3.5 (d = 2): simplex ±15 % of
  4/d = 2, kernel ±15 % of 3. Kernel rows on the smooth teacher are reported without a target.
- Seconds: one fit-and-predict at the largest size (median over seeds; every size in --json),
  and one joint field draw over the pool. Wall-clock, so they grow with the machine's load.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np
from threadpoolctl import threadpool_limits

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import jax  # noqa: E402

from manifold_scaling.fields import draw_matern_field, predicted_exponents  # noqa: E402
from manifold_scaling.fitting import fit_power_law  # noqa: E402
from manifold_scaling.learners import fit_predict, interior_mask  # noqa: E402

LENGTH_SCALE = 0.5
TANH_WIDTH = 64

# (name, d, nu or None for the smooth teacher)
CASES = [
    ("tanh-MLP", 2, None),
    ("tanh-MLP", 3, None),
    ("tanh-MLP", 4, None),
    ("Matérn 0.5", 2, 0.5),
    ("Matérn 0.5", 3, 0.5),
    ("Matérn 1.5", 2, 1.5),
    ("Matérn 1.5", 3, 1.5),
    ("Matérn 3.5", 2, 3.5),
]


def targets(learner: str, d: int, nu: float | None):
    """(predicted α, relative tolerance) fixed in advance; tolerance None = reported only."""
    if nu is None:
        if learner == "simplex":
            return 4.0 / d, 0.15
        return (2.0 * d + 2.0) / d, None  # kernel theory for an analytic target (a_T = ∞)
    pred = predicted_exponents(nu, d)
    alpha = pred["piecewise_linear"] if learner == "simplex" else pred["kernel"]
    return alpha, (0.15 if nu == 3.5 else 0.20)


def tanh_teacher(key, d: int):
    """A fixed random tanh network d -> 64 -> 64 -> 1 (weights N(0, 4/fan_in), biases N(0, 1))."""
    rng = np.random.default_rng(np.asarray(jax.random.key_data(key)).ravel().astype(np.uint64))
    widths = [d, TANH_WIDTH, TANH_WIDTH, 1]
    layers = [
        (rng.normal(0, 2 / np.sqrt(a), (a, b)), rng.normal(0, 1, b))
        for a, b in zip(widths[:-1], widths[1:])
    ]

    def f(z):
        h = z
        for i, (w, b) in enumerate(layers):
            h = h @ w + b
            if i < len(layers) - 1:
                h = np.tanh(h)
        return h[:, 0]

    return f


def run_case(name, d, nu, seed, sizes, n_test, learners):
    key_points, key_field = jax.random.split(jax.random.key(seed))
    rng = np.random.default_rng(
        np.asarray(jax.random.key_data(key_points)).ravel().astype(np.uint64)
    )
    pool = rng.uniform(-1.0, 1.0, (max(sizes) + n_test, d))
    t0 = time.perf_counter()
    if nu is None:
        y = tanh_teacher(key_field, d)(pool)
    else:
        y = draw_matern_field(key_field, pool, nu=nu, length_scale=LENGTH_SCALE)
    draw_s = time.perf_counter() - t0
    z_test, y_test = pool[max(sizes) :], y[max(sizes) :]
    inside = interior_mask(pool[: min(sizes)], z_test)
    z_test, y_test = z_test[inside], y_test[inside]
    mse = {label: [] for label, _ in learners}
    seconds = {label: [] for label, _ in learners}
    for size in sizes:
        z_train, y_train = pool[:size], y[:size]
        for label, (learner, options) in learners:
            t0 = time.perf_counter()
            pred = fit_predict(learner, z_train, z_train, y_train, z_test, z_test, **options)
            seconds[label].append(time.perf_counter() - t0)
            mse[label].append(float(np.mean((pred - y_test) ** 2)))
    return mse, seconds, draw_s, int(inside.sum())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 512, 1024, 2048, 4096])
    parser.add_argument("--n-test", type=int, default=1024)
    parser.add_argument("--ntk", action="store_true", help="also the two-layer ReLU NTK")
    parser.add_argument("--cases", type=int, nargs="+", default=None, help="indices into CASES")
    parser.add_argument(
        "--threads", type=int, default=None, help="BLAS threads (default: the library's own)"
    )
    parser.add_argument("--json", default=None, metavar="OUT")
    args = parser.parse_args(argv)
    with threadpool_limits(limits=args.threads, user_api="blas"):
        return _run(args)


def _run(args) -> int:
    sizes = sorted(args.sizes)
    learners = [("simplex", ("simplex", {})), ("kernel", ("kernel", {"kernel": "laplace"}))]
    if args.ntk:
        learners.append(("relu-ntk", ("kernel", {"kernel": "relu-ntk"})))
    cases = [CASES[i] for i in args.cases] if args.cases else CASES
    print(
        f"sizes {sizes}, seeds {args.seeds}, {args.n_test} test points (scored: those inside the "
        f"hull of the D = {sizes[0]} set), Matérn length scale {LENGTH_SCALE}, cube [-1, 1]^d, "
        f"BLAS threads {args.threads or 'default'}"
    )
    print(
        "| teacher | d | learner | predicted α | α [90% CI] | α per seed | α/pred | target | "
        f"ok | s/fit @ D={sizes[-1]} | s/draw | test pts |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    records = []
    for name, d, nu in cases:
        per_seed = [run_case(name, d, nu, s, sizes, args.n_test, learners) for s in args.seeds]
        for label, (learner, _) in learners:
            losses = np.concatenate([np.asarray(r[0][label]) for r in per_seed])
            all_sizes = np.tile(np.asarray(sizes, float), len(args.seeds))
            groups = np.repeat(np.asarray(args.seeds), len(sizes))
            fit = fit_power_law(all_sizes, losses, key=jax.random.key(0), groups=groups)
            pred, tol = targets(learner, d, nu)
            ratio = fit.alpha / pred
            ok = "-" if tol is None else ("yes" if abs(ratio - 1) <= tol else "NO")
            band = "-" if tol is None else f"±{tol:.0%}"
            ci = f"[{fit.alpha_ci[0]:.2f}, {fit.alpha_ci[1]:.2f}]" if fit.alpha_ci else "-"
            reps = ", ".join(f"{a:.2f}" for a in fit.alpha_replicates or ())
            fit_s = float(np.median([r[1][label][-1] for r in per_seed]))
            draw_s = float(np.median([r[2] for r in per_seed]))
            n_in = min(r[3] for r in per_seed)
            print(
                f"| {name} | {d} | {label} | {pred:.3f} | {fit.alpha:.3f} {ci} | {reps} | "
                f"{ratio:.2f} | {band} | {ok} | {fit_s:.2f} | {draw_s:.2f} | {n_in} |",
                flush=True,
            )
            records.append(
                {
                    "teacher": name,
                    "d": d,
                    "nu": nu,
                    "learner": label,
                    "predicted_alpha": pred,
                    "tolerance": tol,
                    "alpha": fit.alpha,
                    "alpha_ci": fit.alpha_ci,
                    "alpha_replicates": fit.alpha_replicates,
                    "ratio": ratio,
                    "sizes": sizes,
                    "seeds": args.seeds,
                    "mse": {str(s): r[0][label] for s, r in zip(args.seeds, per_seed)},
                    "fit_seconds": {str(s): r[1][label] for s, r in zip(args.seeds, per_seed)},
                    "draw_seconds": draw_s,
                    "test_points_scored": n_in,
                }
            )
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(records, fh, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
