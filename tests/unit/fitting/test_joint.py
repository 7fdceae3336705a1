"""The joint law L(N, D) = E + A N^-a + B D^-b: recovery, the compute frontier, bad input."""

from __future__ import annotations

import json

import jax
import numpy as np
import pytest

from manifold_scaling.errors import InputError
from manifold_scaling.fitting import (
    JointFit,
    fit_joint_scaling,
    predicted_frontier_exponent,
)

TRUE_JOINT = {"E": 0.05, "A": 20.0, "a": 0.5, "B": 40.0, "b": 0.7}


def _joint_data(rng, sigma=0.01):
    grid = np.geomspace(1e3, 1e6, 6)
    n, d = (v.ravel() for v in np.meshgrid(grid, grid))
    t = TRUE_JOINT
    loss = t["E"] + t["A"] * n ** -t["a"] + t["B"] * d ** -t["b"]
    return n, d, loss * np.exp(sigma * rng.standard_normal(n.size))


@pytest.fixture(scope="module")
def joint_fit():
    n, d, loss = _joint_data(np.random.default_rng(10))
    return fit_joint_scaling(n, d, loss, key=jax.random.key(3), n_bootstrap=40)


def test_joint_fit_recovers_known_law(joint_fit):
    fit = joint_fit
    assert isinstance(fit, JointFit)
    assert fit.E == pytest.approx(TRUE_JOINT["E"], rel=0.1)
    assert fit.a == pytest.approx(TRUE_JOINT["a"], abs=0.05)
    assert fit.b == pytest.approx(TRUE_JOINT["b"], abs=0.05)
    for name in ("E", "A", "a", "B", "b"):
        lo, hi = fit.ci[name]
        assert lo <= getattr(fit, name) <= hi
    n, d, _ = _joint_data(np.random.default_rng(10), sigma=0.0)
    exact = TRUE_JOINT["E"] + TRUE_JOINT["A"] * n**-0.5 + TRUE_JOINT["B"] * d**-0.7
    np.testing.assert_allclose(fit.predict(n, d), exact, rtol=0.05)
    data = json.loads(json.dumps(fit.to_dict()))
    assert data["frontier_exponent"] == pytest.approx(fit.frontier_exponent())


def test_frontier_matches_numerical_optimum(joint_fit):
    fit = joint_fit
    k = 6.0  # C = 6 N D, the usual transformer FLOP count
    compute = np.geomspace(1e10, 1e16, 7)
    front = fit.frontier(compute, compute_per_nd=k)
    grid_n = np.geomspace(1e0, 1e12, 200_001)
    best_loss, best_n = [], []
    for c in compute:
        losses = fit.predict(grid_n, c / (k * grid_n))
        i = int(np.argmin(losses))
        best_loss.append(losses[i])
        best_n.append(grid_n[i])
    np.testing.assert_allclose(front["loss"], best_loss, rtol=1e-6)
    np.testing.assert_allclose(front["N"], best_n, rtol=1e-3)
    np.testing.assert_allclose(front["N"] * front["D"] * k, compute, rtol=1e-12)
    # log(L* - E) against log C is a straight line of slope -ab/(a+b).
    slope = np.polyfit(np.log(compute), np.log(np.array(best_loss) - fit.E), 1)[0]
    assert -slope == pytest.approx(fit.frontier_exponent(), rel=1e-3)
    assert fit.frontier_exponent() == pytest.approx(fit.a * fit.b / (fit.a + fit.b))


@pytest.mark.parametrize("d", [1, 2, 4, 7.5])
def test_predicted_frontier_exponent_is_two_over_d(d):
    assert predicted_frontier_exponent(4 / d, 4 / d) == pytest.approx(2 / d)


def test_joint_fit_rejects_bad_input(key):
    good = np.geomspace(1e3, 1e6, 6)
    with pytest.raises(InputError, match="^N: "):
        fit_joint_scaling(-good, good, good, key=key)
    with pytest.raises(InputError, match="^D: "):
        fit_joint_scaling(good, np.full(6, 1e3), good, key=key)
    with pytest.raises(InputError, match="^losses: "):
        fit_joint_scaling(good, good, np.r_[good[:-1], np.nan], key=key)


def test_frontier_without_n_dependence_is_nan_not_an_error():
    fit = JointFit(
        E=0.1, A=1.0, a=0.0, B=2.0, b=0.5, ci={}, n_points=10, huber_delta=1e-3, n_bootstrap=10
    )
    assert fit.frontier_exponent() == 0.0
    assert np.all(np.isnan(fit.frontier([1e6, 1e8])["N"]))
