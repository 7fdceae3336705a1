"""Figures: every plot function draws into a caller's Axes and returns its Figure without writing
anything, and the figure sets survive whatever a summary holds (a plot must never fail a sweep)."""

import logging
import math

import numpy as np
import pytest
from matplotlib.figure import Figure

from manifold_scaling import plots

SIZES = [64, 128, 256, 512, 1024]


# ---- synthetic summaries shaped like the studies' (see notebooks/data/*/summary.json) ----------


DEFAULT = object()


def _result(d, alpha=DEFAULT, ci=DEFAULT, *, window=(64.0, 1024.0)):
    """A ``DimensionVerdict.to_dict()``: alpha defaults to 4/d with a +-10 % interval."""
    pred = 4.0 / d
    alpha = pred if alpha is DEFAULT else alpha
    ci = [0.9 * pred, 1.1 * pred] if ci is DEFAULT else ci
    mids = [math.sqrt(a * b) for a, b in zip(SIZES, SIZES[1:])]
    return {
        "d": d,
        "alpha": alpha,
        "alpha_ci": ci,
        "predicted_alpha": pred,
        "ratio": None if alpha is None else alpha / pred,
        "fit_window": list(window) if window else None,
        "window_decades": 1.2,
        "reading": "synthetic",
        "consistent": True,
        "within_tolerance": True,
        "diagnostics": {"per_size": [], "excluded": {}, "n_trials": 10},
        # No fit is stored as None (as in notebooks/data/data-scaling-small).
        "fit": None
        if alpha is None
        else {
            "alpha": alpha,
            "alpha_ci": ci,
            "amplitude": 2.0,
            "floor": None,
            "floor_ci": None,
            "window": list(window) if window else None,
        },
        "local_slopes": {
            "sizes_lo": SIZES[:-1],
            "sizes_hi": SIZES[1:],
            "midpoints": mids,
            "slopes": [pred] * len(mids),
            "slopes_ci": [[pred - 0.3, pred + 0.3]] * len(mids),
            "ci_level": 0.9,
        },
        "teacher": {"gain": 1.5},
    }


def _rows(dims, *, x_key="n_train"):
    rows = []
    for d in dims:
        for i, n in enumerate(SIZES):
            for seed in (0, 1):
                rows.append(
                    {
                        "d": d,
                        x_key: n,
                        "n_train": n,
                        "seed": seed,
                        "width": 4 * (i + 1),
                        "n_params": 40 * (i + 1),
                        "test_loss": 2.0 * n ** (-4.0 / d) * (1 + 0.1 * seed),
                        "train_loss": 1e-4,
                        "converged": i < 4,
                    }
                )
    return rows


def _curves(rows):
    steps = np.arange(250, 5001, 250)
    return {
        (r["d"], r["width"], r["seed"]): {"curve_steps": steps, "curve_val": 1.0 / np.sqrt(steps)}
        for r in rows
    }


def _variance_summary(alpha=1.0, ci=(0.9, 1.1), floor=0.04):
    result = {
        "d": 8,
        "alpha": alpha,
        "alpha_ci": list(ci) if ci else None,
        "predicted_alpha": 1.0,
        "resolution_alpha": 0.5,
        "reference_loss": 0.0405,
        "n_params": 153,
        "fit": {
            "alpha": alpha,
            "alpha_ci": list(ci) if ci else None,
            "amplitude": 8.0,
            "floor": floor,
        },
    }
    return {"study": "variance-limited", "result": result, "results": [result]}


def _variance_rows():
    return [
        {"n_train": n, "seed": s, "test_loss": 0.04 + 8.0 / n + 1e-4 * s}
        for n in (1024, 2048, 4096, 8192)
        for s in (0, 1)
    ]


def _variants_summary(results):
    return {
        "study": "ambient-invariance",
        "variants": [
            {"label": f"v{i}", "settings": {}, "result": r} for i, r in enumerate(results)
        ],
    }


def _variants_rows(n):
    return [{**r, "variant": f"v{i}"} for i in range(n) for r in _rows([4])]


def _joint_summary():
    compute = np.geomspace(1e4, 1e7, 10)
    return {
        "study": "compute-frontier",
        "d": 4,
        "fit": {"E": 0.0, "A": 50.0, "a": 1.5, "B": 5.0, "b": 1.0},
        "frontier": {"compute": list(compute), "loss": list(1.0 / np.sqrt(compute))},
        "frontier_exponent": 0.6,
        "predicted_frontier_exponent": 0.5,
    }


def _joint_fit_and_runs():
    """A known law and the runs on it, as ``fit --joint`` reads and fits them."""
    from types import SimpleNamespace

    from manifold_scaling.fitting import JointFit

    fit = JointFit(E=1.7, A=400.0, a=0.34, B=4e3, b=0.28, ci={}, n_points=12, huber_delta=1e-3,
                   n_bootstrap=0)  # fmt: skip
    n, d = (a.ravel() for a in np.meshgrid([1e7, 1e8, 1e9], [1e9, 1e10, 1e11, 1e12]))
    return fit, SimpleNamespace(N=n, D=d, losses=fit.predict(n, d))


def _joint_rows():
    return [
        {"width": w, "n_params": 10 * w, "n_train": n, "seed": 0, "test_loss": 1.0 / (w * n)}
        for w in (8, 16)
        for n in (64, 256, 1024)
    ]


def _id_curves(ci=(2.8, 3.2)):
    scales = [
        {"n1": 2**i, "n2": 2 ** (i + 1), "distance": 0.1 * 2**i, "dimension": 3.0, "ci": list(ci)}
        for i in range(4)
    ]
    return {"layer 1": {"estimator": "multiscale", "diagnostics": {"scales": scales}}}


def _panels():
    # Already 2-D, so no UMAP is fitted (umap-learn compiles with numba for minutes).
    rng = np.random.default_rng(0)
    pts = rng.normal(size=(50, 2))
    return {"latent": pts, "hidden": pts[:, ::-1]}, pts[:, 0]


def _smoothness_summary(bad=False):
    rows = []
    for nu in (0.5, 3.5):
        for learner in ("network", "simplex", "kernel"):
            r = {**_result(2), "nu": nu, "learner": learner, "variant": f"nu_{nu:g}"}
            if bad and learner == "network":
                r["alpha"], r["alpha_ci"] = (float("nan"), None) if nu < 1 else (1.0, [1.2, 1.4])
            rows.append(r)
    return {"study": "smoothness-scan", "results": rows}


def _smoothness_rows():
    """Trials of both teachers (nu = 3.5 ten times smaller), with every learner's loss."""
    rows = []
    for nu in (0.5, 3.5):
        for r in _rows([2]):
            loss = r["test_loss"] * (1.0 if nu < 1 else 0.1)
            rows.append({**r, "variant": f"nu_{nu:g}", "test_loss": loss,
                         "simplex_test_loss": 2 * loss, "kernel_test_loss": 0.5 * loss})  # fmt: skip
    return rows


SUMMARY = {"study": "data-scaling", "results": [_result(2), _result(4)]}
ROWS = _rows([2, 4])

# (name, call taking ax=, number of panels)
PLOTS = [
    ("loss_vs_size", lambda ax: plots.loss_vs_size(SUMMARY, ROWS, ax=ax), 1),
    (
        "loss_vs_size_panels",
        lambda ax: plots.loss_vs_size_panels(SUMMARY, ROWS, ax=ax),
        len({r["d"] for r in SUMMARY["results"]}),
    ),
    (
        "local_slope_plot",
        lambda ax: plots.local_slope_plot(SUMMARY, ax=ax),
        len({r["d"] for r in SUMMARY["results"]}),
    ),
    ("four_over_alpha_plot", lambda ax: plots.four_over_alpha_plot(SUMMARY, ax=ax), 1),
    ("loss_vs_params", lambda ax: plots.loss_vs_params(SUMMARY, ROWS, ax=ax), 1),
    (
        "convergence_curves",
        lambda ax: plots.convergence_curves(SUMMARY, ROWS, _curves(ROWS), ax=ax),
        2,
    ),
    (
        "variance_limited_plot",
        lambda ax: plots.variance_limited_plot(_variance_summary(), _variance_rows(), ax=ax),
        2,
    ),
    (
        "variants_alpha_plot",
        lambda ax: plots.variants_alpha_plot(
            _variants_summary([_result(4), _result(4)]), title="t", ax=ax
        ),
        1,
    ),
    (
        "variants_loss_plot",
        lambda ax: plots.variants_loss_plot(
            _variants_summary([_result(4), _result(4)]), _variants_rows(2), ax=ax
        ),
        1,
    ),
    ("joint_fit_plot", lambda ax: plots.joint_fit_plot(_joint_summary(), _joint_rows(), ax=ax), 2),
    ("joint_fit_figure", lambda ax: plots.joint_fit_figure(*_joint_fit_and_runs(), ax=ax), 2),
    ("estimate_vs_scale_plot", lambda ax: plots.estimate_vs_scale_plot(_id_curves(), ax=ax), 1),
    ("umap_views", lambda ax: plots.umap_views(*_panels(), ax=ax), 2),
    ("smoothness_plot", lambda ax: plots.smoothness_plot(_smoothness_summary(), ax=ax), 1),
    (
        "smoothness_loss_plot",
        lambda ax: plots.smoothness_loss_plot(_smoothness_summary(), _smoothness_rows(), ax=ax),
        1,
    ),
    ("alpha_vs_budget", lambda ax: plots.alpha_vs_budget(_budget_summary(), ax=ax), 1),
]


def _budget_summary():
    """alpha_N at three budget fractions for d = 3 and 4 (one with no exponent at the first)."""
    table = []
    for d in (3, 4):
        for f, ratio in ((0.01, 0.6 if d == 3 else None), (0.03, 0.8), (0.1, 0.95)):
            alpha = None if ratio is None else ratio * 4 / d
            ci = None if alpha is None else [alpha - 0.1, alpha + 0.1]
            table.append({"d": d, "budget_fraction": f, "alpha": alpha, "alpha_ci": ci,
                          "ratio": ratio, "predicted_alpha": 4 / d})  # fmt: skip
    return {"alpha_vs_budget": table}


def test_alpha_vs_budget_draws_each_fitted_fraction():
    fig = plots.alpha_vs_budget(_budget_summary())
    ax = fig.axes[0]
    lines = [c for c in ax.containers]  # one errorbar container per d
    assert len(lines) == 2
    assert [len(c.lines[0].get_xdata()) for c in lines] == [3, 2]  # d = 4 lacks its first fraction


def test_smoothness_figures_survive_missing_and_inverted_intervals(tmp_path, caplog):
    written = plots.smoothness_figures(_smoothness_summary(bad=True), _smoothness_rows(), tmp_path)
    assert "smoothness" in written and (tmp_path / written["smoothness"]).stat().st_size > 1000
    assert "loss_vs_size" in written
    assert _warnings(caplog)


def _warnings(caplog):
    return [r for r in caplog.records if r.name.startswith("manifold_scaling.plots")]


def _drawn(ax):
    return bool(ax.lines or ax.collections or ax.patches or ax.containers)


def test_every_public_plot_function_is_covered():
    names = {
        n
        for n in plots.__all__
        if not n.endswith("_figures") and not n.startswith(("write_", "save_"))
    }
    assert names == {name for name, _, _ in PLOTS}


@pytest.mark.parametrize("name,call,n_axes", PLOTS, ids=[p[0] for p in PLOTS])
def test_plot_draws_into_given_axes_and_writes_nothing(name, call, n_axes, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    fig = Figure()
    axes = list(fig.subplots(1, n_axes, squeeze=False)[0])
    out = call(axes[0] if n_axes == 1 else axes)
    assert out is fig
    assert all(_drawn(ax) for ax in axes), name
    assert len(fig.axes) == n_axes  # drew into the given Axes, added none
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("name,call,n_axes", PLOTS, ids=[p[0] for p in PLOTS])
def test_plot_without_axes_makes_its_own_figure(name, call, n_axes):
    fig = call(None)
    assert isinstance(fig, Figure)
    assert len(fig.axes) == n_axes


def test_wrong_number_of_axes_is_a_clear_error():
    fig = Figure()
    with pytest.raises(ValueError, match="2 panel"):
        plots.joint_fit_plot(_joint_summary(), _joint_rows(), ax=fig.subplots())


def test_save_figure_creates_the_folder_and_closes_a_pyplot_figure(tmp_path):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.plot([1, 2], [1, 2])
    path = plots.save_figure(fig, tmp_path / "a" / "b" / "f.png")
    assert path == str(tmp_path / "a" / "b" / "f.png")
    assert (tmp_path / "a" / "b" / "f.png").stat().st_size > 0
    assert not plt.fignum_exists(fig.number)


# ---- figure sets on summaries a figure cannot fully show ---------------------------------------

BAD_RESULTS = [
    _result(2, alpha=2.5, ci=[1.5, 2.2]),  # estimate above its own interval (yerr < 0 before)
    _result(4, alpha=0.9, ci=[1.0, 1.2]),  # estimate below its own interval
    _result(6, alpha=float("nan"), ci=[float("nan"), float("inf")]),
    _result(8, alpha=0.5, ci=None),  # interval missing
    _result(3, alpha=None, ci=None, window=None),  # no fit
    {**_result(5), "local_slopes": None, "predicted_alpha": None},
    {
        **_result(7),
        "local_slopes": {
            "midpoints": [100.0, 200.0, float("nan")],
            "slopes": [0.5, None, 0.6],
            "slopes_ci": [[0.4, 0.6], None, [float("nan"), 0.7]],
        },
    },
    {**_result(9), "local_slopes": {"midpoints": [100.0], "slopes": [0.5, 0.6]}},
]


def _bad_rows():
    rows = _rows([2, 4, 6, 8, 3])
    rows[0]["test_loss"] = float("nan")
    rows[1]["test_loss"] = float("inf")
    rows[2]["test_loss"] = None
    return rows


@pytest.mark.parametrize("results", [BAD_RESULTS, []], ids=["bad-values", "empty"])
def test_data_scaling_figures_survive_bad_summaries(results, tmp_path, caplog):
    caplog.set_level(logging.WARNING)
    summary = {"study": "data-scaling", "results": results}
    written = plots.data_scaling_figures(summary, _bad_rows(), tmp_path / "out")
    assert written == {
        "loss_vs_size": "loss_vs_size.png",
        "local_slopes": "local_slopes.png",
        "four_over_alpha": "four_over_alpha.png",
    }
    assert all((tmp_path / "out" / f).stat().st_size > 0 for f in written.values())
    assert _warnings(caplog)


def test_estimate_outside_or_without_interval_is_drawn_and_logged(caplog):
    caplog.set_level(logging.WARNING)
    fig = plots.four_over_alpha_plot({"results": BAD_RESULTS[:5]})
    messages = [r.getMessage() for r in _warnings(caplog)]
    assert any("outside its interval" in m for m in messages)
    assert any("alpha=None" in m for m in messages)
    ax = fig.axes[0]
    drawn = sorted(float(c.lines[0].get_xdata()[0]) for c in ax.containers)
    assert drawn == [2.0, 4.0, 8.0]  # NaN and None alpha are not drawn
    # d = 8 has no interval: it runs to both edges of the axis, each end marked by an arrow
    arrows = [a for a in ax.texts if getattr(a, "arrow_patch", None) is not None]
    assert sum(abs(a.xy[0] - 8.0) < 1e-9 for a in arrows) == 2


@pytest.mark.parametrize("results", [BAD_RESULTS, []], ids=["bad-values", "empty"])
def test_model_scaling_figures_survive_bad_summaries(results, tmp_path, caplog):
    caplog.set_level(logging.WARNING)
    rows = _bad_rows()
    curves = _curves(rows[: len(rows) // 2])  # half the curves missing
    written = plots.model_scaling_figures({"results": results}, rows, curves, tmp_path)
    assert set(written) == {"loss_vs_params", "local_slopes", "four_over_alpha", "convergence"}
    assert all((tmp_path / f).exists() for f in written.values())
    assert _warnings(caplog)


@pytest.mark.parametrize(
    "summary",
    [
        _variance_summary(alpha=1.3, ci=(0.8, 1.1)),
        _variance_summary(alpha=float("nan"), ci=None, floor=None),
        {"study": "variance-limited"},
    ],
    ids=["outside-interval", "no-fit", "no-result"],
)
def test_variance_limited_figures_survive_bad_summaries(summary, tmp_path, caplog):
    caplog.set_level(logging.WARNING)
    rows = _variance_rows() + [{"n_train": 16384, "seed": 0, "test_loss": float("nan")}]
    written = plots.variance_limited_figures(summary, rows, tmp_path)
    assert written == {"variance_limited": "variance_limited.png"}
    assert (tmp_path / "variance_limited.png").exists()
    assert _warnings(caplog)


@pytest.mark.parametrize("results", [BAD_RESULTS, []], ids=["bad-values", "empty"])
def test_variants_figures_survive_bad_summaries(results, tmp_path, caplog):
    caplog.set_level(logging.WARNING)
    summary = _variants_summary(results)
    written = plots.variants_figures(
        summary,
        _variants_rows(len(results)),
        tmp_path,
        alpha_figure="alpha_by_variant",
        alpha_file="alpha_by_embedding.png",
        title="ambient invariance",
    )
    assert written == {
        "alpha_by_variant": "alpha_by_embedding.png",
        "loss_vs_size": "loss_vs_size.png",
    }
    assert all((tmp_path / f).exists() for f in written.values())
    assert _warnings(caplog)


@pytest.mark.parametrize(
    "summary",
    [
        {**_joint_summary(), "fit": {"E": float("nan")}, "frontier": None},
        {**_joint_summary(), "frontier_exponent": None, "predicted_frontier_exponent": None},
        {},
    ],
    ids=["nan-fit", "no-exponents", "empty"],
)
def test_joint_fit_figures_survive_bad_summaries(summary, tmp_path, caplog):
    caplog.set_level(logging.WARNING)
    rows = _joint_rows() + [{"n_params": 80, "n_train": 64, "test_loss": float("nan")}]
    assert plots.joint_fit_figures(summary, rows, tmp_path) == {"joint_fit": "joint_fit.png"}
    assert (tmp_path / "joint_fit.png").exists()
    assert _warnings(caplog)


def test_cli_writers_survive_missing_intervals(tmp_path, caplog):
    caplog.set_level(logging.WARNING)
    path = plots.write_estimate_vs_scale(_id_curves(ci=(None, 3.5)), tmp_path / "s.png", true_d=3)
    assert path == str(tmp_path / "s.png")
    panels, colour = _panels()
    path = plots.write_umap_views(panels, colour[:10], tmp_path / "u.png")  # colours don't match
    assert path == str(tmp_path / "u.png")
    assert len(_warnings(caplog)) >= 2


def test_a_failing_figure_is_logged_and_the_others_still_written(tmp_path, caplog, monkeypatch):
    import manifold_scaling.plots.scaling as scaling

    def broken(*args, **kwargs):
        raise RuntimeError("plotting bug")

    monkeypatch.setattr(scaling, "local_slope_plot", broken)
    caplog.set_level(logging.WARNING)
    written = plots.data_scaling_figures(SUMMARY, ROWS, tmp_path)
    assert set(written) == {"loss_vs_size", "four_over_alpha"}
    assert not (tmp_path / "local_slopes.png").exists()
    assert any("local_slopes" in r.getMessage() for r in _warnings(caplog))
    caplog.clear()
    assert plots.write_umap_views(None, [], tmp_path / "u.png") is None
    assert any("umap_views" in r.getMessage() for r in _warnings(caplog))


def _legend_labels(ax) -> list[str]:
    legend = ax.get_legend()
    return [] if legend is None else [t.get_text() for t in legend.get_texts()]


@pytest.mark.parametrize("name,call,n_axes", PLOTS, ids=[p[0] for p in PLOTS])
def test_every_figure_labels_its_axes_and_its_legend_entries_are_distinct(name, call, n_axes):
    """A reader must tell the curves apart: no two legend entries of a panel say the same, and
    every panel that draws something names both axes (UMAP panels have no physical axes)."""
    fig = call(None)
    for ax in fig.axes:
        if not _drawn(ax):
            continue
        labels = _legend_labels(ax)
        assert len(labels) == len(set(labels)), (name, labels)
        if name != "umap_views":
            assert ax.get_xlabel() and ax.get_ylabel(), (name, ax.get_title())


def test_saved_reproduction_figures_tell_the_learners_apart():
    """On the saved main job: one panel per d; in each, every learner that ran has its own
    legend entry, colour and marker."""
    import importlib.util
    import json
    from pathlib import Path

    root = Path(__file__).resolve().parents[3] / "notebooks"
    spec = importlib.util.spec_from_file_location("_paths", root / "_paths.py")
    paths = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(paths)
    run = root / "data" / "reproduce"
    summary = json.loads((run / "summary.json").read_text())
    fig = plots.loss_vs_size_panels(summary, paths.trial_rows(run))
    dims = sorted({r["d"] for r in summary["results"]})
    assert len(fig.axes) == len(dims)
    for ax, d in zip(fig.axes, dims):
        ran = [r.get("learner") or "network" for r in summary["results"] if r["d"] == d]
        handles, labels = ax.get_legend_handles_labels()
        learner_handles = [h for h, lab in zip(handles, labels) if ":" in lab]
        assert len(learner_handles) == len(ran), (d, labels)
        styles = {(h.get_color(), h.get_marker()) for h in learner_handles}
        assert len(styles) == len(ran), (d, styles)


def test_four_over_alpha_puts_every_learner_on_the_same_scale():
    """4/alpha of a learner is 4/alpha, whatever its own theory predicts (its row's
    predicted_alpha is the kernel rate, not 4/d)."""
    kernel = {**_result(2, alpha=2.0, ci=[1.9, 2.1]), "learner": "kernel", "predicted_alpha": 3.0}
    network = {**_result(2, alpha=1.0, ci=[0.9, 1.1]), "learner": "network"}
    fig = plots.four_over_alpha_plot({"results": [network, kernel], "config": {"loss_power": 2}})
    ys = {round(float(c.lines[0].get_xdata()[0]), 2): float(c.lines[0].get_ydata()[0])
          for c in fig.axes[0].containers}  # fmt: skip
    assert ys == {2.0: pytest.approx(4.0), 2.2: pytest.approx(2.0)}


def test_smoothness_loss_plot_draws_one_line_per_teacher_and_learner_with_two_legends():
    """Colour says nu, marker and line style say the learner: 2 nu x 3 learners = 6 lines of
    data, and the legend names each nu and each learner once."""
    fig = plots.smoothness_loss_plot(_smoothness_summary(), _smoothness_rows())
    (ax,) = fig.axes
    data = [ln for ln in ax.lines if len(ln.get_xdata())]
    assert len(data) == 6
    assert len({(ln.get_color(), ln.get_marker(), ln.get_linestyle()) for ln in data}) == 6
    assert {ln.get_color() for ln in data if ln.get_marker() == "o"} == {
        ln.get_color() for ln in data if ln.get_marker() == "s"
    }  # the same two nu colours for network and simplex
    labels = _legend_labels(ax)
    assert {"ν = 0.5", "ν = 3.5"} <= set(labels) and len(labels) == 5


def test_smoothness_plot_names_the_learners_without_an_exponent():
    fig = plots.smoothness_plot(_smoothness_summary(bad=True))
    labels = _legend_labels(fig.axes[0])
    assert any(lab.startswith("network: no exponent at ν=0.5, d=2") for lab in labels), labels
