"""One trial of a scaling study: a manifold, a teacher, one student trained on D points, its losses.

A :class:`TrialConfig` holds everything the trial needs (including its seeds), so it is hashable
into a record key, picklable for Dask/submitit workers, and reproducible: same config -> same numbers.
Keys: ``key(data_seed)`` draws the embedding and teacher (shared by every trial of one d),
``key(seed)`` folded with the training-set size draws the data, the student and its minibatches;
the test set depends on ``seed`` only, so every size at one seed is scored on the same fresh points.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import jax
import jax.numpy as jnp
import numpy as np

from ..configs import config_hash
from ..errors import check_float, check_int
from ..manifolds import ManifoldConfig, init_embedding, sample_manifold
from ..students import StudentConfig, parameter_count
from ..sweep.records import TrialOutput
from ..sweep.sharding import shard_leading_axis, unpad
from ..teachers import TeacherConfig, init_teacher
from ..training import TrainConfig, evaluate_loss, train_students


@dataclass(frozen=True)
class TrialConfig:
    """A single (manifold, teacher, student, D, seed) experiment."""

    manifold: ManifoldConfig = field(default_factory=ManifoldConfig)
    teacher: TeacherConfig = field(default_factory=TeacherConfig)
    student: StudentConfig = field(default_factory=StudentConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    n_train: int = 256
    n_val: int = 1024
    n_test: int = 8192
    loss_power: float = 2.0
    data_seed: int = 0  # draws the embedding and the teacher
    seed: int = 0  # draws data, student init and minibatches
    fresh_data: bool = False  # unlimited-data mode: a fresh batch every step (model-size scaling)

    def __post_init__(self):
        check_int("n_train", self.n_train, minimum=2)
        check_int("n_val", self.n_val, minimum=1)
        check_int("n_test", self.n_test, minimum=1)
        check_float("loss_power", self.loss_power, minimum=0.0, strict_min=True)
        check_int("seed", self.seed, minimum=0)
        check_int("data_seed", self.data_seed, minimum=0)


def trial_setup(config: TrialConfig):
    """The embedding and teacher of a trial (identical for all trials sharing ``data_seed``)."""
    m = config.manifold
    k_embed, k_teacher = jax.random.split(jax.random.key(config.data_seed))
    embedder = init_embedding(k_embed, m)
    teacher = init_teacher(k_teacher, config.teacher, m.coord_dim, m.latent)
    return embedder, teacher


def trial_data(config: TrialConfig, embedder, teacher):
    """Train / validation / test sets of a trial."""
    seed_key = jax.random.key(config.seed)
    k_test, k_rest = jax.random.split(jax.random.fold_in(seed_key, config.data_seed))
    k_train, k_val = jax.random.split(jax.random.fold_in(k_rest, config.n_train))
    train = sample_manifold(k_train, embedder, config.n_train)
    val = sample_manifold(k_val, embedder, config.n_val)
    test = sample_manifold(k_test, embedder, config.n_test)
    return [(s.x, teacher(s.z)) for s in (train, val, test)]


def student_key(config: TrialConfig):
    return jax.random.fold_in(jax.random.fold_in(jax.random.key(config.seed), 7), config.n_train)


def run_trials(
    configs: list[TrialConfig], *, batched: bool = False, shard=None
) -> list[TrialOutput]:
    """Run trials that share everything but their seeds, optionally as one vmapped batch."""
    first = configs[0]
    embedder, teacher = trial_setup(first)
    data = [trial_data(c, embedder, teacher) for c in configs]
    stack = lambda i, j: jnp.stack([d[i][j] for d in data])  # noqa: E731
    task = first.teacher.task
    results = train_students(
        jnp.stack([student_key(c) for c in configs]),
        first.student,
        first.train,
        stack(0, 0),
        stack(0, 1),
        stack(1, 0),
        stack(1, 1),
        task=task,
        loss_power=first.loss_power,
        batched=batched,
        shard=shard,
    )
    n_params = parameter_count(first.student, first.manifold.input_dim, first.teacher.output_dim)
    outputs = []
    for (_, _, (x_test, y_test)), res in zip(data, results):
        dtype = first.train.dtype
        test = evaluate_loss(
            res.params,
            jnp.asarray(x_test, dtype),
            jnp.asarray(y_test, dtype),
            task=task,
            loss_power=first.loss_power,
        )
        ratio = res.train_loss / test if test > 0 else float("inf")
        metrics = {
            "train_loss": res.train_loss,
            "val_loss": res.val_loss,
            "test_loss": test,
            "train_test_ratio": ratio,
            "steps": res.steps,
            "best_step": res.best_step,
            "n_params": n_params,
            "params_per_point": n_params / first.n_train,
            "finite": bool(np.isfinite(test) and np.isfinite(res.train_loss)),
        }
        arrays = {
            "curve_steps": res.curve_steps,
            "curve_train": res.curve_train,
            "curve_val": res.curve_val,
            **params_to_arrays(res.params),
        }
        outputs.append(TrialOutput(metrics, arrays))
    return outputs


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
    """Trials that differ only in their seed can share one vmapped program."""
    return config_hash(replace(config, seed=0))
