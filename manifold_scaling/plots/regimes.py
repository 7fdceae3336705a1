"""Figures of the studies beyond data scaling (model size, variance-limited, ambient invariance,
loss powers, the joint L(N, D) fit and its compute frontier), drawn from saved summaries and rows.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from ._save import Planned, write_figures
from ._style import (
    absent_learner,
    clipped_errorbar,
    colours,
    column,
    drawable,
    error_bars,
    figure_axes,
    finish,
    fit_legend_entry,
    floats,
    fmt,
    geometric_means,
    interval,
    learner_loss_key,
    learner_style,
    legend,
    log_scale,
    loss_axes,
    note,
    num,
    results_of,
)
from .scaling import four_over_alpha_plot, local_slope_plot

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

log = logging.getLogger(__name__)


def convergence_curves(
    summary: dict, rows: list[dict], curves: dict, *, ax: Sequence[Axes] | Axes | None = None
) -> Figure:
    """Validation loss vs step for every width (first seed), one panel per d; dashed = unconverged.

    ``curves`` maps ``(d, width, seed)`` or ``(d, width, seed, budget fraction)`` (as
    ``model_scaling.load_curves`` reads them) to arrays ``curve_steps`` and ``curve_val``; ``ax``,
    when given, holds one Axes per result.
    """
    results = results_of(summary, what="convergence curves")
    n = max(len(results), 1)
    fig, axes, owned = figure_axes(ax, (4.2 * n, 3.8), n)
    if not results:
        note(axes[0], "no results to draw")
    seeds = [r.get("seed") for r in rows if math.isfinite(num(r.get("seed")))]
    first_seed = min(seeds, key=num) if seeds else None
    for ax, res in zip(axes, results):
        d = res.get("d")
        pts = sorted(
            (r for r in rows if r.get("d") == d and r.get("seed") == first_seed),
            key=lambda r: num(r.get("width")),
        )
        missing = []
        for color, r in zip(colours(len(pts)), pts):
            key = (d, r.get("width"), r.get("seed"))
            arr = (
                (curves.get(key) or curves.get((*key, r.get("budget_fraction", 1.0))))
                if curves
                else None
            )
            steps, val = _curve(arr, "curve_steps"), _curve(arr, "curve_val")
            if not len(val) or len(steps) != len(val):
                missing.append(r.get("width"))
                continue
            ax.plot(
                steps,
                val,
                "-" if r.get("converged") else "--",
                color=color,
                lw=1.2,
                label=f"w={r.get('width')} (N={r.get('n_params')})",
            )
        if missing:
            log.warning("convergence curves, d=%s: no usable curve for widths %s", d, missing)
        log_scale(ax)
        ax.set_xlabel("Adam step (fresh batch each step)")
        ax.set_ylabel("validation loss")
        ax.set_title(f"d={d}: solid = converged by the rule")
        legend(ax, fontsize=6)
    return finish(fig, owned)


def _curve(arrays, key: str) -> np.ndarray:
    """One array of a trial's saved curves, or an empty one when it is not there."""
    try:
        return floats(np.ravel(arrays[key]))
    except (KeyError, TypeError, IndexError, ValueError):
        return np.zeros(0)


def loss_vs_params(summary: dict, rows: list[dict], *, ax: Axes | None = None) -> Figure:
    """Log-log test loss vs parameter count per d: trials (open: unconverged), fit, slope 4/d."""
    fig, (ax,), owned = figure_axes(ax, (6.4, 4.8))
    results = results_of(summary, what="loss vs params")
    for color, res in zip(colours(len(results)), results):
        d = res.get("d")
        pts = [r for r in rows if r.get("d") == d]
        n, y = column(pts, "n_params"), column(pts, "test_loss")
        ok = drawable(n, y, what=f"loss vs params, d={d} trials")
        conv = np.array([bool(r.get("converged", True)) for r in pts], bool)
        ax.scatter(n[ok & conv], y[ok & conv], s=14, color=color, alpha=0.7)
        ax.scatter(n[ok & ~conv], y[ok & ~conv], s=14, facecolors="none", edgecolors=color)
        fit_legend_entry(ax, res, color, what=f"loss vs params, d={d}", symbol="α_N",
                         with_floor=False)  # fmt: skip
    ax.plot([], [], color="gray", ls="--", lw=1, label="slope 4/d through the fit")
    ax.scatter([], [], facecolors="none", edgecolors="gray", label="not converged")
    loss_axes(
        ax,
        "parameters N",
        "test loss",
        "Test loss vs N at unlimited data (thick: fit over converged widths)",
    )
    return finish(fig, owned)


def alpha_vs_budget(summary: dict, *, ax: Axes | None = None) -> Figure:
    """alpha_N / (4/d) against the budget fraction, one line per d, with its intervals."""
    fig, (ax,), owned = figure_axes(ax, (6.0, 4.4))
    table = summary.get("alpha_vs_budget") or []
    dims = sorted({r.get("d") for r in table}, key=num)
    if not dims:
        note(ax, "no budget table to draw")
    for color, d in zip(colours(len(dims)), dims):
        pts = sorted((r for r in table if r.get("d") == d), key=lambda r: num(r["budget_fraction"]))
        pts = [r for r in pts if math.isfinite(num(r.get("ratio")))]
        if not pts:
            continue
        f = np.array([num(r["budget_fraction"]) for r in pts])
        scale = np.array([num(r["predicted_alpha"]) for r in pts])
        ratio = np.array([num(r["ratio"]) for r in pts])
        ci = np.array([r["alpha_ci"] if r.get("alpha_ci") else (np.nan, np.nan) for r in pts])
        yerr = np.abs(ci / scale[:, None] - ratio[:, None]).T
        ax.errorbar(f, ratio, yerr=yerr, color=color, marker="o", capsize=3, label=f"d={d}")
    ax.axhline(1.0, color="gray", ls="--", lw=1, label="α_N = 4/d")
    ax.axhspan(0.8, 1.25, color="gray", alpha=0.1)
    ax.set_xscale("log")
    ax.set_xlabel("fraction of the full training budget")
    ax.set_ylabel("α_N / (4/d)")
    ax.set_title("Does α_N settle as training grows?")
    legend(ax, fontsize=7)
    return finish(fig, owned)


def model_scaling_figures(summary: dict, rows: list[dict], curves: dict, out_dir) -> dict:
    """Loss vs N with fits, local slopes in N, 4/alpha_N vs d, and the loss curves per width, at
    the largest budget fraction run; with several fractions, alpha_N / (4/d) against the budget.

    ``curves`` maps ``(d, width, seed, fraction)`` to the arrays ``curve_steps``, ``curve_val``.
    Returns ``{name: file name in out_dir}`` for the figures written; one that fails is logged
    and left out.
    """
    fractions = {num(r.get("budget_fraction", 1.0)) for r in summary.get("results") or []}
    top = max(fractions, default=1.0)
    at_top = lambda r: num(r.get("budget_fraction", 1.0)) == top  # noqa: E731
    results = [r for r in summary.get("results") or [] if at_top(r)]
    summary = {**summary, "results": results}
    rows = [r for r in rows if at_top(r)]
    curves = {k[:3]: v for k, v in (curves or {}).items() if len(k) < 4 or k[3] == top}
    extra = {}
    if len(fractions) > 1:
        extra["alpha_vs_budget"] = Planned("alpha_vs_budget.png", lambda: alpha_vs_budget(summary))
    return write_figures(
        out_dir,
        {
            **extra,
            "loss_vs_params": Planned("loss_vs_params.png", lambda: loss_vs_params(summary, rows)),
            "local_slopes": Planned(
                "local_slopes.png",
                lambda: local_slope_plot(summary, x_label="parameters N", symbol="N"),
            ),
            "four_over_alpha": Planned(
                "four_over_alpha.png", lambda: four_over_alpha_plot(summary, alpha_label="α_N")
            ),
            "convergence": Planned(
                "convergence.png", lambda: convergence_curves(summary, rows, curves), dpi=120
            ),
        },
    )


def variance_limited_plot(
    summary: dict, rows: list[dict], *, ax: Sequence[Axes] | None = None
) -> Figure:
    """L(D) - L_inf on log-log axes with the fitted D^-alpha and the D^-1 prediction.

    Two panels (``ax``, when given, holds two Axes): test loss vs D, then the excess loss.
    """
    fig, (ax, ax_excess), owned = figure_axes(ax, (10, 4.2), 2)
    res = summary.get("result") if isinstance(summary.get("result"), dict) else {}
    if not res:
        log.warning("variance-limited: the summary has no result to draw")
    fit = res.get("fit") if isinstance(res.get("fit"), dict) else {}
    sizes, test = column(rows, "n_train"), column(rows, "test_loss")
    ok = drawable(sizes, test, what="variance-limited trials", positive_y=False)
    sizes, test = sizes[ok], test[ok]
    floor = num(fit.get("floor"))
    ax.scatter(sizes, test, s=12, alpha=0.6, label="trials")
    reference = num(res.get("reference_loss"))
    if math.isfinite(reference):
        ax.axhline(reference, color="gray", ls=":", label="L at the warm start θ*")
    if math.isfinite(floor):
        ax.axhline(floor, color="k", ls="--", lw=1, label=f"fitted L(∞) = {floor:.3g}")
    log_scale(ax, y=False)
    ax.set_xlabel("training points D")
    ax.set_ylabel("test loss")
    ax.set_title(f"small student (P = {fmt(res.get('n_params'), '.0f')}), D ≫ P")
    legend(ax, fontsize=7)
    ax = ax_excess
    alpha, amplitude = num(fit.get("alpha")), num(fit.get("amplitude"))
    if math.isfinite(floor) and math.isfinite(alpha) and math.isfinite(amplitude) and len(sizes):
        uniq = np.unique(sizes)
        excess = np.array([np.mean(test[sizes == u]) - floor for u in uniq])
        above = excess > 0
        ax.plot(uniq[above], excess[above], "o", label="mean L(D) − L(∞)")
        grid = np.geomspace(uniq.min(), uniq.max(), 20)
        lo_ci, hi_ci = interval(fit.get("alpha_ci"))
        ax.plot(
            grid,
            amplitude * grid ** (-alpha),
            lw=2,
            label=f"fit α = {fmt(alpha)} [{fmt(lo_ci)}, {fmt(hi_ci)}]",
        )
        mid = np.sqrt(grid[0] * grid[-1])
        y_mid = amplitude * mid ** (-alpha)
        ax.plot(grid, y_mid * (grid / mid) ** -1.0, "k--", lw=1, label="slope 1 (variance-limited)")
        pred = num(res.get("resolution_alpha"))
        if math.isfinite(pred) and pred:
            ax.plot(
                grid,
                y_mid * (grid / mid) ** (-pred),
                ":",
                color="C3",
                lw=1,
                label=f"slope 4/d = {pred:.2f} (resolution-limited)",
            )
        log_scale(ax)
    else:
        log.warning("variance-limited: no finite fit of L(∞) and alpha, excess loss not drawn")
        note(ax, "no fit to draw")
    ax.set_xlabel("training points D")
    ax.set_ylabel("L(D) − L(∞)")
    ax.set_title("variance-limited: excess loss vs D")
    legend(ax, fontsize=7)
    return finish(fig, owned)


def variance_limited_figures(summary: dict, rows: list[dict], out_dir) -> dict[str, str]:
    """The variance-limited study's figure, saved next to its results (``{name: file name}``)."""
    return write_figures(
        out_dir,
        {
            "variance_limited": Planned(
                "variance_limited.png", lambda: variance_limited_plot(summary, rows)
            )
        },
    )


def variants_alpha_plot(
    summary: dict, *, title: str, expected_key: str = "predicted_alpha", ax: Axes | None = None
) -> Figure:
    """One point per variant: fitted alpha with its interval, and the expected value as a tick."""
    variants = summary.get("variants")
    variants = [v for v in variants if isinstance(v, dict)] if isinstance(variants, list) else []
    if not variants:
        log.warning("alpha by variant: the summary has no variants to draw")
    fig, (ax,), owned = figure_axes(ax, (max(5.0, 1.1 * len(variants) + 2), 4.2))
    xs = np.arange(len(variants))
    for x, v in zip(xs, variants):
        r = v.get("result") if isinstance(v.get("result"), dict) else {}
        what = f"alpha by variant, {v.get('label')}"
        alpha = num(r.get("alpha"))
        if math.isfinite(alpha):
            lo, hi = interval(r.get("alpha_ci"))
            ax.errorbar(
                [x],
                [alpha],
                yerr=error_bars(alpha, lo, hi, what=what),
                fmt="o",
                capsize=4,
                color="C0",
            )
        else:
            log.warning("%s: no fitted alpha (%r), not drawn", what, r.get("alpha"))
        expected = num(r.get(expected_key))
        if math.isfinite(expected):
            ax.plot([x - 0.3, x + 0.3], [expected] * 2, "k--", lw=1)
    ax.set_xticks(xs)
    ax.set_xticklabels(
        [str(v.get("label", "?")) for v in variants], rotation=30, ha="right", fontsize=8
    )
    ax.set_xlabel("variant")
    ax.set_ylabel("fitted exponent α (90 % interval)")
    ax.set_title(title + " (dashed: prediction)")
    return finish(fig, owned)


def variants_loss_plot(summary: dict, rows: list[dict], *, ax: Axes | None = None) -> Figure:
    """Loss vs D for every variant (geometric mean over seeds)."""
    fig, (ax,), owned = figure_axes(ax, (6.4, 4.8))
    variants = results_of(summary, "variants", what="loss by variant")
    for color, v in zip(colours(len(variants)), variants):
        pts = [r for r in rows if r.get("variant") == v.get("label")]
        xs, ys = column(pts, "n_train"), column(pts, "test_loss")
        ok = drawable(xs, ys, what=f"loss by variant, {v.get('label')} trials")
        uniq, gm = geometric_means(xs[ok], ys[ok])
        ax.plot(uniq, gm, "o-", color=color, lw=1, ms=3, label=v.get("label"))
    loss_axes(ax, "training points D", "test loss (its own units per variant)")
    return finish(fig, owned)


def variants_figures(
    summary: dict,
    rows: list[dict],
    out_dir,
    *,
    title: str,
    alpha_figure: str = "alpha_by_variant",
    alpha_file: str = "alpha_by_variant.png",
) -> dict[str, str]:
    """A variants study's two figures: alpha per variant (named ``alpha_figure``, saved as
    ``alpha_file``) and ``loss_vs_size``. Returns ``{name: file name}`` of those written."""
    return write_figures(
        out_dir,
        {
            alpha_figure: Planned(alpha_file, lambda: variants_alpha_plot(summary, title=title)),
            "loss_vs_size": Planned("loss_vs_size.png", lambda: variants_loss_plot(summary, rows)),
        },
    )


def smoothness_plot(summary: dict, *, ax: Axes | None = None) -> Figure:
    """alpha d / 2 against the Matérn teacher's smoothness nu: one colour and marker per learner
    (side by side), filled for the first d and open for the next, with the piecewise-linear line
    min(nu, 2) (solid) and each d's kernel line min(nu, d + 1) (dashed); intervals clipped at the
    axis with an arrow. The scan that says which mechanism the network follows."""
    fig, (ax,), owned = figure_axes(ax, (6.6, 4.8))
    rows = [r for r in results_of(summary, what="smoothness scan") if isinstance(r, dict)]
    dims = sorted({r.get("d") for r in rows if r.get("d") is not None})
    nus = np.linspace(0.25, 4.0, 100)
    ylim = (0.0, 5.0)
    ax.plot(nus, np.minimum(nus, 2.0), "-", color="black", lw=1, label="min(ν, 2) piecewise-linear")
    offsets = {"network": 0.0, "simplex": -0.12, "kernel": 0.12}
    missing = {}  # learner -> the (nu, d) without an exponent, said in the legend
    for j, d in enumerate(dims):
        ax.plot(nus, np.minimum(nus, d + 1.0), ls=("--", ":", "-.")[j % 3], color="gray", lw=1,
                label=f"min(ν, {d + 1:g}) kernel, d={d:g}")  # fmt: skip
        for learner, shift in offsets.items():
            name, color, marker = learner_style(learner)
            pts = [
                r for r in rows if r.get("d") == d and (r.get("learner") or "network") == learner
            ]
            labelled = False
            for r in sorted(pts, key=lambda r: num(r.get("nu"))):
                alpha, nu = num(r.get("alpha")), num(r.get("nu"))
                if not (math.isfinite(alpha) and math.isfinite(nu)):
                    log.warning("smoothness scan d=%s %s nu=%s: no alpha", d, learner, r.get("nu"))
                    missing.setdefault(learner, []).append(f"ν={nu:g}, d={d:g}")
                    continue
                lo, hi = interval(r.get("alpha_ci"))
                x = nu + shift + 0.05 * j
                clipped_errorbar(
                    ax, x, alpha * d / 2, lo * d / 2, hi * d / 2, ylim=ylim, color=color,
                    marker=marker, label=None if labelled else f"{name}, d={d:g}",
                    what=f"smoothness scan d={d} {learner}", filled=j % 2 == 0,
                )  # fmt: skip
                labelled = True
    for learner, where in missing.items():
        absent_learner(ax, learner, "; ".join(where))
    ax.set_ylim(*ylim)
    ax.set_xlabel("teacher smoothness ν (Matérn)")
    ax.set_ylabel("α·d/2 (90 % interval)")
    ax.set_title("Which rate does each learner follow?")
    legend(ax, fontsize=7, loc="upper left")
    return finish(fig, owned)


_LEARNER_LINE = {"network": "-", "simplex": "--", "kernel": ":"}


def smoothness_loss_plot(summary: dict, rows: list[dict], *, ax=None) -> Figure:
    """Test loss vs D of the smoothness scan, one panel per d: one colour per teacher smoothness
    nu, one marker and line style per learner (network solid, simplex dashed, kernel dotted),
    geometric means over the replicates; each learner on the test set its row was fitted on."""
    results = [r for r in results_of(summary, what="smoothness loss") if isinstance(r, dict)]
    dims = sorted({num(r.get("d")) for r in results if math.isfinite(num(r.get("d")))})
    nus = sorted({num(r.get("nu")) for r in results if math.isfinite(num(r.get("nu")))})
    distinct = ("#7b3294", "#e66101", "#008837", "#0571b0", "#ca0020")
    nu_colour = dict(zip(nus, distinct if len(nus) <= len(distinct) else colours(len(nus))))
    n = max(len(dims), 1)
    fig, axes, owned = figure_axes(ax, (4.4 * n, 4.2), n)
    for panel, d in zip(axes, dims):
        for res in [r for r in results if num(r.get("d")) == d]:
            learner = res.get("learner") or "network"
            _, _, marker = learner_style(learner)
            nu = num(res.get("nu"))
            pts = [
                r for r in rows if num(r.get("d")) == d and r.get("variant") == res.get("variant")
            ]
            xs, ys = column(pts, "n_train"), column(pts, learner_loss_key(res))
            ok = drawable(xs, ys, what=f"smoothness loss, d={d:g} nu={nu:g} {learner}")
            gx, gy = geometric_means(xs[ok], ys[ok])
            panel.plot(gx, gy, marker=marker, ls=_LEARNER_LINE.get(learner, "-."), ms=5, lw=1.1,
                       color=nu_colour.get(nu, "#666666"))  # fmt: skip
        # Two short legends: the colours say nu, the marker and line say the learner.
        for nu, colour in nu_colour.items():
            panel.plot([], [], color=colour, lw=2.5, label=f"ν = {nu:g}")
        for learner, line in _LEARNER_LINE.items():
            label, _, marker = learner_style(learner)
            panel.plot([], [], color="#444444", ls=line, marker=marker, label=label)
        log_scale(panel)
        panel.set_xlabel("training points D")
        panel.set_ylabel("test loss")
        panel.set_title(f"d = {d:g}")
        legend(panel, fontsize=7, loc="lower left")
    if owned:
        fig.suptitle("Smoothness scan: test loss vs D (geometric mean over teachers)", fontsize=10)
    return finish(fig, owned)


def smoothness_figures(summary: dict, rows: list[dict], out_dir) -> dict[str, str]:
    """The smoothness scan's figures: alpha d / 2 against nu, and loss vs D per variant."""
    return write_figures(
        out_dir,
        {
            "smoothness": Planned("smoothness.png", lambda: smoothness_plot(summary)),
            "loss_vs_size": Planned(
                "loss_vs_size.png", lambda: smoothness_loss_plot(summary, rows)
            ),
        },
    )
