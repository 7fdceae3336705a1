"""Each experiment script runs end to end on a seconds-long config (nanodo's train_test habit)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _run(script, *args, tmp_path):
    env = {**os.environ, "MPLBACKEND": "Agg", "JAX_PLATFORMS": "cpu"}
    proc = subprocess.run(
        [sys.executable, str(ROOT / "experiments" / script), *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def test_reproduce_script_tiny(tmp_path):
    out = _run("reproduce.py", "--tiny", "--out", "r", tmp_path=tmp_path)
    assert "| d |" in out
    summary = json.loads((tmp_path / "r" / "summary.json").read_text())
    assert [r["d"] for r in summary["results"]] == [2, 3]


@pytest.mark.slow
def test_teacher_scan_script_tiny(tmp_path):
    out = _run("teacher_scan.py", "--tiny", "--out", "s", tmp_path=tmp_path)
    table = json.loads((tmp_path / "s" / "teacher_scan.json").read_text())
    r2 = {r["setting"]: r["teacher_linear_r2"] for r in table["rows"]}
    assert r2["r2_0.6"] == pytest.approx(0.6, abs=0.05)
    assert "| setting |" in out
