"""Same config + seed -> same numbers, whatever JAX's x64 mode was when the draws happened."""

import subprocess
import sys

CODE = """
import jax, numpy as np
if {x64}:
    jax.config.update("jax_enable_x64", True)
from manifold_scaling.manifolds import ManifoldConfig, init_embedding, sample_manifold
from manifold_scaling.teachers import TeacherConfig, init_teacher
from manifold_scaling.students import StudentConfig, init_student
k = jax.random.key(3)
emb = init_embedding(k, ManifoldConfig(intrinsic_dim=3, ambient_dim=8, embedding="network"))
s = sample_manifold(k, emb, 5)
t = init_teacher(k, TeacherConfig(), 3)
p = init_student(k, StudentConfig(width=4), 8)
print(np.asarray(s.x, np.float32).sum(), np.asarray(t(s.z), np.float32).sum(), float(p[0][0].sum()))
"""


def _run(x64: bool) -> str:
    out = subprocess.run(
        [sys.executable, "-c", CODE.format(x64=x64)], capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout.split()


def test_draws_do_not_depend_on_x64_mode():
    a, b = _run(False), _run(True)
    for u, v in zip(a, b):
        assert abs(float(u) - float(v)) <= 1e-5 * max(1.0, abs(float(u)))
