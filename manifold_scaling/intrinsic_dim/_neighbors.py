"""Input checks, duplicate removal and the shared k-nearest-neighbour search (float64, exact).

Every estimator goes through :func:`nearest_neighbors`, so bad input fails the same way everywhere
and duplicates are handled once: an exact or near duplicate gives ``r1 = 0`` (TwoNN divides by it)
or ``mu = 1`` (TwoNN inflates; scikit-dimension's Levina--Bickel returns 0).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import InputError, check_choice, check_float, check_int

DUPLICATE_POLICIES = ("drop", "error")
_CHUNK_ROWS = 2048


@dataclass(frozen=True)
class Neighbors:
    """Sorted exact float64 distances ``(n, k)`` to each point's ``k`` nearest other points."""

    distances: np.ndarray
    indices: np.ndarray
    points: np.ndarray
    n_input: int
    dropped_reasons: dict = field(default_factory=dict)

    @property
    def n_dropped(self) -> int:
        return int(sum(self.dropped_reasons.values()))


def as_points(points) -> np.ndarray:
    """Validate ``points`` as a finite, non-constant ``(n_points, n_features)`` float64 array."""
    try:
        x = np.asarray(points, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise InputError(
            "points", f"must be a numeric array of shape (n_points, n_features) ({err})"
        ) from None
    if x.ndim != 2:
        raise InputError(
            "points",
            f"must be a 2-D array of shape (n_points, n_features) (got shape {x.shape}); "
            "reshape a 1-D series with points[:, None]",
        )
    if x.shape[0] < 3 or x.shape[1] < 1:
        raise InputError("points", f"need at least 3 points and 1 feature (got shape {x.shape})")
    bad = ~np.isfinite(x).all(axis=1)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise InputError(
            "points",
            f"{int(bad.sum())} of {len(x)} rows contain NaN or inf (first: row {first}); "
            "remove or impute them first",
        )
    if np.all(x == x[0]):
        raise InputError(
            "points", "all rows are identical (constant data): no dimension to estimate"
        )
    return x


def nearest_neighbors(
    points,
    k: int,
    *,
    duplicates: str = "drop",
    duplicate_rtol: float = 1e-10,
    k_name: str = "k",
) -> Neighbors:
    """Distances to the ``k`` nearest neighbours after removing duplicate rows.

    Rows closer than ``duplicate_rtol`` times the data's RMS radius to another row count as
    duplicates. ``duplicates="drop"`` keeps one copy of each group and reports how many rows it
    dropped; ``"error"`` raises :class:`InputError`. Distances are recomputed exactly in float64
    for the neighbours found (the ``|x|^2 + |y|^2 - 2 x.y`` form loses near-duplicates).
    """
    check_choice("duplicates", duplicates, DUPLICATE_POLICIES)
    check_float("duplicate_rtol", duplicate_rtol, minimum=0.0, maximum=1e-3)
    x = as_points(points)
    n_input = len(x)
    _check_k(k_name, k, n_input)
    x, n_exact = _drop_exact_duplicates(x)
    radius = float(np.sqrt(np.mean(np.sum((x - x.mean(axis=0)) ** 2, axis=1))))
    tol = duplicate_rtol * radius
    n_near = 0
    while True:
        _check_k(k_name, k, len(x), n_input)
        dist, idx = knn(x, k)
        close = dist <= tol
        if not close.any():
            break
        keep = _one_per_group(len(x), idx, close)
        n_near += len(x) - int(keep.sum())
        x = x[keep]
    reasons = {}
    if n_exact:
        reasons["duplicate"] = n_exact
    if n_near:
        reasons["near_duplicate"] = n_near
    if reasons and duplicates == "error":
        raise InputError(
            "duplicates",
            f"{n_exact} exact and {n_near} near-duplicate rows (distance <= {tol:.3g}) found; "
            "pass duplicates='drop' to keep one copy of each",
        )
    return Neighbors(dist, idx, x, n_input, reasons)


def knn(x: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact kNN of each row among the others (self excluded), distances exact in float64."""
    from sklearn.neighbors import NearestNeighbors

    # kd-trees only pay off in low ambient dimension; brute force is BLAS-bound elsewhere.
    algorithm = "kd_tree" if x.shape[1] <= 8 else "brute"
    nn = NearestNeighbors(n_neighbors=k, algorithm=algorithm).fit(x)
    _, idx = nn.kneighbors()
    dist = np.empty(idx.shape, dtype=np.float64)
    for s in range(0, len(x), _CHUNK_ROWS):
        diff = x[idx[s : s + _CHUNK_ROWS]] - x[s : s + _CHUNK_ROWS, None, :]
        dist[s : s + _CHUNK_ROWS] = np.sqrt(np.einsum("ijk,ijk->ij", diff, diff))
    order = np.argsort(dist, axis=1, kind="stable")
    return np.take_along_axis(dist, order, axis=1), np.take_along_axis(idx, order, axis=1)


def _check_k(name: str, k, n_now: int, n_input: int | None = None) -> int:
    hi = n_now - 1
    if hi < 2:
        raise InputError(
            "points", f"need at least 3 distinct points (got {n_now} after removing duplicates)"
        )
    after = f" after removing {n_input - n_now} duplicates" if n_input and n_input != n_now else ""
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or not 2 <= k <= hi:
        raise InputError(
            name, f"must be an integer in [2, {hi}] for {n_now} distinct points{after} (got {k!r})"
        )
    return check_int(name, int(k), minimum=2, maximum=hi)


def _drop_exact_duplicates(x: np.ndarray) -> tuple[np.ndarray, int]:
    rows = np.ascontiguousarray(x + 0.0)  # + 0.0 maps -0.0 to 0.0 so bytes compare like values
    view = rows.view(np.dtype((np.void, rows.dtype.itemsize * rows.shape[1]))).ravel()
    _, first = np.unique(view, return_index=True)
    if len(first) == len(x):
        return x, 0
    first.sort()
    return x[first], len(x) - len(first)


def _one_per_group(n: int, idx: np.ndarray, close: np.ndarray) -> np.ndarray:
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    rows = np.repeat(np.arange(n), idx.shape[1])[close.ravel()]
    graph = coo_matrix((np.ones(len(rows)), (rows, idx[close])), shape=(n, n))
    _, label = connected_components(graph, directed=False)
    _, first = np.unique(label, return_index=True)
    keep = np.zeros(n, dtype=bool)
    keep[first] = True
    return keep
