"""ambient-invariance end to end through the CLI on a tiny config."""

import json

import pytest

from manifold_scaling.cli import main


def test_ambient_invariance_end_to_end(tmp_path):
    out = tmp_path / "amb"
    args = [
        "ambient-invariance",
        "--dims",
        "2",
        "--sizes",
        "32",
        "64",
        "128",
        "--seeds",
        "2",
        "--width",
        "32",
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
        "60",
        "--interpolation-ratio",
        "0.9",
        "--ambient-dims",
        "6",
        "12",
        "--embeddings",
        "rotation",
        "--no-progress",
        "--no-figures",
        "--out",
        str(out),
    ]
    assert main(args) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert [v["label"] for v in summary["variants"]] == ["rotation-6", "rotation-12"]
    assert summary["trials"]["total"] == 2 * 3 * 2
    assert set(summary["agreement"]) >= {"all_agree", "pairs", "spread"}
    assert isinstance(summary["reading"], str) and summary["reading"]
    for v in summary["variants"]:
        assert v["result"]["predicted_alpha"] == pytest.approx(2.0)
