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

import dataclasses
import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import jax
import jax.numpy as jnp
import numpy as np

from ..configs import config_to_dict, save_json
from ..errors import InputError, check_choice, check_float, check_int
from ..fitting import fit_power_law, local_slopes
from ..full_batch import minimise_full_batch, to_numpy
from ..manifolds import EMBEDDINGS, LATENTS, ManifoldConfig, init_embedding, sample_manifold
from ..online import train_online
from ..provenance import provenance
from ..students import StudentConfig, parameter_count
from ..sweep import TrialOutput
from ..teachers import TeacherConfig, init_teacher
from ..training import TrainConfig, ensure_precision, evaluate_loss
from .data_scaling import calibrated_teachers, study_key

__all__ = [
    "VarianceLimitedConfig",
    "VarianceTrialConfig",
    "analyse_variance_limited",
    "run_variance_limited",
    "run_variance_trial",
]

TOLERANCE = (0.85, 1.15)


@dataclass(frozen=True)
class VarianceLimitedConfig:
    """A small student (P parameters) trained to the empirical minimiser on D >> P points."""

    d: int = 8
    sizes: tuple[int, ...] = (1024, 2048, 4096, 8192, 16384, 32768, 65536)
    seeds: int = 6
    seed: int = 0
    latent: Literal["cube", "gaussian", "sphere", "torus"] = "cube"
    ambient_dim: int = 0
    embedding: Literal["pad", "rotation", "network"] = "rotation"
    teacher: TeacherConfig = field(default_factory=TeacherConfig)
    teacher_target_r2: float | None = 0.7
    width: int = 8
    depth: int = 2
    pretrain: TrainConfig = field(
        default_factory=lambda: TrainConfig(learning_rate=1e-2, batch_size=256, eval_every=250)
    )
    pretrain_steps: int = 10000
    population_size: int = 262144
    population_lbfgs_steps: int = 2000
    lbfgs_steps: int = 1000
    precision: Literal["float32", "float64"] = "float64"
    n_test: int = 65536
    min_ratio: float = 4.0
    n_bootstrap: int = 1000
    ci: float = 0.9

    # duck-typing for data_scaling.calibrated_teachers
    @property
    def dims(self) -> tuple[int, ...]:
        return (self.d,)

    def __post_init__(self):
        check_int("--d", self.d, minimum=1, maximum=64)
        if len(set(self.sizes)) < 4:
            raise InputError("--sizes", f"need at least 4 distinct sizes (got {list(self.sizes)})")
        for s in self.sizes:
            check_int("--sizes", s, minimum=2)
        check_int("--seeds", self.seeds, minimum=2, maximum=1000)
        check_int("--seed", self.seed, minimum=0, maximum=2**31 - 1)
        check_choice("--latent", self.latent, LATENTS)
        check_choice("--embedding", self.embedding, EMBEDDINGS)
        check_int("--ambient-dim", self.ambient_dim, minimum=0)
        need = {"sphere": self.d + 1, "torus": 2 * self.d}.get(self.latent, self.d)
        if self.ambient_dim and self.ambient_dim < need:
            raise InputError(
                "--ambient-dim",
                f"must be >= {need} for a {self.latent} of intrinsic dimension {self.d}, "
                f"or 0 for no embedding (got {self.ambient_dim})",
            )
        if self.teacher_target_r2 is not None:
            check_float("--teacher-r2", self.teacher_target_r2, minimum=0.05, maximum=0.99)
        check_int("--width", self.width, minimum=1, maximum=4096)
        check_int("--depth", self.depth, minimum=1, maximum=16)
        check_int("--pretrain-steps", self.pretrain_steps, minimum=self.pretrain.eval_every)
        check_int("--lbfgs-steps", self.lbfgs_steps, minimum=10)
        check_int("--population-size", self.population_size, minimum=max(self.sizes))
        check_int("--population-lbfgs-steps", self.population_lbfgs_steps, minimum=0)
        check_choice("--precision", self.precision, ("float32", "float64"))
        check_int("--n-test", self.n_test, minimum=16)
        check_float("--min-ratio", self.min_ratio, minimum=0.0)
        check_int("--bootstrap", self.n_bootstrap, minimum=50)
        check_float("--ci", self.ci, minimum=0.5, maximum=0.999)
        p = self.n_params
        usable = [s for s in set(self.sizes) if s >= self.min_ratio * p]
        if len(usable) < 4:
            raise InputError(
                "--sizes",
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


@dataclass(frozen=True)
class VarianceTrialConfig:
    """One (D, seed) of the variance-limited study; theta* is shared by every trial of the study."""

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


def trial_configs(config: VarianceLimitedConfig, teachers=None) -> list[VarianceTrialConfig]:
    teachers = teachers or calibrated_teachers(config)
    return [
        VarianceTrialConfig(
            manifold=config.manifold,
            teacher=teachers[config.d][0],
            student=StudentConfig(depth=config.depth, width=config.width),
            pretrain=config.pretrain,
            pretrain_steps=config.pretrain_steps,
            population_size=config.population_size,
            population_lbfgs_steps=config.population_lbfgs_steps,
            lbfgs_steps=config.lbfgs_steps,
            precision=config.precision,
            n_train=size,
            n_test=config.n_test,
            data_seed=study_key(config.seed, config.d),
            seed=config.seed * 1000 + s,
        )
        for size in sorted(set(config.sizes))
        for s in range(config.seeds)
    ]


def _setup(manifold, teacher_config, data_seed):
    k_embed, k_teacher = jax.random.split(jax.random.key(data_seed))
    embedder = init_embedding(k_embed, manifold)
    teacher = init_teacher(k_teacher, teacher_config, manifold.coord_dim, manifold.latent)
    return embedder, teacher


def warm_start(config: VarianceTrialConfig) -> list:
    """theta*: Adam on fresh data, then L-BFGS on the population sample (cached per process).

    Shared by every trial of a study; returns the parameters as numpy arrays.
    """
    c = config
    return _warm_start(
        c.manifold,
        c.teacher,
        c.student,
        c.pretrain,
        c.pretrain_steps,
        c.population_size,
        c.population_lbfgs_steps,
        c.precision,
        c.data_seed,
        bool(jax.config.jax_enable_x64),
    )


# The x64 flag is part of the cache key: the same seed draws a different teacher under x64.
@functools.lru_cache(maxsize=4)
def _warm_start(
    manifold,
    teacher_config,
    student,
    pretrain,
    pretrain_steps,
    population_size,
    population_lbfgs_steps,
    precision,
    data_seed,
    x64,
):
    embedder, teacher = _setup(manifold, teacher_config, data_seed)
    k_val, k_test, k_train = jax.random.split(jax.random.fold_in(jax.random.key(data_seed), 303), 3)
    val = sample_manifold(k_val, embedder, 4096)
    res = train_online(
        k_train,
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
        k_pop = jax.random.fold_in(jax.random.key(data_seed), 606)
        pop = sample_manifold(k_pop, embedder, population_size)
        params = minimise_full_batch(
            params,
            pop.x,
            teacher(pop.z),
            steps=population_lbfgs_steps,
            task=teacher_config.task,
            precision=precision,
        ).params
    return to_numpy(params)


def _test_set(manifold, teacher_config, data_seed, n_test):
    return _cached_test_set(
        manifold, teacher_config, data_seed, n_test, bool(jax.config.jax_enable_x64)
    )


@functools.lru_cache(maxsize=4)
def _cached_test_set(manifold, teacher_config, data_seed, n_test, x64):
    embedder, teacher = _setup(manifold, teacher_config, data_seed)
    k_test = jax.random.fold_in(jax.random.key(data_seed), 404)
    test = sample_manifold(k_test, embedder, n_test)
    return np.asarray(test.x), np.asarray(teacher(test.z))


def run_variance_trial(config: VarianceTrialConfig):
    """Warm start at theta*, L-BFGS to the minimiser of D points, score the shared test set."""
    # x64 is a process-wide switch that changes what jax.random draws: turn it on before the
    # first draw, so that every trial (and theta*) sees the same teacher whatever ran before.
    ensure_precision(config.precision)
    theta = warm_start(config)
    embedder, teacher = _setup(config.manifold, config.teacher, config.data_seed)
    key = jax.random.fold_in(jax.random.fold_in(jax.random.key(config.seed), config.data_seed), 505)
    train = sample_manifold(jax.random.fold_in(key, config.n_train), embedder, config.n_train)
    task = config.teacher.task
    res = minimise_full_batch(
        theta,
        train.x,
        teacher(train.z),
        steps=config.lbfgs_steps,
        task=task,
        precision=config.precision,
    )
    x_test, y_test = _test_set(config.manifold, config.teacher, config.data_seed, config.n_test)
    dtype = jnp.float64 if config.precision == "float64" else jnp.float32
    test = evaluate_loss(
        res.params, jnp.asarray(x_test, dtype), jnp.asarray(y_test, dtype), task=task
    )
    reference = evaluate_loss(
        jax.tree_util.tree_map(lambda a: jnp.asarray(a, dtype), theta),
        jnp.asarray(x_test, dtype),
        jnp.asarray(y_test, dtype),
        task=task,
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


@dataclass(frozen=True)
class VarianceVerdict:
    """alpha of L(D) - L(inf) against 1, and against the resolution-limited 4/d of the same d."""

    d: int
    alpha: float | None
    alpha_ci: tuple[float, float] | None
    predicted_alpha: float  # 1
    resolution_alpha: float  # 4/d, the other regime's prediction
    ratio: float | None
    floor: float | None
    floor_ci: tuple[float, float] | None
    reference_loss: float
    n_params: int
    fit_window: tuple[float, float] | None
    reading: str
    consistent: bool
    within_tolerance: bool
    fit: dict | None
    local_slopes: dict
    diagnostics: dict
    teacher: dict
    contrast: dict | None = None

    def to_dict(self) -> dict:
        out = dataclasses.asdict(self)
        for k in ("alpha_ci", "floor_ci", "fit_window"):
            out[k] = list(out[k]) if out[k] is not None else None
        return out


def analyse_variance_limited(
    rows: list[dict], config: VarianceLimitedConfig, teacher_info: dict, *, key, contrast=None
) -> VarianceVerdict:
    """Fit L = E + A D^-alpha over sizes with D >= min_ratio x P; read alpha against 1 and 4/d."""
    sizes = np.array([r["n_train"] for r in rows], float)
    test = np.array([r["test_loss"] for r in rows], float)
    seeds = np.array([r["seed"] for r in rows])
    p = int(rows[0]["n_params"])
    reference = float(np.median([r["reference_loss"] for r in rows]))
    ok = np.isfinite(test) & (test > 0) & (sizes >= config.min_ratio * p)
    k_fit, k_slopes = jax.random.split(key)
    fit = fit_power_law(
        sizes[ok],
        test[ok],
        key=k_fit,
        groups=seeds[ok],
        with_floor=True,
        n_bootstrap=config.n_bootstrap,
        ci=config.ci,
    )
    excess = test - fit.floor
    pos = excess > 0
    slopes = local_slopes(sizes[pos], excess[pos], groups=None)
    ratio = fit.alpha / 1.0
    consistent = bool(fit.alpha_ci[0] <= 1.0 <= fit.alpha_ci[1])
    within = TOLERANCE[0] <= ratio <= TOLERANCE[1]
    res_alpha = 4.0 / config.d
    res_in = bool(fit.alpha_ci[0] <= res_alpha <= fit.alpha_ci[1])
    if fit.alpha_ci[1] - fit.alpha_ci[0] > 0.6:
        reading = (
            f"inconclusive: alpha = {fit.alpha:.2f} with interval [{fit.alpha_ci[0]:.2f}, "
            f"{fit.alpha_ci[1]:.2f}] (too wide: more seeds, sizes or a longer L-BFGS)"
        )
        consistent = within = False
    elif consistent or within:
        reading = f"variance-limited: L(D) - L(inf) ~ D^-{fit.alpha:.2f}, consistent with D^-1"
    elif fit.alpha > 1:
        reading = (
            f"steeper than D^-1 (alpha = {fit.alpha:.2f}): not yet in the variance-limited regime"
        )
    else:
        reading = (
            f"shallower than D^-1 (alpha = {fit.alpha:.2f}): optimisation noise or a drifting floor"
        )
    if abs(res_alpha - 1.0) > 0.1:
        reading += (
            f"; the resolution-limited prediction for d = {config.d} is 4/d = {res_alpha:.2f}, "
            + ("also inside the interval (no contrast)" if res_in else "outside the interval")
        )
    if contrast and contrast.get("alpha") is not None:
        reading += (
            f"; the resolution-limited sweep at d = {config.d} measured alpha_D = "
            f"{contrast['alpha']:.2f}"
        )
    grads = np.array([r["grad_norm"] for r in rows], float)
    diagnostics = {
        "rule": f"fit L = E + A D^-alpha over every size with D >= {config.min_ratio:g} x P "
        f"(P = {p}); E = L(inf) fitted",
        "max_grad_norm": float(np.nanmax(grads)),
        "min_points_per_param": float(sizes[ok].min() / p),
        "per_size": [
            {
                "size": int(s),
                "test_loss_mean": float(np.mean(test[sizes == s])),
                "train_loss_mean": float(
                    np.mean([r["train_loss"] for r in rows if r["n_train"] == s])
                ),
                "in_fit": bool(s >= config.min_ratio * p),
            }
            for s in np.unique(sizes)
        ],
    }
    return VarianceVerdict(
        d=config.d,
        alpha=fit.alpha,
        alpha_ci=tuple(fit.alpha_ci),
        predicted_alpha=1.0,
        resolution_alpha=res_alpha,
        ratio=ratio,
        floor=fit.floor,
        floor_ci=tuple(fit.floor_ci) if fit.floor_ci else None,
        reference_loss=reference,
        n_params=p,
        fit_window=fit.window,
        reading=reading,
        consistent=consistent,
        within_tolerance=bool(within),
        fit=fit.to_dict(),
        local_slopes=slopes.to_dict(),
        diagnostics=diagnostics,
        teacher=teacher_info,
        contrast=contrast,
    )


def contrast_from_summary(path, d: int) -> dict | None:
    """The resolution-limited verdict at the same d from a data-scaling summary.json, if given."""
    import json

    path = Path(path)
    if not path.exists():
        raise InputError("--contrast", f"file not found: {path}")
    try:
        summary = json.loads(path.read_text())
        results = summary["results"]
    except (json.JSONDecodeError, KeyError, TypeError):
        raise InputError("--contrast", f"{path} is not a data-scaling summary.json") from None
    for r in results:
        if r.get("d") == d:
            return {
                "source": str(path),
                "alpha": r.get("alpha"),
                "alpha_ci": r.get("alpha_ci"),
                "predicted_alpha": r.get("predicted_alpha"),
                "fit_window": r.get("fit_window"),
            }
    raise InputError("--contrast", f"{path} has no result for d = {d}")


def run_variance_limited(
    config: VarianceLimitedConfig, out_dir, *, options=None, make_figures=True, contrast=None
) -> dict:
    """Run (or resume) the sweep through the runner, fit with a floor, write summary.json + figure."""
    from ..sweep import SweepOptions, run_sweep

    out_dir = Path(out_dir)
    options = options or SweepOptions()
    ensure_precision(config.precision)  # before the teacher calibration draws (see the trial)
    teachers = calibrated_teachers(config)
    trials = trial_configs(config, teachers)
    result = run_sweep(
        run_variance_trial,
        trials,
        out_dir,
        options=options,
        study="variance-limited",
        sweep_config=config_to_dict(config),
    )
    rows = [
        {"n_train": t.n_train, "seed": t.seed, **rec.metrics}
        for t, rec in zip(trials, result.records)
    ]
    verdict = analyse_variance_limited(
        rows, config, teachers[config.d][1], key=jax.random.key(config.seed), contrast=contrast
    )
    summary = {
        "study": "variance-limited",
        "config": config_to_dict(config),
        "result": verdict.to_dict(),
        "results": [_as_result_row(verdict)],
        "provenance": provenance(),
        "trials": {"total": len(trials), "run": result.n_run, "skipped": result.n_skipped},
        "records": {"table": result.table_path.name, "manifest": result.manifest_path.name},
    }
    save_json(out_dir / "summary.json", summary)
    if make_figures:
        from ..plots_regimes import variance_limited_plot

        summary["figures"] = {
            "variance_limited": Path(
                variance_limited_plot(summary, rows, out_dir / "variance_limited.png")
            ).name
        }
        save_json(out_dir / "summary.json", summary)
    return summary


def _as_result_row(v: VarianceVerdict) -> dict:
    """The fields every study's ``results`` rows share (d, alpha, interval, prediction, reading)."""
    return {
        "d": v.d,
        "alpha": v.alpha,
        "alpha_ci": list(v.alpha_ci) if v.alpha_ci else None,
        "predicted_alpha": v.predicted_alpha,
        "fit_window": list(v.fit_window) if v.fit_window else None,
        "ratio": v.ratio,
        "reading": v.reading,
    }
