"""Levina & Bickel (2005, NIPS) maximum-likelihood dimension with the MacKay & Ghahramani (2005)
average of inverses.

With T_j(x) the distance from x to its j-th neighbour, the local inverse estimate is
m_k(x) = (1 / (k - 1)) sum_{j<k} log(T_k(x) / T_j(x)), and d = 1 / mean_x m_k(x). Averaging the
*inverses* (MacKay & Ghahramani's note) instead of the local d's removes the upward bias of
1 / mean. This is exactly scikit-dimension's ``MLE()`` (``comb="mle"``, k = 20).
"""

from __future__ import annotations

import numpy as np

from ._neighbors import nearest_neighbors
from ._result import (
    Fit,
    IDEstimate,
    check_ci,
    pointwise,
    warned,
    z_value,
)


def mle_levina_bickel(
    points,
    *,
    k: int = 20,
    duplicates: str = "drop",
    duplicate_rtol: float = 1e-10,
    ci: float = 0.9,
) -> IDEstimate:
    """Levina--Bickel MLE over ``k`` neighbours; ``ci`` (90 %) interval by the delta method.

    The interval treats the n local estimates as independent; neighbourhoods overlap, so it is
    somewhat too narrow.
    """
    return warned(fit_mle(points, k=k, duplicates=duplicates, duplicate_rtol=duplicate_rtol, ci=ci))


def fit_mle(points, *, k=20, duplicates="drop", duplicate_rtol=1e-10, ci=0.9) -> Fit:
    """:func:`mle_levina_bickel` plus the per-point estimates 1 / m_k(x)."""
    ci = check_ci(ci)
    z = z_value(ci)
    nb = nearest_neighbors(points, k, duplicates=duplicates, duplicate_rtol=duplicate_rtol)
    inv = local_inverse_dimensions(nb.distances, k)
    mean = float(inv.mean())
    se = float(inv.std(ddof=1) / np.sqrt(len(inv)))
    dim = 1.0 / mean
    lo = 1.0 / (mean + z * se)
    hi = 1.0 / (mean - z * se) if mean > z * se else float("inf")
    unbounded = (
        None
        if np.isfinite(hi)
        else (f"the interval is unbounded above: {len(inv)} points are too few for k = {k}")
    )
    est = IDEstimate.from_neighbours(
        "mle",
        nb,
        dim,
        (lo, hi),
        k=k,
        scale=float(np.median(nb.distances[:, k - 1])),
        diagnostics={
            "ci_method": "delta method, local estimates treated as independent",
            "local_dimension_median": float(np.median(1.0 / inv)),
        },
        extra=(unbounded,),
        ci_level=ci,
    )
    return Fit(est, nb.rows, pointwise(None, inv))  # the Levina--Bickel 1 / m_k(x)


def local_inverse_dimensions(distances: np.ndarray, k: int) -> np.ndarray:
    """m_k(x) for every row of sorted neighbour ``distances`` (at least ``k`` columns)."""
    logs = np.log(distances[:, k - 1 : k] / distances[:, : k - 1])
    return logs.sum(axis=1) / (k - 1)
