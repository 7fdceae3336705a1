"""Full-batch Gauss-Newton (Levenberg-Marquardt) for MSE regression: a polish after Adam.

At a training set of D points and P >> D parameters (the over-parametrised students of the
data-scaling studies: P ~ 2e4, D <= 4096) the Gauss-Newton step is cheapest in its D x D dual form:
with residuals r = f(theta) - y and the Jacobian J = df(x_i)/dtheta (D x P),

    delta = -J^T (J J^T + lambda I)^(-1) r,

the minimum-norm step that zeroes the linearised residuals as lambda -> 0 (it equals the primal
step -(J^T J + lambda I)^(-1) J^T r for every lambda > 0). ``lambda`` adapts (Levenberg 1944,
Marquardt 1963): a step is accepted when it lowers the training loss (then lambda /= 3), else
lambda *= 2 and the step is solved again, all under one ``lax.scan`` of ``lax.while_loop`` so it
compiles branch-free. lambda is relative: lambda = mu * mean(diag(J J^T)), so one ``damping`` mu
fits any scale of residuals and parameters.

J is materialised (per-point ``jax.jacrev`` of the network on its flattened parameters, vmapped
over points): D x P floats, 80 MB at D = 1024 and P = 2e4 in float32. One step costs the Jacobian,
the product J J^T (2 D^2 P flops) and a Cholesky factor (D^3 / 3) per try.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
from jax.flatten_util import ravel_pytree

from ..errors import check_float, check_int

__all__ = ["LMResult", "levenberg_marquardt", "refine_lm"]

_MU_MIN, _MU_MAX = 1e-12, 1e12  # the relative damping stays finite and above zero


class LMResult(NamedTuple):
    """Where ``steps`` Levenberg-Marquardt steps ended, and their curves (one entry per step).

    ``best_params`` / ``best_val`` are the lowest-validation point among the start and the steps
    (the same checkpoint rule as the Adam loop's), when a ``val_fn`` was given; else the end point
    and NaN. ``damping`` is the relative mu after each step (pass the last to continue a run).
    """

    params: object
    loss: jax.Array  # [steps] training loss (mean squared residual) after each step
    val: jax.Array  # [steps] validation loss after each step (NaN without val_fn)
    damping: jax.Array  # [steps] relative damping mu after each step
    accepted: jax.Array  # [steps] bool: did the step lower the training loss?
    tries: jax.Array  # [steps] int: solves this step took (1 = its first lambda was accepted)
    start_loss: jax.Array
    start_val: jax.Array
    best_params: object
    best_val: jax.Array


def levenberg_marquardt(
    apply_fn: Callable,
    params,
    x,
    y,
    steps: int,
    *,
    val_fn: Callable | None = None,
    damping: float = 1e-3,
    max_tries: int = 16,
    increase: float = 2.0,
    decrease: float = 3.0,
) -> LMResult:
    """``steps`` damped Gauss-Newton steps on the MSE mean((apply_fn(params, x) - y)^2).

    ``apply_fn(params, x_batch)`` -> predictions with a leading batch axis; ``params`` any pytree
    (flattened internally with ``ravel_pytree``). Each step solves for a lambda at most
    ``max_tries`` times; a step whose tries all fail (a higher or non-finite loss: a failed
    Cholesky factor, NaN residuals) leaves the parameters unchanged with mu grown. Traceable
    (call it inside ``jax.jit``); ``steps`` and ``max_tries`` must be static.
    """
    check_int("gn_steps", steps, minimum=1)
    check_int("max_tries", max_tries, minimum=1)
    if isinstance(damping, int | float):  # else a traced mu, e.g. a previous run's last
        check_float("damping", damping, minimum=0.0, strict_min=True)
    check_float("increase", increase, minimum=1.0, strict_min=True)
    check_float("decrease", decrease, minimum=1.0, strict_min=True)
    theta0, unravel = ravel_pytree(params)
    dtype = theta0.dtype
    x = jnp.asarray(x, dtype)
    y = jnp.asarray(y, dtype)

    def residuals(theta):
        return (apply_fn(unravel(theta), x) - y).reshape(-1)

    def loss(theta):
        return jnp.mean(residuals(theta) ** 2)

    def jacobian(theta):
        """D * out x P: one reverse pass per point (vmapped), never a D x D x width cotangent."""
        point = lambda t, xi: apply_fn(unravel(t), xi[None]).reshape(-1)  # noqa: E731
        return jax.vmap(jax.jacrev(point), in_axes=(None, 0))(theta, x).reshape(-1, theta.size)

    def validation(theta):
        if val_fn is None:
            return jnp.asarray(jnp.nan, dtype)
        return jnp.asarray(val_fn(unravel(theta)), dtype)

    def step(carry, _):
        theta, mu, current, best_theta, best_val = carry
        r = residuals(theta)
        jac = jacobian(theta)
        kernel = jac @ jac.T
        eye = jnp.eye(kernel.shape[0], dtype=dtype)
        scale = jnp.trace(kernel) / kernel.shape[0]

        def attempt(state):
            i, mu_i, _, _, _ = state
            chol = jnp.linalg.cholesky(kernel + (mu_i * scale) * eye)
            alpha = jax.scipy.linalg.cho_solve((chol, True), r)
            candidate = theta - jac.T @ alpha
            new = loss(candidate)
            ok = jnp.isfinite(new) & jnp.all(jnp.isfinite(candidate)) & (new < current)
            mu_next = jnp.where(ok, mu_i, jnp.minimum(mu_i * increase, _MU_MAX))
            return i + 1, mu_next, ok, candidate, new

        def again(state):
            i, _, ok, _, _ = state
            return (~ok) & (i < max_tries)

        start = (jnp.asarray(0), mu, jnp.asarray(False), theta, current)
        tries, mu, ok, candidate, new = jax.lax.while_loop(again, attempt, start)
        theta = jnp.where(ok, candidate, theta)
        current = jnp.where(ok, new, current)
        mu = jnp.where(ok, jnp.maximum(mu / decrease, _MU_MIN), mu)
        val = validation(theta)
        better = jnp.isfinite(val) & (val < best_val)
        best_theta = jnp.where(better, theta, best_theta)
        best_val = jnp.where(better, val, best_val)
        return (theta, mu, current, best_theta, best_val), (current, val, mu, ok, tries)

    start_loss = loss(theta0)
    start_val = validation(theta0)
    # Without a validation set the "best" point is the end point (best_val stays NaN below).
    init_best = jnp.where(jnp.isfinite(start_val), start_val, jnp.inf)
    carry = (theta0, jnp.asarray(damping, dtype), start_loss, theta0, init_best)
    (theta, _, _, best_theta, best_val), curves = jax.lax.scan(step, carry, None, length=steps)
    train, val, mus, accepted, tries = curves
    if val_fn is None:
        best_theta, best_val = theta, jnp.asarray(jnp.nan, dtype)
    return LMResult(
        unravel(theta), train, val, mus, accepted, tries, start_loss, start_val,
        unravel(best_theta), best_val,
    )  # fmt: skip


def refine_lm(params, best_val, best_step, apply_fn, x, y, val_loss, steps: int, offset: int):
    """Levenberg-Marquardt polish from the best first-order point, like ``_lbfgs.refine``.

    The polish's best-validation point replaces the first-order one only if its validation loss
    is lower (and finite); otherwise nothing changes. Returns the kept point, its validation loss,
    its step (``offset`` + the LM step it was found at) and the :class:`LMResult` (its curves).
    """
    res = levenberg_marquardt(apply_fn, params, x, y, steps, val_fn=val_loss)
    ok = jnp.isfinite(res.best_val) & (res.best_val < best_val)
    # The LM step of the best point: the first step whose validation loss is the polish's best.
    at = jnp.argmax(res.val == res.best_val) + 1
    kept = jax.tree_util.tree_map(lambda a, b: jnp.where(ok, a, b), res.best_params, params)
    return (
        kept,
        jnp.where(ok, res.best_val, best_val),
        jnp.where(ok, offset + at, best_step),
        res,
    )
