"""Matérn draws against the analytic covariance and the variogram's small-lag slope."""

import jax
import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from manifold_scaling.fields import (
    draw_matern_field,
    matern_covariance,
)


@pytest.fixture(autouse=True)
def _one_blas_thread():
    # Small Cholesky factors on a shared 2-core machine: one OpenBLAS thread is faster.
    with threadpool_limits(limits=1, user_api="blas"):
        yield


@pytest.mark.parametrize("nu", [0.5, 3.5])
def test_draw_has_unit_variance_and_the_covariance(nu):
    # 800 pairs (x, x + 0.25) spaced 10 length scales apart: nearly independent pairs (their
    # covariance is < 1e-6), so one joint draw estimates k(0) and k(0.25) with SD <= 0.05.
    ell, lag, n = 0.5, 0.25, 800
    starts = np.arange(n) * 10 * ell
    points = np.concatenate([starts, starts + lag])[:, None]
    f = draw_matern_field(jax.random.key(5), points, nu=nu, length_scale=ell)
    first, second = f[:n], f[n:]
    assert np.mean(f**2) == pytest.approx(1.0, abs=0.12)
    k_lag = float(matern_covariance(lag, nu, ell))
    assert np.mean(first * second) == pytest.approx(k_lag, abs=0.12)


@pytest.mark.parametrize("nu", [0.5, 1.5, 2.5])
def test_variogram_slope_near_zero(nu):
    """γ(r) = E(f(x) - f(x'))²/2 ~ r^(2 min(ν, 1)) at small r: the roughness the rates rest on."""
    ell = 0.5
    x = np.sort(np.random.default_rng(2).uniform(0, 4, 2000))[:, None]
    f = draw_matern_field(jax.random.key(7), x, nu=nu, length_scale=ell)
    r = np.abs(x - x.T)
    g = 0.5 * (f[:, None] - f[None]) ** 2
    # Lags 0.5% to 5% of ℓ: small enough for the leading term (the next one shifts the slope by
    # < 0.07), large enough that the 1e-10 jitter (γ ~ 1e-10) is negligible.
    edges = np.geomspace(0.005 * ell, 0.05 * ell, 9)
    upper = np.triu(np.ones_like(r, dtype=bool), 1)
    lags, gammas = [], []
    for lo, hi in zip(edges[:-1], edges[1:]):
        pick = upper & (r >= lo) & (r < hi)
        lags.append(r[pick].mean())
        gammas.append(g[pick].mean())
    slope = np.polyfit(np.log(lags), np.log(gammas), 1)[0]
    assert slope == pytest.approx(2 * min(nu, 1.0), abs=0.15)
