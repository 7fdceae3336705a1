"""Rules stated in advance deciding which points may enter a fit: per size (:class:`SizeRule`)
and per cell, one replicate at one size (:class:`CellRule`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..findings import MAX_EXCLUDED_SHARE


@dataclass(frozen=True)
class SizeCheck:
    """One size's verdict under a rule: pass or not, why not, and what the table shows."""

    passes: bool
    why: list[str]
    info: dict


@dataclass(frozen=True)
class SizeRule:
    """A rule, stated before any exponent is seen, deciding which sizes may enter the fit.

    ``check(size, rows)`` looks at every replicate's row at one size.
    """

    text: str
    check: Callable[[float, list[dict]], SizeCheck]


def _geo_mean(values) -> float:
    return float(np.exp(np.mean(np.log(np.maximum(np.asarray(values, float), 1e-300)))))


def _finite_positive(values) -> bool:
    values = np.asarray(values, float)
    return bool(np.all(np.isfinite(values)) and np.all(values > 0))


def _judge(test, failures: list[tuple[bool, str]], info: dict) -> SizeCheck:
    """A size passes when every replicate's test loss is finite and positive and no failure
    ``(failed, why)`` holds; ``info`` (the per-size table row) gets its ``passes`` flag."""
    why = [] if _finite_positive(test) else ["non-finite or zero test loss"]
    why += [text for failed, text in failures if failed]
    return SizeCheck(not why, why, {**info, "passes": not why})


def _column(rows, name, default=None) -> np.ndarray:
    return np.array([r.get(name, default) for r in rows], float)


def _unresolved(rows, length_scale) -> tuple[bool, str]:
    """Does this size fail to resolve the teacher? The median nearest-neighbour spacing of its
    training points (over replicates) against the teacher's length scale; known before any
    training, so a rule on the design, not on an outcome."""
    spacing = _column(rows, "nn_spacing", np.nan)
    if length_scale is None or not np.isfinite(length_scale) or not np.isfinite(spacing).any():
        return False, ""
    s = float(np.nanmedian(spacing))
    return s >= length_scale, (
        f"not resolution-limited (spacing {s:.2f} >= teacher length scale {length_scale:.2f})"
    )


def design_rule(min_params_per_point: float, length_scale: float | None = None) -> SizeRule:
    """Data scaling, per size, by design only: P >= k x D, the spacing of the training points
    below the teacher's length scale (``length_scale``; skipped when None), and a finite loss
    somewhere. It looks at no outcome that is then fitted; which cells count is the cell rule's
    job."""

    def check(size, rows):
        test, train, params = (_column(rows, k) for k in ("test_loss", "train_loss", "n_params"))
        ratio = np.where(test > 0, train / np.maximum(test, 1e-300), np.inf)
        finite = np.isfinite(test) & (test > 0)
        failures = [
            (not finite.any(), "no finite test loss"),
            (
                not np.all(params >= min_params_per_point * size),
                f"P/D = {params[0] / size:.1f} < {min_params_per_point:g}",
            ),
            _unresolved(rows, length_scale),
        ]
        info = {
            "size": int(size),
            "test_loss_mean": _geo_mean(test[finite]) if finite.any() else float("nan"),
            "train_loss_mean": _geo_mean(train[finite]) if finite.any() else float("nan"),
            # a diagnostic, no longer a rule: train/test selects on the fitted test loss
            "max_train_test_ratio": float(np.max(ratio)),
            "params_per_point": float(params[0] / size),
        }
        why = [text for failed, text in failures if failed]
        return SizeCheck(not why, why, {**info, "passes": not why})

    resolved = "" if length_scale is None else ", the spacing below the teacher's length scale"
    return SizeRule(f"longest run of sizes with P >= {min_params_per_point:g} x D{resolved}", check)


@dataclass(frozen=True)
class CellRule:
    """A rule, stated in advance, deciding per cell (one replicate at one size) whether it counts.

    ``check(row)`` returns the reason a cell fails, or ``None`` when it passes."""

    text: str
    check: Callable[[dict], str | None]
    max_share: float = MAX_EXCLUDED_SHARE


def convergence_cell_rule(tolerance: float, max_share: float = MAX_EXCLUDED_SHARE) -> CellRule:
    """Would more optimisation move this point? A cell counts when its running-best validation
    loss moved by <= ``tolerance`` in log over the last doubling of its step budget (steps T/2 to
    T: ``val_tail_dlog``; after a kept full-batch polish, the last half of the polish's own
    iterations), a conservative stand-in for training twice as long. It reads the
    validation curve, never the test loss that is fitted, and judges each cell alone, so adding
    replicates does not make a size harder to keep (an all-or-nothing rule passes n replicates
    with probability p^n)."""

    def check(row):
        test = row.get("test_loss", np.nan)
        if not (np.isfinite(test) and test > 0):
            return "non-finite or zero test loss"
        moved = row.get("val_tail_dlog", np.nan)
        if not np.isfinite(moved):
            return "no validation curve to judge convergence"
        if moved > tolerance:
            return f"not converged (validation loss fell {moved:.3f} in log over the last doubling)"
        return None

    text = (
        f"a cell counts when its running-best validation loss fell by <= {tolerance:g} in log over "
        f"the last doubling of its step budget; no verdict when more than {max_share:.0%} of the "
        "window's cells fail"
    )
    return CellRule(text, check, max_share)


def interpolation_rule(interpolation_ratio: float, min_params_per_point: float) -> SizeRule:
    """Data scaling: every replicate has train <= ratio x test (it interpolates) and P >= k x D."""

    def check(size, rows):
        test, train, params = (_column(rows, k) for k in ("test_loss", "train_loss", "n_params"))
        ratio = np.where(test > 0, train / np.maximum(test, 1e-300), np.inf)
        failures = [
            (
                not np.all(ratio <= interpolation_ratio),
                f"train/test up to {np.max(ratio):.2g} > {interpolation_ratio:g} "
                "(not interpolating)",
            ),
            (
                not np.all(params >= min_params_per_point * size),
                f"P/D = {params[0] / size:.1f} < {min_params_per_point:g}",
            ),
        ]
        info = {
            "size": int(size),
            "test_loss_mean": _geo_mean(test),
            "train_loss_mean": _geo_mean(train),
            "max_train_test_ratio": float(np.max(ratio)),
            "params_per_point": float(params[0] / size),
        }
        return _judge(test, failures, info)

    text = (
        f"longest run of sizes where every seed has train <= {interpolation_ratio:g} x test "
        f"and P >= {min_params_per_point:g} x D"
    )
    return SizeRule(text, check)


def convergence_rule(window: float, tolerance: float, *, phased: bool = False) -> SizeRule:
    """Model scaling: every replicate's loss curve has converged (``training.convergence``).

    Rows carry ``converged`` and ``late_drop`` computed from the stored validation curve (from its
    final phase when training runs in phases: ``phased``).
    """
    of = "of the final phase of training" if phased else "of training"

    def check(size, rows):
        test, drops = _column(rows, "test_loss"), _column(rows, "late_drop", np.nan)
        conv = [bool(r["converged"]) for r in rows]
        worst = float(np.max(drops[np.isfinite(drops)])) if np.isfinite(drops).any() else np.nan
        why = (
            f"not converged (loss still fell {worst:.0%} over the last {window:g} {of} > "
            f"{tolerance:g})"
            if np.isfinite(worst)
            else f"not converged (too few evaluations in the last {window:g} {of} to judge)"
        )
        info = {
            "size": int(size),
            "width": int(rows[0].get("width", 0)),
            "test_loss_mean": _geo_mean(test),
            "late_drop_max": worst,
            "converged": conv,
        }
        return _judge(test, [(not all(conv), why)], info)

    text = (
        "longest run of widths at which every seed converged (running-best validation loss fell "
        f"by <= {tolerance:g} over the last {window:g} {of})"
    )
    return SizeRule(text, check)


def points_per_param_rule(min_ratio: float) -> SizeRule:
    """Variance-limited: D >= ``min_ratio`` x P at every replicate (the model cannot interpolate)."""

    def check(size, rows):
        test, p = _column(rows, "test_loss"), float(rows[0]["n_params"])
        info = {
            "size": int(size),
            "test_loss_mean": float(np.mean(test)),
            "train_loss_mean": float(np.mean(_column(rows, "train_loss"))),
            "in_fit": bool(size >= min_ratio * p),
        }
        return _judge(test, [(size < min_ratio * p, f"D/P = {size / p:.1f} < {min_ratio:g}")], info)

    return SizeRule(f"every size with D >= {min_ratio:g} x P", check)


def reference_rule(length_scale: float | None = None) -> SizeRule:
    """A reference learner interpolates its training set exactly: every size with finite losses
    (and, given ``length_scale``, whose spacing resolves the teacher: the same design rule as the
    network's)."""

    def check(size, rows):
        test = _column(rows, "test_loss")
        return _judge(
            test, [_unresolved(rows, length_scale)],
            {"size": int(size), "test_loss_mean": _geo_mean(test)},
        )  # fmt: skip

    extra = "" if length_scale is None else ", the spacing below the teacher's length scale"
    return SizeRule(f"every size with finite losses{extra} (the learner interpolates)", check)


def config_cell_ok(rule: CellRule, row: dict) -> bool:
    return rule.check(row) is None
