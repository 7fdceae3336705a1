"""The model-size study: test loss vs parameter count N at unlimited data, alpha_N against 4/d.

Sharma & Kaplan 2020 (Sec. 2-3, Fig. 1): N parameters cut a d-dimensional manifold into ~N linear
pieces of side s ~ N^(-1/d), so a ReLU network fitting a smooth target has L ~ s^4 ~ N^(-4/d) when
data are unlimited (Bahri et al. 2021: resolution-limited in N). Every student here trains on fresh
samples at every step (``training.train_online``), like theirs. The fit window is fixed in advance:
the longest run of widths at which every replicate's loss curve has converged
(``training.convergence``) -- an unconverged point measures the optimiser, not the model size.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from ..configs import param
from ..errors import check_float, check_int, check_int_list
from ..students import StudentConfig
from ..training import TrainConfig, convergence
from .base import (
    Replicate,
    StudyConfig,
    ambient_field,
    embedding_field,
    replicates,
    teacher_summary,
)
from .protocol import Analysis, Study
from .trials import OnlineTrialConfig, run_online_trial
from .verdict import Verdict, analyse_dims, convergence_rule

__all__ = [
    "ModelScalingConfig",
    "analyse",
    "load_curves",
    "run_model_scaling",
    "save_curves",
    "trial_configs",
]

_ONLINE_TRAIN = TrainConfig(learning_rate=1e-2, batch_size=256, eval_every=250)


@dataclass(frozen=True)
class ModelScalingConfig(StudyConfig):
    """A model-size sweep: every (d, width, replicate), each trained on fresh data for ``steps``.

    Defaults follow Sharma & Kaplan (a depth-2 ReLU student of growing width, N = every
    parameter, Adam on fresh batches) except the input: the student sees the d latent coordinates
    (``ambient_dim = 0``). Their zero-padded 20-dimensional inputs add first-layer weights that never
    train (their inputs are 0) yet count in N, which stretches the N axis at small widths;
    ``ambient_dim=20, embedding="pad"`` reproduces their setup. One step budget serves every width:
    the convergence rule, not a per-width budget, decides the window.
    """

    dims: tuple[int, ...] = param((3, 4, 6), help="intrinsic dimensions d")
    ambient_dim: int = ambient_field(0)
    embedding: Literal["pad", "rotation", "network"] = embedding_field("pad")
    n_val: int = param(4096, help="validation points (checkpoint choice)")
    n_test: int = param(16384, help="fresh test points per replicate")
    widths: tuple[int, ...] = param((6, 8, 11, 16, 22, 32), help="student widths")
    depth: int = param(2, help="student hidden layers")
    train: TrainConfig = param(help="how students are trained", factory=lambda: _ONLINE_TRAIN)
    steps: int = param(20000, help="optimiser steps per student (fresh batch every step)")
    convergence_window: float = param(0.25, help="convergence rule: last fraction of the steps")
    convergence_tol: float = param(0.1, help="convergence rule: allowed relative late drop")

    def __post_init__(self):
        super().__post_init__()
        check_int_list("widths", self.widths, min_distinct=3, minimum=1, maximum=1 << 16)
        check_int("depth", self.depth, minimum=1, maximum=64)
        check_int("steps", self.steps, minimum=self.train.eval_every * 4)
        check_float("convergence_window", self.convergence_window, minimum=0.05, maximum=1.0)
        check_float("convergence_tol", self.convergence_tol, minimum=0.0, maximum=1.0)


def trial_configs(
    config: ModelScalingConfig, reps: dict[int, list[Replicate]] | None = None
) -> list[OnlineTrialConfig]:
    """Every trial, in (d, width, replicate) order."""
    reps = reps or {d: replicates(config, d) for d in config.dims}
    return [
        OnlineTrialConfig(
            manifold=config.manifold(d),
            student=StudentConfig(depth=config.depth, width=width),
            train=config.train,
            steps=config.steps,
            n_val=config.n_val,
            n_test=config.n_test,
            loss_power=config.loss_power,
            **rep.draws(),
        )
        for d in config.dims
        for width in sorted(set(config.widths))
        for rep in reps[d]
    ]


def trial_row(trial: OnlineTrialConfig, record, config: ModelScalingConfig) -> dict:
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


def analyse(config: ModelScalingConfig, rows: list[dict], reps) -> list[Verdict]:
    rule = convergence_rule(config.convergence_window, config.convergence_tol)
    return analyse_dims(
        config, rows, reps, rule, size_key="n_params", axis="N",
        diagnostics={"size_axis": "parameters N"},
    )  # fmt: skip


def run_model_scaling(
    config: ModelScalingConfig, out_dir, *, options=None, make_figures=True
) -> dict:
    """Run (or resume) the sweep, analyse, write summary.json, curves.npz and the figures."""
    from pathlib import Path

    out_dir = Path(out_dir)
    reps = {d: replicates(config, d) for d in config.dims}
    trials = trial_configs(config, reps)

    def analyse_records(trials, records):
        rows = [trial_row(t, rec, config) for t, rec in zip(trials, records)]
        curves = {(r["d"], r["width"], r["seed"]): rec.arrays for r, rec in zip(rows, records)}
        save_curves(out_dir / "curves.npz", curves)
        verdicts = analyse(config, rows, reps)
        fields = {
            "teachers": {str(d): teacher_summary(reps[d]) for d in config.dims},
            "convergence_rule": verdicts[0].diagnostics["window_rule"] if verdicts else None,
            "curves": "curves.npz",
        }
        return Analysis(verdicts, rows, fields, {"curves": curves})

    run = dict(options=options, make_figures=make_figures)
    return MODEL_SCALING.run(config, trials, out_dir, analyse_records, **run)


def _figures(summary, analysis, out_dir):
    from ..plots import model_scaling_figures

    return model_scaling_figures(summary, analysis.rows, analysis.figure_data["curves"], out_dir)


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


MODEL_SCALING = Study("model-scaling", run_online_trial, _figures)
