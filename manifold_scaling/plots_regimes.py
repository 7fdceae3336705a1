"""Figures of the studies beyond data scaling (model size, variance-limited, ambient invariance,
loss powers, the joint L(N, D) fit and its compute frontier), drawn from saved summaries and rows.

Like :mod:`manifold_scaling.plots`, nothing here trains: every function reads what a study wrote.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .plots import _colors, _plt, four_over_alpha_plot, local_slope_plot


def convergence_curves(summary: dict, rows: list[dict], curves: dict, path):
    """Validation loss vs step for every width (first seed), one panel per d; dashed = unconverged."""
    plt = _plt()
    results = summary["results"]
    fig, axes = plt.subplots(1, len(results), figsize=(4.2 * len(results), 3.8), squeeze=False)
    for ax, res in zip(axes[0], results):
        d = res["d"]
        pts = sorted(
            (r for r in rows if r["d"] == d and r["seed"] == min(q["seed"] for q in rows)),
            key=lambda r: r["width"],
        )
        for color, r in zip(_colors(len(pts)), pts):
            arr = curves.get((d, r["width"], r["seed"]))
            if arr is None:
                continue
            ls = "-" if r.get("converged") else "--"
            ax.plot(
                arr["curve_steps"],
                arr["curve_val"],
                ls,
                color=color,
                lw=1.2,
                label=f"w={r['width']} (N={r['n_params']})",
            )
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("Adam step (fresh batch each step)")
        ax.set_ylabel("validation loss")
        ax.set_title(f"d={d}: solid = converged by the rule")
        ax.legend(fontsize=6)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return str(path)


def loss_vs_params(summary: dict, rows: list[dict], path):
    """Log-log test loss vs parameter count per d: trials (open: unconverged), fit, slope 4/d."""
    plt = _plt()
    results = summary["results"]
    fig, ax = plt.subplots(figsize=(6.4, 4.8))
    for color, res in zip(_colors(len(results)), results):
        pts = [r for r in rows if r["d"] == res["d"]]
        n = np.array([r["n_params"] for r in pts], float)
        y = np.array([r["test_loss"] for r in pts], float)
        conv = np.array([bool(r.get("converged", True)) for r in pts])
        ax.scatter(n[conv], y[conv], s=14, color=color, alpha=0.7)
        ax.scatter(n[~conv], y[~conv], s=14, facecolors="none", edgecolors=color)
        label = f"d={res['d']}"
        if res.get("fit"):
            lo, hi = res["fit_window"]
            grid = np.geomspace(lo, hi, 20)
            fit = res["fit"]
            ax.plot(grid, fit["amplitude"] * grid ** (-fit["alpha"]), color=color, lw=2.2)
            mid = np.sqrt(lo * hi)
            y_mid = fit["amplitude"] * mid ** (-fit["alpha"])
            ax.plot(
                grid, y_mid * (grid / mid) ** (-res["predicted_alpha"]), "--", color=color, lw=1
            )
            lo_ci, hi_ci = res["alpha_ci"]
            label += f": α_N={res['alpha']:.2f} [{lo_ci:.2f}, {hi_ci:.2f}], 4/d={res['predicted_alpha']:.2f}"
        ax.plot([], [], color=color, lw=2.2, label=label)
    ax.plot([], [], color="gray", ls="--", lw=1, label="slope 4/d through the fit")
    ax.scatter([], [], facecolors="none", edgecolors="gray", label="not converged")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("parameters N")
    ax.set_ylabel("test loss")
    ax.set_title("Test loss vs N at unlimited data (thick: fit over converged widths)")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    plt.close(fig)
    return str(path)


def model_scaling_figures(summary: dict, rows: list[dict], curves: dict, out_dir) -> dict:
    """Loss vs N with fits, local slopes in N, 4/alpha_N vs d, and the loss curves per width."""
    out_dir = Path(out_dir)
    return {
        "loss_vs_params": Path(loss_vs_params(summary, rows, out_dir / "loss_vs_params.png")).name,
        "local_slopes": Path(
            local_slope_plot(summary, out_dir / "local_slopes.png", x_label="parameters N")
        ).name,
        "four_over_alpha": Path(
            four_over_alpha_plot(summary, out_dir / "four_over_alpha.png", alpha_label="α_N")
        ).name,
        "convergence": Path(
            convergence_curves(summary, rows, curves, out_dir / "convergence.png")
        ).name,
    }


def variance_limited_plot(summary: dict, rows: list[dict], path):
    """L(D) - L_inf on log-log axes with the fitted D^-alpha and the D^-1 prediction."""
    plt = _plt()
    res = summary["result"]
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.2))
    sizes = np.array([r["n_train"] for r in rows], float)
    test = np.array([r["test_loss"] for r in rows], float)
    floor = res["fit"]["floor"] if res.get("fit") else None
    ax = axes[0]
    ax.scatter(sizes, test, s=12, alpha=0.6, label="trials")
    if res.get("reference_loss") is not None:
        ax.axhline(res["reference_loss"], color="gray", ls=":", label="L at the warm start θ*")
    if floor is not None:
        ax.axhline(floor, color="k", ls="--", lw=1, label=f"fitted L(∞) = {floor:.3g}")
    ax.set_xscale("log")
    ax.set_xlabel("training points D")
    ax.set_ylabel("test loss")
    ax.set_title(f"small student (P = {res['n_params']}), D ≫ P")
    ax.legend(fontsize=7)
    ax = axes[1]
    if floor is not None:
        uniq = np.unique(sizes)
        excess = np.array([np.mean(test[sizes == u]) - floor for u in uniq])
        ok = excess > 0
        ax.plot(uniq[ok], excess[ok], "o", label="mean L(D) − L(∞)")
        grid = np.geomspace(uniq.min(), uniq.max(), 20)
        fit = res["fit"]
        ax.plot(
            grid,
            fit["amplitude"] * grid ** (-fit["alpha"]),
            lw=2,
            label=f"fit α = {fit['alpha']:.2f} [{fit['alpha_ci'][0]:.2f}, {fit['alpha_ci'][1]:.2f}]",
        )
        mid = np.sqrt(grid[0] * grid[-1])
        y_mid = fit["amplitude"] * mid ** (-fit["alpha"])
        ax.plot(grid, y_mid * (grid / mid) ** -1.0, "k--", lw=1, label="slope 1 (variance-limited)")
        pred = res.get("resolution_alpha")
        if pred:
            ax.plot(
                grid,
                y_mid * (grid / mid) ** (-pred),
                ":",
                color="C3",
                lw=1,
                label=f"slope 4/d = {pred:.2f} (resolution-limited)",
            )
        ax.set_xscale("log")
        ax.set_yscale("log")
    ax.set_xlabel("training points D")
    ax.set_ylabel("L(D) − L(∞)")
    ax.set_title("variance-limited: excess loss vs D")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    plt.close(fig)
    return str(path)


def variants_alpha_plot(summary: dict, path, *, title: str, expected_key="predicted_alpha"):
    """One point per variant: fitted alpha with its interval, and the expected value as a tick."""
    plt = _plt()
    variants = summary["variants"]
    fig, ax = plt.subplots(figsize=(max(5.0, 1.1 * len(variants) + 2), 4.2))
    xs = np.arange(len(variants))
    for x, v in zip(xs, variants):
        r = v["result"]
        if r.get("alpha") is not None:
            lo, hi = r["alpha_ci"]
            ax.errorbar(
                [x],
                [r["alpha"]],
                yerr=[[r["alpha"] - lo], [hi - r["alpha"]]],
                fmt="o",
                capsize=4,
                color="C0",
            )
        ax.plot([x - 0.3, x + 0.3], [r[expected_key]] * 2, "k--", lw=1)
    ax.set_xticks(xs)
    ax.set_xticklabels([v["label"] for v in variants], rotation=30, ha="right", fontsize=8)
    ax.set_ylabel("fitted exponent α (90 % interval)")
    ax.set_title(title + " (dashed: prediction)")
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    plt.close(fig)
    return str(path)


def variants_loss_plot(summary: dict, rows: list[dict], path):
    """Loss vs D for every variant (geometric mean over seeds), with its fit over its window."""
    plt = _plt()
    variants = summary["variants"]
    fig, ax = plt.subplots(figsize=(6.4, 4.8))
    for color, v in zip(_colors(len(variants)), variants):
        pts = [r for r in rows if r["variant"] == v["label"]]
        xs = np.array([r["n_train"] for r in pts], float)
        ys = np.array([r["test_loss"] for r in pts], float)
        ok = np.isfinite(ys) & (ys > 0)
        uniq = np.unique(xs[ok])
        gm = [np.exp(np.mean(np.log(ys[ok][xs[ok] == u]))) for u in uniq]
        ax.plot(uniq, gm, "o-", color=color, lw=1, ms=3, label=v["label"])
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("training points D")
    ax.set_ylabel("test loss (its own units per variant)")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    plt.close(fig)
    return str(path)


def joint_fit_plot(summary: dict, rows: list[dict], path):
    """Left: loss vs D per N with the joint fit; right: the compute frontier L*(C) and its slope."""
    plt = _plt()
    fit = summary["fit"]
    fig, axes = plt.subplots(1, 2, figsize=(10.5, 4.3))
    ax = axes[0]
    ns = sorted({r["n_params"] for r in rows})
    for color, n in zip(_colors(len(ns)), ns):
        pts = [r for r in rows if r["n_params"] == n]
        d_ = np.array([r["n_train"] for r in pts], float)
        y_ = np.array([r["test_loss"] for r in pts], float)
        ax.scatter(d_, y_, s=12, color=color)
        grid = np.geomspace(d_.min(), d_.max(), 30)
        pred = fit["E"] + fit["A"] * n ** (-fit["a"]) + fit["B"] * grid ** (-fit["b"])
        ax.plot(grid, pred, color=color, lw=1.2, label=f"N={n}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("training points D")
    ax.set_ylabel("test loss")
    ax.set_title("L(N, D) = E + A N^-a + B D^-b")
    ax.legend(fontsize=7)
    ax = axes[1]
    fr = summary["frontier"]
    c = np.asarray(fr["compute"], float)
    ax.plot(c, np.asarray(fr["loss"], float) - fit["E"], lw=2, label="frontier L*(C) − E")
    nd = np.array([r["n_params"] * r["n_train"] for r in rows], float)
    ys = np.array([r["test_loss"] for r in rows], float) - fit["E"]
    ax.scatter(nd[ys > 0], ys[ys > 0], s=10, color="gray", alpha=0.6, label="trials (C = N·D)")
    mid = np.sqrt(c[0] * c[-1])
    y_mid = np.interp(np.log(mid), np.log(c), np.asarray(fr["loss"], float) - fit["E"])
    pred = summary["predicted_frontier_exponent"]
    ax.plot(c, y_mid * (c / mid) ** (-pred), "k--", lw=1, label=f"slope 2/d = {pred:.2f}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("compute C ∝ N·D")
    ax.set_ylabel("L − E")
    ax.set_title(f"frontier exponent {summary['frontier_exponent']:.2f} (predicted {pred:.2f})")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    plt.close(fig)
    return str(path)
