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
# # 02 — Data scaling and its diagnostics
#
# The main test: for each intrinsic dimension *d*, ReLU students (P ≫ D) are trained to
# interpolation on *D* points of a teacher on a *d*-manifold, and the test loss is fitted as
# $L = A D^{-\alpha}$ over a window chosen by a rule fixed in advance: every seed interpolates
# (train ≤ 0.1 × test) and the student is over-parameterised (P ≥ 4D). An exponent is reported with
# its window, its local slopes and the diagnostics at every point, because a straight line through
# a curve that crosses regimes gives a number, not a test.
#
# **Data.** This notebook reads a data-scaling run's `summary.json` and `trials.csv`. It prefers the
# full reproduction in `notebooks/data/reproduce/` and falls back to the small run shipped in
# `notebooks/data/data-scaling-small/`. Regenerate them with one command each:
#
# ```bash
# manifold-scaling reproduce --out notebooks/data/reproduce            # d = 2..8, ~10+ min
# manifold-scaling data-scaling --dims 2 3 4 --sizes 64 128 256 512 1024 --seeds 2 --width 96 \
#     --steps-per-point 6 --min-steps 800 --max-steps 6000 --n-test 4096 --bootstrap 300 \
#     --out notebooks/data/data-scaling-small                           # ~5 min
# ```
# (then keep only `summary.json` and `trials.csv`).

# %%
import json

import matplotlib.pyplot as plt
from _paths import find_data, trial_rows  # noqa: E402 (the notebooks' saved results)

from manifold_scaling import plots
from manifold_scaling.report import local_slope_table, verdict_table
from manifold_scaling.studies.protocol import load_summary

DATA = find_data()
RUN = (
    DATA / "reproduce"
    if (DATA / "reproduce" / "summary.json").exists()
    else DATA / "data-scaling-small"
)
summary = json.loads((RUN / "summary.json").read_text())
rows = trial_rows(RUN)
results = summary.get("results") or []
print(f"run: {RUN.name} ({len(rows)} trials, dims {sorted({r['d'] for r in rows})})")

# %% [markdown]
# ## The verdict table
#
# One row per *d*: the fitted exponent and its 90 % interval, the spread of the per-replicate
# exponents (runs from before replicate fits show –), the prediction 4/d, their ratio, the window
# the rule allowed (and how many decades it spans), the teacher's nonlinearity (linear R² — the
# rule sets the teacher's gain so that R² = 0.7 for every *d*) and a plain-words reading.

# %%
print(verdict_table(summary))
print()
print(local_slope_table(summary))

# %% [markdown]
# The same verdicts as a DataFrame (`manifold_scaling.sweep.summary_to_dataframe`; pandas comes
# with the `notebooks` and `dataframes` extras):

# %%
try:
    from manifold_scaling.sweep import summary_to_dataframe

    verdicts = summary_to_dataframe(summary)[
        ["d", "alpha", "alpha_ci_lo", "alpha_ci_hi", "predicted_alpha", "ratio", "fit_window_lo",
         "fit_window_hi"]
    ]  # fmt: skip
except ImportError as err:  # pandas missing: the message names the extra to install
    verdicts = str(err)
verdicts  # noqa: B018 (a notebook shows a cell's last value)

# %% [markdown]
# ## Figure 1 — test loss vs D, with the fit over the rule's window
#
# Dots: test loss per seed; thin line: their geometric mean. Thick line: the fit over the window
# the rule allowed (sizes where the student no longer interpolates are excluded, see Figure 2);
# dashed: slope 4/d through the fit's centre. Every figure in this notebook is drawn by
# `manifold_scaling.plots` into axes made here (`ax=`), so it can be resized, combined or restyled.
#
# *Regenerate*: the commands at the top of this notebook.

# %%
fig, ax = plt.subplots(figsize=(7, 5))
plots.loss_vs_size(summary, rows, ax=ax)
plt.show()

# %% [markdown]
# ## Figure 2 — the interpolation diagnostic
#
# The worst train/test ratio over seeds at each size. The window rule requires it below 0.1
# (dotted): above that line the student no longer interpolates and the loss measures the optimiser.

# %%
fig, ax = plt.subplots(figsize=(5.5, 4))
for res in results:
    per = (res.get("diagnostics") or {}).get("per_size") or []
    ratios = [(p.get("size"), p.get("max_train_test_ratio")) for p in per]
    ratios = [(s, max(r, 1e-8)) for s, r in ratios if s is not None and r is not None]
    if ratios:
        ax.loglog(*zip(*ratios), "o-", label=f"d={res.get('d')}")
ax.axhline(summary.get("config", {}).get("interpolation_ratio", 0.1), color="k", ls=":", lw=1)
ax.set_xlabel("training points D")
ax.set_ylabel("max train/test loss ratio over seeds")
ax.set_title("Interpolation diagnostic (rule: below the dotted line)")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# ## Figure 3 — local slopes and 4/α against d
#
# Left: the local exponent $-\Delta\log L/\Delta\log D$ between consecutive sizes (band: bootstrap
# over seeds; open markers: outside the fit window) against the prediction 4/d (dashed). A flat run
# of local slopes at 4/d is the signature of the resolution-limited regime; a steep start and a
# flat tail average to a meaningless number. Right: Bahri et al.'s Fig. 1b view, 4/α against *d*
# with the line 4/α = d.

# %%
fig, (ax_slopes, ax_alpha) = plt.subplots(1, 2, figsize=(11, 4.5))
plots.local_slope_plot(summary, ax=ax_slopes)
plots.four_over_alpha_plot(summary, ax=ax_alpha)
fig.tight_layout()
plt.show()

# %% [markdown]
# ## Reading
#
# The `reading` column says, for each *d*, whether the exponent is consistent with 4/d, above it
# (allowed by the bound: a teacher too simple for this *d*, or a pre-asymptotic window) or below it
# (pre-asymptotic from below, or optimisation-limited), and where the window stopped and why.
# `load_summary` reads the same file as typed verdicts (`studies.verdict.Verdict`).

# %%
for verdict in load_summary(RUN).results:
    print(f"d={verdict.d:g}: {verdict.reading}")
    for size, why in (verdict.diagnostics.get("excluded") or {}).items():
        print(f"    D={size}: {why}")
