"""Figures from saved records and verdicts (never from training code).

Every function takes what a study wrote (summary dict, per-trial rows) and writes PNGs next to it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def _plt():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def _colors(n):
    plt = _plt()
    cmap = plt.get_cmap("viridis")
    return [cmap(i / max(n - 1, 1) * 0.9) for i in range(n)]


def loss_vs_size(
    summary: dict, rows: list[dict], path, *, x_key="n_train", x_label="training points D"
):
    """Log-log loss vs size per d: trials, fitted power law over its window, and the 4/d slope."""
    plt = _plt()
    results = summary["results"]
    fig, ax = plt.subplots(figsize=(6.4, 4.8))
    for color, res in zip(_colors(len(results)), results):
        d = res["d"]
        pts = [r for r in rows if r["d"] == d]
        xs = np.array([r[x_key] for r in pts], float)
        ys = np.array([r["test_loss"] for r in pts], float)
        ok = np.isfinite(ys) & (ys > 0)
        ax.scatter(xs[ok], ys[ok], s=12, color=color, alpha=0.6)
        uniq = np.unique(xs[ok])
        gm = [np.exp(np.mean(np.log(ys[ok][xs[ok] == u]))) for u in uniq]
        ax.plot(uniq, gm, color=color, lw=0.8, alpha=0.7)
        label = f"d={d}"
        if res.get("alpha") is not None and res.get("fit_window"):
            lo, hi = res["fit_window"]
            grid = np.geomspace(lo, hi, 20)
            fit = res["fit"]
            pred = fit["amplitude"] * grid ** (-fit["alpha"]) + (fit.get("floor") or 0.0)
            ax.plot(grid, pred, color=color, lw=2.2)
            # The predicted slope, anchored at the fit's geometric centre.
            mid = np.sqrt(lo * hi)
            y_mid = fit["amplitude"] * mid ** (-fit["alpha"])
            ax.plot(
                grid, y_mid * (grid / mid) ** (-res["predicted_alpha"]), color=color, ls="--", lw=1
            )
            lo_ci, hi_ci = res["alpha_ci"]
            label += f": α={res['alpha']:.2f} [{lo_ci:.2f}, {hi_ci:.2f}], 4/d={res['predicted_alpha']:.2f}"
        ax.plot([], [], color=color, lw=2.2, label=label)
    ax.plot([], [], color="gray", ls="--", lw=1, label="slope 4/d through the fit")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(x_label)
    ax.set_ylabel("test loss")
    ax.set_title("Test loss vs D (thick: fit over the rule's window)")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    plt.close(fig)
    return str(path)


def local_slope_plot(summary: dict, path, *, x_label="training points D"):
    """Local slopes -dlogL/dlogD between consecutive sizes, with 4/d as a dashed line per d."""
    plt = _plt()
    results = summary["results"]
    fig, ax = plt.subplots(figsize=(6.4, 4.8))
    for color, res in zip(_colors(len(results)), results):
        ls = res["local_slopes"]
        mids = np.asarray(ls["midpoints"], float)
        slopes = np.asarray(ls["slopes"], float)
        ax.plot(mids, slopes, "-", color=color, lw=1, label=f"d={res['d']}")
        # Filled markers: slopes between two sizes inside the fit window; open: outside it.
        window = res.get("fit_window") or (np.inf, -np.inf)
        inside = (np.asarray(ls["sizes_lo"]) >= window[0]) & (
            np.asarray(ls["sizes_hi"]) <= window[1]
        )
        ax.plot(mids[inside], slopes[inside], "o", color=color)
        ax.plot(mids[~inside], slopes[~inside], "o", mfc="white", color=color)
        if ls.get("slopes_ci") is not None:
            ci = np.asarray(ls["slopes_ci"], float)
            ax.fill_between(mids, ci[:, 0], ci[:, 1], color=color, alpha=0.12, lw=0)
        ax.axhline(res["predicted_alpha"], color=color, ls="--", lw=1)
    ax.set_xscale("log")
    ax.set_xlabel(x_label)
    ax.set_ylabel("local slope  -Δlog L / Δlog D")
    ax.set_title("Local slopes (dashed: 4/d; open markers: outside the fit window)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    plt.close(fig)
    return str(path)


def four_over_alpha_plot(summary: dict, path, *, alpha_label="α_D"):
    """Bahri et al. 2021 Fig. 1b: 4/alpha against d, with the line 4/alpha = d."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(5.2, 4.8))
    ds, vals, lo, hi = [], [], [], []
    for res in summary["results"]:
        if res.get("alpha") is None or res["alpha"] <= 0:
            continue
        scale = 4.0 / (res["predicted_alpha"] * res["d"])  # 4 for MSE, 2p otherwise
        a, (a_lo, a_hi) = res["alpha"], res["alpha_ci"]
        ds.append(res["d"])
        vals.append(4.0 / a / scale)
        hi.append(4.0 / max(a_lo, 1e-9) / scale)
        lo.append(4.0 / a_hi / scale if a_hi > 0 else np.nan)
    ds, vals = np.array(ds), np.array(vals)
    if len(ds):
        ax.errorbar(
            ds,
            vals,
            yerr=[vals - np.array(lo), np.array(hi) - vals],
            fmt="o",
            capsize=4,
            label=f"4/{alpha_label} (90 % interval)",
        )
        top = max(ds.max(), np.nanmax(vals)) + 1
    else:
        top = 10
    grid = np.linspace(0, top, 10)
    ax.plot(grid, grid, "k--", lw=1, label="4/α = d (prediction)")
    ax.set_xlim(0, top)
    ax.set_ylim(0, top)
    ax.set_xlabel("intrinsic dimension d")
    ax.set_ylabel(f"4 / {alpha_label}")
    ax.set_title("Exponent vs intrinsic dimension")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    plt.close(fig)
    return str(path)


def data_scaling_figures(summary: dict, rows: list[dict], out_dir) -> dict[str, str]:
    """The three figures of a data-scaling run, saved next to its results."""
    out_dir = Path(out_dir)
    return {
        "loss_vs_size": Path(loss_vs_size(summary, rows, out_dir / "loss_vs_size.png")).name,
        "local_slopes": Path(local_slope_plot(summary, out_dir / "local_slopes.png")).name,
        "four_over_alpha": Path(
            four_over_alpha_plot(summary, out_dir / "four_over_alpha.png")
        ).name,
    }
