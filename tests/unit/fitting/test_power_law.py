"""Science checks of the power-law fits: recovery of known exponents, floors and joint laws,
interval coverage and the replicate-level interval, local slopes, the window rule and input
validation (coverage under teacher random effects: ``test_interval_coverage.py``)."""

from __future__ import annotations

import json

import jax
import numpy as np
import pytest
from _curves import SIZES, noisy_power_law, replicate_curves

from manifold_scaling.errors import InputError
from manifold_scaling.fitting import (
    PowerLawFit,
    fit_power_law,
)

# ------------------------------------------------------------------ single power law


@pytest.mark.parametrize("alpha", [0.5, 1.0, 2.0])
@pytest.mark.parametrize("n_rep", [1, 3])
def test_fit_recovers_known_exponent(alpha, n_rep, key):
    rng = np.random.default_rng(int(alpha * 10) + n_rep)
    d, loss, groups = noisy_power_law(rng, alpha, n_rep=n_rep)
    fit = fit_power_law(d, loss, key=key, groups=groups, n_bootstrap=200)
    # slope sd ~ sigma / sqrt(sum x^2) ~ 0.012 for one replicate: 0.06 is ~5 sd
    assert abs(fit.alpha - alpha) < 0.06
    assert abs(np.log(fit.amplitude / 3.0)) < 0.6
    lo, hi = fit.alpha_ci
    assert lo < fit.alpha < hi
    assert 0.005 < hi - lo < 0.2
    # Three seeds: the replicate-level t interval; one seed: the curve's own residual interval.
    assert fit.interval == ("replicate-t" if n_rep > 1 else "residual-bootstrap-symmetric")
    assert fit.bootstrap == ("none" if n_rep > 1 else "residual")
    assert fit.n_replicates == n_rep and len(fit.alpha_replicates) == n_rep
    assert fit.n_points == d.size and fit.n_sizes == SIZES.size
    assert fit.window == (SIZES[0], SIZES[-1])
    assert fit.floor is None and fit.floor_ci is None


def test_exact_power_law_is_recovered_to_optimiser_precision(key):
    loss = 2.5 * SIZES**-0.7
    fit = fit_power_law(SIZES, loss, key=key, n_bootstrap=20)
    assert fit.alpha == pytest.approx(0.7, abs=1e-6)
    assert fit.amplitude == pytest.approx(2.5, rel=1e-5)
    np.testing.assert_allclose(fit.predict(SIZES), loss, rtol=1e-5)


def test_floor_recovered(key):
    rng = np.random.default_rng(3)
    sizes = np.geomspace(100, 1e5, 12)
    d, loss, groups = noisy_power_law(rng, 1.0, sizes=sizes, n_rep=3, sigma=0.03, floor=2e-3)
    fit = fit_power_law(d, loss, key=key, groups=groups, with_floor=True, n_bootstrap=100)
    assert fit.floor == pytest.approx(2e-3, rel=0.25)
    assert fit.floor_ci[0] <= fit.floor <= fit.floor_ci[1]
    assert abs(fit.alpha - 1.0) < 0.15
    # Without the floor the same data read as a much shallower law.
    plain = fit_power_law(d, loss, key=key, groups=groups, n_bootstrap=20)
    assert plain.alpha < fit.alpha - 0.15
    np.testing.assert_allclose(fit.predict(sizes), 3.0 * sizes**-1.0 + 2e-3, rtol=0.1)


def test_floor_vanishes_when_there_is_none(key):
    rng = np.random.default_rng(4)
    d, loss, groups = noisy_power_law(rng, 1.0, n_rep=2, sigma=0.02)
    fit = fit_power_law(d, loss, key=key, groups=groups, with_floor=True, n_bootstrap=50)
    # A floor well below the smallest loss (~3/16384 = 1.8e-4) changes nothing measurable.
    assert fit.floor < 0.2 * loss.min()
    assert abs(fit.alpha - 1.0) < 0.1


def test_same_key_same_result_and_keys_matter():
    rng = np.random.default_rng(5)
    d, loss, _ = noisy_power_law(rng, 1.0)
    a = fit_power_law(d, loss, key=jax.random.key(1), n_bootstrap=50)
    b = fit_power_law(d, loss, key=jax.random.key(1), n_bootstrap=50)
    c = fit_power_law(d, loss, key=jax.random.key(2), n_bootstrap=50)
    assert a == b
    assert a.alpha == c.alpha  # the point fit draws nothing
    assert a.alpha_ci != c.alpha_ci
    # The replicate interval draws nothing either: the key does not matter.
    d, loss, groups = noisy_power_law(rng, 1.0, n_rep=3)
    a = fit_power_law(d, loss, key=jax.random.key(1), groups=groups)
    assert a == fit_power_law(d, loss, key=jax.random.key(2), groups=groups)


def test_to_dict_is_json_ready(key):
    rng = np.random.default_rng(6)
    d, loss, _ = noisy_power_law(rng, 1.0)
    fit = fit_power_law(d, loss, key=key, n_bootstrap=20, with_floor=True)
    data = json.loads(json.dumps(fit.to_dict()))
    for name in ("alpha", "alpha_ci", "amplitude", "floor", "floor_ci", "window", "n_points"):
        assert name in data
    assert isinstance(data["alpha_ci"], list) and len(data["alpha_ci"]) == 2
    assert data["interval"] == "residual-bootstrap-symmetric" and data["n_replicates"] is None
    assert isinstance(fit, PowerLawFit)
    d, loss, groups = noisy_power_law(rng, 1.0, n_rep=3)
    groups = np.array(["s0", "s1", "s2"])[groups]
    data = json.loads(json.dumps(fit_power_law(d, loss, key=key, groups=groups).to_dict()))
    assert data["replicate_labels"] == ["s0", "s1", "s2"] and len(data["alpha_replicates"]) == 3
    assert data["alpha_spread"] > 0 and data["replicates_dropped"] == {}
    assert len({fit, fit}) == 1  # still hashable


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [
        ({"sizes": [1, 2, -3, 4], "losses": [1, 1, 1, 1]}, "sizes"),
        ({"sizes": [1, 2, np.inf, 4], "losses": [1, 1, 1, 1]}, "sizes"),
        ({"sizes": [1, 2, 3, 4], "losses": [1, np.nan, 1, 1]}, "losses"),
        ({"sizes": [1, 2, 3, 4], "losses": [1, 0.0, 1, 1]}, "losses"),
        ({"sizes": [1, 2, 3, 4], "losses": [1, 1, 1]}, "losses"),
        ({"sizes": [1, 1, 2, 2], "losses": [1, 1, 1, 1]}, "sizes"),
        ({"sizes": [1, 2, 3, 4], "losses": [1, 1, 1, 1], "ci": 1.0}, "ci"),
        ({"sizes": [1, 2, 3, 4], "losses": [1, 1, 1, 1], "n_bootstrap": 2}, "n_bootstrap"),
        ({"sizes": [1, 2, 3, 4], "losses": [1, 1, 1, 1], "huber_delta": 0}, "huber_delta"),
        ({"sizes": [1, 2, 3, 4], "losses": [1, 1, 1, 1], "groups": [0, 0]}, "groups"),
        ({"sizes": [1, 1, 2, 3], "losses": [1, 1, 1, 1], "groups": [0, 0, 0, 0]}, "groups"),
        ({"sizes": [1, 2, 3], "losses": [1, 1, 1], "with_floor": True}, "sizes"),
    ],
)
def test_bad_input_names_the_parameter(kwargs, parameter, key):
    with pytest.raises(InputError) as err:
        fit_power_law(key=key, **kwargs)
    assert err.value.parameter == parameter
    assert str(err.value).startswith(f"{parameter}: ")


# ------------------------------------------------------------------ replicate-level interval


def test_replicate_fit_is_mean_of_per_replicate_fits_with_t_interval(key):
    from scipy import stats

    rng = np.random.default_rng(20)
    d, loss, groups = replicate_curves(rng, [0.9, 1.2, 1.0, 1.4, 1.1])
    fit = fit_power_law(d, loss, key=key, groups=groups, ci=0.9)
    alone = [
        fit_power_law(d[groups == g], loss[groups == g], key=key, n_bootstrap=10).alpha
        for g in range(5)
    ]
    # Each replicate's exponent is its own Huber fit. Stacked in one L-BFGS-B run the fits stop
    # elsewhere in the Huber loss's flat valley (~L1 at delta = 1e-3): 3e-4 here, << noise 0.01.
    np.testing.assert_allclose(fit.alpha_replicates, alone, atol=1e-3)
    assert fit.replicate_labels == (0, 1, 2, 3, 4) and fit.n_replicates == 5
    assert fit.alpha == pytest.approx(np.mean(fit.alpha_replicates), abs=1e-12)
    assert fit.alpha_spread == pytest.approx(np.std(fit.alpha_replicates, ddof=1), abs=1e-12)
    half = stats.t.ppf(0.95, 4) * fit.alpha_spread / np.sqrt(5)
    np.testing.assert_allclose(fit.alpha_ci, (fit.alpha - half, fit.alpha + half), rtol=1e-12)
    assert fit.interval == "replicate-t" and fit.bootstrap == "none" and fit.n_bootstrap == 0
    assert fit.n_points == d.size and fit.n_sizes == SIZES.size
    # The amplitude is the geometric mean over replicates: predict() is the mean log-loss line.
    mean_log = np.log(loss).reshape(5, SIZES.size).mean(axis=0)
    np.testing.assert_allclose(np.log(fit.predict(SIZES)), mean_log, atol=0.1)


def test_replicate_interval_reflects_replicate_spread_not_curve_noise(key):
    """The issue's case: curves that are each very clean but differ in exponent. The interval
    must be as wide as the spread of re-runs, not as narrow as one curve's noise."""
    rng = np.random.default_rng(21)
    d, loss, groups = replicate_curves(rng, [0.85, 1.22, 1.52], sigma=0.01)
    fit = fit_power_law(d, loss, key=key, groups=groups)
    lo, hi = fit.alpha_ci
    assert lo < 0.85 and hi > 1.52  # t(2 dof) = 2.92: half-width ~0.57
    pooled = fit_power_law(d, loss, key=key, n_bootstrap=200)  # no groups: within-curve only
    assert pooled.interval == "residual-bootstrap-symmetric"


def test_replicates_missing_sizes_are_fitted_or_dropped_and_reported(key):
    rng = np.random.default_rng(22)
    d, loss, groups = replicate_curves(rng, [1.0, 1.1, 0.9, 1.05])
    keep = ~((groups == 1) & (d == SIZES[-1]))  # replicate 1 misses the largest size: still used
    keep &= ~((groups == 3) & (d > SIZES[1]))  # replicate 3 has 2 sizes: dropped
    fit = fit_power_law(d[keep], loss[keep], key=key, groups=groups[keep])
    assert fit.replicate_labels == (0, 1, 2) and fit.n_replicates == 3
    assert list(fit.replicates_dropped) == [3] and "2 size(s)" in fit.replicates_dropped[3]
    assert fit.n_points == 3 * SIZES.size - 1  # replicate 3's points are not in the fit
    one = fit_power_law(d[groups == 1][:-1], loss[groups == 1][:-1], key=key, n_bootstrap=10)
    assert fit.alpha_replicates[1] == pytest.approx(one.alpha, abs=1e-3)
    # With a floor a replicate needs 4 sizes.
    keep = ~((groups == 2) & (d > SIZES[2]))
    floor = fit_power_law(d[keep], loss[keep], key=key, groups=groups[keep], with_floor=True)
    assert floor.replicate_labels == (0, 1, 3) and list(floor.replicates_dropped) == [2]


def test_one_replicate_falls_back_to_the_curve_interval(key):
    rng = np.random.default_rng(23)
    d, loss, groups = replicate_curves(rng, [1.0, 1.2])
    one = fit_power_law(d, loss, key=key, groups=np.where(groups == 0, 7, -1))
    assert one.interval == "replicate-t"  # two labels, two replicates
    keep = ~((groups == 1) & (d > SIZES[1]))  # replicate 1 dropped: one usable replicate left
    fit = fit_power_law(d[keep], loss[keep], key=key, groups=groups[keep], n_bootstrap=100)
    assert fit.interval == "residual-bootstrap-symmetric" and fit.bootstrap == "residual"
    assert fit.n_replicates == 1 and fit.replicate_labels == (0,) and fit.alpha_spread is None
    assert len(fit.alpha_replicates) == 1 and list(fit.replicates_dropped) == [1]
    assert fit.alpha_ci[0] <= fit.alpha <= fit.alpha_ci[1]


def test_replicate_floor_is_shared_and_intervals_use_the_jackknife(key):
    rng = np.random.default_rng(24)
    sizes = np.geomspace(100, 1e5, 8)
    alphas = [0.9, 1.1, 1.0, 1.05]
    d, loss, groups = replicate_curves(rng, alphas, sizes=sizes, sigma=0.02)
    loss = loss + 2e-3
    fit = fit_power_law(d, loss, key=key, groups=groups, with_floor=True)
    assert fit.interval == "replicate-jackknife-t" and fit.n_replicates == 4
    assert fit.floor == pytest.approx(2e-3, rel=0.2)
    assert 0 <= fit.floor_ci[0] <= fit.floor <= fit.floor_ci[1]
    assert fit.alpha_ci[0] <= fit.alpha <= fit.alpha_ci[1]
    np.testing.assert_allclose(fit.alpha_replicates, alphas, atol=0.15)
    assert fit.alpha == pytest.approx(np.mean(fit.alpha_replicates))
    # No floor in the data: the shared floor goes to ~0 and the exponents match the plain fit.
    d, loss, groups = replicate_curves(rng, alphas, sigma=0.02)
    fit = fit_power_law(d, loss, key=key, groups=groups, with_floor=True)
    plain = fit_power_law(d, loss, key=key, groups=groups)
    assert fit.floor < 0.1 * loss.min() and fit.floor_ci[0] == 0.0
    assert fit.alpha == pytest.approx(plain.alpha, abs=0.02)


def test_every_interval_contains_its_estimate(key):
    """Property: over random inputs, each returned interval contains its point estimate,
    including two replicates per size (flat Huber valleys), groups or none, floors or none."""
    rng = np.random.default_rng(25)
    for i, k in enumerate(jax.random.split(key, 40)):
        with_floor = bool(rng.random() < 0.25)
        n_sizes = int(rng.integers(4 if with_floor else 3, 9))
        sizes = np.sort(rng.choice(2.0 ** np.arange(4, 16), n_sizes, replace=False))
        n_rep = int(rng.choice([1, 2, 2, 3, 5]))
        alphas = rng.uniform(0.1, 2.5, n_rep) if rng.random() < 0.5 else np.full(n_rep, 1.0)
        d, loss, groups = replicate_curves(
            rng, alphas, sizes=sizes, sigma=rng.choice([0.0, 0.02, 0.3])
        )
        if with_floor:
            loss = loss + rng.choice([0.0, 1e-4, 1e-3])
        fit = fit_power_law(
            d, loss, key=k, groups=groups if rng.random() < 0.5 else None, with_floor=with_floor,
            n_bootstrap=20, ci=float(rng.choice([0.5, 0.9, 0.99])),
        )  # fmt: skip
        lo, hi = fit.alpha_ci
        assert lo <= fit.alpha <= hi, (i, fit)
        if with_floor:
            assert 0.0 <= fit.floor_ci[0] <= fit.floor <= fit.floor_ci[1], (i, fit)
    # The nasty case on its own: two replicates per size at three sizes, flat valleys between.
    for k in jax.random.split(jax.random.fold_in(key, 1), 10):
        d, loss, groups = replicate_curves(rng, [1.0, 1.3], sizes=SIZES[:3], sigma=0.3)
        for g in (None, groups):
            fit = fit_power_law(d, loss, key=k, groups=g, n_bootstrap=20)
            assert fit.alpha_ci[0] <= fit.alpha <= fit.alpha_ci[1], fit


# ------------------------------------------------------------------ local slopes


# ------------------------------------------------------------------ window rule


# ------------------------------------------------------------------ joint fit and frontier


# ------------------------------------------------------------------ reading a loss table
