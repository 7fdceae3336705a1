"""The model-size study: test loss vs parameter count N at unlimited data, alpha_N against 4/d.

Sharma & Kaplan 2020 (Sec. 2-3, Fig. 1): N parameters cut a d-dimensional manifold into ~N linear
pieces of side s ~ N^(-1/d), so a ReLU network fitting a smooth target has L ~ s^4 ~ N^(-4/d) when
data are unlimited (Bahri et al. 2021: resolution-limited in N). Every student here trains on fresh
samples at every step (``online.train_online``), like theirs. The fit window is fixed in advance: the
longest run of widths at which every seed's loss curve has converged (``online.convergence``) --
an unconverged point measures the optimiser, not the model size.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

import jax
import numpy as np

from ..configs import config_to_dict, save_json
from ..errors import InputError, check_float, check_int
from ..fitting import fit_in_window
from ..manifolds import sample_manifold
from ..online import convergence, train_online
from ..provenance import provenance
from ..students import StudentConfig, parameter_count
from ..sweep import TrialOutput
from ..teachers import TeacherConfig
from ..training import TrainConfig, evaluate_loss
from .data_scaling import (
    TOLERANCE,
    DimensionVerdict,
    calibrated_teachers,
    check_sweep_fields,
    manifold_config,
    study_key,
)
from .trial import TrialConfig, trial_setup

__all__ = [
    "ModelScalingConfig",
    "analyse_width_sweep",
    "run_model_scaling",
    "run_online_trial",
    "trial_configs",
]

_ONLINE_TRAIN = TrainConfig(learning_rate=1e-2, batch_size=256, eval_every=250)


@dataclass(frozen=True)
class ModelScalingConfig:
    """A model-size sweep: every (d, width, seed), each student trained on fresh data for ``steps``.

    Defaults follow Sharma & Kaplan (a depth-2 ReLU student of growing width, N = every
    parameter, Adam on fresh batches) except the input: the student sees the d latent coordinates
    (``ambient_dim = 0``). Their zero-padded 20-dimensional inputs add first-layer weights that never
    train (their inputs are 0) yet count in N, which stretches the N axis at small widths (20w
    against dw dead-or-alive weights); ``ambient_dim=20, embedding="pad"`` reproduces their setup.
    The teacher rule is the data-scaling one (linear R^2 = ``teacher_target_r2``), and one step
    budget serves every width: the convergence rule, not a per-width budget, decides the window.
    """

    dims: tuple[int, ...] = (3, 4, 6)
    widths: tuple[int, ...] = (6, 8, 11, 16, 22, 32)
    seeds: int = 2
    seed: int = 0
    latent: Literal["cube", "gaussian", "sphere", "torus"] = "cube"
    ambient_dim: int = 0
    embedding: Literal["pad", "rotation", "network"] = "pad"
    embedding_gain: float = 1.0
    noise_std: float = 0.0
    teacher: TeacherConfig = field(default_factory=TeacherConfig)
    teacher_target_r2: float | None = 0.7
    depth: int = 2
    train: TrainConfig = field(default_factory=lambda: _ONLINE_TRAIN)
    steps: int = 20000
    n_val: int = 4096
    n_test: int = 16384
    loss_power: float = 2.0
    convergence_window: float = 0.25
    convergence_tol: float = 0.1
    min_decades: float = 1.0
    with_floor: bool = False
    n_bootstrap: int = 1000
    ci: float = 0.9

    def __post_init__(self):
        check_sweep_fields(self)
        if len(set(self.widths)) < 3:
            raise InputError(
                "--widths", f"need at least 3 distinct widths (got {list(self.widths)})"
            )
        for w in self.widths:
            check_int("--widths", w, minimum=1, maximum=1 << 16)
        check_int("--depth", self.depth, minimum=1, maximum=64)
        check_int("--steps", self.steps, minimum=self.train.eval_every * 4)
        check_int("--n-test", self.n_test, minimum=16)
        check_int("--n-val", self.n_val, minimum=16)
        check_float("--loss-power", self.loss_power, minimum=0.0, strict_min=True)
        check_float("--convergence-window", self.convergence_window, minimum=0.05, maximum=1.0)
        check_float("--convergence-tol", self.convergence_tol, minimum=0.0, maximum=1.0)
        check_float("--ci", self.ci, minimum=0.5, maximum=0.999)
        check_int("--bootstrap", self.n_bootstrap, minimum=50)

    def predicted_alpha(self, d: int) -> float:
        """2p/d for |y - y_hat|^p (4/d for MSE and cross-entropy)."""
        if self.teacher.task == "classification":
            return 4.0 / d
        return 2.0 * self.loss_power / d

    @property
    def online_train(self) -> TrainConfig:
        """The TrainConfig a trial carries: its step budget is exactly ``steps``."""
        return replace(self.train, steps_per_point=0.0, min_steps=self.steps, max_steps=self.steps)


def trial_configs(config: ModelScalingConfig, teachers=None) -> list[TrialConfig]:
    """Every trial, in (d, width, seed) order. ``n_train`` records the samples seen (steps x batch)."""
    teachers = teachers or calibrated_teachers(config)
    train = config.online_train
    trials = []
    for d in config.dims:
        manifold = manifold_config(config, d)
        for width in sorted(set(config.widths)):
            for s in range(config.seeds):
                trials.append(
                    TrialConfig(
                        manifold=manifold,
                        teacher=teachers[d][0],
                        student=StudentConfig(depth=config.depth, width=width),
                        train=train,
                        n_train=train.steps_for(1) * train.batch_size,
                        n_val=config.n_val,
                        n_test=config.n_test,
                        loss_power=config.loss_power,
                        data_seed=study_key(config.seed, d),
                        seed=config.seed * 1000 + s,
                        fresh_data=True,
                    )
                )
    return trials


def run_online_trial(config: TrialConfig):
    """One unlimited-data trial: train on fresh batches, score a fixed test set, keep the curves.

    The validation and test sets depend on ``seed`` and ``data_seed`` only, so every width at one
    seed is scored on the same points; the student's initialisation and batches also fold in its
    width. Convergence is judged later, from the stored validation curve, by the study's rule.
    """
    if not config.fresh_data:
        raise InputError("fresh_data", "run_online_trial needs a TrialConfig with fresh_data=True")
    embedder, teacher = trial_setup(config)
    seed_key = jax.random.fold_in(jax.random.key(config.seed), config.data_seed)
    k_val, k_test, k_train = jax.random.split(jax.random.fold_in(seed_key, 101), 3)
    val = sample_manifold(k_val, embedder, config.n_val)
    test = sample_manifold(k_test, embedder, config.n_test)
    task = config.teacher.task
    res = train_online(
        jax.random.fold_in(k_train, config.student.width * 131 + config.student.depth),
        config.student,
        config.train,
        embedder,
        teacher,
        steps=config.train.steps_for(1),
        x_val=val.x,
        y_val=teacher(val.z),
        task=task,
        loss_power=config.loss_power,
    )
    dtype = config.train.dtype
    test_loss = evaluate_loss(
        res.params,
        np.asarray(test.x, dtype),
        np.asarray(teacher(test.z), dtype),
        task=task,
        loss_power=config.loss_power,
    )
    n_params = parameter_count(config.student, config.manifold.input_dim, config.teacher.output_dim)
    metrics = {
        "test_loss": test_loss,
        "val_loss": res.val_loss,
        # the last chunk's fresh-batch loss: a training loss that is also an unbiased test estimate
        "train_loss": float(res.curve_train[-1]),
        "n_params": n_params,
        "width": config.student.width,
        "steps": res.steps,
        "samples_seen": res.samples_seen,
        "best_step": res.best_step,
        "finite": bool(np.isfinite(test_loss)),
    }
    arrays = {
        "curve_steps": res.curve_steps,
        "curve_train": res.curve_train,
        "curve_val": res.curve_val,
    }
    return TrialOutput(metrics, arrays)


# --- analysis --------------------------------------------------------------------------------


def analyse_width_sweep(
    d: int, rows: list[dict], config: ModelScalingConfig, teacher_info: dict, *, key
) -> DimensionVerdict:
    """Window rule -> robust fit of L against N -> plain-words reading, for the trials of one d.

    ``rows``: one dict per trial with n_params, seed, test_loss, converged, late_drop.
    """
    n = np.array([r["n_params"] for r in rows], float)
    test = np.array([r["test_loss"] for r in rows], float)
    seeds = np.array([r["seed"] for r in rows])
    conv = np.array([bool(r["converged"]) for r in rows])
    drops = np.array([r.get("late_drop", np.nan) for r in rows], float)
    predicted = config.predicted_alpha(d)
    uniq = np.unique(n)
    passes, reasons, per_size = [], {}, []
    for s in uniq:
        m = n == s
        finite = bool(np.all(np.isfinite(test[m])) and np.all(test[m] > 0))
        ok = bool(np.all(conv[m]))
        why = []
        if not finite:
            why.append("non-finite or zero test loss")
        if not ok:
            why.append(
                f"not converged (loss still fell {np.nanmax(drops[m]):.0%} over the last "
                f"{config.convergence_window:g} of training > {config.convergence_tol:g})"
            )
        passes.append(finite and ok)
        if why:
            reasons[float(s)] = "; ".join(why)
        per_size.append(
            {
                "size": int(s),
                "width": int(rows[int(np.flatnonzero(m)[0])].get("width", 0)),
                "test_loss_mean": float(np.exp(np.mean(np.log(np.maximum(test[m], 1e-300))))),
                "late_drop_max": float(np.nanmax(drops[m])),
                "converged": [bool(c) for c in conv[m]],
                "passes": bool(passes[-1]),
            }
        )
    rule = (
        "longest run of widths at which every seed converged (running-best validation loss fell "
        f"by <= {config.convergence_tol:g} over the last {config.convergence_window:g} of training)"
    )
    wf = fit_in_window(
        n, test, passes, key=key, groups=seeds, reasons=reasons, rule_text=rule,
        min_decades=config.min_decades, with_floor=config.with_floor,
        n_bootstrap=config.n_bootstrap, ci=config.ci,
    )  # fmt: skip
    window, fit, slopes = wf.window, wf.fit, wf.slopes
    alpha = alpha_ci = ratio = None
    if fit is not None:
        alpha, alpha_ci = fit.alpha, tuple(fit.alpha_ci)
        ratio = alpha / predicted
    reading, consistent, within = _reading(alpha, alpha_ci, predicted, window, uniq, passes)
    diagnostics = {
        "per_size": per_size,
        "window_rule": window.rule,
        "excluded": {str(int(k)): v for k, v in window.excluded.items()},
        "n_trials": len(rows),
        "size_axis": "parameters N",
    }
    return DimensionVerdict(
        d=d,
        alpha=alpha,
        alpha_ci=alpha_ci,
        predicted_alpha=predicted,
        ratio=ratio,
        fit_window=(window.lo, window.hi) if window.lo is not None else None,
        window_decades=float(window.decades),
        reading=reading,
        consistent=consistent,
        within_tolerance=within,
        diagnostics=diagnostics,
        fit=fit.to_dict() if fit else None,
        local_slopes=slopes.to_dict(),
        teacher=teacher_info,
    )


def _reading(alpha, ci, predicted, window, sizes, passes):
    """Plain-words reading of one d's model-size verdict."""
    if alpha is None:
        if not any(passes):
            return "no width converged: optimisation-limited everywhere, no exponent", False, False
        return (
            f"fewer than 3 widths pass the convergence rule (window N = {window.lo:g}-"
            f"{window.hi:g}): no fit",
            False,
            False,
        )
    ratio = alpha / predicted
    consistent = bool(ci[0] <= predicted <= ci[1])
    within = TOLERANCE[0] <= ratio <= TOLERANCE[1]
    if consistent:
        text = f"resolution-limited in N and consistent with 4/d (alpha_N/(4/d) = {ratio:.2f})"
    elif within:
        text = (
            f"resolution-limited in N, within the tolerance of 4/d (alpha_N/(4/d) = {ratio:.2f}) "
            "though the interval excludes it"
        )
    elif ratio > TOLERANCE[1]:
        text = (
            f"above 4/d (alpha_N/(4/d) = {ratio:.2f}): the smallest students do not yet resolve "
            "the teacher (pre-asymptotic), or the bound is not tight here"
        )
    else:
        text = (
            f"below 4/d (alpha_N/(4/d) = {ratio:.2f}): the largest students gain less than the "
            "resolution argument allows; training (steps, learning rate) limits them"
        )
    notes = []
    if any(not p and window.hi and s > window.hi for s, p in zip(sizes, passes)):
        notes.append(f"not converged beyond N = {window.hi:g}")
    if any(not p and window.lo and s < window.lo for s, p in zip(sizes, passes)):
        notes.append(f"not converged below N = {window.lo:g}")
    if not window.spans_min_decades:
        notes.append(f"window spans only {window.decades:.2f} decades (< 1): weak evidence")
    if notes:
        text += "; " + "; ".join(notes)
    return text, consistent, bool(within and window.spans_min_decades)


def trial_row(trial: TrialConfig, record, config: ModelScalingConfig) -> dict:
    """One analysis row: the trial's metrics plus its convergence under the study's rule."""
    conv = convergence(
        record.arrays["curve_val"],
        window=config.convergence_window,
        tolerance=config.convergence_tol,
    )
    return {
        "d": trial.manifold.intrinsic_dim,
        "seed": trial.seed,
        **record.metrics,
        "converged": conv.converged,
        "late_drop": conv.late_drop,
    }


def analyse(config: ModelScalingConfig, rows: list[dict], teachers: dict) -> list[DimensionVerdict]:
    key = jax.random.key(config.seed)
    return [
        analyse_width_sweep(
            d,
            [r for r in rows if r["d"] == d],
            config,
            teachers[d][1],
            key=jax.random.fold_in(key, d),
        )
        for d in config.dims
    ]


def run_model_scaling(
    config: ModelScalingConfig, out_dir, *, options=None, make_figures=True
) -> dict:
    """Run (or resume) the sweep through the runner, analyse, write summary.json and figures."""
    from ..sweep import SweepOptions, run_sweep

    out_dir = Path(out_dir)
    options = options or SweepOptions()
    teachers = calibrated_teachers(config)
    trials = trial_configs(config, teachers)
    result = run_sweep(
        run_online_trial,
        trials,
        out_dir,
        options=options,
        study="model-scaling",
        sweep_config=config_to_dict(config),
    )
    rows = [trial_row(t, rec, config) for t, rec in zip(trials, result.records)]
    verdicts = analyse(config, rows, teachers)
    summary = {
        "study": "model-scaling",
        "config": config_to_dict(config),
        "results": [v.to_dict() for v in verdicts],
        "teachers": {str(d): t[1] for d, t in teachers.items()},
        "convergence_rule": verdicts[0].diagnostics["window_rule"] if verdicts else None,
        "provenance": provenance(),
        "trials": {"total": len(trials), "run": result.n_run, "skipped": result.n_skipped},
        "records": {"table": result.table_path.name, "manifest": result.manifest_path.name},
    }
    curves = {(r["d"], r["width"], r["seed"]): rec.arrays for r, rec in zip(rows, result.records)}
    save_curves(out_dir / "curves.npz", curves)
    summary["curves"] = "curves.npz"
    save_json(out_dir / "summary.json", summary)
    if make_figures:
        from ..plots_regimes import model_scaling_figures

        summary["figures"] = model_scaling_figures(summary, rows, curves, out_dir)
        save_json(out_dir / "summary.json", summary)
    return summary


def save_curves(path, curves: dict) -> None:
    """Every trial's validation curve in one small npz (keys ``d{d}_w{width}_s{seed}``)."""
    arrays = {"steps": next(iter(curves.values()))["curve_steps"]} if curves else {}
    for (d, w, s), arr in curves.items():
        arrays[f"d{d}_w{w}_s{s}"] = np.asarray(arr["curve_val"], np.float32)
    np.savez_compressed(path, **arrays)


def load_curves(path) -> dict:
    """Inverse of :func:`save_curves`: ``{(d, width, seed): {"curve_steps", "curve_val"}}``."""
    with np.load(path) as z:
        steps = z["steps"]
        out = {}
        for name in z.files:
            if name == "steps":
                continue
            d, w, s = (int(part[1:]) for part in name.split("_"))
            out[(d, w, s)] = {"curve_steps": steps, "curve_val": z[name]}
    return out
