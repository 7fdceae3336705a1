"""Input checks, duplicate removal and the shared k-nearest-neighbour search (float64, exact).

Every estimator goes through :func:`nearest_neighbors`, so bad input fails the same way everywhere
and duplicates are handled once: an exact or near duplicate gives ``r1 = 0`` (TwoNN divides by it)
or ``mu = 1`` (TwoNN inflates; scikit-dimension's Levina--Bickel returns 0).

The search is exact and picks its engine by shape, for speed only (the neighbour distances are
recomputed in float64 afterwards, so the engines agree to rounding): a k-d tree (SciPy) in at most
8 ambient dimensions, else NumPy brute force (BLAS distances, ``argpartition``) -- the calibrated
estimator's blocks and reference samples, and large inputs -- without scikit-learn's ~1 s import.
From 2048 points the brute force runs row blocks on every core, each with a one-thread BLAS:
threads that each own a core beat OpenBLAS's own threads, which spin and stall when the machine is
shared (2.3x on a loaded 2-core machine), and ``argpartition`` gets parallel too.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field

import numpy as np

from ..errors import InputError, check_choice, check_float, check_int

DUPLICATE_POLICIES = ("drop", "error")
_CHUNK_ROWS = 2048
_KD_TREE_MAX_DIM = 8  # k-d trees only pay off in low ambient dimension
_THREADED_MIN_POINTS = 2048  # from here the brute force runs on every core
_NUMPY_MAX_POINTS = 8192  # above: scikit-learn's brute force (its heap selection wins there)
_SELECT_MIN_POINTS = 1024  # from here: sampled threshold instead of a full argpartition
_CHUNK_BYTES = 2**25  # one block of squared distances, float64 (single-threaded search)
_THREAD_CHUNK_BYTES = 2**23  # per thread: a block that stays in cache longer


@dataclass(frozen=True)
class Neighbors:
    """Sorted exact float64 distances ``(n, k)`` to each point's ``k`` nearest other points."""

    distances: np.ndarray
    indices: np.ndarray
    points: np.ndarray
    n_input: int
    dropped_reasons: dict = field(default_factory=dict)
    rows: np.ndarray | None = None  # input row of each point kept (aligned with ``points``)

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
    x, n_exact, rows = _drop_exact_duplicates(x, return_rows=True)
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
        x, rows = x[keep], rows[keep]
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
    return Neighbors(dist, idx, x, n_input, reasons, rows)


def knn(x: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact kNN of each row among the others (self excluded), distances exact in float64.

    Rows are sorted by distance, ties by index, whichever engine found them.
    """
    n, dim = x.shape
    if dim <= _KD_TREE_MAX_DIM:
        idx = _kd_tree_neighbors(x, k)
    elif n > _NUMPY_MAX_POINTS:
        idx = _sklearn_neighbors(x, k)
    elif n >= _THREADED_MIN_POINTS:
        idx = _threaded_brute_neighbors(x, k)
    else:
        idx = _brute_neighbors(x, k)
    dist = np.empty(idx.shape, dtype=np.float64)
    for s in range(0, len(x), _CHUNK_ROWS):
        diff = x[idx[s : s + _CHUNK_ROWS]] - x[s : s + _CHUNK_ROWS, None, :]
        dist[s : s + _CHUNK_ROWS] = np.sqrt(np.einsum("ijk,ijk->ij", diff, diff))
    order = np.lexsort((idx, dist), axis=-1)
    return np.take_along_axis(dist, order, axis=1), np.take_along_axis(idx, order, axis=1)


def _brute_neighbors(x: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k nearest other rows (unordered), from |x|^2 + |y|^2 - 2 x.y in blocks."""
    n = len(x)
    sq = np.einsum("ij,ij->i", x, x)
    rows = max(1, min(n, _CHUNK_BYTES // (8 * n)))
    idx = np.empty((n, k), dtype=np.intp)
    for s in range(0, n, rows):
        _brute_rows(x, sq, s, min(n, s + rows), k, idx)
    return idx


def _brute_rows(x, sq, s: int, e: int, k: int, out: np.ndarray) -> None:
    """``out[s:e]``: the k nearest other rows of rows s..e-1 (unordered)."""
    d2 = x[s:e] @ x.T
    d2 *= -2.0
    d2 += sq[None, :]  # + |x_i|^2 is the same along a row: it does not change the order
    d2[np.arange(e - s), np.arange(s, e)] = np.inf  # a point is not its own neighbour
    if x.shape[0] >= _SELECT_MIN_POINTS:
        out[s:e] = _smallest(d2, k)
    else:
        out[s:e] = np.argpartition(d2, k - 1, axis=1)[:, :k]


def _smallest(d2: np.ndarray, k: int) -> np.ndarray:
    """Column indices of the k smallest entries of each row (unordered), as ``argpartition``.

    Twice as fast: the k-th smallest of an evenly spaced sample of columns bounds each row's k-th
    smallest from above, one comparison keeps the few entries below it (about k * n / sample
    per row; every entry that can be among the k smallest), and only those are partitioned.
    """
    r, n = d2.shape
    step = max(1, n // max(k + 1, 4 * math.isqrt(k * n)))  # the sample holds > k columns
    bound = np.partition(d2[:, ::step], k - 1, axis=1)[:, k - 1]  # the diagonal's inf: not < k
    flat = np.flatnonzero(d2 <= bound[:, None])  # row-major: each row's entries together
    rows = flat // n
    counts = np.bincount(rows, minlength=r)
    starts = np.cumsum(counts) - counts
    kept = np.full((r, int(counts.max())), np.inf)
    kept[rows, np.arange(len(flat)) - starts[rows]] = d2.ravel()[flat]
    pick = np.argpartition(kept, k - 1, axis=1)[:, :k]
    return flat[starts[:, None] + pick] % n


def _threaded_brute_neighbors(x: np.ndarray, k: int) -> np.ndarray:
    """:func:`_brute_neighbors` with row blocks spread over the cores, one BLAS thread each."""
    from concurrent.futures import ThreadPoolExecutor

    n = len(x)
    sq = np.einsum("ij,ij->i", x, x)
    rows = max(1, min(n, _THREAD_CHUNK_BYTES // (8 * n)))
    starts = range(0, n, rows)
    idx = np.empty((n, k), dtype=np.intp)
    workers = min(_cores(), len(starts))
    with _one_blas_thread():
        with ThreadPoolExecutor(workers) as pool:
            # list(): re-raise the first error of a block
            list(pool.map(lambda s: _brute_rows(x, sq, s, min(n, s + rows), k, idx), starts))
    return idx


def _cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def _one_blas_thread():
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="blas")


def _kd_tree_neighbors(x: np.ndarray, k: int) -> np.ndarray:
    from scipy.spatial import cKDTree

    _, idx = cKDTree(x).query(x, k + 1)
    return _without_self(idx)


def _sklearn_neighbors(x: np.ndarray, k: int) -> np.ndarray:
    from sklearn.neighbors import NearestNeighbors

    nn = NearestNeighbors(n_neighbors=k, algorithm="brute").fit(x)
    return nn.kneighbors(return_distance=False)


def _without_self(idx: np.ndarray) -> np.ndarray:
    """Drop each row's own index from ``k + 1`` neighbours (the last one if more than k
    duplicates hide it), as scikit-learn's ``kneighbors()`` does."""
    n, k1 = idx.shape
    mask = idx != np.arange(n)[:, None]
    mask[mask.all(axis=1), -1] = False
    return idx[mask].reshape(n, k1 - 1)


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


def _drop_exact_duplicates(x: np.ndarray, *, return_rows: bool = False):
    """``(x without repeated rows, number dropped[, kept row indices])``; first copies kept."""
    rows = np.ascontiguousarray(x + 0.0)  # + 0.0 maps -0.0 to 0.0 so bytes compare like values
    view = rows.view(np.dtype((np.void, rows.dtype.itemsize * rows.shape[1]))).ravel()
    _, first = np.unique(view, return_index=True)
    if len(first) == len(x):
        first = np.arange(len(x))
        out = (x, 0)
    else:
        first.sort()
        out = (x[first], len(x) - len(first))
    return (*out, first) if return_rows else out


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
