"""The joint fit L(N, D) = E + A N^-a + B D^-b (Hoffmann et al. 2022, approach 3) drawn two ways,
both evaluating the law through :meth:`fitting.JointFit.predict`: over a table of runs
(``manifold-scaling fit --joint --plot``) and over a compute-frontier study's summary."""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from ..fitting import JOINT_PARAMS, JointFit
from ._save import Planned, write_figures
from ._style import (
    colours,
    column,
    drawable,
    figure_axes,
    finish,
    floats,
    fmt,
    legend,
    log_scale,
    loss_axes,
    note,
    num,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

log = logging.getLogger(__name__)


def joint_fit_figure(fit, runs, *, keep=None, compute_per_nd=6.0, ax=None):
    """Loss vs D (left) and vs C = ``compute_per_nd`` N D (right; 6 for a transformer's FLOPs),
    runs coloured by N, with the fitted law at a few N and, on the right, the compute frontier
    L*(C) with its bootstrap band.

    ``fit``: a :class:`~manifold_scaling.fitting.JointFit`; ``runs``: a table with arrays ``N``,
    ``D`` and ``losses`` (``fitting.read_runs_csv``). ``ax``: two Axes to draw into (else a new
    figure); returns the figure. Left-out runs (``keep`` False) are grey crosses.
    """
    from matplotlib import colormaps
    from matplotlib.colors import LogNorm

    fig, axes, owned = figure_axes(ax, (12.0, 4.6), 2)
    keep = np.ones(runs.losses.size, bool) if keep is None else np.asarray(keep, bool)
    k = compute_per_nd
    compute = k * runs.N * runs.D
    norm = LogNorm(vmin=runs.N[keep].min(), vmax=max(runs.N[keep].max(), runs.N[keep].min() * 1.01))
    cmap = colormaps["viridis"]
    # A few N across the range (log-spaced quantiles), each drawn as the fitted L(N, .) curve.
    n_lines = np.unique(np.quantile(runs.N[keep], [0.0, 0.25, 0.5, 0.75, 1.0], method="nearest"))
    d_grid = np.geomspace(runs.D[keep].min(), runs.D[keep].max(), 60)
    c_grid = np.geomspace(compute[keep].min(), compute[keep].max(), 60)
    for panel, x in zip(axes, (runs.D, compute)):
        panel.scatter(
            x[keep], runs.losses[keep], c=runs.N[keep], cmap=cmap, norm=norm, s=10, alpha=0.8
        )
        if (~keep).any():
            panel.scatter(x[~keep], runs.losses[~keep], marker="x", color="gray", s=14,
                          label="left out")  # fmt: skip
        for n in n_lines:
            if panel is axes[0]:
                grid, pred = d_grid, fit.predict(n, d_grid)
            else:
                grid, pred = c_grid, fit.predict(n, c_grid / (k * n))
            label = f"the fit at N = {n:.3g}" if panel is axes[0] else None
            panel.plot(grid, pred, color=cmap(norm(n)), lw=1.2, label=label)
        panel.set_xscale("log")
        _log_loss_axis(panel, runs.losses)
    axes[0].set_xlabel("training tokens D")
    axes[0].set_title(
        f"E = {fit.E:.3g}, α = {fit.a:.3g}, β = {fit.b:.3g} (points coloured by N as the lines)",
        fontsize=9,
    )
    axes[0].legend(fontsize=7)
    front = fit.frontier(c_grid, compute_per_nd=k)
    if np.isfinite(front["loss"]).all():
        axes[1].plot(c_grid, front["loss"], color="black", lw=2, label="frontier L*(C)")
        if fit.draws is not None and len(fit.draws):
            lo, hi = fit.frontier_band(c_grid, compute_per_nd=k)
            axes[1].fill_between(c_grid, lo, hi, color="black", alpha=0.15, lw=0,
                                 label=f"{100 * fit.ci_level:g}% bootstrap band")  # fmt: skip
    alloc = fit.allocation_exponents()
    axes[1].set_xlabel(f"compute C = {k:g} N D")
    axes[1].set_title(
        f"N* ∝ C^{alloc['N_opt_exponent']:.3f}, D* ∝ C^{alloc['D_opt_exponent']:.3f}",
        fontsize=9,
    )
    legend(axes[1], fontsize=7)
    return finish(fig, owned)


def _log_loss_axis(ax, losses) -> None:
    """Log loss axis with plain numbers; within a decade the minor ticks are labelled too
    (otherwise a loss between 2 and 5 shows no label at all)."""
    from matplotlib.ticker import FuncFormatter, NullFormatter

    ax.set_yscale("log")
    plain = FuncFormatter(lambda v, _: f"{v:g}")
    ax.yaxis.set_major_formatter(plain)
    ax.yaxis.set_minor_formatter(plain if losses.max() < 10 * losses.min() else NullFormatter())
    ax.set_ylabel("loss")


def joint_fit_plot(summary: dict, rows: list[dict], *, ax: Sequence[Axes] | None = None) -> Figure:
    """Left: loss vs D per N with the joint fit; right: the compute frontier L*(C) and its slope.

    ``ax``, when given, holds the two Axes.
    """
    fig, (ax, ax_frontier), owned = figure_axes(ax, (10.5, 4.3), 2)
    fit = summary.get("fit") if isinstance(summary.get("fit"), dict) else {}
    params = [num(fit.get(k)) for k in JOINT_PARAMS]
    has_fit = all(math.isfinite(p) for p in params)
    if not has_fit:
        log.warning("joint fit: fit parameters missing or not finite, surface not drawn")
    law = JointFit(*params, ci={}, n_points=0, huber_delta=0.0, n_bootstrap=0)
    e = law.E
    ns = sorted({r.get("n_params") for r in rows if math.isfinite(num(r.get("n_params")))}, key=num)
    for color, n in zip(colours(len(ns)), ns):
        pts = [r for r in rows if r.get("n_params") == n]
        d_, y_ = column(pts, "n_train"), column(pts, "test_loss")
        ok = drawable(d_, y_, what=f"joint fit, N={n} trials")
        ax.scatter(d_[ok], y_[ok], s=12, color=color)
        if has_fit and ok.any():
            grid = np.geomspace(d_[ok].min(), d_[ok].max(), 30)
            ax.plot(grid, law.predict(num(n), grid), color=color, lw=1.2, label=f"N={n}")
    loss_axes(ax, "training points D", "test loss", "L(N, D) = E + A N^-a + B D^-b")

    ax = ax_frontier
    frontier = summary.get("frontier") if isinstance(summary.get("frontier"), dict) else {}
    c, loss = floats(frontier.get("compute")), floats(frontier.get("loss"))
    pred = num(summary.get("predicted_frontier_exponent"))
    if math.isfinite(e) and len(c) == len(loss):
        ok = drawable(c, loss - e, what="joint fit, frontier")
        c, excess = c[ok], loss[ok] - e
        ax.plot(c, excess, lw=2, label="frontier L*(C) − E")
        nd = column(rows, "n_params") * column(rows, "n_train")
        ys = column(rows, "test_loss") - e
        shown = np.isfinite(nd) & (nd > 0) & np.isfinite(ys) & (ys > 0)
        ax.scatter(nd[shown], ys[shown], s=10, color="gray", alpha=0.6, label="trials (C = N·D)")
        if len(c) >= 2 and math.isfinite(pred):
            order = np.argsort(c)
            mid = np.sqrt(c.min() * c.max())
            y_mid = np.interp(np.log(mid), np.log(c[order]), excess[order])
            ax.plot(c, y_mid * (c / mid) ** (-pred), "k--", lw=1, label=f"slope 2/d = {pred:.2f}")
        log_scale(ax)
    else:
        log.warning("joint fit: frontier or E missing, frontier not drawn")
        note(ax, "no frontier to draw")
    ax.set_xlabel("compute C ∝ N·D")
    ax.set_ylabel("L − E")
    ax.set_title(
        f"frontier exponent {fmt(summary.get('frontier_exponent'))} (predicted {fmt(pred)})"
    )
    legend(ax, fontsize=7)
    return finish(fig, owned)


def joint_fit_figures(summary: dict, rows: list[dict], out_dir) -> dict[str, str]:
    """The compute-frontier study's figure, saved next to its results (``{name: file name}``)."""
    return write_figures(
        out_dir, {"joint_fit": Planned("joint_fit.png", lambda: joint_fit_plot(summary, rows))}
    )
