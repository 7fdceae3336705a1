"""Unlimited-data training: a fresh batch from the manifold and the teacher at every step.

Sharma & Kaplan 2020 (Sec. 3) measure alpha_N with no training set at all: every Adam step sees new
samples, so the loss a student reaches is limited by its size (resolution-limited in N, Bahri et al.
2021 Table 1) and by the optimiser, never by D. The loop is one compiled ``lax.scan`` over chunks of
``eval_every`` steps; each chunk draws all its batches at once (one large teacher pass instead of
many small ones), takes its Adam steps, then scores a fixed validation set. The best-validation
parameters are kept, and the loss curve says whether the run converged (:func:`convergence`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import optax

from .errors import check_float, check_int
from .manifolds import Embedder, sample_manifold
from .students import StudentConfig, cast_params, init_student, student_apply
from .teachers import Teacher
from .training import TrainConfig, ensure_precision, make_loss, make_optimizer

__all__ = ["Convergence", "OnlineResult", "convergence", "train_online"]


@dataclass(frozen=True)
class Convergence:
    """Is the validation loss curve flat at the end of training?

    ``late_drop`` = 1 - L(end) / L(start of the last ``window`` fraction of steps), with L the
    running-best validation loss. The point counts as converged when ``late_drop <= tolerance``:
    the last part of the schedule (where the learning rate has decayed) no longer moved the loss by
    more than ``tolerance``, so more of the same training would not move it much either.
    """

    converged: bool
    late_drop: float
    window: float
    tolerance: float
    rule: str

    def to_dict(self) -> dict:
        return {
            "converged": self.converged,
            "late_drop": self.late_drop,
            "window": self.window,
            "tolerance": self.tolerance,
            "rule": self.rule,
        }


def convergence(curve_val, *, window: float = 0.25, tolerance: float = 0.1) -> Convergence:
    """Convergence of one run from its validation curve (one value per evaluation, in order)."""
    check_float("convergence_window", window, minimum=0.0, maximum=1.0, strict_min=True)
    check_float("convergence_tol", tolerance, minimum=0.0)
    curve = np.asarray(curve_val, np.float64)
    rule = (
        f"converged: the running-best validation loss fell by <= {tolerance:g} (relative) over the "
        f"last {window:g} of the steps"
    )
    if curve.size < 2 or not np.all(np.isfinite(curve)):
        return Convergence(False, float("nan"), window, tolerance, rule)
    best = np.minimum.accumulate(curve)
    start = min(int(np.floor((1.0 - window) * curve.size)), curve.size - 2)
    start = max(start - 1, 0)  # the value *before* the window opens
    drop = float(1.0 - best[-1] / best[start]) if best[start] > 0 else 0.0
    return Convergence(bool(drop <= tolerance), drop, window, tolerance, rule)


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
    is rounded up to a multiple of ``config.eval_every``.
    """
    check_int("steps", steps, minimum=1)
    ensure_precision(config.precision)
    dtype = config.dtype
    n_chunks = int(np.ceil(steps / config.eval_every))
    steps = n_chunks * config.eval_every
    k_init, k_train = jax.random.split(_typed(key))
    x_val = jnp.asarray(x_val, dtype)
    y_val = jnp.asarray(y_val, dtype)
    if init_params is None:
        init_params = init_student(k_init, student, x_val.shape[-1], y_val.shape[-1])
    params = cast_params(init_params, dtype)
    out = _run(
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
    best_p, best_val, best_step, train_curve, val_curve = out
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


def _typed(key):
    if jnp.issubdtype(key.dtype, jax.dtypes.prng_key):
        return key
    return jax.random.wrap_key_data(key)


@partial(
    jax.jit,
    static_argnames=("manifold", "teacher_config", "config", "n_chunks", "task", "loss_power"),
)
def _run(
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
    embedder = Embedder(manifold, embed_params)
    teacher = Teacher(teacher_config, *teacher_arrays)
    loss_fn = make_loss(task, loss_power)
    opt = make_optimizer(config, n_chunks * config.eval_every)
    batch, every = config.batch_size, config.eval_every

    def batch_loss(p, xb, yb):
        return loss_fn(student_apply(p, xb), yb)

    value_and_grad = jax.value_and_grad(batch_loss)

    def step(carry, xy):
        p, s = carry
        loss, g = value_and_grad(p, *xy)
        updates, s = opt.update(g, s, p)
        return (optax.apply_updates(p, updates), s), loss

    def chunk(carry, k):
        p, s, best_p, best_val, best_step, i = carry
        # Every batch of this chunk in one draw: fresh points, never reused.
        sample = sample_manifold(k, embedder, every * batch, dtype)
        x = sample.x.reshape(every, batch, -1)
        y = teacher(sample.z).astype(dtype).reshape(every, batch, -1)
        (p, s), losses = jax.lax.scan(step, (p, s), (x, y))
        val = loss_fn(student_apply(p, x_val), y_val)
        better = val < best_val
        best_p = jax.tree_util.tree_map(lambda a, b: jnp.where(better, a, b), p, best_p)
        i = i + 1
        best_step = jnp.where(better, i * every, best_step)
        best_val = jnp.where(better, val, best_val)
        return (p, s, best_p, best_val, best_step, i), (losses.mean(), val)

    init_val = loss_fn(student_apply(params, x_val), y_val)
    carry = (params, opt.init(params), params, init_val, jnp.asarray(0), jnp.asarray(0))
    carry, (train_curve, val_curve) = jax.lax.scan(chunk, carry, jax.random.split(key, n_chunks))
    _, _, best_p, best_val, best_step, _ = carry
    return best_p, best_val, best_step, train_curve, val_curve
