"""Unlimited-data training: fresh batches, a falling loss, determinism, and the convergence rule."""

import jax
import numpy as np
import pytest

from manifold_scaling.errors import InputError
from manifold_scaling.manifolds import ManifoldConfig, init_embedding, sample_manifold
from manifold_scaling.online import convergence, train_online
from manifold_scaling.students import StudentConfig
from manifold_scaling.teachers import TeacherConfig, init_teacher
from manifold_scaling.training import TrainConfig


@pytest.fixture(scope="module")
def setup():
    m = ManifoldConfig(intrinsic_dim=2, ambient_dim=5, embedding="rotation")
    embedder = init_embedding(jax.random.key(1), m)
    teacher = init_teacher(jax.random.key(2), TeacherConfig(width=16, depth=2), 2)
    val = sample_manifold(jax.random.key(3), embedder, 512)
    return embedder, teacher, val.x, teacher(val.z)


CFG = TrainConfig(learning_rate=1e-2, batch_size=64, eval_every=100)


STEPS = 800  # one step count (and two widths) for the whole file: each new shape recompiles


def _train(setup, width, steps=STEPS, key=0):
    embedder, teacher, xv, yv = setup
    return train_online(
        jax.random.key(key),
        StudentConfig(width=width),
        CFG,
        embedder,
        teacher,
        steps=steps,
        x_val=xv,
        y_val=yv,
    )


@pytest.fixture(scope="module")
def small(setup):
    return _train(setup, 4)


def test_loss_falls_and_bigger_students_do_better(setup, small):
    big = _train(setup, 48)
    assert small.samples_seen == STEPS * 64 and small.steps == STEPS
    assert small.curve_val.shape == (8,) and small.curve_steps[-1] == STEPS
    # Unit-variance targets: a trained student explains most of the variance.
    assert big.val_loss < 0.1
    assert big.val_loss < 0.7 * small.val_loss  # resolution-limited in N: more pieces, lower loss
    # The kept checkpoint is the best validation loss on the curve.
    assert big.val_loss <= big.curve_val.min() * (1 + 1e-6)
    # Fresh batches: the training-batch loss estimates the held-out loss (no overfitting).
    assert big.curve_train[-1] == pytest.approx(big.curve_val[-1], rel=0.5)


def test_same_key_same_result_other_key_differs(setup, small):
    again, other = _train(setup, 4), _train(setup, 4, key=1)
    assert again.val_loss == small.val_loss
    np.testing.assert_array_equal(again.curve_val, small.curve_val)
    assert other.val_loss != small.val_loss


def test_steps_round_up_to_eval_every(setup):
    assert _train(setup, 4, STEPS - 50).steps == STEPS


def test_convergence_rule_on_known_curves():
    flat = np.r_[np.geomspace(1.0, 0.1, 50), np.full(50, 0.099)]
    falling = np.geomspace(1.0, 1e-3, 100)
    assert convergence(flat).converged
    assert convergence(flat).late_drop == pytest.approx(0.0, abs=0.02)
    slow = convergence(falling)
    assert not slow.converged
    # Over the last quarter of a log-uniform fall of 3 decades the loss drops by 1 - 10^-0.75.
    assert slow.late_drop == pytest.approx(1 - 10 ** (-0.75), abs=0.02)
    assert convergence(falling, window=0.25, tolerance=0.9).converged
    assert not convergence([1.0, np.nan, 0.5]).converged
    # A noisy spike does not count as progress: the running best is what is judged.
    spiky = np.r_[np.full(75, 0.1), 0.5, np.full(24, 0.1)]
    assert convergence(spiky).converged


@pytest.mark.parametrize("kw", [{"window": 0.0}, {"window": 1.5}, {"tolerance": -0.1}])
def test_convergence_bad_arguments(kw):
    with pytest.raises(InputError):
        convergence(np.ones(10), **kw)
