"""Shared plotting helpers: Agg figures, colours, axes set-up, and tolerant readers of the values a
summary holds (None, NaN, inf and malformed entries come back as NaN, never as an exception)."""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

log = logging.getLogger(__name__)


# ---- figures and axes --------------------------------------------------------------------------


def new_figure(figsize: tuple[float, float]) -> Figure:
    """A figure drawn by Agg and kept out of pyplot's registry.

    Nothing here calls ``matplotlib.use``, so a notebook's backend is left alone, and a sweep that
    draws many figures on a headless machine neither needs a display nor leaks open figures.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize)
    FigureCanvasAgg(fig)
    return fig


def figure_axes(
    ax: Axes | Sequence[Axes] | None, figsize: tuple[float, float], n: int = 1
) -> tuple[Figure, list[Axes], bool]:
    """``(figure, axes, owned)``: the caller's Axes (one per panel), or a new 1 x ``n`` figure.

    ``owned`` says whether the figure was made here, i.e. whether its layout and title are ours.
    """
    if ax is None:
        fig = new_figure(figsize)
        return fig, list(fig.subplots(1, n, squeeze=False)[0]), True
    # A single Axes, or any nesting of them (a list, plt.subplots' array of Axes).
    axes = [ax] if hasattr(ax, "plot") else list(np.ravel(np.asarray(ax, dtype=object)))
    if len(axes) != n:
        raise ValueError(f"this figure has {n} panel(s): pass {n} Axes, not {len(axes)}")
    # ``.figure`` of a subfigure's Axes is the subfigure; its own ``.figure`` is the root Figure.
    parent = axes[0].figure
    return getattr(parent, "figure", parent), axes, False


def finish(fig: Figure, owned: bool) -> Figure:
    """Tidy the layout of a figure made here; a caller's figure keeps the layout it chose."""
    if owned:
        fig.tight_layout()
    return fig


def colours(n: int) -> list:
    """``n`` colours along viridis (stopping short of its pale yellow end)."""
    from matplotlib import colormaps

    cmap = colormaps["viridis"]
    return [cmap(i / max(n - 1, 1) * 0.9) for i in range(n)]


#: Each learner's label, colour and marker, the same in every figure (network: blue circles,
#: simplex: orange squares, Laplace kernel: green triangles; Okabe-Ito/Dark2 hues, tellable apart
#: in greyscale by marker).
LEARNER_STYLE = {
    "network": ("network", "#1f4e9c", "o"),
    "simplex": ("simplex interpolant", "#d95f02", "s"),
    "kernel": ("Laplace kernel", "#1b9e77", "^"),
}
#: The per-trial loss column each learner's row is fitted on (the network's: on the test set its
#: row names, ``interior`` or ``full``).
LEARNER_LOSS = {"simplex": "simplex_test_loss", "kernel": "kernel_test_loss"}


def learner_style(name) -> tuple[str, str, str]:
    """``(label, colour, marker)`` of a learner (an unknown name gets grey diamonds)."""
    return LEARNER_STYLE.get(name or "network", (str(name), "#666666", "D"))


def absent_learner(ax: Axes, name, where: str) -> None:
    """A legend entry (open marker, no data) saying where a learner has no exponent, so a
    missing point is named instead of being a silent gap."""
    label, color, marker = learner_style(name)
    ax.plot([], [], ls="none", marker=marker, mfc="none", color=color,
            label=f"{label}: no exponent at {where}")  # fmt: skip


def learner_loss_key(res: dict) -> str:
    """The rows' loss column a result was fitted on."""
    name = res.get("learner") or "network"
    if name == "network":
        return "test_loss_interior" if res.get("test_set") == "interior" else "test_loss"
    return LEARNER_LOSS.get(name, "test_loss")


def clipped_errorbar(
    ax: Axes, x, y, lo, hi, *, ylim, color, marker, label=None, what: str, filled: bool = True
):
    """An estimate with its interval, clipped to ``ylim``; a bound beyond the axis ends in an
    arrow at the edge (the interval runs on), so no bar leaves the panel. ``filled=False`` draws
    an open marker (so is an estimate outside the axis, at the edge)."""
    bottom, top = ylim
    if not math.isfinite(y):
        return
    y_in = min(max(y, bottom), top)
    lo_c = bottom if not math.isfinite(lo) else min(max(lo, bottom), top)
    hi_c = top if not math.isfinite(hi) else min(max(hi, bottom), top)
    ax.errorbar(
        [x], [y_in], yerr=error_bars(y_in, lo_c, hi_c, what=what), fmt=marker, color=color,
        capsize=3, ms=6, label=label, mfc=color if filled and y == y_in else "white",
    )  # fmt: skip
    span = top - bottom
    if not math.isfinite(hi) or hi > top:
        ax.annotate("", (x, top), (x, top - 0.06 * span), arrowprops={"arrowstyle": "->",
                    "color": color, "lw": 1})  # fmt: skip
    if not math.isfinite(lo) or lo < bottom:
        ax.annotate("", (x, bottom), (x, bottom + 0.06 * span), arrowprops={"arrowstyle": "->",
                    "color": color, "lw": 1})  # fmt: skip


def log_scale(ax: Axes, *, x: bool = True, y: bool = True) -> None:
    """Log scale on the chosen axes; one with nothing positive drawn gets fixed limits first,
    since matplotlib's log locator raises on an autoscaled axis whose data are empty."""
    if x:
        if not np.isfinite(ax.dataLim.minposx):
            ax.set_xlim(1, 10)
        ax.set_xscale("log")
    if y:
        if not np.isfinite(ax.dataLim.minposy):
            ax.set_ylim(1, 10)
        ax.set_yscale("log")


def fit_legend_entry(ax: Axes, res: dict, color, *, what: str, symbol: str, with_floor: bool):
    """Draw one d's fitted power law over its window (if it has one) and its legend line
    ``d=…: α=… [lo, hi], 4/d=…`` (``symbol`` names the exponent)."""
    label = f"d={res.get('d')}"
    fit = power_law_fit(res, what=what)
    if fit is not None:
        draw_power_law_fit(ax, fit, color, with_floor=with_floor)
        lo_ci, hi_ci = fit["alpha_ci"]
        label += (
            f": {symbol}={fmt(res['alpha'])} [{fmt(lo_ci)}, {fmt(hi_ci)}], "
            f"4/d={fmt(fit['predicted'])}"
        )
    ax.plot([], [], color=color, lw=2.2, label=label)


def loss_axes(ax: Axes, x_label: str, y_label: str = "test loss", title: str | None = None) -> None:
    """The log-log loss panel's furniture: log scales, labels, the title if any, a small legend."""
    log_scale(ax)
    ax.set_xlabel(x_label)
    ax.set_ylabel(y_label)
    if title is not None:
        ax.set_title(title)
    legend(ax, fontsize=7)


def legend(ax: Axes, **kwargs) -> None:
    """A legend only when something is labelled (an empty one draws a box and warns)."""
    if ax.get_legend_handles_labels()[0]:
        ax.legend(**kwargs)


def note(ax: Axes, text: str) -> None:
    """Say in the panel itself why it is empty."""
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", color="gray")


# ---- reading what a summary holds --------------------------------------------------------------


def num(x) -> float:
    """``x`` as a float; None and anything unreadable become NaN."""
    try:
        return float(x)
    except (TypeError, ValueError):
        return math.nan


def finite(*xs) -> bool:
    """Whether every value is a finite number."""
    return all(math.isfinite(num(x)) for x in xs)


def fmt(x, spec: str = ".2f") -> str:
    """A number for a label, or "?" where the summary holds none."""
    return format(num(x), spec) if finite(x) else "?"


def floats(values) -> np.ndarray:
    """A list from a summary as a 1-D float array (missing entries NaN; not a list: empty)."""
    if not isinstance(values, list | tuple | np.ndarray):
        return np.zeros(0)
    return np.array([num(v) for v in np.ravel(np.asarray(values, dtype=object))], float)


def intervals(values, n: int, *, what: str) -> np.ndarray | None:
    """``n`` intervals as an (n, 2) float array with NaN for missing bounds, or None (logged when
    the summary holds a list of another length)."""
    if values is None:
        return None
    if not isinstance(values, list | tuple | np.ndarray) or len(values) != n:
        log.warning("%s: intervals of the wrong shape, not drawn", what)
        return None
    return np.array([interval(iv) for iv in values], float).reshape(n, 2)


def interval(ci) -> tuple[float, float]:
    """An interval's two bounds (NaN where missing or malformed)."""
    if isinstance(ci, list | tuple | np.ndarray) and len(ci) == 2:
        return num(ci[0]), num(ci[1])
    return math.nan, math.nan


def column(rows: list[dict], key: str) -> np.ndarray:
    """One field of every row as floats (NaN where a row lacks it)."""
    return np.array([num(r.get(key)) for r in rows], float)


def results_of(summary: dict, key: str = "results", *, what: str) -> list[dict]:
    """The per-d result dicts of a summary; an empty or missing list is logged."""
    results = summary.get(key) if isinstance(summary, dict) else None
    results = [r for r in results if isinstance(r, dict)] if isinstance(results, list) else []
    if not results:
        log.warning("%s: the summary has no %s to draw", what, key)
    return results


def drawable(x: np.ndarray, y: np.ndarray, *, what: str, positive_y: bool = True) -> np.ndarray:
    """Mask of points a log-log axis can show; the others are logged as left out."""
    ok = np.isfinite(x) & np.isfinite(y) & (x > 0)
    if positive_y:
        ok &= y > 0
    if (~ok).any():
        log.warning(
            "%s: %d of %d values non-finite or non-positive, not drawn", what, (~ok).sum(), ok.size
        )
    return ok


def geometric_means(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Geometric mean of ``y`` (positive) at each distinct ``x``."""
    uniq = np.unique(x)
    return uniq, np.array([np.exp(np.mean(np.log(y[x == u]))) for u in uniq])


def error_bars(values, lo, hi, *, what: str) -> np.ndarray:
    """Error-bar lengths ``[values - lo, hi - values]``, shape (2, n), never negative or NaN.

    A bound that is missing gives no bar on its side; an estimate outside its own interval (a
    bootstrap interval need not contain the point estimate) gets its bar clipped to zero. Both are
    logged, because matplotlib raises on either.
    """
    values, lo, hi = (np.atleast_1d(np.asarray(a, float)) for a in (values, lo, hi))
    err = np.array([values - lo, hi - values])
    missing = ~np.isfinite(err)
    outside = np.isfinite(err) & (err < 0)
    if missing.any():
        log.warning("%s: %d interval bound(s) missing, drawn without a bar", what, missing.sum())
    if outside.any():
        log.warning("%s: estimate outside its interval, bar clipped at the estimate", what)
    return np.where(missing | outside, 0.0, err)


def power_law_fit(res: dict, *, what: str) -> dict | None:
    """A result's fit over its window, read as floats, or None (logged) when it cannot be drawn.

    Returns ``lo``, ``hi`` (window), ``amplitude``, ``alpha``, ``floor`` (0 when none), the fitted
    ``alpha_ci`` bounds and the ``predicted`` exponent (NaN when missing).
    """
    fit = res.get("fit") if isinstance(res.get("fit"), dict) else {}
    lo, hi = interval(res.get("fit_window"))
    amplitude, alpha = num(fit.get("amplitude")), num(fit.get("alpha"))
    if not finite(res.get("alpha")):
        log.warning("%s: no fitted alpha (%r), fit not drawn", what, res.get("alpha"))
        return None
    if not (finite(lo, hi, amplitude, alpha) and 0 < lo <= hi):
        log.warning("%s: fit or fit window missing or not finite, fit not drawn", what)
        return None
    floor = num(fit.get("floor"))
    return {
        "lo": lo,
        "hi": hi,
        "amplitude": amplitude,
        "alpha": alpha,
        "floor": floor if math.isfinite(floor) else 0.0,
        "alpha_ci": interval(res.get("alpha_ci")),
        "predicted": num(res.get("predicted_alpha")),
    }


def draw_power_law_fit(ax: Axes, fit: dict, color, *, with_floor: bool) -> None:
    """The fit over its window (thick) and the predicted slope through its centre (dashed)."""
    lo, hi, amp, alpha = fit["lo"], fit["hi"], fit["amplitude"], fit["alpha"]
    grid = np.geomspace(lo, hi, 20)
    ax.plot(
        grid, amp * grid ** (-alpha) + (fit["floor"] if with_floor else 0.0), color=color, lw=2.2
    )
    if math.isfinite(fit["predicted"]):
        # Anchored at the fit's geometric centre so only the slopes differ.
        mid = np.sqrt(lo * hi)
        y_mid = amp * mid ** (-alpha)
        ax.plot(grid, y_mid * (grid / mid) ** (-fit["predicted"]), color=color, ls="--", lw=1)
