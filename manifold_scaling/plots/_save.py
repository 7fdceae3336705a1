"""The one place figures are written to disk, and the guard that keeps a failing figure from
failing the sweep that asked for it."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from matplotlib.figure import Figure

log = logging.getLogger(__name__)


def save_figure(fig: Figure, path, *, dpi: int = 130) -> str:
    """Write ``fig`` to ``path`` (creating its folder), close it, and return the path."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=dpi)
    finally:
        # Our figures live outside pyplot and are freed with their last reference; a caller's
        # pyplot figure would stay open (and in memory) until pyplot closes it.
        pyplot = sys.modules.get("matplotlib.pyplot")
        if pyplot is not None:
            pyplot.close(fig)
    return str(path)


class Planned(NamedTuple):
    """One figure of a set: the file it goes to, how to draw it, and its resolution."""

    file: str
    draw: Callable[[], Figure]
    dpi: int = 130


def write_figure(name: str, draw: Callable[[], Figure], path, *, dpi: int = 130) -> str | None:
    """Draw and save one figure; on any error, log it with ``name`` and return None."""
    try:
        return save_figure(draw(), path, dpi=dpi)
    except Exception:
        # Figures come after the science is saved: a plotting bug must cost the figure, not the run.
        log.warning("figure %r (%s) failed and was skipped", name, path, exc_info=True)
        return None


def write_figures(out_dir, planned: dict[str, Planned]) -> dict[str, str]:
    """Write every planned figure into ``out_dir``; returns ``{name: file name}`` of those written
    (one that fails is logged by name and left out, and the others still run)."""
    out_dir = Path(out_dir)
    written = {}
    for name, p in planned.items():
        if write_figure(name, p.draw, out_dir / p.file, dpi=p.dpi) is not None:
            written[name] = p.file
    return written
