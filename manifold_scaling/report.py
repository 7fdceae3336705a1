"""Plain-text verdict tables for the terminal and the README, from a study's verdicts."""

from __future__ import annotations

from .studies.verdict import Verdict


def _fmt(x, spec=".2f"):
    return "–" if x is None or x != x else format(x, spec)


def _verdicts(summary) -> list[Verdict]:
    results = summary.results if hasattr(summary, "results") else summary["results"]
    return [r if isinstance(r, Verdict) else Verdict.from_dict(r) for r in results]


def verdict_table(summary, *, alpha_name: str = "α_D") -> str:
    """A markdown table: one row per d (and learner) with alpha, interval, spread over replicates,
    the prediction it is read against (4/d for the network), ratio, window, teacher R^2, reading."""
    verdicts = _verdicts(summary)
    learners = any("learner" in v.extra for v in verdicts)
    lines = [
        f"| d |{' learner |' if learners else ''} {alpha_name} | 90 % interval | replicate SD | "
        "prediction | ratio | fit window (decades) | teacher R² | reading |",
        "|---|" + ("---|" if learners else "") + "---|---|---|---|---|---|---|---|",
    ]
    for v in verdicts:
        ci = v.alpha_ci
        win = (
            f"{v.fit_window[0]:g}–{v.fit_window[1]:g} ({v.window_decades:.2f})"
            if v.fit_window
            else "none"
        )
        interval = f"[{_fmt(ci[0])}, {_fmt(ci[1])}]" if ci else "–"
        lines.append(
            f"| {v.d:g} |{' ' + v.extra.get('learner', '') + ' |' if learners else ''} "
            f"{_fmt(v.alpha)} | {interval} | {_fmt(v.alpha_spread)} | "
            f"{v.predicted_alpha:.2f} | {_fmt(v.ratio)} | {win} | "
            f"{_fmt(v.teacher.get('linear_r2'))} | {v.reading} |"
        )
    return "\n".join(lines)


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
        who = f" {v.extra['learner']}" if "learner" in v.extra else ""
        lines.append(f"d={v.d:g}{who} (prediction {v.predicted_alpha:.2f}): {pairs}")
    return "\n".join(lines)
