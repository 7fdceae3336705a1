"""A tiny end-to-end data-scaling sweep through the CLI, its records, and its bad inputs."""

import json
from dataclasses import replace

import numpy as np
import pytest

from manifold_scaling.cli import main
from manifold_scaling.studies.base import DataScalingConfig
from manifold_scaling.studies.findings import Agreement
from manifold_scaling.studies.verdict import analyse_curve, convergence_cell_rule, design_rule

TINY = [
    "--dims", "2", "3",
    "--sizes", "32", "64", "128",
    "--seeds", "2",
    "--ambient-dim", "6",
    "--width", "48",
    "--steps-per-point", "4", "--min-steps", "300", "--max-steps", "600",
    "--n-test", "512", "--n-val", "128", "--bootstrap", "100",
    "--no-progress",
]  # fmt: skip


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


@pytest.mark.parametrize(
    "args,needle",
    [
        (["--dims", "0"], "--dims"),
        (["--dims", "8", "--ambient-dim", "4"], "--ambient-dim"),
        (["--sizes", "0", "64", "128"], "--sizes"),
        (["--sizes", "-5", "64", "128"], "--sizes"),
        (["--seeds", "0"], "--seeds"),
        (["--seed", "-1"], "--seed"),
        (["--embedding", "fold"], "--embedding"),
        (["--teacher-r2", "1.5"], "--teacher-r2"),
        (["--lr", "-1"], "--lr"),
        (["--dims", "two"], "--dims"),
    ],
)
def test_bad_input_one_line_exit_2(args, needle, tmp_path, capsys):
    out = tmp_path / "bad"
    code = main(["data-scaling", "--out", str(out), "--no-progress", *args])
    err = capsys.readouterr().err
    assert code == 2
    assert needle in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err
    assert not out.exists()  # nothing written for a config that never ran


def _rows(d, alpha, sizes, seeds=2, unconverged=(), noise=0.03, rng=None):
    """Synthetic cells; ``unconverged`` lists (seed, size) cells whose validation loss was still
    falling (``val_tail_dlog`` above the 0.05 tolerance)."""
    rng = rng or np.random.default_rng(0)
    rows = []
    for s in sizes:
        for k in range(seeds):
            test = 3.0 * s ** (-alpha) * np.exp(noise * rng.standard_normal())
            moving = (k, s) in unconverged
            rows.append(
                {"n_train": s, "seed": k, "test_loss": test * (3.0 if moving else 1.0),
                 "train_loss": 0.01 * test, "n_params": 10**6,
                 "val_tail_dlog": 0.3 if moving else 0.01}
            )  # fmt: skip
    return rows


def _analyse(d, rows, config, key):
    return analyse_curve(
        d, rows, design_rule(config.min_params_per_point), predicted=config.predicted_alpha(d),
        key=key, n_bootstrap=config.n_bootstrap,
        cell_rule=convergence_cell_rule(config.convergence_tol, config.max_excluded_share),
    )  # fmt: skip


def test_cells_not_sizes_are_excluded(key):
    config = DataScalingConfig(dims=(4,), n_bootstrap=200)
    sizes = [128, 256, 512, 1024, 2048, 4096]
    verdict = _analyse(4, _rows(4, 1.0, sizes, seeds=4, unconverged={(1, 4096)}), config, key)
    # one unconverged cell at D = 4096 leaves the size (and the other replicates) in the fit
    assert verdict.fit_window == (128, 4096)
    assert verdict.cells.n_cells == 24 and verdict.cells.n_excluded == 1
    assert verdict.cells.excluded[0].startswith("1@4096")
    assert verdict.alpha == pytest.approx(1.0, abs=0.05)
    assert verdict.agreement is Agreement.CONSISTENT and "consistent with 4/d" in verdict.reading
    assert "1 of 24 cells excluded by the convergence rule" in verdict.reading
    # the sensitivity fit on every cell feels the unconverged (too high) point
    assert verdict.sensitivity.alpha < verdict.alpha


def test_too_many_failing_cells_give_no_verdict(key):
    config = DataScalingConfig(dims=(4,), n_bootstrap=200)
    sizes = [128, 256, 512, 1024]
    bad = {(k, s) for k in range(2) for s in (512, 1024)}  # 4 of 8 cells
    verdict = _analyse(4, _rows(4, 1.0, sizes, unconverged=bad), config, key)
    assert verdict.alpha is None and verdict.agreement is None and not verdict.consistent
    assert verdict.reading.startswith("no verdict: 4 of 8 cells (50%) fail")
    assert verdict.sensitivity is not None  # reported beside, as a diagnostic


def test_analysis_says_above_the_bound(key):
    config = DataScalingConfig(dims=(8,), n_bootstrap=200)
    sizes = [128, 256, 512, 1024, 2048]
    verdict = _analyse(8, _rows(8, 1.0, sizes), config, key)
    assert verdict.ratio == pytest.approx(2.0, rel=0.1)
    assert verdict.agreement is Agreement.INCONSISTENT
    assert "inconsistent with 4/d" in verdict.reading and "lies above" in verdict.reading
    assert not verdict.within_tolerance


def test_config_file_errors_and_unreachable_scheduler(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"dims": [3], "sizes": [64, 128, 256], "unknown_knob": 1}))
    out = tmp_path / "never"
    assert main(["data-scaling", "--config", str(bad), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "unknown_knob" in err and len(err.strip().splitlines()) == 1
    wrong_type = tmp_path / "wrong.json"
    wrong_type.write_text(json.dumps({"dims": [3], "seeds": "three"}))
    assert main(["data-scaling", "--config", str(wrong_type), "--out", str(out)]) == 2
    assert "seeds" in capsys.readouterr().err
    code = main(
        ["data-scaling", *TINY, "--out", str(out), "--backend", "dask",
         "--scheduler", "tcp://127.0.0.1:9"]
    )  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and "--scheduler" in err and "Traceback" not in err
    assert not (out / "trials").exists()


@pytest.mark.integration  # slow tier: runs in .ci/run's second pytest
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


def test_the_teacher_population_rule_keeps_draws_inside_the_length_band(monkeypatch):
    """A rule on the teacher alone: draws whose nonlinear length scale is outside the band are
    replaced by the replicate's next draw; the same seed gives the same teachers."""
    from manifold_scaling.errors import InputError
    from manifold_scaling.studies.base import replicates

    band = (0.2, 0.3)
    config = DataScalingConfig(dims=(2,), seeds=4, ambient_dim=8, teacher_length_band=band)
    reps = replicates(config, 2)
    scales = [r.teacher.length_scale for r in reps]
    assert all(band[0] <= s <= band[1] for s in scales), scales
    free = replicates(replace(config, teacher_length_band=None), 2)
    # where the first draw is inside the band it is kept, otherwise a later draw replaces it
    for kept, first in zip(reps, free):
        inside = band[0] <= first.teacher.length_scale <= band[1]
        assert (kept.draw == 0) == inside
        assert (kept.data_seed == first.data_seed) == inside
    assert [r.data_seed for r in replicates(config, 2)] == [r.data_seed for r in reps]
    assert reps[0].to_dict()["teacher_draw"] == reps[0].draw
    from manifold_scaling.studies import base

    monkeypatch.setattr(base, "MAX_TEACHER_DRAWS", 3)  # an unreachable band fails after 3 draws
    with pytest.raises(InputError, match="no teacher among 3 draws"):
        replicates(replace(config, teacher_length_band=(5.0, 6.0)), 2)
