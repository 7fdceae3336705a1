"""The markdown renderer: ``report.md``, figures linked relative to its folder."""

from __future__ import annotations

import os
from pathlib import Path

from ._model import _Section, _Table

# ---------------------------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------------------------


def _md_cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _md_table(t: _Table) -> list[str]:
    lines = ["| " + " | ".join(_md_cell(h) for h in t.header) + " |"]
    lines.append("|" + "---|" * len(t.header))
    lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in t.rows]
    return lines


def _render_md(title: str, sections: list[_Section], md_dir: Path) -> str:
    out = [f"# {title}", ""]
    for s in sections:
        out += ["#" * s.level + " " + s.title, ""]
        for b in s.blocks:
            if b.kind == "p":
                out += [b.text, ""]
            elif b.kind == "table":
                out += [*_md_table(b.table), ""]
            elif b.kind == "pre":
                out += ["```", b.text, "```", ""]
            elif b.kind == "list":
                out += [f"- {i}" for i in b.items] + [""]
            elif b.kind == "details":
                if b.items:
                    out += [f"{b.title}:", ""] + [f"- {i}" for i in b.items] + [""]
                elif b.title.startswith("Config"):
                    out += [f"{b.title}:", "", "```json", b.text, "```", ""]
                else:  # long JSON stays in summary.json (and folded in the HTML)
                    out += [f"{b.title}: see `summary.json` (folded in report.html).", ""]
            elif b.kind == "figure":
                if b.path is None:
                    out += [f"{b.title}: `{b.text}` is listed in summary.json but missing.", ""]
                else:
                    rel = Path(os.path.relpath(b.path.resolve(), md_dir.resolve())).as_posix()
                    out += [f"![{b.title}]({rel})", ""]
    return "\n".join(out).rstrip() + "\n"
