"""Intrinsic-dimension figures: estimate vs neighbourhood scale, and UMAP views of a manifold,
its embedding and a student's last hidden layer coloured by a latent coordinate."""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from ._save import write_figure
from ._style import (
    colours,
    drawable,
    figure_axes,
    finish,
    intervals,
    legend,
    log_scale,
    note,
    num,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

log = logging.getLogger(__name__)


def estimate_vs_scale_plot(
    curves: dict[str, dict], *, true_d: float | None = None, ax: Axes | None = None
) -> Figure:
    """One line per point cloud: the multiscale estimate against neighbourhood distance.

    ``curves`` maps a label to an ``IDEstimate.to_dict()`` of the ``multiscale`` estimator. A flat
    curve is a trustworthy estimate; one that falls with scale is the signature of noise.
    """
    fig, (ax,), owned = figure_axes(ax, (6.4, 4.2))
    if not curves:
        log.warning("ID vs scale: no estimates to draw")
    for color, (label, est) in zip(colours(len(curves)), curves.items()):
        diag = est.get("diagnostics") if isinstance(est, dict) else None
        diag = diag if isinstance(diag, dict) else {}
        scales = [s for s in diag.get("scales") or [] if isinstance(s, dict)]
        if not scales:
            log.warning("ID vs scale, %s: no per-scale estimates, not drawn", label)
            continue
        r = np.array([num(s.get("distance")) for s in scales])
        dim = np.array([num(s.get("dimension")) for s in scales])
        ok = drawable(r, dim, what=f"ID vs scale, {label}", positive_y=False)
        flag = "" if diag.get("plateau", True) else " (no plateau)"
        ax.plot(r[ok], dim[ok], "o-", color=color, label=f"{label}{flag}")
        ci = intervals([s.get("ci") for s in scales], len(scales), what=f"ID vs scale, {label}")
        if ci is not None:
            # fill_between masks NaN bounds, so a missing interval is a gap in the band.
            ax.fill_between(r[ok], ci[ok, 0], ci[ok, 1], color=color, alpha=0.15)
    if true_d is not None and math.isfinite(num(true_d)):
        ax.axhline(num(true_d), color="k", ls="--", lw=1, label=f"d = {num(true_d):g}")
    log_scale(ax, y=False)
    ax.set_xlabel("neighbourhood scale (median distance to the n2-th neighbour)")
    ax.set_ylabel("GRIDE estimate")
    ax.set_title("Intrinsic dimension vs scale")
    legend(ax, fontsize=7)
    return finish(fig, owned)


def umap_views(
    panels: dict[str, np.ndarray],
    colour: np.ndarray,
    *,
    seed: int = 0,
    ax: Sequence[Axes] | Axes | None = None,
) -> Figure:
    """2-D UMAP of each point cloud in ``panels`` (e.g. latent, ambient data, last hidden layer),
    all coloured by the same latent coordinate, so one can see whether the layer keeps the
    manifold's structure. ``seed`` fixes umap-learn's layout (which also makes it single-threaded).
    ``ax``, when given, holds one Axes per panel; 2-D clouds are drawn as they are.
    """
    n = max(len(panels), 1)
    fig, axes, owned = figure_axes(ax, (4.0 * n, 4.0), n)
    if not panels:
        log.warning("UMAP views: no point clouds to draw")
        note(axes[0], "no point clouds")
    try:
        colour = np.asarray(colour, np.float64).ravel()
    except (TypeError, ValueError):
        colour = np.zeros(0)
    for ax, (title, pts) in zip(axes, panels.items()):
        ax.set_xticks([])
        ax.set_yticks([])
        pts = np.asarray(pts, np.float64)
        if pts.ndim != 2 or len(pts) < 2 or not np.isfinite(pts).all():
            log.warning(
                "UMAP views, %s: not a finite 2-D point cloud (%s), not drawn", title, pts.shape
            )
            ax.set_title(str(title), fontsize=9)
            note(ax, "nothing to draw")
            continue
        if pts.shape[1] == 2:
            xy = pts
        else:
            import umap

            xy = umap.UMAP(random_state=seed, n_neighbors=15).fit_transform(pts)
        c = colour if len(colour) == len(pts) else None
        if c is None:
            log.warning(
                "UMAP views, %s: %d colours for %d points, drawn uncoloured",
                title,
                len(colour),
                len(pts),
            )
        ax.scatter(xy[:, 0], xy[:, 1], c=c, s=3, cmap="viridis" if c is not None else None)
        ax.set_title(title if pts.shape[1] == 2 else f"UMAP of {title}", fontsize=9)
    if owned:
        fig.suptitle("coloured by latent coordinate z1", fontsize=9)
    return finish(fig, owned)


def write_estimate_vs_scale(
    curves: dict[str, dict], path, *, true_d: float | None = None
) -> str | None:
    """Save :func:`estimate_vs_scale_plot` to ``path``; returns the path, or None (logged) when the
    figure failed."""
    return write_figure(
        "estimate_vs_scale", lambda: estimate_vs_scale_plot(curves, true_d=true_d), path
    )


def write_umap_views(
    panels: dict[str, np.ndarray], colour: np.ndarray, path, *, seed: int = 0
) -> str | None:
    """Save :func:`umap_views` to ``path``; returns the path, or None (logged) when it failed."""
    return write_figure("umap_views", lambda: umap_views(panels, colour, seed=seed), path, dpi=110)
