"""Sweep runner, in-process: records, resume after corruption, changed configs, bad inputs."""

from __future__ import annotations

import argparse
import json
import logging
import socket
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # sweep_toy, as Dask workers import it

from sweep_toy import (  # noqa: E402
    ToyConfig,
    ToySweep,
    failing_trial,
    table_rows,
    toy_configs,
    toy_trial,
)

from manifold_scaling import sweep  # noqa: E402
from manifold_scaling.configs import config_hash  # noqa: E402
from manifold_scaling.errors import InputError  # noqa: E402
from manifold_scaling.sweep import (  # noqa: E402
    CorruptRecord,
    SweepError,
    SweepOptions,
    load_records,
    load_sweep_config,
    run_sweep,
)
from manifold_scaling.sweep.records import npz_bytes, record_fields_for_comparison  # noqa: E402
from manifold_scaling.sweep.runner import _OutDirLock  # noqa: E402

QUIET = SweepOptions(progress=False)


def _run(out, sweep_cfg=None, trial=toy_trial, options=QUIET):
    sweep_cfg = sweep_cfg or ToySweep(seeds=(0, 1, 2, 3))
    return run_sweep(
        trial, toy_configs(sweep_cfg), out, options=options, study="toy", sweep_config=sweep_cfg
    )


def test_public_api_names_exist():
    for name in sweep.__all__:
        assert hasattr(sweep, name), name


def test_records_round_trip_in_config_order_and_match_the_trial(tmp_path):
    result = _run(tmp_path / "out")
    configs = toy_configs(ToySweep(seeds=(0, 1, 2, 3)))
    assert (result.n_run, result.n_skipped, result.n_rerun_corrupt) == (4, 0, 0)
    assert [r.config_hash for r in result.records] == [config_hash(c) for c in configs]
    for record, config in zip(result.records, configs):
        expected = toy_trial(config)
        assert record.metrics == expected.metrics
        np.testing.assert_array_equal(record.arrays["curve"], expected.arrays["curve"])
        assert record.path == tmp_path / "out" / "trials" / record.config_hash
        assert set(record.provenance) == {"versions", "device"}
        assert "wall_time_s" not in record.metrics and record.wall_time_s >= 0
    on_disk = json.loads((result.records[0].path / "record.json").read_text())
    assert on_disk["status"] == "complete" and len(on_disk["arrays"]["sha256"]) == 64
    manifest = json.loads(result.manifest_path.read_text())
    assert manifest["config_hashes"] == [r.config_hash for r in result.records]
    assert manifest["status"] == "complete" and manifest["counts"]["complete"] == 4
    rows = table_rows(result.table_path)
    assert [int(r["config.seed"]) for r in rows] == [0, 1, 2, 3]
    assert float(rows[2]["metrics.final"]) == result.records[2].metrics["final"]
    jsonl = [
        json.loads(line) for line in (tmp_path / "out" / "trials.jsonl").read_text().splitlines()
    ]
    assert [j["metrics"] for j in jsonl] == [r.metrics for r in result.records]
    loaded = load_records(tmp_path / "out", strict=True)
    assert [record_fields_for_comparison(r) for r in loaded] == [
        record_fields_for_comparison(r) for r in result.records
    ]


def test_npz_is_byte_reproducible_and_never_pickles():
    arrays = {"curve": np.linspace(0, 1, 5), "ints": np.arange(3)}
    assert npz_bytes(arrays) == npz_bytes(dict(reversed(arrays.items())))
    with pytest.raises(TypeError, match="pickle"):
        npz_bytes({"bad": np.array([{"a": 1}], dtype=object)})


def test_resume_skips_finished_trials_and_adds_nothing(tmp_path):
    first = _run(tmp_path / "out")
    stamp = {r.config_hash: (r.path / "record.json").stat().st_mtime_ns for r in first.records}
    again = _run(tmp_path / "out")
    assert (again.n_run, again.n_skipped) == (0, 4)
    assert {
        r.config_hash: (r.path / "record.json").stat().st_mtime_ns for r in again.records
    } == stamp
    assert table_rows(again.table_path) == table_rows(first.table_path)
    history = json.loads(again.manifest_path.read_text())["history"]
    assert len(history) == 1 and history[0]["counts"]["run"] == 4


def test_corrupt_and_partial_records_are_detected_rerun_and_counted(tmp_path, caplog):
    reference = _run(tmp_path / "ref")
    out = tmp_path / "out"
    paths = [r.path.name for r in _run(out).records]
    trials = out / "trials"
    npz = trials / paths[0] / "arrays.npz"
    npz.write_bytes(npz.read_bytes()[:40])  # truncated
    (trials / paths[1] / "record.json").write_text('{"config": [garbage')  # unparsable
    # a valid npz, but not the one the record's checksum names
    (trials / paths[2] / "arrays.npz").write_bytes(npz_bytes({"curve": np.zeros(8)}))
    (trials / paths[3] / "record.json").unlink()  # partial: killed before the commit marker
    with pytest.raises(CorruptRecord, match="4 of 4"):
        load_records(out, strict=True)
    with caplog.at_level(logging.WARNING, logger="manifold_scaling.sweep"):
        result = _run(out)
    assert (result.n_run, result.n_skipped, result.n_rerun_corrupt) == (4, 0, 4)
    log = caplog.text
    assert "checksum mismatch" in log and "not valid JSON" in log and "partial write" in log
    assert table_rows(result.table_path) == table_rows(reference.table_path)
    assert [r.arrays["curve"].tolist() for r in result.records] == [
        r.arrays["curve"].tolist() for r in reference.records
    ]


def test_changed_config_never_reuses_records(tmp_path):
    assert config_hash(ToyConfig(0, 8)) != config_hash(ToyConfig(1, 8))
    assert config_hash(ToyConfig(0, 8)) != config_hash(ToyConfig(0, 8, sleep_s=0.1))
    out = tmp_path / "out"
    _run(out, ToySweep(seeds=(0, 1)))
    before = sorted(p.name for p in (out / "trials").iterdir())
    with pytest.raises(InputError, match="different sweep") as err:
        _run(out, ToySweep(seeds=(0, 1, 2)))
    assert err.value.parameter == "--out"
    assert sorted(p.name for p in (out / "trials").iterdir()) == before
    fresh = _run(out, ToySweep(seeds=(0, 1, 2)), options=SweepOptions(progress=False, resume=False))
    assert (fresh.n_run, fresh.n_skipped) == (3, 0)
    (old,) = (out / "superseded").iterdir()
    assert sorted(p.name for p in (old / "trials").iterdir()) == before
    assert len(table_rows(fresh.table_path)) == 3


def test_a_second_sweep_on_the_same_out_is_refused(tmp_path):
    out = tmp_path / "out"
    with _OutDirLock(out), pytest.raises(InputError, match="in use by another running sweep"):
        _run(out)
    assert not (out / "trials").exists()


def test_failed_trials_are_reported_kept_apart_and_retried_on_resume(tmp_path):
    out = tmp_path / "out"
    with pytest.raises(SweepError, match="seed 1 always fails") as err:
        _run(out, ToySweep(seeds=(0, 1, 2)), trial=failing_trial)
    bad = config_hash(ToyConfig(1, 8))
    assert list(err.value.failures) == [bad]
    assert (out / "trials" / bad / "error.json").exists()
    assert not (out / "trials" / bad / "record.json").exists()
    assert [int(r["config.seed"]) for r in table_rows(out / "trials.csv")] == [0, 2]
    assert json.loads((out / "manifest.json").read_text())["status"] == "incomplete"
    result = _run(out, ToySweep(seeds=(0, 1, 2)))
    assert (result.n_run, result.n_skipped, result.n_rerun_corrupt) == (1, 2, 0)
    assert not (out / "trials" / bad / "error.json").exists()


def test_devices_backend_without_batch_fn_falls_back_to_local(tmp_path, caplog):
    with caplog.at_level(logging.INFO, logger="manifold_scaling.sweep"):
        result = _run(tmp_path / "out", options=SweepOptions(backend="devices", progress=False))
    assert "running locally" in caplog.text
    assert result.n_run == 4


# --- bad input: refused before anything is written ------------------------------------------


@pytest.mark.parametrize(
    ("text", "suffix", "parameter"),
    [
        ('{"seeds": [0, 1], "colour": 3}', ".json", "colour"),  # unknown key
        ('{"seeds": "0,1"}', ".json", "seeds"),  # wrong type
        ('{"sizes": [0]}', ".json", "sizes"),  # out of range (__post_init__)
        ("seeds = [0]\nsleep_s = -1.0\n", ".toml", "sleep_s"),  # out of range, TOML
        ('{"seeds": [0,', ".json", "--config"),  # unparsable
        ("seeds: [0]", ".yaml", "--config"),  # unsupported format
    ],
)
def test_bad_sweep_config_names_the_key_and_writes_nothing(tmp_path, text, suffix, parameter):
    path = tmp_path / f"sweep{suffix}"
    path.write_text(text)
    out = tmp_path / "out"
    with pytest.raises(InputError) as err:
        cfg = load_sweep_config(ToySweep, path)
        _run(out, cfg)
    assert err.value.parameter == parameter
    assert str(err.value).startswith(f"{parameter}: ")
    assert not out.exists()


def test_good_sweep_configs_load_from_toml_json_and_dicts(tmp_path):
    (tmp_path / "s.toml").write_text("seeds = [3, 4]\nsizes = [5]\n")
    (tmp_path / "s.json").write_text('{"seeds": [3, 4], "sizes": [5]}')
    expected = ToySweep(seeds=(3, 4), sizes=(5,))
    assert load_sweep_config(ToySweep, tmp_path / "s.toml") == expected
    assert load_sweep_config(ToySweep, str(tmp_path / "s.json")) == expected
    assert load_sweep_config(ToySweep, {"seeds": [3, 4], "sizes": [5]}) == expected
    with pytest.raises(InputError, match="seed"):
        load_sweep_config(ToyConfig, {"size": 3})  # a required key is missing


@pytest.mark.parametrize(
    ("configs", "match"),
    [
        ([], "no trials"),
        ([ToyConfig(0, 8), ToyConfig(0, 8)], "repeats config #0"),
        ([ToyConfig(0, 8, sleep_s=float("nan"))], "JSON"),
        ([{"seed": 0}], "dataclass"),
    ],
)
def test_bad_trial_lists_are_refused_before_writing(tmp_path, configs, match):
    with pytest.raises(InputError, match=match):
        run_sweep(toy_trial, configs, tmp_path / "out", options=QUIET)
    assert not (tmp_path / "out").exists()


def test_out_dir_that_is_not_a_sweep_is_refused(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(InputError, match="holds no sweep"):
        _run(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_unreachable_scheduler_fails_fast_and_writes_nothing(tmp_path):
    with socket.socket() as s:  # a port that was free a moment ago: nothing listens there
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    options = SweepOptions(backend="dask", scheduler=f"tcp://127.0.0.1:{port}", progress=False)
    with pytest.raises(InputError, match="cannot reach") as err:
        _run(tmp_path / "out", options=options)
    # fast: one plain TCP connect with a short timeout, not Dask's connect retries
    from manifold_scaling.sweep.backends import _CONNECT_TIMEOUT_S

    assert _CONNECT_TIMEOUT_S <= 10
    assert err.value.parameter == "--scheduler"
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [
        ({"backend": "spark"}, "--backend"),
        ({"workers": 0}, "--workers"),
        ({"retries": -1}, "--retries"),
        ({"slurm_time_min": 0}, "--slurm-time"),
        ({"backend": "dask", "scheduler": "tcp://host name:1"}, "--scheduler"),
        ({"scheduler": "tcp://h:8786"}, "--scheduler"),  # with backend local
    ],
)
def test_bad_options_name_the_flag(kwargs, parameter):
    with pytest.raises(InputError) as err:
        SweepOptions(**kwargs)
    assert err.value.parameter == parameter


def test_cli_flags_build_options():
    parser = argparse.ArgumentParser()
    sweep.add_sweep_arguments(parser)
    args = parser.parse_args(
        "--backend dask --scheduler tcp://node1:8786 --workers 3 --fresh --no-progress "
        "--retries 1 --slurm-partition gpu --slurm-time 120 --submitit-folder /tmp/s".split()
    )
    options = sweep.sweep_options_from_args(args)
    assert options == SweepOptions(
        backend="dask",
        scheduler="tcp://node1:8786",
        workers=3,
        resume=False,
        progress=False,
        retries=1,
        slurm_partition="gpu",
        slurm_time_min=120,
        submitit_folder="/tmp/s",
    )
    assert sweep.sweep_options_from_args(parser.parse_args([])) == SweepOptions()
    with pytest.raises(InputError, match="--workers"):
        sweep.sweep_options_from_args(parser.parse_args(["--workers", "0"]))
