"""Tiny model-scaling runs through the CLI: the summary and per-point convergence, a resume with identical numbers, and the sharma-kaplan2020 preset run."""

import json

import pytest

from manifold_scaling.cli import main

TINY = [
    "--dims",
    "2",
    "3",
    "--widths",
    "4",
    "8",
    "16",
    "--seeds",
    "2",
    "--steps",
    "1000",
    "--n-test",
    "512",
    "--n-val",
    "128",
    "--bootstrap",
    "60",
    "--no-progress",
]


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("ms") / "run"
    assert main(["model-scaling", *TINY, "--convergence-tol", "0.5", "--out", str(out)]) == 0
    return out


def test_summary_has_the_data_scaling_fields_and_per_point_convergence(tiny_run):
    summary = json.loads((tiny_run / "summary.json").read_text())
    assert summary["study"] == "model-scaling"
    assert [r["d"] for r in summary["results"]] == [2, 3]
    for res in summary["results"]:
        for f in ("d", "alpha", "alpha_ci", "predicted_alpha", "fit_window", "ratio", "reading"):
            assert f in res
        assert res["predicted_alpha"] == pytest.approx(4 / res["d"])
        per = res["diagnostics"]["per_size"]
        assert len(per) == 3 and all(len(p["converged"]) == 2 for p in per)
        sizes = [p["size"] for p in per]
        assert sizes == sorted(sizes) and sizes[0] < sizes[-1]  # N grows with the width
        # Bigger students reach lower loss at unlimited data.
        losses = [p["test_loss_mean"] for p in per]
        assert losses[-1] < losses[0]
        if res["alpha"] is not None:
            lo, hi = res["alpha_ci"]
            assert lo <= res["alpha"] <= hi
            assert res["fit_window"][0] >= sizes[0]
    assert "converged" in summary["convergence_rule"]
    for name in (
        "loss_vs_params.png",
        "local_slopes.png",
        "four_over_alpha.png",
        "convergence.png",
    ):
        assert (tiny_run / name).stat().st_size > 1000
    rows = [json.loads(line) for line in (tiny_run / "trials.jsonl").read_text().splitlines()]
    assert len(rows) == 2 * 3 * 2


def test_rerun_resumes_with_identical_numbers(tiny_run):
    before = json.loads((tiny_run / "summary.json").read_text())
    assert (
        main(
            [
                "model-scaling",
                *TINY,
                "--convergence-tol",
                "0.5",
                "--out",
                str(tiny_run),
                "--no-figures",
            ]
        )
        == 0
    )
    after = json.loads((tiny_run / "summary.json").read_text())
    assert after["trials"]["skipped"] == 12 and after["trials"]["run"] == 0
    assert [r["alpha"] for r in after["results"]] == [r["alpha"] for r in before["results"]]


TINY_PRESET = [
    "--preset", "sharma-kaplan2020", "--dims", "2", "--seeds", "2", "--n-widths", "3",
    "--teacher-width", "16", "--precision", "float32", "--budget-fraction", "0.0005", "0.001",
    "--phase-steps", "200000", "100000", "100000", "--n-val", "128", "--n-test", "400",
    "--bootstrap", "50", "--no-progress",
]  # fmt: skip


@pytest.fixture(scope="module")
def preset_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("sk") / "run"
    assert main(["model-scaling", *TINY_PRESET, "--out", str(out)]) == 0
    return out


def test_preset_run_records_preset_overrides_and_alpha_per_budget(preset_run):
    summary = json.loads((preset_run / "summary.json").read_text())
    assert summary["preset"] == "sharma-kaplan2020"
    overrides = set(summary["overrides"])
    assert {"dims", "seeds", "teacher_width", "precision", "budget_fraction"} <= overrides
    assert [r["budget_fraction"] for r in summary["results"]] == [0.0005, 0.001]
    assert [r["budget_fraction"] for r in summary["alpha_vs_budget"]] == [0.0005, 0.001]
    assert set(summary["budget_reading"]) == {"2"}
    for res in summary["results"]:
        assert res["projected_full_budget_s"] > res["wall_time_s"] > 0
        assert 0.5 < res["layer_id_mle_median"] < 8 and 0.5 < res["layer_id_twonn_median"] < 8
    assert summary["config"]["phase_steps"] == [200000, 100000, 100000]
    rows = [json.loads(line) for line in (preset_run / "trials.jsonl").read_text().splitlines()]
    assert len(rows) == 2 * 2 * 3
    steps = {r["metrics"]["budget_fraction"]: r["metrics"]["steps"] for r in rows}
    assert steps == {0.0005: 100 + 100 + 100, 0.001: 200 + 100 + 100}
    assert "alpha_vs_budget" in summary["figures"]


def test_preset_run_resumes_without_running_anything(preset_run, capsys):
    assert main(["model-scaling", *TINY_PRESET, "--out", str(preset_run)]) == 0
    summary = json.loads((preset_run / "summary.json").read_text())
    assert summary["trials"] == {"total": 12, "run": 0, "skipped": 12}
