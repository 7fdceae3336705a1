"""Sweep backends give the same records as the local one: Dask (also after losing a worker),
submitit's local executor, and JAX devices (2 forced host devices, in a subprocess)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

TESTS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TESTS))  # sweep_toy; spawned Dask workers inherit sys.path

from sweep_toy import (  # noqa: E402
    ToySweep,
    crash_once_trial,
    failing_trial,
    table_rows,
    toy_configs,
    toy_trial,
)

from manifold_scaling.sweep import SweepError, SweepOptions, load_records, run_sweep  # noqa: E402
from manifold_scaling.sweep.records import record_fields_for_comparison  # noqa: E402

pytest.importorskip("distributed")

SWEEP = ToySweep(seeds=(0, 1, 2, 3))


def _sweep(out, options, sweep_cfg=SWEEP):
    return run_sweep(
        toy_trial, toy_configs(sweep_cfg), out, options=options, study="toy", sweep_config=sweep_cfg
    )


def _same_records(a, b):
    assert [record_fields_for_comparison(r) for r in a] == [
        record_fields_for_comparison(r) for r in b
    ]
    assert [(r.path / "arrays.npz").read_bytes() for r in a] == [
        (r.path / "arrays.npz").read_bytes() for r in b
    ]


@pytest.fixture(scope="module")
def local_reference(tmp_path_factory):
    return _sweep(tmp_path_factory.mktemp("local"), SweepOptions(progress=False))


@pytest.fixture(scope="module")
def threaded_cluster():
    from distributed import LocalCluster

    # Threads in this process (cheap): exercises connecting to a running tcp scheduler.
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, protocol="tcp", dashboard_address=":0"
    ) as cluster:
        yield cluster


def test_dask_existing_scheduler_matches_local(tmp_path, threaded_cluster, local_reference):
    assert threaded_cluster.scheduler_address.startswith("tcp://")
    options = SweepOptions(
        backend="dask", scheduler=threaded_cluster.scheduler_address, progress=False
    )
    result = _sweep(tmp_path / "dask", options)
    assert result.n_run == 4
    assert table_rows(result.table_path) == table_rows(local_reference.table_path)
    _same_records(result.records, local_reference.records)
    assert {r.run["backend"] for r in result.records} == {"dask"}


def test_dask_trial_errors_are_reported_after_the_others_finish(tmp_path, threaded_cluster):
    options = SweepOptions(
        backend="dask", scheduler=threaded_cluster.scheduler_address, retries=0, progress=False
    )
    with pytest.raises(SweepError, match="seed 1 always fails") as err:
        run_sweep(failing_trial, toy_configs(SWEEP), tmp_path / "out", options=options)
    assert len(err.value.failures) == 1
    assert "RuntimeError" in next(iter(err.value.failures.values()))  # the worker's traceback
    assert len(load_records(tmp_path / "out")) == 3


def test_dask_worker_killed_mid_trial_is_retried_and_nothing_is_lost(
    tmp_path, monkeypatch, local_reference
):
    """The runner's own LocalCluster (2 worker processes); the first trial to start SIGKILLs
    its worker. Dask reschedules it; every record exists and equals the local run's."""
    marker = tmp_path / "crashed.pid"
    monkeypatch.setenv("SWEEP_TOY_CRASH_MARKER", str(marker))  # inherited by spawned workers
    options = SweepOptions(backend="dask", workers=2, progress=False)
    result = run_sweep(
        crash_once_trial,
        toy_configs(SWEEP),
        tmp_path / "out",
        options=options,
        study="toy",
        sweep_config=SWEEP,
    )
    killed = int(marker.read_text())
    assert killed != os.getpid()  # a worker died, not this process
    assert result.n_run == 4 and len(load_records(tmp_path / "out", strict=True)) == 4
    assert killed not in {r.run["pid"] for r in result.records}
    assert table_rows(result.table_path) == table_rows(local_reference.table_path)
    _same_records(result.records, local_reference.records)


def test_submitit_local_executor_matches_local(tmp_path, monkeypatch, local_reference):
    pytest.importorskip("submitit")
    # submitit jobs are fresh interpreters: they find sweep_toy through PYTHONPATH
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")])
    )
    small = ToySweep(seeds=(0, 1))
    reference = [r for r in local_reference.records if r.config["seed"] in small.seeds]
    options = SweepOptions(backend="submitit", submitit_cluster="local", progress=False)
    result = _sweep(tmp_path / "submitit", options, small)
    assert result.n_run == 2
    assert table_rows(result.table_path) == table_rows(local_reference.table_path)[:2]
    _same_records(result.records, reference)
    assert len({r.run["pid"] for r in result.records}) == 2  # one job (process) per trial


_DEVICES_SCRIPT = """
import sys
import jax, jax.numpy as jnp, numpy as np
from jax.sharding import PartitionSpec
sys.path.insert(0, sys.argv[1])
from sweep_toy import ToySweep, toy_batch, toy_configs, toy_trial
from manifold_scaling.sweep import SweepOptions, run_sweep, shard_leading_axis, unpad

assert jax.device_count() == 2, jax.devices()
x = np.arange(15, dtype=np.float32).reshape(3, 5) / 7.0
f = jax.jit(jax.vmap(lambda row: jnp.sin(row).sum() * row[0]))
batch = shard_leading_axis({"x": x})
assert (batch.size, batch.padded_size, batch.n_devices) == (3, 4, 2)
assert batch.tree["x"].sharding.spec == PartitionSpec("batch")
sharded = f(batch.tree["x"])
assert len(sharded.sharding.device_set) == 2
single = f(jax.device_put(x, jax.devices()[0]))
np.testing.assert_allclose(np.asarray(unpad(sharded, batch.size)), np.asarray(single), rtol=1e-6)

sweep = ToySweep(seeds=(0, 1, 2), sizes=(8, 16))
for backend, out in (("devices", sys.argv[2]), ("local", sys.argv[3])):
    result = run_sweep(
        toy_trial, toy_configs(sweep), out, batch_fn=toy_batch, batch_key=lambda c: c.size,
        options=SweepOptions(backend=backend, devices_batch=2, progress=False),
        study="toy", sweep_config=sweep,
    )
    assert result.n_run == 6
print("ok")
"""


def test_devices_backend_shards_over_two_host_devices(tmp_path):
    script = tmp_path / "devices.py"
    script.write_text(textwrap.dedent(_DEVICES_SCRIPT))
    env = {
        **os.environ,
        "XLA_FLAGS": "--xla_force_host_platform_device_count=2",
        "JAX_PLATFORMS": "cpu",
    }
    devices, local = tmp_path / "devices", tmp_path / "local"
    proc = subprocess.run(
        [sys.executable, str(script), str(TESTS), str(devices), str(local)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0 and proc.stdout.strip().endswith("ok"), proc.stderr[-3000:]
    batched, single = load_records(devices, strict=True), load_records(local, strict=True)
    assert [r.config for r in batched] == [r.config for r in single]
    assert [r.run["batched"] for r in batched] == [2, 2, 1] * 2  # 3 seeds per size, batches of 2
    assert all(r.provenance["device"]["device_count"] == 2 for r in batched)
    for b, s in zip(batched, single):
        assert b.metrics["steps"] == s.metrics["steps"]
        np.testing.assert_allclose(b.metrics["final"], s.metrics["final"], rtol=1e-6)
        np.testing.assert_allclose(b.arrays["curve"], s.arrays["curve"], rtol=1e-6)
