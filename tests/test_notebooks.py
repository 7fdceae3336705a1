"""Every notebook runs as a plain script from the repository root, and jupytext can read it."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("0*_*.py"))
TIME_LIMIT_S = 120


def test_the_four_notebooks_exist():
    names = [p.name for p in NOTEBOOKS]
    assert names == [
        "01_theory_quickstart.py",
        "02_data_scaling.py",
        "03_intrinsic_dimension.py",
        "04_regimes_and_frontier.py",
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_a_valid_jupytext_percent_file(path):
    jupytext = pytest.importorskip("jupytext")
    nb = jupytext.read(path)
    kinds = [c.cell_type for c in nb.cells]
    assert kinds.count("markdown") >= 3 and kinds.count("code") >= 3
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# 0")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_as_a_script(path):
    env = {**os.environ, "MPLBACKEND": "Agg", "JAX_PLATFORMS": "cpu"}
    proc = subprocess.run(
        [sys.executable, str(path.relative_to(ROOT))],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIME_LIMIT_S,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "missing" not in proc.stdout  # every saved result the notebook reads is shipped
