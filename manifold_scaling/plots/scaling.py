"""Data-scaling figures: loss vs size with the fitted power law, local slopes, and 4/alpha against
d (Bahri et al. 2021, Fig. 1b), drawn from a study's summary and rows (never from training code).
"""

from __future__ import annotations

import logging
import math
from typing import TYPE_CHECKING

import numpy as np

from ._save import Planned, write_figures
from ._style import (
    colours,
    column,
    draw_power_law_fit,
    drawable,
    error_bars,
    figure_axes,
    finish,
    floats,
    fmt,
    geometric_means,
    interval,
    intervals,
    legend,
    log_scale,
    num,
    power_law_fit,
    results_of,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

log = logging.getLogger(__name__)


def loss_vs_size(
    summary: dict,
    rows: list[dict],
    *,
    x_key: str = "n_train",
    x_label: str = "training points D",
    ax: Axes | None = None,
) -> Figure:
    """Log-log loss vs size per d: trials, fitted power law over its window, and the 4/d slope."""
    fig, (ax,), owned = figure_axes(ax, (6.4, 4.8))
    results = results_of(summary, what="loss vs size")
    for color, res in zip(colours(len(results)), results):
        d = res.get("d")
        pts = [r for r in rows if r.get("d") == d]
        xs, ys = column(pts, x_key), column(pts, "test_loss")
        ok = drawable(xs, ys, what=f"loss vs size, d={d} trials")
        ax.scatter(xs[ok], ys[ok], s=12, color=color, alpha=0.6)
        ax.plot(*geometric_means(xs[ok], ys[ok]), color=color, lw=0.8, alpha=0.7)
        label = f"d={d}"
        fit = power_law_fit(res, what=f"loss vs size, d={d}")
        if fit is not None:
            draw_power_law_fit(ax, fit, color, with_floor=True)
            lo_ci, hi_ci = fit["alpha_ci"]
            label += (
                f": α={fmt(res['alpha'])} [{fmt(lo_ci)}, {fmt(hi_ci)}], 4/d={fmt(fit['predicted'])}"
            )
        ax.plot([], [], color=color, lw=2.2, label=label)
    ax.plot([], [], color="gray", ls="--", lw=1, label="slope 4/d through the fit")
    log_scale(ax)
    ax.set_xlabel(x_label)
    ax.set_ylabel("test loss")
    ax.set_title("Test loss vs D (thick: fit over the rule's window)")
    legend(ax, fontsize=7)
    return finish(fig, owned)


def local_slope_plot(
    summary: dict, *, x_label: str = "training points D", ax: Axes | None = None
) -> Figure:
    """Local slopes -dlogL/dlogD between consecutive sizes, with 4/d as a dashed line per d."""
    fig, (ax,), owned = figure_axes(ax, (6.4, 4.8))
    results = results_of(summary, what="local slopes")
    for color, res in zip(colours(len(results)), results):
        d = res.get("d")
        what = f"local slopes, d={d}"
        ls = res.get("local_slopes") if isinstance(res.get("local_slopes"), dict) else {}
        mids, slopes = floats(ls.get("midpoints")), floats(ls.get("slopes"))
        if len(mids) != len(slopes):
            log.warning("%s: %d midpoints for %d slopes, not drawn", what, len(mids), len(slopes))
            mids = slopes = np.zeros(0)
        ok = drawable(mids, slopes, what=what, positive_y=False)
        ax.plot(mids[ok], slopes[ok], "-", color=color, lw=1, label=f"d={d}")
        # Filled markers: slopes between two sizes inside the fit window; open: outside it.
        lo, hi = floats(ls.get("sizes_lo")), floats(ls.get("sizes_hi"))
        window = floats(res.get("fit_window"))
        inside = np.zeros(len(mids), bool)
        if len(lo) == len(hi) == len(mids) and len(window) == 2:
            inside = (lo >= window[0]) & (hi <= window[1])
        ax.plot(mids[ok & inside], slopes[ok & inside], "o", color=color)
        ax.plot(mids[ok & ~inside], slopes[ok & ~inside], "o", mfc="white", color=color)
        ci = intervals(ls.get("slopes_ci"), len(mids), what=what)
        if ci is not None:
            if not np.isfinite(ci[ok]).all():
                log.warning("%s: slope interval bounds missing, band left open there", what)
            # fill_between masks NaN bounds, so a missing interval is a gap in the band.
            ax.fill_between(mids[ok], ci[ok, 0], ci[ok, 1], color=color, alpha=0.12, lw=0)
        predicted = num(res.get("predicted_alpha"))
        if math.isfinite(predicted):
            ax.axhline(predicted, color=color, ls="--", lw=1)
        else:
            log.warning("%s: no predicted exponent, 4/d line not drawn", what)
    log_scale(ax, y=False)
    ax.set_xlabel(x_label)
    ax.set_ylabel("local slope  -Δlog L / Δlog D")
    ax.set_title("Local slopes (dashed: 4/d; open markers: outside the fit window)")
    legend(ax, fontsize=8)
    return finish(fig, owned)


def four_over_alpha_plot(
    summary: dict, *, alpha_label: str = "α_D", ax: Axes | None = None
) -> Figure:
    """Bahri et al. 2021 Fig. 1b: 4/alpha against d, with the line 4/alpha = d."""
    fig, (ax,), owned = figure_axes(ax, (5.2, 4.8))
    ds, vals, lo, hi = [], [], [], []
    for res in results_of(summary, what="4/alpha vs d"):
        d, a, pred = num(res.get("d")), num(res.get("alpha")), num(res.get("predicted_alpha"))
        if not (math.isfinite(a) and a > 0 and math.isfinite(d * pred) and d * pred > 0):
            log.warning(
                "4/alpha vs d, d=%s: alpha=%r (predicted %r) cannot be drawn",
                res.get("d"),
                res.get("alpha"),
                res.get("predicted_alpha"),
            )
            continue
        scale = 4.0 / (pred * d)  # 4 for MSE, 2p otherwise
        a_lo, a_hi = interval(res.get("alpha_ci"))
        ds.append(d)
        vals.append(4.0 / a / scale)
        # A lower bound at or below 0 leaves 4/alpha unbounded above: a very long bar, as before.
        hi.append(4.0 / max(a_lo, 1e-9) / scale if math.isfinite(a_lo) else math.nan)
        lo.append(4.0 / a_hi / scale if a_hi > 0 else math.nan)
    ds, vals = np.array(ds), np.array(vals)
    top = 10.0
    if len(ds):
        ax.errorbar(
            ds,
            vals,
            yerr=error_bars(vals, lo, hi, what="4/alpha vs d"),
            fmt="o",
            capsize=4,
            label=f"4/{alpha_label} (90 % interval)",
        )
        top = max(ds.max(), vals.max()) + 1
    grid = np.linspace(0, top, 10)
    ax.plot(grid, grid, "k--", lw=1, label="4/α = d (prediction)")
    ax.set_xlim(0, top)
    ax.set_ylim(0, top)
    ax.set_xlabel("intrinsic dimension d")
    ax.set_ylabel(f"4 / {alpha_label}")
    ax.set_title("Exponent vs intrinsic dimension")
    legend(ax, fontsize=8)
    return finish(fig, owned)


def data_scaling_figures(summary: dict, rows: list[dict], out_dir) -> dict[str, str]:
    """The three figures of a data-scaling run, saved next to its results.

    Returns ``{name: file name in out_dir}`` for the figures written; one that fails is logged
    and left out.
    """
    return write_figures(
        out_dir,
        {
            "loss_vs_size": Planned("loss_vs_size.png", lambda: loss_vs_size(summary, rows)),
            "local_slopes": Planned("local_slopes.png", lambda: local_slope_plot(summary)),
            "four_over_alpha": Planned(
                "four_over_alpha.png", lambda: four_over_alpha_plot(summary)
            ),
        },
    )
