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
# # 01 — The theory in one page, and a quickstart
#
# **The claim** (Sharma & Kaplan 2020; Bahri, Dyer, Kaplan, Lee & Sharma 2021). Data lie on a
# manifold of intrinsic dimension *d*. *D* training points cover it with spacing
# $s \propto D^{-1/d}$. A ReLU network is piecewise linear; if it interpolates the training points
# of a smooth (C²) target, Taylor's theorem bounds its error between points by $O(s^2)$. Mean squared
# error (and cross-entropy near its minimum) is quadratic in that error, so
#
# $$L(D) \propto s^4 \propto D^{-4/d}.$$
#
# The same argument in model size (N parameters cut the manifold into ~N pieces) gives
# $L \propto N^{-4/d}$ at unlimited data. It is an upper bound: $\alpha \ge 4/d$ is allowed,
# $\alpha \approx 4/d$ is the claim.
#
# **Four regimes** (Bahri et al. 2021, Table 1). An exponent means something only inside one of
# them, across the whole fit window:
#
# | regime | when | prediction | study in this repository |
# |---|---|---|---|
# | resolution-limited in D | P ≫ D ≫ 1, the model interpolates | $L \propto D^{-4/d}$ | `data-scaling`, `reproduce` |
# | resolution-limited in N | unlimited data (D ≫ P) | $L \propto N^{-4/d}$ | `model-scaling` |
# | variance-limited in D | small model, D ≫ P | $L(D) - L(\infty) \propto D^{-1}$ | `variance-limited` |
# | variance-limited in width | width ≫ D | $L(w) - L(\infty) \propto w^{-1}$ | — |
#
# This notebook checks the two geometric facts behind the argument in a few seconds, with no neural
# network at all, and then shows the commands that test the claim on networks.

# %%
import time

import jax
import matplotlib.pyplot as plt
import numpy as np
from scipy.interpolate import LinearNDInterpolator
from scipy.spatial import cKDTree

from manifold_scaling.fitting import fit_power_law
from manifold_scaling.manifolds import ManifoldConfig, init_embedding, sample_manifold

START = time.time()
KEY = jax.random.key(0)

# %% [markdown]
# ## 1. Spacing: the nearest-neighbour distance falls as $D^{-1/d}$
#
# Points on a *d*-dimensional cube embedded (by a random rotation) in 24 dimensions: the typical
# distance to the nearest other training point is the spacing *s*. Its log-log slope against *D*
# should be $-1/d$ whatever the ambient dimension.
#
# *Regenerate*: this cell computes everything itself (about a second).

# %%
sizes = np.array([256, 512, 1024, 2048, 4096])
fig, ax = plt.subplots(figsize=(5.5, 4))
spacing_slopes = {}
for d in (2, 4, 8):
    embedder = init_embedding(jax.random.key(d), ManifoldConfig(intrinsic_dim=d, ambient_dim=24))
    # One sample of the largest size; smaller training sets are its prefixes (nested, and one
    # JAX call instead of one per size).
    x_all = np.asarray(sample_manifold(jax.random.fold_in(KEY, d), embedder, int(sizes[-1])).x)
    spacing = []
    for n in sizes:
        x = x_all[:n]
        dist, _ = cKDTree(x).query(x, k=2)
        spacing.append(np.median(dist[:, 1]))
    slope = np.polyfit(np.log(sizes), np.log(spacing), 1)[0]
    spacing_slopes[d] = slope
    ax.loglog(sizes, spacing, "o-", label=f"d={d}: slope {slope:.3f} (−1/d = {-1 / d:.3f})")
ax.set_xlabel("points D")
ax.set_ylabel("median nearest-neighbour distance s")
ax.set_title("Spacing on a d-manifold in R^24: s ∝ D^(-1/d)")
ax.legend(fontsize=8)
plt.show()
for d, slope in spacing_slopes.items():
    assert abs(slope + 1 / d) < 0.25 / d, (d, slope)

# %% [markdown]
# ## 2. Piecewise-linear interpolation: MSE falls as $D^{-4/d}$
#
# The argument's second step, isolated: interpolate a smooth function linearly on a Delaunay
# triangulation of *D* random points (Michaud, Liu & Tegmark 2022 use exactly this baseline) and
# measure the mean squared error on fresh points inside the hull. The fitted exponent (a robust
# log-space fit with a bootstrap interval, `fitting.fit_power_law`) should sit near 4/d.
#
# *Regenerate*: computed here, a few seconds.


# %%
def target(z):
    return np.sin(2.0 * z).sum(axis=1) + np.cos(3.0 * z[:, :1]).ravel()


rng = np.random.default_rng(0)
interp_fits = {}
fig, ax = plt.subplots(figsize=(5.5, 4))
for d, ns in (
    (1, [32, 64, 128, 256, 512]),
    (2, [64, 128, 256, 512, 1024, 2048]),
    (3, [128, 256, 512, 1024, 2048]),
):
    # Test points well inside the cube, so that the hull of the training points covers them.
    z_test = rng.uniform(-0.7, 0.7, size=(4000, d))
    mses, used = [], []
    for n in ns:
        z = rng.uniform(-1, 1, size=(n, d))
        if d == 1:
            order = np.argsort(z[:, 0])
            pred = np.interp(z_test[:, 0], z[order, 0], target(z)[order])
        else:
            pred = LinearNDInterpolator(z, target(z))(z_test)
        ok = np.isfinite(pred)
        mses.append(np.mean((pred[ok] - target(z_test)[ok]) ** 2))
        used.append(n)
    fit = fit_power_law(used, mses, key=jax.random.fold_in(KEY, d), n_bootstrap=200)
    interp_fits[d] = fit
    ax.loglog(
        used,
        mses,
        "o-",
        label=f"d={d}: α = {fit.alpha:.2f} "
        f"[{fit.alpha_ci[0]:.2f}, {fit.alpha_ci[1]:.2f}], 4/d = {4 / d:.2f}",
    )
ax.set_xlabel("training points D")
ax.set_ylabel("test MSE of linear interpolation")
ax.set_title("Simplex interpolation of a smooth target: MSE ∝ D^(-4/d)")
ax.legend(fontsize=8)
plt.show()
for d, fit in interp_fits.items():
    assert 0.7 < fit.alpha / (4 / d) < 1.4, (d, fit.alpha)

# %% [markdown]
# ## 3. Quickstart: the same test on neural networks
#
# Each command trains ReLU students, keeps every trial as an atomic record (re-running resumes),
# fits the exponent over a window chosen by a rule stated in advance, and writes `summary.json`
# plus figures. Start small:
#
# ```bash
# manifold-scaling reproduce --quick --out results/quick           # ~2 min: alpha_D vs 4/d
# manifold-scaling data-scaling --dims 3 4 --sizes 128 256 512 1024 --out results/ds
# manifold-scaling model-scaling --dims 3 4 6 --out results/ms     # alpha_N, fresh data
# manifold-scaling variance-limited --out results/vl                # the D^-1 regime
# manifold-scaling ambient-invariance --out results/amb             # same d, other ambient spaces
# manifold-scaling loss-powers --out results/lp                     # |e|^p and cross-entropy
# manifold-scaling compute-frontier --out results/cf                # L(N, D) and L*(C)
# manifold-scaling fit LOSSES.csv                                   # fit your own loss table
# ```
#
# The same commands run as `python -m manifold_scaling ...` where the console script is not on
# PATH (e.g. from this notebook: `!{sys.executable} -m manifold_scaling --version`), and every study
# is a Python function too: `docs/from_python.md` shows how to run one from a notebook (with a
# progress bar), fit your own curve, estimate an intrinsic dimension, load a sweep into pandas and
# draw the package's figures into your own axes.
#
# Notebooks 02–04 read the saved outputs of these commands from `notebooks/data/`.

# %%
print(f"spacing slopes: { {d: round(float(s), 3) for d, s in spacing_slopes.items()} }")
print(f"interpolation exponents: { {d: round(float(f.alpha), 2) for d, f in interp_fits.items()} }")
print(f"notebook ran in {time.time() - START:.1f} s")
