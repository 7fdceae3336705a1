"""A scikit-learn estimator over the intrinsic-dimension estimators (``fit(X)`` -> ``dimension_``).

A thin layer: ``fit`` validates X the scikit-learn way and runs :func:`estimate_id`'s code, so
``dimension_`` is exactly ``estimate_id(X, ...).dimension``; what it adds are the per-point
estimates aligned with X's rows and warnings raised through :mod:`warnings`.

It follows scikit-dimension's estimator protocol (``skdim._commonfuncs.GlobalEstimator``):
``fit(X)`` returns self, ``transform()`` the fitted dimension (a float), ``fit_transform(X)`` both
at once; ``fit_pw(X, precomputed_knn=None, smooth=False, n_neighbors=100, n_jobs=1)`` sets
``dimension_pw_`` to the estimator fitted on each point's ``n_neighbors`` nearest neighbours,
``transform_pw()`` returns it (with ``dimension_pw_smooth_`` when ``smooth``) and
``fit_transform_pw`` does both.
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from ..errors import InputError, check_int
from ._estimate import DEFAULT_ESTIMATOR, fit_estimate
from ._neighbors import _drop_exact_duplicates, nearest_neighbors
from ._result import IntrinsicDimensionWarning, small_sample_warning

# the estimators' own default neighbour ranks (their function signatures), and the smallest k each
# accepts: a k=None fit on a tiny X lowers the default to what X allows instead of failing
_DEFAULT_K = {"calibrated": 10, "mle": 20, "multiscale": 64}
_MIN_K = {"calibrated": 5, "mle": 2, "multiscale": 4}
_CALIBRATED_BLOCK = 5000  # calibrated_id's default block_size: k must stay below a block
_SCALAR = "transform returns the fitted dimension (a float), not a transformed X (scikit-dimension)"
# scikit-learn's checks that do not apply, with the reason (scikit-dimension skips the same ones)
EXPECTED_FAILED_CHECKS = {
    "check_methods_subset_invariance": "an intrinsic dimension is not subset invariant",
    "check_methods_sample_order_invariance": _SCALAR,
    "check_transformer_general": _SCALAR,
    "check_transformer_data_not_an_array": _SCALAR,
    "check_transformer_preserve_dtypes": _SCALAR,
}


class IntrinsicDimension(BaseEstimator):
    """Intrinsic dimension of the rows of X, scikit-learn style.

    Parameters
    ----------
    estimator : {"calibrated", "twonn", "mle", "multiscale"}, default "calibrated"
        ``calibrated``: Levina & Bickel (2005) / MacKay & Ghahramani (2005) MLE at k = 5 corrected
        on reference samples of the same size; ``twonn``: Facco et al. (2017) with the
        maximum-likelihood form of Denti et al. (2022); ``mle``: Levina--Bickel at ``k``;
        ``multiscale``: GRIDE (Denti et al. 2022) at doubling neighbour ranks.
    k : int or None, default None
        Neighbour rank; None takes the estimator's default (calibrated 10, mle 20, multiscale 64;
        twonn always 2), lowered -- with a warning -- when X has too few distinct rows for it.
    ci : float, default 0.9
        Level of the two-sided interval ``interval_``.
    duplicates : {"drop", "error"}, default "drop"
        Repeated rows are dropped (one copy kept, counted in ``n_dropped_``) or refused.
    random_state : None, int or JAX key, default None
        Key of the random block split (``calibrated`` above 5000 points): a JAX PRNG key, or a
        seed in [0, 2**31) standing for ``jax.random.key(seed)``. None means seed 0, so that
        repeated fits agree (unlike scikit-learn's None, which draws fresh randomness).

    Attributes
    ----------
    dimension_ : float
        The estimate (``estimate_id(X, ...).dimension``).
    interval_ : tuple of float
        ``ci`` interval of the dimension.
    dimension_pw_ : ndarray of shape (n_samples,)
        Per-point (local) estimates aligned with X's rows, NaN for dropped (duplicate) rows.
        After ``fit``: the Levina--Bickel estimate 1 / m_k(x) at the estimator's neighbour rank
        (k for ``mle``, 5 for ``calibrated``, 2 for ``twonn``, the chosen scale's upper rank for
        ``multiscale``), multiplied by one common factor so that their harmonic mean is
        ``dimension_`` (factor 1 for ``mle``: then exactly scikit-dimension's
        ``MLE().fit(X, n_neighbors=k).dimension_pw_``). Local estimates are noisy (relative
        spread ~ 1 / sqrt(k - 1)); average them over regions. After ``fit_pw``: the estimator
        fitted on each point's ``n_neighbors`` nearest neighbours (see :meth:`fit_pw`).
    dimension_pw_smooth_ : ndarray of shape (n_samples,)
        Only after ``fit_pw(smooth=True)``: the mean of each point's ``dimension_pw_`` and its
        neighbours'.
    n_neighbors_ : int
        Only after ``fit_pw``: the neighbourhood size used.
    n_dropped_ : int
        Rows dropped as exact or near duplicates.
    estimate_ : IDEstimate
        The full result (diagnostics, dropped rows by reason, neighbourhood scale).
    warnings_ : list of str
        Messages also raised as :class:`IntrinsicDimensionWarning` by ``fit``.
    n_features_in_ : int
        Number of features of X.

    The result type :class:`IDEstimate` (``estimate_``) answers to the same names:
    ``estimate_.dimension_`` and ``estimate_.interval_`` are aliases of its fields ``dimension``
    and ``ci``.
    """

    def __init__(
        self,
        estimator: str = DEFAULT_ESTIMATOR,
        k: int | None = None,
        ci: float = 0.9,
        duplicates: str = "drop",
        random_state=None,
    ):
        self.estimator = estimator
        self.k = k
        self.ci = ci
        self.duplicates = duplicates
        self.random_state = random_state

    def _more_tags(self):  # scikit-learn < 1.6
        # before 1.6, check_fit_idempotent also reads transform's result as an array
        return {"_xfail_checks": {**EXPECTED_FAILED_CHECKS, "check_fit_idempotent": _SCALAR}}

    def __sklearn_tags__(self):
        # scikit-learn >= 1.6 reads this: transform is defined, so declare a transformer (whose
        # transform returns the scalar dimension, as scikit-dimension's estimators do)
        from sklearn.utils import TransformerTags

        tags = super().__sklearn_tags__()
        tags.transformer_tags = TransformerTags()
        return tags

    def fit(self, X, y=None):
        """Estimate the intrinsic dimension of the rows of ``X`` (``y`` is ignored); returns self."""
        X = _validate(self, X)
        self._fit(X)
        for message in self.warnings_:
            warnings.warn(message, IntrinsicDimensionWarning, stacklevel=2)
        return self

    def transform(self, X=None):
        """The fitted dimension ``dimension_`` (a float), as scikit-dimension's ``transform``.

        ``X`` is not used; when given it is only checked to have the fitted number of features.
        """
        check_is_fitted(self, "dimension_")
        if X is not None:
            _validate(self, X, reset=False)
        return self.dimension_

    def fit_transform(self, X, y=None):
        """``fit(X).transform()``: the intrinsic dimension of the rows of ``X`` (a float)."""
        return self.fit(X, y).dimension_

    def fit_pw(self, X, precomputed_knn=None, smooth=False, n_neighbors=100, n_jobs=1):
        """``fit(X)``, then pointwise estimates as scikit-dimension's ``fit_pw``; returns self.

        ``dimension_pw_[i]`` becomes the estimator fitted on the ``n_neighbors`` nearest
        neighbours of row i (the row itself excluded; scikit-dimension's
        ``GlobalEstimator.fit_pw``), with ``k`` capped at ``n_neighbors - 1`` when left to its
        default. Duplicate rows are dropped first (NaN there), as in ``fit``.
        ``precomputed_knn`` (``(n_samples, m)`` row indices) gives the neighbourhoods instead,
        used as they are. ``smooth`` adds ``dimension_pw_smooth_``, the mean of each row's value
        and its neighbours'. ``n_jobs`` is accepted for compatibility and not used (the ``twonn``
        and ``mle`` neighbourhoods are computed in batches; ``calibrated`` and ``multiscale``
        fit each neighbourhood in turn, a few milliseconds per row).

        A warning is raised when the neighbourhoods are too small for the median pointwise
        estimate by the small-sample rule of the global estimate.
        """
        from ._pointwise import neighbourhood_estimates

        X = _validate(self, X)
        self._fit(X)
        notes = []
        if precomputed_knn is not None:
            points, rows, hoods = X, np.arange(len(X)), _check_knn(precomputed_knn, len(X))
        else:
            n_neighbors = check_int("n_neighbors", n_neighbors, minimum=2)
            nb = nearest_neighbors(X, n_neighbors, duplicates=self.duplicates, k_name="n_neighbors")
            points, rows, hoods = nb.points, nb.rows, nb.indices
        m = hoods.shape[1]
        k = self.k
        if self.estimator != "twonn":
            if k is None:
                k = min(_DEFAULT_K[self.estimator], max(m - 1, _MIN_K[self.estimator]))
                if k < _DEFAULT_K[self.estimator]:
                    notes.append(
                        f"k lowered from the default {_DEFAULT_K[self.estimator]} to {k} in "
                        f"neighbourhoods of {m} points"
                    )
            if m - 1 < k:
                raise InputError(
                    "n_neighbors",
                    f"must exceed k = {k} for the {self.estimator} estimator (got {m})",
                )
        options = {"ci": self.ci, "duplicates": self.duplicates}
        if self.estimator == "calibrated":
            options["key"] = self.random_state
        values = neighbourhood_estimates(points, hoods, self.estimator, k, **options)
        pw = np.full(len(X), np.nan)
        pw[rows] = values
        self.dimension_pw_ = pw
        self.n_neighbors_ = int(m)
        if smooth:
            stacked = np.concatenate([values[:, None], values[hoods]], axis=1)
            smoothed = np.full(len(X), np.nan)
            smoothed[rows] = stacked.mean(axis=1)
            self.dimension_pw_smooth_ = smoothed
        small = small_sample_warning(m, float(np.median(values)), "points per neighbourhood")
        notes += [small] if small else []
        self.warnings_ = [*self.warnings_, *notes]
        for message in self.warnings_:
            warnings.warn(message, IntrinsicDimensionWarning, stacklevel=2)
        return self

    def transform_pw(self, X=None):
        """``dimension_pw_``, or ``(dimension_pw_, dimension_pw_smooth_)`` after
        ``fit_pw(smooth=True)``, as scikit-dimension's ``transform_pw`` (``X`` is not used)."""
        check_is_fitted(self, "dimension_pw_")
        if hasattr(self, "dimension_pw_smooth_"):
            return self.dimension_pw_, self.dimension_pw_smooth_
        return self.dimension_pw_

    def fit_transform_pw(self, X, precomputed_knn=None, smooth=False, n_neighbors=100, n_jobs=1):
        """``fit_pw(X, ...).transform_pw()``."""
        return self.fit_pw(X, precomputed_knn, smooth, n_neighbors, n_jobs).transform_pw()

    def _fit(self, X: np.ndarray) -> None:
        """The global fit of validated ``X``: sets every fitted attribute, warns nothing."""
        for stale in ("dimension_pw_smooth_", "n_neighbors_"):
            self.__dict__.pop(stale, None)
        notes = []
        k = self.k
        if k is None and self.estimator in _DEFAULT_K:
            k = _DEFAULT_K[self.estimator]
            allowed = _largest_k(self.estimator, X)
            if _MIN_K[self.estimator] <= allowed < k:
                notes.append(
                    f"k lowered from the default {k} to {allowed}: X has too few distinct rows"
                )
                k = allowed
        fit = fit_estimate(
            X,
            estimator=self.estimator,
            k=k,
            key=self.random_state,
            duplicates=self.duplicates,
            ci=self.ci,
        )
        est = fit.estimate
        pw = np.full(len(X), np.nan)
        pw[fit.rows] = fit.local
        self.estimate_ = est
        self.dimension_ = float(est.dimension)
        self.interval_ = (float(est.ci[0]), float(est.ci[1]))
        self.dimension_pw_ = pw
        self.n_dropped_ = int(est.n_dropped)
        self.warnings_ = [*notes, *est.warnings]


def _validate(estimator, X, reset: bool = True) -> np.ndarray:
    """scikit-learn's input checks (sparse, NaN, 1-D, too few rows) and ``n_features_in_``."""
    try:
        from sklearn.utils.validation import validate_data
    except ImportError:  # scikit-learn < 1.6
        return estimator._validate_data(X, dtype=np.float64, ensure_min_samples=3, reset=reset)
    return validate_data(estimator, X, dtype=np.float64, ensure_min_samples=3, reset=reset)


def _check_knn(knn, n: int) -> np.ndarray:
    """``precomputed_knn`` as an ``(n, m)`` integer array of row indices, m >= 2."""
    idx = np.asarray(knn)
    if idx.ndim != 2 or len(idx) != n or idx.shape[1] < 2 or idx.dtype.kind not in "iu":
        raise InputError(
            "precomputed_knn",
            f"must be an integer array of shape ({n}, n_neighbors >= 2) (got "
            f"{idx.dtype} of shape {idx.shape})",
        )
    if idx.min() < 0 or idx.max() >= n:
        raise InputError("precomputed_knn", f"indices must lie in [0, {n - 1}]")
    return idx.astype(np.intp, copy=False)


def _largest_k(estimator: str, X: np.ndarray) -> int:
    """The largest neighbour rank X's distinct rows allow for ``estimator``."""
    n = len(_drop_exact_duplicates(X)[0])
    if estimator == "calibrated":
        n //= max(1, -(-n // _CALIBRATED_BLOCK))  # points per block
    return n - 1
