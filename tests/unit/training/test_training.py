"""The training package: one compiled loop fed by a fixed set or by fresh draws, one L-BFGS.

Fixed set: reaches interpolation, keeps the best checkpoint, is deterministic, and a key gives the
same minibatches however the loop groups its steps. Fresh data: the loss falls, bigger students do
better, runs are deterministic. Full-batch L-BFGS lowers the training loss; the convergence rule
judges known curves.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import manifold_scaling.training as training
from manifold_scaling.errors import InputError
from manifold_scaling.manifolds import ManifoldConfig, init_embedding, sample_manifold
from manifold_scaling.students import StudentConfig, init_student, parameter_count, student_apply
from manifold_scaling.teachers import TeacherConfig, init_teacher
from manifold_scaling.training import (
    TrainConfig,
    convergence,
    minimise_full_batch,
    to_numpy,
    train_online,
    train_student,
    train_students,
)
from manifold_scaling.training._loop import fixed_set
from manifold_scaling.training._losses import make_loss


def _toy(key, n, d=2):
    k1, k2 = jax.random.split(key)
    x = jax.random.uniform(k1, (n, d), minval=-1, maxval=1)
    y = jnp.sin(2.0 * x[:, :1]) * jnp.cos(x[:, 1:2])
    return x, y


def test_package_exports_its_api():
    assert all(hasattr(training, name) for name in training.__all__)


def test_parameter_count_matches_init(key):
    cfg = StudentConfig(depth=3, width=17)
    params = init_student(key, cfg, 5, 2)
    assert sum(a.size for a in jax.tree_util.tree_leaves(params)) == parameter_count(cfg, 5, 2)
    assert student_apply(params, jnp.ones((4, 5))).shape == (4, 2)


# --- a fixed training set -------------------------------------------------------------------------


def test_small_student_interpolates(key):
    x, y = _toy(key, 64)
    xv, yv = _toy(jax.random.key(1), 256)
    cfg = TrainConfig(min_steps=3000, eval_every=500, learning_rate=3e-3)
    res = train_student(key, StudentConfig(width=128), cfg, x, y, xv, yv)
    assert res.train_loss < 1e-4
    assert res.train_loss < 0.1 * res.val_loss  # interpolation: train far below held-out
    assert res.steps == 3000
    # The kept checkpoint is the best validation loss seen on the curve.
    assert res.val_loss <= res.curve_val.min() * (1 + 1e-6)


def test_same_key_same_result_and_batched_equals_loop(key):
    x, y = _toy(key, 32)
    xv, yv = _toy(jax.random.key(1), 64)
    cfg = TrainConfig(min_steps=500, eval_every=250, batch_size=8)  # minibatches of 8 out of 32
    keys = jax.random.split(jax.random.key(3), 2)
    xs, ys = jnp.stack([x, x]), jnp.stack([y, y])
    xvs, yvs = jnp.stack([xv, xv]), jnp.stack([yv, yv])
    loop = train_students(keys, StudentConfig(width=16), cfg, xs, ys, xvs, yvs, batched=False)
    again = train_students(keys, StudentConfig(width=16), cfg, xs, ys, xvs, yvs, batched=False)
    vm = train_students(keys, StudentConfig(width=16), cfg, xs, ys, xvs, yvs, batched=True)
    for a, b, c in zip(loop, again, vm):
        assert a.train_loss == b.train_loss
        np.testing.assert_array_equal(a.curve_val, b.curve_val)
        np.testing.assert_allclose(a.train_loss, c.train_loss, rtol=1e-3)
    assert loop[0].train_loss != loop[1].train_loss  # different keys, different students


def test_minibatches_are_one_draw_per_step_key():
    # The contract that keeps old records reproducible: step t of a chunk draws its indices from
    # the t-th of eval_every keys split off the chunk key, with an int32 randint.
    x, y = _toy(jax.random.key(0), 40)
    source = fixed_set(x, y, 16, 5, make_loss("regression"))
    k = jax.random.key(9)
    idx = source.draw(k)
    expected = [jax.random.randint(ks, (16,), 0, 40, jnp.int32) for ks in jax.random.split(k, 5)]
    np.testing.assert_array_equal(idx, np.stack(expected))
    xb, yb = source.batch(idx[2])
    np.testing.assert_array_equal(xb, x[expected[2]])
    # The whole set as one batch: nothing drawn, every step sees all of it.
    whole = fixed_set(x, y, 40, 5, make_loss("regression"))
    assert whole.draw(k) is None and whole.batch(None)[0] is x


def test_steps_grow_with_d():
    cfg = TrainConfig(steps_per_point=10, min_steps=1000, max_steps=20000, eval_every=250)
    assert cfg.steps_for(50) == 1000
    assert cfg.steps_for(512) == 5250  # rounded up to eval_every
    assert cfg.steps_for(10**6) == 20000


@pytest.mark.integration  # slow tier: runs in .ci/run's second pytest
def test_lbfgs_refinement_never_hurts_validation(key):
    x, y = _toy(key, 48)
    xv, yv = _toy(jax.random.key(1), 128)
    base = TrainConfig(min_steps=500, eval_every=250)
    plain = train_student(key, StudentConfig(width=32), base, x, y, xv, yv)
    refined = train_student(
        key,
        StudentConfig(width=32),
        TrainConfig(min_steps=500, eval_every=250, lbfgs_steps=100),
        x,
        y,
        xv,
        yv,
    )
    assert refined.val_loss <= plain.val_loss * (1 + 1e-6)
    assert refined.steps == plain.steps + 100  # Adam steps plus L-BFGS iterations


@pytest.mark.parametrize(
    "kwargs,param",
    [
        ({"learning_rate": 0.0}, "train.learning_rate"),
        ({"optimizer": "rmsprop2"}, "train.optimizer"),
        ({"min_steps": 10, "max_steps": 5}, "train.max_steps"),
        ({"precision": "float16"}, "train.precision"),
        ({"batch_size": 0}, "train.batch_size"),
    ],
)
def test_bad_train_configs(kwargs, param):
    with pytest.raises(InputError) as err:
        TrainConfig(**kwargs)
    assert err.value.parameter == param


# --- full-batch L-BFGS ----------------------------------------------------------------------------


def test_full_batch_lbfgs_lowers_the_training_loss(key):
    x, y = _toy(key, 64)
    params = init_student(jax.random.key(5), StudentConfig(width=8), 2)
    res = minimise_full_batch(params, x, y, steps=30, precision="float32")
    assert res.train_loss < 0.5 * res.start_loss
    assert np.isfinite(res.grad_norm) and res.steps == 30
    fitted = to_numpy(res.params)
    assert all(isinstance(a, np.ndarray) for a in jax.tree_util.tree_leaves(fitted))
    assert float(jnp.mean((student_apply(fitted, x) - y) ** 2)) == pytest.approx(res.train_loss)


# --- fresh data at every step ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def setup():
    m = ManifoldConfig(intrinsic_dim=2, ambient_dim=5, embedding="rotation")
    embedder = init_embedding(jax.random.key(1), m)
    teacher = init_teacher(jax.random.key(2), TeacherConfig(width=16, depth=2), 2)
    val = sample_manifold(jax.random.key(3), embedder, 512)
    return embedder, teacher, val.x, teacher(val.z)


CFG = TrainConfig(learning_rate=1e-2, batch_size=64, eval_every=100)


STEPS = 800  # one step count (and two widths) for the fresh-data tests: each new shape recompiles


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


def test_online_loss_falls_and_bigger_students_do_better(setup, small):
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


def test_online_same_key_same_result_other_key_differs(setup, small):
    again, other = _train(setup, 4), _train(setup, 4, key=1)
    assert again.val_loss == small.val_loss
    np.testing.assert_array_equal(again.curve_val, small.curve_val)
    assert other.val_loss != small.val_loss


def test_online_steps_round_up_to_eval_every(setup):
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


def test_last_doubling_change_reads_the_running_best_over_the_last_half():
    from manifold_scaling.training import last_doubling_change

    steps = np.arange(1, 9) * 250  # T = 2000, T/2 = 1000
    falling = np.array([8.0, 4.0, 2.0, 1.0, 0.8, 0.6, 0.5, 0.5])
    assert last_doubling_change(steps, falling) == pytest.approx(np.log(1.0 / 0.5))
    # early-stopped: the best point lies before T/2 and more steps do not move it
    rising = np.array([1.0, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1])
    assert last_doubling_change(steps, rising) == 0.0
    assert np.isnan(last_doubling_change(steps[:1], falling[:1]))
    assert np.isnan(last_doubling_change(steps, np.full(8, np.nan)))
