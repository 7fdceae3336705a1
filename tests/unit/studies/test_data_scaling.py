"""A tiny end-to-end data-scaling sweep through the CLI, its records, and its bad inputs."""

import json
from dataclasses import replace

import pytest
from _configs import DATA_SCALING_TINY as TINY

from manifold_scaling.cli import main
from manifold_scaling.studies.base import DataScalingConfig


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
