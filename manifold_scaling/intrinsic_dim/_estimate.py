"""One entry point over all estimators: ``estimate_id(points, estimator=...)``."""

from __future__ import annotations

from ..errors import InputError, check_choice
from ._calibrated import fit_calibrated
from ._mle import fit_mle
from ._multiscale import fit_multiscale
from ._result import Fit, IDEstimate, warned
from ._twonn import fit_twonn

ESTIMATORS = ("calibrated", "twonn", "mle", "multiscale")
# Most accurate on the benchmark (benchmarks/intrinsic_dim_accuracy.py): mean |relative error|
# <= 5 % for d = 2..16 at n = 5000 on cubes, spheres and network-embedded cubes.
DEFAULT_ESTIMATOR = "calibrated"

_FITS = {
    "calibrated": fit_calibrated,
    "twonn": fit_twonn,
    "mle": fit_mle,
    "multiscale": fit_multiscale,
}


def estimate_id(
    points, *, estimator: str = DEFAULT_ESTIMATOR, k: int | None = None, key=None, **options
) -> IDEstimate:
    """Intrinsic dimension of ``points`` (n_points, n_features) with the named estimator.

    ``k`` is the neighbour rank the estimator uses (its default when ``None``; TwoNN always uses
    2); ``key`` is the JAX key or integer seed of estimators that draw random numbers
    (``calibrated``); ``options`` go to the estimator's function (``duplicates="drop"|"error"``,
    ``ci=0.9``, ...).

    Too few points for the estimate (fewer than max(100, 10 * 2^(d/2)), see
    :func:`~manifold_scaling.intrinsic_dim._result.needed_points`) put a ``"small sample: ..."``
    line in the result's ``warnings`` and raise it once as :class:`IntrinsicDimensionWarning`.
    """
    return warned(fit_estimate(points, estimator=estimator, k=k, key=key, **options))


def fit_estimate(points, *, estimator=DEFAULT_ESTIMATOR, k=None, key=None, **options) -> Fit:
    """:func:`estimate_id` plus the per-point estimates (input rows, local dimensions)."""
    check_choice("estimator", estimator, ESTIMATORS)
    if k is not None:
        if estimator == "twonn":
            if k != 2:
                raise InputError("k", f"twonn always uses the 2 nearest neighbours (got {k!r})")
        else:
            options["k"] = k
    if estimator == "calibrated":
        options["key"] = key
    return _FITS[estimator](points, **options)
