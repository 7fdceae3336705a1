"""Plain-text verdict tables for the terminal and the README, from a study's verdicts.

They take typed results: a :class:`~manifold_scaling.studies.protocol.StudySummary`
(``load_summary(path)``, or ``StudySummary.from_dict`` of a summary held as a dict) or a list
of :class:`~manifold_scaling.studies.verdict.Verdict`.
"""

from __future__ import annotations

from .studies.findings import PooledExponent
from .studies.verdict import Verdict, render_pooled

_ORDER = {"network": 0, "simplex": 1, "kernel": 2}


def _fmt(x, spec=".2f"):
    return "–" if x is None or x != x else format(x, spec)


def _verdicts(summary) -> list[Verdict]:
    results = getattr(summary, "results", summary)
    if isinstance(results, dict) or not all(isinstance(r, Verdict) for r in results):
        raise TypeError(
            "takes a StudySummary (load_summary(path), StudySummary.from_dict(summary)) or a "
            f"list of Verdicts, not {type(summary).__name__} of dicts"
        )
    return list(results)


def verdict_table(summary, *, alpha_name: str = "α_D") -> str:
    """A markdown table, network rows first: alpha on the test set it is read on, its interval
    over replicates, the band it is read against, the equivalence call, window and reading."""
    verdicts = _verdicts(summary)
    learners = any(v.learner for v in verdicts)
    if learners:  # the decisive rows (the network's) first, then each learner's
        verdicts = sorted(verdicts, key=lambda v: (_ORDER.get(v.learner or "network", 3), v.d))
    # Rows of one d that differ by a study's setting (a teacher's nu, a budget fraction) say it.
    settings = [_setting(v) for v in verdicts]
    varied = len(set(settings)) > 1
    lines = [
        f"| d |{' setting |' if varied else ''}{' learner |' if learners else ''} {alpha_name} | "
        "90 % interval | replicates | read against (band) | agreement | fit window (decades) | "
        "reading |",
        "|---|" + ("---|" if varied else "") + ("---|" if learners else "")
        + "---|---|---|---|---|---|---|",
    ]  # fmt: skip
    for v, setting in zip(verdicts, settings):
        ci = v.alpha_ci
        win = (
            f"{v.fit_window[0]:g}–{v.fit_window[1]:g} ({v.window_decades:.2f})"
            if v.fit_window
            else "none"
        )
        interval = f"[{_fmt(ci[0])}, {_fmt(ci[1])}]" if ci else "–"
        band = v.predicted_band
        against = f"{v.agreements[0].target} ([{band[0]:.2f}, {band[1]:.2f}])" if band else "–"
        call = v.agreement.value if v.agreement is not None else "no test"
        n = len(v.alpha_replicates) or ("1" if v.alpha is not None else "–")
        lines.append(
            f"| {v.d:g} |{' ' + setting + ' |' if varied else ''}"
            f"{' ' + (v.learner or '') + ' |' if learners else ''} "
            f"{_fmt(v.alpha)} | {interval} | {n} | {against} | {call} | {win} | {v.reading} |"
        )
    pooled = _pooled(summary)
    if pooled is not None or (learners and "pooled" in _fields(summary)):
        lines += ["", render_pooled(pooled)]
    return "\n".join(lines)


def _setting(v: Verdict) -> str:
    """What besides d and the learner sets a row apart: its settings (``nu = 0.5``), or its
    budget fraction (shown only when the rows' fractions differ)."""
    parts = [
        f"{'ν' if k == 'nu' else k} = {val:g}" if isinstance(val, int | float) else f"{k} = {val}"
        for k, val in (v.settings or {}).items()
        if k != "d"
    ]
    if not parts and v.budget_fraction is not None:
        parts = [f"budget × {v.budget_fraction:g}"]
    return ", ".join(parts)


def _fields(summary) -> dict:
    return getattr(summary, "fields", None) or {}


def _pooled(summary) -> PooledExponent | None:
    data = _fields(summary).get("pooled")
    if isinstance(data, PooledExponent):
        return data
    return PooledExponent.from_dict(data) if data else None


def local_slope_table(summary) -> str:
    """Local slopes per d, as the size doubles (the diagnostic every exponent needs beside it)."""
    lines = []
    for v in _verdicts(summary):
        ls = v.local_slopes or {}
        pairs = ", ".join(
            f"{lo:g}→{hi:g}: {_fmt(s)}"
            for lo, hi, s in zip(
                ls.get("sizes_lo", []), ls.get("sizes_hi", []), ls.get("slopes", [])
            )
        )
        who = f" {v.learner}" if v.learner else ""
        lines.append(f"d={v.d:g}{who} (prediction {v.predicted_alpha:.2f}): {pairs}")
    return "\n".join(lines)
