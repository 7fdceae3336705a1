"""Coverage of the power-law fit's intervals on synthetic curves with a known exponent."""

from __future__ import annotations

import jax
import numpy as np
import pytest
from _curves import noisy_power_law

from manifold_scaling.fitting import (
    fit_power_law,
)


def _coverage(alpha, n_rep, n_datasets=40):
    rng = np.random.default_rng(1000 + n_rep)
    keys = jax.random.split(jax.random.key(7), n_datasets)
    hits = 0
    for k in keys:
        d, loss, groups = noisy_power_law(rng, alpha, n_rep=n_rep)
        fit = fit_power_law(d, loss, key=k, groups=groups, n_bootstrap=200)
        hits += fit.alpha_ci[0] <= alpha <= fit.alpha_ci[1]
    return hits / n_datasets


@pytest.mark.parametrize("n_rep", [1, 2])
def test_90_percent_interval_covers_truth(n_rep):
    # One replicate: the symmetric residual-bootstrap interval from 8 sizes undercovers somewhat
    # (0.84 over 300 data sets); two: the t interval with 1 degree of freedom, exact for normal
    # exponents (0.90 over 300). 0.75 catches a broken interval (no resampling gives ~0).
    assert _coverage(alpha=0.8, n_rep=n_rep) >= 0.75


@pytest.mark.slow
def test_floor_interval_coverage():
    """With a floor and three replicates, the jackknife-t intervals cover the truth (0.90 for
    alpha and 0.80 for E on these 30 data sets; 0.93 and 0.87 over 150 others, at nominal 0.9)."""
    rng = np.random.default_rng(11)
    sizes = np.geomspace(100, 1e5, 12)
    keys = jax.random.split(jax.random.key(12), 30)
    hits_alpha = hits_floor = 0
    for k in keys:
        d, loss, groups = noisy_power_law(rng, 1.0, sizes=sizes, n_rep=3, sigma=0.03, floor=2e-3)
        fit = fit_power_law(d, loss, key=k, groups=groups, with_floor=True, n_bootstrap=100)
        assert fit.interval == "replicate-jackknife-t"
        hits_alpha += fit.alpha_ci[0] <= 1.0 <= fit.alpha_ci[1]
        hits_floor += fit.floor_ci[0] <= 2e-3 <= fit.floor_ci[1]
    assert hits_alpha / len(keys) >= 0.75
    assert hits_floor / len(keys) >= 0.75
