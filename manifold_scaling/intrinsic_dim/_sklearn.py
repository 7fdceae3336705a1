"""A scikit-learn estimator over the intrinsic-dimension estimators (``fit(X)`` -> ``dimension_``).

A thin layer: ``fit`` validates X the scikit-learn way and runs :func:`estimate_id`'s code, so
``dimension_`` is exactly ``estimate_id(X, ...).dimension``; what it adds are the per-point
estimates aligned with X's rows and warnings raised through :mod:`warnings`.
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.base import BaseEstimator

from ._estimate import DEFAULT_ESTIMATOR, fit_estimate
from ._neighbors import _drop_exact_duplicates
from ._result import IntrinsicDimensionWarning

# the estimators' own default neighbour ranks (their function signatures), and the smallest k each
# accepts: a k=None fit on a tiny X lowers the default to what X allows instead of failing
_DEFAULT_K = {"calibrated": 10, "mle": 20, "multiscale": 64}
_MIN_K = {"calibrated": 5, "mle": 2, "multiscale": 4}
_CALIBRATED_BLOCK = 5000  # calibrated_id's default block_size: k must stay below a block


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
        Per-point (local) estimates aligned with X's rows: the Levina--Bickel estimate
        1 / m_k(x) at the estimator's neighbour rank (k for ``mle``, 5 for ``calibrated``, 2 for
        ``twonn``, the chosen scale's upper rank for ``multiscale``), multiplied by one common
        factor so that their harmonic mean is ``dimension_`` (factor 1 for ``mle``). Local
        estimates are noisy (relative spread ~ 1 / sqrt(k - 1)); average them over regions.
        NaN for dropped (duplicate) rows.
    n_dropped_ : int
        Rows dropped as exact or near duplicates.
    estimate_ : IDEstimate
        The full result (diagnostics, dropped rows by reason, neighbourhood scale).
    warnings_ : list of str
        Messages also raised as :class:`IntrinsicDimensionWarning` by ``fit``.
    n_features_in_ : int
        Number of features of X.
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

    def fit(self, X, y=None):
        """Estimate the intrinsic dimension of the rows of ``X`` (``y`` is ignored)."""
        X = _validate(self, X)
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
        for message in self.warnings_:
            warnings.warn(message, IntrinsicDimensionWarning, stacklevel=2)
        return self


def _validate(estimator, X) -> np.ndarray:
    """scikit-learn's input checks (sparse, NaN, 1-D, too few rows) and ``n_features_in_``."""
    try:
        from sklearn.utils.validation import validate_data
    except ImportError:  # scikit-learn < 1.6
        return estimator._validate_data(X, dtype=np.float64, ensure_min_samples=3)
    return validate_data(estimator, X, dtype=np.float64, ensure_min_samples=3)


def _largest_k(estimator: str, X: np.ndarray) -> int:
    """The largest neighbour rank X's distinct rows allow for ``estimator``."""
    n = len(_drop_exact_duplicates(X)[0])
    if estimator == "calibrated":
        n //= max(1, -(-n // _CALIBRATED_BLOCK))  # points per block
    return n - 1
