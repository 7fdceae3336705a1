"""The one full-batch L-BFGS: a polish after Adam, and the empirical-risk minimiser.

Two uses share it. After a first-order run, a few full-batch L-BFGS steps polish the best point
(Michaud et al. 2022: second-order refinement reaches far lower loss than Adam on smooth low-dim
targets). In the variance-limited regime (Bahri et al. 2021, Sec. 2.1) the quantity of interest is
the minimiser of the training loss itself: expanding the test loss around the infinite-data solution
gives L(theta_D) - L(theta_inf) ~ tr(H^-1 Sigma) / (2D) ~ D^-1, so each training set's minimiser
must be found precisely (stochastic optimiser noise would swamp a 1/D term) and in the same basin
for every D, hence a deterministic second-order method warm-started from one point.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import optax

from ..errors import check_int
from ..students import cast_params, student_apply
from ._config import ensure_precision
from ._losses import make_loss


def tree_where(ok, new, old):
    """``new`` where the scalar ``ok`` holds, else ``old``, leaf by leaf (branch-free under jit)."""
    return jax.tree_util.tree_map(lambda a, b: jnp.where(ok, a, b), new, old)


def full_batch_loss(loss_fn, x, y):
    """The training loss on the whole set, as a function of the parameters."""
    return lambda p: loss_fn(student_apply(p, x), y)


def lbfgs(value, params, steps: int):
    """``steps`` iterations of optax's L-BFGS (zoom line search) on the deterministic ``value``.

    ``value_and_grad_from_state`` reuses the value and gradient the line search already computed
    at the accepted point, so each iteration costs one evaluation plus the line search's.
    """
    opt, step = _lbfgs_step(value)
    (p, _), _ = jax.lax.scan(step, (params, opt.init(params)), None, length=steps)
    return p


def _lbfgs_step(value):
    """optax's L-BFGS and one scan step of it on ``value``: (params, state) -> (params, state)."""
    opt = optax.lbfgs()
    value_and_grad = optax.value_and_grad_from_state(value)

    def step(carry, _):
        p, s = carry
        v, g = value_and_grad(p, state=s)
        updates, s = opt.update(g, s, p, value=v, grad=g, value_fn=value)
        return (optax.apply_updates(p, updates), s), None

    return opt, step


def lbfgs_curve(value, params, steps: int, val_fn, every: int = 1, state=None):
    """:func:`lbfgs` that also records ``val_fn`` every ``every`` iterations (``steps`` must be a
    multiple of ``every``), so a polish's own convergence can be judged. Returns
    ``(params, curve, state)``, ``curve[i]`` the value after ``(i + 1) * every`` iterations;
    passing ``state`` back (with the returned params) continues the same run."""
    check_int("lbfgs_steps", steps, minimum=1)
    check_int("every", every, minimum=1)
    if steps % every:
        raise ValueError(f"lbfgs_curve: steps={steps} is not a multiple of every={every}")
    opt, step = _lbfgs_step(value)

    def chunk(carry, _):
        carry, _ = jax.lax.scan(step, carry, None, length=every)
        return carry, val_fn(carry[0])

    start = (params, opt.init(params) if state is None else state)
    (p, state), curve = jax.lax.scan(chunk, start, None, length=steps // every)
    return p, curve, state


def refine(params, best_val, best_step, value, val_loss, steps: int, offset: int):
    """L-BFGS polish from the best first-order point (Michaud et al. 2022).

    The refined point replaces the first-order one only if it lowers the validation loss: the
    checkpoint stays the best-validation point, and a failed line search (NaN) changes nothing.
    Returns the kept point, its validation loss and step, whether the polish was kept, and the
    polish's own validation curve (``polish_curve_steps(steps)`` iterations; index 0 is the
    first-order checkpoint's), by which the kept point's convergence is judged.
    """
    every = polish_every(steps)
    p, curve, _ = lbfgs_curve(value, params, steps, val_loss, every=every)
    val = curve[-1]
    ok = jnp.isfinite(val) & (val < best_val)
    return (
        tree_where(ok, p, params),
        jnp.where(ok, val, best_val),
        jnp.where(ok, offset + steps, best_step),
        ok,
        jnp.concatenate([jnp.reshape(best_val, (1,)), curve]),
    )


def polish_every(steps: int) -> int:
    """How often (in L-BFGS iterations) a polish records its validation loss: every 10 when the
    polish is a multiple of 10 iterations long, else every one."""
    return 10 if steps % 10 == 0 else 1


def polish_curve_steps(steps: int) -> np.ndarray:
    """The iterations at which :func:`refine` records its curve: 0, then every ``polish_every``."""
    return np.arange(0, steps + 1, polish_every(steps))


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
    """Run ``steps`` L-BFGS iterations on the whole training set (Bahri et al. 2021, Sec. 2.1).

    Falls back to the start if the end point is non-finite or has a higher training loss.
    """
    check_int("lbfgs_steps", steps, minimum=1)
    ensure_precision(precision)
    dtype = jnp.float64 if precision == "float64" else jnp.float32
    params = cast_params(params, dtype)
    x = jnp.asarray(x, dtype)
    y = jnp.asarray(y, dtype)
    p, loss, start, gnorm = _minimise(
        params, x, y, steps=steps, task=task, loss_power=float(loss_power)
    )
    return FullBatchResult(p, float(loss), float(start), float(gnorm), steps)


@partial(jax.jit, static_argnames=("steps", "task", "loss_power"))
def _minimise(params, x, y, *, steps, task, loss_power):
    value = full_batch_loss(make_loss(task, loss_power), x, y)
    start = value(params)
    p = lbfgs(value, params, steps)
    final = value(p)
    # A failed line search can leave NaNs; fall back to the start rather than report garbage.
    ok = jnp.isfinite(final) & (final <= start)
    p = tree_where(ok, p, params)
    final = jnp.where(ok, final, start)
    grads = jax.grad(value)(p)
    gnorm = jnp.sqrt(sum(jnp.sum(g**2) for g in jax.tree_util.tree_leaves(grads)))
    return p, final, start, gnorm


def to_numpy(params) -> list:
    """Parameters as numpy arrays (cacheable, picklable)."""
    return jax.tree_util.tree_map(np.asarray, params)
