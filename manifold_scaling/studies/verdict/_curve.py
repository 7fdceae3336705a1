"""The one analysis of a curve: size rule -> window -> cell rule -> fit -> findings
(:func:`analyse_curve`), and the same for every d of a study (:func:`analyse_dims`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from ... import keys
from ...errors import InputError
from ...fitting import LocalSlopes, WindowedFit, fit_in_window, fit_power_law, select_window
from ..base import teacher_summary
from ..findings import AgreementFinding, CellsFinding, Exponent, equivalence, margin_band
from ._rules import CellRule, SizeRule
from ._verdict import _TARGETS, TOLERANCE, Verdict, _window_finding


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
    replicate_key: str | None = "seed",
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
    ``replicate_key=None`` fits one curve through every row (a loss table without groups): its
    interval covers the scatter about the curve, not a re-run.
    """
    sizes = np.array([r[size_key] for r in rows], float)
    losses = np.array([r.get(loss_key, np.nan) for r in rows], float)
    groups = None if replicate_key is None else np.array([r[replicate_key] for r in rows])
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
