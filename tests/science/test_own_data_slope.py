"""On your own data of a known intrinsic dimension, the fitted alpha against 4/d-hat (slow)."""

from __future__ import annotations

import json

import jax
import numpy as np
import pytest

from manifold_scaling.cli import main
from manifold_scaling.manifolds import ManifoldConfig, sample_manifold
from manifold_scaling.teachers import TeacherConfig


@pytest.mark.slow
def test_alpha_against_four_over_d_hat(tmp_path):
    """Enough training that the network's alpha_D is read against 4/d_hat (d = 2: about 2)."""
    x, y = _manifold_data(n=3000)
    np.save(tmp_path / "X.npy", x)
    np.save(tmp_path / "y.npy", y)
    out = tmp_path / "run"
    argv = ["data-scaling", "--data", str(tmp_path / "X.npy"), "--targets", str(tmp_path / "y.npy"),
            "--sizes", "128", "256", "512", "1024", "2048", "--seeds", "2", "--n-test", "900",
            "--bootstrap", "200", "--interpolation-ratio", "0.25", "--no-figures",
            "--out", str(out)]  # fmt: skip
    # train/test stays near 0.2 at this budget (test losses fall cleanly): the window rule is
    # loosened to 0.25 in advance, as a user would for a study of this size.
    assert main(argv) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert abs(summary["result"]["d_hat"] - 2.0) < 0.2
    for r in summary["results"]:  # network and kernel: alpha_D about 4/d_hat
        if r["alpha"] is None:
            # At this budget every network cell is still improving over the last doubling of
            # its steps (measured: 10 of 10), so the per-cell rule gives no verdict; the fit on
            # all cells is its diagnostic (measured 2.13 [1.76, 2.51]) and is held to the same
            # tolerance. The kernel has no optimiser and gets a verdict (measured 2.22).
            assert r["learner"] == "network" and r["reading"].startswith("no verdict"), r
            alpha = r["sensitivity"]["alpha"]
        else:
            alpha = r["alpha"]
            assert r["satisfies_bound"]
        assert 0.8 <= alpha / r["predicted_alpha"] <= 1.35, (r["learner"], alpha)
    assert any(r["alpha"] is not None for r in summary["results"])


def _manifold_data(n=800, d=2):
    from manifold_scaling.studies.trials import draw_setup

    embedder, teacher = draw_setup(
        3, ManifoldConfig(intrinsic_dim=d, ambient_dim=6), TeacherConfig()
    )
    sample = sample_manifold(jax.random.PRNGKey(1), embedder, n)
    return np.asarray(sample.x, np.float32), np.asarray(teacher(sample.z), np.float32)
