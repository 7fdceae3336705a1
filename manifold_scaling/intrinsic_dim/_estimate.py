"""One entry point over all estimators: ``estimate_id(points, estimator=...)``."""

from __future__ import annotations

from ..errors import InputError, check_choice
from ._calibrated import calibrated_id
from ._mle import mle_levina_bickel
from ._multiscale import multiscale_id
from ._result import IDEstimate
from ._twonn import twonn

ESTIMATORS = ("calibrated", "twonn", "mle", "multiscale")
# Most accurate on the benchmark (benchmarks/intrinsic_dim_accuracy.py): mean |relative error|
# <= 5 % for d = 2..16 at n = 5000 on cubes, spheres and network-embedded cubes.
DEFAULT_ESTIMATOR = "calibrated"

_FUNCTIONS = {
    "calibrated": calibrated_id,
    "twonn": twonn,
    "mle": mle_levina_bickel,
    "multiscale": multiscale_id,
}


def estimate_id(
    points, *, estimator: str = DEFAULT_ESTIMATOR, k: int | None = None, key=None, **options
) -> IDEstimate:
    """Intrinsic dimension of ``points`` (n_points, n_features) with the named estimator.

    ``k`` is the neighbour rank the estimator uses (its default when ``None``; TwoNN always uses
    2); ``key`` is the JAX key of estimators that draw random numbers (``calibrated``);
    ``options`` go to the estimator's function (``duplicates="drop"|"error"``, ...).
    """
    check_choice("estimator", estimator, ESTIMATORS)
    if k is not None:
        if estimator == "twonn":
            if k != 2:
                raise InputError("k", f"twonn always uses the 2 nearest neighbours (got {k!r})")
        else:
            options["k"] = k
    if estimator == "calibrated":
        options["key"] = key
    return _FUNCTIONS[estimator](points, **options)
