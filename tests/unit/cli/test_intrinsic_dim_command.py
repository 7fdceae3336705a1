"""The ``manifold-scaling intrinsic-dim`` command: good files give estimates, bad ones exit 2."""

from __future__ import annotations

import json

import numpy as np
import pytest

from manifold_scaling.cli import main


@pytest.fixture
def square():
    return np.random.default_rng(0).random((400, 2)) @ np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]])


def test_npy_json(tmp_path, square, capsys):
    path = tmp_path / "x.npy"
    np.save(path, square)
    assert main(["intrinsic-dim", str(path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["estimator"] == "calibrated"
    assert abs(out["dimension"] - 2) < 0.3
    assert out["ci"][0] < out["dimension"] < out["ci"][1]
    assert out["n_points"] == 400 and out["n_dropped"] == 0


def test_csv_with_header_and_npz_key(tmp_path, square, capsys):
    csv = tmp_path / "x.csv"
    np.savetxt(csv, np.vstack([square, square[:10]]), delimiter=",", header="a,b,c", comments="")
    assert main(["intrinsic-dim", str(csv), "--estimator", "twonn"]) == 0
    line = capsys.readouterr().out
    assert line.startswith("twonn: d = ") and "dropped 10 (10 duplicate)" in line
    npz = tmp_path / "x.npz"
    np.savez(npz, first=np.zeros((3, 3)), pts=square)
    assert main(["intrinsic-dim", str(npz), "--key", "pts", "--estimator", "mle", "--json"]) == 0
    assert abs(json.loads(capsys.readouterr().out)["dimension"] - 2) < 0.3


@pytest.mark.parametrize(
    "make, extra, needle",
    [
        (None, [], "no such file"),
        ("txt", [], "must end in .npy, .npz, .csv"),
        ("nan", [], "NaN"),
        ("ok", ["--k", "500"], "--k: must be an integer in [5, 399]"),
        ("ok", ["--estimator", "danco"], "--estimator: must be one of"),
        ("text", [], "non-numeric"),
        ("ok", ["--duplicates", "keep"], "--duplicates: must be one of"),
        ("npz", ["--key", "nope"], "--key: must be one of"),
    ],
)
def test_bad_input_one_line_exit_2(tmp_path, square, capsys, make, extra, needle):
    path = tmp_path / "missing.npy"
    if make == "txt":
        path = tmp_path / "x.txt"
        path.write_text("1,2\n")
    elif make == "nan":
        square = square.copy()
        square[5, 1] = np.nan
        np.save(path, square)
    elif make == "ok":
        np.save(path, square)
    elif make == "text":
        path = tmp_path / "x.csv"
        path.write_text("a,b\n1,2\n3,x\n")
    elif make == "npz":
        path = tmp_path / "x.npz"
        np.savez(path, pts=square)
    assert main(["intrinsic-dim", str(path), *extra]) == 2
    err = capsys.readouterr().err
    assert needle in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_small_sample_warning_is_one_stderr_line(tmp_path, square, capsys):
    path = tmp_path / "few.npy"
    np.save(path, square[:15])
    for extra in ([], ["--json"]):
        assert main(["intrinsic-dim", str(path), "--estimator", "twonn", *extra]) == 0
        captured = capsys.readouterr()
        lines = [line for line in captured.err.splitlines() if "small sample" in line]
        assert len(lines) == 1
        assert lines[0].startswith("manifold-scaling intrinsic-dim: warning: small sample: 15 ")
        assert "small sample" not in captured.out or extra  # JSON keeps it in "warnings"
    assert any(w.startswith("small sample") for w in json.loads(captured.out)["warnings"])
    np.save(path, square)  # 400 points of a square: enough
    assert main(["intrinsic-dim", str(path), "--estimator", "twonn"]) == 0
    assert "small sample" not in capsys.readouterr().err
