"""Coverage of the replicate-level interval on alpha, measured on curves with teacher-level random
effects (``benchmarks/interval_coverage.py`` prints the full table, and the old method's)."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import jax
import numpy as np
import pytest

from manifold_scaling.fitting import fit_power_law
from manifold_scaling.studies import verdict

SIZES = 2.0 ** np.arange(6, 11)  # 64 ... 1024
ALPHA = 1.3


def simulate(rng, n_teachers, *, tau, sigma, sd_level=0.2, floor=0.0):
    """One curve per teacher: ``alpha_t = ALPHA + N(0, tau^2)``, a level at the window's centre
    with SD ``sd_level``, and ``N(0, sigma^2)`` noise on log L (as in the benchmark)."""
    d = np.tile(SIZES, n_teachers)
    teacher = np.repeat(np.arange(n_teachers), SIZES.size)
    alpha_t = ALPHA + tau * rng.standard_normal(n_teachers)
    log_centre = float(np.log(SIZES).mean())
    level = math.log(3.0) - ALPHA * log_centre + sd_level * rng.standard_normal(n_teachers)
    clean = np.exp(level[teacher] - alpha_t[teacher] * (np.log(d) - log_centre)) + floor
    return d, clean * np.exp(sigma * rng.standard_normal(d.size)), teacher


def coverage(n_teachers, n_sims, *, tau, sigma, seed=0, floor=0.0):
    """Fraction of nominal 90 % intervals that contain the mean exponent ALPHA."""
    rng = np.random.default_rng([seed, n_teachers])
    key = jax.random.key(seed)  # the replicate interval draws nothing; the key is only required
    hits = 0
    for _ in range(n_sims):
        d, loss, teacher = simulate(rng, n_teachers, tau=tau, sigma=sigma, floor=floor)
        fit = fit_power_law(d, loss, key=key, groups=teacher, with_floor=floor > 0)
        assert fit.interval == ("replicate-jackknife-t" if floor else "replicate-t")
        assert fit.n_replicates == n_teachers
        hits += fit.alpha_ci[0] <= ALPHA <= fit.alpha_ci[1]
    return hits / n_sims


@pytest.mark.parametrize("n_teachers", [3, 4, 6, 8])
def test_replicate_interval_covers_the_mean_exponent(n_teachers):
    # 300 simulations: binomial SE ~0.017 at 0.9, so [0.8, 0.97] is > 4 SE below and ~4 SE above.
    # tau = 0.2 at alpha = 1.3: replicate exponents spread like the 0.85-1.52 seen for one question.
    assert 0.8 <= coverage(n_teachers, 300, tau=0.2, sigma=0.1) <= 0.97


@pytest.mark.slow
@pytest.mark.parametrize("n_teachers", [3, 4, 6, 8])
@pytest.mark.parametrize(("tau", "sigma"), [(0.15, 0.05), (0.3, 0.15), (0.0, 0.1)])
def test_replicate_interval_coverage_large(n_teachers, tau, sigma):
    """2000 simulations per row (SE ~0.007), from little to much teacher variation and none."""
    assert 0.85 <= coverage(n_teachers, 2000, tau=tau, sigma=sigma, seed=1) <= 0.95


@pytest.mark.slow
@pytest.mark.parametrize("n_teachers", [3, 8])
def test_shared_floor_jackknife_interval_coverage(n_teachers):
    """``with_floor=True``: shared floor E = 1e-4 (a third of the loss at D = 1024)."""
    assert 0.8 <= coverage(n_teachers, 200, tau=0.2, sigma=0.1, seed=2, floor=1e-4) <= 0.97


def _benchmark():
    """``benchmarks/interval_coverage.py`` as a module (its pipeline simulation is tested)."""
    path = Path(__file__).resolve().parents[2] / "benchmarks" / "interval_coverage.py"
    spec = importlib.util.spec_from_file_location("interval_coverage_benchmark", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.integration  # slow tier: runs in .ci/run's second pytest
def test_pipeline_coverage_through_the_cell_rule_with_selection():
    """Whole simulated studies (12 teachers, D = 64, 256, 1024; an optimisation excess more
    likely and larger at large D, ``val_tail_dlog`` tracking it) through ``analyse_curve`` with
    the design and convergence cell rules, then ``_replicate_alphas`` + ``paired_contrast`` on the
    kept cells, with the module's default fit loss ``verdict.HUBER_DELTA``: the nominal 90 %
    intervals of alpha and of the network - kernel contrast cover their targets at >= 0.85, less
    3 binomial SEs at 0.85 (0.074 for the 209 verdicts at this seed). The benchmark measured 0.886
    and 0.877 here (400 studies); without the cell rule (``tol=1e9``) the contrast covers 0.72 at
    this seed, which fails this test. The benchmark's whole table is in docs/intervals.md."""
    bench = _benchmark()
    (row,) = bench.pipeline_coverage(
        "selection", 12, "64, 256, 1024", 250, seed=3, deltas=(verdict.HUBER_DELTA,)
    )
    assert row["verdicts"] >= 150 and row["contrasts"] >= 150  # the rule gives most a verdict
    for name, n in (("alpha", row["verdicts"]), ("contrast", row["contrasts"])):
        assert row[f"coverage_{name}"] >= 0.85 - 3 * math.sqrt(0.85 * 0.15 / n), row
