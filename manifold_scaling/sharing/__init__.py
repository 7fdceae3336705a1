"""A run folder as a report to share: ``report.md`` and a self-contained ``report.html``.

:func:`report` reads a study's ``summary.json`` (any study: data-scaling, reproduce,
model-scaling, variance-limited, smoothness-scan, ambient-invariance, digits, ...) and writes the
figures of the run (embedded in the HTML as PNG data URIs), the verdict table
(:func:`manifold_scaling.report.verdict_table`: the network's rows first, then the learners'), the
diagnostics of every row (fit window, excluded cells, resolution, per-size checks, local slopes),
the provenance the summary stores (seed, config, versions, device, trials) and, when the run is a
published setup (:data:`PUBLISHED`, matched by :func:`match_published`), the published values
beside ours with their source. The HTML loads nothing from outside the file (CSS inline, figures
embedded), so it can be mailed or attached as is.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..configs import atomic_write_bytes
from ..errors import InputError
from ..studies.protocol import SUMMARY_FILE, StudySummary, load_summary
from ._content import _content
from ._html import _render_html
from ._markdown import _render_md
from ._published import (
    PUBLISHED,
    PublishedMatch,
    PublishedQuantity,
    PublishedSetup,
    PublishedValue,
    match_published,
)

__all__ = [
    "PUBLISHED",
    "PublishedMatch",
    "PublishedQuantity",
    "PublishedSetup",
    "PublishedValue",
    "match_published",
    "report",
    "report_html",
    "report_markdown",
]

MD_FILE = "report.md"
HTML_FILE = "report.html"


def _load(run_dir: Path) -> StudySummary:
    expected = (
        f"expected a run folder holding {SUMMARY_FILE} (the output folder of a study: "
        "manifold-scaling data-scaling, reproduce, model-scaling, ... --out DIR)"
    )
    if not run_dir.is_dir():
        raise InputError("RUN_DIR", f"{str(run_dir)!r} is not a folder; {expected}")
    path = run_dir / SUMMARY_FILE
    if not path.is_file():
        raise InputError("RUN_DIR", f"{str(run_dir)!r} holds no run: no {SUMMARY_FILE}; {expected}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise InputError("RUN_DIR", f"cannot read {str(path)!r}: {err}") from None
    if not isinstance(data, dict) or not ("study" in data or "results" in data):
        raise InputError("RUN_DIR", f"{str(path)!r} is not a study's summary; {expected}")
    try:
        return load_summary(path)
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        raise InputError("RUN_DIR", f"{str(path)!r} is not a study's summary ({err})") from None


def report_markdown(run_dir, out=None) -> str:
    """The text of ``report.md`` for ``run_dir`` (figures linked relative to ``out``)."""
    run_dir = Path(run_dir)
    title, sections = _content(_load(run_dir), run_dir)
    return _render_md(title, sections, Path(out) if out is not None else run_dir)


def report_html(run_dir) -> str:
    """The text of the self-contained ``report.html`` for ``run_dir``."""
    run_dir = Path(run_dir)
    title, sections = _content(_load(run_dir), run_dir)
    return _render_html(title, sections)


def report(run_dir, out=None) -> tuple[Path, Path]:
    """Write ``report.md`` and ``report.html`` for the run in ``run_dir`` into ``out`` (default:
    ``run_dir``); returns their paths. Raises :class:`InputError` (and writes nothing) when
    ``run_dir`` holds no run or ``out`` cannot be a folder."""
    run_dir = Path(run_dir)
    summary = _load(run_dir)
    out_dir = Path(out) if out is not None else run_dir
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError("--out", f"{str(out_dir)!r} exists and is not a folder")
    title, sections = _content(summary, run_dir)
    md = _render_md(title, sections, out_dir)
    page = _render_html(title, sections)
    out_dir.mkdir(parents=True, exist_ok=True)
    md_path, html_path = out_dir / MD_FILE, out_dir / HTML_FILE
    atomic_write_bytes(md_path, md.encode("utf-8"))
    atomic_write_bytes(html_path, page.encode("utf-8"))
    return md_path, html_path
