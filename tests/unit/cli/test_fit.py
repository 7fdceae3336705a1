"""``manifold-scaling fit``: a CSV round trip, the 4/d reading, and one-line errors (exit code 2)."""

from __future__ import annotations

import json
import logging

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
    # an equivalence call: the whole interval inside [0.8, 1.25] x 4/d
    assert data["consistent_with_4_over_d"] == (0.8 <= lo and hi <= 1.25)
    # The library's reading (studies.verdict.read_exponent), with the numbers it rests on.
    assert data["reading"].startswith(f"alpha = {data['alpha']:.2f}; consistent with 4/d = 1")
    assert f"[{lo:.2f}, {hi:.2f}]" in data["reading"]


def test_reading_above_and_below(tmp_path, capsys):
    csv = write_csv(tmp_path / "losses.csv", alpha=1.0, seeds=0, sigma=0.01)
    _, out, _ = run_cli(capsys, csv, "--d", 2, "--bootstrap", 50)  # 4/d = 2 > alpha
    below = json.loads(out)
    assert "inconsistent with 4/d = 2 at d = 2" in below["reading"]
    assert "lies below [1.60, 2.50]" in below["reading"] and not below["consistent_with_4_over_d"]
    assert below["bootstrap"] == "residual"
    assert below["local_slopes"]["slopes_ci"] is None
    _, out, _ = run_cli(capsys, csv, "--d", 8, "--bootstrap", 50)  # 4/d = 0.5 < alpha
    assert "lies above [0.40, 0.62]" in json.loads(out)["reading"]
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


# ------------------------------------------------------------------ the data-scaling window rule


def write_window_csv(path, *, params=True, stop=2048, seeds=3, rng_seed=0):
    """Test loss 3/D; every seed interpolates (train = 0.01 x test) up to ``stop``, not above."""
    rng = np.random.default_rng(rng_seed)
    lines = ["size,seed,loss,train_loss" + (",n_params" if params else "")]
    for size in (2 ** np.arange(7, 15)).tolist():
        for seed in range(seeds):
            test = float(3.0 / size * np.exp(0.03 * rng.standard_normal()))
            train = test * (0.01 if size <= stop else 0.5)
            lines.append(f"{size},{seed},{test!r},{train!r}" + (",20000" if params else ""))
    path.write_text("\n".join(lines) + "\n")
    return path


CONTRACT = (
    "alpha", "alpha_ci", "amplitude", "floor", "floor_ci", "window", "n_points", "n_sizes",
    "ci_level", "n_bootstrap", "bootstrap", "huber_delta", "interval", "window_decades",
    "local_slopes", "loss_power", "seed", "input", "versions",
)  # fmt: skip


def test_window_rule_keeps_interpolating_sizes_and_says_why(tmp_path, capsys, caplog):
    caplog.set_level(logging.INFO, logger="manifold_scaling.cli.fit")
    csv = write_window_csv(tmp_path / "losses.csv")
    fig = tmp_path / "fig.png"
    code, out, err = run_cli(capsys, csv, "--d", 4, "--bootstrap", 50, "--plot", fig)
    assert code == 0, err
    data = json.loads(out)
    assert data["kind"] == "power-law-fit"
    assert all(name in data for name in CONTRACT)
    assert data["window"] == [128, 2048] and data["kept_sizes"] == [128, 256, 512, 1024, 2048]
    assert data["n_points"] == 15 and data["interval"] == "replicate-t"
    assert abs(data["alpha"] - 1.0) < 0.05
    assert data["window_decades"] == pytest.approx(np.log10(16))
    # 4096 fails interpolation only; 8192 and 16384 fail P >= 4 D as well (P = 20000).
    assert set(data["excluded"]) == {"4096", "8192", "16384"}
    assert "not interpolating" in data["excluded"]["4096"] and "P/D" not in data["excluded"]["4096"]
    assert "P/D = 2.4 < 4" in data["excluded"]["8192"]
    assert "train <= 0.1 x test and P >= 4 x D" in data["window_rule"]
    assert [s["passes"] for s in data["per_size"]] == [True] * 5 + [False] * 3
    assert len(data["local_slopes"]["slopes"]) == 7  # the slopes span every size
    assert "sizes above D = 2048 fail the size rule" in data["reading"]
    assert "excluded size 4096: train/test" in caplog.text  # and says so in the log
    assert fig.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_window_rule_flags_and_without_params(tmp_path, capsys):
    csv = write_window_csv(tmp_path / "losses.csv", params=False)
    code, out, err = run_cli(capsys, csv, "--interpolation-ratio", 0.6, "--bootstrap", 20)
    assert code == 0, err
    data = json.loads(out)
    assert data["window"] == [128, 16384] and data["excluded"] == {}  # 0.5 <= 0.6 everywhere
    assert "not checked" in data["window_rule"] and data["min_params_per_point"] is None
    assert data["per_size"][0]["params_per_point"] is None
    _, out, _ = run_cli(capsys, csv, "--bootstrap", 20)
    assert json.loads(out)["window"] == [128, 2048]
    code, out, err = run_cli(capsys, csv, "--min-params-per-point", 2)
    assert code == 2 and out == "" and "--min-params-per-point: " in err and "n_params" in err
    plain = write_csv(tmp_path / "plain.csv")
    code, out, err = run_cli(capsys, plain, "--interpolation-ratio", 0.2)
    assert code == 2 and out == "" and "--interpolation-ratio: " in err and "train_loss" in err
    # Without train_loss nothing changes: every size is fitted and there is no 'excluded'.
    _, out, _ = run_cli(capsys, plain, "--bootstrap", 20)
    assert "excluded" not in json.loads(out) and json.loads(out)["kind"] == "power-law-fit"


def test_window_rule_with_too_few_sizes_reports_and_exits_1(tmp_path, capsys):
    csv = write_window_csv(tmp_path / "losses.csv", stop=256)  # only 128 and 256 interpolate
    out_file = tmp_path / "fit.json"
    code, out, err = run_cli(capsys, csv, "--d", 4, "--bootstrap", 20, "--out", out_file)
    assert code == 1 and "no fit: fewer than 3 sizes pass the window rule" in err
    data = json.loads(out)
    assert json.loads(out_file.read_text()) == data
    assert data["alpha"] is None and data["kept_sizes"] == [128, 256]
    assert data["reading"].startswith("fewer than 3 sizes pass")
    assert len(data["excluded"]) == 6


def test_plot_without_window(tmp_path, capsys):
    csv = write_csv(tmp_path / "losses.csv")
    fig = tmp_path / "sub" / "fig.pdf"
    code, _, err = run_cli(capsys, csv, "--floor", "--bootstrap", 20, "--plot", fig)
    assert code == 0, err
    assert fig.read_bytes()[:4] == b"%PDF"
    code, out, err = run_cli(capsys, csv, "--plot", tmp_path / "fig.txt")
    assert code == 2 and out == "" and "--plot: cannot write a figure with '.txt'" in err
