"""Has a run converged? A rule on the tail of its validation curve, fixed before looking at data.

Sharma & Kaplan 2020 (Sec. 3) fit alpha_N over models trained to convergence; a point still
falling at the end of its schedule sits above its converged loss and biases the fitted exponent.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from ..configs import result_from_dict
from ..errors import check_float


@dataclass(frozen=True)
class Convergence:
    """Is the validation loss curve flat at the end of training?

    ``late_drop`` = 1 - L(end) / L(start of the last ``window`` fraction of steps), with L the
    running-best validation loss. The point counts as converged when ``late_drop <= tolerance``:
    the last part of the schedule (where the learning rate has decayed) no longer moved the loss by
    more than ``tolerance``, so more of the same training would not move it much either.
    """

    converged: bool
    late_drop: float
    window: float
    tolerance: float
    rule: str

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Convergence:
        """Inverse of :meth:`to_dict`."""
        return result_from_dict(cls, data)


def convergence(curve_val, *, window: float = 0.25, tolerance: float = 0.1) -> Convergence:
    """Convergence of one run from its validation curve (one value per evaluation, in order)."""
    check_float("convergence_window", window, minimum=0.0, maximum=1.0, strict_min=True)
    check_float("convergence_tol", tolerance, minimum=0.0)
    curve = np.asarray(curve_val, np.float64)
    rule = (
        f"converged: the running-best validation loss fell by <= {tolerance:g} (relative) over the "
        f"last {window:g} of the steps"
    )
    if curve.size < 2 or not np.all(np.isfinite(curve)):
        return Convergence(False, float("nan"), window, tolerance, rule)
    best = np.minimum.accumulate(curve)
    start = min(int(np.floor((1.0 - window) * curve.size)), curve.size - 2)
    start = max(start - 1, 0)  # the value *before* the window opens
    drop = float(1.0 - best[-1] / best[start]) if best[start] > 0 else 0.0
    return Convergence(bool(drop <= tolerance), drop, window, tolerance, rule)


def last_doubling_change(curve_steps, curve_val) -> float:
    """How far the running-best validation loss fell, in log, over the last doubling of the
    budget: log L(T/2) - log L(T), with L the running best and T the last evaluated step.

    It stands in for "would training twice as long move this point?": under a decaying learning
    rate the loss at T/2 of a T-step run lies above that of a T/2-step run, so it overstates the
    change a doubled budget would bring (conservative). NaN when the curve cannot judge it.
    """
    steps = np.asarray(curve_steps, np.float64)
    curve = np.asarray(curve_val, np.float64)
    if curve.size < 2 or steps.size != curve.size or not np.all(np.isfinite(curve)):
        return float("nan")
    best = np.minimum.accumulate(curve)
    half = int(np.searchsorted(steps, steps[-1] / 2.0, side="right")) - 1
    if half < 0 or best[half] <= 0 or best[-1] <= 0:
        return float("nan")
    return float(np.log(best[half]) - np.log(best[-1]))
