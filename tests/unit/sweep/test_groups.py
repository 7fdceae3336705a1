"""Studies whose trials run in groups (model scaling's shared streams): every backend runs a group
as one call, writes one record per trial, and gives the records the ungrouped run gives."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(TESTS))  # sweep_toy; spawned workers inherit sys.path

from sweep_toy import ToySweep, toy_configs, toy_group, toy_size, toy_trial  # noqa: E402

from manifold_scaling.sweep import Grouping, SweepOptions, load_records, run_sweep  # noqa: E402

SWEEP = ToySweep(seeds=(0, 1, 2), sizes=(8, 16))
GROUPING = Grouping(toy_group, toy_size)


def _run(out, options, grouping=GROUPING):
    return run_sweep(
        toy_trial, toy_configs(SWEEP), out, options=options, grouping=grouping, study="toy",
        sweep_config=SWEEP,
    )  # fmt: skip


def _same(a, b):
    assert [r.config_hash for r in a] == [r.config_hash for r in b]
    for key in ("final", "mean"):  # vmapped draws: equal up to float reordering
        assert [r.metrics[key] for r in a] == pytest.approx([r.metrics[key] for r in b], rel=1e-6)


@pytest.fixture(scope="module")
def ungrouped(tmp_path_factory):
    return _run(tmp_path_factory.mktemp("u"), SweepOptions(progress=False), grouping=None)


def test_local_backend_runs_each_group_in_one_call(tmp_path, ungrouped):
    result = _run(tmp_path / "g", SweepOptions(progress=False))
    assert [r.metrics["group"] for r in result.records] == [3] * 6
    assert [r.run["batched"] for r in result.records] == [3] * 6
    _same(result.records, ungrouped.records)


def test_a_resumed_sweep_runs_only_the_missing_trials_of_a_group(tmp_path):
    out = tmp_path / "g"
    first = _run(out, SweepOptions(progress=False))
    (first.records[4].path / "record.json").unlink()  # one trial of the size-16 group is lost
    again = _run(out, SweepOptions(progress=False))
    assert again.n_run == 1 and again.n_skipped == 5
    assert again.records[4].metrics["group"] == 1
    _same(again.records, first.records)


def test_dask_runs_one_task_per_group(tmp_path, ungrouped):
    pytest.importorskip("distributed")
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, protocol="tcp", dashboard_address=":0"
    ) as cluster:
        options = SweepOptions(backend="dask", scheduler=cluster.scheduler_address, progress=False)
        result = _run(tmp_path / "dask", options)
    assert [r.metrics["group"] for r in result.records] == [3] * 6
    assert {r.run["backend"] for r in result.records} == {"dask"}
    _same(result.records, ungrouped.records)
    assert len(load_records(tmp_path / "dask")) == 6


@pytest.mark.integration  # slow tier: runs in .ci/run's second pytest
def test_submitit_runs_one_job_per_group(tmp_path, monkeypatch, ungrouped):
    pytest.importorskip("submitit")
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")])
    )
    options = SweepOptions(backend="submitit", submitit_cluster="local", progress=False)
    result = _run(tmp_path / "sub", options)
    assert [r.metrics["group"] for r in result.records] == [3] * 6
    assert len({r.run["pid"] for r in result.records}) == 2  # one job (process) per group
    _same(result.records, ungrouped.records)
