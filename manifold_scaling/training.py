"""Compiled training of ReLU students towards interpolation.

Training to (near-)interpolation is the hard part of measuring alpha_D (``shared/science.md`` Sec. 4-5):
at large D a student that stops interpolating sits on an optimisation floor, and the fitted exponent
measures the optimiser, not the manifold. So the budget grows with D (``steps_per_point``), the whole
loop is one compiled ``lax.scan`` (no Python loop per step), the best-validation parameters are kept,
an optional full-batch L-BFGS phase refines the end point, and every run reports train and validation
loss, their ratio and whether it interpolated.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Literal

import jax
import jax.numpy as jnp
import numpy as np
import optax

from .errors import InputError, check_choice, check_float, check_int
from .students import StudentConfig, init_student, student_apply

OPTIMIZERS = ("adam", "adamw", "sgd", "lion")
SCHEDULES = ("cosine", "constant", "linear")


@dataclass(frozen=True)
class TrainConfig:
    """How a student is trained.

    steps(D) = clip(steps_per_point * D, min_steps, max_steps): the budget grows with the training
    set because the interpolation error must keep falling as D^(-4/d). The schedule warms up over
    ``warmup_fraction`` of the steps, then decays (cosine) to ``learning_rate * final_lr_fraction``.
    """

    optimizer: Literal["adam", "adamw", "sgd", "lion"] = "adam"
    learning_rate: float = 3e-3
    final_lr_fraction: float = 1e-3
    warmup_fraction: float = 0.02
    schedule: Literal["cosine", "constant", "linear"] = "cosine"
    batch_size: int = 256
    steps_per_point: float = 16.0
    min_steps: int = 2000
    max_steps: int = 60000
    eval_every: int = 250
    precision: Literal["float32", "float64"] = "float32"
    lbfgs_steps: int = 0
    weight_decay: float = 0.0

    def __post_init__(self):
        check_choice("train.optimizer", self.optimizer, OPTIMIZERS)
        check_float("train.learning_rate", self.learning_rate, minimum=0.0, strict_min=True)
        check_float("train.final_lr_fraction", self.final_lr_fraction, minimum=0.0, maximum=1.0)
        check_float("train.warmup_fraction", self.warmup_fraction, minimum=0.0, maximum=0.5)
        check_choice("train.schedule", self.schedule, SCHEDULES)
        check_int("train.batch_size", self.batch_size, minimum=1)
        check_float("train.steps_per_point", self.steps_per_point, minimum=0.0)
        check_int("train.min_steps", self.min_steps, minimum=1)
        check_int("train.max_steps", self.max_steps, minimum=1)
        if self.max_steps < self.min_steps:
            raise InputError(
                "train.max_steps",
                f"must be >= train.min_steps={self.min_steps} (got {self.max_steps})",
            )
        check_int("train.eval_every", self.eval_every, minimum=1)
        check_choice("train.precision", self.precision, ("float32", "float64"))
        check_int("train.lbfgs_steps", self.lbfgs_steps, minimum=0)
        check_float("train.weight_decay", self.weight_decay, minimum=0.0)

    def steps_for(self, n_train: int) -> int:
        """Adam steps for a training set of ``n_train`` points, rounded to ``eval_every``."""
        steps = int(np.clip(round(self.steps_per_point * n_train), self.min_steps, self.max_steps))
        return max(self.eval_every, int(np.ceil(steps / self.eval_every)) * self.eval_every)

    @property
    def dtype(self):
        return jnp.float64 if self.precision == "float64" else jnp.float32


def ensure_precision(precision: str) -> None:
    """float64 needs JAX's x64 mode, a process-wide switch: turn it on when a run asks for it."""
    if precision == "float64" and not jax.config.jax_enable_x64:
        jax.config.update("jax_enable_x64", True)


def make_optimizer(config: TrainConfig, total_steps: int) -> optax.GradientTransformation:
    lr = config.learning_rate
    warmup = int(config.warmup_fraction * total_steps)
    end = lr * config.final_lr_fraction
    if config.schedule == "constant":
        schedule = optax.constant_schedule(lr)
    elif config.schedule == "linear":
        schedule = optax.join_schedules(
            [
                optax.linear_schedule(0.0, lr, max(warmup, 1)),
                optax.linear_schedule(lr, end, max(total_steps - warmup, 1)),
            ],
            [max(warmup, 1)],
        )
    else:
        schedule = optax.warmup_cosine_decay_schedule(
            0.0, lr, max(warmup, 1), max(total_steps, warmup + 1), end
        )
    if config.optimizer == "adam":
        return optax.adam(schedule)
    if config.optimizer == "adamw":
        return optax.adamw(schedule, weight_decay=config.weight_decay)
    if config.optimizer == "lion":
        return optax.lion(schedule)
    return optax.sgd(schedule, momentum=0.9)


# --- losses -------------------------------------------------------------------------------------


def regression_loss(pred, target, power: float = 2.0):
    """Mean |y - y_hat|^p (p = 2: MSE). Sec. 2 of Sharma & Kaplan: L ~ s^(2p) ~ D^(-2p/d)."""
    err = jnp.abs(pred - target)
    return jnp.mean(err**2) if power == 2.0 else jnp.mean(err**power)


def soft_cross_entropy_kl(logits, teacher_logits):
    """KL(teacher || student) for softmax outputs = cross-entropy minus the teacher's entropy.

    It vanishes at interpolation and is quadratic in the logit error near it, hence ~ D^(-4/d).
    """
    p = jax.nn.softmax(teacher_logits)
    return jnp.mean(
        jnp.sum(p * (jax.nn.log_softmax(teacher_logits) - jax.nn.log_softmax(logits)), -1)
    )


def make_loss(task: str, loss_power: float = 2.0):
    if task == "classification":
        return soft_cross_entropy_kl
    return partial(regression_loss, power=loss_power)


# --- the compiled loop ----------------------------------------------------------------------------


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


def _evaluate(params, x, y, loss_fn, chunk=8192):
    n = x.shape[0]
    if n <= chunk:
        return loss_fn(student_apply(params, x), y)
    total = 0.0
    for i in range(0, n, chunk):
        xb, yb = x[i : i + chunk], y[i : i + chunk]
        total = total + loss_fn(student_apply(params, xb), yb) * xb.shape[0]
    return total / n


def evaluate_loss(params, x, y, *, task="regression", loss_power=2.0) -> float:
    """Loss of a student on a (possibly large) set, evaluated in chunks."""
    return float(_jit_eval(params, x, y, task, loss_power))


@partial(jax.jit, static_argnums=(3, 4))
def _jit_eval(params, x, y, task, loss_power):
    return _evaluate(params, x, y, make_loss(task, loss_power))


def _train_core(key, params, x, y, x_val, y_val, *, config, steps, task, loss_power):
    """One student: Adam (or other) in a lax.scan of eval-sized chunks, keeping the best-val params."""
    loss_fn = make_loss(task, loss_power)
    n = x.shape[0]
    batch = min(config.batch_size, n)
    opt = make_optimizer(config, steps)
    n_chunks = steps // config.eval_every

    def batch_loss(p, xb, yb):
        return loss_fn(student_apply(p, xb), yb)

    grad_fn = jax.grad(batch_loss)

    def step(carry, k):
        p, s = carry
        if batch == n:
            xb, yb = x, y
        else:
            idx = jax.random.randint(k, (batch,), 0, n, jnp.int32)  # same draws with or without x64
            xb, yb = x[idx], y[idx]
        g = grad_fn(p, xb, yb)
        updates, s = opt.update(g, s, p)
        return (optax.apply_updates(p, updates), s), None

    def chunk(carry, k):
        p, s, best_p, best_val, best_step, i = carry
        (p, s), _ = jax.lax.scan(step, (p, s), jax.random.split(k, config.eval_every))
        val = _evaluate(p, x_val, y_val, loss_fn)
        train = _evaluate(p, x, y, loss_fn)
        better = val < best_val
        best_p = jax.tree_util.tree_map(lambda a, b: jnp.where(better, a, b), p, best_p)
        i = i + 1
        best_step = jnp.where(better, i * config.eval_every, best_step)
        best_val = jnp.where(better, val, best_val)
        return (p, s, best_p, best_val, best_step, i), (train, val)

    init_val = _evaluate(params, x_val, y_val, loss_fn)
    carry = (params, opt.init(params), params, init_val, jnp.asarray(0), jnp.asarray(0))
    carry, (train_curve, val_curve) = jax.lax.scan(chunk, carry, jax.random.split(key, n_chunks))
    _, _, best_p, best_val, best_step, _ = carry
    if config.lbfgs_steps:
        best_p, best_val, best_step = _refine_lbfgs(
            best_p, best_val, best_step, x, y, x_val, y_val, loss_fn, config.lbfgs_steps, steps
        )
    best_train = _evaluate(best_p, x, y, loss_fn)
    return best_p, best_train, best_val, best_step, train_curve, val_curve


def _refine_lbfgs(params, best_val, best_step, x, y, x_val, y_val, loss_fn, n_steps, offset):
    """Full-batch L-BFGS from the best Adam point (Michaud et al. 2022's second-order polish).

    The refined point replaces the Adam one only if it lowers the validation loss.
    """
    opt = optax.lbfgs()

    def value(p):
        return loss_fn(student_apply(p, x), y)

    value_and_grad = optax.value_and_grad_from_state(value)

    def step(carry, _):
        p, s = carry
        v, g = value_and_grad(p, state=s)
        updates, s = opt.update(g, s, p, value=v, grad=g, value_fn=value)
        return (optax.apply_updates(p, updates), s), None

    (p, _), _ = jax.lax.scan(step, (params, opt.init(params)), None, length=n_steps)
    val = _evaluate(p, x_val, y_val, loss_fn)
    ok = jnp.isfinite(val) & (val < best_val)
    params = jax.tree_util.tree_map(lambda a, b: jnp.where(ok, a, b), p, params)
    return params, jnp.where(ok, val, best_val), jnp.where(ok, offset + n_steps, best_step)


@partial(jax.jit, static_argnames=("config", "steps", "task", "loss_power"))
def _train_one(key, params, x, y, x_val, y_val, *, config, steps, task, loss_power):
    return _train_core(
        key,
        params,
        x,
        y,
        x_val,
        y_val,
        config=config,
        steps=steps,
        task=task,
        loss_power=loss_power,
    )


@partial(jax.jit, static_argnames=("config", "steps", "task", "loss_power"))
def _train_many(keys, params, x, y, x_val, y_val, *, config, steps, task, loss_power):
    fn = partial(_train_core, config=config, steps=steps, task=task, loss_power=loss_power)
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
        _as_typed_key(key)[None],
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


def _as_typed_key(key):
    """Accept new-style typed keys and legacy uint32 ``PRNGKey`` arrays alike."""
    if jnp.issubdtype(key.dtype, jax.dtypes.prng_key):
        return key
    return jax.random.wrap_key_data(key)


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
    keys = _as_typed_key(jnp.asarray(keys))
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
    results = []
    for best_p, train, val, best_step, train_curve, val_curve in outs:
        results.append(
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
        )
    return results
