# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 03 — Intrinsic dimension, measured, and what a manifold looks like from inside
#
# The prediction $\alpha = 4/d$ needs *d*. On synthetic data we know it; on real data (and inside a
# network's layers, where Sharma & Kaplan measured it) it must be estimated. This notebook
#
# 1. checks the estimators of `manifold_scaling.intrinsic_dim` (TwoNN, Levina–Bickel MLE and the
#    calibrated default) on manifolds of known *d* embedded in 24 dimensions — straight, rotated and
#    curved;
# 2. measures the dimension of a random teacher's hidden layers, which carry the *d*-dimensional
#    input manifold (no training involved);
# 3. shows UMAP views of a torus, a sphere and a cube embedded in 24 dimensions.
#
# Everything except the UMAP coordinates is computed here in seconds; the UMAP views are loaded
# from `notebooks/data/umap_views.npz` (UMAP's numba compilation takes minutes on a busy CPU).
# Regenerate them with `python experiments/umap_views.py`.

# %%
import time

import jax
import matplotlib.pyplot as plt
import numpy as np

from manifold_scaling import plots
from manifold_scaling.intrinsic_dim import estimate_id
from manifold_scaling.manifolds import ManifoldConfig, init_embedding, sample_manifold
from manifold_scaling.teachers import TeacherConfig, init_teacher

START = time.time()
KEY = jax.random.key(0)
N_POINTS = 1500


from _paths import find_data  # noqa: E402 (the notebooks' saved results)


def points(d, embedding="rotation", latent="cube", n=N_POINTS, seed=0):
    m = ManifoldConfig(intrinsic_dim=d, latent=latent, ambient_dim=24, embedding=embedding)
    embedder = init_embedding(jax.random.key(100 + d), m)
    return sample_manifold(jax.random.fold_in(KEY, seed), embedder, n)


# %% [markdown]
# ## Figure 1 — estimated against true dimension
#
# 1 500 points per manifold, cubes of dimension *d* in $\mathbb{R}^{24}$ by a rotation and by a
# curved network embedding. Error bars: each estimator's 90 % interval. TwoNN and MLE are
# biased low as *d* grows at fixed *n* (too few points per direction); the calibrated estimator
# corrects that bias against reference samples of known dimension.
#
# *Regenerate*: computed in this cell.

# %%
dims = [2, 4, 6, 8]
estimates = {}
for embedding in ("rotation", "network"):
    for d in dims:
        x = np.asarray(points(d, embedding).x)
        for est in ("twonn", "mle"):
            estimates[(embedding, d, est)] = estimate_id(x, estimator=est)
        if embedding == "network" and d in (4, 8):  # the calibrated one costs a few seconds
            estimates[(embedding, d, "calibrated")] = estimate_id(
                x, estimator="calibrated", key=jax.random.fold_in(KEY, d)
            )

fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
for ax, embedding in zip(axes, ("rotation", "network")):
    for i, est in enumerate(("twonn", "mle", "calibrated")):
        ds = [d for d in dims if (embedding, d, est) in estimates]
        if not ds:
            continue
        val = np.array([estimates[(embedding, d, est)].dimension for d in ds])
        ci = np.array([estimates[(embedding, d, est)].ci for d in ds])
        ax.errorbar(
            np.array(ds) + 0.1 * (i - 1),
            val,
            yerr=[val - ci[:, 0], ci[:, 1] - val],
            fmt="o",
            capsize=3,
            label=est,
        )
    ax.plot([0, 9], [0, 9], "k--", lw=1)
    ax.set_xlabel("true intrinsic dimension d")
    ax.set_title(f"cube in R^24, {embedding} embedding")
axes[0].set_ylabel("estimated dimension")
axes[0].legend(fontsize=8)
plt.tight_layout()
plt.show()
for d in (4, 8):
    got = estimates[("network", d, "calibrated")].dimension
    assert abs(got - d) < 0.25 * d, (d, got)

# %% [markdown]
# ## Figure 2 — the dimension of a teacher's hidden layers
#
# Sharma & Kaplan estimate *d* from a network's activations. A random tanh teacher maps the
# *d*-dimensional input manifold into 64-dimensional layers smoothly, so each layer should still
# look *d*-dimensional to a nearest-neighbour estimator (an injective smooth map preserves
# dimension). TwoNN on 1 500 points per layer, for inputs of dimension 2, 4 and 6.
#
# *Regenerate*: computed in this cell (the teacher is random, nothing is trained).

# %%
teacher_cfg = TeacherConfig(depth=3, width=64, gain=1.5)
layer_ids = {}
for d in (2, 4, 6):
    z = np.asarray(points(d, "rotation", seed=1).z)
    teacher = init_teacher(jax.random.key(d), teacher_cfg, d)
    layers = [z] + [np.asarray(h) for h in teacher.hidden(z)]
    layer_ids[d] = [estimate_id(h, estimator="twonn").dimension for h in layers]
fig, ax = plt.subplots(figsize=(5.5, 4))
for d, ids in layer_ids.items():
    ax.plot(range(len(ids)), ids, "o-", label=f"input d={d}")
    ax.axhline(d, ls=":", lw=1, color="gray")
ax.set_xticks(range(4))
ax.set_xticklabels(["input", "layer 1", "layer 2", "layer 3"])
ax.set_ylabel("TwoNN dimension")
ax.set_title("Hidden layers of a random teacher keep the input's d")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# ## Figure 3 — UMAP views of manifolds in 24 dimensions
#
# UMAP (McInnes et al. 2018) on 2 000 points of a flat torus $T^2$ and a sphere $S^2$, both
# embedded by a curved random network, and a 3-cube embedded by a rotation; colour = the first
# latent coordinate. The torus and sphere cannot be flattened into the plane without tearing, which
# UMAP shows as seams; the cube's view is a projection of a 3-dimensional solid.
#
# *Regenerate*: `python experiments/umap_views.py` (writes `notebooks/data/umap_views.npz`).

# %%
umap_file = find_data() / "umap_views.npz"
if umap_file.exists():
    with np.load(umap_file) as views:
        saved = {k: views[k] for k in views.files}
    names = sorted({k.rsplit("_", 1)[0] for k in saved})
    fig, axes = plt.subplots(1, len(names), figsize=(4 * len(names), 3.8), squeeze=False)
    for ax, name in zip(axes[0], names):
        # The saved 2-D coordinates are drawn as they are (no UMAP run here), coloured by the
        # first latent coordinate of the same points.
        plots.umap_views(
            {name.replace("_", ", "): saved[f"{name}_xy"]}, saved[f"{name}_z"][:, 0], ax=ax
        )
    fig.tight_layout()
    plt.show()
else:
    print(f"{umap_file} missing: run `python experiments/umap_views.py` to create it")

# %%
for (embedding, d, est), r in sorted(estimates.items(), key=lambda kv: (kv[0][0], kv[0][1])):
    print(f"{embedding:8s} d={d} {est:10s} {r.dimension:5.2f} [{r.ci[0]:.2f}, {r.ci[1]:.2f}]")
print({d: [round(float(v), 2) for v in ids] for d, ids in layer_ids.items()})
print(f"notebook ran in {time.time() - START:.1f} s")
