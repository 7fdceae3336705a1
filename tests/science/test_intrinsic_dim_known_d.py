"""Intrinsic-dimension estimators on samples of known dimension, with tolerances."""

from __future__ import annotations

import numpy as np
import pytest
from _data import cube, rotate, sphere

from manifold_scaling.intrinsic_dim import (
    calibrated_id,
    mle_levina_bickel,
    multiscale_id,
    twonn,
)
from manifold_scaling.intrinsic_dim._multiscale import gride


def test_twonn_uniform_square_is_two():
    est = twonn(np.random.default_rng(0).random((3000, 2)))
    assert abs(est.dimension - 2) < 0.1
    assert est.ci[0] < 2 < est.ci[1]
    assert est.ci[1] - est.ci[0] < 0.3


def test_mle_gaussian_matches_dimension():
    x = rotate(np.random.default_rng(1).standard_normal((3000, 5)), 12, np.random.default_rng(2))
    est = mle_levina_bickel(x, k=20)
    assert est.dimension == pytest.approx(5, rel=0.07)
    assert est.ci[0] < est.dimension < est.ci[1]


def test_gride_first_scale_is_twonn():
    x = cube(1500, 4, 6, 3)
    tw = twonn(x)
    ms = multiscale_id(x, k=16)
    assert ms.diagnostics["scales"][0]["dimension"] == pytest.approx(tw.dimension * 1500 / 1499)
    log_mu = np.random.default_rng(4).exponential(1 / 7.0, size=20000)
    assert gride(log_mu, 1, 2)[0] == pytest.approx(7.0, rel=0.03)


@pytest.mark.parametrize("family", ["cube", "sphere"])
def test_calibrated_removes_high_d_bias(family):
    # n = 2000, d = 10: raw TwoNN is >= 7 % low on both; the calibration must land within 5 %
    x = (cube if family == "cube" else sphere)(2000, 10, 24, 5)
    raw = twonn(x).dimension
    est = calibrated_id(x)
    assert raw < 0.95 * 10
    assert est.dimension == pytest.approx(10, rel=0.05)
    assert est.ci[0] < est.dimension < est.ci[1]
    assert abs(est.dimension - round(est.dimension)) > 1e-9  # continuous, not DANCo's integers


def test_multiscale_flags_noise_but_not_clean_data():
    rng = np.random.default_rng(9)
    clean = multiscale_id(cube(2000, 3, 10, 10))
    assert clean.diagnostics["plateau"] and clean.diagnostics["warning"] is None
    assert clean.dimension == pytest.approx(3, rel=0.08)
    noisy = rotate(rng.standard_normal((2000, 6)), 40, rng) + 0.15 * rng.standard_normal((2000, 40))
    est = multiscale_id(noisy)
    assert not est.diagnostics["plateau"]
    assert "falls" in est.diagnostics["warning"]
    dims = [s["dimension"] for s in est.diagnostics["scales"]]
    assert dims[0] > dims[-1] * 1.2
