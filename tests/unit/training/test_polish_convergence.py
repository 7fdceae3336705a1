"""A kept full-batch polish is judged on its own run: the convergence rule reads the kept point's
curve (the polish's when it was kept, Adam's otherwise), never a curve that ended before it."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from manifold_scaling.students import StudentConfig
from manifold_scaling.studies.trials import network_metrics
from manifold_scaling.training import TrainConfig, last_doubling_change, train_student


def _data():
    x = jax.random.uniform(jax.random.key(0), (128, 2), minval=-1, maxval=1)
    xv = jax.random.uniform(jax.random.key(1), (64, 2), minval=-1, maxval=1)
    f = lambda a: jnp.sin(3 * a[:, :1]) * a[:, 1:]  # noqa: E731
    return x, f(x), xv, f(xv)


@pytest.mark.parametrize("polish", [{"lbfgs_steps": 100}, {"gn_steps": 5}])
def test_a_kept_polish_records_its_own_curve_and_is_judged_by_it(polish):
    x, y, xv, yv = _data()
    adam = TrainConfig(steps=500, batch_size=32)
    plain = train_student(jax.random.key(2), StudentConfig(width=32), adam, x, y, xv, yv)
    res = train_student(
        jax.random.key(2), StudentConfig(width=32), TrainConfig(**{**adam.__dict__, **polish}),
        x, y, xv, yv,
    )  # fmt: skip
    assert not plain.polish_kept and plain.polish_val.size == 0
    assert plain.tail_dlog == last_doubling_change(plain.curve_steps, plain.curve_val)
    assert res.polish_kept  # this smooth target: the polish lowers the validation loss
    assert res.polish_val.shape == res.polish_steps.shape and res.polish_steps[0] == 0
    # the polish starts where Adam's checkpoint stood, and the kept point is its own
    assert res.polish_val[0] == pytest.approx(plain.val_loss, rel=1e-5)
    assert res.val_loss < plain.val_loss
    # L-BFGS keeps its end point, Levenberg-Marquardt its best-validation step
    kept = res.polish_val[-1] if "lbfgs_steps" in polish else np.min(res.polish_val)
    assert res.val_loss == pytest.approx(kept, rel=1e-5)
    assert res.tail_dlog == last_doubling_change(res.polish_steps, res.polish_val)
    metrics = network_metrics(res, 1.0, 100, 128)
    assert metrics["val_tail_dlog"] == res.tail_dlog
    assert metrics["first_order_tail_dlog"] == pytest.approx(plain.tail_dlog)
    assert metrics["polish_kept"] is True
