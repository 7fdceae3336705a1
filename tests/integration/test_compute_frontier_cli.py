"""compute-frontier end to end through the CLI on a tiny grid."""

import json

import pytest

from manifold_scaling.cli import main
from manifold_scaling.studies.joint_scaling import JointScalingConfig


def test_compute_frontier_end_to_end(tmp_path):
    out = tmp_path / "cf"
    args = [
        "compute-frontier",
        "--dims",
        "2",
        "--sizes",
        "32",
        "64",
        "128",
        "--seeds",
        "1",
        "--widths",
        "4",
        "8",
        "16",
        "--steps-per-point",
        "2",
        "--min-steps",
        "200",
        "--max-steps",
        "300",
        "--n-test",
        "256",
        "--n-val",
        "64",
        "--bootstrap",
        "50",
        "--no-progress",
        "--out",
        str(out),
    ]
    assert main(args) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert len(summary["grid"]) == 9
    for k in ("E", "A", "a", "B", "b", "ci"):
        assert k in summary["fit"]
    assert summary["predicted_frontier_exponent"] == pytest.approx(1.0)  # 2/d at d = 2
    assert len(summary["frontier"]["compute"]) == JointScalingConfig().frontier_points
    assert (out / "joint_fit.png").stat().st_size > 1000
