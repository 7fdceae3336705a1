"""Plain-text verdict tables for the terminal and the README."""

from __future__ import annotations


def _fmt(x, spec=".2f"):
    return "–" if x is None else format(x, spec)


def verdict_table(summary: dict, *, alpha_name: str = "α_D") -> str:
    """A markdown table: one row per d with alpha, interval, 4/d, ratio, window and reading."""
    lines = [
        f"| d | {alpha_name} | 90 % interval | 4/d | ratio | fit window (decades) | teacher R² | reading |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in summary["results"]:
        ci = r.get("alpha_ci")
        window = r.get("fit_window")
        win = (
            f"{window[0]:g}–{window[1]:g} ({r.get('window_decades', 0):.2f})" if window else "none"
        )
        r2 = (r.get("teacher") or {}).get("linear_r2")
        lines.append(
            f"| {r['d']} | {_fmt(r.get('alpha'))} | "
            f"{'[' + _fmt(ci[0]) + ', ' + _fmt(ci[1]) + ']' if ci else '–'} | "
            f"{r['predicted_alpha']:.2f} | {_fmt(r.get('ratio'))} | {win} | {_fmt(r2)} | "
            f"{r['reading']} |"
        )
    return "\n".join(lines)


def local_slope_table(summary: dict) -> str:
    """Local slopes per d, as D doubles (the diagnostic every exponent needs beside it)."""
    lines = []
    for r in summary["results"]:
        ls = r["local_slopes"]
        pairs = ", ".join(
            f"{lo:g}→{hi:g}: {s:.2f}"
            for lo, hi, s in zip(ls["sizes_lo"], ls["sizes_hi"], ls["slopes"])
        )
        lines.append(f"d={r['d']} (4/d={r['predicted_alpha']:.2f}): {pairs}")
    return "\n".join(lines)
