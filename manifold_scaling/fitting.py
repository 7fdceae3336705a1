"""Power-law fits of loss against size, their intervals, local slopes and fit windows.

The recipe is that of Hoffmann et al. 2022 (approach 3), as corrected by Besiroglu et al. 2024: fit
in log space by minimising the *summed* Huber loss (delta = 1e-3) of log(prediction) - log(loss)
from a grid of starting points with L-BFGS-B and keep the best. Averaging the Huber loss instead of
summing it made the original optimiser stop early. The exponent's interval is replicate-level when
replicates (i.i.d. teacher, data and initialisation) are labelled: a Student-t interval over their
exponents, the spread a re-run of the question shows; otherwise a bootstrap over one curve's
residuals. Every interval is symmetric about its estimate (see :func:`fit_power_law`).

Models (D = size, N = parameters):

- ``L = A D^-alpha``                       (``fit_power_law``)
- ``L = E + A D^-alpha``                   (``fit_power_law(with_floor=True)``)
- ``L = E + A N^-a + B D^-b``              (``fit_joint_scaling``; Hoffmann et al.'s parametric loss)

Every model is a log-sum-exp of terms ``c - k x`` (plus ``log E``), where ``x`` is log size
centred on its mean; centring decorrelates amplitude and exponent, which keeps L-BFGS-B well
conditioned. The floor is optimised as ``E = u * min(loss)`` with the bound ``u >= 0`` rather than
as ``E = exp(e)``: when the data have no floor, the gradient in ``e`` vanishes as ``E -> 0`` and
L-BFGS-B crept for >10^4 iterations without converging, whereas the bound ``u = 0`` is reached in
a few steps (the active set of L-BFGS-B).
"""

from __future__ import annotations

import csv
import dataclasses
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import minimize
from scipy.special import stdtrit
from threadpoolctl import threadpool_limits

from ._rng import numpy_rng
from .errors import InputError, check_float, check_int

__all__ = [
    "FitWindow",
    "JOINT_PARAMS",
    "JointFit",
    "LossTable",
    "RunsTable",
    "LocalSlopes",
    "PowerLawFit",
    "fit_joint_scaling",
    "fit_power_law",
    "local_slopes",
    "predicted_frontier_exponent",
    "read_loss_csv",
    "read_loss_table",
    "read_runs_csv",
    "select_window",
]

DEFAULT_WINDOW_RULE = (
    "window = the longest contiguous run of sizes (in increasing order) at which every diagnostic "
    "passes; ties go to the run at larger sizes; it should span at least {min_decades:g} decade(s)"
)

# Tight stopping rules: the summed Huber objective with delta = 1e-3 is O(1e-3), far below the
# scale at which scipy's default tolerances stop (the failure Besiroglu et al. 2024 found).
# ``ftol`` is per problem; a stacked batch of B problems stops at B times that total decrease.
_FTOL = 1e-15
_OPTIONS = {"maxiter": 20000, "maxfun": 50000, "gtol": 1e-10}
_MAX_EXPONENT = 20.0


# --------------------------------------------------------------------------------------------
# Result types
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PowerLawFit:
    """``L = A D^-alpha (+ E)`` fitted in log space with a summed Huber loss, and its interval.

    ``interval`` names what ``alpha_ci`` covers:

    - ``"replicate-t"`` / ``"replicate-jackknife-t"``: the variation between i.i.d. replicates
      (teacher, data and initialisation): a re-run of the question should land inside it at rate
      ``ci_level``. ``alpha`` is the mean of the per-replicate exponents ``alpha_replicates``.
    - ``"residual-bootstrap-symmetric"``: the scatter of one curve about its fit only (no groups, or
      a single replicate). It does *not* cover replicate-to-replicate variation.
    """

    alpha: float
    alpha_ci: tuple[float, float] | None
    amplitude: float  # replicate paths: geometric mean of the per-replicate amplitudes
    floor: float | None
    floor_ci: tuple[float, float] | None
    window: tuple[float, float]
    n_points: int
    n_sizes: int
    ci_level: float
    n_bootstrap: int  # bootstrap draws actually made (0 for the replicate intervals)
    bootstrap: str  # "residual" or "none" (replicate intervals need no resampling)
    huber_delta: float
    interval: str = "residual-bootstrap-symmetric"
    alpha_replicates: tuple[float, ...] | None = None  # per usable replicate, in group order
    replicate_labels: tuple | None = None  # the group label of each entry of alpha_replicates
    alpha_spread: float | None = None  # sample SD of alpha_replicates (>= 2 replicates)
    n_replicates: int | None = None  # usable replicates; None when no groups were given
    # label -> why it was left out; not hashed (a dict), so a fit stays usable as a dict key.
    replicates_dropped: dict = field(default_factory=dict, hash=False)

    def predict(self, sizes) -> np.ndarray:
        sizes = np.asarray(sizes, dtype=np.float64)
        return self.amplitude * sizes ** (-self.alpha) + (self.floor or 0.0)

    def to_dict(self) -> dict:
        def listed(v):
            return None if v is None else list(v)

        return {
            "alpha": self.alpha,
            "alpha_ci": listed(self.alpha_ci),
            "amplitude": self.amplitude,
            "floor": self.floor,
            "floor_ci": listed(self.floor_ci),
            "window": list(self.window),
            "n_points": self.n_points,
            "n_sizes": self.n_sizes,
            "ci_level": self.ci_level,
            "n_bootstrap": self.n_bootstrap,
            "bootstrap": self.bootstrap,
            "huber_delta": self.huber_delta,
            "interval": self.interval,
            "alpha_replicates": listed(self.alpha_replicates),
            "replicate_labels": listed(self.replicate_labels),
            "alpha_spread": self.alpha_spread,
            "n_replicates": self.n_replicates,
            "replicates_dropped": {str(k): v for k, v in self.replicates_dropped.items()},
        }


@dataclass(frozen=True, eq=False)
class LocalSlopes:
    """``-Δ log L / Δ log D`` between consecutive sizes, from the mean log loss at each size."""

    sizes_lo: np.ndarray
    sizes_hi: np.ndarray
    midpoints: np.ndarray  # geometric midpoints sqrt(lo * hi)
    slopes: np.ndarray
    slopes_ci: np.ndarray | None  # (n, 2) bootstrap interval over replicates, when they exist
    ci_level: float = 0.90

    def to_dict(self) -> dict:
        return {
            "sizes_lo": self.sizes_lo.tolist(),
            "sizes_hi": self.sizes_hi.tolist(),
            "midpoints": self.midpoints.tolist(),
            "slopes": self.slopes.tolist(),
            "slopes_ci": None if self.slopes_ci is None else self.slopes_ci.tolist(),
            "ci_level": self.ci_level,
        }


@dataclass(frozen=True)
class FitWindow:
    """The sizes a fit may use, chosen by a rule stated before looking at the exponent."""

    lo: float | None  # None when no size qualifies
    hi: float | None
    sizes: tuple[float, ...]
    decades: float  # log10(hi / lo); 0 for an empty or one-size window
    spans_min_decades: bool
    rule: str
    excluded: dict  # size -> why it is not in the window
    min_decades: float = 1.0

    def to_dict(self) -> dict:
        return {
            "lo": self.lo,
            "hi": self.hi,
            "sizes": list(self.sizes),
            "decades": self.decades,
            "spans_min_decades": self.spans_min_decades,
            "min_decades": self.min_decades,
            "rule": self.rule,
            "excluded": {_size_key(s): why for s, why in self.excluded.items()},
        }


# The joint fit's parameters, in the column order of ``JointFit.draws``.
JOINT_PARAMS = ("E", "A", "a", "B", "b")


@dataclass(frozen=True)
class JointFit:
    """``L(N, D) = E + A N^-a + B D^-b`` (Hoffmann et al. 2022 approach 3; Besiroglu et al. 2024).

    ``ci`` holds percentile intervals from a pairs bootstrap; ``draws`` (when kept) its replicates,
    shape ``(n_bootstrap, 5)`` in the order of :data:`JOINT_PARAMS`, from which any derived
    quantity (a prediction, the allocation exponents) gets its band.
    """

    E: float
    A: float
    a: float
    B: float
    b: float
    ci: dict[str, tuple[float, float]]  # bootstrap intervals for E, A, a, B, b
    n_points: int
    huber_delta: float
    n_bootstrap: int
    ci_level: float = 0.90
    draws: np.ndarray | None = field(default=None, compare=False, repr=False)

    @property
    def params(self) -> np.ndarray:
        """``[E, A, a, B, b]``, the point estimate in the order of :data:`JOINT_PARAMS`."""
        return np.array([self.E, self.A, self.a, self.B, self.b], dtype=np.float64)

    def predict(self, N, D) -> np.ndarray:
        N = np.asarray(N, dtype=np.float64)
        D = np.asarray(D, dtype=np.float64)
        return self.E + self.A * N ** (-self.a) + self.B * D ** (-self.b)

    def predict_band(self, N, D) -> tuple[np.ndarray, np.ndarray]:
        """Percentile band of the prediction over the bootstrap draws, at ``ci_level``.

        Each draw predicts the loss at ``(N, D)``; the band is pointwise (per ``(N, D)``).
        """
        draws = self._draws()
        N = np.asarray(N, dtype=np.float64)
        D = np.asarray(D, dtype=np.float64)
        e, amp_n, a, amp_d, b = (draws[:, i].reshape((-1,) + (1,) * np.ndim(N)) for i in range(5))
        preds = e + amp_n * N ** (-a) + amp_d * D ** (-b)
        return _band(preds, self.ci_level)

    def frontier(self, compute, *, compute_per_nd: float = 1.0) -> dict:
        """Loss-optimal ``N*, D*, L*`` at compute ``C = compute_per_nd * N * D``.

        Closed form (Hoffmann et al. 2022, approach 3): with ``X = C / compute_per_nd`` and
        ``G = (aA / (bB))^(1/(a+b))``, ``N* = G X^(b/(a+b))`` and ``D* = X / N*``.
        Returns arrays under ``compute``, ``N``, ``D`` and ``loss``; NaN when a fitted exponent
        sits at its bound 0 (the loss then ignores N or D and there is no finite optimum).
        """
        compute = np.asarray(compute, dtype=np.float64)
        if np.any(~np.isfinite(compute)) or np.any(compute <= 0):
            raise InputError("compute", "must be positive and finite")
        compute_per_nd = check_float("compute_per_nd", compute_per_nd, minimum=0, strict_min=True)
        x = (compute / compute_per_nd).reshape(-1)
        n_opt, d_opt, loss = (v.reshape(compute.shape) for v in _frontier(self.params[:, None], x))
        return {"compute": compute, "N": n_opt, "D": d_opt, "loss": loss}

    def frontier_band(self, compute, *, compute_per_nd: float = 1.0) -> tuple[np.ndarray, ...]:
        """Percentile band of the frontier loss ``L*(C)`` over the bootstrap draws.

        Each draw is evaluated at its own optimal allocation: the band is that of the best loss
        the fitted law allows at ``C``, not of the loss at the point estimate's ``N*``.
        """
        draws = self._draws()
        compute = np.asarray(compute, dtype=np.float64)
        compute_per_nd = check_float("compute_per_nd", compute_per_nd, minimum=0, strict_min=True)
        shape = compute.shape
        _, _, loss = _frontier(draws.T, compute.reshape(-1) / compute_per_nd)
        lo, hi = _band(loss, self.ci_level)
        return lo.reshape(shape), hi.reshape(shape)

    def allocation_exponents(self) -> dict:
        """``N* ∝ C^(b/(a+b))``, ``D* ∝ C^(a/(a+b))``; ``L* - E ∝ C^(-ab/(a+b))``.

        With percentile intervals over the bootstrap draws when they are kept (``*_ci``).
        """
        out = _allocation(self.params[:, None])
        out = {k: float(v[0]) for k, v in out.items()}
        if self.draws is not None and len(self.draws):
            boot = _allocation(self.draws.T)
            for k, v in boot.items():
                v = v[np.isfinite(v)]
                out[f"{k}_ci"] = _percentile(v, self.ci_level) if v.size else None
        return out

    def frontier_exponent(self) -> float:
        """``L*(C) - E ∝ C^(-ab/(a+b))`` along the compute frontier (0 if a or b is 0)."""
        s = self.a + self.b
        return self.a * self.b / s if s > 0 else 0.0

    def to_dict(self) -> dict:
        return {
            "E": self.E,
            "A": self.A,
            "a": self.a,
            "B": self.B,
            "b": self.b,
            "ci": {k: list(v) for k, v in self.ci.items()},
            "frontier_exponent": self.frontier_exponent(),
            "n_points": self.n_points,
            "huber_delta": self.huber_delta,
            "n_bootstrap": self.n_bootstrap,
            "ci_level": self.ci_level,
        }

    def _draws(self) -> np.ndarray:
        if self.draws is None or len(self.draws) == 0:
            raise InputError("draws", "this fit kept no bootstrap draws, so it has no band")
        return np.asarray(self.draws, dtype=np.float64)


def _band(samples: np.ndarray, ci: float) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise percentile band over the first axis."""
    lo, hi = np.quantile(samples, [(1 - ci) / 2, (1 + ci) / 2], axis=0)
    return lo, hi


def _frontier(params: np.ndarray, x: np.ndarray):
    """``N*, D*, L*`` at ``X = N D`` for parameter columns ``params`` (5, k) and ``x`` (..., m).

    NaN for a column with an exponent at 0 (no finite optimum).
    """
    e, amp_n, a, amp_d, b = (np.asarray(p, dtype=np.float64)[:, None] for p in params)
    s = a + b
    ok = (a > 0) & (b > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        g = (a * amp_n / (b * amp_d)) ** (1.0 / s)
        n_opt = np.where(ok, g * x ** (b / s), np.nan)
        d_opt = x / n_opt
        loss = e + amp_n * n_opt ** (-a) + amp_d * d_opt ** (-b)
    return n_opt, d_opt, loss


def _allocation(params: np.ndarray) -> dict:
    """The allocation exponents of parameter columns ``params`` (5, k); NaN where undefined."""
    a, b = np.asarray(params[2], dtype=np.float64), np.asarray(params[4], dtype=np.float64)
    s = a + b
    ok = (a > 0) & (b > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return {
            "N_opt_exponent": np.where(ok, b / s, np.nan),
            "D_opt_exponent": np.where(ok, a / s, np.nan),
            "loss_exponent": np.where(ok, a * b / s, 0.0),
        }


def predicted_frontier_exponent(a: float, b: float) -> float:
    """Exponent ``ab/(a+b)`` of ``L*(C) - E``; with ``a = b = 4/d`` it is ``2/d``."""
    a = check_float("a", a, minimum=0, strict_min=True)
    b = check_float("b", b, minimum=0, strict_min=True)
    return a * b / (a + b)


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


def _size_key(size) -> str:
    size = float(size)
    return str(int(size)) if size.is_integer() else repr(size)


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


# --------------------------------------------------------------------------------------------
# One power law
# --------------------------------------------------------------------------------------------


def _power_law_design(log_sizes: np.ndarray, with_floor: bool, log_losses) -> _Design:
    centre = float(log_sizes.mean())
    scale = float(np.exp(log_losses.min()))
    bounds = ()
    if with_floor:
        bounds = (
            (0.0, float(np.exp(log_losses.max())) / scale),
            (None, None),
            (0.0, _MAX_EXPONENT),
        )
    return _Design(
        xs=(log_sizes - centre,),
        centres=(centre,),
        has_floor=with_floor,
        floor_scale=scale,
        bounds=bounds,
    )


def _ols_start(x, y) -> np.ndarray:
    """Least squares ``y ≈ c - alpha x`` (x centred); vectorised over rows of ``y``."""
    c = y.mean(axis=-1)
    alpha = -((y - c[..., None]) @ x) / (x @ x)
    return np.stack([c, alpha], axis=-1)


def _power_law_starts(x, y, with_floor: bool) -> list[np.ndarray]:
    ols = _ols_start(x, y)
    if not with_floor:
        # Convex without a floor, so the grid only guards against a poor stopping point.
        return [ols] + [np.array([y.mean(), a]) for a in (0.5, 1.0, 2.0)]
    # theta = (E / min loss, c, alpha): first no floor at all, then floors at fractions of the
    # smallest loss, each with a few exponents and the amplitude that fits the remainder.
    starts = [np.array([0.0, ols[0], max(ols[1], 0.0)])]
    losses = np.exp(y)
    for frac in (0.01, 0.3, 0.7, 0.95):
        above = np.log(np.maximum(losses - frac * losses.min(), 1e-3 * losses))
        for alpha in (0.25, 0.5, 1.0, 2.0):
            starts.append(np.array([frac, float(np.mean(above + alpha * x)), alpha]))
    return starts


def fit_power_law(
    sizes,
    losses,
    *,
    key,
    groups=None,
    with_floor: bool = False,
    huber_delta: float = 1e-3,
    n_bootstrap: int = 500,
    ci: float = 0.90,
) -> PowerLawFit:
    """Fit ``L = A D^-alpha`` (or ``E + A D^-alpha``) to ``(sizes, losses)`` with an interval.

    Every fit minimises the summed Huber loss in log space from a grid of starts with L-BFGS-B
    (Hoffmann et al. 2022; Besiroglu et al. 2024). ``groups`` labels replicates: one curve per
    label (e.g. a seed that drew its own teacher, data and initialisation), at most once per size.

    With >= 2 usable replicates (``interval = "replicate-t"``) each replicate's curve is fitted on
    its own (no inner bootstrap); ``alpha`` is the mean of those exponents (``alpha_replicates``),
    an estimate of the mean exponent over replicates, with the Student-t interval
    ``mean ± t_{(1+ci)/2, n-1} sd / sqrt(n)``. Replicates are i.i.d. draws of (teacher, data,
    initialisation), so their exponents are i.i.d.; the interval is exact for normal random effects,
    accounts for small ``n`` and contains its estimate by construction. A bootstrap over 3-8
    replicates has few distinct resamples and undercovers, and a percentile interval can exclude its
    own estimate. ``amplitude`` is the geometric mean of the replicates' amplitudes, so
    :meth:`PowerLawFit.predict` is the mean log-loss curve. A replicate is fitted on the sizes it
    has; with fewer than 3 (4 with a floor) it is left out and listed in ``replicates_dropped``.

    ``with_floor=True`` and replicates (``"replicate-jackknife-t"``): a floor per replicate curve
    of 5-8 points trades off against the exponent and is fragile, so one floor ``E`` is shared and
    each replicate keeps its own amplitude and exponent, fitted jointly. ``alpha`` and ``E`` get
    t intervals from the jackknife over replicates (Efron & Tibshirani 1993, ch. 11), refitting
    without each replicate in turn, so the uncertainty of the shared floor enters the exponent's
    interval. Without a floor this jackknife equals ``sd / sqrt(n)`` exactly.

    No groups, or fewer than 2 usable replicates (``"residual-bootstrap-symmetric"``): one curve
    through all observations; its log-space residuals are resampled and added back to its prediction
    (Davison & Hinkley 1997, ch. 6), and the interval is symmetric, ``alpha ± q`` with ``q`` the
    ``ci``-quantile of ``|alpha* - alpha|`` (Hall 1988), so it contains ``alpha`` (the floor's is
    clipped at 0). It covers only the scatter about this curve, *not* replicate variation. It is
    returned rather than ``None`` so that every caller gets an interval; ``interval`` says which it
    is, and a study that needs the replicate-level meaning should check it. With several
    observations per size the Huber loss (~L1 at delta = 1e-3) is flat between them, so the point
    estimate is the minimiser nearest the least-squares line.
    """
    min_sizes = 4 if with_floor else 3
    sizes, losses = _check_common(sizes, losses, min_sizes=min_sizes)
    groups = _check_groups(groups, sizes)
    huber_delta = check_float("huber_delta", huber_delta, minimum=0, strict_min=True)
    n_bootstrap = check_int("n_bootstrap", n_bootstrap, minimum=10)
    ci = _check_ci(ci)

    if groups is None:
        return _single_curve_fit(sizes, losses, key, with_floor, huber_delta, n_bootstrap, ci)
    labels, members, dropped = _replicates(sizes, groups, min_sizes)
    if len(labels) < 2:
        # No replicate variation to measure: the curve's own interval, and say so.
        fit = _single_curve_fit(sizes, losses, key, with_floor, huber_delta, n_bootstrap, ci)
        alphas = _replicate_exponents(sizes, np.log(losses), members, huber_delta)
        return dataclasses.replace(
            fit,
            alpha_replicates=tuple(alphas.tolist()),
            replicate_labels=labels,
            n_replicates=len(labels),
            replicates_dropped=dropped,
        )
    used = np.concatenate(members)
    common = {
        "window": (float(sizes[used].min()), float(sizes[used].max())),
        "n_points": int(used.size),
        "n_sizes": int(np.unique(sizes[used]).size),
        "ci_level": ci,
        "n_bootstrap": 0,
        "bootstrap": "none",
        "huber_delta": huber_delta,
        "replicate_labels": labels,
        "n_replicates": len(labels),
        "replicates_dropped": dropped,
    }
    if with_floor:
        return _replicate_floor_fit(sizes, losses, members, huber_delta, ci, common)
    y = np.log(losses)
    alphas, log_amps = _replicate_exponents(sizes, y, members, huber_delta, amplitudes=True)
    alpha = float(alphas.mean())
    spread = float(alphas.std(ddof=1))
    return PowerLawFit(
        alpha=alpha,
        alpha_ci=_t_interval(alpha, spread / math.sqrt(alphas.size), alphas.size - 1, ci),
        amplitude=float(np.exp(log_amps.mean())),
        floor=None,
        floor_ci=None,
        interval="replicate-t",
        alpha_replicates=tuple(alphas.tolist()),
        alpha_spread=spread,
        **common,
    )


def _t_interval(estimate: float, se: float, dof: int, ci: float) -> tuple[float, float]:
    """``estimate ± t_{(1+ci)/2, dof} se``: symmetric, so it contains ``estimate``."""
    half = float(stdtrit(dof, (1 + ci) / 2)) * se
    return estimate - half, estimate + half


def _symmetric(samples: np.ndarray, estimate: float, ci: float) -> tuple[float, float]:
    """Symmetric bootstrap interval ``estimate ± q``, ``q`` the ``ci``-quantile of
    ``|sample - estimate|`` (Hall 1988); unlike a percentile interval it contains ``estimate``."""
    q = float(np.quantile(np.abs(samples - estimate), ci))
    return estimate - q, estimate + q


def _replicates(sizes, groups, min_sizes: int):
    """Labels (in order of first appearance), the observation indices of each, and the dropped.

    A replicate observed at fewer than ``min_sizes`` sizes cannot be fitted on its own.
    """
    _, first, inverse = np.unique(groups, return_index=True, return_inverse=True)
    labels, members, dropped = [], [], {}
    for g in np.argsort(first):
        idx = np.flatnonzero(inverse == g)
        label = groups[first[g]]
        label = label.item() if isinstance(label, np.generic) else label
        if idx.size < min_sizes:  # one observation per size, checked by _check_groups
            dropped[label] = f"observed at {idx.size} size(s); a fit needs {min_sizes}"
            continue
        labels.append(label)
        members.append(idx[np.argsort(sizes[idx], kind="stable")])
    return tuple(labels), members, dropped


def _replicate_exponents(sizes, y, members, delta: float, *, amplitudes: bool = False):
    """Exponent (and log amplitude) of each replicate's own summed-Huber fit, no bootstrap.

    Replicates observed at the same sizes are stacked into one L-BFGS-B run.
    """
    alphas = np.empty(len(members))
    log_amps = np.empty(len(members))
    by_sizes: dict[tuple, list[int]] = {}
    for r, idx in enumerate(members):
        by_sizes.setdefault(tuple(sizes[idx].tolist()), []).append(r)
    for key_sizes, rows in by_sizes.items():
        ys = np.stack([y[members[r]] for r in rows])
        design = _power_law_design(np.log(np.array(key_sizes)), False, ys)
        x = design.xs[0]
        # The starts of the single-curve fit, per replicate: its least-squares line first.
        starts = np.stack(
            [_ols_start(x, ys)]
            + [np.stack([ys.mean(axis=1), np.full(len(rows), a)], -1) for a in (0.5, 1.0, 2.0)],
            axis=1,
        )  # (replicates, starts, 2)
        n_starts = starts.shape[1]
        theta, value = _solve(np.repeat(ys, n_starts, axis=0), design, delta, starts.reshape(-1, 2))
        best = _best_of(theta, value, n_starts)
        alphas[rows] = best[:, 1]
        log_amps[rows] = best[:, 0] + best[:, 1] * design.centres[0]
    return (alphas, log_amps) if amplitudes else alphas


def _single_curve_fit(sizes, losses, key, with_floor, huber_delta, n_bootstrap, ci):
    """One curve, residual bootstrap, symmetric intervals (see :func:`fit_power_law`)."""
    rng = numpy_rng(key)
    y = np.log(losses)
    design = _power_law_design(np.log(sizes), with_floor, y)
    x = design.xs[0]
    theta = _fit_multistart(y, design, huber_delta, _power_law_starts(x, y, with_floor))
    boot_y = _residual_resamples(y, _log_predict(theta, design)[0], theta.size, n_bootstrap, rng)
    if with_floor:
        # One warm start from the point estimate instead of the grid: a second (no-floor) start
        # per bootstrap draw doubled the cost.
        starts = np.tile(theta, (n_bootstrap, 1))
    else:
        # Convex: each draw's own least-squares line is a start that is already close, and it
        # breaks ties in flat valleys the same way as the point fit does.
        starts = _ols_start(x, boot_y)
    boot, _ = _solve(boot_y, design, huber_delta, starts)

    alpha_col = 2 if with_floor else 1
    alpha = float(theta[alpha_col])
    amplitude = float(np.exp(theta[alpha_col - 1] + alpha * design.centres[0]))
    floor = floor_ci = None
    if with_floor:
        floor = float(theta[0] * design.floor_scale)
        lo, hi = _symmetric(boot[:, 0] * design.floor_scale, floor, ci)
        floor_ci = (max(lo, 0.0), hi)
    return PowerLawFit(
        alpha=alpha,
        alpha_ci=_symmetric(boot[:, alpha_col], alpha, ci),
        amplitude=amplitude,
        floor=floor,
        floor_ci=floor_ci,
        window=(float(sizes.min()), float(sizes.max())),
        n_points=int(sizes.size),
        n_sizes=int(np.unique(sizes).size),
        ci_level=ci,
        n_bootstrap=n_bootstrap,
        bootstrap="residual",
        huber_delta=huber_delta,
        interval="residual-bootstrap-symmetric",
    )


# Shared floor, one amplitude and exponent per replicate ----------------------------------------


@dataclass(frozen=True)
class _SharedFloorDesign:
    """``log L_j = log(E + exp(c_r - k_r x_j))`` for point ``j`` of replicate ``r``.

    theta = ``u, c_1, k_1, ..., c_R, k_R`` with ``E = u * floor_scale``; ``x`` is log size centred
    on the mean over all points; ``member`` is the ``(n, R)`` one-hot replicate of each point.
    """

    x: np.ndarray
    member: np.ndarray
    centre: float
    floor_scale: float
    bounds: tuple

    @property
    def n_params(self) -> int:
        return 1 + 2 * self.member.shape[1]


def _shared_floor_objective(flat, y, design: _SharedFloorDesign, delta: float):
    """Summed Huber loss of log residuals and its gradient, per problem (as :func:`_objective`)."""
    theta = flat.reshape(y.shape[0], design.n_params)
    t = theta[:, 1::2] @ design.member.T - (theta[:, 2::2] @ design.member.T) * design.x
    with np.errstate(divide="ignore"):  # E = 0: log E = -inf, which logaddexp handles
        log_pred = np.logaddexp(t, np.log(theta[:, :1] * design.floor_scale))
    r = log_pred - y
    psi = np.clip(r, -delta, delta)
    value = (psi * (r - 0.5 * psi)).sum(axis=1)
    grad = np.empty_like(theta)
    # d log(pred) / du = floor_scale / pred, finite at u = 0 (see the module docstring); the clip
    # only guards trial points of the line search where pred underflows.
    inv_pred = np.exp(-np.maximum(log_pred, -700.0))
    grad[:, 0] = design.floor_scale * (psi * inv_pred).sum(axis=1)
    pw = psi * np.exp(t - log_pred)
    grad[:, 1::2] = pw @ design.member
    grad[:, 2::2] = -(pw * design.x) @ design.member
    return value, grad


def _shared_floor_fit(log_sizes, y, rep, n_rep: int, delta: float, warm=None, centre=None):
    """Best of a grid of starts (and ``warm``): ``(E, alphas, log amplitudes, theta)``.

    ``centre`` (default: mean log size) is the log size at which the ``c_r`` are defined; a warm
    start is only valid at the centre it was fitted with.
    """
    centre = float(log_sizes.mean()) if centre is None else centre
    x = log_sizes - centre
    member = np.zeros((y.size, n_rep))
    member[np.arange(y.size), rep] = 1.0
    losses = np.exp(y)
    scale = float(losses.min())
    bounds = ((0.0, float(losses.max()) / scale),) + ((None, None), (0.0, _MAX_EXPONENT)) * n_rep
    design = _SharedFloorDesign(x, member, centre, scale, bounds)
    count = member.sum(axis=0)
    x_mean = (x @ member) / count
    xc = x - x_mean[rep]
    starts = [] if warm is None else [warm]
    # As for one curve: no floor, then floors at fractions of the smallest loss; per replicate its
    # least-squares line through the remainder, or a few common exponents. A warm start (the full
    # fit, for a jackknife refit) is already near the optimum: it only gets the no-floor start.
    for frac in (0.0, 0.01, 0.3, 0.7, 0.95) if warm is None else (0.0,):
        above = np.log(np.maximum(losses - frac * scale, 1e-3 * losses))
        y_mean = (above @ member) / count
        slope = np.clip(-((above * xc) @ member) / ((xc * xc) @ member), 0.0, _MAX_EXPONENT)
        for k in (slope, *(np.full(n_rep, a) for a in (0.5, 1.0, 2.0) if warm is None)):
            c = y_mean + k * x_mean
            starts.append(np.concatenate([[frac], np.stack([c, k], -1).ravel()]))
    starts = np.array(starts)
    theta, value = _solve(
        np.tile(y, (len(starts), 1)), design, delta, starts, objective=_shared_floor_objective
    )
    best = _best_of(theta, value, len(starts))[0]
    alphas = best[2::2]
    return float(best[0] * scale), alphas, best[1::2] + alphas * centre, best


def _replicate_floor_fit(sizes, losses, members, delta, ci, common) -> PowerLawFit:
    """Shared floor, per-replicate exponents; jackknife-t intervals (see :func:`fit_power_law`)."""
    n = len(members)
    rep = np.concatenate([np.full(idx.size, r) for r, idx in enumerate(members)])
    used = np.concatenate(members)
    log_sizes, y = np.log(sizes[used]), np.log(losses[used])
    floor, alphas, log_amps, theta = _shared_floor_fit(log_sizes, y, rep, n, delta)
    alpha = float(alphas.mean())
    leave_out = np.empty((n, 2))  # (alpha, floor) without replicate i
    for i in range(n):
        keep = rep != i
        warm = np.delete(theta, [1 + 2 * i, 2 + 2 * i])
        # The floor scale (smallest loss) may change without replicate i: rescale u.
        warm[0] *= float(np.exp(y.min() - y[keep].min()))
        e_i, a_i, _, _ = _shared_floor_fit(
            log_sizes[keep], y[keep], rep[keep] - (rep[keep] > i), n - 1, delta,
            warm=warm, centre=float(log_sizes.mean()),
        )  # fmt: skip
        leave_out[i] = a_i.mean(), e_i
    # Jackknife standard error: sqrt((n-1)/n * sum (theta_(i) - mean theta_(.))^2).
    se = np.sqrt((n - 1) / n * ((leave_out - leave_out.mean(axis=0)) ** 2).sum(axis=0))
    lo, hi = _t_interval(floor, float(se[1]), n - 1, ci)
    return PowerLawFit(
        alpha=alpha,
        alpha_ci=_t_interval(alpha, float(se[0]), n - 1, ci),
        amplitude=float(np.exp(log_amps.mean())),
        floor=floor,
        floor_ci=(max(lo, 0.0), hi),
        interval="replicate-jackknife-t",
        alpha_replicates=tuple(alphas.tolist()),
        alpha_spread=float(alphas.std(ddof=1)),
        **common,
    )


# --------------------------------------------------------------------------------------------
# Local slopes
# --------------------------------------------------------------------------------------------


def local_slopes(
    sizes, losses, *, groups=None, key=None, ci: float = 0.90, n_bootstrap: int = 200
) -> LocalSlopes:
    """``-Δ mean(log L) / Δ log D`` between consecutive distinct sizes.

    A straight line through a curve that crosses regimes gives a number, not a test; the local
    slopes show whether the exponent is constant across the window. ``slopes_ci`` is a stratified
    bootstrap interval (replicates resampled within each size) when every size has >= 2
    replicates and a ``key`` is given; otherwise ``None``.
    """
    sizes, losses = _check_common(sizes, losses, min_sizes=2)
    _check_groups(groups, sizes)
    ci = _check_ci(ci)
    n_bootstrap = check_int("n_bootstrap", n_bootstrap, minimum=10)
    distinct, inverse, counts = _replicate_index(sizes)
    y = np.log(losses)
    log_d = np.log(distinct)

    mean_of = np.zeros((y.size, distinct.size))
    mean_of[np.arange(y.size), inverse] = 1.0 / counts[inverse]

    def slopes_of(log_losses):
        return -np.diff(log_losses @ mean_of, axis=-1) / np.diff(log_d)

    slopes = slopes_of(y)
    slopes_ci = None
    if key is not None and np.all(counts >= 2):
        boot_y = _stratified_resamples(y, inverse, counts, n_bootstrap, numpy_rng(key))
        boot = slopes_of(boot_y)
        q = np.quantile(boot, [(1 - ci) / 2, (1 + ci) / 2], axis=0)
        slopes_ci = q.T.copy()
    return LocalSlopes(
        sizes_lo=distinct[:-1].copy(),
        sizes_hi=distinct[1:].copy(),
        midpoints=np.sqrt(distinct[:-1] * distinct[1:]),
        slopes=slopes,
        slopes_ci=slopes_ci,
        ci_level=ci,
    )


# --------------------------------------------------------------------------------------------
# Fit window
# --------------------------------------------------------------------------------------------


def select_window(
    sizes,
    passes,
    *,
    reasons=None,
    min_decades: float = 1.0,
    rule_text: str | None = None,
) -> FitWindow:
    """The fit window: the longest contiguous run of passing sizes, ties to larger sizes.

    ``sizes`` are distinct; ``passes[i]`` says whether size ``i`` meets every diagnostic (decided
    by the caller beforehand, e.g. train <= 0.1 x test for every seed and P >> D). "Longest" counts
    sizes. ``reasons`` (a mapping size -> text, or a list aligned with ``sizes``) says why a size
    failed; it is stored in ``excluded`` together with the rule text.
    """
    sizes = _positive_finite("sizes", sizes)
    if np.unique(sizes).size != sizes.size:
        raise InputError("sizes", "must be distinct (one pass/fail verdict per size)")
    passes = np.asarray(passes)
    if passes.shape != sizes.shape:
        raise InputError("passes", f"must have one entry per size (got shape {passes.shape})")
    passes = passes.astype(bool)
    min_decades = check_float("min_decades", min_decades, minimum=0)
    if rule_text is None:
        rule_text = DEFAULT_WINDOW_RULE.format(min_decades=min_decades)
    why = _reasons_by_size(sizes, reasons)

    order = np.argsort(sizes)
    s, p = sizes[order], passes[order]
    best_start, best_len, i = 0, 0, 0
    while i < s.size:
        if not p[i]:
            i += 1
            continue
        j = i
        while j < s.size and p[j]:
            j += 1
        if j - i >= best_len:  # ">=": a tie goes to the later run, at larger sizes
            best_start, best_len = i, j - i
        i = j
    inside = s[best_start : best_start + best_len]
    excluded = {}
    for k, size in enumerate(s.tolist()):
        if best_start <= k < best_start + best_len:
            continue
        if p[k]:
            excluded[size] = "passes, but outside the longest passing run"
        else:
            excluded[size] = why.get(size) or "fails a diagnostic"
    lo = float(inside[0]) if best_len else None
    hi = float(inside[-1]) if best_len else None
    decades = float(np.log10(hi / lo)) if best_len else 0.0
    return FitWindow(
        lo=lo,
        hi=hi,
        sizes=tuple(float(v) for v in inside),
        decades=decades,
        spans_min_decades=bool(best_len) and decades >= min_decades - 1e-9,
        rule=rule_text,
        excluded=excluded,
        min_decades=min_decades,
    )


def _reasons_by_size(sizes: np.ndarray, reasons) -> dict[float, str]:
    if reasons is None:
        return {}
    if isinstance(reasons, Mapping):
        return {float(k): (str(v) if v else "") for k, v in reasons.items()}
    if isinstance(reasons, Sequence | np.ndarray) and not isinstance(reasons, str):
        if len(reasons) != sizes.size:
            raise InputError("reasons", f"must have one entry per size (got {len(reasons)})")
        return {float(s): (str(r) if r else "") for s, r in zip(sizes, reasons)}
    raise InputError("reasons", "must be a mapping size -> reason or a list aligned with sizes")


# --------------------------------------------------------------------------------------------
# Joint fit L(N, D)
# --------------------------------------------------------------------------------------------


def _joint_design(log_n, log_d, y) -> _Design:
    cn, cd = float(log_n.mean()), float(log_d.mean())
    scale = float(np.exp(y.min()))
    bounds = (
        (0.0, float(np.exp(y.max())) / scale),
        (None, None),
        (0.0, _MAX_EXPONENT),
        (None, None),
        (0.0, _MAX_EXPONENT),
    )
    return _Design(
        xs=(log_n - cn, log_d - cd),
        centres=(cn, cd),
        has_floor=True,
        floor_scale=scale,
        bounds=bounds,
    )


def _joint_starts(y) -> list[np.ndarray]:
    """Grid of starts (Hoffmann et al. 2022 used a grid too), scaled to the data."""
    losses = np.exp(y)
    starts = []
    for frac in (0.05, 0.5, 0.9):  # E as a fraction of the smallest loss
        rest = math.log(max(losses.mean() - frac * losses.min(), 1e-3 * losses.mean()) / 2)
        for a in (0.5, 1.0, 2.0):
            for b in (0.5, 1.0, 2.0):
                for shift in (0.0, 1.0, -1.0):
                    starts.append(np.array([frac, rest + shift, a, rest - shift, b]))
    return starts


def fit_joint_scaling(
    N,
    D,
    losses,
    *,
    key,
    huber_delta: float = 1e-3,
    n_bootstrap: int = 200,
    ci: float = 0.90,
) -> JointFit:
    """Fit ``L = E + A N^-a + B D^-b`` (Hoffmann et al. 2022 approach 3, as in Besiroglu 2024).

    Log-sum-exp of ``(log E, log A - a log N, log B - b log D)`` against ``log L``, summed Huber
    loss, a grid of starts, L-BFGS-B; percentile intervals from a pairs bootstrap (runs resampled
    with replacement, as Besiroglu et al. did), each replicate warm-started from the point estimate.
    The replicates are kept in ``JointFit.draws`` for the bands of derived quantities.

    The objective is exactly theirs on the feasible set; only the parametrisation differs (log
    sizes centred, ``E`` a bounded multiple of the smallest loss, exponents in [0, 20]), which
    conditions L-BFGS-B without changing the optimum unless it sits on a bound.
    """
    arrays = {name: _positive_finite(name, v) for name, v in (("N", N), ("D", D))}
    losses = _positive_finite("losses", losses)
    for name, v in arrays.items():
        if v.size != losses.size:
            raise InputError(
                name, f"must have one entry per loss (got {v.size} {name} for {losses.size} losses)"
            )
    N, losses = _check_common(arrays["N"], losses, min_sizes=3, sizes_name="N")
    D, _ = _check_common(arrays["D"], losses, min_sizes=3, sizes_name="D")
    if losses.size < 6:
        raise InputError("losses", f"need at least 6 points for 5 parameters (got {losses.size})")
    huber_delta = check_float("huber_delta", huber_delta, minimum=0, strict_min=True)
    n_bootstrap = check_int("n_bootstrap", n_bootstrap, minimum=10)
    ci = _check_ci(ci)
    rng = numpy_rng(key)

    log_n, log_d, y = np.log(N), np.log(D), np.log(losses)
    design = _joint_design(log_n, log_d, y)
    theta = _fit_multistart(y, design, huber_delta, _joint_starts(y))

    # Pairs bootstrap: resample points; keep the point fit's centring so that its theta is a
    # good warm start for every replicate.
    idx = rng.integers(0, y.size, size=(n_bootstrap, y.size))
    resampled = dataclasses.replace(design, xs=tuple(x[idx] for x in design.xs))
    boot, _ = _solve(y[idx], resampled, huber_delta, np.tile(theta, (n_bootstrap, 1)))

    def natural(t):
        t = np.atleast_2d(t)
        return {
            "E": t[:, 0] * design.floor_scale,
            "A": np.exp(t[:, 1] + t[:, 2] * design.centres[0]),
            "a": t[:, 2],
            "B": np.exp(t[:, 3] + t[:, 4] * design.centres[1]),
            "b": t[:, 4],
        }

    point = {k: float(v[0]) for k, v in natural(theta).items()}
    boot = natural(boot)
    intervals = {k: _percentile(v, ci) for k, v in boot.items()}
    return JointFit(
        **point,
        ci=intervals,
        n_points=int(y.size),
        huber_delta=huber_delta,
        n_bootstrap=n_bootstrap,
        ci_level=ci,
        draws=np.column_stack([boot[k] for k in JOINT_PARAMS]),
    )


# --------------------------------------------------------------------------------------------
# Reading a loss table
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class LossTable:
    """A ``size,loss[,seed][,train_loss][,n_params]`` table (``loss`` is the test loss)."""

    sizes: np.ndarray
    losses: np.ndarray
    seeds: np.ndarray | None  # integers when every seed is one, strings otherwise
    train_losses: np.ndarray | None = None
    n_params: np.ndarray | None = None


def read_loss_csv(path) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Read ``size,loss[,seed]`` columns (any order, extra columns ignored) from a CSV with header.

    Returns ``(sizes, losses, seeds)``; ``seeds`` is ``None`` without a ``seed`` column (integer
    array when every seed is an integer, strings otherwise). Every problem is an
    :class:`InputError` naming the file and the line. :func:`read_loss_table` reads the optional
    diagnostic columns too.
    """
    table = read_loss_table(path)
    return table.sizes, table.losses, table.seeds


def read_loss_table(path) -> LossTable:
    """:func:`read_loss_csv`, plus the optional ``train_loss`` (>= 0) and ``n_params`` (> 0)
    columns the data-scaling window rule reads (``studies.verdict.interpolation_rule``)."""
    name = "LOSSES.csv"
    path = os.fspath(path)
    header_line, header, body = _read_csv(path, name, "size,loss[,seed]")
    columns = [c.lower() for c in header]
    for required in ("size", "loss"):
        if required not in columns:
            raise InputError(
                name,
                f"{path} line {header_line}: missing column '{required}' "
                f"(header must name size,loss[,seed]; got {','.join(columns)})",
            )
    i_size, i_loss = columns.index("size"), columns.index("loss")
    i_seed = columns.index("seed") if "seed" in columns else None
    i_train = columns.index("train_loss") if "train_loss" in columns else None
    i_params = columns.index("n_params") if "n_params" in columns else None
    sizes, losses, seeds, train, params = [], [], [], [], []
    seen: dict[tuple, int] = {}
    for line, row in body:
        size = _parse_number(name, path, line, "size", row[i_size])
        loss = _parse_number(name, path, line, "loss", row[i_loss])
        if not (math.isfinite(loss) and loss > 0):
            raise InputError(
                name, f"{path} line {line}: loss must be positive and finite (got {row[i_loss]!r})"
            )
        if not (math.isfinite(size) and size > 0):
            raise InputError(
                name, f"{path} line {line}: size must be positive and finite (got {row[i_size]!r})"
            )
        sizes.append(size)
        losses.append(loss)
        if i_train is not None:
            value = _parse_number(name, path, line, "train_loss", row[i_train])
            if not (math.isfinite(value) and value >= 0):
                raise InputError(
                    name,
                    f"{path} line {line}: train_loss must be finite and >= 0 "
                    f"(got {row[i_train]!r})",
                )
            train.append(value)
        if i_params is not None:
            value = _parse_number(name, path, line, "n_params", row[i_params])
            if not (math.isfinite(value) and value > 0):
                raise InputError(
                    name,
                    f"{path} line {line}: n_params must be positive and finite "
                    f"(got {row[i_params]!r})",
                )
            params.append(value)
        if i_seed is not None:
            seed = row[i_seed].strip()
            if (size, seed) in seen:
                raise InputError(
                    name,
                    f"{path} line {line}: size {_size_key(size)} with seed {seed!r} already "
                    f"appears on line {seen[(size, seed)]}",
                )
            seen[(size, seed)] = line
            seeds.append(seed)
    n_distinct = len(set(sizes))
    if n_distinct < 3:
        raise InputError(name, f"{path}: need at least 3 distinct sizes (got {n_distinct})")
    seed_arr = None
    if i_seed is not None:
        try:
            seed_arr = np.array([int(s) for s in seeds])
        except ValueError:
            seed_arr = np.array(seeds, dtype=str)
    return LossTable(
        sizes=np.array(sizes),
        losses=np.array(losses),
        seeds=seed_arr,
        train_losses=None if i_train is None else np.array(train),
        n_params=None if i_params is None else np.array(params),
    )


@dataclass(frozen=True, eq=False)
class RunsTable:
    """Training runs for a joint fit: parameters ``N``, tokens ``D`` and final loss per run."""

    N: np.ndarray
    D: np.ndarray
    losses: np.ndarray
    C: np.ndarray | None  # compute, when D was derived from it
    lines: np.ndarray  # the file line of each run
    columns: dict  # "N", "D", "C", "loss" -> the header's name for it (None when not read)
    flops_per_param_token: float | None  # k in D = C / (k N), when D was derived


def read_runs_csv(
    path,
    *,
    n_column: str = "N",
    loss_column: str = "loss",
    d_column: str | None = None,
    c_column: str | None = None,
    flops_per_param_token: float = 6.0,
) -> RunsTable:
    """Read one run per row: parameters, tokens (or compute) and loss, from a CSV with header.

    Columns are named by the caller (an exact match first, then one ignoring case and spaces at
    the ends); other columns are ignored. With ``c_column`` the tokens are
    ``D = C / (flops_per_param_token * N)``, the ``C = 6 N D`` of Hoffmann et al. 2022; without
    either, ``d_column`` is ``"D"``. A missing column is an :class:`InputError` naming the argument
    (``n_column``, ...); a bad value one naming ``RUNS.csv``, the line and the column.
    """
    name = "RUNS.csv"
    if d_column is not None and c_column is not None:
        raise InputError("c_column", f"give a D column or a C column, not both ({d_column!r})")
    if d_column is None and c_column is None:
        d_column = "D"
    k = check_float("flops_per_param_token", flops_per_param_token, minimum=0, strict_min=True)
    path = os.fspath(path)
    expected = f"{n_column},{d_column or c_column},{loss_column}"
    _, header, body = _read_csv(path, name, expected)
    wanted = {"N": ("n_column", n_column), "loss": ("loss_column", loss_column)}
    if c_column is None:
        wanted["D"] = ("d_column", d_column)
    else:
        wanted["C"] = ("c_column", c_column)
    index, used = {}, {}
    for role, (argument, column) in wanted.items():
        i = _find_column(header, column, argument, path)
        if i in used:
            raise InputError(argument, f"column {header[i]!r} is already the {used[i]} column")
        index[role], used[i] = i, role
    values = {role: [] for role in index}
    for line, row in body:
        for role, i in index.items():
            text = row[i]
            try:
                value = float(text)
            except ValueError:
                value = math.nan
            if not (math.isfinite(value) and value > 0):
                raise InputError(
                    name,
                    f"{path} line {line}: column {header[i]!r} ({role}) must be a positive "
                    f"finite number (got {text!r})",
                )
            values[role].append(value)
    if not body:
        raise InputError(name, f"{path} has a header but no runs")
    arrays = {role: np.array(v) for role, v in values.items()}
    compute = arrays.get("C")
    tokens = arrays["D"] if compute is None else compute / (k * arrays["N"])
    return RunsTable(
        N=arrays["N"],
        D=tokens,
        losses=arrays["loss"],
        C=compute,
        lines=np.array([line for line, _ in body]),
        columns={
            role: (header[index[role]] if role in index else None)
            for role in ("N", "D", "C", "loss")
        },
        flops_per_param_token=None if compute is None else k,
    )


def _read_csv(path: str, name: str, expected: str):
    """``(header line, header, [(line, row)])`` of a CSV with header; blank lines skipped and
    every row checked to have the header's number of fields."""
    if not os.path.isfile(path):
        raise InputError(name, f"no such file: {path}")
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            rows = list(csv.reader(fh))
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        raise InputError(name, f"cannot read {path}: {err}") from None
    numbered = [(i + 1, row) for i, row in enumerate(rows) if any(cell.strip() for cell in row)]
    if not numbered:
        raise InputError(name, f"{path} is empty; expected a header with columns {expected}")
    header_line, header = numbered[0]
    for line, row in numbered[1:]:
        if len(row) != len(header):
            raise InputError(
                name,
                f"{path} line {line}: malformed row (expected {len(header)} fields, "
                f"got {len(row)})",
            )
    return header_line, [c.strip() for c in header], numbered[1:]


def _find_column(header: list[str], column: str, argument: str, path: str) -> int:
    """The index of ``column`` in ``header``: exact, else ignoring case (when unambiguous)."""
    if column in header:
        return header.index(column)
    folded = [i for i, h in enumerate(header) if h.lower() == column.strip().lower()]
    if len(folded) == 1:
        return folded[0]
    shown = ", ".join(repr(h) for h in header)
    raise InputError(argument, f"{path} has no column {column!r} (columns: {shown})")


def _parse_number(name, path, line, column, text) -> float:
    try:
        return float(text)
    except ValueError:
        raise InputError(
            name, f"{path} line {line}: column '{column}' is not a number (got {text!r})"
        ) from None


@dataclass(frozen=True, eq=False)
class WindowedFit:
    """The window a rule selected, the power law fitted inside it, and local slopes everywhere."""

    window: FitWindow
    fit: PowerLawFit | None  # None when fewer than 3 sizes pass the rule
    slopes: LocalSlopes


def fit_in_window(
    sizes,
    losses,
    passes_by_size,
    *,
    key,
    groups=None,
    reasons=None,
    rule_text: str = "",
    min_decades: float = 1.0,
    with_floor: bool = False,
    n_bootstrap: int = 500,
    ci: float = 0.90,
) -> WindowedFit:
    """:func:`select_window` over the distinct sizes, then :func:`fit_power_law` on every
    observation inside the window; :func:`local_slopes` over all positive observations.

    ``passes_by_size[i]`` is the caller's diagnostic for the i-th distinct size (sorted).
    ``groups`` (replicate labels, e.g. seeds that each drew their own teacher) make the fit the
    replicate-level one (``fit.interval == "replicate-t"``); a replicate left with too few sizes
    inside the window (or after dropping non-positive losses) is listed in
    ``fit.replicates_dropped``.
    """
    import jax  # lazily: the ``fit`` CLI validates its CSV before paying for JAX's import

    sizes = np.asarray(sizes, float)
    losses = np.asarray(losses, float)
    groups = None if groups is None else np.asarray(groups)
    window = select_window(
        np.unique(sizes), np.asarray(passes_by_size), reasons=reasons,
        min_decades=min_decades, rule_text=rule_text,
    )  # fmt: skip
    k_fit, k_slopes = jax.random.split(key)
    positive = np.isfinite(losses) & (losses > 0)
    pick = (lambda m: None) if groups is None else (lambda m: groups[m])  # noqa: E731
    slopes = local_slopes(sizes[positive], losses[positive], groups=pick(positive), key=k_slopes)
    fit = None
    if window.lo is not None and len(window.sizes) >= 3:
        m = (sizes >= window.lo) & (sizes <= window.hi) & positive
        fit = fit_power_law(
            sizes[m], losses[m], key=k_fit, groups=pick(m), with_floor=with_floor,
            n_bootstrap=n_bootstrap, ci=ci,
        )  # fmt: skip
    return WindowedFit(window, fit, slopes)
