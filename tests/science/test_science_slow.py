"""Slow science checks (``pytest -m slow``): real sweeps, judged with tolerances."""

import json

import pytest

from manifold_scaling.cli import main

pytestmark = pytest.mark.slow


def test_quick_reproduction_runs_and_every_exponent_is_at_least_near_the_bound(tmp_path):
    """The --quick reproduction: every d gets a window and an exponent, and no exponent is far
    below 4/d (the bound is an upper bound on the loss, so alpha >= 4/d up to noise)."""
    out = tmp_path / "quick"
    assert main(["reproduce", "--quick", "--out", str(out), "--no-progress"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    for res in summary["results"]:
        assert res["alpha"] is not None, res["reading"]
        assert res["ratio"] > 0.6, (res["d"], res["ratio"])
        assert res["fit_window"][1] / res["fit_window"][0] >= 4


def test_exponent_falls_with_intrinsic_dimension(tmp_path):
    """alpha_D decreases with d at fixed everything else (the qualitative content of 4/d)."""
    out = tmp_path / "ds"
    args = ["data-scaling", "--dims", "2", "6", "--sizes", "64", "128", "256", "512",
            "--seeds", "2", "--width", "128", "--steps-per-point", "8", "--max-steps", "5000",
            "--n-test", "4096", "--no-figures", "--no-progress", "--out", str(out)]  # fmt: skip
    assert main(args) == 0
    results = {r["d"]: r for r in json.loads((out / "summary.json").read_text())["results"]}
    assert results[2]["alpha"] > 1.5 * results[6]["alpha"]
