"""The trial kinds of every study, side by side: one config type and one run function each.

A trial config holds everything its trial needs (seeds included), so it is hashable into a record
key, picklable for Dask/submitit workers and reproducible: same config -> same numbers. Every key
comes from :mod:`manifold_scaling.keys`.

- :class:`TrialConfig`: one student trained on a fixed training set of D points (data scaling).
- :class:`OnlineTrialConfig`: one student trained on fresh samples at every step for exactly
  ``steps`` steps (model scaling at unlimited data; Sharma & Kaplan 2020, Sec. 3).
- :class:`VarianceTrialConfig`: the training-loss minimiser of D >> P points, warm-started from a
  shared theta* (the variance-limited regime; Bahri et al. 2021, Sec. 2.1).
- :class:`DigitsTrial`: a ReLU classifier on a subset of scikit-learn's digits (real data).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, replace
from typing import ClassVar

import jax
import jax.numpy as jnp
import numpy as np

from .. import keys
from ..configs import config_hash, config_to_dict
from ..errors import InputError, check_choice, check_float, check_int
from ..fields import draw_matern_field
from ..learners import LEARNERS, MAX_SIMPLEX_DIM, fit_predict, interior_mask
from ..manifolds import ManifoldConfig, init_embedding, sample_manifold
from ..students import (
    StudentConfig,
    init_student,
    parameter_count,
    student_apply,
    student_hidden,
)
from ..sweep.records import TrialOutput
from ..sweep.sharding import shard_leading_axis, unpad
from ..teachers import TeacherConfig, init_teacher
from ..training import (
    Phase,
    TrainConfig,
    ensure_precision,
    evaluate_loss,
    last_doubling_change,
    minimise_full_batch,
    online_phases,
    to_numpy,
    train_online,
    train_online_replicates,
    train_students,
)

__all__ = [
    "DigitsTrial",
    "OnlineTrialConfig",
    "TrialConfig",
    "VarianceTrialConfig",
    "batch_key",
    "data_scaling_row",
    "data_scaling_trials",
    "params_from_arrays",
    "params_to_arrays",
    "run_digits_trial",
    "online_group_key",
    "run_online_group",
    "run_online_group_on_devices",
    "run_online_trial",
    "run_trial",
    "run_trials",
    "run_trials_on_devices",
    "run_variance_trial",
    "trial_setup",
]


def draw_setup(data_seed: int, manifold: ManifoldConfig, teacher: TeacherConfig):
    """The embedding and the teacher that ``data_seed`` draws."""
    k = keys.setup_keys(data_seed)
    return init_embedding(k.embedding, manifold), init_teacher(k.teacher, teacher, manifold)


def trial_setup(config):
    """The embedding and teacher of a trial (any trial kind with a manifold and a teacher)."""
    return draw_setup(config.data_seed, config.manifold, config.teacher)


def _curves(res) -> dict:
    return {
        "curve_steps": res.curve_steps,
        "curve_train": res.curve_train,
        "curve_val": res.curve_val,
    }


# --- fixed training set (data scaling) ----------------------------------------------------------


@dataclass(frozen=True)
class _DrawnTrial:
    """What every trial on a generated manifold holds: the manifold, the teacher, the student, how
    it trains, and the two seeds (``data_seed`` draws the embedding and the teacher, ``seed`` the
    data, the initialisation and the minibatches)."""

    manifold: ManifoldConfig = field(default_factory=ManifoldConfig)
    teacher: TeacherConfig = field(default_factory=TeacherConfig)
    student: StudentConfig = field(default_factory=StudentConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    loss_power: float = 2.0
    data_seed: int = 0
    seed: int = 0

    # (field, minimum) of the counts a trial kind has
    _COUNTS: ClassVar[tuple] = (("n_val", 1), ("n_test", 1))

    def __post_init__(self):
        check_float("loss_power", self.loss_power, minimum=0.0, strict_min=True)
        check_int("seed", self.seed, minimum=0, maximum=keys.MAX_SEED)
        check_int("data_seed", self.data_seed, minimum=0, maximum=keys.MAX_SEED)
        for name, minimum in self._COUNTS:
            check_int(name, getattr(self, name), minimum=minimum)


@dataclass(frozen=True)
class TrialConfig(_DrawnTrial):
    """A single (manifold, teacher, student, D, replicate) experiment on a fixed training set."""

    n_train: int = 256
    n_val: int = 1024
    n_test: int = 8192
    # Nested training sets: the first n_train points of one pool of pool_size points (None: an
    # independent draw per size, as before). A Matérn teacher needs a pool: the field is drawn
    # jointly over the pool, validation and test points.
    pool_size: int | None = None
    # Which learners run on this training set ("network", "simplex", "kernel"), and the size whose
    # training set's hull defines the interior test points every learner is scored on.
    learners: tuple[str, ...] = ("network",)
    hull_size: int | None = None
    _COUNTS: ClassVar[tuple] = (("n_train", 2), ("n_val", 1), ("n_test", 1))

    def __post_init__(self):
        super().__post_init__()
        if self.pool_size is not None:
            check_int("pool_size", self.pool_size, minimum=self.n_train)
        if self.teacher.kind == "matern" and self.pool_size is None:
            raise InputError("pool_size", "a Matérn teacher is drawn over a pool: give pool_size")
        if not self.learners:
            raise InputError("learners", f"give at least one of {', '.join(ALL_LEARNERS)}")
        for name in self.learners:
            check_choice("learners", name, ALL_LEARNERS)
        if "simplex" in self.learners:
            check_simplex(self.manifold)
        if set(self.learners) - {"network"} and self.teacher.task != "regression":
            raise InputError("learners", "the reference learners fit regression targets only")
        if self.hull_size is not None:
            check_int("hull_size", self.hull_size, minimum=2, maximum=self.n_train)


ALL_LEARNERS = ("network", *LEARNERS)


def check_simplex(manifold: ManifoldConfig) -> None:
    """Simplex interpolation needs d chart coordinates (cube, Gaussian) and d <= 5."""
    if manifold.latent not in ("cube", "unit-cube", "gaussian"):
        raise InputError(
            "learners",
            f"simplex interpolation needs a cube or Gaussian latent (got {manifold.latent})",
        )
    if manifold.intrinsic_dim > MAX_SIMPLEX_DIM:
        raise InputError(
            "learners",
            f"simplex interpolation is feasible for d <= {MAX_SIMPLEX_DIM} only (Delaunay "
            f"triangulations grow too fast); got d = {manifold.intrinsic_dim}: drop 'simplex'",
        )


@dataclass(frozen=True, eq=False)
class TrialData:
    """A trial's points: latent ``z``, inputs ``x`` and targets ``y`` for train / val / test."""

    train: tuple
    val: tuple
    test: tuple
    hull_z: np.ndarray | None = None  # the training points whose hull defines the interior


def trial_data(config: TrialConfig, embedder, teacher) -> TrialData:
    """Train / validation / test sets of a trial (nested in one pool when ``pool_size`` is set)."""
    if config.pool_size is None:
        k = keys.trial_keys(config.seed, config.data_seed, config.n_train)
        sets = [
            sample_manifold(key_, embedder, n)
            for key_, n in (
                (k.data, config.n_train),
                (k.val, config.n_val),
                (k.test, config.n_test),
            )
        ]
        hull = None
        if config.hull_size is not None:
            k_hull = keys.trial_keys(config.seed, config.data_seed, config.hull_size).data
            hull = np.asarray(sample_manifold(k_hull, embedder, config.hull_size).z)
        z = [s.z for s in sets]
        x = [s.x for s in sets]
    else:
        z, x = _pool(config, embedder)
        hull = None if config.hull_size is None else np.asarray(z[0][: config.hull_size])
        z[0], x[0] = z[0][: config.n_train], x[0][: config.n_train]
    if config.teacher.kind == "matern":
        y = _matern_targets(config)
        y[0] = y[0][: config.n_train]
    else:
        y = [teacher(zi) for zi in z]
    return TrialData(*((zi, xi, yi) for zi, xi, yi in zip(z, x, y)), hull_z=hull)


def _pool(config: TrialConfig, embedder):
    """The replicate's pool, validation and test points (independent of n_train)."""
    k = keys.trial_keys(config.seed, config.data_seed, config.pool_size)
    sets = [
        sample_manifold(key_, embedder, n)
        for key_, n in ((k.data, config.pool_size), (k.val, config.n_val), (k.test, config.n_test))
    ]
    return [s.z for s in sets], [s.x for s in sets]


def _matern_targets(config: TrialConfig) -> list:
    """One Matérn field drawn jointly over the pool, validation and test points (cached: every
    size of a replicate sees the same field)."""
    return [np.array(a) for a in _matern_pool(replace(config, n_train=config.pool_size))]


@functools.lru_cache(maxsize=8)
def _matern_pool(config: TrialConfig):
    embedder, _ = draw_setup(config.data_seed, config.manifold, TeacherConfig())
    z, _ = _pool(config, embedder)
    points = np.concatenate([np.asarray(zi, np.float64) for zi in z])
    t = config.teacher
    field_ = draw_matern_field(
        keys.setup_keys(config.data_seed).teacher, points, nu=t.nu, length_scale=t.length_scale
    )
    y = field_.reshape(-1, 1).astype(np.float32)
    cuts = np.cumsum([len(zi) for zi in z])[:-1]
    return tuple(np.split(y, cuts))


def nn_spacing(z) -> float:
    """Median nearest-neighbour distance of the training points (the resolution s ~ D^(-1/d))."""
    from scipy.spatial import cKDTree

    z = np.asarray(z, np.float64)
    dist, _ = cKDTree(z).query(z, k=2)
    return float(np.median(dist[:, 1]))


def reference_losses(config: TrialConfig, data: TrialData, loss) -> tuple[dict, np.ndarray]:
    """The reference learners' test losses on the interior test points, and that set's share."""
    (z_tr, x_tr, y_tr), (z_te, x_te, y_te) = data.train, data.test
    inside = np.ones(len(z_te), bool)
    # Only piecewise-linear interpolation is undefined outside a hull (kernels and the network
    # are defined everywhere), and a Delaunay hull exists only for d <= 5 chart coordinates.
    if data.hull_z is not None and "simplex" in config.learners:
        inside = interior_mask(data.hull_z, np.asarray(z_te))
    out = {"interior_fraction": float(inside.mean())}
    for name in config.learners:
        if name == "network":
            continue
        pred = fit_predict(
            name, np.asarray(z_tr), np.asarray(x_tr), np.asarray(y_tr),
            np.asarray(z_te)[inside], np.asarray(x_te)[inside],
        )  # fmt: skip
        # Defined everywhere inside the smallest training set's hull when the sets are nested;
        # with independent draws a few interior points may fall outside a larger set's hull.
        ok = np.all(np.isfinite(np.reshape(pred, (len(pred), -1))), axis=1)
        out[f"{name}_test_loss"] = loss(pred[ok], np.asarray(y_te)[inside][ok])
        out[f"{name}_undefined"] = int((~ok).sum())
    return out, inside


def run_trials(
    configs: list[TrialConfig], *, batched: bool = False, shard=None
) -> list[TrialOutput]:
    """Run trials of one :func:`batch_key` (seeds and sizes), optionally as one vmapped batch:
    the reference learners on each training set, then the network (if asked for) on all of them.

    Each trial draws its own embedding and teacher (``data_seed``); sets of different sizes are
    zero-padded to the largest, each student sampling only its own points. A trial gets what it
    gets alone, up to the order of float sums (run alone it is never padded).
    """
    first = configs[0]
    if any(batch_key(c) != batch_key(first) for c in configs[1:]):
        raise ValueError("run_trials: configs differ in more than seeds and training-set size")
    setups: dict = {}
    for c in configs:
        if (c.data_seed, c.manifold, c.teacher) not in setups:
            setups[c.data_seed, c.manifold, c.teacher] = trial_setup(c)
    data = [trial_data(c, *setups[c.data_seed, c.manifold, c.teacher]) for c in configs]
    task, power = first.teacher.task, first.loss_power
    loss = lambda pred, y: float(np.mean(np.abs(pred - y) ** power))  # noqa: E731 (regression)
    metrics, interiors = [], []
    for c, dat in zip(configs, data):
        refs, inside = reference_losses(c, dat, loss)
        metrics.append({"nn_spacing": nn_spacing(dat.train[0]), **refs})
        interiors.append(inside)
    if "network" not in first.learners:
        return [TrialOutput(m, {}) for m in metrics]
    sizes = [c.n_train for c in configs]
    pad = lambda a: jnp.pad(a, [(0, max(sizes) - len(a))] + [(0, 0)] * (a.ndim - 1))  # noqa: E731
    stack = lambda part, j: jnp.stack([getattr(d, part)[j] for d in data])  # noqa: E731
    results = train_students(
        jnp.stack([keys.trial_keys(c.seed, c.data_seed, c.n_train).student for c in configs]),
        first.student,
        first.train,
        jnp.stack([pad(jnp.asarray(d.train[1])) for d in data]),
        jnp.stack([pad(jnp.asarray(d.train[2])) for d in data]),
        stack("val", 1),
        stack("val", 2),
        task=task,
        loss_power=power,
        batched=batched,
        shard=shard,
        n_valid=None if len(set(sizes)) == 1 else sizes,
    )
    n_params = parameter_count(first.student, first.manifold.input_dim, first.teacher.output_dim)
    dtype = first.train.dtype
    outputs = []
    for c, dat, res, extra, inside in zip(configs, data, results, metrics, interiors):
        x_test, y_test = jnp.asarray(dat.test[1], dtype), jnp.asarray(dat.test[2], dtype)
        test = evaluate_loss(res.params, x_test, y_test, task=task, loss_power=power)
        m = {**network_metrics(res, test, n_params, c.n_train), **extra}
        if len(first.learners) > 1 or first.hull_size is not None:
            m["test_loss_interior"] = evaluate_loss(
                res.params, x_test[inside], y_test[inside], task=task, loss_power=power
            )
        outputs.append(TrialOutput(m, {**_curves(res), **params_to_arrays(res.params)}))
    return outputs


def network_metrics(res, test_loss: float, n_params: int, n_train: int) -> dict:
    """What every fixed-training-set trial records about its trained network: its losses, their
    ratio (the interpolation diagnostic), its budget, its size against the data, and how far its
    validation loss fell over the last doubling of the budget (the cell convergence rule)."""
    return {
        "val_tail_dlog": last_doubling_change(res.curve_steps, res.curve_val),
        "train_loss": res.train_loss,
        "val_loss": res.val_loss,
        "test_loss": test_loss,
        "train_test_ratio": res.train_loss / test_loss if test_loss > 0 else float("inf"),
        "steps": res.steps,
        "best_step": res.best_step,
        "n_params": n_params,
        "params_per_point": n_params / n_train,
        "finite": bool(np.isfinite(test_loss) and np.isfinite(res.train_loss)),
    }


def params_to_arrays(params) -> dict[str, np.ndarray]:
    """The trained student, saved with its record (so hidden layers can be measured later)."""
    out = {}
    for i, (w, b) in enumerate(params):
        out[f"student_w{i}"] = np.asarray(w)
        out[f"student_b{i}"] = np.asarray(b)
    return out


def params_from_arrays(arrays: dict) -> list:
    n = sum(1 for k in arrays if k.startswith("student_w"))
    return [
        (jnp.asarray(arrays[f"student_w{i}"]), jnp.asarray(arrays[f"student_b{i}"]))
        for i in range(n)
    ]


def data_scaling_trials(config, reps: dict[int, list]) -> list[TrialConfig]:
    """Every trial of a data-scaling sweep (a ``DataScalingConfig`` and its replicates per d),
    in (d, D, replicate) order."""
    trials = []
    sizes = sorted(set(config.sizes))
    for d in config.dims:
        manifold = config.manifold(d)
        learners = config.learners_at(d)
        for size in sizes:
            for rep in reps[d]:
                trials.append(
                    TrialConfig(
                        manifold=manifold,
                        student=config.student,
                        train=config.train,
                        n_train=size,
                        n_val=config.n_val,
                        n_test=config.n_test,
                        loss_power=config.loss_power,
                        pool_size=sizes[-1] if config.nested else None,
                        learners=learners,
                        hull_size=sizes[0] if set(learners) - {"network"} else None,
                        **rep.draws(),
                    )
                )
    return trials


def data_scaling_row(trial: TrialConfig, metrics: dict) -> dict:
    return {
        "d": trial.manifold.intrinsic_dim,
        "n_train": trial.n_train,
        "seed": trial.seed,
        **metrics,
    }


def run_trial(config: TrialConfig) -> TrialOutput:
    """Run one trial (the unit the sweep runner hands to a backend)."""
    return run_trials([config])[0]


def _shard_over_devices(args):
    batch = shard_leading_axis(args)
    return batch.tree, lambda out: unpad(out, batch.size)


def run_trials_on_devices(configs: list[TrialConfig]) -> list[TrialOutput]:
    """The ``devices`` backend's batch: one vmapped program, batch axis sharded over devices."""
    return run_trials(configs, batched=True, shard=_shard_over_devices)


def batch_key(config: TrialConfig) -> str:
    """Trials that can share one vmapped program: the same everything but ``seed``,
    ``data_seed``, the teacher (its targets are data) and ``n_train``, with one step budget and
    minibatch size.

    Sizes mix only when each student samples minibatches from its own (padded) set: full-batch
    training (batch >= n_train) and the L-BFGS polish use the whole set, so they keep their size.
    """
    t, n = config.train, config.n_train
    shared = {k: v for k, v in config_to_dict(config).items() if k not in ("seed", "data_seed")}
    # The targets are data (computed before training): replicates with different teachers (each
    # its own calibrated gain) share a program; only what shapes the student's loss stays.
    shared["teacher"] = {"task": config.teacher.task, "output_dim": config.teacher.output_dim}
    whole_set = t.batch_size >= n or t.lbfgs_steps > 0
    return config_hash(
        {
            **shared,
            "n_train": n if whole_set else None,
            "steps": t.steps_for(n),
            "batch": min(t.batch_size, n),
        }
    )


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


# --- real data: scikit-learn's digits -------------------------------------------------------------

DIGITS_TEST = 497  # digits has 1797 points: 1300 for training subsets, the rest held out


@dataclass(frozen=True)
class DigitsTrial:
    """One ReLU classifier trained on the first ``n_train`` points of a seeded permutation."""

    n_train: int = 256
    seed: int = 0
    student: StudentConfig = field(default_factory=lambda: StudentConfig(depth=2, width=256))
    train: TrainConfig = field(
        default_factory=lambda: TrainConfig(steps_per_point=8.0, min_steps=1500, max_steps=12000)
    )

    def __post_init__(self):
        check_int("sizes", self.n_train, minimum=16, maximum=1797 - DIGITS_TEST)
        check_int("seed", self.seed, minimum=0, maximum=keys.MAX_SEED)


def load_digits_data():
    """Digits scaled to [0, 1], as float32, with integer labels."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    return (bunch.data / 16.0).astype(np.float32), bunch.target.astype(np.int32)


def _digits_split(permutation_key):
    x, y = load_digits_data()
    perm = np.asarray(jax.random.permutation(permutation_key, jnp.arange(len(x), dtype=jnp.int32)))
    test, pool = perm[:DIGITS_TEST], perm[DIGITS_TEST:]
    return x[pool], y[pool], x[test], y[test]


def run_digits_trial(config: DigitsTrial) -> TrialOutput:
    """Train one classifier; losses are cross-entropy (nats) against the labels."""
    k_split, k_student = keys.digits_keys(config.seed)
    x_pool, y_pool, x_test, y_test = _digits_split(k_split)
    onehot = lambda y: jax.nn.one_hot(y, 10) * 60.0  # noqa: E731 - sharp "teacher logits" = labels
    x_tr, y_tr = x_pool[: config.n_train], onehot(y_pool[: config.n_train])
    # Validation for the checkpoint: pool points not used for training (or test, if none left).
    spare = config.n_train < len(x_pool) - 64
    x_val = x_pool[config.n_train :][:256] if spare else x_test
    y_val = onehot(y_pool[config.n_train :][:256] if spare else y_test)
    res = train_students(
        k_student[None],
        config.student,
        config.train,
        jnp.asarray(x_tr)[None],
        y_tr[None],
        jnp.asarray(x_val)[None],
        y_val[None],
        task="classification",
        batched=False,
    )[0]
    test = evaluate_loss(res.params, jnp.asarray(x_test), onehot(y_test), task="classification")
    acc = float(jnp.mean(jnp.argmax(student_apply(res.params, jnp.asarray(x_test)), -1) == y_test))
    metrics = {
        "train_loss": res.train_loss,
        "test_loss": test,
        "train_test_ratio": res.train_loss / test,
        "test_accuracy": acc,
        "steps": res.steps,
        "best_step": res.best_step,
        "n_params": parameter_count(config.student, 64, 10),
    }
    return TrialOutput(metrics, _curves(res))
