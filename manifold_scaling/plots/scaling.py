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
    absent_learner,
    clipped_errorbar,
    colours,
    column,
    drawable,
    figure_axes,
    finish,
    finite,
    fit_legend_entry,
    floats,
    fmt,
    geometric_means,
    interval,
    intervals,
    learner_loss_key,
    learner_style,
    legend,
    log_scale,
    loss_axes,
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
        fit_legend_entry(ax, res, color, what=f"loss vs size, d={d}", symbol="α", with_floor=True)
    ax.plot([], [], color="gray", ls="--", lw=1, label="slope 4/d through the fit")
    loss_axes(ax, x_label, "test loss", "Test loss vs D (thick: fit over the rule's window)")
    return finish(fig, owned)


def local_slope_plot(
    summary: dict,
    *,
    x_label: str = "training points D",
    symbol: str = "D",
    ax: Axes | None = None,
) -> Figure:
    """Local slopes -dlogL/dlogD between consecutive sizes, one panel per d and one colour and
    marker per learner, each learner's own predicted exponent dashed in its colour (Bahri et al.
    2021, Fig. 1a reads the same slopes)."""
    from matplotlib.ticker import NullFormatter

    results = results_of(summary, what="local slopes")

    def key(r):  # a result without a d (a user's own table) gets a panel of its own
        return num(r.get("d")) if math.isfinite(num(r.get("d"))) else None

    dims = sorted({key(r) for r in results} - {None})
    dims += [None] if any(key(r) is None for r in results) else []
    n = max(len(dims), 1)
    fig, axes, owned = figure_axes(ax, (4.3 * n, 4.2), n)
    for panel, d in zip(axes, dims):
        for res in _by_learner([r for r in results if key(r) == d]):
            label, color, marker = learner_style(res.get("learner"))
            name = res.get("learner") or "network"
            what = f"local slopes, d={d if d is None else f'{d:g}'} {name}"
            ls = res.get("local_slopes") if isinstance(res.get("local_slopes"), dict) else {}
            mids, slopes = floats(ls.get("midpoints")), floats(ls.get("slopes"))
            if len(mids) != len(slopes):
                log.warning(
                    "%s: %d midpoints for %d slopes, not drawn", what, len(mids), len(slopes)
                )
                mids = slopes = np.zeros(0)
            ok = drawable(mids, slopes, what=what, positive_y=False)
            shift = 1.0 + 0.25 * _OFFSET.get(name, 0.0)  # side by side on the log axis
            panel.plot(mids[ok] * shift, slopes[ok], "-", color=color, lw=1, label=label)
            # Filled markers: slopes between two sizes inside the fit window; open: outside it.
            lo, hi = floats(ls.get("sizes_lo")), floats(ls.get("sizes_hi"))
            window = floats(res.get("fit_window"))
            inside = np.zeros(len(mids), bool)
            if len(lo) == len(hi) == len(mids) and len(window) == 2:
                inside = (lo >= window[0]) & (hi <= window[1])
            panel.plot(mids[ok & inside] * shift, slopes[ok & inside], marker, color=color, ls="")
            panel.plot(mids[ok & ~inside] * shift, slopes[ok & ~inside], marker, mfc="white",
                       color=color, ls="")  # fmt: skip
            ci = intervals(ls.get("slopes_ci"), len(mids), what=what)
            if ci is not None:
                if not np.isfinite(ci[ok]).all():
                    log.warning("%s: slope interval bounds missing, band left open there", what)
                # fill_between masks NaN bounds, so a missing interval is a gap in the band.
                panel.fill_between(mids[ok] * shift, ci[ok, 0], ci[ok, 1], color=color,
                                   alpha=0.10, lw=0)  # fmt: skip
            predicted = num(res.get("predicted_alpha"))
            if math.isfinite(predicted):
                panel.axhline(predicted, color=color, ls="--", lw=1)
            else:
                log.warning("%s: no predicted exponent, prediction line not drawn", what)
        log_scale(panel, y=False)
        panel.xaxis.set_minor_formatter(NullFormatter())  # minor labels collide on short spans
        panel.set_xlabel(x_label)
        panel.set_ylabel(f"local slope  -Δlog L / Δlog {symbol}")
        panel.set_title("" if d is None else f"d = {d:g}")
        legend(panel, fontsize=7)
    if not dims:
        axes[0].set_xlabel(x_label)
        axes[0].set_ylabel(f"local slope  -Δlog L / Δlog {symbol}")
    if owned:
        fig.suptitle("Local slopes (dashed: each learner's predicted exponent; open markers: "
                     "outside the fit window)", fontsize=10)  # fmt: skip
    return finish(fig, owned)


_LEARNER_ORDER = ("network", "simplex", "kernel")
_OFFSET = {"network": 0.0, "simplex": -0.2, "kernel": 0.2}


def _by_learner(results: list[dict]) -> list[dict]:
    rank = {n: i for i, n in enumerate(_LEARNER_ORDER)}
    return sorted(results, key=lambda r: rank.get(r.get("learner") or "network", 9))


def _label_alpha(label: str, res: dict) -> str:
    if not finite(res.get("alpha")):
        return f"{label}: no exponent"
    lo, hi = interval(res.get("alpha_ci"))
    return f"{label}: α={fmt(res['alpha'])} [{fmt(lo)}, {fmt(hi)}]"


def loss_vs_size_panels(
    summary: dict, rows: list[dict], *, x_label: str = "training points D", ax=None
) -> Figure:
    """One log-log panel per d: each learner's per-teacher losses (faint), their geometric means
    (markers), its fit over the rule's window (thick), and the predicted slopes (dashed:
    piecewise-linear; dotted: the bottom of the kernel band) through the network's middle point."""
    results = results_of(summary, what="loss vs size")
    dims = sorted({num(r.get("d")) for r in results if math.isfinite(num(r.get("d")))})
    n = max(len(dims), 1)
    fig, axes, owned = figure_axes(ax, (4.3 * n, 4.2), n)
    for panel, d in zip(axes, dims):
        here = _by_learner([r for r in results if num(r.get("d")) == d])
        pts = [r for r in rows if num(r.get("d")) == d]
        anchor = None
        for res in here:
            label, color, marker = learner_style(res.get("learner"))
            name = res.get("learner") or "network"
            xs, ys = column(pts, "n_train"), column(pts, learner_loss_key(res))
            ok = drawable(xs, ys, what=f"loss vs size, d={d:g} {name}")
            shift = 1.0 + 0.35 * _OFFSET.get(name, 0.0)  # side by side on the log axis
            panel.scatter(xs[ok] * shift, ys[ok], s=9, color=color, marker=marker, alpha=0.25,
                          lw=0)  # fmt: skip
            gx, gy = geometric_means(xs[ok], ys[ok])
            panel.plot(gx * shift, gy, marker=marker, color=color, lw=0.8, ms=6,
                       label=_label_alpha(label, res))  # fmt: skip
            fit = power_law_fit(res, what=f"loss vs size, d={d:g} {name}")
            if fit is not None:
                grid = np.geomspace(fit["lo"], fit["hi"], 20)
                panel.plot(grid, fit["amplitude"] * grid ** (-fit["alpha"]), color=color, lw=2.6,
                           alpha=0.8)  # fmt: skip
            if anchor is None and len(gx):
                mid = len(gx) // 2
                anchor = (gx[mid], gy[mid], res.get("predicted"))
        if anchor is not None and isinstance(anchor[2], dict):
            x0, y0, pred = anchor
            grid = np.geomspace(min(r["n_train"] for r in pts), max(r["n_train"] for r in pts), 20)
            slopes = (
                (num(pred.get("piecewise_linear")), "--", "piecewise-linear"),
                (num(min(pred.get("kernel_range") or [math.nan])), ":", "kernel band, lowest"),
            )
            for slope, ls, what in slopes:
                if math.isfinite(slope):
                    panel.plot(grid, y0 * (grid / x0) ** (-slope), color="black", ls=ls, lw=1,
                               label=f"slope {slope * d:.3g}/d ({what})")  # fmt: skip
        log_scale(panel)
        sizes = sorted({float(r["n_train"]) for r in pts if "n_train" in r})
        if sizes:
            from matplotlib.ticker import NullFormatter

            panel.set_xticks(sizes, [f"{s:g}" for s in sizes])
            panel.xaxis.set_minor_formatter(NullFormatter())
        panel.set_xlabel(x_label)
        panel.set_ylabel("test loss")
        panel.set_title(f"d = {d:g}")
        legend(panel, fontsize=7, loc="lower left")
    if not dims:
        axes[0].set_xlabel(x_label)
        axes[0].set_ylabel("test loss")
    if owned:
        fig.suptitle("Test loss vs D per d (faint: one teacher; thick: fit over the rule's window)",
                     fontsize=10)  # fmt: skip
    return finish(fig, owned)


def four_over_alpha_plot(
    summary: dict, *, alpha_label: str = "α_D", ax: Axes | None = None
) -> Figure:
    """Bahri et al. 2021 Fig. 1b: 4/alpha against d, one marker and colour per learner (side by
    side), with the piecewise-linear prediction 4/alpha = d (dashed) and each d's predicted bands
    shaded (piecewise-linear where it is a range; kernel). Intervals are clipped at the axis, with
    an arrow where they run on."""
    fig, (ax,), owned = figure_axes(ax, (5.6, 4.8))
    results = _by_learner(results_of(summary, what="4/alpha vs d"))
    ds = [num(r.get("d")) for r in results if math.isfinite(num(r.get("d")))]
    top = (max(ds) if ds else 8.0) + 3.0
    ylim = (0.0, top)
    seen, shaded, missing = set(), set(), {}
    config = summary.get("config") if isinstance(summary.get("config"), dict) else {}
    power = num(config.get("loss_power", 2.0))
    for res in results:
        d, a, pred = num(res.get("d")), num(res.get("alpha")), num(res.get("predicted_alpha"))
        name = res.get("learner") or "network"
        if name == "network" and not (math.isfinite(d * pred) and d * pred > 0):
            log.warning("4/alpha vs d, d=%s: no predicted exponent, not drawn", res.get("d"))
            continue
        if not math.isfinite(d):
            continue
        # y = 2p/alpha (4/alpha for MSE), so the piecewise-linear line is y = d for every loss
        # power; a learner's own prediction (its theory's rate) does not set the scale.
        scale = 4.0 / (pred * d) if name == "network" else 2.0 / (power if power > 0 else 2.0)
        theories = res.get("predicted") if isinstance(res.get("predicted"), dict) else {}
        for theory, color, what in (("piecewise_linear", "#1f4e9c", "piecewise-linear band"),
                                    ("kernel", "#1b9e77", "kernel band")):  # fmt: skip
            band = floats(theories.get(f"{theory}_range"))
            if (d, theory) in shaded or len(band) != 2 or not np.all(band > 0):
                continue
            if theory == "piecewise_linear" and abs(band[1] - band[0]) < 1e-12:
                continue  # a point: the dashed line shows it
            shaded.add((d, theory))
            y_lo, y_hi = 4.0 / (band.max() * scale), 4.0 / (band.min() * scale)
            ax.fill_between([d - 0.4, d + 0.4], y_lo, y_hi, color=color, alpha=0.13, lw=0,
                            label=what if what not in seen else None)  # fmt: skip
            seen.add(what)
        label, color, marker = learner_style(name)
        if not (math.isfinite(a) and a > 0):
            log.warning(
                "4/alpha vs d, d=%s %s: alpha=%r cannot be drawn", d, name, res.get("alpha")
            )
            missing.setdefault(name, []).append(d)
            continue
        a_lo, a_hi = interval(res.get("alpha_ci"))
        hi = 4.0 / a_lo / scale if math.isfinite(a_lo) and a_lo > 0 else math.inf
        lo = 4.0 / a_hi / scale if math.isfinite(a_hi) and a_hi > 0 else math.nan
        clipped_errorbar(
            ax, d + _OFFSET.get(name, 0.0), 4.0 / a / scale, lo, hi, ylim=ylim, color=color,
            marker=marker, label=f"{label}: 4/{alpha_label} (90 % interval)"
            if name not in seen else None, what="4/alpha vs d",
        )  # fmt: skip
        seen.add(name)
    for name, ds in missing.items():
        absent_learner(ax, name, "d = " + ", ".join(f"{d:g}" for d in sorted(set(ds))))
    grid = np.linspace(0, top, 10)
    ax.plot(grid, grid, "k--", lw=1, label="4/α = d (piecewise-linear)")
    ax.set_xlim(0, top)
    ax.set_ylim(*ylim)
    ax.set_xlabel("intrinsic dimension d")
    ax.set_ylabel(f"4 / {alpha_label}")
    ax.set_title("Exponent vs intrinsic dimension")
    legend(ax, fontsize=7, loc="upper left")
    return finish(fig, owned)


def data_scaling_figures(summary: dict, rows: list[dict], out_dir) -> dict[str, str]:
    """The three figures of a data-scaling run, saved next to its results.

    Returns ``{name: file name in out_dir}`` for the figures written; one that fails is logged
    and left out.
    """
    return write_figures(
        out_dir,
        {
            "loss_vs_size": Planned("loss_vs_size.png", lambda: loss_vs_size_panels(summary, rows)),
            "local_slopes": Planned("local_slopes.png", lambda: local_slope_plot(summary)),
            "four_over_alpha": Planned(
                "four_over_alpha.png", lambda: four_over_alpha_plot(summary)
            ),
        },
    )
