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
from manifold_scaling.intrinsic_dim._sklearn import EXPECTED_FAILED_CHECKS


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


def _with_checks(estimators):
    try:  # scikit-learn >= 1.6; older versions read the class's _xfail_checks tag
        return parametrize_with_checks(
            estimators, expected_failed_checks=lambda _: EXPECTED_FAILED_CHECKS
        )
    except TypeError:
        return parametrize_with_checks(estimators)


@_with_checks([IntrinsicDimension(estimator=e) for e in ESTIMATORS])
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


# --- scikit-dimension's protocol -----------------------------------------------------------------


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_transform_protocol(estimator):
    x = _cube(700, 3, 6, 8)
    model = IntrinsicDimension(estimator=estimator)
    assert model.fit(x) is model
    value = model.transform()
    assert isinstance(value, float) and value == model.dimension_
    assert model.transform(x) == value  # X only checked
    with pytest.raises(ValueError, match="features"):
        model.transform(x[:, :4])
    again = IntrinsicDimension(estimator=estimator).fit_transform(x)
    assert isinstance(again, float) and again == value
    # one spelling across the estimator and its result
    assert model.estimate_.dimension_ == model.dimension_ == model.estimate_.dimension
    assert model.estimate_.interval_ == model.interval_ == model.estimate_.ci


def test_unfitted_transform_raises():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        IntrinsicDimension().transform()
    with pytest.raises(NotFittedError):
        IntrinsicDimension().transform_pw()


@pytest.mark.filterwarnings("ignore::manifold_scaling.intrinsic_dim.IntrinsicDimensionWarning")
@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_fit_pw_is_the_estimator_on_each_neighbourhood(estimator):
    x = _cube(130, 2, 5, 12)
    model = IntrinsicDimension(estimator=estimator, k=None).fit_pw(x, n_neighbors=40)
    dist, idx = knn(x, 40)
    k = {"mle": 20, "calibrated": 10, "multiscale": 39}.get(estimator)
    for i in (0, 77):
        ref = estimate_id(x[idx[i]], estimator=estimator, k=k).dimension
        assert model.dimension_pw_[i] == pytest.approx(ref, rel=1e-9)
    assert np.isfinite(model.dimension_pw_).all()


def test_fit_pw_duplicates_small_neighbourhoods_and_bad_input(with_duplicates):
    x, repeats = with_duplicates
    with pytest.warns(IntrinsicDimensionWarning, match="dropped 40 duplicate rows"):
        model = IntrinsicDimension(estimator="twonn").fit_pw(x, n_neighbors=30)
    assert set(np.flatnonzero(np.isnan(model.dimension_pw_))) == set(repeats)
    # neighbourhoods of 30 points are too few for a pointwise estimate of ~4 (rule: >= 100)
    assert any(w.startswith("small sample: 30 points per neighbourhood") for w in model.warnings_)
    with pytest.warns(IntrinsicDimensionWarning, match="k lowered from the default 20 to 9"):
        IntrinsicDimension(estimator="mle").fit_pw(x[:200], n_neighbors=10)
    with pytest.raises(InputError, match="n_neighbors"):
        IntrinsicDimension(estimator="mle", k=15).fit_pw(x[:200], n_neighbors=10)
    with pytest.raises(InputError, match="n_neighbors"):
        IntrinsicDimension(estimator="twonn").fit_pw(x[:50], n_neighbors=50)
    with pytest.raises(InputError, match="precomputed_knn"):
        IntrinsicDimension(estimator="twonn").fit_pw(x[:50], precomputed_knn=np.ones((49, 5)))


@pytest.mark.filterwarnings("ignore::manifold_scaling.intrinsic_dim.IntrinsicDimensionWarning")
def test_vectorised_neighbourhoods_equal_the_estimator_run_on_each():
    from manifold_scaling.intrinsic_dim._pointwise import neighbourhood_estimates

    x = _cube(300, 3, 7, 13)
    _, idx = knn(x, 45)
    for estimator, k in (("twonn", None), ("mle", 20), ("mle", 7)):
        fast = neighbourhood_estimates(x, idx, estimator, k)
        slow = [estimate_id(x[h], estimator=estimator, k=k).dimension for h in idx[:25]]
        np.testing.assert_allclose(fast[:25], slow, rtol=1e-10)
    # a neighbourhood holding a repeated point goes through the estimator (which drops it)
    idx[0, 1] = idx[0, 0]
    value = neighbourhood_estimates(x, idx, "twonn", None)[0]
    assert value == pytest.approx(estimate_id(x[idx[0]], estimator="twonn").dimension)


def test_small_sample_warns_once_from_fit(recwarn):
    x = _cube(15, 2, 4, 14)
    model = IntrinsicDimension(estimator="twonn").fit(x)
    small = [w for w in recwarn.list if "small sample" in str(w.message)]
    assert len(small) == 1
    assert any(w.startswith("small sample: 15 points") for w in model.warnings_)
