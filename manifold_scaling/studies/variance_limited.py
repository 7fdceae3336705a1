"""The variance-limited regime in D: a small student with D >> P, where L(D) - L(inf) ~ D^-1.

Bahri et al. 2021 (Sec. 2.1, Table 1): when the model is too small to interpolate, the test loss of
the training-loss minimiser approaches its infinite-data value as 1/D (the classical variance term
tr(H^-1 Sigma)/(2D)), whatever the manifold's dimension. That is the contrast with the
resolution-limited regime (P >> D, L ~ D^(-4/d)): same teacher, same manifold, different regime,
different exponent.

Protocol (stated in advance): one small student is trained on fresh data (``online.train_online``)
and then polished by full-batch L-BFGS on a "population" sample far larger than any training set,
giving theta*, the bottom of one basin of the infinite-data loss; for every (D, seed) a training
set of D points is
drawn and full-batch L-BFGS in float64 (``full_batch.minimise_full_batch``) finds its minimiser,
warm-started from theta*, so every D lands in the same basin and optimiser noise does not swamp
the 1/D term. Every trial is scored on one shared test set (common random numbers). The fit is
``L = E + A D^-alpha`` with the floor E = L(inf) fitted, over every size with D >= ``min_ratio`` x P.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

import jax
import jax.numpy as jnp
import numpy as np

from .. import keys
from ..configs import param
from ..errors import InputError, check_choice, check_float, check_int
from ..fitting import local_slopes
from ..manifolds import EMBEDDINGS, LATENTS, ManifoldConfig, sample_manifold
from ..students import StudentConfig, parameter_count
from ..sweep.records import TrialOutput
from ..teachers import TeacherConfig
from ..training import (
    TrainConfig,
    ensure_precision,
    evaluate_loss,
    minimise_full_batch,
    to_numpy,
    train_online,
)
from .base import (
    ambient_field,
    check_teacher_rule,
    embedding_field,
    latent_field,
    replicate,
    teacher_field,
    teacher_rule_field,
)
from .protocol import Analysis, Study
from .trials import draw_setup, trial_setup
from .verdict import Verdict, analyse_curve, points_per_param_rule

__all__ = [
    "VarianceLimitedConfig",
    "VarianceTrialConfig",
    "analyse_variance_limited",
    "run_variance_limited",
    "run_variance_trial",
    "trial_configs",
]

# --- the empirical minimiser at D >> P (variance-limited) --------------------------------------


@dataclass(frozen=True)
class VarianceTrialConfig:
    """One (D, replicate) of the variance-limited study; theta* is shared by every trial of it."""

    manifold: ManifoldConfig
    teacher: TeacherConfig
    student: StudentConfig
    pretrain: TrainConfig
    pretrain_steps: int
    population_size: int
    population_lbfgs_steps: int
    lbfgs_steps: int
    precision: str
    n_train: int
    n_test: int
    data_seed: int
    seed: int


def warm_start(config: VarianceTrialConfig) -> list:
    """theta*: Adam on fresh data, then L-BFGS on the population sample (cached per process)."""
    c = config
    return _warm_start(
        c.manifold, c.teacher, c.student, c.pretrain, c.pretrain_steps, c.population_size,
        c.population_lbfgs_steps, c.precision, c.data_seed, bool(jax.config.jax_enable_x64),
    )  # fmt: skip


# The x64 flag is part of the cache key: the same seed draws a different teacher under x64.
@functools.lru_cache(maxsize=4)
def _warm_start(
    manifold, teacher_config, student, pretrain, pretrain_steps, population_size,
    population_lbfgs_steps, precision, data_seed, x64,
):  # fmt: skip
    embedder, teacher = draw_setup(data_seed, manifold, teacher_config)
    k = keys.variance_keys(data_seed)
    val = sample_manifold(k.pretrain_val, embedder, 4096)
    res = train_online(
        k.pretrain,
        student,
        pretrain,
        embedder,
        teacher,
        steps=pretrain_steps,
        x_val=val.x,
        y_val=teacher(val.z),
        task=teacher_config.task,
    )
    params = res.params
    if population_lbfgs_steps:
        pop = sample_manifold(k.population, embedder, population_size)
        params = minimise_full_batch(
            params,
            pop.x,
            teacher(pop.z),
            steps=population_lbfgs_steps,
            task=teacher_config.task,
            precision=precision,
        ).params
    return to_numpy(params)


@functools.lru_cache(maxsize=4)
def _variance_test_set(manifold, teacher_config, data_seed, n_test, x64):
    """The study's shared test set (common random numbers for every D); x64 keys the cache."""
    embedder, teacher = draw_setup(data_seed, manifold, teacher_config)
    test = sample_manifold(keys.variance_keys(data_seed).test, embedder, n_test)
    return np.asarray(test.x), np.asarray(teacher(test.z))


def run_variance_trial(config: VarianceTrialConfig) -> TrialOutput:
    """Warm start at theta*, L-BFGS to the minimiser of D points, score the shared test set."""
    # x64 is a process-wide switch that changes what jax.random draws: turn it on before the
    # first draw, so that every trial (and theta*) sees the same teacher whatever ran before.
    ensure_precision(config.precision)
    theta = warm_start(config)
    embedder, teacher = trial_setup(config)
    k_train = keys.variance_train_key(config.seed, config.data_seed, config.n_train)
    train = sample_manifold(k_train, embedder, config.n_train)
    task = config.teacher.task
    res = minimise_full_batch(
        theta, train.x, teacher(train.z), steps=config.lbfgs_steps, task=task,
        precision=config.precision,
    )  # fmt: skip
    x_test, y_test = _variance_test_set(
        config.manifold, config.teacher, config.data_seed, config.n_test,
        bool(jax.config.jax_enable_x64),
    )  # fmt: skip
    dtype = jnp.float64 if config.precision == "float64" else jnp.float32
    x_test, y_test = jnp.asarray(x_test, dtype), jnp.asarray(y_test, dtype)
    test = evaluate_loss(res.params, x_test, y_test, task=task)
    reference = evaluate_loss(
        jax.tree_util.tree_map(lambda a: jnp.asarray(a, dtype), theta), x_test, y_test, task=task
    )
    n_params = parameter_count(config.student, config.manifold.input_dim, config.teacher.output_dim)
    metrics = {
        "test_loss": test,
        "train_loss": res.train_loss,
        "start_train_loss": res.start_loss,
        "reference_loss": reference,
        "grad_norm": res.grad_norm,
        "n_params": n_params,
        "points_per_param": config.n_train / n_params,
        "finite": bool(np.isfinite(test)),
    }
    return TrialOutput(metrics, {})


# --- the study: D >> P sizes around one shared theta* -----------------------------------------

TOLERANCE = (0.85, 1.15)


@dataclass(frozen=True)
class VarianceLimitedConfig:
    """A small student (P parameters) trained to the empirical minimiser on D >> P points."""

    d: int = param(8, help="intrinsic dimension")
    sizes: tuple[int, ...] = param(
        (1024, 2048, 4096, 8192, 16384, 32768, 65536), help="training-set sizes D (D >> P)"
    )
    seeds: int = param(6, help="replicates per size (training-set draws)")
    seed: int = param(0, help="master seed of the study")
    latent: Literal["cube", "gaussian", "sphere", "torus", "unit-cube"] = latent_field()
    ambient_dim: int = ambient_field(0)
    embedding: Literal["pad", "rotation", "network"] = embedding_field("rotation")
    teacher: TeacherConfig = teacher_field()
    teacher_target_r2: float | None = teacher_rule_field()
    width: int = param(8, help="student width (small: D >> P)")
    depth: int = param(2, help="student hidden layers")
    pretrain: TrainConfig = param(
        help="fresh-data training to theta*",
        factory=lambda: TrainConfig(learning_rate=1e-2, batch_size=256, eval_every=250),
    )
    pretrain_steps: int = param(10000, help="fresh-data Adam steps to theta*")
    population_size: int = param(262144, help="sample that polishes theta* (>> D)")
    population_lbfgs_steps: int = param(2000, help="L-BFGS iterations polishing theta*")
    lbfgs_steps: int = param(1000, help="full-batch L-BFGS iterations per D")
    precision: Literal["float32", "float64"] = param("float64", help="float32 | float64")
    n_test: int = param(65536, help="shared test points")
    min_ratio: float = param(4.0, help="fit sizes with D >= this x P")
    n_bootstrap: int = param(1000, help="bootstrap resamples", flag="--bootstrap")
    ci: float = param(0.9, help="interval level")

    def __post_init__(self):
        check_int("d", self.d, minimum=1, maximum=64)
        if len(set(self.sizes)) < 4:
            raise InputError("sizes", f"need at least 4 distinct sizes (got {list(self.sizes)})")
        for s in self.sizes:
            check_int("sizes", s, minimum=2)
        check_int("seeds", self.seeds, minimum=2, maximum=1000)
        check_int("seed", self.seed, minimum=0, maximum=2**31 - 1)
        check_choice("latent", self.latent, LATENTS)
        check_choice("embedding", self.embedding, EMBEDDINGS)
        check_int("ambient_dim", self.ambient_dim, minimum=0)
        try:
            _ = self.manifold  # checks ambient >= the latent's coordinate count
        except InputError as err:
            raise InputError("ambient_dim", str(err).split(": ", 1)[-1]) from None
        check_teacher_rule(self.teacher, self.teacher_target_r2)
        check_int("width", self.width, minimum=1, maximum=4096)
        check_int("depth", self.depth, minimum=1, maximum=16)
        check_int("pretrain_steps", self.pretrain_steps, minimum=self.pretrain.eval_every)
        check_int("lbfgs_steps", self.lbfgs_steps, minimum=10)
        check_int("population_size", self.population_size, minimum=max(self.sizes))
        check_int("population_lbfgs_steps", self.population_lbfgs_steps, minimum=0)
        check_choice("precision", self.precision, ("float32", "float64"))
        check_int("n_test", self.n_test, minimum=16)
        check_float("min_ratio", self.min_ratio, minimum=0.0)
        check_int("n_bootstrap", self.n_bootstrap, minimum=50)
        check_float("ci", self.ci, minimum=0.5, maximum=0.999)
        p = self.n_params
        usable = [s for s in set(self.sizes) if s >= self.min_ratio * p]
        if len(usable) < 4:
            raise InputError(
                "sizes",
                f"need at least 4 sizes with D >= {self.min_ratio:g} x P = "
                f"{self.min_ratio * p:g} (P = {p} for width {self.width}); got {len(usable)}",
            )

    @property
    def manifold(self) -> ManifoldConfig:
        return ManifoldConfig(
            intrinsic_dim=self.d,
            latent=self.latent,
            ambient_dim=self.ambient_dim,
            embedding=self.embedding,
        )

    @property
    def n_params(self) -> int:
        return parameter_count(
            StudentConfig(depth=self.depth, width=self.width),
            self.manifold.input_dim,
            self.teacher.output_dim,
        )


def trial_configs(config: VarianceLimitedConfig) -> list[VarianceTrialConfig]:
    """Every (D, replicate) trial. One teacher and one theta* serve the whole study (theta* is the
    bottom of one basin of that teacher's infinite-data loss); replicates redraw the training set."""
    teacher = _teacher(config)
    return [
        VarianceTrialConfig(
            manifold=config.manifold,
            teacher=teacher.teacher.config,
            student=StudentConfig(depth=config.depth, width=config.width),
            pretrain=config.pretrain,
            pretrain_steps=config.pretrain_steps,
            population_size=config.population_size,
            population_lbfgs_steps=config.population_lbfgs_steps,
            lbfgs_steps=config.lbfgs_steps,
            precision=config.precision,
            n_train=size,
            n_test=config.n_test,
            data_seed=teacher.data_seed,
            seed=keys.replicate_seed(config.seed, s),
        )
        for size in sorted(set(config.sizes))
        for s in range(config.seeds)
    ]


def _teacher(config: VarianceLimitedConfig):
    return replicate(config.seed, 0, config.manifold, config.teacher, config.teacher_target_r2)


def analyse_variance_limited(
    rows: list[dict], config: VarianceLimitedConfig, teacher_info: dict, *, key, contrast=None
) -> Verdict:
    """Fit L = E + A D^-alpha over sizes with D >= min_ratio x P; read alpha against 1 and 4/d."""
    p = int(rows[0]["n_params"])
    reference = float(np.median([r["reference_loss"] for r in rows]))
    grads = np.array([r["grad_norm"] for r in rows], float)
    res_alpha = 4.0 / config.d
    # 4/d is a second reading only where it differs from D^-1 by more than the band can blur
    more = [] if abs(res_alpha - 1.0) <= 0.1 else [("4/d (resolution-limited)", (res_alpha,) * 2)]
    verdict = analyse_curve(
        config.d, rows, points_per_param_rule(config.min_ratio), predicted=1.0, key=key,
        axis="variance", band=TOLERANCE, min_decades=0.0, more_agreements=more,
        with_floor=True, n_bootstrap=config.n_bootstrap, ci=config.ci, teacher=teacher_info,
    )  # fmt: skip
    floor = floor_ci = None
    slopes = verdict.local_slopes
    if verdict.fit is not None:
        floor, floor_ci = verdict.fit["floor"], verdict.fit["floor_ci"]
        sizes = np.array([r["n_train"] for r in rows], float)
        excess = np.array([r["test_loss"] for r in rows], float) - floor
        pos = excess > 0
        slopes = local_slopes(sizes[pos], excess[pos], groups=None).to_dict()
    diagnostics = {
        **verdict.diagnostics,
        "rule": f"fit L = E + A D^-alpha over every size with D >= {config.min_ratio:g} x P "
        f"(P = {p}); E = L(inf) fitted",
        "max_grad_norm": float(np.nanmax(grads)),
        "min_points_per_param": float(min(r["n_train"] for r in rows) / p),
    }
    return replace(
        verdict,
        local_slopes=slopes,
        diagnostics=diagnostics,
        resolution_alpha=res_alpha,
        floor=floor,
        floor_ci=None if floor_ci is None else tuple(floor_ci),
        reference_loss=reference,
        n_params=p,
        contrast=contrast,
        interval_covers="data and optimisation (one teacher and one theta* per study)",
    )


def contrast_from_summary(path, d: int) -> dict | None:
    """The resolution-limited verdict at the same d from a data-scaling summary.json, if given."""
    import json

    path = Path(path)
    if not path.exists():
        raise InputError("contrast", f"file not found: {path}")
    try:
        summary = json.loads(path.read_text())
        results = summary["results"]
    except (json.JSONDecodeError, KeyError, TypeError):
        raise InputError("contrast", f"{path} is not a data-scaling summary.json") from None
    for r in results:
        if r.get("d") == d:
            return {
                "source": str(path),
                "alpha": r.get("alpha"),
                "alpha_ci": r.get("alpha_ci"),
                "predicted_alpha": r.get("predicted_alpha"),
                "fit_window": r.get("fit_window"),
            }
    raise InputError("contrast", f"{path} has no result for d = {d}")


def run_variance_limited(
    config: VarianceLimitedConfig, out_dir, *, options=None, make_figures=True, contrast=None
) -> dict:
    """Run (or resume) the sweep, fit with a floor, write summary.json and the figure."""
    ensure_precision(config.precision)  # before the teacher calibration draws (see the trial)
    teacher = _teacher(config)
    trials = trial_configs(config)

    def analyse_records(trials, records):
        rows = [
            {"n_train": t.n_train, "seed": t.seed, **rec.metrics} for t, rec in zip(trials, records)
        ]
        verdict = analyse_variance_limited(
            rows, config, teacher.to_dict(), key=keys.analysis_key(config.seed), contrast=contrast
        )
        return Analysis([verdict], rows, {"result": verdict.to_dict()})

    run = dict(options=options, make_figures=make_figures)
    return VARIANCE_LIMITED.run(config, trials, out_dir, analyse_records, **run)


def _figures(summary, analysis, out_dir):
    from ..plots import variance_limited_figures

    return variance_limited_figures(summary, analysis.rows, out_dir)


VARIANCE_LIMITED = Study("variance-limited", run_variance_trial, _figures)
