"""The one compiled training loop, fed by a fixed training set or by fresh draws.

Training to (near-)interpolation is the hard part of measuring alpha_D (Sharma & Kaplan 2020,
Sec. 3): at large D a student that stops interpolating sits on an optimisation floor, and the fitted
exponent measures the optimiser, not the manifold. So the budget grows with D
(``TrainConfig.steps_per_point``), the whole run is one compiled ``lax.scan`` over chunks of
``eval_every`` steps (no Python loop per step), the best-validation parameters are kept, an optional
full-batch L-BFGS phase polishes the end point, and every run reports train and validation loss.

Measuring alpha_N instead needs no training set at all: every step sees new samples from the
manifold and the teacher, so the loss is limited by the student's size and the optimiser, never by
D (resolution-limited in N, Bahri et al. 2021 Table 1; ``_online``). Both are the same loop;
only the :class:`BatchSource` differs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from ..manifolds import Embedder, sample_manifold
from ..students import StudentConfig, init_student, student_apply
from ..teachers import Teacher
from ._config import (
    TrainConfig,
    as_typed_key,
    ensure_precision,
    make_optimizer,
)
from ._convergence import last_doubling_change
from ._gauss_newton import refine_lm
from ._lbfgs import full_batch_loss, polish_curve_steps, refine, tree_where
from ._losses import chunked_loss, make_loss, masked_loss


class BatchSource(NamedTuple):
    """Where a chunk's minibatches come from.

    ``draw(key)`` makes one chunk's per-step inputs (leading axis ``eval_every``; ``None`` when
    every step sees the same batch), ``batch(inputs)`` turns one step's inputs into ``(x, y)``, and
    ``train_point(params, step_losses)`` is the chunk's point on the training-loss curve.
    """

    draw: Callable[[Any], Any]
    batch: Callable[[Any], tuple]
    train_point: Callable[[Any, Any], Any]


def fixed_set(x, y, batch: int, every: int, loss_fn, n_valid=None) -> BatchSource:
    """Minibatches of a fixed training set: ``batch`` indices drawn with replacement per step.

    The curve's training point is the loss on the whole set (the interpolation diagnostic).
    ``n_valid`` (traceable): the set is the first ``n_valid`` rows of ``x``, padded so that sets
    of different sizes share one vmapped program; indices are drawn below ``n_valid`` (the same
    draws as from the unpadded set) and the loss is a masked mean. Full-batch training of a
    padded set is not supported (the caller keeps those sets unpadded).
    """
    n = x.shape[0]

    if n_valid is None:

        def whole_set_loss(p, _):
            return chunked_loss(p, x, y, loss_fn)

        if batch == n:  # full batch: nothing to draw
            return BatchSource(lambda _: None, lambda _: (x, y), whole_set_loss)
    else:
        n = n_valid

        def whole_set_loss(p, _):
            return masked_loss(p, x, y, n_valid, loss_fn)

    def draw(k):
        # One key per step, each drawing its own indices, so a key gives the same minibatches
        # however the steps are grouped; int32 makes the draws the same with or without x64.
        keys = jax.random.split(k, every)
        return jax.vmap(lambda ks: jax.random.randint(ks, (batch,), 0, n, jnp.int32))(keys)

    # Gathering inside the step keeps one minibatch in memory at a time, not a chunk's worth.
    return BatchSource(draw, lambda idx: (x[idx], y[idx]), whole_set_loss)


def fresh_draws(embedder: Embedder, teacher: Teacher, batch: int, every: int, dtype) -> BatchSource:
    """Fresh points from the manifold, labelled by the teacher, at every step: never reused.

    A chunk's points are drawn at once (one draw instead of many small ones); the teacher labels
    each step's batch inside the step, once for every student that trains on the stream, so memory
    holds one batch of teacher activations, not a chunk's. The curve's training point is the mean
    fresh-batch loss over the chunk, an unbiased test estimate.
    """

    def draw(k):
        sample = sample_manifold(k, embedder, every * batch, dtype)
        return sample.x.reshape(every, batch, -1), sample.z.reshape(every, batch, -1)

    def label(xz):
        x, z = xz
        return x, teacher(z).astype(dtype)

    return BatchSource(draw, label, lambda _, losses: losses.mean())


class LoopState(NamedTuple):
    """What the loop carries for a flock of students that share one batch stream: per student
    (tuples) its parameters, optimiser state and best-validation checkpoint; per flock, the
    optimiser steps taken so far (so a later phase continues the step count)."""

    params: tuple
    opt_state: tuple
    best_params: tuple
    best_val: jax.Array  # [n_students]
    best_step: jax.Array  # [n_students]
    step: jax.Array


def start_loop(students: tuple, opt, val_loss) -> LoopState:
    """The state before the first step: each student's initial point is its first checkpoint."""
    vals = jnp.stack([val_loss(p) for p in students])
    opt_state = tuple(opt.init(p) for p in students)
    zeros = jnp.zeros(len(students), jnp.asarray(0).dtype)
    return LoopState(students, opt_state, students, vals, zeros, jnp.asarray(0))


def run_chunks(
    key, state: LoopState, source: BatchSource, val_loss, *, loss_fn, opt, n_chunks, every
):
    """``n_chunks`` chunks of ``every`` optimiser steps in one ``lax.scan``, for every student of
    ``state`` on the same batches (each batch is made once, e.g. one teacher pass, for all).

    After each chunk every student's validation loss is scored and its parameters are kept if it
    is its lowest so far (best-validation checkpoint). Returns the new state and the training and
    validation curves (one row per chunk, one column per student).
    """
    value_and_grad = jax.value_and_grad(lambda p, xb, yb: loss_fn(student_apply(p, xb), yb))

    def step(carry, inputs):
        params, opt_states = carry
        xb, yb = source.batch(inputs)
        new_params, new_states, losses = [], [], []
        for p, s in zip(params, opt_states):
            loss, g = value_and_grad(p, xb, yb)
            updates, s = opt.update(g, s, p)
            new_params.append(optax.apply_updates(p, updates))
            new_states.append(s)
            losses.append(loss)
        return (tuple(new_params), tuple(new_states)), jnp.stack(losses)

    def chunk(state, k):
        (params, opt_states), losses = jax.lax.scan(
            step, (state.params, state.opt_state), source.draw(k), length=every
        )
        vals = jnp.stack([val_loss(p) for p in params])
        train = jnp.stack([source.train_point(p, losses[:, i]) for i, p in enumerate(params)])
        better = vals < state.best_val
        best = tuple(
            tree_where(better[i], p, b) for i, (p, b) in enumerate(zip(params, state.best_params))
        )
        step_count = state.step + every
        state = LoopState(
            params,
            opt_states,
            best,
            jnp.where(better, vals, state.best_val),
            jnp.where(better, step_count, state.best_step),
            step_count,
        )
        return state, (train, vals)

    state, (train_curve, val_curve) = jax.lax.scan(chunk, state, jax.random.split(key, n_chunks))
    return state, train_curve, val_curve


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
    # The last full-batch polish (L-BFGS or Levenberg-Marquardt), if one ran: whether its point
    # was kept, and its own validation curve at its iterations ``polish_steps`` (0: its start).
    polish_kept: bool = False
    polish_steps: np.ndarray = field(default_factory=lambda: np.zeros(0))
    polish_val: np.ndarray = field(default_factory=lambda: np.zeros(0))

    @property
    def tail_dlog(self) -> float:
        """How far the kept point's own run fell over its last doubling, in log
        (:func:`last_doubling_change`): the polish's curve when the polish was kept, else the
        first-order run's. The per-cell convergence rule reads it."""
        if self.polish_kept and self.polish_val.size >= 2:
            return last_doubling_change(self.polish_steps, self.polish_val)
        return last_doubling_change(self.curve_steps, self.curve_val)


def _train_fixed(key, params, x, y, x_val, y_val, n_valid=None, *, config, steps, task, loss_power):
    """One student on one training set (its first ``n_valid`` rows when padded): the loop, then
    the optional L-BFGS polish (never on a padded set)."""
    loss_fn = make_loss(task, loss_power)
    every = config.eval_every
    batch = min(config.batch_size, x.shape[0]) if n_valid is None else config.batch_size
    source = fixed_set(x, y, batch, every, loss_fn, n_valid)
    val_loss = partial(chunked_loss, x=x_val, y=y_val, loss_fn=loss_fn)
    opt = make_optimizer(config, steps)
    state, train_curve, val_curve = run_chunks(
        key,
        start_loop((params,), opt, val_loss),
        source,
        val_loss,
        loss_fn=loss_fn,
        opt=opt,
        n_chunks=steps // every,
        every=every,
    )
    best_p, best_val, best_step = state.best_params[0], state.best_val[0], state.best_step[0]
    train_curve, val_curve = train_curve[:, 0], val_curve[:, 0]
    # The last polish that ran: its own validation curve (index 0: the point it started from)
    # and whether its point was kept, so the kept point's convergence is judged on its own run.
    polish_kept, polish_curve = jnp.asarray(False), jnp.zeros((0,), val_curve.dtype)
    if config.lbfgs_steps:
        best_p, best_val, best_step, polish_kept, polish_curve = refine(
            best_p,
            best_val,
            best_step,
            full_batch_loss(loss_fn, x, y),
            val_loss,
            config.lbfgs_steps,
            steps,
        )
    if config.gn_steps:
        # Levenberg-Marquardt on the MSE; its own curves are for callers of refine_lm itself.
        if task != "regression" or loss_power != 2.0 or n_valid is not None:
            raise ValueError(
                "train.gn_steps: the Gauss-Newton polish fits MSE regression on an unpadded set "
                f"(got task={task!r}, loss_power={loss_power}, padded={n_valid is not None})"
            )
        start_val = best_val
        best_p, best_val, best_step, lm = refine_lm(
            best_p, best_val, best_step, student_apply, x, y, val_loss, config.gn_steps,
            steps + config.lbfgs_steps,
        )  # fmt: skip
        polish_kept = jnp.isfinite(lm.best_val) & (lm.best_val < start_val)
        polish_curve = jnp.concatenate([jnp.reshape(start_val, (1,)), lm.val])
    best_train = source.train_point(best_p, None)
    return (
        best_p, best_train, best_val, best_step, train_curve, val_curve, polish_kept, polish_curve
    )  # fmt: skip


_STATIC = ("config", "steps", "task", "loss_power")
_train_one = jax.jit(_train_fixed, static_argnames=_STATIC)


@partial(jax.jit, static_argnames=_STATIC)
def _train_many(keys, params, x, y, x_val, y_val, n_valid, *, config, steps, task, loss_power):
    fn = partial(_train_fixed, config=config, steps=steps, task=task, loss_power=loss_power)
    return jax.vmap(fn)(keys, params, x, y, x_val, y_val, n_valid)


def train_student(
    key, student: StudentConfig, config: TrainConfig, x_train, y_train, x_val, y_val, *,
    task: str = "regression", loss_power: float = 2.0,
) -> TrainResult:  # fmt: skip
    """Initialise and train one student; returns the best-validation checkpoint and diagnostics
    (:func:`train_students` with a batch of one)."""
    sets = (a[None] for a in (x_train, y_train, x_val, y_val))
    one = train_students(as_typed_key(key)[None], student, config, *sets, task=task,
                         loss_power=loss_power, batched=False)  # fmt: skip
    return one[0]


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
    n_valid=None,
) -> list[TrainResult]:
    """Train a batch of same-shaped students (e.g. seeds at one D).

    ``batched=True`` runs them as one vmapped program (faster for small students; for width-256
    students on a CPU a loop is faster, ``benchmarks/training_throughput.py`` measures it);
    ``shard`` optionally places the batch axis over devices (see ``sweep.sharding``).

    ``n_valid`` (one int per student, or None): student i's training set is the first
    ``n_valid[i]`` rows of ``x_train[i]``, the rest padding, so that sets of different sizes run
    in one program. They must share one step budget and minibatch size, smaller than every set
    (full-batch steps and L-BFGS would see the padding). A student gets what it gets alone, up to
    the order of float sums in its whole-set training loss.
    """
    ensure_precision(config.precision)
    dtype = config.dtype
    if n_valid is not None:
        sizes = [int(v) for v in np.asarray(n_valid).reshape(-1)]
        if len(sizes) != x_train.shape[0] or not 1 <= min(sizes) <= max(sizes) <= x_train.shape[1]:
            raise ValueError(f"n_valid: one size in [1, {x_train.shape[1]}] per student")
        if len(set(sizes)) == 1:  # one size: trim the padding, today's path
            x_train, y_train, n_valid = x_train[:, : sizes[0]], y_train[:, : sizes[0]], None
        elif not batched:  # one at a time: each on its own unpadded set
            return [
                train_students(
                    keys[i : i + 1], student, config, x_train[i : i + 1, :v],
                    y_train[i : i + 1, :v], x_val[i : i + 1], y_val[i : i + 1], task=task,
                    loss_power=loss_power, batched=False,
                )[0]
                for i, v in enumerate(sizes)
            ]  # fmt: skip
        else:
            budgets = {(config.steps_for(v), min(config.batch_size, v)) for v in sizes}
            if len(budgets) > 1 or config.batch_size >= min(sizes) or config.lbfgs_steps:
                raise ValueError(
                    "train_students: padded sets need one step budget and minibatch size, a "
                    "minibatch smaller than every set and no L-BFGS (got sizes "
                    f"{sorted(set(sizes))}, lbfgs_steps={config.lbfgs_steps})"
                )
            n_valid = jnp.asarray(sizes, jnp.int32)
    n_students, n = x_train.shape[0], x_train.shape[1]
    steps = config.steps_for(n if n_valid is None else sizes[0])  # the real size, not the padded
    out_dim = y_train.shape[-1]
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
        args = (train_keys, stacked, x_train, y_train, x_val, y_val, n_valid)
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
    polish_steps = (
        np.arange(config.gn_steps + 1)
        if config.gn_steps
        else polish_curve_steps(config.lbfgs_steps)
        if config.lbfgs_steps
        else np.zeros(0)
    )
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
            polish_kept=bool(kept),
            polish_steps=polish_steps,
            polish_val=np.asarray(polish, np.float64),
        )
        for best_p, train, val, best_step, train_curve, val_curve, kept, polish in outs
    ]
