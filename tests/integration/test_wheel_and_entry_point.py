"""The installed command and the wheel: python -m manifold_scaling, the console script, the wheel's contents."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import manifold_scaling
from manifold_scaling import cli

ROOT = Path(__file__).resolve().parents[2]


ENV = {**os.environ, "JAX_PLATFORMS": "cpu"}


def test_python_m_manifold_scaling_version():
    proc = subprocess.run(
        [sys.executable, "-m", "manifold_scaling", "--version"],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == f"manifold-scaling {manifold_scaling.__version__}"


def test_python_m_manifold_scaling_is_the_cli(capsys):
    proc = subprocess.run(
        [sys.executable, "-m", "manifold_scaling", "--help"],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert cli.main(["--help"]) == 0
    assert proc.stdout == capsys.readouterr().out  # the same parser, the same help


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    """A wheel built from a copy of the sources (the repository itself is left untouched)."""
    src = tmp_path_factory.mktemp("src")
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(
        ROOT / "manifold_scaling",
        src / "manifold_scaling",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
    )
    dist = tmp_path_factory.mktemp("dist")
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(src)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    (path,) = dist.glob("manifold_scaling-*.whl")
    with zipfile.ZipFile(path) as zf:
        yield zf


def test_the_wheel_holds_py_typed_license_main_and_data(wheel):
    names = wheel.namelist()
    version = manifold_scaling.__version__
    dist_info = f"manifold_scaling-{version}.dist-info"
    assert "manifold_scaling/py.typed" in names
    assert "manifold_scaling/__main__.py" in names
    assert any(n.startswith(f"{dist_info}/") and n.endswith("/LICENSE") for n in names), names
    data = [n for n in (ROOT / "manifold_scaling" / "data").glob("*") if n.is_file()]
    for file in data:
        assert f"manifold_scaling/data/{file.name}" in names
    metadata = wheel.read(f"{dist_info}/METADATA").decode()
    assert f"\nVersion: {version}\n" in metadata
    assert "License-Expression: Apache-2.0" in metadata
    assert re.search(r"^Requires-Dist: optax>=0\.2\.3", metadata, re.M)
    for extra in ("notebooks", "dataframes", "distributed", "cuda", "test"):
        assert f"Provides-Extra: {extra}" in metadata
    entry_points = wheel.read(f"{dist_info}/entry_points.txt").decode()
    assert "manifold-scaling = manifold_scaling.cli:run" in entry_points


def test_console_script_subprocess(tmp_path):
    """The real entry point in a fresh process: a bad row gives exit 2 and no traceback."""
    csv = tmp_path / "losses.csv"
    csv.write_text("size,loss\n1,1\n2,oops\n4,0.25\n")
    env = {**os.environ, "JAX_PLATFORMS": "cpu"}
    cmd = [sys.executable, "-m", "manifold_scaling.cli", "fit", str(csv)]
    bad = subprocess.run(cmd, capture_output=True, text=True, env=env)
    assert bad.returncode == 2
    assert bad.stdout == ""
    assert "Traceback" not in bad.stderr and bad.stderr.strip().count("\n") == 0
    assert "line 3" in bad.stderr and "LOSSES.csv" in bad.stderr
