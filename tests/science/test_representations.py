"""Intrinsic dimension of what a student learned, and the real-data (digits) study."""

import jax
import numpy as np
import pytest

from manifold_scaling.intrinsic_dim import estimate_id
from manifold_scaling.manifolds import ManifoldConfig, init_embedding, sample_manifold
from manifold_scaling.students import StudentConfig, student_hidden
from manifold_scaling.teachers import TeacherConfig, init_teacher
from manifold_scaling.training import TrainConfig, train_student


@pytest.mark.parametrize("d", [2, 4])
def test_last_hidden_layer_of_a_trained_student_has_dimension_d(d, key):
    """Sharma & Kaplan Sec. 3.2: the last hidden layer's ID is close to d (here within 20 %)."""
    cfg = ManifoldConfig(intrinsic_dim=d, ambient_dim=16)
    emb = init_embedding(key, cfg)
    teacher = init_teacher(jax.random.key(1), TeacherConfig(gain=1.5), d)
    train = sample_manifold(jax.random.key(2), emb, 256)
    val = sample_manifold(jax.random.key(3), emb, 256)
    res = train_student(
        jax.random.key(4), StudentConfig(width=64), TrainConfig(min_steps=500, eval_every=250),
        train.x, teacher(train.z), val.x, teacher(val.z),
    )  # fmt: skip
    probe = sample_manifold(jax.random.key(5), emb, 2000)
    last = np.asarray(student_hidden(res.params, probe.x)[-1], np.float64)
    est = estimate_id(last, key=jax.random.key(6))
    assert abs(est.dimension - d) <= 0.2 * d, est.dimension
