"""The one compiled training loop, fed by a fixed training set or by fresh draws.

Training to (near-)interpolation is the hard part of measuring alpha_D (Sharma & Kaplan 2020,
Sec. 3): at large D a student that stops interpolating sits on an optimisation floor, and the fitted
exponent measures the optimiser, not the manifold. So the budget grows with D
(``TrainConfig.steps_per_point``), the whole run is one compiled ``lax.scan`` over chunks of
``eval_every`` steps (no Python loop per step), the best-validation parameters are kept, an optional
full-batch L-BFGS phase polishes the end point, and every run reports train and validation loss.

Measuring alpha_N instead needs no training set at all: every step sees new samples from the
manifold and the teacher, so the loss is limited by the student's size and the optimiser, never by
D (resolution-limited in N, Bahri et al. 2021 Table 1). Both are the same loop; only the
:class:`BatchSource` differs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from ..errors import check_int
from ..manifolds import Embedder, sample_manifold
from ..students import StudentConfig, cast_params, init_student, student_apply
from ..teachers import Teacher
from ._config import TrainConfig, as_typed_key, ensure_precision, make_optimizer
from ._lbfgs import full_batch_loss, refine, tree_where
from ._losses import chunked_loss, make_loss


class BatchSource(NamedTuple):
    """Where a chunk's minibatches come from.

    ``draw(key)`` makes one chunk's per-step inputs (leading axis ``eval_every``; ``None`` when
    every step sees the same batch), ``batch(inputs)`` turns one step's inputs into ``(x, y)``, and
    ``train_point(params, step_losses)`` is the chunk's point on the training-loss curve.
    """

    draw: Callable[[Any], Any]
    batch: Callable[[Any], tuple]
    train_point: Callable[[Any, Any], Any]


def fixed_set(x, y, batch: int, every: int, loss_fn) -> BatchSource:
    """Minibatches of a fixed training set: ``batch`` indices drawn with replacement per step.

    The curve's training point is the loss on the whole set (the interpolation diagnostic).
    """
    n = x.shape[0]

    def whole_set_loss(p, _):
        return chunked_loss(p, x, y, loss_fn)

    if batch == n:  # full batch: nothing to draw
        return BatchSource(lambda _: None, lambda _: (x, y), whole_set_loss)

    def draw(k):
        # One key per step, each drawing its own indices, so a key gives the same minibatches
        # however the steps are grouped; int32 makes the draws the same with or without x64.
        keys = jax.random.split(k, every)
        return jax.vmap(lambda ks: jax.random.randint(ks, (batch,), 0, n, jnp.int32))(keys)

    # Gathering inside the step keeps one minibatch in memory at a time, not a chunk's worth.
    return BatchSource(draw, lambda idx: (x[idx], y[idx]), whole_set_loss)


def fresh_draws(embedder: Embedder, teacher: Teacher, batch: int, every: int, dtype) -> BatchSource:
    """Fresh points from the manifold, labelled by the teacher, at every step: never reused.

    A chunk's batches are drawn at once (one large teacher pass instead of many small ones). The
    curve's training point is the mean fresh-batch loss over the chunk, an unbiased test estimate.
    """

    def draw(k):
        sample = sample_manifold(k, embedder, every * batch, dtype)
        x = sample.x.reshape(every, batch, -1)
        y = teacher(sample.z).astype(dtype).reshape(every, batch, -1)
        return x, y

    return BatchSource(draw, lambda xy: xy, lambda _, losses: losses.mean())


def run_chunks(key, params, source: BatchSource, val_loss, *, loss_fn, opt, n_chunks, every):
    """``n_chunks`` chunks of ``every`` optimiser steps in one ``lax.scan``.

    After each chunk the validation loss is scored and the parameters are kept if it is the lowest
    so far (best-validation checkpoint). Returns the kept parameters, their validation loss, the
    step they were reached at, and the training and validation curves (one point per chunk).
    """
    value_and_grad = jax.value_and_grad(lambda p, xb, yb: loss_fn(student_apply(p, xb), yb))

    def step(carry, inputs):
        p, s = carry
        loss, g = value_and_grad(p, *source.batch(inputs))
        updates, s = opt.update(g, s, p)
        return (optax.apply_updates(p, updates), s), loss

    def chunk(carry, k):
        p, s, best_p, best_val, best_step, i = carry
        (p, s), losses = jax.lax.scan(step, (p, s), source.draw(k), length=every)
        val = val_loss(p)
        train = source.train_point(p, losses)
        better = val < best_val
        best_p = tree_where(better, p, best_p)
        i = i + 1
        best_step = jnp.where(better, i * every, best_step)
        best_val = jnp.where(better, val, best_val)
        return (p, s, best_p, best_val, best_step, i), (train, val)

    init_val = val_loss(params)
    carry = (params, opt.init(params), params, init_val, jnp.asarray(0), jnp.asarray(0))
    carry, (train_curve, val_curve) = jax.lax.scan(chunk, carry, jax.random.split(key, n_chunks))
    _, _, best_p, best_val, best_step, _ = carry
    return best_p, best_val, best_step, train_curve, val_curve


# --- a fixed training set -------------------------------------------------------------------------


@dataclass(frozen=True)
class TrainResult:
    """A trained student and the diagnostics that say whether it interpolated."""

    params: list
    train_loss: float  # on the whole training set, at the kept (best-validation) parameters
    val_loss: float
    best_step: int
    steps: int  # optimiser steps run (Adam + L-BFGS)
    curve_steps: np.ndarray
    curve_train: np.ndarray
    curve_val: np.ndarray


def _train_fixed(key, params, x, y, x_val, y_val, *, config, steps, task, loss_power):
    """One student on one training set: the loop, then the optional L-BFGS polish."""
    loss_fn = make_loss(task, loss_power)
    every = config.eval_every
    source = fixed_set(x, y, min(config.batch_size, x.shape[0]), every, loss_fn)
    val_loss = partial(chunked_loss, x=x_val, y=y_val, loss_fn=loss_fn)
    best_p, best_val, best_step, train_curve, val_curve = run_chunks(
        key,
        params,
        source,
        val_loss,
        loss_fn=loss_fn,
        opt=make_optimizer(config, steps),
        n_chunks=steps // every,
        every=every,
    )
    if config.lbfgs_steps:
        best_p, best_val, best_step = refine(
            best_p,
            best_val,
            best_step,
            full_batch_loss(loss_fn, x, y),
            val_loss,
            config.lbfgs_steps,
            steps,
        )
    best_train = chunked_loss(best_p, x, y, loss_fn)
    return best_p, best_train, best_val, best_step, train_curve, val_curve


_STATIC = ("config", "steps", "task", "loss_power")
_train_one = jax.jit(_train_fixed, static_argnames=_STATIC)


@partial(jax.jit, static_argnames=_STATIC)
def _train_many(keys, params, x, y, x_val, y_val, *, config, steps, task, loss_power):
    fn = partial(_train_fixed, config=config, steps=steps, task=task, loss_power=loss_power)
    return jax.vmap(fn)(keys, params, x, y, x_val, y_val)


def train_student(
    key,
    student: StudentConfig,
    config: TrainConfig,
    x_train,
    y_train,
    x_val,
    y_val,
    *,
    task: str = "regression",
    loss_power: float = 2.0,
) -> TrainResult:
    """Initialise and train one student; returns the best-validation checkpoint and diagnostics."""
    return train_students(
        as_typed_key(key)[None],
        student,
        config,
        x_train[None],
        y_train[None],
        x_val[None],
        y_val[None],
        task=task,
        loss_power=loss_power,
        batched=False,
    )[0]


def train_students(
    keys,
    student: StudentConfig,
    config: TrainConfig,
    x_train,
    y_train,
    x_val,
    y_val,
    *,
    task: str = "regression",
    loss_power: float = 2.0,
    batched: bool = True,
    shard=None,
) -> list[TrainResult]:
    """Train a batch of same-shaped students (e.g. seeds at one D).

    ``batched=True`` runs them as one vmapped program (faster for small students; for width-256
    students on a CPU a loop is faster, ``benchmarks/training_throughput.py`` measures it);
    ``shard`` optionally places the batch axis over devices (see ``sweep.sharding``).
    """
    ensure_precision(config.precision)
    dtype = config.dtype
    n_students, n = x_train.shape[0], x_train.shape[1]
    out_dim = y_train.shape[-1]
    steps = config.steps_for(n)
    keys = as_typed_key(jnp.asarray(keys))
    init_keys, train_keys = jax.vmap(jax.random.split, out_axes=1)(keys)
    params = [
        init_student(k, student, x_train.shape[-1], out_dim) for k in init_keys
    ]  # one init per student, identical whether batched or not
    cast = lambda a: jnp.asarray(a, dtype)  # noqa: E731
    x_train, y_train, x_val, y_val = map(cast, (x_train, y_train, x_val, y_val))
    params = [jax.tree_util.tree_map(cast, p) for p in params]
    kw = dict(config=config, steps=steps, task=task, loss_power=float(loss_power))
    if batched and n_students > 1:
        stacked = jax.tree_util.tree_map(lambda *a: jnp.stack(a), *params)
        args = (train_keys, stacked, x_train, y_train, x_val, y_val)
        if shard is not None:
            args, unpad = shard(args)
        out = _train_many(*args, **kw)
        if shard is not None:
            out = unpad(out)
        outs = [jax.tree_util.tree_map(lambda a, i=i: a[i], out) for i in range(n_students)]
    else:
        outs = [
            _train_one(train_keys[i], params[i], x_train[i], y_train[i], x_val[i], y_val[i], **kw)
            for i in range(n_students)
        ]
    total_steps = steps + config.lbfgs_steps
    curve_steps = np.arange(1, steps // config.eval_every + 1) * config.eval_every
    return [
        TrainResult(
            params=best_p,
            train_loss=float(train),
            val_loss=float(val),
            best_step=int(best_step),
            steps=total_steps,
            curve_steps=curve_steps,
            curve_train=np.asarray(train_curve, np.float64),
            curve_val=np.asarray(val_curve, np.float64),
        )
        for best_p, train, val, best_step, train_curve, val_curve in outs
    ]


# --- fresh data at every step ---------------------------------------------------------------------


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


def train_online(
    key,
    student: StudentConfig,
    config: TrainConfig,
    embedder: Embedder,
    teacher: Teacher,
    *,
    steps: int,
    x_val,
    y_val,
    task: str = "regression",
    loss_power: float = 2.0,
    init_params=None,
) -> OnlineResult:
    """Train one student for ``steps`` Adam steps on fresh batches of ``config.batch_size`` points.

    ``key`` draws the initialisation (unless ``init_params`` is given) and every batch. ``steps``
    is rounded up to a multiple of ``config.eval_every``. Sharma & Kaplan 2020 (Sec. 3) measure
    alpha_N this way, with no training set at all.
    """
    check_int("steps", steps, minimum=1)
    ensure_precision(config.precision)
    dtype = config.dtype
    n_chunks = int(np.ceil(steps / config.eval_every))
    steps = n_chunks * config.eval_every
    k_init, k_train = jax.random.split(as_typed_key(key))
    x_val = jnp.asarray(x_val, dtype)
    y_val = jnp.asarray(y_val, dtype)
    if init_params is None:
        init_params = init_student(k_init, student, x_val.shape[-1], y_val.shape[-1])
    params = cast_params(init_params, dtype)
    best_p, best_val, best_step, train_curve, val_curve = _train_fresh(
        k_train,
        params,
        embedder.params,
        (teacher.params, teacher.mean, teacher.std),
        x_val,
        y_val,
        manifold=embedder.config,
        teacher_config=teacher.config,
        config=config,
        n_chunks=n_chunks,
        task=task,
        loss_power=float(loss_power),
    )
    return OnlineResult(
        params=best_p,
        val_loss=float(best_val),
        best_step=int(best_step),
        steps=steps,
        samples_seen=steps * config.batch_size,
        curve_steps=np.arange(1, n_chunks + 1) * config.eval_every,
        curve_train=np.asarray(train_curve, np.float64),
        curve_val=np.asarray(val_curve, np.float64),
    )


@partial(
    jax.jit,
    static_argnames=("manifold", "teacher_config", "config", "n_chunks", "task", "loss_power"),
)
def _train_fresh(
    key,
    params,
    embed_params,
    teacher_arrays,
    x_val,
    y_val,
    *,
    manifold,
    teacher_config,
    config,
    n_chunks,
    task,
    loss_power,
):
    dtype = x_val.dtype
    every = config.eval_every
    loss_fn = make_loss(task, loss_power)
    source = fresh_draws(
        Embedder(manifold, embed_params),
        Teacher(teacher_config, *teacher_arrays),
        config.batch_size,
        every,
        dtype,
    )
    # The validation set is scored in one pass (not chunked): the numbers online runs have always
    # reported, bit for bit.
    val_loss = full_batch_loss(loss_fn, x_val, y_val)
    return run_chunks(
        key,
        params,
        source,
        val_loss,
        loss_fn=loss_fn,
        opt=make_optimizer(config, n_chunks * every),
        n_chunks=n_chunks,
        every=every,
    )
