"""Training losses and their evaluation on (possibly large) sets."""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp

from ..students import student_apply


def regression_loss(pred, target, power: float = 2.0):
    """Mean |y - y_hat|^p (p = 2: MSE). Sec. 2 of Sharma & Kaplan 2020: L ~ s^(2p) ~ D^(-2p/d)."""
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
    """The loss of ``task``: KL for classification, mean |error|^loss_power for regression."""
    if task == "classification":
        return soft_cross_entropy_kl
    return partial(regression_loss, power=loss_power)


def chunked_loss(params, x, y, loss_fn, chunk=8192):
    """Loss over a whole set, traceable (usable inside the compiled loop).

    Sets above ``chunk`` points are scored in chunks so that no single activation array is huge.
    """
    n = x.shape[0]
    if n <= chunk:
        return loss_fn(student_apply(params, x), y)
    total = 0.0
    for i in range(0, n, chunk):
        xb, yb = x[i : i + chunk], y[i : i + chunk]
        total = total + loss_fn(student_apply(params, xb), yb) * xb.shape[0]
    return total / n


def masked_loss(params, x, y, n_valid, loss_fn, chunk=8192):
    """Loss over the first ``n_valid`` rows of ``x`` (``n_valid`` may be traced): a training set
    padded to its batch's largest set is scored on its own points only.

    A per-row loss summed and divided by ``n_valid``: equal to :func:`chunked_loss` on the unpadded
    set up to the order of the float sums.
    """
    row_loss = jax.vmap(lambda pred, target: loss_fn(pred[None], target[None]))
    total = 0.0
    for i in range(0, x.shape[0], chunk):
        xb, yb = x[i : i + chunk], y[i : i + chunk]
        keep = jnp.arange(i, i + xb.shape[0]) < n_valid
        total = total + jnp.sum(jnp.where(keep, row_loss(student_apply(params, xb), yb), 0.0))
    return total / n_valid


def evaluate_loss(params, x, y, *, task="regression", loss_power=2.0) -> float:
    """Loss of a student on a (possibly large) set, evaluated in chunks."""
    return float(_jit_eval(params, x, y, task, loss_power))


@partial(jax.jit, static_argnums=(3, 4))
def _jit_eval(params, x, y, task, loss_power):
    return chunked_loss(params, x, y, make_loss(task, loss_power))
