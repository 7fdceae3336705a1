"""A tiny end-to-end data-scaling sweep through the CLI: its summary, its records, a rerun, and the devices backend on 2 host devices."""

import json

import numpy as np
import pytest
from _configs import DATA_SCALING_TINY as TINY

from manifold_scaling.cli import main


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("ds") / "run"
    assert main(["data-scaling", *TINY, "--out", str(out)]) == 0
    return out


def test_summary_has_the_public_fields(tiny_run):
    summary = json.loads((tiny_run / "summary.json").read_text())
    assert summary["config"]["dims"] == [2, 3]
    # One row per (d, learner); the network's rows keep their meaning.
    assert [(r["d"], r["learner"]) for r in summary["results"]] == [
        (d, learner) for d in (2, 3) for learner in ("network", "simplex", "kernel")
    ]
    for res in [r for r in summary["results"] if r["learner"] == "network"]:
        for field in (
            "d",
            "alpha",
            "alpha_ci",
            "predicted_alpha",
            "fit_window",
            "reading",
            "ratio",
        ):
            assert field in res
        assert res["predicted_alpha"] == pytest.approx(4 / res["d"])
        assert res["teacher"]["linear_r2"] == pytest.approx(0.7, abs=0.05)
        if res["alpha"] is not None:
            lo, hi = res["alpha_ci"]
            assert lo <= res["alpha"] <= hi
    for name in ("loss_vs_size.png", "local_slopes.png", "four_over_alpha.png"):
        assert (tiny_run / name).stat().st_size > 1000
    prov = summary["provenance"]
    assert "jax" in prov["versions"] and prov["device"]["platform"] == "cpu"


def test_per_trial_records_carry_diagnostics(tiny_run):
    rows = [json.loads(line) for line in (tiny_run / "trials.jsonl").read_text().splitlines()]
    assert len(rows) == 2 * 3 * 2
    metrics = rows[0]["metrics"] if "metrics" in rows[0] else rows[0]
    for field in ("train_loss", "test_loss", "train_test_ratio", "steps", "n_params"):
        assert field in json.dumps(metrics)


def test_rerun_is_identical_and_skips(tiny_run, tmp_path):
    before = (tiny_run / "trials.csv").read_text()
    assert main(["data-scaling", *TINY, "--out", str(tiny_run)]) == 0
    assert (tiny_run / "trials.csv").read_text() == before
    # A fresh directory with the same config and seed gives the same numbers.
    other = tmp_path / "again"
    assert main(["data-scaling", *TINY, "--out", str(other), "--no-figures"]) == 0
    a = json.loads((tiny_run / "summary.json").read_text())["results"]
    b = json.loads((other / "summary.json").read_text())["results"]
    assert [r["alpha"] for r in a] == [r["alpha"] for r in b]


def test_devices_backend_on_two_host_devices_matches_local(tiny_run, tmp_path):
    """Student batches sharded over 2 forced CPU devices agree with the local run to float
    tolerance (a vmapped program is not bit-identical to a per-trial one; local, dask and
    submitit are)."""
    import os
    import subprocess
    import sys

    out = tmp_path / "dev"
    env = {
        **os.environ,
        "XLA_FLAGS": "--xla_force_host_platform_device_count=2",
        "JAX_PLATFORMS": "cpu",
    }
    code = (
        "import sys, jax; assert jax.device_count() == 2, jax.devices();"
        "from manifold_scaling.cli import main;"
        f"sys.exit(main(['data-scaling', *{TINY!r}, '--out', {str(out)!r}, '--no-figures',"
        "'--backend', 'devices']))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    local = [json.loads(x) for x in (tiny_run / "trials.jsonl").read_text().splitlines()]
    dev = [json.loads(x) for x in (out / "trials.jsonl").read_text().splitlines()]
    assert [r["config_hash"] for r in local] == [r["config_hash"] for r in dev]
    a = np.array([r["metrics"]["test_loss"] for r in local])
    b = np.array([r["metrics"]["test_loss"] for r in dev])
    np.testing.assert_allclose(b, a, rtol=0.05)
