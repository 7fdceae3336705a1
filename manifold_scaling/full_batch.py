"""Full-batch L-BFGS to the empirical-risk minimiser, from a given starting point.

The variance-limited regime (Bahri et al. 2021, Sec. 2.1) is a statement about the minimiser of the
training loss: expanding the test loss around the infinite-data solution gives
L(theta_D) - L(theta_inf) ~ tr(H^-1 Sigma) / (2D) ~ D^-1. Measuring it needs each training set's
minimiser found precisely (stochastic optimiser noise would swamp a 1/D term), and found in the
same basin for every D, hence a deterministic second-order method warm-started from one point.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import optax

from .errors import check_int
from .students import cast_params, student_apply
from .training import ensure_precision, make_loss

__all__ = ["FullBatchResult", "minimise_full_batch"]


@dataclass(frozen=True)
class FullBatchResult:
    """The minimiser found, its training loss and the gradient norm left (a convergence check)."""

    params: list
    train_loss: float
    start_loss: float
    grad_norm: float
    steps: int


def minimise_full_batch(
    params,
    x,
    y,
    *,
    steps: int,
    task: str = "regression",
    loss_power: float = 2.0,
    precision: str = "float64",
) -> FullBatchResult:
    """Run ``steps`` L-BFGS iterations (optax, zoom line search) on the whole training set."""
    check_int("lbfgs_steps", steps, minimum=1)
    ensure_precision(precision)
    dtype = jnp.float64 if precision == "float64" else jnp.float32
    params = cast_params(params, dtype)
    x = jnp.asarray(x, dtype)
    y = jnp.asarray(y, dtype)
    p, loss, start, gnorm = _lbfgs(
        params, x, y, steps=steps, task=task, loss_power=float(loss_power)
    )
    return FullBatchResult(p, float(loss), float(start), float(gnorm), steps)


@partial(jax.jit, static_argnames=("steps", "task", "loss_power"))
def _lbfgs(params, x, y, *, steps, task, loss_power):
    loss_fn = make_loss(task, loss_power)

    def value(p):
        return loss_fn(student_apply(p, x), y)

    opt = optax.lbfgs()
    value_and_grad = optax.value_and_grad_from_state(value)

    def step(carry, _):
        p, s = carry
        v, g = value_and_grad(p, state=s)
        updates, s = opt.update(g, s, p, value=v, grad=g, value_fn=value)
        return (optax.apply_updates(p, updates), s), None

    start = value(params)
    (p, _), _ = jax.lax.scan(step, (params, opt.init(params)), None, length=steps)
    final = value(p)
    # A failed line search can leave NaNs; fall back to the start rather than report garbage.
    ok = jnp.isfinite(final) & (final <= start)
    p = jax.tree_util.tree_map(lambda a, b: jnp.where(ok, a, b), p, params)
    final = jnp.where(ok, final, start)
    grads = jax.grad(value)(p)
    gnorm = jnp.sqrt(sum(jnp.sum(g**2) for g in jax.tree_util.tree_leaves(grads)))
    return p, final, start, gnorm


def to_numpy(params) -> list:
    """Parameters as numpy arrays (cacheable, picklable)."""
    return jax.tree_util.tree_map(np.asarray, params)
