"""The result type every intrinsic-dimension estimator returns, and the warning class."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..configs import result_from_dict

Z90 = 1.6448536269514722  # standard normal 95 % quantile: the two-sided 90 % interval
# The small-sample rule (``small_sample_warning``): n points support an estimate d only when
# n >= max(SMALL_N_FLOOR, SMALL_N_K * 2 ** (d / 2)).
SMALL_N_FLOOR = 100
SMALL_N_K = 10


class IntrinsicDimensionWarning(UserWarning):
    """A result to read with care: no plateau across scales, duplicate rows dropped, ..."""


@dataclass(frozen=True)
class IDEstimate:
    """An intrinsic-dimension estimate with its interval and what was dropped on the way.

    ``ci`` is the ``ci_level`` (default 90 %) interval; ``scale`` is the neighbourhood the
    estimate refers to (median distance to the ``k``-th neighbour); ``dropped_reasons`` maps a
    reason (``"duplicate"``) to a row count; ``warnings`` are one-line messages about results to
    read with care (the sklearn-style :class:`IntrinsicDimension` also raises them as
    :class:`IntrinsicDimensionWarning`); ``diagnostics`` holds estimator-specific extras
    (JSON-friendly values only).

    ``dimension_`` and ``interval_`` are read-only aliases of ``dimension`` and ``ci``: the
    spelling of :class:`IntrinsicDimension` and scikit-dimension, so that code reading either
    object can use one set of names.
    """

    estimator: str
    dimension: float
    ci: tuple[float, float]
    k: int
    scale: float
    n_points: int
    n_dropped: int = 0
    dropped_reasons: dict = field(default_factory=dict)
    diagnostics: dict = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    ci_level: float = 0.9

    @classmethod
    def from_neighbours(cls, estimator, nb, dimension, ci, *, extra=(), **fields):
        """An estimate over the neighbour table ``nb`` (``_neighbors.nearest_neighbors``): its
        points and drops counted from ``nb``, the warnings of :func:`estimate_warnings` over its
        points with the ``extra`` ones."""
        return cls(
            estimator=estimator,
            dimension=dimension,
            ci=ci,
            n_points=len(nb.points),
            n_dropped=nb.n_dropped,
            dropped_reasons=dict(nb.dropped_reasons),
            warnings=estimate_warnings(nb.dropped_reasons, len(nb.points), dimension, *extra),
            **fields,
        )

    @property
    def dimension_(self) -> float:
        """Alias of ``dimension`` (the name :class:`IntrinsicDimension` and scikit-dimension use)."""
        return self.dimension

    @property
    def interval_(self) -> tuple[float, float]:
        """Alias of ``ci`` (the interval; :class:`IntrinsicDimension` calls it ``interval_``)."""
        return self.ci

    def to_dict(self) -> dict:
        """Plain JSON-serialisable dict (non-finite floats become ``None``)."""
        return {
            "estimator": self.estimator,
            "dimension": _json_float(self.dimension),
            "ci": [_json_float(self.ci[0]), _json_float(self.ci[1])],
            "k": int(self.k),
            "scale": _json_float(self.scale),
            "n_points": int(self.n_points),
            "n_dropped": int(self.n_dropped),
            "dropped_reasons": {str(k): int(v) for k, v in self.dropped_reasons.items()},
            "diagnostics": _jsonable(self.diagnostics),
            "warnings": [str(w) for w in self.warnings],
            "ci_level": float(self.ci_level),
        }

    @classmethod
    def from_dict(cls, data: dict) -> IDEstimate:
        """Inverse of :meth:`to_dict` (``None`` back to NaN where a float was not finite)."""
        nan = lambda v: math.nan if v is None else float(v)  # noqa: E731
        return result_from_dict(cls, data, dimension=nan(data["dimension"]),
                                ci=tuple(nan(v) for v in data["ci"]), scale=nan(data["scale"]))  # fmt: skip


def _json_float(x):
    x = float(x)
    return x if math.isfinite(x) else None


def _jsonable(obj):
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, bool | str) or obj is None:
        return obj
    if isinstance(obj, int):
        return int(obj)
    if hasattr(obj, "tolist"):  # numpy scalars and arrays
        return _jsonable(obj.tolist())
    if isinstance(obj, float):
        return _json_float(obj)
    return str(obj)


def check_ci(ci) -> float:
    """Validate an interval level in (0, 1)."""
    from ..errors import check_float

    ci = check_float("ci", ci, minimum=0.0, maximum=1.0, strict_min=True)
    if ci >= 1.0:
        from ..errors import InputError

        raise InputError("ci", f"must be a level in (0, 1), e.g. 0.9 (got {ci})")
    return ci


def z_value(ci: float) -> float:
    """Two-sided standard-normal quantile of level ``ci`` (no SciPy import at the default)."""
    if ci == 0.9:
        return Z90
    from scipy.special import ndtri

    return float(ndtri(0.5 + ci / 2))


def dropped_warnings(reasons: dict) -> list[str]:
    """The warning that duplicate rows were dropped, if any were."""
    if not reasons:
        return []
    names = {"duplicate": "exact", "near_duplicate": "near"}
    parts = ", ".join(f"{n} {names.get(r, r)}" for r, n in reasons.items())
    return [
        f"dropped {sum(reasons.values())} duplicate rows ({parts}); one copy of each was kept "
        "(a repeated point has distance 0 to its copy, which breaks kNN estimators)"
    ]


def needed_points(dimension: float) -> int:
    """The smallest sample that supports an estimate ``dimension``: max(100, 10 * 2^(d / 2)).

    10 * 2^(d/2): on a d-dimensional sample of n points the 10th neighbour of a typical point
    lies at about (10 / n)^(1/d) of the data's radius, which is within 1/sqrt(2) of it only for
    n >= 10 * 2^(d/2); with fewer points the neighbourhoods span the data, and the estimate
    reflects its overall shape (raw kNN estimators undercount; the calibration extrapolates
    from its reference shapes). 100: below it the sampling error alone is >= 10 % (TwoNN's
    relative standard error is 1 / sqrt(n - 2)).
    """
    if not math.isfinite(dimension):
        return SMALL_N_FLOOR
    return max(SMALL_N_FLOOR, math.ceil(SMALL_N_K * 2.0 ** (min(dimension, 200.0) / 2)))


def small_sample_warning(n_points: int, dimension: float, what: str = "points") -> str | None:
    """The warning that ``n_points`` are too few for ``dimension`` (see :func:`needed_points`)."""
    need = needed_points(dimension)
    if n_points >= need:
        return None
    return (
        f"small sample: {n_points} {what} are fewer than the {need} an estimate of "
        f"{dimension:.2f} needs (max({SMALL_N_FLOOR}, {SMALL_N_K} * 2^(d/2))); the "
        "neighbourhoods span much of the data, so read the value with care"
    )


def estimate_warnings(reasons: dict, n_points: int, dimension: float, *extra: str | None) -> tuple:
    """Every estimator's warnings, in order: dropped duplicates, ``extra`` (those that are set),
    then the small-sample warning."""
    found = [*extra, small_sample_warning(n_points, dimension)]
    return tuple(dropped_warnings(reasons) + [w for w in found if w])


def warn_small_sample(est: IDEstimate, stacklevel: int = 3) -> None:
    """Raise the small-sample message of ``est``, if it has one, as a Python warning (once)."""
    import warnings

    for message in est.warnings:
        if message.startswith("small sample:"):
            warnings.warn(message, IntrinsicDimensionWarning, stacklevel=stacklevel)


def warned(fit: Fit) -> IDEstimate:
    """A public estimator's return: ``fit``'s estimate, its small-sample message raised as a
    warning pointing at the estimator's caller."""
    warn_small_sample(fit.estimate, stacklevel=4)
    return fit.estimate


@dataclass(frozen=True)
class Fit:
    """An estimate plus its per-point local dimensions ``local`` at input rows ``rows``."""

    estimate: IDEstimate
    rows: np.ndarray
    local: np.ndarray


def pointwise(dimension: float | None, inverse_local: np.ndarray) -> np.ndarray:
    """Per-point estimates 1 / m_i, scaled so that their harmonic mean is ``dimension`` (not
    scaled when ``dimension`` is None). m_i = 0 (tied distances) gives inf."""
    factor = 1.0 if dimension is None else dimension * float(np.mean(inverse_local))
    with np.errstate(divide="ignore"):
        return factor / inverse_local
