"""Piecewise-linear interpolation over a Delaunay triangulation: the learner behind the 4/d law.

Sharma & Kaplan 2020 (arXiv 2004.10802, sec. 2) and Bahri et al. 2021 (arXiv 2102.06701) derive
L ~ D^(-4/d) from this learner: D points on a d-dimensional manifold are spaced s ~ D^(-1/d), and
linear interpolation of a C^2 target over simplices of that size errs by ~ s² (curvature x s²), so
the MSE falls as s^4 = D^(-4/d). It acts on the *latent* (chart) coordinates z, of shape (n, d).

Outside the convex hull of its training points the interpolant is undefined (extrapolating from
the boundary simplices is unstable), so the learner returns NaN there. Compare learners on the test
points inside the hull of the *smallest* training set (``interior_mask``): with nested training
sets those points lie inside every larger hull too.
"""

from __future__ import annotations

import numpy as np
from scipy.interpolate import LinearNDInterpolator
from scipy.spatial import Delaunay
from threadpoolctl import threadpool_limits

from ..errors import InputError, check_float
from ._common import as_points, as_targets, same_width

__all__ = ["MAX_SIMPLEX_DIM", "interior_mask", "periodic_images", "simplex_fit_predict"]

# Qhull's Delaunay triangulation has ~n x (number of simplices per point) cells and that number
# grows fast with d (hundreds per point at d = 5); beyond d = 5 it no longer fits time or memory
# at the sizes of a data-scaling scan.
MAX_SIMPLEX_DIM = 5


def simplex_fit_predict(z_train, y_train, z_test, *, period: float | None = None) -> np.ndarray:
    """Piecewise-linear interpolant of ``(z_train, y_train)`` evaluated at ``z_test``.

    ``z_*`` are latent coordinates of shape (n, d) with 1 <= d <= 5; ``y_train`` has shape (n,) or
    (n, k) and the result has shape (m,) or (m, k), float64, NaN outside the hull of ``z_train``.
    d = 1 uses ``np.interp`` on the sorted points (Qhull needs d >= 2).

    ``period``: the coordinates are periodic with this period in every axis (the flat torus's
    angles, ``manifolds.chart``). The training set is then triangulated together with its images
    in a margin around the fundamental cell (:func:`periodic_images`), so the interpolant is the
    one of the periodic triangulation and defined at every test point.
    """
    z_train = as_points("z_train", z_train)
    z_test = as_points("z_test", z_test)
    same_width("z_test", z_train, z_test)
    _check_dim(z_train.shape[1])
    y = as_targets(y_train, z_train.shape[0])
    if period is not None:
        period = check_float("period", period, minimum=0.0, strict_min=True)
        z_test = np.mod(z_test, period)
        z_train, y = periodic_images(np.mod(z_train, period), y, period)
    if z_train.shape[1] == 1:
        return _interp_1d(z_train[:, 0], y, z_test[:, 0])
    # LinearNDInterpolator = Delaunay triangulation + barycentric weights; fill_value=NaN marks
    # the points outside the hull instead of extrapolating. One BLAS thread: the barycentric
    # transforms are one tiny LAPACK call per simplex, and OpenBLAS's thread hand-off made them
    # 20-50x slower (13 s instead of 0.6 s for 4096 points at d = 4).
    with threadpool_limits(limits=1, user_api="blas"):
        return LinearNDInterpolator(z_train, y, fill_value=np.nan)(z_test)


def periodic_images(z, y, period: float, margin: float | None = None):
    """The points ``z`` in [0, period)^d with their translates by +-period that fall within
    ``margin`` of the cell, and their targets.

    A Delaunay simplex over the cell is a simplex of the periodic triangulation when its
    circumsphere lies inside the padded region; the default margin, three mean spacings
    period * n^(-1/d) (at most half a period), is far larger than the circumradius of the
    simplices that cover the cell.
    """
    n, d = z.shape
    if margin is None:
        margin = min(0.5 * period, 3.0 * period * n ** (-1.0 / d))
    shifts = np.array(np.meshgrid(*[(-1.0, 0.0, 1.0)] * d, indexing="ij")).reshape(d, -1).T
    zs, ys = [], []
    for s in shifts:
        moved = z + s * period
        keep = np.all((moved >= -margin) & (moved < period + margin), axis=1)
        zs.append(moved[keep])
        ys.append(y[keep])
    return np.concatenate(zs), np.concatenate(ys)


def interior_mask(z_hull, z_test) -> np.ndarray:
    """Boolean mask of the rows of ``z_test`` inside the convex hull of ``z_hull`` (both (n, d)).

    Uses ``Delaunay(z_hull).find_simplex(z_test) >= 0``; points on the hull's surface count as
    inside up to Qhull's tolerance.
    """
    z_hull = as_points("z_hull", z_hull)
    z_test = as_points("z_test", z_test)
    same_width("z_test", z_hull, z_test)
    _check_dim(z_hull.shape[1])
    if z_hull.shape[1] == 1:
        return (z_test[:, 0] >= z_hull.min()) & (z_test[:, 0] <= z_hull.max())
    with threadpool_limits(limits=1, user_api="blas"):  # see simplex_fit_predict
        return Delaunay(z_hull).find_simplex(z_test) >= 0


def _check_dim(d: int) -> None:
    if d > MAX_SIMPLEX_DIM:
        raise InputError(
            "learners",
            f"simplex (Delaunay interpolation) is feasible for latent dimension d <= "
            f"{MAX_SIMPLEX_DIM} only (got d = {d}); leave it out of the learners at this d",
        )


def _interp_1d(z: np.ndarray, y: np.ndarray, z_test: np.ndarray) -> np.ndarray:
    order = np.argsort(z, kind="stable")
    z, y = z[order], y[order]
    columns = y[:, None] if y.ndim == 1 else y
    out = np.stack([np.interp(z_test, z, c, left=np.nan, right=np.nan) for c in columns.T], axis=1)
    return out[:, 0] if y.ndim == 1 else out
