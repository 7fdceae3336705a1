"""The joint L(N, D) study: known surfaces are recovered, the frontier follows ab/(a+b), CLI works."""

import numpy as np
import pytest

from manifold_scaling.cli import main
from manifold_scaling.errors import InputError
from manifold_scaling.fitting import predicted_frontier_exponent
from manifold_scaling.studies.joint_scaling import JOINT_BASE, JointScalingConfig, analyse_joint


def _grid(E, A, a, B, b, *, noise=0.01, seed=0):
    rng = np.random.default_rng(seed)
    rows = []
    for n in (300, 1000, 3000, 10000, 30000):
        for d in (64, 128, 256, 512, 1024, 2048):
            loss = (E + A * n ** (-a) + B * d ** (-b)) * np.exp(noise * rng.standard_normal())
            rows.append({"n_params": n, "n_train": d, "seed": 0, "test_loss": loss})
    return rows


@pytest.mark.parametrize("a,b,B", [(1.0, 1.0, 30.0), (1.33, 0.67, 2.0)])
def test_joint_fit_recovers_a_known_surface(a, b, B, key):
    E = 1e-2  # comparable to the smallest losses on the grid, so that it is identifiable
    config = JointScalingConfig()
    verdict = analyse_joint(_grid(E, 50.0, a, B, b), config, key=key)
    fit = verdict.fit
    assert fit["a"] == pytest.approx(a, rel=0.1)
    assert fit["b"] == pytest.approx(b, rel=0.1)
    assert fit["E"] == pytest.approx(E, rel=0.15)
    assert fit["ci"]["a"][0] <= a <= fit["ci"]["a"][1] or fit["a"] == pytest.approx(a, rel=0.03)
    assert verdict.frontier_exponent == pytest.approx(a * b / (a + b), rel=0.1)
    # The prediction is a = b = 4/d, hence 2/d along the frontier.
    d = config.d
    assert verdict.predicted_exponent == pytest.approx(4 / d)
    assert verdict.predicted_frontier_exponent == pytest.approx(2 / d)


def test_frontier_slope_matches_the_fitted_exponent(key):
    verdict = analyse_joint(_grid(1e-3, 50.0, 1.0, 30.0, 1.0), JointScalingConfig(), key=key)
    c = np.asarray(verdict.frontier["compute"])
    excess = np.asarray(verdict.frontier["loss"]) - verdict.fit["E"]
    slope = -np.polyfit(np.log(c), np.log(excess), 1)[0]
    assert slope == pytest.approx(verdict.frontier_exponent, rel=0.02)
    # Along the frontier both N and D grow with compute.
    assert np.all(np.diff(verdict.frontier["N"]) > 0) and np.all(np.diff(verdict.frontier["D"]) > 0)
    assert predicted_frontier_exponent(1.0, 1.0) == pytest.approx(0.5)


def test_config_rejects_bad_input():
    with pytest.raises(InputError, match="widths"):
        JointScalingConfig(widths=(8, 16))
    from dataclasses import replace

    with pytest.raises(InputError, match="dims"):
        JointScalingConfig(base=replace(JOINT_BASE, dims=(2, 3)))


def test_compute_frontier_cli_bad_input(tmp_path, capsys):
    code = main(["compute-frontier", "--dims", "2", "3", "--out", str(tmp_path / "x")])
    err = capsys.readouterr().err
    assert code == 2 and "--dims" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "x").exists()
