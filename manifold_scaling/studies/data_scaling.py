"""The data-scaling study: for each d, test loss vs training-set size D, and alpha_D against 4/d.

Sharma & Kaplan 2020 (Sec. 2, Eq. 2.3) and Bahri et al. 2021 (Sec. 2.2): a ReLU student that
interpolates D points of a smooth function on a d-dimensional manifold has L ~ D^(-4/d). A measured
exponent means something only inside the resolution-limited regime, so the fit window is chosen by a
rule fixed in advance (every seed interpolates, train <= ratio x test, and P >> D), never by eye, and
the verdict reports the window, the local slopes and why it stops where it stops.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import jax
import numpy as np

from ..configs import config_to_dict, save_json
from ..errors import InputError, check_float, check_int
from ..fitting import fit_in_window
from ..manifolds import EMBEDDINGS, LATENTS, ManifoldConfig
from ..provenance import provenance
from ..students import StudentConfig
from ..teachers import TeacherConfig, calibrate_teacher, init_teacher, teacher_linear_r2
from ..training import TrainConfig
from .trial import TrialConfig, batch_key, run_trial, run_trials_on_devices

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DataScalingConfig:
    """A data-scaling sweep: every (d, D, seed) combination, analysed per d.

    The teacher's hidden-layer gain is chosen per d by one rule stated in advance: the gain at which
    the teacher's best linear fit explains ``teacher_target_r2`` of its variance (``None``: use
    ``teacher.gain`` as given). The fit window is the longest run of sizes at which every seed
    satisfies train <= ``interpolation_ratio`` x test and P >= ``min_params_per_point`` x D.
    """

    dims: tuple[int, ...] = (2, 3, 4, 6, 8)
    sizes: tuple[int, ...] = (128, 256, 512, 1024, 2048)
    seeds: int = 2
    seed: int = 0
    latent: Literal["cube", "gaussian", "sphere", "torus"] = "cube"
    ambient_dim: int = 24
    embedding: Literal["pad", "rotation", "network"] = "rotation"
    embedding_gain: float = 1.0
    noise_std: float = 0.0
    teacher: TeacherConfig = field(default_factory=TeacherConfig)
    teacher_target_r2: float | None = 0.7
    student: StudentConfig = field(default_factory=StudentConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    n_val: int = 1024
    n_test: int = 8192
    loss_power: float = 2.0
    interpolation_ratio: float = 0.1
    min_params_per_point: float = 4.0
    min_decades: float = 1.0
    with_floor: bool = False
    n_bootstrap: int = 1000
    ci: float = 0.9

    def __post_init__(self):
        check_sweep_fields(self)
        if len(set(self.sizes)) < 3:
            raise InputError("--sizes", f"need at least 3 distinct sizes (got {list(self.sizes)})")
        for s in self.sizes:
            check_int("--sizes", s, minimum=2)
        check_int("--n-test", self.n_test, minimum=16)
        check_int("--n-val", self.n_val, minimum=16)
        check_float("--interpolation-ratio", self.interpolation_ratio, minimum=0.0, strict_min=True)
        check_float("--min-params-per-point", self.min_params_per_point, minimum=0.0)
        check_float("--loss-power", self.loss_power, minimum=0.0, strict_min=True)
        check_float("--ci", self.ci, minimum=0.5, maximum=0.999)
        check_int("--bootstrap", self.n_bootstrap, minimum=50)

    def predicted_alpha(self, d: int) -> float:
        """2p/d for the loss |y - y_hat|^p (4/d for MSE and cross-entropy)."""
        if self.teacher.task == "classification":
            return 4.0 / d
        return 2.0 * self.loss_power / d


def check_sweep_fields(config) -> None:
    """Range checks shared by every sweep config with dims, seeds, a manifold and a teacher rule."""
    if not config.dims:
        raise InputError("--dims", "give at least one intrinsic dimension")
    for d in config.dims:
        check_int("--dims", d, minimum=1, maximum=64)
    check_int("--seeds", config.seeds, minimum=1, maximum=1000)
    check_int("--seed", config.seed, minimum=0, maximum=2**31 - 1)
    if config.latent not in LATENTS:
        raise InputError("--latent", f"must be one of {', '.join(LATENTS)} (got {config.latent!r})")
    if config.embedding not in EMBEDDINGS:
        raise InputError(
            "--embedding", f"must be one of {', '.join(EMBEDDINGS)} (got {config.embedding!r})"
        )
    check_int("--ambient-dim", config.ambient_dim, minimum=0)
    for d in config.dims:
        need = {"sphere": d + 1, "torus": 2 * d}.get(config.latent, d)
        if config.ambient_dim and config.ambient_dim < need:
            raise InputError(
                "--ambient-dim",
                f"must be >= {need} for a {config.latent} of intrinsic dimension {d}, "
                f"or 0 for no embedding (got {config.ambient_dim})",
            )
    if config.teacher_target_r2 is not None:
        check_float("--teacher-r2", config.teacher_target_r2, minimum=0.05, maximum=0.99)


def study_key(seed: int, d: int) -> int:
    """The integer seed that draws the embedding and teacher of dimension d."""
    return int(seed) * 1009 + d


def calibrated_teachers(config: DataScalingConfig) -> dict[int, tuple[TeacherConfig, dict]]:
    """Apply the teacher rule once per d (it looks at the teacher only, never at the exponent)."""
    out = {}
    for d in config.dims:
        k = jax.random.fold_in(jax.random.key(study_key(config.seed, d)), 17)
        if config.teacher_target_r2 is None:
            # No rule, but the nonlinearity is still measured and reported.
            k_teacher, k_eval = jax.random.split(k)
            coords = {"sphere": d + 1, "torus": 2 * d}.get(config.latent, d)
            teacher = init_teacher(k_teacher, config.teacher, coords, config.latent)
            r2 = teacher_linear_r2(k_eval, teacher, config.latent, d)
            out[d] = (
                config.teacher,
                {"gain": config.teacher.gain, "linear_r2": r2, "rule": "fixed gain"},
            )
            continue
        teacher, cal = calibrate_teacher(
            k, config.teacher, config.latent, d, target_r2=config.teacher_target_r2
        )
        out[d] = (teacher, {**cal.to_dict(), "rule": f"gain s.t. linear R^2 = {cal.target_r2}"})
    return out


def manifold_config(config, d: int) -> ManifoldConfig:
    """The manifold of dimension ``d`` that a sweep config (data or model scaling) describes."""
    return ManifoldConfig(
        intrinsic_dim=d,
        latent=config.latent,
        ambient_dim=config.ambient_dim,
        embedding=config.embedding,
        embedding_gain=config.embedding_gain,
        noise_std=config.noise_std,
    )


def trial_configs(config: DataScalingConfig, teachers=None) -> list[TrialConfig]:
    """Every trial of the sweep, in (d, D, seed) order."""
    teachers = teachers or calibrated_teachers(config)
    trials = []
    for d in config.dims:
        manifold = manifold_config(config, d)
        for size in sorted(set(config.sizes)):
            for s in range(config.seeds):
                trials.append(
                    TrialConfig(
                        manifold=manifold,
                        teacher=teachers[d][0],
                        student=config.student,
                        train=config.train,
                        n_train=size,
                        n_val=config.n_val,
                        n_test=config.n_test,
                        loss_power=config.loss_power,
                        data_seed=study_key(config.seed, d),
                        seed=config.seed * 1000 + s,
                    )
                )
    return trials


# --- analysis: records -> verdict ----------------------------------------------------------------


@dataclass(frozen=True)
class DimensionVerdict:
    """The data-scaling verdict for one d."""

    d: int
    alpha: float | None
    alpha_ci: tuple[float, float] | None
    predicted_alpha: float
    ratio: float | None
    fit_window: tuple[float, float] | None
    window_decades: float
    reading: str
    consistent: bool
    within_tolerance: bool
    diagnostics: dict
    fit: dict | None
    local_slopes: dict
    teacher: dict

    def to_dict(self) -> dict:
        out = dataclasses.asdict(self)
        out["alpha_ci"] = list(self.alpha_ci) if self.alpha_ci else None
        out["fit_window"] = list(self.fit_window) if self.fit_window else None
        return out


TOLERANCE = (0.8, 1.25)


def analyse_dimension(
    d: int, rows: list[dict], config: DataScalingConfig, teacher_info: dict, *, key
) -> DimensionVerdict:
    """Window rule -> robust fit -> plain-words reading, for the trials of one d.

    ``rows``: one dict per trial with n_train, seed, train_loss, test_loss, n_params.
    """
    sizes = np.array([r["n_train"] for r in rows], float)
    test = np.array([r["test_loss"] for r in rows], float)
    train = np.array([r["train_loss"] for r in rows], float)
    seeds = np.array([r["seed"] for r in rows])
    params = np.array([r["n_params"] for r in rows], float)
    predicted = config.predicted_alpha(d)
    uniq = np.unique(sizes)
    passes, reasons, per_size = [], {}, []
    for s in uniq:
        m = sizes == s
        ratio = np.where(test[m] > 0, train[m] / np.maximum(test[m], 1e-300), np.inf)
        finite = np.all(np.isfinite(test[m])) and np.all(test[m] > 0)
        interp = bool(np.all(ratio <= config.interpolation_ratio))
        overparam = bool(np.all(params[m] >= config.min_params_per_point * s))
        why = []
        if not finite:
            why.append("non-finite or zero test loss")
        if not interp:
            why.append(
                f"train/test up to {np.max(ratio):.2g} > {config.interpolation_ratio:g} "
                "(not interpolating)"
            )
        if not overparam:
            why.append(f"P/D = {params[m][0] / s:.1f} < {config.min_params_per_point:g}")
        passes.append(finite and interp and overparam)
        if why:
            reasons[int(s)] = "; ".join(why)
        per_size.append(
            {
                "size": int(s),
                "test_loss_mean": float(np.exp(np.mean(np.log(np.maximum(test[m], 1e-300))))),
                "train_loss_mean": float(np.exp(np.mean(np.log(np.maximum(train[m], 1e-300))))),
                "max_train_test_ratio": float(np.max(ratio)),
                "params_per_point": float(params[m][0] / s),
                "passes": bool(passes[-1]),
            }
        )
    rule = (
        f"longest run of sizes where every seed has train <= {config.interpolation_ratio:g} x test "
        f"and P >= {config.min_params_per_point:g} x D"
    )
    wf = fit_in_window(
        sizes, test, passes, key=key, groups=seeds, reasons=reasons, rule_text=rule,
        min_decades=config.min_decades, with_floor=config.with_floor,
        n_bootstrap=config.n_bootstrap, ci=config.ci,
    )  # fmt: skip
    window, fit, slopes = wf.window, wf.fit, wf.slopes
    alpha = alpha_ci = ratio = None
    if fit is not None:
        alpha, alpha_ci = fit.alpha, tuple(fit.alpha_ci)
        ratio = alpha / predicted
    reading, consistent, within = _reading(d, alpha, alpha_ci, predicted, window, uniq, passes)
    diagnostics = {
        "per_size": per_size,
        "window_rule": window.rule,
        "excluded": window.to_dict()["excluded"],
        "n_trials": len(rows),
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


def _reading(d, alpha, ci, predicted, window, sizes, passes):
    """Plain-words reading of one d's verdict."""
    notes = []
    failing_above = [s for s, p in zip(sizes, passes) if not p and window.hi and s > window.hi]
    if alpha is None:
        if not any(passes):
            return (
                "no size interpolates: optimisation-limited everywhere, no exponent",
                False,
                False,
            )
        return (
            f"fewer than 3 sizes pass the diagnostics (window {window.lo:g}-{window.hi:g}): no fit",
            False,
            False,
        )
    ratio = alpha / predicted
    consistent = bool(ci[0] <= predicted <= ci[1])
    within = TOLERANCE[0] <= ratio <= TOLERANCE[1]
    if consistent or within:
        text = f"resolution-limited and consistent with 4/d (alpha/(4/d) = {ratio:.2f})"
        if not consistent:
            text = (
                f"resolution-limited, within the tolerance of 4/d (alpha/(4/d) = {ratio:.2f}) "
                "though the interval excludes it"
            )
    elif ratio > TOLERANCE[1]:
        text = (
            f"above 4/d: consistent with the bound, not tight (alpha/(4/d) = {ratio:.2f}; "
            "a teacher too simple for this d or a pre-asymptotic window)"
        )
    else:
        text = (
            f"below 4/d (alpha/(4/d) = {ratio:.2f}): slower than the resolution-limited rate; "
            "pre-asymptotic (teacher not yet resolved) or optimisation-limited"
        )
    if failing_above:
        notes.append(f"optimisation-limited beyond D = {window.hi:g}")
    if not window.spans_min_decades:
        notes.append(f"window spans only {window.decades:.2f} decades (< 1): weak evidence")
    if notes:
        text += "; " + "; ".join(notes)
    return text, consistent, bool(within and window.spans_min_decades)


def analyse(
    config: DataScalingConfig, records: list[dict], teachers: dict
) -> list[DimensionVerdict]:
    """Verdicts for every d from per-trial rows (dicts with d, n_train, seed, losses, n_params)."""
    key = jax.random.key(config.seed)
    verdicts = []
    for d in config.dims:
        rows = [r for r in records if r["d"] == d]
        verdicts.append(
            analyse_dimension(d, rows, config, teachers[d][1], key=jax.random.fold_in(key, d))
        )
    return verdicts


def trial_row(trial: TrialConfig, metrics: dict) -> dict:
    return {
        "d": trial.manifold.intrinsic_dim,
        "n_train": trial.n_train,
        "seed": trial.seed,
        **metrics,
    }


def summary_dict(config, verdicts, teachers, extra=None) -> dict:
    return {
        "study": "data-scaling",
        "config": config_to_dict(config),
        "results": [v.to_dict() for v in verdicts],
        "teachers": {str(d): t[1] for d, t in teachers.items()},
        "provenance": provenance(),
        **(extra or {}),
    }


def run_data_scaling(
    config: DataScalingConfig, out_dir, *, options=None, make_figures=True
) -> dict:
    """Run (or resume) the sweep through the runner, analyse, write summary.json and figures."""
    from ..sweep import SweepOptions, run_sweep

    out_dir = Path(out_dir)
    options = options or SweepOptions()
    teachers = calibrated_teachers(config)
    trials = trial_configs(config, teachers)
    result = run_sweep(
        run_trial,
        trials,
        out_dir,
        options=options,
        batch_fn=run_trials_on_devices,
        batch_key=batch_key,
        study="data-scaling",
        sweep_config=config_to_dict(config),
    )
    rows = [trial_row(t, rec.metrics) for t, rec in zip(trials, result.records)]
    verdicts = analyse(config, rows, teachers)
    summary = summary_dict(
        config,
        verdicts,
        teachers,
        {
            "trials": {"total": len(trials), "run": result.n_run, "skipped": result.n_skipped},
            "records": {
                "table": str(result.table_path.name),
                "manifest": result.manifest_path.name,
            },
        },
    )
    save_json(out_dir / "summary.json", summary)
    if make_figures:
        from ..plots import data_scaling_figures

        summary["figures"] = data_scaling_figures(summary, rows, out_dir)
        save_json(out_dir / "summary.json", summary)
    return summary
