"""The scikit-learn-style ``IntrinsicDimension`` estimator: conventions, alignment, warnings."""

from __future__ import annotations

import pickle
import warnings

import jax
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.utils.estimator_checks import parametrize_with_checks

from manifold_scaling.errors import InputError
from manifold_scaling.intrinsic_dim import (
    ESTIMATORS,
    IntrinsicDimension,
    IntrinsicDimensionWarning,
    estimate_id,
)
from manifold_scaling.intrinsic_dim._mle import local_inverse_dimensions
from manifold_scaling.intrinsic_dim._neighbors import knn


def _cube(n, d, ambient, seed):
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.standard_normal((ambient, ambient)))
    return rng.random((n, d)) @ q[:d]


@pytest.fixture(scope="module")
def with_duplicates():
    """A 4-cube in 9 dims with 30 exact copies and 10 near copies of earlier rows, shuffled."""
    rng = np.random.default_rng(1)
    clean = _cube(1500, 4, 9, 2)
    x = np.vstack([clean, clean[:30], clean[30:40] + 1e-13])
    order = rng.permutation(len(x))
    where = np.argsort(order)  # row of x[order] that holds original row i
    later = np.maximum(where[:40], where[1500:])  # of each pair, the copy further down
    return x[order], later


@parametrize_with_checks([IntrinsicDimension(estimator=e) for e in ESTIMATORS])
def test_sklearn_estimator_checks(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IntrinsicDimensionWarning)
        check(estimator)


def test_params_stored_unchanged_clone_and_set_params():
    key = jax.random.key(3)
    est = IntrinsicDimension(estimator="mle", k=15, ci=0.8, duplicates="error", random_state=key)
    params = est.get_params()
    assert params == {
        "estimator": "mle",
        "k": 15,
        "ci": 0.8,
        "duplicates": "error",
        "random_state": key,
    }
    twin = clone(est)
    assert twin is not est and twin.get_params()["k"] == 15
    assert twin.set_params(k=7, ci=0.5) is twin and twin.k == 7 and twin.ci == 0.5
    assert est.k == 15
    assert repr(IntrinsicDimension(estimator="twonn")) == "IntrinsicDimension(estimator='twonn')"


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_dimension_equals_estimate_id_and_fit_returns_self(estimator):
    x = _cube(1200, 5, 12, 3)
    model = IntrinsicDimension(estimator=estimator, random_state=4)
    assert model.fit(x) is model
    ref = estimate_id(x, estimator=estimator, key=jax.random.key(4))
    assert model.dimension_ == ref.dimension
    assert model.interval_ == ref.ci and model.estimate_ == ref
    assert model.n_features_in_ == 12 and model.n_dropped_ == 0 and model.warnings_ == []
    assert model.dimension_pw_.shape == (1200,) and np.isfinite(model.dimension_pw_).all()
    # the common scale factor makes the harmonic mean of the local estimates the estimate
    assert 1 / np.mean(1 / model.dimension_pw_) == pytest.approx(model.dimension_, rel=1e-12)
    restored = pickle.loads(pickle.dumps(model))
    assert restored.dimension_ == model.dimension_


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_pointwise_aligned_with_rows_nan_for_dropped(estimator, with_duplicates):
    x, repeats = with_duplicates
    with pytest.warns(IntrinsicDimensionWarning, match="dropped 40 duplicate rows"):
        model = IntrinsicDimension(estimator=estimator).fit(x)
    nan = np.isnan(model.dimension_pw_)
    assert nan.sum() == 40 == model.n_dropped_
    assert set(np.flatnonzero(nan)) == set(repeats)  # the first copy is kept
    assert model.estimate_.dropped_reasons == {"duplicate": 30, "near_duplicate": 10}
    assert model.warnings_ == list(model.estimate_.warnings)


def test_mle_pointwise_is_the_levina_bickel_local_estimate():
    x = _cube(800, 3, 6, 5)
    model = IntrinsicDimension(estimator="mle", k=12).fit(x)
    dist, _ = knn(x, 12)
    np.testing.assert_allclose(model.dimension_pw_, 1 / local_inverse_dimensions(dist, 12))


def test_random_state_int_is_the_jax_key():
    x = _cube(7000, 3, 8, 6)  # two blocks: the split is random
    a = IntrinsicDimension(random_state=5).fit(x)
    b = IntrinsicDimension(random_state=jax.random.key(5)).fit(x)
    c = IntrinsicDimension(random_state=6).fit(x)
    assert a.dimension_ == b.dimension_
    np.testing.assert_array_equal(a.dimension_pw_, b.dimension_pw_)
    assert a.dimension_ != c.dimension_
    assert a.estimate_.diagnostics["n_blocks"] == 2
    with pytest.raises(InputError, match="key"):
        IntrinsicDimension(random_state=-1).fit(x[:100])


def test_no_plateau_warns():
    rng = np.random.default_rng(9)
    q, _ = np.linalg.qr(rng.standard_normal((40, 40)))
    noisy = rng.standard_normal((2000, 6)) @ q[:6] + 0.15 * rng.standard_normal((2000, 40))
    with pytest.warns(IntrinsicDimensionWarning, match="no plateau"):
        model = IntrinsicDimension(estimator="multiscale").fit(noisy)
    assert any("no plateau" in w for w in model.warnings_)


def test_ci_level_and_small_inputs():
    x = _cube(600, 3, 5, 7)
    widths = [np.ptp(IntrinsicDimension(ci=c).fit(x).interval_) for c in (0.5, 0.9, 0.99)]
    assert widths[0] < widths[1] < widths[2]
    with pytest.warns(IntrinsicDimensionWarning, match="k lowered from the default 20 to 7"):
        model = IntrinsicDimension(estimator="mle").fit(x[:8])
    assert model.estimate_.k == 7
    with pytest.raises(InputError, match="ci"):
        IntrinsicDimension(ci=1.0).fit(x)
    with pytest.raises(InputError, match="estimator"):
        IntrinsicDimension(estimator="danco").fit(x)
