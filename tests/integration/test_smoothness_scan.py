"""A tiny smoothness scan through the CLI: its rows and verdict, and reference learners on the network's data."""

import json

import numpy as np
import pytest

from manifold_scaling.cli import main

TINY = [
    "--sizes", "32", "64", "128", "--seeds", "2", "--width", "32", "--steps-per-point", "2",
    "--min-steps", "200", "--max-steps", "300", "--n-test", "256", "--n-val", "64",
    "--bootstrap", "60", "--no-progress",
]  # fmt: skip


@pytest.fixture(scope="module")
def scan(tmp_path_factory):
    out = tmp_path_factory.mktemp("scan") / "s"
    args = ["smoothness-scan", "--dims", "2", "--nus", "0.5", "3.5", *TINY, "--out", str(out)]
    assert main(args) == 0
    return json.loads((out / "summary.json").read_text()), out


def test_smoothness_scan_rows_and_verdict(scan):
    summary, out = scan
    rows = summary["results"]
    assert {(r["nu"], r["learner"]) for r in rows} == {
        (nu, learner) for nu in (0.5, 3.5) for learner in ("network", "simplex", "kernel")
    }
    for r in rows:
        for field in (
            "d", "alpha", "alpha_ci", "fit_window", "predicted", "reading", "agreement",
            "predicted_band",
        ):  # fmt: skip
            assert field in r
        pred = r["predicted"]
        assert pred["piecewise_linear"] == pytest.approx(min(2 * r["nu"], 4) / 2)
        assert pred["kernel"] == pytest.approx(min(2 * r["nu"], 2 * 2 + 2) / 2)
        if r["alpha"] is not None and r["alpha_ci"] is not None:
            assert r["alpha_ci"][0] <= r["alpha"] <= r["alpha_ci"][1]
    (verdict,) = summary["verdicts"]
    # on the cube at d = 2 the kernel band [1.5, 3] holds the piecewise-linear 2 at both nu:
    # no nu separates the theories, so the scan cannot decide (and says so)
    assert verdict["d"] == 2 and verdict["follows"] == "undetermined"
    assert not any(p["discriminating"] for p in verdict["points"])
    assert "2 are needed" in verdict["reading"]
    assert (out / "smoothness.png").stat().st_size > 1000


def test_reference_learners_share_the_networks_data(scan):
    _, out = scan
    trials = [json.loads(x) for x in (out / "trials.jsonl").read_text().splitlines()]
    for t in trials:
        m = t["metrics"]
        assert 0 < m["interior_fraction"] <= 1
        for key in ("simplex_test_loss", "kernel_test_loss", "test_loss_interior", "nn_spacing"):
            assert np.isfinite(m[key])
        assert t["config"]["pool_size"] == 128 and t["config"]["hull_size"] == 32
