"""How a student is trained: the step budget, the optimiser and its schedule, the precision."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

import jax
import jax.numpy as jnp
import numpy as np
import optax

from ..errors import InputError, check_choice, check_float, check_int

OPTIMIZERS = ("adam", "adamw", "sgd", "lion")
SCHEDULES = ("cosine", "constant", "linear")


@dataclass(frozen=True)
class TrainConfig:
    """How a student is trained.

    steps(D) = clip(steps_per_point * D, min_steps, max_steps): the budget grows with the training
    set because the interpolation error must keep falling as D^(-4/d) (Sharma & Kaplan 2020). The
    schedule warms up over ``warmup_fraction`` of the steps, then decays (cosine) to
    ``learning_rate * final_lr_fraction``. ``lbfgs_steps`` > 0 adds a full-batch L-BFGS polish
    after the first-order phase (Michaud et al. 2022); ``gn_steps`` > 0 adds a full-batch
    Levenberg-Marquardt (Gauss-Newton) polish after it (MSE regression only; ``_gauss_newton``).
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
    gn_steps: int = 0
    # A fixed budget for every training-set size (a published recipe's "40 000 steps"); None:
    # the budget grows with D as above.
    steps: int | None = None
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
        check_int("train.gn_steps", self.gn_steps, minimum=0)
        if self.steps is not None:
            check_int("train.steps", self.steps, minimum=1)
        check_float("train.weight_decay", self.weight_decay, minimum=0.0)

    def steps_for(self, n_train: int) -> int:
        """Adam steps for a training set of ``n_train`` points, rounded to ``eval_every``."""
        steps = int(np.clip(round(self.steps_per_point * n_train), self.min_steps, self.max_steps))
        if self.steps is not None:
            steps = self.steps
        return max(self.eval_every, int(np.ceil(steps / self.eval_every)) * self.eval_every)

    @property
    def dtype(self):
        return jnp.float64 if self.precision == "float64" else jnp.float32


@dataclass(frozen=True)
class Phase:
    """One phase of a fresh-data schedule: ``steps`` optimiser steps on fresh batches of
    ``batch_size`` points at a constant ``learning_rate`` (``None``: the TrainConfig's own
    learning rate and schedule over the phase). Sharma & Kaplan 2020 (Sec. 3) train in three
    such phases, growing the batch and finally cutting the learning rate; the optimiser state
    carries over from one phase to the next.
    """

    steps: int
    batch_size: int
    learning_rate: float | None = None

    def __post_init__(self):
        check_int("phase.steps", self.steps, minimum=1)
        check_int("phase.batch_size", self.batch_size, minimum=1)
        if self.learning_rate is not None:
            check_float("phase.learning_rate", self.learning_rate, minimum=0.0, strict_min=True)


def phase_optimizer(config: TrainConfig, phase: Phase) -> optax.GradientTransformation:
    """The optimiser of one phase. Every optimiser :func:`make_optimizer` builds keeps the same
    state structure for any schedule, so a phase can start from the previous phase's state."""
    if phase.learning_rate is None:
        return make_optimizer(config, phase.steps)
    constant = replace(config, learning_rate=phase.learning_rate, schedule="constant")
    return make_optimizer(constant, phase.steps)


def ensure_precision(precision: str) -> None:
    """float64 needs JAX's x64 mode, a process-wide switch: turn it on when a run asks for it."""
    if precision == "float64" and not jax.config.jax_enable_x64:
        jax.config.update("jax_enable_x64", True)


def make_optimizer(config: TrainConfig, total_steps: int) -> optax.GradientTransformation:
    """The first-order optimiser with its learning-rate schedule over ``total_steps`` steps."""
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


def as_typed_key(key):
    """Accept new-style typed keys and legacy uint32 ``PRNGKey`` arrays alike."""
    if jnp.issubdtype(key.dtype, jax.dtypes.prng_key):
        return key
    return jax.random.wrap_key_data(key)
