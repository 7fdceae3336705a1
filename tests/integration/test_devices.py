"""Multi-device checks on 2 forced host devices, each in a subprocess: batched data-scaling trials, model-scaling groups sharded over devices, and the CPU form of benchmarks/device_check.sh."""

import json
import os
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from _configs import CONFIGS, EXACT, LOSSES, metrics_match

from manifold_scaling.studies.trials import run_trial


@pytest.fixture(scope="module")
def alone():
    return [run_trial(c) for c in CONFIGS]


_DEVICES_SCRIPT = """
import json, pickle, sys
import jax
from manifold_scaling.studies.trials import run_trials_on_devices

assert jax.device_count() == 2, jax.devices()
with open(sys.argv[1], "rb") as f:
    configs = pickle.load(f)
outs = run_trials_on_devices(configs)
print(json.dumps([{k: o.metrics[k] for k in sys.argv[2].split(",")} for o in outs]))
"""


def test_devices_backend_batches_sizes_over_two_host_devices(tmp_path, alone):
    configs = CONFIGS[1:]  # three trials of two sizes: one padding row on the second device
    script, blob = tmp_path / "devices.py", tmp_path / "configs.pkl"
    script.write_text(textwrap.dedent(_DEVICES_SCRIPT))
    blob.write_bytes(pickle.dumps(configs))
    env = {
        **os.environ,
        "XLA_FLAGS": "--xla_force_host_platform_device_count=2",
        "JAX_PLATFORMS": "cpu",
    }
    proc = subprocess.run(
        [sys.executable, str(script), str(blob), ",".join((*LOSSES, *EXACT))],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    for g, want in zip(got, alone[1:], strict=True):
        metrics_match(g, want.metrics)


_SHARDED_SCRIPT = """
import json, sys
import jax
from manifold_scaling.cli import config_from_argv, main
assert jax.device_count() == 2, jax.devices()
args = ["model-scaling", "--dims", "2", "--widths", "3", "5", "8", "--seeds", "3", "--steps", "1000",
        "--n-val", "64", "--n-test", "128", "--bootstrap", "50", "--no-progress", "--no-figures"]
for backend, out in (("devices", sys.argv[1]), ("local", sys.argv[2])):
    assert main([*args, "--backend", backend, "--out", out]) == 0
print("ok")
"""


def test_devices_backend_shards_the_replicates_of_a_group_over_two_devices(tmp_path):
    env = {**os.environ, "XLA_FLAGS": "--xla_force_host_platform_device_count=2"}
    dev, loc = tmp_path / "dev", tmp_path / "loc"
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_SHARDED_SCRIPT), str(dev), str(loc)],
        env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    from manifold_scaling.sweep import load_records

    dev_records, loc_records = load_records(dev), load_records(loc)
    assert [r.config_hash for r in dev_records] == [r.config_hash for r in loc_records]
    assert len(dev_records) == 9
    for a, b in zip(dev_records, loc_records):
        assert a.metrics["test_loss"] == pytest.approx(b.metrics["test_loss"], rel=1e-4)
        assert a.run["backend"] == "devices" and b.run["backend"] == "local"
        assert a.run["batched"] == 9 and b.run["batched"] == 9  # one group each
    manifest = json.loads((dev / "manifest.json").read_text())
    assert manifest["backend"]["devices_batch"] == "whole groups"


def test_benchmark_device_check_runs_in_its_cpu_form(tmp_path):
    script = Path(__file__).resolve().parents[2] / "benchmarks" / "device_check.sh"
    env = {**os.environ, "DEVICE_CHECK_OUT": str(tmp_path), "DEVICE_CHECK_SIZE": "tiny"}
    env["PYTHON"] = sys.executable  # the interpreter running the tests, activated or not
    proc = subprocess.run(
        ["bash", str(script)], env=env, capture_output=True, text=True, timeout=900
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    out = proc.stdout
    for needle in ("device:", "shared-stream trainer:", "batched data scaling:", "bahri2021",
                   "sharma-kaplan2020"):  # fmt: skip
        assert needle in out, out[-2000:]
    assert (tmp_path / "sharma-kaplan2020" / "summary.json").exists()
    assert (tmp_path / "bahri2021" / "summary.json").exists()
