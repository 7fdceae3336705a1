"""Training on fresh data: every step draws new points from the manifold and the teacher.

Measuring alpha_N needs no training set at all: the loss is limited by the student's size and
the optimiser, never by D (resolution-limited in N, Bahri et al. 2021 Table 1). The loop is
:func:`._loop.run_chunks`, fed by :func:`._loop.fresh_draws` instead of a fixed set.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from ..errors import check_int
from ..manifolds import Embedder
from ..students import StudentConfig, init_student
from ..teachers import Teacher
from ._config import (
    Phase,
    TrainConfig,
    as_typed_key,
    ensure_precision,
    phase_optimizer,
)
from ._lbfgs import full_batch_loss
from ._loop import fresh_draws, run_chunks, start_loop
from ._losses import make_loss


@dataclass(frozen=True)
class OnlineResult:
    """A student trained on fresh data: kept (best-validation) parameters and its loss curves."""

    params: list
    val_loss: float
    best_step: int
    steps: int
    samples_seen: int
    curve_steps: np.ndarray
    curve_train: np.ndarray  # mean fresh-batch loss over each chunk (an unbiased test estimate)
    curve_val: np.ndarray


def online_phases(config: TrainConfig, steps: int | None, phases=()) -> tuple[Phase, ...]:
    """The schedule of a fresh-data run: the given ``phases``, or one phase of ``steps`` steps at
    the TrainConfig's batch size, learning rate and schedule. Each phase's steps are rounded up to
    a multiple of ``config.eval_every`` (a chunk is the unit of the compiled loop)."""
    if not phases:
        check_int("steps", steps, minimum=1)
        phases = (Phase(steps, config.batch_size),)
    every = config.eval_every
    return tuple(replace(p, steps=-(-p.steps // every) * every) for p in phases)


def train_online(
    key,
    student: StudentConfig,
    config: TrainConfig,
    embedder: Embedder,
    teacher: Teacher,
    *,
    steps: int | None = None,
    phases: tuple[Phase, ...] = (),
    x_val,
    y_val,
    task: str = "regression",
    loss_power: float = 2.0,
    init_params=None,
) -> OnlineResult:
    """Train one student on fresh batches: ``steps`` Adam steps of ``config.batch_size`` points,
    or the ``phases`` given. Sharma & Kaplan 2020 (Sec. 3) measure alpha_N this way, with no
    training set at all.

    ``key`` is split into the initialisation (unless ``init_params`` is given) and the batch
    stream; :func:`train_online_replicates` trains many students (and replicates) on shared
    streams, and this is it for one student and one replicate.
    """
    ensure_precision(config.precision)
    k_init, k_stream = jax.random.split(as_typed_key(key))
    if init_params is None:
        init_params = init_student(k_init, student, np.shape(x_val)[-1], np.shape(y_val)[-1])
    one = partial(jax.tree_util.tree_map, lambda a: jnp.asarray(a)[None])  # a replicate axis of 1
    arrays = one(embedder.params), one((teacher.params, teacher.mean, teacher.std))
    out = train_online_replicates(
        k_stream[None], [one(init_params)], config, embedder.config, teacher.config, *arrays,
        steps=steps, phases=phases, x_val=one(x_val), y_val=one(y_val), task=task,
        loss_power=loss_power, batched=False,
    )  # fmt: skip
    return out[0][0]


def train_online_replicates(
    stream_keys,
    students: list,
    config: TrainConfig,
    manifold,
    teacher_config,
    embed_params,
    teacher_arrays,
    *,
    steps: int | None = None,
    phases: tuple[Phase, ...] = (),
    x_val,
    y_val,
    task: str = "regression",
    loss_power: float = 2.0,
    batched: bool = True,
    shard=None,
) -> list[list[OnlineResult]]:
    """The shared-stream trainer: R replicates (each its own stream key, embedding, teacher and
    validation set; leading axis R on every array), each training the same list of students
    (``students[j]``: student j's initial parameters stacked over replicates) on its own stream.

    ``batched=True`` runs the replicates as one vmapped program (``shard`` optionally places the
    replicate axis over devices, see ``sweep.sharding``); ``batched=False`` runs them one after
    another. Returns ``results[j][r]``.
    """
    ensure_precision(config.precision)
    dtype = config.dtype
    phases = online_phases(config, steps, phases)
    cast = partial(jax.tree_util.tree_map, lambda a: jnp.asarray(a, dtype))
    args = (
        as_typed_key(jnp.asarray(stream_keys)),
        tuple(cast(p) for p in students),
        embed_params,
        teacher_arrays,
        jnp.asarray(x_val, dtype),
        jnp.asarray(y_val, dtype),
    )
    kw = dict(
        manifold=manifold,
        teacher_config=teacher_config,
        config=config,
        phases=phases,
        task=task,
        loss_power=float(loss_power),
    )
    n_rep = args[0].shape[0]
    if batched and n_rep > 1:
        if shard is not None:
            args, unpad = shard(args)
        out = _train_stream_replicates(*args, **kw)
        if shard is not None:
            out = unpad(out)
    else:
        outs = [
            _train_stream_one(*jax.tree_util.tree_map(lambda a, r=r: a[r], args), **kw)
            for r in range(n_rep)
        ]
        out = jax.tree_util.tree_map(lambda *a: jnp.stack(a), *outs)
    best_params, best_val, best_step, train_curve, val_curve = out
    total = sum(p.steps for p in phases)
    curve_steps = np.arange(1, total // config.eval_every + 1) * config.eval_every
    samples = sum(p.steps * p.batch_size for p in phases)
    return [
        [
            OnlineResult(
                params=jax.tree_util.tree_map(lambda a, r=r: a[r], best_params[j]),
                val_loss=float(best_val[r, j]),
                best_step=int(best_step[r, j]),
                steps=total,
                samples_seen=samples,
                curve_steps=curve_steps,
                curve_train=np.asarray(train_curve[r, :, j], np.float64),
                curve_val=np.asarray(val_curve[r, :, j], np.float64),
            )
            for r in range(n_rep)
        ]
        for j in range(len(students))
    ]


def _train_stream(
    key, students, embed_params, teacher_arrays, x_val, y_val, *, manifold, teacher_config,
    config, phases, task, loss_power,
):  # fmt: skip
    """One replicate's stream: every phase in turn, the optimiser state carried across phases."""
    dtype = x_val.dtype
    every = config.eval_every
    loss_fn = make_loss(task, loss_power)
    embedder = Embedder(manifold, embed_params)
    teacher = Teacher(teacher_config, *teacher_arrays)
    # The validation set is scored in one pass (not chunked): the numbers online runs have always
    # reported, bit for bit.
    val_loss = full_batch_loss(loss_fn, x_val, y_val)
    state, curves = None, []
    for i, phase in enumerate(phases):
        opt = phase_optimizer(config, phase)
        if state is None:
            state = start_loop(tuple(students), opt, val_loss)
        state, train_curve, val_curve = run_chunks(
            key if len(phases) == 1 else jax.random.fold_in(key, i),
            state,
            fresh_draws(embedder, teacher, phase.batch_size, every, dtype),
            val_loss,
            loss_fn=loss_fn,
            opt=opt,
            n_chunks=phase.steps // every,
            every=every,
        )
        curves.append((train_curve, val_curve))
    train_curve = jnp.concatenate([c[0] for c in curves])
    val_curve = jnp.concatenate([c[1] for c in curves])
    return state.best_params, state.best_val, state.best_step, train_curve, val_curve


_STREAM_STATIC = ("manifold", "teacher_config", "config", "phases", "task", "loss_power")
_train_stream_one = jax.jit(_train_stream, static_argnames=_STREAM_STATIC)


@partial(jax.jit, static_argnames=_STREAM_STATIC)
def _train_stream_replicates(*args, **kw):
    return jax.vmap(partial(_train_stream, **kw))(*args)
