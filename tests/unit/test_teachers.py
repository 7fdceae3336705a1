"""Teachers: standardised, nonlinearity measured and controlled by one rule."""

import jax
import numpy as np
import pytest

from manifold_scaling.manifolds import sample_latent
from manifold_scaling.teachers import (
    TeacherConfig,
    calibrate_teacher,
    init_teacher,
    linear_r2,
    teacher_linear_r2,
)


def test_linear_r2_closed_form(key):
    z = np.asarray(sample_latent(key, "cube", 5000, 3), np.float64)
    assert linear_r2(z, z @ np.array([1.0, -2.0, 0.5]) + 3.0) == pytest.approx(1.0, abs=1e-9)
    # y = z1^2 on U[-1,1]: uncorrelated with every linear function of z, so R^2 ~ 0.
    assert linear_r2(z, z[:, 0] ** 2) < 0.01


def test_targets_standardised_on_the_manifold(key):
    teacher = init_teacher(key, TeacherConfig(gain=2.0), 4)
    y = np.asarray(teacher(sample_latent(jax.random.key(5), "cube", 20000, 4)))
    assert abs(y.mean()) < 0.05
    assert y.std() == pytest.approx(1.0, rel=0.05)


def test_gain_controls_nonlinearity(key):
    r2 = [
        teacher_linear_r2(key, init_teacher(key, TeacherConfig(gain=g), 4), 4)
        for g in (0.5, 1.5, 4.0)
    ]
    assert r2[0] > r2[1] > r2[2]


@pytest.mark.parametrize("d", [2, 6])
def test_calibration_hits_target_r2(key, d):
    k_teacher, k_eval = jax.random.split(key)
    teacher, cal = calibrate_teacher(
        k_teacher, TeacherConfig(), d, eval_key=k_eval, target_r2=0.7, iterations=10
    )
    assert cal.linear_r2 == pytest.approx(0.7, abs=0.03)
    assert teacher.gain == cal.gain
    # The reported R^2 is reproducible on an independent sample of the same teacher.
    fresh = teacher_linear_r2(jax.random.key(99), init_teacher(k_teacher, teacher, d), d)
    assert fresh == pytest.approx(0.7, abs=0.05)


@pytest.mark.parametrize("latent", ["cube", "sphere"])
def test_reported_r2_belongs_to_the_teacher_the_trials_train_on(latent):
    """Issue "Intervals a reader can trust" (4): the study's teacher R^2 is measured on the very
    teacher its trials draw (same key, same gain), not on a sibling draw from the same seed."""
    from manifold_scaling.studies.base import DataScalingConfig, replicates
    from manifold_scaling.studies.data_scaling import trial_configs
    from manifold_scaling.studies.trials import trial_setup

    config = DataScalingConfig(dims=(3,), sizes=(32, 64, 128), seeds=2, latent=latent)
    reps = {3: replicates(config, 3)}
    trials = trial_configs(config, reps)
    for rep in reps[3]:
        trial = next(t for t in trials if t.seed == rep.seed)
        _, teacher = trial_setup(trial)
        measured = teacher_linear_r2(jax.random.key(123), teacher, trial.manifold, n=16384)
        assert measured == pytest.approx(rep.teacher.linear_r2, abs=0.02)
    # Replicates draw different teachers (the teacher draw is part of the replicate).
    assert len({rep.data_seed for rep in reps[3]}) == 2


def test_classification_teacher_emits_scaled_logits(key):
    teacher = init_teacher(key, TeacherConfig(task="classification", n_classes=3), 2)
    logits = np.asarray(teacher(sample_latent(key, "cube", 4000, 2)))
    assert logits.shape == (4000, 3)
    assert logits.std(0) == pytest.approx(np.full(3, 6.0), rel=0.1)


def test_length_scale_is_that_of_the_nonlinear_part():
    """sd(g)/rms|grad g| with g = f minus its linear fit: for sin(5 z) about 1/5, whatever linear
    part rides on it (a linear f alone would give 1/sqrt(3) on the cube whatever its slope)."""
    import jax.numpy as jnp

    from manifold_scaling.teachers import teacher_length_scale

    key = jax.random.key(3)
    wave = lambda z: 0.1 * jnp.sin(5.0 * z[:, 1:2])  # noqa: E731
    tilted = lambda z: wave(z) + 0.8 * z[:, 0:1] - 0.3 * z[:, 1:2]  # noqa: E731
    plain = teacher_length_scale(key, wave, 2, n=8192)
    assert plain == pytest.approx(0.2, rel=0.1)
    assert teacher_length_scale(key, tilted, 2, n=8192) == pytest.approx(plain, rel=1e-3)
    assert teacher_length_scale(key, lambda z: 2.0 * z[:, :1] + 1.0, 2) > 100
