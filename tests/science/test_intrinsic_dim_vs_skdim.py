"""Our estimators against scikit-dimension's on the same samples (agreement to rounding)."""

from __future__ import annotations

import numpy as np
import pytest

from manifold_scaling.intrinsic_dim import IntrinsicDimension, estimate_id, mle_levina_bickel, twonn

# Tolerance of the comparisons with scikit-dimension: both compute the same formulas on the same
# neighbour sets in float64 (they form distances through Gram matrices, we through centred ones
# or exactly), so they agree to rounding: rel 1e-9 (observed <= 2e-13).
SKDIM_RTOL = 1e-9


def _rotated_cube(n, d, ambient, seed):
    """A uniform d-cube rotated into ``ambient`` dimensions (the points drawn before the rotation)."""
    rng = np.random.default_rng(seed)
    z = rng.random((n, d))
    q, _ = np.linalg.qr(rng.standard_normal((ambient, ambient)))
    return z @ q[:d]


def _cube(n, d, ambient, seed):
    """A uniform d-cube rotated into ``ambient`` dimensions (the rotation drawn first)."""
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.standard_normal((ambient, ambient)))
    return rng.random((n, d)) @ q[:d]


def test_agrees_with_scikit_dimension():
    skdim = pytest.importorskip("skdim")
    x = _rotated_cube(1500, 4, 7, 11)  # <= 25 ambient dims: skdim searches neighbours, no full sort
    ours = twonn(x, method="linear", discard_fraction=0.1).dimension
    assert ours == pytest.approx(skdim.id.TwoNN().fit(x).dimension_, rel=1e-6)
    ours = twonn(x, discard_fraction=0.1).dimension
    theirs = skdim.id.TwoNN(method="mle", discard_fraction=0.1).fit(x).dimension_
    assert ours == pytest.approx(theirs, rel=1e-6)
    ours = mle_levina_bickel(x, k=20).dimension
    assert ours == pytest.approx(skdim.id.MLE().fit(x).dimension_, rel=1e-6)


# skdim.TwoNN(discard_fraction=0) takes log(0) for its (unused here) linear-fit ordinates
@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")
def test_same_protocol_as_scikit_dimension():
    skdim = pytest.importorskip("skdim")
    x = _cube(400, 3, 6, 9)
    for ours, theirs in (
        (IntrinsicDimension(estimator="mle"), skdim.id.MLE()),
        (IntrinsicDimension(estimator="twonn"), skdim.id.TwoNN(method="mle", discard_fraction=0)),
    ):
        assert ours.fit(x) is ours and theirs.fit(x) is theirs
        assert ours.transform() == pytest.approx(float(theirs.transform()), rel=SKDIM_RTOL)
        # fit_transform is fit().transform() (skdim's MLE.fit_transform is not: it averages the
        # local estimates with comb="mean", where its fit takes comb="mle")
        assert ours.fit_transform(x) == ours.fit(x).transform()
    for name in ("fit", "transform", "fit_transform", "fit_pw", "transform_pw", "fit_transform_pw"):
        assert callable(getattr(IntrinsicDimension(), name))
    import inspect

    theirs = inspect.signature(skdim.id.TwoNN.fit_pw).parameters
    ours = inspect.signature(IntrinsicDimension.fit_pw).parameters
    assert [(p.name, p.default) for p in ours.values()] == [
        (p.name, p.default) for p in theirs.values()
    ]


def test_mle_pointwise_is_scikit_dimensions():
    skdim = pytest.importorskip("skdim")
    x = _cube(500, 4, 9, 10)
    ours = IntrinsicDimension(estimator="mle", k=12).fit(x).dimension_pw_
    theirs = skdim.id.MLE().fit(x, n_neighbors=12).dimension_pw_  # skdim's local MLE
    np.testing.assert_allclose(ours, theirs, rtol=SKDIM_RTOL)
    # fit_pw: the global MLE (k = 20) on each point's 60 nearest neighbours
    model = IntrinsicDimension(estimator="mle").fit_pw(x, n_neighbors=60)
    theirs = skdim.asPointwise(x, skdim.id.MLE(), n_neighbors=60)
    np.testing.assert_allclose(model.dimension_pw_, theirs, rtol=SKDIM_RTOL)
    assert model.transform_pw() is model.dimension_pw_ and model.n_neighbors_ == 60
    assert model.dimension_ == estimate_id(x, estimator="mle").dimension  # the global fit too


# skdim.TwoNN(discard_fraction=0) takes log(0) for its (unused here) linear-fit ordinates
@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")
def test_twonn_fit_pw_is_scikit_dimensions():
    skdim = pytest.importorskip("skdim")
    x = _cube(500, 4, 30, 11)  # > 25 ambient dims: skdim sorts full distance rows
    theirs = skdim.id.TwoNN(method="mle", discard_fraction=0.0)
    theirs.fit_pw(x, smooth=True, n_neighbors=50)
    ours = IntrinsicDimension(estimator="twonn")
    pw, smooth = ours.fit_transform_pw(x, smooth=True, n_neighbors=50)
    np.testing.assert_allclose(pw, theirs.dimension_pw_, rtol=SKDIM_RTOL)
    np.testing.assert_allclose(smooth, theirs.dimension_pw_smooth_, rtol=SKDIM_RTOL)
    knn = skdim._commonfuncs.get_nn(x, k=50)[1]
    again = IntrinsicDimension(estimator="twonn").fit_pw(x, precomputed_knn=knn)
    np.testing.assert_allclose(again.dimension_pw_, theirs.dimension_pw_, rtol=SKDIM_RTOL)
    ours.fit(x)  # a plain fit forgets the smoothed values
    assert not hasattr(ours, "dimension_pw_smooth_") and not hasattr(ours, "n_neighbors_")
