"""The model-size study: test loss vs parameter count N at unlimited data, alpha_N against 4/d.

Sharma & Kaplan 2020 (Sec. 2-3, Fig. 1): N parameters cut a d-dimensional manifold into ~N linear
pieces of side s ~ N^(-1/d), so a ReLU network fitting a smooth target has L ~ s^4 ~ N^(-4/d) when
data are unlimited (Bahri et al. 2021: resolution-limited in N). Every student here trains on fresh
samples at every step (``training.train_online``), like theirs. The fit window is fixed in advance:
the longest run of widths at which every replicate's loss curve has converged
(``training.convergence``) -- an unconverged point measures the optimiser, not the model size.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import ClassVar, Literal

import jax
import jax.numpy as jnp
import numpy as np

from .. import keys
from ..configs import config_hash, param
from ..errors import InputError, check_float, check_int, check_int_list
from ..manifolds import sample_manifold
from ..students import StudentConfig, init_student, parameter_count, student_hidden
from ..sweep import Grouping
from ..sweep.records import TrialOutput
from ..training import (
    Phase,
    TrainConfig,
    convergence,
    ensure_precision,
    evaluate_loss,
    online_phases,
    train_online_replicates,
)
from .base import (
    Replicate,
    StudyConfig,
    ambient_field,
    embedding_field,
    replicates,
    teacher_summary,
)
from .protocol import Analysis, Study
from .trials import _curves, _DrawnTrial, _shard_over_devices, draw_setup
from .verdict import Verdict, analyse_dims, convergence_rule

__all__ = [
    "ModelScalingConfig",
    "OnlineTrialConfig",
    "analyse",
    "load_curves",
    "online_group_key",
    "run_model_scaling",
    "run_online_group",
    "run_online_group_on_devices",
    "run_online_trial",
    "save_curves",
    "trial_configs",
]

# --- fresh data every step (model scaling) -------------------------------------------------------


@dataclass(frozen=True)
class OnlineTrialConfig(_DrawnTrial):
    """One student trained on fresh samples at every step: ``steps`` optimiser steps at the
    TrainConfig's batch size and schedule, or the ``phases`` given (then ``steps`` is unused).

    ``train.steps_per_point``/``min_steps``/``max_steps`` are not used. ``budget_fraction`` is
    the fraction of a published budget the steps were scaled by (recorded, not applied: the steps
    are already scaled). ``layer_id_k`` > 0 measures the intrinsic dimension of the trained
    student's last hidden layer (pre-activation) on the test points by TwoNN and by the MLE with
    that many neighbours (Sharma & Kaplan 2020, Sec. 4).
    """

    steps: int = 20000
    n_val: int = 4096
    n_test: int = 16384
    phases: tuple[Phase, ...] = ()
    budget_fraction: float = 1.0
    layer_id_k: int = 0
    _COUNTS: ClassVar[tuple] = (("steps", 1), ("n_val", 1), ("n_test", 1))

    def __post_init__(self):
        super().__post_init__()
        check_float("budget_fraction", self.budget_fraction, minimum=0.0, strict_min=True)
        check_int("layer_id_k", self.layer_id_k, minimum=0)
        if self.layer_id_k and self.layer_id_k >= self.n_test:
            raise InputError("layer_id_k", f"must be below n_test={self.n_test}")

    @property
    def schedule(self) -> tuple[Phase, ...]:
        """The phases this trial trains through (rounded to whole chunks)."""
        return online_phases(self.train, self.steps, self.phases)


def online_group_key(config: OnlineTrialConfig) -> str:
    """Trials that can share one stream program: the same everything but width and replicate
    (a replicate's teacher gain, set by the R^2 rule, lives in its weights, not in the program)."""
    student = replace(config.student, width=1)
    teacher = replace(config.teacher, gain=1.0)
    return config_hash(replace(config, student=student, teacher=teacher, seed=0, data_seed=0))


def run_online_trial(config: OnlineTrialConfig) -> TrialOutput:
    """One unlimited-data trial on its own: :func:`run_online_group` of one config."""
    return run_online_group([config])[0]


def run_online_group(
    configs: list[OnlineTrialConfig], *, batched: bool | None = None, shard=None
) -> list[TrialOutput]:
    """Unlimited-data trials that differ only in width and replicate, on shared streams.

    Every replicate (``seed``, ``data_seed``: its own teacher, embedding, validation and test sets
    and stream of fresh batches) trains all the group's widths on that one stream: one sample and
    one teacher pass per step serve every width (Sharma & Kaplan 2020's teacher costs far more per
    step than any of their students). ``batched``: the replicates run as one vmapped program
    (always when ``shard`` places them over devices); ``None`` (the default): vmapped on an
    accelerator, one after another on a CPU (where vmapping the replicates gained nothing in our
    trials on 2 cores, and the loop's results equal a trial run alone exactly). A
    trial's numbers do not depend on its group: run alone it gets the same keys, stream and
    initialisation (equal up to XLA reordering float sums). Convergence is judged later, from the
    stored validation curve, by the study's rule.
    """
    if batched is None:
        batched = shard is not None or jax.default_backend() != "cpu"
    first = configs[0]
    group = online_group_key(first)
    if any(online_group_key(c) != group for c in configs[1:]):
        raise ValueError("run_online_group: configs differ in more than width and replicate")
    widths = sorted({c.student.width for c in configs})
    reps = list(dict.fromkeys((c.seed, c.data_seed) for c in configs))
    teachers = {(c.seed, c.data_seed): c.teacher for c in configs}
    task, power, dtype = first.teacher.task, first.loss_power, first.train.dtype
    ensure_precision(first.train.precision)
    in_dim, out_dim = first.manifold.input_dim, first.teacher.output_dim
    setups, streams, inits, vals, tests = [], [], [], [], []
    for seed, data_seed in reps:
        embedder, teacher = draw_setup(data_seed, first.manifold, teachers[seed, data_seed])
        k = [keys.online_keys(seed, data_seed, w, first.student.depth) for w in widths]
        val = sample_manifold(k[0].val, embedder, first.n_val)
        test = sample_manifold(k[0].test, embedder, first.n_test)
        setups.append((embedder, teacher))
        streams.append(k[0].stream)
        vals.append((val.x, teacher(val.z)))
        tests.append((np.asarray(test.x, dtype), np.asarray(teacher(test.z), dtype)))
        inits.append(
            [init_student(kw.init, replace(first.student, width=w), in_dim, out_dim)
             for kw, w in zip(k, widths)]
        )  # fmt: skip
    stack = lambda *trees: jax.tree_util.tree_map(lambda *a: jnp.stack(a), *trees)  # noqa: E731
    results = train_online_replicates(
        jnp.stack(streams),
        [stack(*(inits[r][j] for r in range(len(reps)))) for j in range(len(widths))],
        first.train,
        first.manifold,
        replace(first.teacher, gain=1.0),  # the gains are in the stacked weights
        stack(*(e.params for e, _ in setups)),
        stack(*((t.params, t.mean, t.std) for _, t in setups)),
        phases=first.schedule,
        x_val=jnp.stack([v[0] for v in vals]),
        y_val=jnp.stack([v[1] for v in vals]),
        task=task,
        loss_power=power,
        batched=batched,
        shard=shard,
    )
    outputs = []
    for c in configs:
        r, j = reps.index((c.seed, c.data_seed)), widths.index(c.student.width)
        outputs.append(_online_output(c, results[j][r], *tests[r]))
    return outputs


def run_online_group_on_devices(configs: list[OnlineTrialConfig]) -> list[TrialOutput]:
    """The ``devices`` backend's group: the replicate axis sharded over the local devices."""
    return run_online_group(configs, shard=_shard_over_devices)


def _online_output(config: OnlineTrialConfig, res, x_test, y_test) -> TrialOutput:
    task = config.teacher.task
    test_loss = evaluate_loss(res.params, x_test, y_test, task=task, loss_power=config.loss_power)
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
        "budget_fraction": config.budget_fraction,
        "finite": bool(np.isfinite(test_loss)),
        **_layer_dimensions(config, res.params, x_test),
    }
    return TrialOutput(metrics, _curves(res))


def _layer_dimensions(config: OnlineTrialConfig, params, x_test) -> dict:
    """TwoNN and MLE (k = ``layer_id_k``) of the last hidden layer's pre-activations."""
    if not config.layer_id_k:
        return {}
    import warnings

    from ..intrinsic_dim import mle_levina_bickel, twonn

    hidden = np.asarray(student_hidden(params, jnp.asarray(x_test))[-1], np.float64)
    with warnings.catch_warnings():  # a degenerate layer is reported by its NaN, not a warning
        warnings.simplefilter("ignore")
        out = {}
        for name, estimate in (
            ("layer_id_twonn", lambda h: twonn(h)),
            ("layer_id_mle", lambda h: mle_levina_bickel(h, k=config.layer_id_k)),
        ):
            try:
                out[name] = float(estimate(hidden).dimension)
            except ValueError:
                out[name] = float("nan")
    return out


# --- the study: widths x replicates on fresh data ---------------------------------------------

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
    widths: tuple[int, ...] = param(
        (6, 8, 11, 16, 22, 32),
        help="student widths (empty: Sharma & Kaplan's rule floor(n0 * width_growth^i), "
        "i < n_widths, n0 = 8 for d < 7, 15 for d = 7-10, 22 above)",
    )
    width_growth: float = param(1.3, help="widths rule (when --widths is empty): growth factor")
    n_widths: int = param(7, help="widths rule (when --widths is empty): number of widths")
    depth: int = param(2, help="student hidden layers")
    student_init: Literal["he", "uniform", "normal"] = param(
        "he", help="student init: he N(0, 2/fan_in); uniform (PyTorch); normal N(0, 1/fan_in)"
    )
    student_bias_std: float = param(0.0, help="student biases ~ N(0, std^2) (init normal)")
    train: TrainConfig = param(help="how students are trained", factory=lambda: _ONLINE_TRAIN)
    steps: int = param(20000, help="optimiser steps per student (fresh batch every step)")
    phase_steps: tuple[int, ...] = param(
        (), help="train in phases instead: each phase's steps (then --steps is unused)"
    )
    phase_batch_sizes: tuple[int, ...] = param((), help="each phase's batch size")
    phase_learning_rates: tuple[float, ...] = param((), help="each phase's constant learning rate")
    budget_fractions: tuple[float, ...] = param(
        (1.0,),
        help="scale every phase's steps (or --steps) by each fraction; 1 is the full budget, "
        "and the verdict reports alpha_N at each fraction",
        flag="--budget-fraction",
    )
    layer_id_k: int = param(
        0, help="measure the last hidden layer's ID (TwoNN; MLE with k neighbours); 0: off"
    )
    convergence_window: float = param(0.25, help="convergence rule: last fraction of the steps")
    convergence_tol: float = param(0.1, help="convergence rule: allowed relative late drop")

    def __post_init__(self):
        super().__post_init__()
        if self.widths:
            check_int_list("widths", self.widths, min_distinct=3, minimum=1, maximum=1 << 16)
        check_float("width_growth", self.width_growth, minimum=1.01, maximum=10.0)
        check_int("n_widths", self.n_widths, minimum=3, maximum=64)
        check_int("depth", self.depth, minimum=1, maximum=64)
        check_float("student_bias_std", self.student_bias_std, minimum=0.0)
        check_int("steps", self.steps, minimum=self.train.eval_every * 4)
        n = len(self.phase_steps)
        for name in ("phase_batch_sizes", "phase_learning_rates"):
            if len(getattr(self, name)) != n:
                raise InputError(
                    name, f"needs one value per phase ({n} in --phase-steps), got "
                    f"{len(getattr(self, name))}",
                )  # fmt: skip
        check_int_list("phase_steps", self.phase_steps, min_distinct=0, minimum=1)
        check_int_list("phase_batch_sizes", self.phase_batch_sizes, min_distinct=0, minimum=1)
        for lr in self.phase_learning_rates:
            check_float("phase_learning_rates", lr, minimum=0.0, strict_min=True)
        if not self.budget_fractions:
            raise InputError("budget_fractions", "needs at least one fraction")
        for f in self.budget_fractions:
            check_float("budget_fractions", f, minimum=0.0, maximum=1.0, strict_min=True)
        if len(set(self.budget_fractions)) != len(self.budget_fractions):
            raise InputError("budget_fractions", f"repeats a fraction ({self.budget_fractions})")
        check_int("layer_id_k", self.layer_id_k, minimum=0, maximum=self.n_test - 1)
        check_float("convergence_window", self.convergence_window, minimum=0.05, maximum=1.0)
        check_float("convergence_tol", self.convergence_tol, minimum=0.0, maximum=1.0)

    def widths_at(self, d: int) -> tuple[int, ...]:
        """The student widths at intrinsic dimension ``d`` (``widths``, or the growth rule)."""
        if self.widths:
            return tuple(sorted(set(self.widths)))
        n0 = 8 if d < 7 else 15 if d <= 10 else 22
        return tuple(sorted({int(n0 * self.width_growth**i) for i in range(self.n_widths)}))

    def student(self, width: int) -> StudentConfig:
        return StudentConfig(
            depth=self.depth, width=width, init=self.student_init, bias_std=self.student_bias_std
        )

    def schedule(self, fraction: float) -> tuple[Phase, ...]:
        """The phases at one budget fraction: every phase's steps scaled, at least one chunk."""
        every = self.train.eval_every
        scale = lambda steps: max(every, round(fraction * steps))  # noqa: E731
        if not self.phase_steps:
            return (Phase(scale(self.steps), self.train.batch_size),)
        return tuple(
            Phase(scale(n), b, lr)
            for n, b, lr in zip(self.phase_steps, self.phase_batch_sizes, self.phase_learning_rates)
        )


def trial_configs(
    config: ModelScalingConfig, reps: dict[int, list[Replicate]] | None = None
) -> list[OnlineTrialConfig]:
    """Every trial, in (budget fraction, d, width, replicate) order: smallest budgets first, so
    an interrupted sweep has finished verdicts at small budgets. The trials of one (fraction, d)
    run as one group on shared streams (``run_online_group``)."""
    reps = reps or {d: replicates(config, d) for d in config.dims}
    trials = []
    for fraction in sorted(config.budget_fractions):
        schedule = config.schedule(fraction)
        for d in config.dims:
            for width in config.widths_at(d):
                for rep in reps[d]:
                    trials.append(
                        OnlineTrialConfig(
                            manifold=config.manifold(d),
                            student=config.student(width),
                            train=config.train,
                            steps=sum(p.steps for p in schedule),
                            phases=schedule if config.phase_steps else (),
                            budget_fraction=fraction,
                            layer_id_k=config.layer_id_k,
                            n_val=config.n_val,
                            n_test=config.n_test,
                            loss_power=config.loss_power,
                            **rep.draws(),
                        )
                    )
    return trials


def trial_row(trial: OnlineTrialConfig, record, config: ModelScalingConfig) -> dict:
    """One analysis row: the trial's metrics plus its convergence under the study's rule."""
    curve = np.asarray(record.arrays["curve_val"])
    if trial.phases:
        # Judged on the final phase alone: the earlier phases end in a planned step change
        # (batch, learning rate) whose drop says nothing about whether training has converged.
        curve = curve[-(trial.schedule[-1].steps // trial.train.eval_every) :]
    conv = convergence(curve, window=config.convergence_window, tolerance=config.convergence_tol)
    return {
        "d": trial.manifold.intrinsic_dim,
        "seed": trial.seed,
        "budget_fraction": trial.budget_fraction,
        **record.metrics,
        "converged": conv.converged,
        "late_drop": conv.late_drop,
        "wall_time_s": record.wall_time_s,
    }


def analyse(config: ModelScalingConfig, rows: list[dict], reps) -> list[Verdict]:
    """One verdict per (budget fraction, d), smallest budget first."""
    rule = convergence_rule(
        config.convergence_window, config.convergence_tol, phased=bool(config.phase_steps)
    )
    verdicts = []
    for fraction in sorted(config.budget_fractions):
        at = [r for r in rows if r.get("budget_fraction", 1.0) == fraction]
        found = analyse_dims(
            config, at, reps, rule, size_key="n_params", axis="N",
            # the budget folds into the analysis key unless it is the full budget
            key_path=() if fraction == 1.0 else (round(fraction * 1e6),),
            diagnostics={"size_axis": "parameters N"}, budget_fraction=fraction,
        )  # fmt: skip
        for v in found:  # what was measured on this d's students
            mine = [r for r in at if r["d"] == v.d]
            verdicts.append(replace(v, **_layer_ids(mine), **_budget_time(mine)))
    return project_full_budget(verdicts)


def _layer_ids(rows: list[dict]) -> dict:
    """The median last-hidden-layer ID over every student, by each estimator (if measured)."""
    out = {}
    for name in ("layer_id_twonn", "layer_id_mle"):
        values = [r[name] for r in rows if np.isfinite(r.get(name, np.nan))]
        if values:
            out[f"{name}_median"] = float(np.median(values))
    return out


def _budget_time(rows: list[dict]) -> dict:
    """The measured training time of one (fraction, d) group (compilation included)."""
    return {"wall_time_s": float(sum(r.get("wall_time_s", 0.0) for r in rows))}


def project_full_budget(verdicts: list[Verdict]) -> list[Verdict]:
    """Give each verdict the time a full budget would take here: per d, the measured time of
    its largest budget fraction divided by that fraction. The work per step is fixed, so this
    scales the measured steps; it is an upper bound, since the fixed costs (compilation, the test
    evaluation, the layer IDs) are scaled too. (A line through several fractions' times would
    separate them, but on a shared machine those times are too noisy to extrapolate from.)"""
    seconds = {}
    for d in {v.d for v in verdicts}:
        top = max((v for v in verdicts if v.d == d), key=lambda v: v.budget_fraction)
        seconds[d] = float(top.wall_time_s / top.budget_fraction)
    return [replace(v, projected_full_budget_s=seconds[v.d]) for v in verdicts]


def budget_table(verdicts: list[Verdict]) -> list[dict]:
    """alpha_N at each budget fraction, per d: does the exponent settle as training grows?"""
    rows = []
    for v in verdicts:
        rows.append(
            {
                "d": v.d,
                "budget_fraction": 1.0 if v.budget_fraction is None else v.budget_fraction,
                "alpha": v.alpha,
                "alpha_ci": list(v.alpha_ci) if v.alpha_ci else None,
                "ratio": v.ratio,
                "predicted_alpha": v.predicted_alpha,
                "window": list(v.fit_window) if v.fit_window else None,
            }
        )
    return rows


def read_budget(table: list[dict]) -> dict[str, str]:
    """Per d, in words: alpha_N / (4/d) at each budget and whether it still moves."""
    out = {}
    for d in sorted({r["d"] for r in table}):
        pts = sorted((r for r in table if r["d"] == d), key=lambda r: r["budget_fraction"])
        parts = [
            f"{r['ratio']:.2f} at {r['budget_fraction']:g}" if r["ratio"] is not None
            else f"no exponent at {r['budget_fraction']:g}"
            for r in pts
        ]  # fmt: skip
        text = f"alpha_N / (4/d) = {', '.join(parts)} of the full budget"
        fitted = [r for r in pts if r["ratio"] is not None]
        if len(fitted) >= 2:
            first, last = fitted[0], fitted[-1]
            lo, hi = last["alpha_ci"] or (np.nan, np.nan)
            covers = lo <= last["predicted_alpha"] <= hi
            moved = last["ratio"] - first["ratio"]
            text += (
                f"; from the smallest to the largest budget it moved by {moved:+.2f}"
                + (", and the largest budget's interval contains 4/d" if covers
                   else ", and the largest budget's interval excludes 4/d")
            )  # fmt: skip
        out[str(d)] = text
    return out


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
        curves = {
            (r["d"], r["width"], r["seed"], r["budget_fraction"]): rec.arrays
            for r, rec in zip(rows, records)
        }
        save_curves(out_dir / "curves.npz", curves)
        verdicts = analyse(config, rows, reps)
        table = budget_table(verdicts)
        fields = {
            "teachers": {str(d): teacher_summary(reps[d]) for d in config.dims},
            "convergence_rule": verdicts[0].diagnostics["window_rule"] if verdicts else None,
            "alpha_vs_budget": table,
            "budget_reading": read_budget(table),
            "curves": "curves.npz",
        }
        return Analysis(verdicts, rows, fields, {"curves": curves})

    run = dict(options=options, make_figures=make_figures)
    return MODEL_SCALING.run(config, trials, out_dir, analyse_records, **run)


def _figures(summary, analysis, out_dir):
    from ..plots import model_scaling_figures

    return model_scaling_figures(summary, analysis.rows, analysis.figure_data["curves"], out_dir)


def save_curves(path, curves: dict) -> None:
    """Every trial's validation curve in one small npz: ``d{d}_w{width}_s{seed}`` (the full
    budget) or ``d{d}_w{width}_s{seed}_f{fraction}``, each with its steps under ``steps_<key>``."""
    arrays = {}
    for (d, w, s, f), arr in curves.items():
        name = f"d{d}_w{w}_s{s}" + ("" if f == 1.0 else f"_f{f:g}")
        arrays[name] = np.asarray(arr["curve_val"], np.float32)
        arrays[f"steps_{name}"] = np.asarray(arr["curve_steps"])
    np.savez_compressed(path, **arrays)


def load_curves(path) -> dict:
    """Inverse of :func:`save_curves`: ``{(d, width, seed, fraction): {"curve_steps",
    "curve_val"}}``."""
    with np.load(path) as z:
        out = {}
        for name in z.files:
            if name.startswith("steps"):
                continue
            parts = name.split("_")
            d, w, s = (int(part[1:]) for part in parts[:3])
            f = float(parts[3][1:]) if len(parts) > 3 else 1.0
            steps = z[f"steps_{name}"] if f"steps_{name}" in z.files else z["steps"]
            out[(d, w, s, f)] = {"curve_steps": steps, "curve_val": z[name]}
    return out


# Every (budget fraction, d) runs as one group on every backend: its students share their
# replicates' streams of fresh batches (one teacher pass per step for every width).
MODEL_SCALING = Study(
    "model-scaling",
    run_online_trial,
    _figures,
    batch_fn=run_online_group_on_devices,
    grouping=Grouping(run_online_group, online_group_key),
)
