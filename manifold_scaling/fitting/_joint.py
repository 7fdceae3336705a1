"""The joint law ``L(N, D) = E + A N^-a + B D^-b``: :func:`fit_joint_scaling`.

Hoffmann et al. 2022 (approach 3) as corrected by Besiroglu et al. 2024: summed Huber loss in log
space, a grid of starts, L-BFGS-B, and a pairs bootstrap for the intervals.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from .._rng import numpy_rng
from ..errors import InputError, check_float, check_int
from ._core import (
    _MAX_EXPONENT,
    _check_ci,
    _check_common,
    _Design,
    _fit_multistart,
    _percentile,
    _positive_finite,
    _solve,
)
from ._types import JOINT_PARAMS, JointFit


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
