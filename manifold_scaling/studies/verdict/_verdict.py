"""The typed ``Verdict`` of one fitted exponent, and its reading against a prediction
(:func:`read_exponent`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from ..findings import (
    AGREEMENT_BAND,
    Agreement,
    AgreementFinding,
    CellsFinding,
    Exponent,
    Mechanism,
    Resolution,
    WindowFinding,
    equivalence,
    margin_band,
    render,
)

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
