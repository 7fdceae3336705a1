"""One verdict type for every fitted exponent of every study, and the analysis that fills it.

A measured exponent means something only inside one regime (Bahri et al. 2021, Sec. 2, Table 1), so
every study decides by rules stated in advance which points may enter the fit: per size
(:class:`SizeRule`: the design, e.g. P >= 4 D for data scaling; convergence for model scaling) and,
for data scaling, per cell (replicate, size) (:func:`convergence_cell_rule`: would more optimisation
move the point?). It fits inside the longest passing run of sizes (``fitting.fit_in_window``) and
reads the exponent against *its own teacher's* prediction by an equivalence call
(``studies.findings``). The findings are typed; ``findings.render`` is the one place they become
words.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from .. import keys
from ..errors import InputError
from ..fitting import LocalSlopes, WindowedFit, fit_in_window, fit_power_law, select_window
from .base import teacher_summary
from .findings import (
    AGREEMENT_BAND,
    CONTRAST_MARGIN,
    MAX_EXCLUDED_SHARE,
    Agreement,
    AgreementFinding,
    CellsFinding,
    Contrast,
    Exponent,
    Mechanism,
    MechanismCall,
    PooledExponent,
    Resolution,
    WindowFinding,
    equivalence,
    margin_band,
    render,
)

__all__ = [
    "TOLERANCE",
    "CellRule",
    "SizeCheck",
    "SizeRule",
    "Verdict",
    "analyse_curve",
    "analyse_data_scaling",
    "analyse_dims",
    "analyse_learners",
    "convergence_cell_rule",
    "convergence_rule",
    "design_rule",
    "interpolation_rule",
    "paired_contrast",
    "paired_difference",
    "points_per_param_rule",
    "pooled_exponent",
    "read_exponent",
    "read_mechanism",
    "resolution",
]

#: alpha / prediction inside this band is read as equivalent to the prediction (stated in advance).
TOLERANCE = AGREEMENT_BAND

# Fields only some studies fill; written at the top level of ``summary.json`` rows when set.
_STUDY_FIELDS = (
    "variant", "settings", "nu", "budget_fraction", "wall_time_s", "projected_full_budget_s",
    "layer_id_twonn_median", "layer_id_mle_median", "floor", "floor_ci", "resolution_alpha",
    "reference_loss", "n_params", "contrast", "interval_covers", "d_hat", "d_hat_ci",
    "predicted_alpha_range", "satisfies_bound", "accuracy_by_size",
)  # fmt: skip


@dataclass(frozen=True)
class Verdict:
    """The verdict on one exponent: its fit, window, prediction, typed findings and reading.

    ``d`` is the intrinsic dimension (measured, and so fractional, for real data). The reading is
    rendered from the findings (``findings.render``) and never edited afterwards. ``agreements``
    are the equivalence calls against this row's own predictions (the first is the primary one:
    ``agreement`` and ``predicted_band`` in ``summary.json``); ``alternate`` is the exponent on
    the other test set and ``sensitivity`` the fit on every cell (both diagnostics).
    """

    d: float
    alpha: float | None
    alpha_ci: tuple[float, float] | None
    predicted_alpha: float
    ratio: float | None
    fit_window: tuple[float, float] | None
    window_decades: float
    reading: str = ""
    consistent: bool = False
    within_tolerance: bool = False
    diagnostics: dict = field(default_factory=dict)
    fit: dict | None = None
    local_slopes: dict = field(default_factory=dict)
    teacher: dict = field(default_factory=dict)
    alpha_spread: float | None = None  # SD of the per-replicate exponents
    alpha_replicates: tuple[float, ...] = ()
    interval: str | None = None  # how alpha_ci was made (see fitting.fit_power_law)
    axis: str = "D"
    learner: str | None = None
    test_set: str = "full"
    predicted: dict | None = None  # each theory's prediction for this teacher (point, range)
    agreements: tuple[AgreementFinding, ...] = ()
    resolution: Resolution | None = None
    mechanism: Mechanism | None = None
    cells: CellsFinding | None = None
    window: WindowFinding | None = None
    alternate: Exponent | None = None
    sensitivity: Exponent | None = None
    # study-specific measurements (see _STUDY_FIELDS)
    variant: str | None = None
    settings: dict | None = None
    nu: float | None = None
    budget_fraction: float | None = None
    wall_time_s: float | None = None
    projected_full_budget_s: float | None = None
    layer_id_twonn_median: float | None = None
    layer_id_mle_median: float | None = None
    floor: float | None = None
    floor_ci: tuple[float, float] | None = None
    resolution_alpha: float | None = None
    reference_loss: float | None = None
    n_params: int | None = None
    contrast: dict | None = None
    interval_covers: str | None = None
    d_hat: float | None = None
    d_hat_ci: tuple[float, float] | None = None
    predicted_alpha_range: tuple[float, float] | None = None
    satisfies_bound: bool | None = None
    accuracy_by_size: dict | None = None

    @property
    def agreement(self) -> Agreement | None:
        """The primary equivalence call (None when the row is no test: no exponent, no
        verdict, not resolution-limited)."""
        if not self.agreements or not self.is_test:
            return None
        return self.agreements[0].call

    @property
    def predicted_band(self) -> tuple[float, float] | None:
        return self.agreements[0].band if self.agreements else None

    @property
    def is_test(self) -> bool:
        """Whether the row can be read against its prediction at all."""
        if self.alpha is None or self.alpha_ci is None:
            return False
        if self.cells is not None and self.cells.no_verdict:
            return False
        return not (self.resolution is not None and self.resolution.resolved is False)

    def rendered(self) -> Verdict:
        """This verdict with its reading and boolean summaries derived from the findings."""
        agreement = self.agreement
        band = self.predicted_band
        within = bool(
            band is not None and self.alpha is not None and band[0] <= self.alpha <= band[1]
        )
        return replace(
            self,
            reading=render(self),
            consistent=agreement is Agreement.CONSISTENT,
            within_tolerance=within and bool(self.window is None or self.window.spans_min),
        )

    def to_dict(self) -> dict:
        out = {}
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if f.name in _STUDY_FIELDS:
                if v is not None:
                    out[f.name] = list(v) if isinstance(v, tuple) else v
                continue
            if hasattr(v, "to_dict"):
                v = v.to_dict()
            elif isinstance(v, tuple):
                v = [x.to_dict() if hasattr(x, "to_dict") else x for x in v]
            out[f.name] = v
        agreement = self.agreement
        out["agreement"] = agreement.value if agreement is not None else None
        out["predicted_band"] = list(self.predicted_band) if self.predicted_band else None
        out["mechanism_call"] = self.mechanism.call.value if self.mechanism else None
        # aliases of the fields these replaced (summary.json is a public contract)
        if self.test_set == "interior":
            out["alpha_interior"] = self.alpha
            out["alpha_interior_ci"] = list(self.alpha_ci) if self.alpha_ci else None
        if self.mechanism is not None:
            out["paired"] = {
                c.learner: {
                    "mean": c.mean,
                    "ci": list(c.interval) if c.interval else None,
                    "n": c.n,
                }  # fmt: skip
                for c in self.mechanism.contrasts
            }
        return out

    @classmethod
    def from_dict(cls, data: dict) -> Verdict:
        """Inverse of :meth:`to_dict` (unknown keys are ignored)."""
        kw = {}
        for f in dataclasses.fields(cls):
            if f.name not in data:
                continue
            v = data[f.name]
            typed = _TYPED.get(f.name)
            if typed is not None and not isinstance(v, dict | list):
                v = None  # a summary written before the field was typed (a plain label)
            if typed is not None and v is not None:
                v = (
                    tuple(typed.from_dict(x) for x in v)
                    if f.name == "agreements"
                    else typed.from_dict(v)
                )
            elif isinstance(v, list) and f.name not in ("settings",):
                v = tuple(v)
            kw[f.name] = v
        for k in ("d", "alpha", "alpha_ci", "predicted_alpha", "ratio", "fit_window"):
            kw.setdefault(k, None)
        kw.setdefault("window_decades", 0.0)
        return cls(**kw)


_TYPED = {
    "agreements": AgreementFinding,
    "resolution": Resolution,
    "mechanism": Mechanism,
    "cells": CellsFinding,
    "window": WindowFinding,
    "alternate": Exponent,
    "sensitivity": Exponent,
}


def read_exponent(
    alpha: float | None,
    ci: tuple[float, float] | None,
    predicted: float,
    window,
    sizes: Sequence[float],
    passes: Sequence[bool],
    *,
    axis: str = "D",
    tolerance: tuple[float, float] = TOLERANCE,
    predicted_range: tuple[float, float] | None = None,
    target: str | None = None,
    interval: str | None = None,
) -> tuple[str, bool, bool]:
    """The reading of one exponent against its prediction, as ``(text, consistent, within)``.

    ``consistent`` only when the whole interval lies inside the band ``tolerance`` x the
    prediction's range (an equivalence call, ``findings.equivalence``); ``within`` when the point
    estimate does and the window spans its minimum decades. ``window`` is a ``fitting.FitWindow``.
    """
    prange = tuple(predicted_range or (predicted, predicted))
    finding = AgreementFinding(
        target or _TARGETS.get(axis, "the prediction"),
        prange,
        margin_band(prange, tolerance),
        equivalence(ci, margin_band(prange, tolerance)),
    )
    v = Verdict(
        d=float("nan"), alpha=alpha, alpha_ci=tuple(ci) if ci else None,
        predicted_alpha=predicted, ratio=None if alpha is None else alpha / predicted,
        fit_window=None, window_decades=float(window.decades), axis=axis, interval=interval,
        test_set="",
        agreements=(finding,), window=_window_finding(window, sizes, passes),
    ).rendered()  # fmt: skip
    return v.reading, v.consistent, v.within_tolerance


_TARGETS = {"D": "4/d", "N": "4/d", "real": "4/d_hat", "variance": "D^-1"}


def _window_finding(window, sizes, passes) -> WindowFinding:
    hi, lo = window.hi, window.lo
    above = tuple(float(s) for s, p in zip(sizes, passes) if not p and hi and s > hi)
    below = tuple(float(s) for s, p in zip(sizes, passes) if not p and lo and s < lo)
    n = 0 if lo is None else int(sum(lo <= s <= hi for s in sizes))
    return WindowFinding(lo, hi, float(window.decades), float(window.min_decades), window.rule,
                         above, below, n)  # fmt: skip


# --- size rules -----------------------------------------------------------------------------------


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
    T: ``val_tail_dlog``), a conservative stand-in for training twice as long. It reads the
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


# --- the one analysis of a curve ------------------------------------------------------------------


def _no_fit(sizes, reasons, rule_text, min_decades, why):
    """A windowed fit with nothing in the window (what a curve with no usable loss gets)."""
    empty = np.zeros(0)
    window = select_window(
        sizes, np.zeros(len(sizes), bool), reasons={**{float(s): why for s in sizes}, **reasons},
        min_decades=min_decades, rule_text=rule_text,
    )  # fmt: skip
    return WindowedFit(window, None, LocalSlopes(empty, empty, empty, empty, None))


def _in_window(sizes, window) -> np.ndarray:
    if window.lo is None:
        return np.zeros(len(sizes), bool)
    return (sizes >= window.lo) & (sizes <= window.hi)


def _cells(rows, sizes, window, cell_rule: CellRule | None, size_key, replicate_key):
    """Which observations inside the window count: ``(mask, CellsFinding | None)``."""
    inside = _in_window(sizes, window)
    if cell_rule is None:
        return inside, None
    keep, excluded = inside.copy(), []
    for i in np.flatnonzero(inside):
        why = cell_rule.check(rows[i])
        if why is not None:
            keep[i] = False
            excluded.append(f"{rows[i][replicate_key]}@{rows[i][size_key]:g}: {why}")
    n_cells = int(inside.sum())
    finding = CellsFinding(n_cells, len(excluded), cell_rule.max_share, cell_rule.text,
                           tuple(excluded))  # fmt: skip
    return keep, finding


#: The per-replicate fit's loss: summed Huber in log space with this delta (``fitting``). Chosen
#: by ``benchmarks/interval_coverage.py --pipeline`` (coverage through the cell rule, 400 studies
#: per row): with selection, 90 % intervals cover alpha 0.886-0.923 and the contrast 0.876-0.904
#: (least squares, delta 1e3: 0.886-0.904 and 0.876-0.904), so no reason to change it.
HUBER_DELTA = 1e-3


def _fit(
    sizes, losses, groups, mask, *, key, with_floor, n_bootstrap, ci, min_sizes=3,
    huber_delta=None,
):  # fmt: skip
    """``fit_power_law`` on the masked observations, or None when too few remain."""
    m = mask & np.isfinite(losses) & (losses > 0)
    if np.unique(sizes[m]).size < min_sizes:
        return None
    try:
        return fit_power_law(
            sizes[m], losses[m], key=key, groups=None if groups is None else groups[m],
            with_floor=with_floor, n_bootstrap=n_bootstrap, ci=ci,
            huber_delta=HUBER_DELTA if huber_delta is None else huber_delta,
        )  # fmt: skip
    except InputError:
        return None


def analyse_curve(
    d: float,
    rows: list[dict],
    rule: SizeRule,
    *,
    predicted: float,
    key,
    predicted_range: tuple[float, float] | None = None,
    target: str | None = None,
    more_agreements: Sequence[tuple[str, tuple[float, float]]] = (),
    band: tuple[float, float] = TOLERANCE,
    cell_rule: CellRule | None = None,
    size_key: str = "n_train",
    replicate_key: str = "seed",
    loss_key: str = "test_loss",
    alternate_key: str | None = None,
    test_set: str = "",
    axis: str = "D",
    min_decades: float = 1.0,
    with_floor: bool = False,
    n_bootstrap: int = 1000,
    ci: float = 0.9,
    teacher: dict | None = None,
    diagnostics: dict | None = None,
    theories: dict | None = None,
    **fields,
) -> Verdict:
    """Size rule -> window -> cell rule -> fit (intervals over replicates) -> findings, one curve.

    ``rows``: one dict per trial with ``size_key``, ``replicate_key`` and ``loss_key`` (plus what
    the rules read). Replicates are what a repetition of the study would redraw (teacher, data,
    initialisation), so the interval is taken over them (``fitting.fit_power_law``); a replicate
    keeps the cells that pass and is fitted on those. The primary agreement is against
    ``predicted_range`` (default: the point ``predicted``) widened by ``band``;
    ``more_agreements`` adds ``(target, range)`` calls; ``theories`` is every theory's prediction
    for this teacher (the row's ``predicted``). ``fields`` are further ``Verdict`` fields.
    """
    sizes = np.array([r[size_key] for r in rows], float)
    losses = np.array([r.get(loss_key, np.nan) for r in rows], float)
    groups = np.array([r[replicate_key] for r in rows])
    uniq = np.unique(sizes)
    passes, reasons, per_size = [], {}, []
    for s in uniq:
        checked = rule.check(float(s), [r for r, m in zip(rows, sizes == s) if m])
        passes.append(checked.passes)
        if checked.why:
            reasons[float(s)] = "; ".join(checked.why)
        per_size.append(checked.info)
    k_fit, k_all, k_alt = keys.split_key(key, 3)
    try:
        wf = fit_in_window(
            sizes, losses, passes, key=key, groups=groups, reasons=reasons, rule_text=rule.text,
            min_decades=min_decades, with_floor=with_floor, n_bootstrap=n_bootstrap, ci=ci,
        )  # fmt: skip
    except InputError as err:  # e.g. no finite loss at all: a verdict without an exponent
        wf = _no_fit(uniq, reasons, rule.text, min_decades, f"no fit ({err})")
        passes = [False] * len(uniq)
    window = wf.window
    keep, cells = _cells(rows, sizes, window, cell_rule, size_key, replicate_key)
    common = dict(with_floor=with_floor, n_bootstrap=n_bootstrap, ci=ci)
    fit = wf.fit if cell_rule is None else _fit(sizes, losses, groups, keep, key=k_fit, **common)
    if cells is not None:
        in_window = {rows[i][replicate_key] for i in np.flatnonzero(_in_window(sizes, window))}
        kept = 0 if fit is None else (fit.n_replicates or 1)
        dropped = 0 if fit is None else len(fit.replicates_dropped or {})
        cells = replace(cells, replicates_dropped=dropped, n_replicates=len(in_window),
                        replicates_kept=kept)  # fmt: skip
    sensitivity = alternate = None
    if cell_rule is not None and window.lo is not None:
        inside = (sizes >= window.lo) & (sizes <= window.hi)
        every = _fit(sizes, losses, groups, inside, key=k_all, **common)
        if every is not None:
            sensitivity = Exponent(every.alpha, _tuple(every.alpha_ci), every.n_replicates or 1,
                                   "all cells")  # fmt: skip
    if alternate_key is not None and fit is not None:
        other = np.array([r.get(alternate_key, np.nan) for r in rows], float)
        mask = keep if cell_rule is not None else (sizes >= window.lo) & (sizes <= window.hi)
        alt = _fit(sizes, other, groups, mask, key=k_alt, **common)
        if alt is not None:
            alternate = Exponent(alt.alpha, _tuple(alt.alpha_ci), alt.n_replicates or 1,
                                 "full" if test_set == "interior" else "interior")  # fmt: skip
    if cells is not None and cells.no_verdict:
        fit_shown = None
    else:
        fit_shown = fit
    alpha = fit_shown.alpha if fit_shown is not None else None
    alpha_ci = _tuple(fit_shown.alpha_ci) if fit_shown is not None else None
    prange = tuple(predicted_range or (predicted, predicted))
    calls = [(target or _TARGETS.get(axis, "the prediction"), prange), *more_agreements]
    agreements = tuple(
        AgreementFinding(
            t, tuple(r), margin_band(r, band), equivalence(alpha_ci, margin_band(r, band))
        )
        for t, r in calls
    )
    return Verdict(
        d=d,
        alpha=alpha,
        alpha_ci=alpha_ci,
        predicted_alpha=predicted,
        ratio=None if alpha is None else alpha / predicted,
        fit_window=(window.lo, window.hi) if window.lo is not None else None,
        window_decades=float(window.decades),
        diagnostics={
            "per_size": per_size,
            "window_rule": window.rule,
            "excluded": window.to_dict()["excluded"],
            "n_trials": len(rows),
            **(diagnostics or {}),
        },
        fit=fit.to_dict() if fit else None,
        local_slopes=wf.slopes.to_dict(),
        teacher=teacher or {},
        alpha_spread=getattr(fit_shown, "alpha_spread", None),
        alpha_replicates=tuple(getattr(fit_shown, "alpha_replicates", None) or ()),
        interval=(getattr(fit_shown, "interval", None) or fit_shown.bootstrap)
        if fit_shown
        else None,
        axis=axis,
        test_set=test_set,
        agreements=agreements,
        cells=cells,
        window=_window_finding(window, uniq, passes),
        alternate=alternate,
        sensitivity=sensitivity,
        predicted=theories,
        **fields,
    ).rendered()


def _tuple(ci):
    return None if ci is None else (float(ci[0]), float(ci[1]))


def analyse_dims(
    config, rows: list[dict], reps: dict, rule: SizeRule, *, key_path=(), **kwargs
) -> list[Verdict]:
    """:func:`analyse_curve` for every d of a study ``config`` (a ``StudyConfig``) with the rule
    ``rule``; ``reps`` holds each d's replicates (their teachers go into the verdict)."""
    return [
        analyse_curve(
            d,
            [r for r in rows if r["d"] == d],
            rule,
            predicted=config.predicted_alpha(d),
            key=keys.analysis_key(config.seed, *key_path, d),
            min_decades=config.min_decades,
            with_floor=config.with_floor,
            n_bootstrap=config.n_bootstrap,
            ci=config.ci,
            band=getattr(config, "agreement_band", TOLERANCE),
            teacher=teacher_summary(reps[d]),
            **kwargs,
        )
        for d in config.dims
    ]


#: The loss each learner's exponent is fitted to. ``test_loss`` is the network's loss on the full
#: test set, ``test_loss_interior`` on the points where every learner is defined (inside the
#: smallest training set's hull when the simplex runs); the learners' losses are on those points.
LOSS_KEYS = {"network": "test_loss", "simplex": "simplex_test_loss", "kernel": "kernel_test_loss"}


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


def resolution(rows: list[dict], teacher: dict, size: float | None = None) -> Resolution:
    """The resolution diagnostic, stated in advance and the same for every d: the median
    nearest-neighbour spacing of the training points against the length scale of the teacher's
    nonlinear part (mean over replicates). Sizes that fail it never enter a window (the design
    rule), so it is read at the window's smallest D (``size``) when there is a window, and at
    the largest D when there is none."""
    rule = (
        "resolution-limited needs the median nearest-neighbour spacing at every D of the window "
        "below the length scale of the teacher's nonlinear part"
    )
    sizes = [r["n_train"] for r in rows if "nn_spacing" in r]
    length = teacher.get("length_scale")
    if not sizes or length is None or not np.isfinite(length):
        return Resolution(None, rule="no spacing or length scale recorded")
    at = max(sizes) if size is None else size
    spacing = [r["nn_spacing"] for r in rows if r["n_train"] == at and "nn_spacing" in r]
    if not spacing:
        return Resolution(None, rule="no spacing recorded at that D")
    s = float(np.median(spacing))
    return Resolution(bool(s < float(length)), int(at), s, float(length), rule)


def paired_contrast(
    a: dict, b: dict, *, learner: str, margin: float, ci: float = 0.9
) -> Contrast | None:
    """Mean per-replicate difference ``a - b`` of two learners' exponents on the same data, with
    its Student-t interval, and its equivalence call against ``[-margin, margin]``: the
    like-for-like comparison (same teacher, training sets and test points) in which the teacher's
    own slope cancels."""
    from scipy.stats import t

    common = [k for k in a if k in b and np.isfinite(a[k]) and np.isfinite(b[k])]
    if len(common) < 2:
        return None
    diffs = np.array([a[k] - b[k] for k in common])
    half = float(t.ppf((1 + ci) / 2, diffs.size - 1) * diffs.std(ddof=1) / np.sqrt(diffs.size))
    mean = float(diffs.mean())
    interval = (mean - half, mean + half)
    call = equivalence(interval, (-margin, margin))
    return Contrast(learner, mean, interval, int(diffs.size), float(margin), call)


def paired_difference(a: dict, b: dict, ci: float = 0.9) -> dict | None:
    """:func:`paired_contrast` as ``{"mean", "ci", "n"}`` (no margin)."""
    c = paired_contrast(a, b, learner="", margin=math.inf, ci=ci)
    return None if c is None else {"mean": c.mean, "ci": list(c.interval), "n": c.n}


def _overlap(r1, r2) -> bool:
    return max(min(r1), min(r2)) <= min(max(r1), max(r2)) + 1e-12


def read_mechanism(contrasts: Sequence[Contrast], predictions: dict) -> Mechanism:
    """The mechanism call from the paired contrasts network - learner (their equivalence calls).

    Where this teacher's piecewise-linear and kernel predictions overlap, no call is made (*not
    identifiable at this teacher*). Otherwise the network *matches* a learner when its contrast
    with it is equivalent to 0 and its contrast with the other is not (wholly outside the
    margin); *neither* when both are wholly outside; *not identifiable* when both are
    equivalent (the learners agree on these data); else *undetermined*.
    """
    by = {c.learner: c for c in contrasts}
    pl, kr = predictions.get("piecewise_linear_range"), predictions.get("kernel_range")
    if pl is not None and kr is not None and _overlap(pl, kr):
        why = (
            f"the piecewise-linear [{min(pl):.2f}, {max(pl):.2f}] and kernel "
            f"[{min(kr):.2f}, {max(kr):.2f}] predictions overlap at this teacher"
        )
        return Mechanism(MechanismCall.NOT_IDENTIFIABLE, tuple(contrasts), why)
    s, k = by.get("simplex"), by.get("kernel")
    C, I = Agreement.CONSISTENT, Agreement.INCONSISTENT  # noqa: E741, N806
    if s is not None and k is not None:
        if s.call is C and k.call is C:
            why = "the simplex and Laplace learners agree on these data"
            return Mechanism(MechanismCall.NOT_IDENTIFIABLE, tuple(contrasts), why)
        if s.call is C and k.call is I:
            return Mechanism(MechanismCall.SIMPLEX, tuple(contrasts))
        if k.call is C and s.call is I:
            return Mechanism(MechanismCall.LAPLACE, tuple(contrasts))
        if s.call is I and k.call is I:
            return Mechanism(MechanismCall.NEITHER, tuple(contrasts))
    return Mechanism(MechanismCall.UNDETERMINED, tuple(contrasts))


def _replicate_alphas(rows, loss_key, mask, key, common) -> dict[str, float]:
    """Per-replicate exponents of ``loss_key`` on the masked cells (label -> alpha)."""
    sizes = np.array([r["n_train"] for r in rows], float)
    losses = np.array([r.get(loss_key, np.nan) for r in rows], float)
    groups = np.array([r["seed"] for r in rows])
    fit = _fit(sizes, losses, groups, mask, key=key, with_floor=False,
               n_bootstrap=common["n_bootstrap"], ci=common["ci"])  # fmt: skip
    if fit is None or not fit.replicate_labels:
        return {}
    return dict(zip(map(str, fit.replicate_labels), fit.alpha_replicates or ()))


def analyse_learners(
    config, rows: list[dict], reps: dict, learners: dict, *, key_path=()
) -> list[Verdict]:
    """Data-scaling verdicts per (d, learner) on the same training sets.

    The network's row is read on the interior test points where the simplex runs (the full set
    otherwise; the other is its ``alternate``), against its own teacher's predictions
    (piecewise-linear first, then the kernel band); cells count by the convergence cell rule. The
    reference learners' rows are read against their own theory. The mechanism comes from the
    paired contrasts network - learner over the network's cells. ``learners[d]`` lists the
    learners that ran at ``d``.
    """
    out = []
    band = config.agreement_band
    for d in config.dims:
        rows_d = [r for r in rows if r["d"] == d]
        teacher = teacher_summary(reps[d])
        predicted = predictions_for(config, d)
        common = dict(
            predicted=config.predicted_alpha(d), min_decades=config.min_decades,
            with_floor=config.with_floor, n_bootstrap=config.n_bootstrap, ci=config.ci,
            teacher=teacher, band=band, learner=None, theories=predicted,
        )  # fmt: skip
        interior = "simplex" in learners[d] and all("test_loss_interior" in r for r in rows_d)
        for i, name in enumerate(learners[d]):
            key = keys.analysis_key(config.seed, *key_path, d, *((i,) if i else ()))
            kw = {**common, "learner": name}
            if name == "network":
                net = _network_verdict(config, d, rows_d, learners[d], predicted, interior, key, kw)
                out.append(net)
                continue
            lrows = [{**r, "test_loss": r[LOSS_KEYS[name]]} for r in rows_d]
            theory = "piecewise_linear" if name == "simplex" else "kernel"
            target = "the piecewise-linear rate" if name == "simplex" else "the kernel band"
            ref = analyse_curve(
                d,
                lrows,
                reference_rule(teacher.get("length_scale")),
                key=key,
                axis="reference",
                test_set="interior" if interior else "full",
                target=target,
                predicted_range=tuple(predicted[f"{theory}_range"]),
                **{**kw, "predicted": predicted[theory]},
            )
            res = resolution(rows_d, teacher, ref.window.lo if ref.window else None)
            out.append(replace(ref, resolution=res).rendered())
    return out


def predictions_for(config, d: float) -> dict:
    """Each theory's prediction for this study's teacher at ``d``, scaled to the loss power (2p/d
    for |y - y_hat|^p; ``teachers.predicted_exponents`` states them for MSE)."""
    from ..teachers import predicted_exponents

    raw = predicted_exponents(config.teacher, d)
    scale = config.predicted_alpha(d) / (4.0 / d)
    out = {"teacher": raw["teacher"]}
    for theory in ("piecewise_linear", "kernel"):
        out[theory] = raw[theory] * scale
        out[f"{theory}_range"] = [v * scale for v in raw[f"{theory}_range"]]
    return out


def _range_text(r, d) -> str:
    lo, hi = min(r), max(r)
    if abs(hi - lo) < 1e-12:
        return f"{lo * d:.3g}/d"
    return f"{lo * d:.3g}/d-{hi * d:.3g}/d"


def _network_verdict(config, d, rows, learners, predicted, interior, key, kw) -> Verdict:
    """The network's row at one d: window, cells, exponent, agreements, resolution, mechanism."""
    size_rule = design_rule(config.min_params_per_point, kw["teacher"].get("length_scale"))
    cell_rule = convergence_cell_rule(config.convergence_tol, config.max_excluded_share)
    pl, kr = predicted["piecewise_linear_range"], predicted["kernel_range"]
    loss_key = "test_loss_interior" if interior else "test_loss"
    scored = [{**r, "test_loss_all": r["test_loss"], "test_loss": r.get(loss_key)} for r in rows]
    v = analyse_curve(
        d, scored, size_rule, key=key, cell_rule=cell_rule, loss_key="test_loss",
        alternate_key="test_loss_all" if interior else None,
        test_set="interior" if interior else "full",
        predicted_range=tuple(pl), target=f"the piecewise-linear {_range_text(pl, d)}",
        more_agreements=[(f"the kernel band {_range_text(kr, d)}", tuple(kr))], **kw,
    )  # fmt: skip
    lo = v.window.lo if v.window is not None else None
    res = resolution(rows, kw["teacher"], lo)
    mech = None
    others = [n for n in learners if n != "network"]
    if others and v.alpha is not None and v.alpha_ci is not None and res.resolved is not False:
        sizes = np.array([r["n_train"] for r in scored], float)
        keep = np.zeros(len(scored), bool)
        if lo is not None:
            keep = (sizes >= lo) & (sizes <= v.window.hi)
            keep &= np.array([config_cell_ok(cell_rule, r) for r in scored])
        common = {"n_bootstrap": config.n_bootstrap, "ci": config.ci}
        k_net, *k_refs = keys.split_key(key, 1 + len(others))
        net = _replicate_alphas(scored, "test_loss", keep, k_net, common)
        margin = CONTRAST_MARGIN if config.contrast_margin is None else config.contrast_margin
        margin *= config.predicted_alpha(d)
        contrasts = []
        for name, k in zip(others, k_refs):
            ref = _replicate_alphas(scored, LOSS_KEYS[name], keep, k, common)
            c = paired_contrast(net, ref, learner=name, margin=margin, ci=config.ci)
            if c is not None:
                contrasts.append(c)
        if contrasts:
            mech = read_mechanism(contrasts, predicted)
    return replace(v, resolution=res, mechanism=mech).rendered()


def config_cell_ok(rule: CellRule, row: dict) -> bool:
    return rule.check(row) is None


def pooled_exponent(
    verdicts: Sequence[Verdict], *, ci: float = 0.9, band=TOLERANCE
) -> PooledExponent | None:
    """One pooled test across d: alpha_d = kappa / d, so kappa_d = d x mean alpha_d.

    kappa is the mean of kappa_d over the dimensions that are tests (resolution-limited, with a
    verdict and >= 2 replicates), each d weighted alike; its variance is the sum of
    d^2 s_d^2 / n_d over d, divided by the number of d squared, with Welch-Satterthwaite degrees
    of freedom. It is read against d x the piecewise-linear prediction (4 for MSE on a smooth
    teacher; [3, 4] for a ReLU teacher).
    """
    from scipy.stats import t

    use = [v for v in verdicts if v.is_test and len(v.alpha_replicates) >= 2]
    if len(use) < 2:
        return None
    kappas, variances, dofs = [], [], []
    for v in use:
        a = np.asarray(v.alpha_replicates, float)
        kappas.append(v.d * a.mean())
        variances.append(v.d**2 * a.var(ddof=1) / a.size)
        dofs.append(a.size - 1)
    m = len(use)
    kappa = float(np.mean(kappas))
    var = float(np.sum(variances)) / m**2
    var_terms = np.asarray(variances) / m**2
    dof = var**2 / float(np.sum(var_terms**2 / np.asarray(dofs))) if var > 0 else sum(dofs)
    half = float(t.ppf((1 + ci) / 2, dof)) * math.sqrt(var)
    interval = (kappa - half, kappa + half)
    ranges = [np.asarray(v.agreements[0].predicted_range) * v.d for v in use]
    prange = (float(min(r.min() for r in ranges)), float(max(r.max() for r in ranges)))
    target = (
        "kappa = 4"
        if abs(prange[0] - prange[1]) < 1e-9
        else (f"kappa in [{prange[0]:.3g}, {prange[1]:.3g}]")
    )
    finding = AgreementFinding(target, prange, margin_band(prange, band),
                               equivalence(interval, margin_band(prange, band)))  # fmt: skip
    rule = (
        "alpha_d = kappa/d over the d that are tests (resolution-limited, with a verdict); equal "
        "weight per d, Welch-Satterthwaite degrees of freedom"
    )
    return PooledExponent(kappa, interval, tuple(float(v.d) for v in use),
                          int(sum(a.size for a in (np.asarray(v.alpha_replicates) for v in use))),
                          finding, rule)  # fmt: skip


def render_pooled(p: PooledExponent | None) -> str:
    """The pooled test in words (the same equivalence phrasing as every row)."""
    if p is None:
        return "pooled kappa: fewer than 2 dimensions are tests of 4/d: no pooled exponent"
    dims = ", ".join(f"{d:g}" for d in p.dims)
    f = p.agreement
    lo, hi = p.interval
    head = f"pooled over d = {dims}: kappa = alpha x d = {p.kappa:.2f} [{lo:.2f}, {hi:.2f}]"
    word = {
        Agreement.CONSISTENT: f"consistent with {f.target}: its interval lies inside",
        Agreement.INCONSISTENT: f"inconsistent with {f.target}: its interval lies outside",
        Agreement.UNDETERMINED: f"undetermined against {f.target}: its interval reaches outside",
    }[f.call]
    return f"{head}; {word} [{f.band[0]:.2f}, {f.band[1]:.2f}]"


def analyse_data_scaling(config, rows: list[dict], reps: dict, *, key_path=()) -> list[Verdict]:
    """Data-scaling verdicts (``config`` a ``DataScalingConfig``) from per-trial rows (dicts with
    d, n_train, seed, losses, n_params): one per (d, learner), :func:`analyse_learners`."""
    learners = {d: config.learners_at(d) for d in config.dims}
    return analyse_learners(config, rows, reps, learners, key_path=key_path)
