"""The shared setup of every trial kind on a generated manifold, and the data-scaling trial.

A trial config holds everything its trial needs (seeds included), so it is hashable into a record
key, picklable for Dask/submitit workers and reproducible: same config -> same numbers. Every key
comes from :mod:`manifold_scaling.keys`.

- :func:`draw_setup` / :func:`trial_setup`: the embedding and teacher a trial's ``data_seed``
  draws; ``_DrawnTrial``: the fields every such trial kind holds.
- :class:`TrialConfig`: one student trained on a fixed training set of D points (data scaling).

The other trial kinds live with their studies, each importing the shared setup from here:
``model_scaling.OnlineTrialConfig`` (fresh samples at every step; Sharma & Kaplan 2020, Sec. 3),
``variance_limited.VarianceTrialConfig`` (the training-loss minimiser at D >> P; Bahri et al.
2021, Sec. 2.1) and ``digits.DigitsTrial`` (a ReLU classifier on scikit-learn's digits).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, replace
from typing import ClassVar

import jax.numpy as jnp
import numpy as np

from .. import keys
from ..configs import config_hash, config_to_dict
from ..errors import InputError, check_choice, check_float, check_int
from ..fields import draw_matern_field
from ..learners import LEARNERS, MAX_SIMPLEX_DIM, fit_predict, interior_mask
from ..manifolds import ManifoldConfig, chart, init_embedding, sample_manifold
from ..students import StudentConfig, parameter_count
from ..sweep.records import TrialOutput
from ..sweep.sharding import shard_leading_axis, unpad
from ..teachers import TeacherConfig, init_teacher
from ..training import TrainConfig, evaluate_loss, last_doubling_change, train_students

__all__ = [
    "TrialConfig",
    "batch_key",
    "data_scaling_row",
    "data_scaling_trials",
    "params_from_arrays",
    "params_to_arrays",
    "run_trial",
    "run_trials",
    "run_trials_on_devices",
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
    """Simplex interpolation needs d chart coordinates (cube, Gaussian; the torus's angles,
    triangulated periodically) and d <= 5."""
    if manifold.latent not in ("cube", "unit-cube", "gaussian", "torus"):
        raise InputError(
            "learners",
            f"simplex interpolation needs a cube, Gaussian or torus latent (got {manifold.latent})",
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
    latent = config.manifold.latent
    (c_tr, period), (c_te, _) = chart(latent, z_tr), chart(latent, z_te)
    inside = np.ones(len(z_te), bool)
    # Only piecewise-linear interpolation is undefined outside a hull (kernels and the network
    # are defined everywhere), and a Delaunay hull exists only for d <= 5 chart coordinates; a
    # periodic chart (the torus) has no hull: every test point is interior.
    if data.hull_z is not None and "simplex" in config.learners and period is None:
        inside = interior_mask(data.hull_z, c_te)
    out = {"interior_fraction": float(inside.mean())}
    for name in config.learners:
        if name == "network":
            continue
        options = {"period": period} if name == "simplex" and period is not None else {}
        pred = fit_predict(
            name, c_tr, np.asarray(x_tr), np.asarray(y_tr), c_te[inside],
            np.asarray(x_te)[inside], **options,
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
    validation loss fell over the last doubling of the budget (the cell convergence rule): the
    kept point's own run, i.e. a kept polish's curve (``first_order_tail_dlog``: Adam's alone)."""
    return {
        "val_tail_dlog": res.tail_dlog,
        "first_order_tail_dlog": last_doubling_change(res.curve_steps, res.curve_val),
        "polish_kept": bool(res.polish_kept),
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
