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

    python benchmarks/interval_coverage.py --pipeline [--pipeline-sims 400]

``--pipeline``: whole simulated data-scaling studies, as the per-trial rows a study writes, pushed
through the real verdict path: ``verdict.analyse_curve`` with ``design_rule`` (P >= 4 D) and
``convergence_cell_rule(0.05, 0.25)``, then the network - kernel contrast from the real
``verdict._replicate_alphas`` on the network's kept cells (the window's cells that pass the cell
rule, ``verdict.config_cell_ok``) and ``verdict.paired_contrast``, as ``_network_verdict`` does.
The model, per study (n teachers, one row per teacher and size; sizes 64, 256, 1024 or
64, 128, ..., 1024):

- teacher t: ``alpha_t = alpha + N(0, tau^2)`` (alpha = 1.3, tau = 0.2) and a level at the
  window's geometric centre with SD 0.2 (as above); each cell gets ``N(0, sigma^2)`` noise on
  log L (sigma = 0.1);
- the kernel learner on the same teacher and training sets: exponent ``alpha_t + delta_t`` with
  ``delta_t = delta + N(0, tau_c^2)`` (delta = -0.3, tau_c = 0.05), its own level offset and its own
  per-cell noise sigma; it is never selected (a closed-form learner converges);
- selection (network only): a cell is left unconverged with probability p(D) rising log-linearly
  from 0.05 at D = 64 to 0.4 at D = 1024, and then its loss is multiplied by ``exp(U(0.05, 0.5))``
  (the optimisation excess); its ``val_tail_dlog`` is ``excess x U(0.5, 1.5) + N(0, 0.01^2)``,
  a converged cell's ``|N(0, 0.01^2)|``, so the cell rule (tolerance 0.05) removes most
  unconverged cells, and lets through some with small excess; ``control``: no excess at all.

The targets are the population means: ``alpha`` for the network's interval and ``-delta`` (network -
kernel) for the contrast's. Coverage is counted conditional on a verdict (``analyse_curve`` gave
an exponent and an interval; for the contrast, ``paired_contrast`` gave one); "no verdict" is the
share of studies without an exponent (more than 25 % of the window's cells failed, or fewer than 3
sizes kept). Each study is analysed once per fit loss, ``verdict.HUBER_DELTA`` = 1e-3 (summed
Huber in log space, ~L1) and 1e3 (least squares in log space), set on the module (common random
numbers: both losses see the same studies). "1-curve" is the share of verdicts whose interval is
not over replicates (fewer than 2 replicates kept 3 sizes: the single-curve fallback).
"""

from __future__ import annotations

import argparse
import json
import math
import time

import jax
import numpy as np

from manifold_scaling import keys
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
from manifold_scaling.studies import verdict

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


# --- the whole verdict pipeline (--pipeline) ------------------------------------------------------

PIPELINE_SIZES = {
    "64, 256, 1024": 2.0 ** np.array([6, 8, 10]),
    "64 ... 1024 (5)": 2.0 ** np.arange(6, 11),
}
PIPELINE_TEACHERS = (4, 8, 12)
PIPELINE_SCENARIOS = ("selection", "control")
PIPELINE_DELTAS = (1e-3, 1e3)  # HUBER_DELTA: summed Huber (~L1 in log space) and least squares
PIPELINE_D = 3  # the intrinsic dimension of the rows (predicted 4/3 ~ alpha: no effect on coverage)
CONTRAST_DELTA = -0.3  # kernel exponent - network exponent, population mean


def unconverged_probability(sizes, lo=0.05, hi=0.4):
    """p(D): log-linear in D from ``lo`` at D = 64 to ``hi`` at D = 1024."""
    u = (np.log(sizes) - np.log(64.0)) / (np.log(1024.0) - np.log(64.0))
    return lo * (hi / lo) ** u


def simulate_study(
    rng, n_teachers, sizes, *, selection, alpha=1.3, tau=0.2, sigma=0.1, sd_level=0.2,
    delta=CONTRAST_DELTA, tau_c=0.05,
):  # fmt: skip
    """One study's per-trial rows (one per teacher and size) with network and kernel losses."""
    sizes = np.asarray(sizes, float)
    n_sizes = sizes.size
    log_centre = float(np.log(sizes).mean())
    x = np.log(sizes) - log_centre
    alpha_t = alpha + tau * rng.standard_normal(n_teachers)
    delta_t = delta + tau_c * rng.standard_normal(n_teachers)
    level = math.log(3.0) - alpha * log_centre + sd_level * rng.standard_normal(n_teachers)
    level_kernel = level + 0.3 + 0.1 * rng.standard_normal(n_teachers)
    eps = rng.standard_normal((n_teachers, n_sizes))
    eps_kernel = rng.standard_normal((n_teachers, n_sizes))
    log_net = level[:, None] - alpha_t[:, None] * x + sigma * eps
    log_ker = level_kernel[:, None] - (alpha_t + delta_t)[:, None] * x + sigma * eps_kernel
    # Which cells stopped short (the draws are made in both scenarios, so the streams match).
    stuck = rng.random((n_teachers, n_sizes)) < unconverged_probability(sizes)
    excess = rng.uniform(0.05, 0.5, (n_teachers, n_sizes))
    moved = excess * rng.uniform(0.5, 1.5, (n_teachers, n_sizes))
    moved += 0.01 * rng.standard_normal((n_teachers, n_sizes))
    quiet = np.abs(0.01 * rng.standard_normal((n_teachers, n_sizes)))
    if selection:
        log_net = log_net + np.where(stuck, excess, 0.0)
        tail = np.where(stuck, moved, quiet)
    else:
        tail = quiet
    return [
        {
            "d": PIPELINE_D,
            "n_train": int(sizes[j]),
            "seed": t,
            "test_loss": float(np.exp(log_net[t, j])),
            "train_loss": float(1e-3 * np.exp(log_net[t, j])),
            "n_params": int(16 * sizes.max()),
            "val_tail_dlog": float(tail[t, j]),
            "kernel_test_loss": float(np.exp(log_ker[t, j])),
        }
        for t in range(n_teachers)
        for j in range(n_sizes)
    ]


def pipeline_verdict(rows, key, *, ci=0.9, n_bootstrap=1000, tol=0.05, max_share=0.25):
    """The network's exponent and its contrast with the kernel, through the real verdict path.

    Returns ``(verdict, contrast)``: ``contrast`` is a ``findings.Contrast`` or None (no verdict,
    or fewer than 2 replicates in common). The contrast takes the network's kept cells, as
    ``verdict._network_verdict`` does.
    """
    size_rule = verdict.design_rule(4.0)
    cell_rule = verdict.convergence_cell_rule(tol, max_share)
    v = verdict.analyse_curve(
        PIPELINE_D, rows, size_rule, predicted=4.0 / PIPELINE_D, key=key, cell_rule=cell_rule,
        n_bootstrap=n_bootstrap, ci=ci,
    )  # fmt: skip
    if v.alpha is None or v.alpha_ci is None:
        return v, None
    sizes = np.array([r["n_train"] for r in rows], float)
    lo, hi = v.window.lo, v.window.hi
    keep = (sizes >= lo) & (sizes <= hi)
    keep &= np.array([verdict.config_cell_ok(cell_rule, r) for r in rows])
    common = {"n_bootstrap": n_bootstrap, "ci": ci}
    k_net, k_ref = keys.split_key(key, 2)
    net = verdict._replicate_alphas(rows, "test_loss", keep, k_net, common)
    ref = verdict._replicate_alphas(rows, "kernel_test_loss", keep, k_ref, common)
    margin = verdict.CONTRAST_MARGIN * 4.0 / PIPELINE_D
    return v, verdict.paired_contrast(net, ref, learner="kernel", margin=margin, ci=ci)


def _share(hits, n):
    """Share and its binomial SE (nan when n = 0)."""
    if n == 0:
        return float("nan"), float("nan")
    p = hits / n
    return p, math.sqrt(p * (1 - p) / n)


def pipeline_coverage(
    scenario, n_teachers, sizes_label, n_sims, *, seed=0, deltas=PIPELINE_DELTAS, alpha=1.3,
    delta=CONTRAST_DELTA, **rule,
):  # fmt: skip
    """Coverage of alpha and of the contrast through :func:`pipeline_verdict`, one row per fit
    loss (``verdict.HUBER_DELTA``), all on the same simulated studies. ``rule``: the cell rule's
    ``tol`` and ``max_share`` (defaults: the study's)."""
    sizes = PIPELINE_SIZES[sizes_label]
    tags = (PIPELINE_SCENARIOS.index(scenario), n_teachers, sizes.size)
    rng = np.random.default_rng([seed, *tags])
    studies = [
        simulate_study(rng, n_teachers, sizes, selection=scenario == "selection")
        for _ in range(n_sims)
    ]
    out = []
    saved = verdict._curve.HUBER_DELTA
    try:
        for huber in deltas:
            verdict._curve.HUBER_DELTA = huber  # the module _fit reads it from
            start = time.perf_counter()
            tally = dict(verdicts=0, hit=0, contrasts=0, hit_c=0, single=0)
            widths, widths_c, errors = [], [], []
            for i, rows in enumerate(studies):
                v, c = pipeline_verdict(rows, keys.analysis_key(seed, *tags, i), **rule)
                if v.alpha is None or v.alpha_ci is None:
                    continue
                lo, hi = v.alpha_ci
                tally["verdicts"] += 1
                tally["hit"] += lo <= alpha <= hi
                tally["single"] += v.interval != "replicate-t"
                widths.append(hi - lo)
                errors.append(v.alpha - alpha)
                if c is not None:
                    tally["contrasts"] += 1
                    tally["hit_c"] += c.interval[0] <= -delta <= c.interval[1]
                    widths_c.append(c.interval[1] - c.interval[0])
            cov, se = _share(tally["hit"], tally["verdicts"])
            cov_c, se_c = _share(tally["hit_c"], tally["contrasts"])
            out.append(
                {
                    "scenario": scenario,
                    "teachers": n_teachers,
                    "sizes": sizes_label,
                    "huber_delta": huber,
                    "sims": n_sims,
                    "verdicts": tally["verdicts"],
                    "contrasts": tally["contrasts"],
                    "coverage_alpha": cov,
                    "se_alpha": se,
                    "coverage_contrast": cov_c,
                    "se_contrast": se_c,
                    "mean_width_alpha": float(np.mean(widths)) if widths else float("nan"),
                    "mean_width_contrast": float(np.mean(widths_c)) if widths_c else float("nan"),
                    "bias_alpha": float(np.mean(errors)) if errors else float("nan"),
                    "no_verdict": 1 - tally["verdicts"] / n_sims,
                    "single_curve": tally["single"] / max(tally["verdicts"], 1),
                    "seconds": time.perf_counter() - start,
                }
            )
    finally:
        verdict._curve.HUBER_DELTA = saved
    return out


def pipeline_table(n_sims, seed=0):
    """Print the pipeline coverage table (markdown) and return its rows."""
    rows = []
    print(
        "alpha = 1.3 (tau 0.2), contrast network - kernel = 0.3 (tau_c 0.05), sigma = 0.1, "
        "nominal 90 % intervals, cell rule tol 0.05 / max share 0.25; coverage given a verdict"
    )
    print(
        "| scenario | teachers | sizes | HUBER_DELTA | coverage alpha ± se | coverage contrast ± se "
        "| mean width alpha / contrast | bias alpha | no verdict | 1-curve | sims |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for scenario in PIPELINE_SCENARIOS:
        for sizes_label in PIPELINE_SIZES:
            for n in PIPELINE_TEACHERS:
                for r in pipeline_coverage(scenario, n, sizes_label, n_sims, seed=seed):
                    rows.append(r)
                    print(
                        f"| {scenario} | {n} | {sizes_label} | {r['huber_delta']:g} | "
                        f"{r['coverage_alpha']:.3f} ± {r['se_alpha']:.3f} | "
                        f"{r['coverage_contrast']:.3f} ± {r['se_contrast']:.3f} | "
                        f"{r['mean_width_alpha']:.3f} / {r['mean_width_contrast']:.3f} | "
                        f"{r['bias_alpha']:+.3f} | {r['no_verdict']:.3f} | "
                        f"{r['single_curve']:.3f} | {n_sims} |",
                        flush=True,
                    )
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sims", type=int, default=1000, help="simulations per row, new method")
    ap.add_argument("--old-sims", type=int, default=200, help="per row, old method (200 draws)")
    ap.add_argument("--floor-sims", type=int, default=100, help="per row, with_floor=True")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", help="also write the rows here")
    ap.add_argument(
        "--pipeline", action="store_true",
        help="whole simulated studies through analyse_curve + cell rule + paired contrasts, "
        "HUBER_DELTA 1e-3 against 1e3 (instead of the tables above)",
    )  # fmt: skip
    ap.add_argument("--pipeline-sims", type=int, default=400, help="studies per --pipeline row")
    args = ap.parse_args()
    if args.pipeline:
        start = time.perf_counter()
        rows = pipeline_table(args.pipeline_sims, seed=args.seed)
        print(f"{time.perf_counter() - start:.1f} s")
        if args.json:
            with open(args.json, "w") as fh:
                json.dump(rows, fh, indent=2)
        return
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
