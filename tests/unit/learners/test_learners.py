"""Reference learners: exactness where it must hold, the theories' exponents on tiny scans, errors.

The fast exponent checks fit the mean α of three seeds at d = 2 over D = 128..2048 (1.2 decades).
Their tolerances come from the seed-to-seed spread, not from these seeds: over 9 seeds one seed's
α ranged 1.13-1.71 at ν = 1.5 (2ν/d = 1.5; at these sizes the mean sits ~10 % low) and 0.38-0.57
at ν = 0.5, while means of three seeds stayed within 1.30-1.43 and 0.49-0.52. The `slow` versions
run two seeds at d = 2, 3 (and 4) up to D = 4096 with the benchmark's tolerances.
"""

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from manifold_scaling.errors import InputError
from manifold_scaling.learners import (
    LEARNERS,
    fit_predict,
    interior_mask,
    kernel_fit_predict,
    kernel_matrix,
    median_bandwidth,
    simplex_fit_predict,
)


@pytest.fixture(autouse=True)
def _one_blas_thread():
    # The Cholesky factors here are small (<= 3072); on a shared 2-core machine OpenBLAS's second
    # thread cost more in hand-offs than it saved (a 2560-point factor took 1-3.5 s instead of 0.6 s).
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def _rng(seed=0):
    return np.random.default_rng(seed)


# ------------------------------------------------------------------ exactness


@pytest.mark.parametrize("d", [1, 2, 3])
def test_simplex_reproduces_affine_functions_and_is_nan_outside_the_hull(d):
    z = _rng().uniform(-1, 1, (300, d))
    w = np.arange(1.0, d + 1)
    z_test = _rng(1).uniform(-1.3, 1.3, (500, d))
    pred = simplex_fit_predict(z, z @ w + 0.5, z_test)
    inside = interior_mask(z, z_test)
    assert 0 < inside.sum() < len(z_test)
    np.testing.assert_array_equal(np.isfinite(pred), inside)
    np.testing.assert_allclose(pred[inside], z_test[inside] @ w + 0.5, atol=1e-9)


def test_simplex_multi_output_and_training_points():
    z = _rng().uniform(-1, 1, (200, 2))
    y = np.stack([np.sin(3 * z[:, 0]), z[:, 1] ** 2], axis=1)
    pred = simplex_fit_predict(z, y, z)
    assert pred.shape == (200, 2)
    np.testing.assert_allclose(pred, y, atol=1e-9)


@pytest.mark.parametrize("kernel", ["laplace", "relu-ntk"])
def test_kernel_interpolates_its_training_set(kernel):
    x = _rng().uniform(-1, 1, (300, 3))
    y = np.sin(2 * x).sum(1)
    np.testing.assert_allclose(kernel_fit_predict(x, y, x, kernel=kernel), y, atol=1e-5)
    out = kernel_fit_predict(x, np.stack([y, -y], 1), x[:7], kernel=kernel)
    assert out.shape == (7, 2)


def test_laplace_kernel_and_bandwidth_rule():
    x = _rng().normal(size=(50, 4))
    r = np.linalg.norm(x[:, None] - x[None], axis=-1)
    np.testing.assert_allclose(kernel_matrix(x, x, length_scale=0.7), np.exp(-r / 0.7), atol=1e-12)
    assert median_bandwidth(x) == pytest.approx(np.median(r[np.triu_indices(50, 1)]))
    # Rotation-invariant: a rotated copy of the inputs gives the same predictions.
    q, _ = np.linalg.qr(_rng(2).normal(size=(4, 4)))
    y = np.cos(x).sum(1)
    x_test = _rng(3).normal(size=(20, 4))
    np.testing.assert_allclose(
        kernel_fit_predict(x @ q, y, x_test @ q), kernel_fit_predict(x, y, x_test), atol=1e-8
    )


def test_relu_ntk_matches_a_wide_network():
    """Our NTK is 2x E_w[(relu(w·u) relu(w·u') + (u·u') 1{w·u>0} 1{w·u'>0})], w ~ N(0, I)."""
    ell = 1.3
    x = _rng().uniform(-1, 1, (5, 2))
    u = np.hstack([x / ell, np.ones((5, 1))])
    w = _rng(4).normal(size=(3, 400_000))
    pre = u @ w
    feats = np.maximum(pre, 0)
    gates = (pre > 0).astype(float)
    mc = 2 * (feats @ feats.T + (u @ u.T) * (gates @ gates.T)) / w.shape[1]
    exact = kernel_matrix(x, x, kernel="relu-ntk", length_scale=ell)
    np.testing.assert_allclose(exact, mc, rtol=0.02)


def test_fit_predict_routes_each_learner_to_its_inputs():
    z = _rng().uniform(-1, 1, (200, 2))
    x = np.hstack([z, np.zeros((200, 3))])  # pad embedding: same distances
    y = np.sin(3 * z).sum(1)
    z_test = _rng(1).uniform(-0.5, 0.5, (40, 2))
    x_test = np.hstack([z_test, np.zeros((40, 3))])
    assert LEARNERS == ("simplex", "kernel")
    np.testing.assert_array_equal(
        fit_predict("simplex", z, None, y, z_test, None), simplex_fit_predict(z, y, z_test)
    )
    np.testing.assert_allclose(
        fit_predict("kernel", None, x, y, None, x_test), kernel_fit_predict(z, y, z_test)
    )


# ------------------------------------------------------------------ bad input


def test_simplex_refuses_d_above_5():
    z = np.zeros((10, 6))
    with pytest.raises(InputError, match=r"^learners: simplex .*d <= 5 .*got d = 6"):
        simplex_fit_predict(z, np.zeros(10), z)
    with pytest.raises(InputError, match=r"^learners: simplex"):
        interior_mask(z, z)
    with pytest.raises(InputError, match=r"^learners: "):
        fit_predict("simplex", z, z, np.zeros(10), z, z)


def test_unknown_learner_and_bad_shapes():
    z = np.zeros((10, 2))
    with pytest.raises(InputError, match=r"^learners: must be among simplex, kernel"):
        fit_predict("knn", z, z, np.zeros(10), z, z)
    with pytest.raises(InputError, match="^y_train: "):
        simplex_fit_predict(z, np.zeros(9), z)
    with pytest.raises(InputError, match="^z_test: "):
        simplex_fit_predict(z, np.zeros(10), np.zeros((3, 3)))
    with pytest.raises(InputError, match="^kernel: "):
        kernel_fit_predict(z, np.zeros(10), z, kernel="gaussian")


def test_kernel_refuses_a_training_set_too_large():
    x = np.zeros((16385, 2))
    with pytest.raises(InputError, match=r"^x_train: .*16385 training points needs 2\.00 GiB"):
        kernel_fit_predict(x, np.zeros(16385), x[:2])
    with pytest.raises(InputError, match=r"^x_train: .*max_points=50"):
        kernel_fit_predict(x[:51], np.zeros(51), x[:2], max_points=50)


# ------------------------------------------------------------------ exponents
