"""``L = A D^-alpha`` (optionally ``+ E``) in log space with its interval: :func:`fit_power_law`.

The exponent's interval is replicate-level when replicates (i.i.d. teacher, data and
initialisation) are labelled: a Student-t interval over their exponents, the spread a re-run of the
question shows (with a floor, one floor shared by the replicates and a jackknife-t interval, Efron
& Tibshirani 1993); otherwise a bootstrap over one curve's residuals (Davison & Hinkley 1997,
ch. 6) with a symmetric interval (Hall 1988). The floor is ``E = u * min(loss)`` with ``u >= 0``
(why: ``manifold_scaling.fitting._core``).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
from scipy.special import stdtrit

from .._rng import numpy_rng
from ..errors import check_float, check_int
from ._core import (
    _MAX_EXPONENT,
    _best_of,
    _check_ci,
    _check_common,
    _check_groups,
    _Design,
    _fit_multistart,
    _log_predict,
    _residual_resamples,
    _solve,
)
from ._types import PowerLawFit


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
