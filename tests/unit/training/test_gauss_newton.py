"""The full-batch Levenberg-Marquardt polish: it solves small over-parametrised problems to
round-off in a few steps, its first step on a linear model is the closed-form damped
least-squares (min-norm) step, a step that cannot be evaluated changes nothing, and as a polish
after Adam it never raises the validation loss."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from manifold_scaling import keys
from manifold_scaling.errors import InputError
from manifold_scaling.students import StudentConfig, init_student, student_apply
from manifold_scaling.training import TrainConfig, levenberg_marquardt, train_student


def _add_bias(a, b):
    """``a + b`` with the bias broadcast explicitly (the tests refuse implicit rank promotion)."""
    return a + jnp.broadcast_to(b, a.shape)


def _tanh_apply(params, x):
    """The student's layers with a smooth activation: Gauss-Newton converges quadratically."""
    h = x
    for w, b in params[:-1]:
        h = jnp.tanh(_add_bias(h @ w, b))
    w, b = params[-1]
    return _add_bias(h @ w, b)


def _linear(params, x):
    return _add_bias(x @ params["w"], params["b"])


def _toy(seed, n, d=2):
    kx = keys.key(seed)
    x = jax.random.uniform(kx, (n, d), minval=-1, maxval=1)
    return x, jnp.sin(2.0 * x[:, :1]) * jnp.cos(x[:, 1:2])


def test_lm_solves_a_tiny_overparametrised_problem_in_a_few_steps():
    x, y = _toy(0, 16)
    params = init_student(keys.key(1), StudentConfig(width=64), 2, 1)  # P = 4481 >> D = 16
    res = jax.jit(lambda p: levenberg_marquardt(_tanh_apply, p, x, y, 8))(params)
    assert float(res.start_loss) > 0.1
    assert float(res.loss[-1]) < 1e-6 * float(res.start_loss)
    # Accepted steps only: the training loss never rises.
    assert np.all(np.diff(np.asarray(res.loss)) <= 0)
    assert bool(res.accepted[0])


@pytest.mark.parametrize("damping", [1e-1, 1e-7])
def test_one_lm_step_on_a_linear_model_is_the_closed_form_step(damping):
    x64 = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)  # the reference is exact; compare in float64
    try:
        kx, ky, kw = jax.random.split(keys.key(4), 3)
        n, p = 8, 20  # under-determined: the min-norm solution interpolates
        x = jax.random.normal(kx, (n, p), jnp.float64)
        y = jax.random.normal(ky, (n, 1), jnp.float64)
        params = {"w": jax.random.normal(kw, (p, 1), jnp.float64), "b": jnp.zeros(1, jnp.float64)}
        res = levenberg_marquardt(_linear, params, x, y, 1, damping=damping)
        jac = np.concatenate([np.asarray(x), np.ones((n, 1))], axis=1)  # d f / d (w, b)
        theta = np.concatenate([np.asarray(params["w"])[:, 0], np.asarray(params["b"])])
        r = jac @ theta - np.asarray(y)[:, 0]
        kernel = jac @ jac.T
        lam = damping * np.trace(kernel) / n
        ridge = theta - jac.T @ np.linalg.solve(kernel + lam * np.eye(n), r)
        got = np.concatenate([np.asarray(res.params["w"])[:, 0], np.asarray(res.params["b"])])
        np.testing.assert_allclose(got, ridge, rtol=1e-10, atol=1e-12)
        # The primal form of the same step, (J^T J + lambda I)^-1 J^T r (ill-conditioned at a
        # small lambda: J^T J has rank D < P, hence the looser tolerance).
        primal = theta - np.linalg.solve(jac.T @ jac + lam * np.eye(p + 1), jac.T @ r)
        np.testing.assert_allclose(got, primal, rtol=1e-6, atol=1e-8)
        if damping < 1e-6:  # -> the min-norm least-squares step, which interpolates
            min_norm = theta + np.linalg.pinv(jac) @ (np.asarray(y)[:, 0] - jac @ theta)
            np.testing.assert_allclose(got, min_norm, rtol=1e-5, atol=1e-6)
            assert float(res.loss[0]) < 1e-10
        assert bool(res.accepted[0]) and int(res.tries[0]) == 1
        assert float(res.damping[0]) == pytest.approx(damping / 3)  # accepted: lambda /= 3
    finally:
        jax.config.update("jax_enable_x64", x64)


def test_a_non_finite_step_changes_nothing():
    x, y = _toy(5, 8)
    start = {"w": jnp.ones((2, 1)), "b": jnp.zeros(1)}

    def poisoned(params, xb):
        # Finite (with a finite Jacobian) at the start only: every step lands on NaN.
        moved = jnp.any(params["w"] != start["w"]) | jnp.any(params["b"] != start["b"])
        return _linear(params, xb) + jnp.where(moved, jnp.nan, 0.0)

    res = jax.jit(lambda p: levenberg_marquardt(poisoned, p, x, y, 3, max_tries=4))(start)
    for a, b in zip(jax.tree_util.tree_leaves(res.params), jax.tree_util.tree_leaves(start)):
        np.testing.assert_array_equal(a, b)
    assert not np.any(np.asarray(res.accepted))
    np.testing.assert_array_equal(res.loss, np.full(3, float(res.start_loss)))
    assert np.all(np.asarray(res.tries) == 4)
    # Each failed step grows the damping by 2 per try.
    np.testing.assert_allclose(res.damping, 1e-3 * 2.0 ** (4 * np.arange(1, 4)), rtol=1e-5)


@pytest.mark.integration  # slow tier: runs in .ci/run's second pytest
def test_lm_on_the_relu_student_records_its_validation_curve_and_keeps_its_best_point():
    x, y = _toy(2, 32)
    xv, yv = _toy(7, 64)
    params = init_student(keys.key(3), StudentConfig(width=32), 2, 1)

    def val(p):
        return jnp.mean((student_apply(p, xv) - yv) ** 2)

    res = jax.jit(lambda p: levenberg_marquardt(student_apply, p, x, y, 12, val_fn=val))(params)
    loss = np.asarray(res.loss)
    assert np.all(np.diff(loss) <= 0) and loss[-1] < 1e-3 * float(res.start_loss)
    curve = np.asarray(res.val)
    assert curve.shape == (12,) and np.all(np.isfinite(curve))
    assert float(res.best_val) == pytest.approx(min(curve.min(), float(res.start_val)))
    assert float(val(res.best_params)) == pytest.approx(float(res.best_val), rel=1e-5)


@pytest.mark.integration  # slow tier: runs in .ci/run's second pytest
def test_gn_polish_after_adam_never_hurts_validation():
    x, y = _toy(9, 64)
    xv, yv = _toy(10, 128)
    base = TrainConfig(min_steps=500, eval_every=250, batch_size=16)
    student = StudentConfig(width=32)
    adam = train_student(keys.key(11), student, base, x, y, xv, yv)
    polished = train_student(
        keys.key(11), student, TrainConfig(**{**base.__dict__, "gn_steps": 5}), x, y, xv, yv
    )
    assert polished.val_loss <= adam.val_loss
    np.testing.assert_array_equal(polished.curve_val, adam.curve_val)  # the same Adam run
    if polished.val_loss < adam.val_loss:  # the polished point was kept: it was found by LM
        assert polished.best_step > 500


def test_gn_steps_is_validated():
    with pytest.raises(InputError, match="gn_steps"):
        TrainConfig(gn_steps=-1)


def test_gn_steps_flag_sets_the_config_and_refuses_bad_values(tmp_path, capsys):
    from manifold_scaling.cli import config_from_argv, main

    config = config_from_argv("data-scaling", ["--gn-steps", "7", "--out", str(tmp_path)])
    assert config.train.gn_steps == 7
    assert main(["data-scaling", "--gn-steps", "-1", "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert "--gn-steps" in err and ">= 0" in err and "Traceback" not in err
