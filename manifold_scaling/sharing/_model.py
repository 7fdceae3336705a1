"""The report's content as one structure (sections of blocks and tables), rendered twice,
and the formatting of its cells."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

# ---------------------------------------------------------------------------------------------
# The report's content, one structure rendered twice (markdown and HTML)
# ---------------------------------------------------------------------------------------------


def _fmt(x, spec=".2f") -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    if isinstance(x, bool) or not isinstance(x, int | float):
        return str(x)
    return format(x, spec)


def _interval(ci) -> str:
    return f"[{_fmt(ci[0])}, {_fmt(ci[1])}]" if ci else "–"


@dataclass(frozen=True)
class _Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class _Block:
    """One piece of a section: a paragraph, a table, a preformatted text, a list or a figure."""

    kind: str  # "p" | "table" | "pre" | "list" | "figure" | "details"
    text: str = ""
    table: _Table | None = None
    items: tuple[str, ...] = ()
    path: Path | None = None  # a figure's file
    title: str = ""  # a figure's name or a details' summary


@dataclass(frozen=True)
class _Section:
    title: str
    blocks: tuple[_Block, ...]
    level: int = 2


def _parse_md_tables(text: str) -> list[_Block]:
    """Blocks of a renderer's text: its pipe tables as tables, other lines as paragraphs."""
    blocks, rows = [], []

    def flush():
        if rows:
            cells = [[c.strip() for c in r.strip().strip("|").split("|")] for r in rows]
            body = [c for c in cells[1:] if not all(set(x) <= {"-", ":"} for x in c)]
            blocks.append(_Block("table", table=_Table(tuple(cells[0]), tuple(map(tuple, body)))))
            rows.clear()

    for line in text.splitlines():
        if line.lstrip().startswith("|"):
            rows.append(line)
            continue
        flush()
        if line.strip():
            blocks.append(_Block("p", line.strip()))
    flush()
    return blocks
