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
# # 02 — Data scaling: the network beside the theories' own learners
#
# For each intrinsic dimension *d*, ReLU students (P ≥ 4D) are trained on *D* points of a teacher
# on a *d*-manifold, and beside them the two learners whose rates the theories derive: simplex
# (piecewise-linear) interpolation, the mechanism behind D^(−4/d) (Sharma & Kaplan 2020), and
# ridgeless Laplace-kernel regression (Spigler, Geiger & Wyart 2019), on the same training sets and
# the same test points. Each row is read against its own teacher's predictions with an
# equivalence rule stated in advance (`docs/verdict.md`): *consistent* only when the whole 90 %
# interval lies inside the band, *inconsistent* when wholly outside, otherwise *undetermined*.
# Paired contrasts network − learner cancel the teacher and name the mechanism.
#
# **Data.** This notebook reads the main job's saved results (`notebooks/data/reproduce/`, and the
# smoothness scan in its `smoothness/` folder); it never trains. Regenerate them with
#
# ```bash
# manifold-scaling reproduce --out notebooks/data/reproduce
# ```
# (then keep only `summary.json`, `trials.csv` and `smoothness/summary.json`). Without them it falls
# back to the small run in `notebooks/data/data-scaling-small/`.

# %%
import json

import matplotlib.pyplot as plt
import numpy as np
from _paths import find_data, trial_rows, written_by  # noqa: E402 (the notebooks' saved results)

from manifold_scaling import plots
from manifold_scaling.report import local_slope_table, verdict_table
from manifold_scaling.studies.protocol import StudySummary, load_summary

DATA = find_data()
RUN = (
    DATA / "reproduce"
    if (DATA / "reproduce" / "summary.json").exists()
    else DATA / "data-scaling-small"
)
summary = json.loads((RUN / "summary.json").read_text())
rows = trial_rows(RUN)
results = summary.get("results") or []
print(f"run: {RUN.name} ({len(rows)} trials, dims {sorted({r['d'] for r in rows})}; "
      f"{written_by(summary)})")  # fmt: skip

# %% [markdown]
# ## The verdict table
#
# Network rows first, then the learners: the exponent on the test points its row names, its
# interval, the predictions of both theories for this teacher, the equivalence calls, the
# mechanism from the paired contrasts, and the reading in words.

# %%
print(verdict_table(StudySummary.from_dict(summary)))
print()
print(local_slope_table(StudySummary.from_dict(summary)))

# %% [markdown]
# ## Figure 1 — test loss vs D, one panel per d
#
# Faint markers: one teacher each; large markers: their geometric mean; thick line: the fit over
# the rule's window; dashed and dotted: the piecewise-linear slope and the bottom of the kernel
# band, through the network's middle point. Every figure is drawn by `manifold_scaling.plots` into
# axes made here (`ax=`).

# %%
dims = sorted({r["d"] for r in results})
fig, axes = plt.subplots(1, len(dims), figsize=(4.3 * len(dims), 4.2), squeeze=False)
plots.loss_vs_size_panels(summary, rows, ax=axes[0])
fig.tight_layout()
plt.show()

# %% [markdown]
# ## The paired contrasts
#
# Per replicate, the network's exponent minus each learner's on the same cells; mean and 90 %
# Student-t interval over replicates, called against the margin ±0.2 × 4/d stated in advance.

# %%
for res in results:
    mech = res.get("mechanism") or {}
    for c in mech.get("contrasts") or []:
        lo, hi = c["interval"]
        print(f"d={res['d']:g} network − {c['learner']}: {c['mean']:+.2f} [{lo:+.2f}, {hi:+.2f}] "
              f"over {c['n']} replicates, margin ±{c['margin']:.2f}: {c['call']}")  # fmt: skip
    if mech:
        print(f"d={res['d']:g} mechanism: {mech.get('call')}")

# %% [markdown]
# ## Figure 2 — the convergence rule per cell
#
# Each (teacher, D) cell: how far its running-best validation loss fell in log over the last
# doubling of its step budget. A cell counts when it is at most the tolerance (dotted); more than
# 25 % of a window's cells failing means no verdict for that d.

# %%
tol = summary.get("config", {}).get("convergence_tol", 0.05)
fig, ax = plt.subplots(figsize=(6, 4))
for k, d in enumerate(dims):
    pts = [r for r in rows if r["d"] == d and np.isfinite(r.get("val_tail_dlog", np.nan))]
    if pts:
        x = np.array([r["n_train"] for r in pts]) * (1 + 0.06 * (k - 1))
        y = np.maximum([r["val_tail_dlog"] for r in pts], 1e-4)
        ax.scatter(x, y, s=14, label=f"d={d:g}", marker="os^D"[k % 4])
ax.axhline(tol, color="k", ls=":", lw=1, label=f"tolerance {tol:g}")
ax.set_xscale("log")
ax.set_yscale("log")
ax.set_xlabel("training points D")
ax.set_ylabel("validation loss fall over the last doubling (log)")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# ## Figure 3 — the exponent against d
#
# Bahri et al.'s Fig. 1b view, 4/α against *d*, the learners side by side: dashed 4/α = d is the
# piecewise-linear prediction, the shaded boxes each d's kernel band. Intervals that run off the
# axis end in an arrow.

# %%
fig, ax = plt.subplots(figsize=(6, 5))
plots.four_over_alpha_plot(summary, ax=ax)
plt.show()

# %% [markdown]
# ## Figure 4 — the smoothness scan
#
# Matérn teachers of smoothness ν on the cube: α·d/2 against ν for every learner. Piecewise-linear
# interpolation follows min(ν, 2); a Laplace kernel min(ν, d + 1). Where the two lines coincide
# (ν ≤ 2) the scan cannot tell the mechanisms apart; only ν above 2 can.

# %%
SMOOTH = RUN / "smoothness" / "summary.json"
if SMOOTH.exists():
    smooth = json.loads(SMOOTH.read_text())
    fig, ax = plt.subplots(figsize=(6.6, 4.8))
    plots.smoothness_plot(smooth, ax=ax)
    plt.show()
    for r in smooth.get("results") or []:
        print(f"nu={r.get('nu')} d={r['d']:g} {r.get('learner') or 'network'}: {r['reading']}")
else:
    print("no smoothness scan saved with this run")

# %% [markdown]
# ## Every reading, typed
#
# `load_summary` reads the same file as typed verdicts (`studies.verdict.Verdict`).

# %%
for verdict in load_summary(RUN).results:
    print(f"d={verdict.d:g} {verdict.learner or 'network'}: {verdict.reading}")
