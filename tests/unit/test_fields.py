"""Matérn fields: closed forms against the Bessel formula, exact draws, variogram, bad input."""

import math

import jax
import numpy as np
import pytest
from scipy.special import gamma, kv
from threadpoolctl import threadpool_limits

from manifold_scaling.errors import InputError
from manifold_scaling.fields import (
    MATERN_NUS,
    draw_matern_field,
    matern_covariance,
    predicted_exponents,
)


@pytest.fixture(autouse=True)
def _one_blas_thread():
    # Small Cholesky factors on a shared 2-core machine: one OpenBLAS thread is faster.
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def bessel_matern(r, nu, ell):
    """The general Matérn covariance (Rasmussen & Williams 2006, eq. 4.14), written independently."""
    x = np.sqrt(2 * nu) * np.asarray(r, float) / ell
    with np.errstate(invalid="ignore"):
        k = 2 ** (1 - nu) / gamma(nu) * x**nu * kv(nu, x)
    return np.where(x == 0, 1.0, k)


@pytest.mark.parametrize("nu", MATERN_NUS)
@pytest.mark.parametrize("ell", [0.3, 1.7])
def test_closed_forms_match_bessel_formula(nu, ell):
    r = np.concatenate([[0.0], np.geomspace(1e-4, 8.0, 60)])
    np.testing.assert_allclose(matern_covariance(r, nu, ell), bessel_matern(r, nu, ell), rtol=1e-9)


@pytest.mark.parametrize("nu", MATERN_NUS)
def test_covariance_positive_definite_on_random_points(nu):
    points = np.random.default_rng(1).uniform(-1, 1, (150, 3))
    r = np.linalg.norm(points[:, None] - points[None], axis=-1)
    eig = np.linalg.eigvalsh(matern_covariance(r, nu, 0.5))
    assert eig.min() > 0
    np.linalg.cholesky(matern_covariance(r, nu, 0.5))  # no jitter needed at this density


def _key():
    return jax.random.key(0)


def test_same_key_same_field():
    points = np.random.default_rng(0).uniform(-1, 1, (400, 2))
    a = draw_matern_field(jax.random.key(3), points, nu=1.5, length_scale=0.5)
    b = draw_matern_field(jax.random.key(3), points, nu=1.5, length_scale=0.5)
    c = draw_matern_field(jax.random.key(4), points, nu=1.5, length_scale=0.5)
    assert a.shape == (400,) and a.dtype == np.float64
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_predicted_exponents():
    assert predicted_exponents(0.5, 2) == {
        "piecewise_linear": 0.5, "piecewise_linear_range": [0.5, 0.5],
        "kernel": 0.5, "kernel_range": [0.5, 0.5],
    }  # fmt: skip
    # on the cube the kernel band runs from the guaranteed (d + 1)/d to the boundary-free rate
    assert predicted_exponents(3.5, 2) == {
        "piecewise_linear": 2.0, "piecewise_linear_range": [2.0, 2.0],
        "kernel": 3.0, "kernel_range": [1.5, 3.0],
    }  # fmt: skip
    p = predicted_exponents(2.5, 3)
    assert p["piecewise_linear"] == pytest.approx(4 / 3)
    assert p["kernel"] == pytest.approx(5 / 3)


@pytest.mark.parametrize("nu", [1.0, 0.0, True, "1.5"])
def test_unsupported_nu_is_refused(nu):
    with pytest.raises(InputError, match=r"^nu: .*0\.5, 1\.5, 2\.5, 3\.5"):
        matern_covariance(0.1, nu, 1.0)
    with pytest.raises(InputError, match="^nu: "):
        draw_matern_field(_key(), np.zeros((2, 1)), nu=nu, length_scale=1.0)


@pytest.mark.parametrize("ell", [0.0, -1.0])
def test_nonpositive_length_scale_is_refused(ell):
    with pytest.raises(InputError, match="^length_scale: "):
        matern_covariance(0.1, 1.5, ell)
    with pytest.raises(InputError, match="^length_scale: "):
        draw_matern_field(_key(), np.zeros((2, 1)), nu=1.5, length_scale=ell)


def test_pool_too_large_is_refused_before_allocating():
    with pytest.raises(InputError, match=r"^points: a pool of 16385 points needs 2\.00 GiB") as err:
        draw_matern_field(_key(), np.zeros((16385, 2)), nu=0.5, length_scale=1.0)
    assert "max_points=16384" in str(err.value) and "\n" not in str(err.value)
    with pytest.raises(InputError, match="^points: a pool of 11 points"):
        draw_matern_field(_key(), np.zeros((11, 2)), nu=0.5, length_scale=1.0, max_points=10)


def test_bad_points_are_refused():
    with pytest.raises(InputError, match="^points: "):
        draw_matern_field(_key(), np.zeros(5), nu=0.5, length_scale=1.0)
    with pytest.raises(InputError, match="^points: "):
        draw_matern_field(_key(), np.full((3, 2), math.nan), nu=0.5, length_scale=1.0)
