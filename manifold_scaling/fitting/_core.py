"""The optimiser shared by every fit, the input checks, and the bootstrap resampling.

Every model is a log-sum-exp of terms ``c - k x`` (plus ``log E``), where ``x`` is log size
centred on its mean; centring decorrelates amplitude and exponent, which keeps L-BFGS-B well
conditioned. The floor is optimised as ``E = u * min(loss)`` with the bound ``u >= 0`` rather than
as ``E = exp(e)``: when the data have no floor, the gradient in ``e`` vanishes as ``E -> 0`` and
L-BFGS-B crept for >10^4 iterations without converging, whereas the bound ``u = 0`` is reached in
a few steps (the active set of L-BFGS-B). The loss is the *summed* Huber loss of log residuals
(Hoffmann et al. 2022, approach 3; Besiroglu et al. 2024), minimised from a grid of starts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import minimize
from threadpoolctl import threadpool_limits

from ..errors import InputError, check_float
from ..io import _size_key

# Tight stopping rules: the summed Huber objective with delta = 1e-3 is O(1e-3), far below the
# scale at which scipy's default tolerances stop (the failure Besiroglu et al. 2024 found).
# ``ftol`` is per problem; a stacked batch of B problems stops at B times that total decrease.
_FTOL = 1e-15
_OPTIONS = {"maxiter": 20000, "maxfun": 50000, "gtol": 1e-10}
_MAX_EXPONENT = 20.0


# --------------------------------------------------------------------------------------------
# Objective: summed Huber loss of a log-sum-exp model in log space
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Design:
    """Log-space model ``log L = logsumexp([log E], c_1 - k_1 x_1, ...)``; theta = [u], c_1, k_1, ...

    Each ``x`` is centred log size, shape ``(n,)`` or ``(batch, n)`` (pairs bootstrap).
    """

    xs: tuple[np.ndarray, ...]
    centres: tuple[float, ...]  # the means removed from log sizes (to recover amplitudes)
    has_floor: bool
    floor_scale: float = 1.0  # E = theta[0] * floor_scale (the smallest loss)
    bounds: tuple = field(default=())  # per-parameter (lo, hi) for one problem

    @property
    def n_params(self) -> int:
        return self.has_floor + 2 * len(self.xs)


def _power_terms(theta: np.ndarray, design: _Design) -> list[np.ndarray]:
    """``c_i - k_i x_i`` for each power term, each ``(batch, n)`` for ``theta`` ``(batch, p)``."""
    j = int(design.has_floor)
    return [
        theta[:, j + 2 * i, None] - theta[:, j + 2 * i + 1, None] * x
        for i, x in enumerate(design.xs)
    ]


def _log_model(theta: np.ndarray, design: _Design):
    """``log(E + sum_i exp(t_i))``, the weights ``exp(t_i) / pred`` and ``1 / pred``.

    A log-sum-exp shifted by each problem's largest term (one exp and one log per point, half the
    cost of ``np.logaddexp``); ``E = 0`` needs no special case.
    """
    terms = _power_terms(theta, design)
    if not design.has_floor and len(terms) == 1:
        return terms[0], [None], None
    shift = np.max([t.max(axis=1) for t in terms], axis=0)[:, None]
    if design.has_floor:
        floor = theta[:, :1] * design.floor_scale
        with np.errstate(divide="ignore"):  # log 0 = -inf is fine in a maximum
            shift = np.maximum(shift, np.log(floor))
    parts = [np.exp(t - shift) for t in terms]
    total = sum(parts)
    if design.has_floor:
        total = total + floor * np.exp(-shift)
    inv_total = 1.0 / total
    return shift + np.log(total), [q * inv_total for q in parts], inv_total * np.exp(-shift)


def _log_predict(theta: np.ndarray, design: _Design) -> np.ndarray:
    return _log_model(np.atleast_2d(theta), design)[0]


def _objective(flat, y, design: _Design, delta: float):
    """Summed (not averaged) Huber loss of log residuals, per problem of a stacked batch.

    Returns the value per problem and the gradient, shaped like ``theta``.
    """
    theta = flat.reshape(y.shape[0], design.n_params)
    log_pred, weights, inv_pred = _log_model(theta, design)
    r = log_pred - y
    psi = np.clip(r, -delta, delta)
    # Huber: r^2/2 inside [-delta, delta], delta (|r| - delta/2) outside, = psi (r - psi/2).
    value = (psi * (r - 0.5 * psi)).sum(axis=1)
    grad = np.empty_like(theta)
    j = int(design.has_floor)
    if design.has_floor:
        # d log(pred) / du = floor_scale / pred, finite at u = 0 (unlike d/d log E).
        grad[:, 0] = design.floor_scale * (psi * inv_pred).sum(axis=1)
    for i, x in enumerate(design.xs):
        pw = psi if weights[i] is None else psi * weights[i]
        grad[:, j + 2 * i] = pw.sum(axis=1)
        grad[:, j + 2 * i + 1] = -(pw * x).sum(axis=1)
    return value, grad


def _solve(y: np.ndarray, design, delta: float, starts: np.ndarray, objective=None):
    """Minimise a batch of independent problems (rows of ``y``, one start each) with L-BFGS-B.

    The problems are stacked into one separable L-BFGS-B run: one scipy call instead of hundreds
    makes 500 bootstrap fits take a fraction of a second. Returns ``(theta, objective)`` per row.
    ``objective(flat, y, design, delta)`` defaults to :func:`_objective`.
    """
    objective = objective or _objective
    y = np.atleast_2d(y)
    starts = np.asarray(starts, dtype=np.float64).reshape(y.shape[0], design.n_params)

    def fun(flat):
        value, grad = objective(flat, y, design, delta)
        return value.sum(), grad.ravel()

    # L-BFGS-B calls BLAS on tiny matrices every iteration; multithreaded OpenBLAS made each
    # iteration ~50x slower on a busy 2-core machine (7 ms instead of 0.15 ms).
    with threadpool_limits(limits=1, user_api="blas"):
        res = minimize(
            fun,
            starts.ravel(),
            jac=True,
            method="L-BFGS-B",
            bounds=list(design.bounds) * y.shape[0] if design.bounds else None,
            options={**_OPTIONS, "ftol": _FTOL * y.shape[0]},
        )
    theta = res.x.reshape(starts.shape)
    return theta, objective(res.x, y, design, delta)[0]


def _best_of(theta: np.ndarray, value: np.ndarray, n_starts: int) -> np.ndarray:
    """Per problem, the best of its ``n_starts`` consecutive rows (earliest among ties).

    Ties matter: with two replicates per size the Huber loss (~L1 at delta = 1e-3) has flat
    valleys, so the first start (least squares where available) is kept unless another is
    genuinely better.
    """
    theta = theta.reshape(-1, n_starts, theta.shape[-1])
    value = np.where(np.isfinite(value), value, np.inf).reshape(-1, n_starts)
    best = value.min(axis=1, keepdims=True)
    pick = np.argmax(value <= best + 1e-9 * np.abs(best), axis=1)
    if not np.all(np.isfinite(best)):
        raise RuntimeError("every L-BFGS-B start gave a non-finite objective")
    return theta[np.arange(theta.shape[0]), pick]


def _fit_multistart(y, design: _Design, delta: float, starts) -> np.ndarray:
    """Hoffmann et al.'s recipe: run from every start on the same data, keep the best."""
    starts = np.asarray(starts, dtype=np.float64)
    theta, value = _solve(np.tile(y, (len(starts), 1)), design, delta, starts)
    return _best_of(theta, value, len(starts))[0]


# --------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------


# ``_size_key`` (a size as a key or in a message) is defined in ``manifold_scaling.io`` and
# imported above: the table readers use it too, and ``io`` must not import this package.


def _positive_finite(name: str, values) -> np.ndarray:
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise InputError(name, f"must be numbers ({err})") from None
    if arr.ndim != 1:
        raise InputError(name, f"must be a 1-D sequence (got shape {arr.shape})")
    bad = ~np.isfinite(arr) | (arr <= 0)
    if np.any(bad):
        i = int(np.flatnonzero(bad)[0])
        raise InputError(name, f"must be positive and finite (entry {i} is {arr[i]})")
    return arr


def _check_common(sizes, losses, *, min_sizes: int, sizes_name="sizes", losses_name="losses"):
    sizes = _positive_finite(sizes_name, sizes)
    losses = _positive_finite(losses_name, losses)
    if sizes.size != losses.size:
        raise InputError(
            losses_name, f"must have one entry per size ({losses.size} losses, {sizes.size} sizes)"
        )
    n_distinct = np.unique(sizes).size
    if n_distinct < min_sizes:
        raise InputError(
            sizes_name, f"need at least {min_sizes} distinct sizes for this fit (got {n_distinct})"
        )
    return sizes, losses


def _check_groups(groups, sizes) -> np.ndarray | None:
    if groups is None:
        return None
    groups = np.asarray(groups)
    if groups.ndim != 1 or groups.size != sizes.size:
        raise InputError("groups", f"must have one entry per size (got {groups.size})")
    seen = set()
    for s, g in zip(sizes.tolist(), groups.tolist()):
        if (s, g) in seen:
            raise InputError("groups", f"size {_size_key(s)} has replicate {g!r} more than once")
        seen.add((s, g))
    return groups


def _check_ci(ci) -> float:
    ci = check_float("ci", ci)
    if not 0.0 < ci < 1.0:
        raise InputError("ci", f"must be a level in (0, 1) (got {ci})")
    return ci


# --------------------------------------------------------------------------------------------
# Bootstrap resampling (in log space)
# --------------------------------------------------------------------------------------------


def _replicate_index(sizes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct sizes, the index of each observation's size, and the count per size."""
    distinct, inverse, counts = np.unique(sizes, return_inverse=True, return_counts=True)
    return distinct, inverse, counts


def _stratified_resamples(y, inverse, counts, n_bootstrap, rng) -> np.ndarray:
    """Resample replicates within each size: ``(n_bootstrap, n)`` log losses.

    Deviations from each size's mean log loss are inflated by ``sqrt(n_s / (n_s - 1))`` before
    resampling; plain resampling of 2-3 replicates shrinks the variance of the mean by
    ``(n_s - 1) / n_s`` and would make the intervals too narrow (Davison & Hinkley 1997, ch. 3).
    """
    out = np.empty((n_bootstrap, y.size))
    for s, n_s in enumerate(counts):
        idx = np.flatnonzero(inverse == s)
        mean = y[idx].mean()
        dev = (y[idx] - mean) * math.sqrt(n_s / (n_s - 1))
        out[:, idx] = mean + dev[rng.integers(0, n_s, size=(n_bootstrap, n_s))]
    return out


def _residual_resamples(y, log_pred, n_params, n_bootstrap, rng) -> np.ndarray:
    """Residual bootstrap in log space for one observation per size (fixed design).

    Centred residuals inflated by ``sqrt(n / (n - p))`` to undo the shrinkage of fitted residuals
    (Davison & Hinkley 1997, ch. 6). Pairs resampling is avoided: with ~8 sizes it often draws
    too few distinct sizes to fit at all.
    """
    n = y.size
    r = y - log_pred
    r = (r - r.mean()) * math.sqrt(n / max(n - n_params, 1))
    return log_pred + r[rng.integers(0, n, size=(n_bootstrap, n))]


def _percentile(samples: np.ndarray, ci: float) -> tuple[float, float]:
    lo, hi = np.quantile(samples, [(1 - ci) / 2, (1 + ci) / 2])
    return float(lo), float(hi)
