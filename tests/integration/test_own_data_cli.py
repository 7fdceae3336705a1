"""Your own data through the CLI and from Python: a tiny run end to end, its resume, and run_own_data matching the command."""

from __future__ import annotations

import json

import numpy as np
import pytest
from _configs import OWN_DATA_TINY as TINY
from _data import OWN_SMALL, OWN_SMALL_ARGV, curved_sheet

from manifold_scaling.cli import main


@pytest.fixture(scope="module")
def tiny_run(own_arrays):
    root, _, _ = own_arrays
    out = root / "run"
    argv = ["data-scaling", "--data", str(root / "X.npy"), "--targets", str(root / "y.npy")]
    assert main([*argv, *TINY, "--out", str(out)]) == 0
    return argv, out, json.loads((out / "summary.json").read_text())


def test_own_data_end_to_end(tiny_run):
    _, out, summary = tiny_run
    assert summary["study"] == "own-data"
    d_hat = summary["result"]["d"]
    assert abs(d_hat - 2.0) < 0.4  # within 20 % of the manifold's d
    lo, hi = summary["intrinsic_dimension"]["calibrated"]["ci"]
    assert summary["data"]["task"] == "regression"
    learners = {r["learner"]: r for r in summary["results"]}
    assert set(learners) == {"network", "kernel"}
    for r in learners.values():
        assert r["predicted_alpha"] == pytest.approx(4.0 / d_hat)
        assert r["d_hat_ci"] == [lo, hi]
        assert r["predicted_alpha_range"] == pytest.approx([4.0 / hi, 4.0 / lo])
        assert isinstance(r["satisfies_bound"], bool)
    trials = [json.loads(p.read_text()) for p in (out / "trials").glob("*/config.json")]
    if not trials:  # the record layout: one JSON per trial, config inside
        from manifold_scaling.sweep import load_records

        trials = [r.config for r in load_records(out)]
    assert len(trials) == 6
    assert {t["sha256"] for t in trials} == {summary["data"]["sha256"]}


def test_own_data_resumes(tiny_run, capsys):
    argv, out, _ = tiny_run
    assert main([*argv, *TINY, "--out", str(out)]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["trials"] == {"total": 6, "run": 0, "skipped": 6}


def test_run_own_data_from_python_matches_the_command(tmp_path, monkeypatch):
    """A 2-D latent in 5 dimensions, 300 points: run_own_data on the arrays (a DataFrame and a
    Series when pandas is there) and the command on the same arrays saved to files, same seed."""
    import tempfile

    from manifold_scaling.studies import load_summary
    from manifold_scaling.studies.own_data import run_own_data
    from manifold_scaling.studies.protocol import StudySummary
    from manifold_scaling.sweep import SweepOptions

    x, y = curved_sheet(300)
    np.save(tmp_path / "X.npy", x)
    np.save(tmp_path / "y.npy", y)
    out = tmp_path / "cli"
    assert main(["data-scaling", "--data", str(tmp_path / "X.npy"), "--targets",
                 str(tmp_path / "y.npy"), *OWN_SMALL_ARGV, "--out", str(out)]) == 0  # fmt: skip
    cli = load_summary(out)
    try:
        import pandas as pd

        X, Y = pd.DataFrame(x, columns=[f"f{i}" for i in range(5)]), pd.Series(y, name="y")
    except ImportError:
        X, Y = x, y
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    quiet = SweepOptions(progress=False)
    py = run_own_data(X, Y, seed=0, **OWN_SMALL, options=quiet)  # out=None: a temporary directory
    assert isinstance(py, StudySummary) and py.study == "own-data"
    assert list((tmp_path / "tmp").iterdir()) == []  # removed afterwards
    assert py.fields["data"]["sha256"] == cli.fields["data"]["sha256"]
    assert py.fields["intrinsic_dimension"] == cli.fields["intrinsic_dimension"]
    assert [v.learner for v in py.results] == [v.learner for v in cli.results] == [
        "network", "kernel"]  # fmt: skip
    for a, b in zip(py.results, cli.results):
        assert (a.alpha, a.alpha_ci, a.reading) == (b.alpha, b.alpha_ci, b.reading)
        assert (a.d_hat, a.d_hat_ci, a.satisfies_bound) == (b.d_hat, b.d_hat_ci, b.satisfies_bound)
        assert a.d_hat_ci[0] <= a.d_hat <= a.d_hat_ci[1] and a.reading
    assert py.fields["data"]["path"] == "memory:" + py.fields["data"]["sha256"]
    # With out: the study's directory, resumed on a second call (the trials name the arrays by
    # their hash, not by a path).
    kept = tmp_path / "py"
    first = run_own_data(x, y, out=kept, **{**OWN_SMALL, "learners": ["kernel"]}, options=quiet)
    again = run_own_data(x, y, out=kept, **{**OWN_SMALL, "learners": ["kernel"]}, options=quiet)
    assert json.loads((kept / "summary.json").read_text())["study"] == "own-data"
    assert (
        again.sweep["trials"]["skipped"] == 6 and again.results[0].alpha == first.results[0].alpha
    )
    assert first.results[0].alpha == cli.results[1].alpha  # the kernel's, as in the command
