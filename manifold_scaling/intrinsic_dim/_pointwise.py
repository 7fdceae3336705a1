"""Pointwise estimates the scikit-dimension way: the estimator fitted on each point's neighbourhood.

scikit-dimension's ``GlobalEstimator.fit_pw(X, n_neighbors=100)`` fits the global estimator on the
``n_neighbors`` nearest neighbours of every point (the point itself excluded) and calls the
results ``dimension_pw_``. :func:`neighbourhood_estimates` computes the same numbers: for
``twonn`` and ``mle`` in batches of neighbourhoods at once (each neighbourhood's distance matrix
from its Gram matrix, centred on the query point), for ``calibrated`` and ``multiscale`` by
running the estimator on each neighbourhood in turn (slow: a few milliseconds per point). A
neighbourhood holding repeated points (possible only with ``precomputed_knn``) goes through the
estimator itself, which drops the copies.
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from ._estimate import fit_estimate

_BATCH_BYTES = 2**25  # one batch of neighbourhood distance matrices, float64
VECTORISED = ("twonn", "mle")


def neighbourhood_estimates(
    x: np.ndarray, neighbourhoods: np.ndarray, estimator: str, k: int | None, **options
) -> np.ndarray:
    """The estimate of ``estimator`` on ``x[neighbourhoods[i]]`` for every row ``i``.

    ``x`` is ``(n, n_features)``; ``neighbourhoods`` ``(n_rows, m)`` indices into ``x``; ``k`` the
    neighbour rank inside a neighbourhood (``mle``, ``calibrated``, ``multiscale``); ``options``
    go to the estimator (``ci``, ``duplicates``, ``key``).
    """
    n_rows, m = neighbourhoods.shape
    out = np.empty(n_rows)
    if estimator not in VECTORISED:
        for i in range(n_rows):
            out[i] = _one(x, neighbourhoods[i], estimator, k, options)
        return out
    kk = 2 if estimator == "twonn" else k
    batch = max(1, _BATCH_BYTES // (8 * m * m))
    for s in range(0, n_rows, batch):
        rows = neighbourhoods[s : s + batch]
        d2 = _partitioned_sq_distances(x[rows], kk)
        clean = d2[..., 0].min(axis=1) > 0  # repeated points: leave them to the estimator
        values = np.full(len(rows), np.nan)
        if clean.any():
            values[clean] = _vectorised(d2[clean], estimator, kk)
        for j in np.flatnonzero(~clean):
            values[j] = _one(x, rows[j], estimator, k, options)
        out[s : s + batch] = values
    return out


def _one(x, members, estimator, k, options) -> float:
    try:
        fit = fit_estimate(x[members], estimator=estimator, k=k, **options)
    except InputError as err:
        raise InputError("n_neighbors", f"a neighbourhood cannot be fitted: {err}") from None
    return float(fit.estimate.dimension)


def _partitioned_sq_distances(points: np.ndarray, kk: int) -> np.ndarray:
    """``(B, m, kk)``: squared distances from each member of each neighbourhood ``points[b]``
    (``(B, m, n_features)``) to its ``kk`` nearest other members, the largest in the last column
    (the others unordered)."""
    centred = points - points.mean(axis=1, keepdims=True)  # the Gram form loses less this way
    sq = np.einsum("bmd,bmd->bm", centred, centred)
    d2 = centred @ centred.transpose(0, 2, 1)
    d2 *= -2.0
    d2 += sq[:, :, None]
    d2 += sq[:, None, :]
    m = points.shape[1]
    d2[:, np.arange(m), np.arange(m)] = np.inf  # a point is not its own neighbour
    part = np.partition(d2, kk - 1, axis=-1)[..., :kk]
    return np.maximum(part, 0.0)


def _vectorised(d2: np.ndarray, estimator: str, kk: int) -> np.ndarray:
    """The estimate of every neighbourhood from its members' partitioned squared distances."""
    half_log = 0.5 * np.log(d2)  # log of the distances
    if estimator == "twonn":
        log_mu = np.sort(half_log.max(axis=-1) - half_log.min(axis=-1), axis=1)
        # fit_twonn's defaults (method "mle", no discarded fraction): (m - 1) / sum(log mu)
        return (log_mu.shape[1] - 1) / log_mu.sum(axis=1)
    # Levina--Bickel with the average of inverses: m_k = mean_j<k log(T_k / T_j), d = 1 / mean m_k
    top = half_log[..., kk - 1 : kk]
    inverse = (top - half_log[..., : kk - 1]).sum(axis=-1) / (kk - 1)
    return 1.0 / inverse.mean(axis=1)
