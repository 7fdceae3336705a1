"""Do 90 % intervals on alpha cover the exponent a re-run of the question would estimate?

    python benchmarks/interval_coverage.py [--sims 1000] [--old-sims 200] [--floor-sims 100]

Loss curves with teacher-level random effects: teacher t has ``alpha_t = alpha + N(0, tau^2)`` and
a level ``log L_t(D_c) = log(3 D_c^-alpha) + N(0, s^2)`` at the window's geometric centre D_c = 256
(so ``log A_t = log L_t(D_c) + alpha_t log D_c`` is random too: curves fan out around the window,
not around D = 1), one curve per teacher at D = 64 ... 1024 (5 sizes), with ``N(0, sigma^2)``
noise on log L. The target is the mean exponent ``alpha`` of the teacher
distribution. Prints, per scenario and teacher count, the coverage of the nominal 90 % interval
(with its binomial standard error and the number of simulations) and the mean interval width for:

- ``replicate-t``: ``fit_power_law(..., groups=teacher)`` (per-teacher fits, Student-t interval);
- ``old``: one pooled fit with a percentile bootstrap that resamples replicates within each size
  (``fit_power_law`` before the replicate-level interval) on the same i.i.d.-teacher curves: it
  treats replicate variation as independent noise per point, so its width follows the scatter
  within sizes rather than the spread of whole curves (too wide when teachers differ mostly in
  level, too narrow when they differ in exponent);
- ``old, one teacher``: the old method on the old study design, where one teacher was drawn per
  question and shared by every seed (seeds vary data and initialisation only: exponent and level
  effects of SD 0.03 and 0.05). The interval is about that teacher, not about a re-run;
- ``replicate-jackknife-t`` (``with_floor=True``): the same curves plus a floor ``E`` shared by the
  teachers (fewer simulations: each fit refits once per left-out teacher).
"""

from __future__ import annotations

import argparse
import json
import math
import time

import jax
import numpy as np

from manifold_scaling._rng import numpy_rng
from manifold_scaling.fitting import (
    _fit_multistart,
    _ols_start,
    _percentile,
    _power_law_design,
    _power_law_starts,
    _replicate_index,
    _solve,
    _stratified_resamples,
    fit_power_law,
)

SIZES = 2.0 ** np.arange(6, 11)  # 64 ... 1024
TEACHERS = (3, 4, 6, 8)
# (tau, sigma): teacher spread of alpha and within-curve noise on log L. The first two bracket
# what was seen for one d = 3 question (replicate exponents 0.85-1.52); the last is a control
# without teacher effects.
SCENARIOS = ((0.15, 0.05), (0.3, 0.15), (0.0, 0.1))


def simulate(
    rng, n_teachers, *, alpha=1.3, tau=0.2, sigma=0.1, sd_level=0.2, floor=0.0, shared=False
):
    """One curve per teacher: ``(sizes, losses, teacher labels)``.

    ``shared``: one teacher for every curve (the old study design); the curves then differ only by
    seed-level effects (SD 0.03 on the exponent, 0.05 on the level) and the noise.
    """
    d = np.tile(SIZES, n_teachers)
    teacher = np.repeat(np.arange(n_teachers), SIZES.size)
    log_centre = float(np.log(SIZES).mean())
    level = math.log(3.0) - alpha * log_centre
    if shared:
        alpha_t = alpha + tau * rng.standard_normal() + 0.03 * rng.standard_normal(n_teachers)
        level = level + sd_level * rng.standard_normal() + 0.05 * rng.standard_normal(n_teachers)
    else:
        alpha_t = alpha + tau * rng.standard_normal(n_teachers)
        level = level + sd_level * rng.standard_normal(n_teachers)
    x = np.log(d) - log_centre
    clean = np.exp(level[teacher] - alpha_t[teacher] * x) + floor
    return d, clean * np.exp(sigma * rng.standard_normal(d.size)), teacher


def old_interval(sizes, losses, key, *, n_bootstrap=200, ci=0.9, delta=1e-3):
    """The pooled fit and its within-size stratified percentile interval (the old default)."""
    y = np.log(losses)
    design = _power_law_design(np.log(sizes), False, y)
    x = design.xs[0]
    theta = _fit_multistart(y, design, delta, _power_law_starts(x, y, False))
    _, inverse, counts = _replicate_index(sizes)
    boot_y = _stratified_resamples(y, inverse, counts, n_bootstrap, numpy_rng(key))
    boot, _ = _solve(boot_y, design, delta, _ols_start(x, boot_y))
    return float(theta[1]), _percentile(boot[:, 1], ci)


def coverage(method, n_teachers, n_sims, *, seed, alpha=1.3, tau, sigma, floor=0.0):
    """Fraction of intervals containing ``alpha``, mean width, and how many contain the estimate."""
    rng = np.random.default_rng([seed, n_teachers, int(1000 * tau), int(1000 * sigma)])
    keys = jax.random.split(jax.random.key(seed), n_sims)
    hits = own = 0
    widths = []
    shared = method == "old, one teacher"
    for k in keys:
        d, loss, teacher = simulate(
            rng, n_teachers, alpha=alpha, tau=tau, sigma=sigma, floor=floor, shared=shared
        )
        if method.startswith("old"):
            est, (lo, hi) = old_interval(d, loss, k)
        else:
            fit = fit_power_law(d, loss, key=k, groups=teacher, with_floor=floor > 0)
            assert fit.interval == method, fit.interval
            est, (lo, hi) = fit.alpha, fit.alpha_ci
        hits += lo <= alpha <= hi
        own += lo <= est <= hi
        widths.append(hi - lo)
    cov = hits / n_sims
    return {
        "method": method,
        "teachers": n_teachers,
        "tau": tau,
        "sigma": sigma,
        "floor": floor,
        "sims": n_sims,
        "coverage": cov,
        "se": math.sqrt(cov * (1 - cov) / n_sims),
        "mean_width": float(np.mean(widths)),
        "contains_estimate": own / n_sims,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sims", type=int, default=1000, help="simulations per row, new method")
    ap.add_argument("--old-sims", type=int, default=200, help="per row, old method (200 draws)")
    ap.add_argument("--floor-sims", type=int, default=100, help="per row, with_floor=True")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", help="also write the rows here")
    args = ap.parse_args()
    rows = []
    print("alpha = 1.3, sd(log L_t(256)) = 0.2, D = 64 ... 1024 (5 sizes), nominal 90 % intervals")
    print("| method | tau | sigma | teachers | sims | coverage ± se | mean width | contains est. |")
    print("|---|---|---|---|---|---|---|---|")
    runs = [
        (method, n_sims, tau, sigma, 0.0)
        for tau, sigma in SCENARIOS
        for method, n_sims in (
            ("replicate-t", args.sims),
            ("old", args.old_sims),
            ("old, one teacher", args.old_sims),
        )
    ]
    # Floor E = 1e-4, about a third of the mean loss at D = 1024 (3 * 1024^-1.3 = 3.5e-4).
    runs.append(("replicate-jackknife-t", args.floor_sims, 0.2, 0.1, 1e-4))
    for method, n_sims, tau, sigma, floor in runs:
        if n_sims <= 0:
            continue
        for n in TEACHERS:
            start = time.perf_counter()
            row = coverage(method, n, n_sims, seed=args.seed, tau=tau, sigma=sigma, floor=floor)
            row["seconds"] = time.perf_counter() - start
            rows.append(row)
            print(
                f"| {method}{' (E = 1e-4)' if floor else ''} | {tau:g} | {sigma:g} | {n} | "
                f"{n_sims} | {row['coverage']:.3f} ± {row['se']:.3f} | {row['mean_width']:.3f} | "
                f"{row['contains_estimate']:.3f} |",
                flush=True,
            )
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(rows, fh, indent=2)


if __name__ == "__main__":
    main()
