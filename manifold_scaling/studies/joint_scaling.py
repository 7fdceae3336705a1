"""The joint fit L(N, D) = E + A N^-a + B D^-b over a grid, and the compute frontier it implies.

Hoffmann et al. 2022 (approach 3, eq. 2; fitted as corrected by Besiroglu et al. 2024) model the
loss as an irreducible term plus a model-size term and a data term. The resolution argument predicts
both exponents: a = b = 4/d (Sharma & Kaplan 2020; Bahri et al. 2021). Minimising L at fixed
compute C ~ N D gives L*(C) - E ~ C^(-ab/(a+b)), which is 2/d when a = b = 4/d
(``fitting.predicted_frontier_exponent``). The grid is data-scaling trials at several widths.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from .. import keys
from ..configs import param, result_from_dict
from ..errors import InputError, check_int
from ..fitting import fit_joint_scaling, predicted_frontier_exponent
from ..students import StudentConfig
from ..training import TrainConfig
from .base import DataScalingConfig, replicates, teacher_summary
from .protocol import Analysis, Study
from .trials import batch_key, data_scaling_trials, run_trial, run_trials_on_devices

__all__ = ["JOINT_BASE", "JointScalingConfig", "analyse_joint", "run_joint_scaling"]

JOINT_BASE = DataScalingConfig(
    dims=(4,),
    sizes=(64, 128, 256, 512, 1024),
    seeds=1,
    ambient_dim=0,
    student=StudentConfig(depth=2, width=64),
    train=TrainConfig(steps_per_point=8.0, min_steps=1500, max_steps=20000),
    n_test=4096,
    n_bootstrap=200,
)


@dataclass(frozen=True)
class JointScalingConfig:
    """The data-scaling study ``base`` (one d) repeated for every student width in ``widths``."""

    base: DataScalingConfig = param(help="the shared study (one d)", factory=lambda: JOINT_BASE)
    widths: tuple[int, ...] = param((8, 16, 32, 64, 128), help="student widths of the grid")
    frontier_points: int = param(40, help="points on the compute frontier")

    def __post_init__(self):
        if len(self.base.dims) != 1:
            raise InputError("dims", f"the joint fit takes one d (got {list(self.base.dims)})")
        if len(set(self.widths)) < 3:
            raise InputError("widths", f"need at least 3 distinct widths (got {list(self.widths)})")
        for w in self.widths:
            check_int("widths", w, minimum=1, maximum=1 << 16)
        check_int("frontier_points", self.frontier_points, minimum=2, maximum=10000)

    @property
    def d(self) -> int:
        return self.base.dims[0]


def grid_configs(config: JointScalingConfig, reps=None) -> list:
    """Every (width, D, replicate) trial; each replicate's teacher and data serve every width."""
    reps = reps or {d: replicates(config.base, d) for d in config.base.dims}
    trials = []
    for w in sorted(set(config.widths)):
        variant = replace(config.base, student=replace(config.base.student, width=w))
        trials.extend(data_scaling_trials(variant, reps))
    return trials


@dataclass(frozen=True)
class JointVerdict:
    """The fitted surface, its frontier and both exponents against the resolution prediction."""

    d: int
    fit: dict
    predicted_exponent: float  # 4/d, for a and b
    frontier_exponent: float  # ab/(a+b) from the fit
    predicted_frontier_exponent: float  # 2/d
    frontier: dict
    reading: str

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> JointVerdict:
        """Inverse of :meth:`to_dict`."""
        return result_from_dict(cls, data)


def analyse_joint(rows: list[dict], config: JointScalingConfig, *, key) -> JointVerdict:
    """Fit L(N, D) to every grid point, then the frontier over the grid's range of N D."""
    n = np.array([r["n_params"] for r in rows], float)
    d_ = np.array([r["n_train"] for r in rows], float)
    loss = np.array([r["test_loss"] for r in rows], float)
    ok = np.isfinite(loss) & (loss > 0)
    fit = fit_joint_scaling(n[ok], d_[ok], loss[ok], key=key, n_bootstrap=config.base.n_bootstrap)
    nd = n * d_
    compute = np.geomspace(nd.min(), nd.max(), config.frontier_points)
    frontier = fit.frontier(compute)
    predicted = config.base.predicted_alpha(config.d)
    pred_frontier = predicted_frontier_exponent(predicted, predicted)
    exponent = fit.frontier_exponent()
    parts = [
        f"E = {fit.E:.2g} [{fit.ci['E'][0]:.2g}, {fit.ci['E'][1]:.2g}]",
        f"a = {fit.a:.2f} [{fit.ci['a'][0]:.2f}, {fit.ci['a'][1]:.2f}], "
        f"b = {fit.b:.2f} [{fit.ci['b'][0]:.2f}, {fit.ci['b'][1]:.2f}] against 4/d = {predicted:.2f}",
        f"frontier L*(C) - E ~ C^-{exponent:.2f} against 2/d = {pred_frontier:.2f} "
        f"(ratio {exponent / pred_frontier:.2f})",
    ]
    return JointVerdict(
        d=config.d,
        fit=fit.to_dict(),
        predicted_exponent=predicted,
        frontier_exponent=exponent,
        predicted_frontier_exponent=pred_frontier,
        frontier={k: np.asarray(v).tolist() for k, v in frontier.items()},
        reading="; ".join(parts),
    )


def run_joint_scaling(
    config: JointScalingConfig, out_dir, *, options=None, make_figures=True
) -> dict:
    """Run (or resume) the grid, fit L(N, D), write summary.json and a figure."""
    reps = {d: replicates(config.base, d) for d in config.base.dims}
    trials = grid_configs(config, reps)

    def analyse_records(trials, records):
        rows = [
            {"width": t.student.width, "n_train": t.n_train, "seed": t.seed, **rec.metrics}
            for t, rec in zip(trials, records)
        ]
        verdict = analyse_joint(rows, config, key=keys.analysis_key(config.base.seed))
        grid = [
            {k: r[k] for k in ("width", "n_params", "n_train", "seed", "test_loss", "train_loss")}
            for r in rows
        ]
        fields = {**verdict.to_dict(), "teacher": teacher_summary(reps[config.d]), "grid": grid}
        return Analysis([], rows, fields)

    run = dict(options=options, make_figures=make_figures)
    return COMPUTE_FRONTIER.run(config, trials, out_dir, analyse_records, **run)


def _figures(summary, analysis, out_dir):
    from ..plots import joint_fit_figures

    return joint_fit_figures(summary, analysis.rows, Path(out_dir))


COMPUTE_FRONTIER = Study("compute-frontier", run_trial, _figures, run_trials_on_devices, batch_key)
