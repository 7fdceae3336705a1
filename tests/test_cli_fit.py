"""``manifold-scaling fit``: a CSV round trip, the 4/d reading, and one-line errors (exit code 2)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from manifold_scaling.cli import main


def write_csv(path, alpha=1.0, *, seeds=2, sigma=0.03, floor=0.0, rng_seed=0):
    rng = np.random.default_rng(rng_seed)
    lines = ["seed,size,loss"] if seeds else ["size,loss"]
    for size in 2 ** np.arange(7, 15):
        for seed in range(seeds or 1):
            loss = float((3.0 * size**-alpha + floor) * np.exp(sigma * rng.standard_normal()))
            lines.append(f"{seed},{size},{loss!r}" if seeds else f"{size},{loss!r}")
    path.write_text("\n".join(lines) + "\n")
    return path


def run_cli(capsys, *argv):
    code = main(["fit", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def test_round_trip_with_d(tmp_path, capsys):
    csv = write_csv(tmp_path / "losses.csv", alpha=1.0)
    out_file = tmp_path / "sub" / "fit.json"
    code, out, err = run_cli(capsys, csv, "--d", 4, "--bootstrap", 100, "--out", out_file)
    assert code == 0, err
    data = json.loads(out)
    assert json.loads(out_file.read_text()) == data
    for name in ("alpha", "alpha_ci", "amplitude", "floor", "window", "n_points", "local_slopes"):
        assert name in data
    assert abs(data["alpha"] - 1.0) < 0.05
    assert data["n_points"] == 16
    assert data["interval"] == "replicate-t" and data["bootstrap"] == "none"  # 2 seeds
    assert data["window"] == [128, 16384]
    assert len(data["local_slopes"]["slopes"]) == 7
    assert data["local_slopes"]["slopes_ci"] is not None  # two seeds per size
    assert data["d"] == 4 and data["loss_power"] == 2 and data["seed"] == 0
    assert data["predicted_alpha"] == pytest.approx(1.0)
    assert data["ratio"] == pytest.approx(data["alpha"])
    lo, hi = data["alpha_ci"]
    assert data["consistent_with_4_over_d"] == (lo <= 1.0 <= hi)
    # The library's reading (studies.verdict.read_exponent), with the numbers it rests on.
    assert data["reading"].startswith(
        ("resolution-limited and consistent with 4/d", "resolution-limited, within", "above 4/d")
    ) or data["reading"].startswith("below 4/d")
    assert data["reading"].endswith("4/d = 1 at d = 4")


def test_reading_above_and_below(tmp_path, capsys):
    csv = write_csv(tmp_path / "losses.csv", alpha=1.0, seeds=0, sigma=0.01)
    _, out, _ = run_cli(capsys, csv, "--d", 2, "--bootstrap", 50)  # 4/d = 2 > alpha
    below = json.loads(out)
    assert below["reading"].startswith("below 4/d") and not below["consistent_with_4_over_d"]
    assert below["bootstrap"] == "residual"
    assert below["local_slopes"]["slopes_ci"] is None
    _, out, _ = run_cli(capsys, csv, "--d", 8, "--bootstrap", 50)  # 4/d = 0.5 < alpha
    assert json.loads(out)["reading"].startswith("above 4/d")
    # Loss power p = 1: the prediction is 2p/d; choose d so that it equals the fitted alpha.
    d = 2.0 / below["alpha"]
    _, out, _ = run_cli(capsys, csv, "--d", d, "--loss-power", 1, "--bootstrap", 50)
    data = json.loads(out)
    assert data["predicted_alpha"] == pytest.approx(below["alpha"]) and data["loss_power"] == 1
    assert data["consistent_with_4_over_d"] and data["ratio"] == pytest.approx(1.0)
    assert "consistent with 2p/d" in data["reading"] and "4/d" not in data["reading"]


def test_floor_and_seed_are_reproducible(tmp_path, capsys):
    csv = write_csv(tmp_path / "losses.csv", alpha=1.0, floor=3e-4)
    runs = [run_cli(capsys, csv, "--floor", "--bootstrap", 30, "--seed", s)[1] for s in (5, 5, 6)]
    a, b, c = (json.loads(r) for r in runs)
    assert a == b and a["seed"] == 5
    # Two seeds are two replicates: a jackknife-t interval, which draws nothing from --seed.
    assert a["interval"] == "replicate-jackknife-t" and a["alpha_ci"] == c["alpha_ci"]
    one = write_csv(tmp_path / "one.csv", alpha=1.0, floor=3e-4, seeds=0)
    runs = [run_cli(capsys, one, "--floor", "--bootstrap", 30, "--seed", s)[1] for s in (5, 6)]
    d, e = (json.loads(r) for r in runs)
    assert d["interval"] == "residual-bootstrap-symmetric" and d["alpha_ci"] != e["alpha_ci"]
    assert a["floor"] is not None and a["floor"] > 0 and len(a["floor_ci"]) == 2
    assert "d" not in a  # no --d, no comparison


@pytest.mark.parametrize(
    ("text", "extra", "parameter"),
    [
        ("size,loss\n1,1\n2,nan\n4,0.25\n", [], "LOSSES.csv"),
        ("size,loss\n1,1\n2,-0.5\n4,0.25\n", [], "LOSSES.csv"),
        ("size,loss\n0,1\n2,0.5\n4,0.25\n", [], "LOSSES.csv"),
        ("size,value\n1,1\n2,0.5\n4,0.25\n", [], "LOSSES.csv"),
        ("size,loss\n1,1\n2,0.5,7\n4,0.25\n", [], "LOSSES.csv"),
        ("size,loss\n1,1\n2,0.5\n4,0.25\n", ["--d", "0"], "--d"),
        ("size,loss\n1,1\n2,0.5\n4,0.25\n", ["--ci", "1.5"], "--ci"),
        ("size,loss\n1,1\n2,0.5\n4,0.25\n", ["--bootstrap", "1"], "--bootstrap"),
        ("size,loss\n1,1\n2,0.5\n4,0.25\n", ["--floor"], "--floor"),
    ],
)
def test_bad_input_is_one_line_exit_2(tmp_path, capsys, text, extra, parameter):
    csv = tmp_path / "losses.csv"
    csv.write_text(text)
    code, out, err = run_cli(capsys, csv, *extra)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    assert f"error: {parameter}: " in err


def test_missing_file(tmp_path, capsys):
    code, _, err = run_cli(capsys, tmp_path / "nope.csv")
    assert code == 2 and err.count("\n") == 1
    assert "LOSSES.csv: no such file" in err


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
