"""Intrinsic-dimension figures: estimate vs neighbourhood scale, and UMAP views of a manifold,
its embedding and a student's last hidden layer coloured by a latent coordinate."""

from __future__ import annotations

import numpy as np

from .plots import _colors, _plt


def estimate_vs_scale_plot(curves: dict[str, dict], path, *, true_d: float | None = None) -> str:
    """One line per point cloud: the multiscale estimate against neighbourhood distance.

    ``curves`` maps a label to an ``IDEstimate.to_dict()`` of the ``multiscale`` estimator. A flat
    curve is a trustworthy estimate; one that falls with scale is the signature of noise.
    """
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for color, (label, est) in zip(_colors(len(curves)), curves.items()):
        scales = est["diagnostics"]["scales"]
        r = np.array([s["distance"] for s in scales])
        dim = np.array([s["dimension"] for s in scales])
        ci = np.array([s["ci"] for s in scales])
        flag = "" if est["diagnostics"].get("plateau", True) else " (no plateau)"
        ax.plot(r, dim, "o-", color=color, label=f"{label}{flag}")
        ax.fill_between(r, ci[:, 0], ci[:, 1], color=color, alpha=0.15)
    if true_d is not None:
        ax.axhline(true_d, color="k", ls="--", lw=1, label=f"d = {true_d:g}")
    ax.set_xscale("log")
    ax.set_xlabel("neighbourhood scale (median distance to the n2-th neighbour)")
    ax.set_ylabel("GRIDE estimate")
    ax.set_title("Intrinsic dimension vs scale")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    plt.close(fig)
    return str(path)


def umap_views(panels: dict[str, np.ndarray], colour: np.ndarray, path, *, seed: int = 0) -> str:
    """2-D UMAP of each point cloud in ``panels`` (e.g. latent, ambient data, last hidden layer),
    all coloured by the same latent coordinate, so one can see whether the layer keeps the
    manifold's structure. ``seed`` fixes umap-learn's layout (which also makes it single-threaded).
    """
    import umap

    plt = _plt()
    fig, axes = plt.subplots(1, len(panels), figsize=(4.0 * len(panels), 4.0))
    axes = np.atleast_1d(axes)
    for ax, (title, pts) in zip(axes, panels.items()):
        pts = np.asarray(pts, np.float64)
        xy = (
            pts
            if pts.shape[1] == 2
            else umap.UMAP(random_state=seed, n_neighbors=15).fit_transform(pts)
        )
        ax.scatter(xy[:, 0], xy[:, 1], c=colour, s=3, cmap="viridis")
        ax.set_title(title if pts.shape[1] == 2 else f"UMAP of {title}", fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle("coloured by latent coordinate z1", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return str(path)
