"""A sweep SIGKILLed part-way resumes to the same table as an uninterrupted run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TESTS))

from sweep_toy import ToySweep, table_rows, toy_configs, toy_trial  # noqa: E402

from manifold_scaling.sweep import SweepOptions, load_records, run_sweep  # noqa: E402
from manifold_scaling.sweep.records import record_fields_for_comparison  # noqa: E402

SWEEP = ToySweep(seeds=(0, 1, 2, 3, 4), sleep_s=0.3)

_SCRIPT = """
import sys
sys.path.insert(0, sys.argv[1])
from sweep_toy import ToySweep, toy_configs, toy_trial
from manifold_scaling.sweep import SweepOptions, run_sweep

sweep = ToySweep(seeds=(0, 1, 2, 3, 4), sleep_s=0.3)
run_sweep(toy_trial, toy_configs(sweep), sys.argv[2], options=SweepOptions(progress=False),
          study="toy", sweep_config=sweep)
"""


def _sweep(out):
    return run_sweep(
        toy_trial,
        toy_configs(SWEEP),
        out,
        options=SweepOptions(progress=False),
        study="toy",
        sweep_config=SWEEP,
    )


def test_sigkilled_sweep_resumes_to_the_uninterrupted_result(tmp_path):
    script = tmp_path / "sweep.py"
    script.write_text(textwrap.dedent(_SCRIPT))
    out = tmp_path / "killed"
    proc = subprocess.Popen([sys.executable, str(script), str(TESTS), str(out)])
    try:
        deadline = time.monotonic() + 90
        while len(list(out.glob("trials/*/record.json"))) < 2:
            assert proc.poll() is None, "the sweep ended before it could be killed"
            assert time.monotonic() < deadline, "no records appeared"
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    complete_at_kill = len(load_records(out))
    assert 2 <= complete_at_kill < 5
    assert json.loads((out / "manifest.json").read_text())["status"] == "running"

    resumed = _sweep(out)
    assert resumed.n_skipped == complete_at_kill
    assert resumed.n_run == 5 - complete_at_kill
    reference = _sweep(tmp_path / "uninterrupted")
    assert table_rows(resumed.table_path) == table_rows(reference.table_path)
    assert (out / "trials.jsonl").read_text().count("\n") == 5
    assert [record_fields_for_comparison(r) for r in resumed.records] == [
        record_fields_for_comparison(r) for r in reference.records
    ]
    manifest = json.loads(resumed.manifest_path.read_text())
    assert manifest["status"] == "complete" and manifest["history"][0]["status"] == "running"
