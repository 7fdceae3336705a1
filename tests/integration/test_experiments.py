"""Every experiment script runs end to end in-process on a seconds-long config (nanodo's habit:
shrink the default config and run the real entry point)."""

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
SMALL = [
    "--sizes", "32", "64", "128", "--width", "32", "--steps-per-point", "2",
    "--min-steps", "200", "--max-steps", "300", "--n-test", "256", "--n-val", "64",
    "--bootstrap", "60", "--no-progress",
]  # fmt: skip


def _main(script):
    spec = importlib.util.spec_from_file_location(script, ROOT / "experiments" / f"{script}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.main


def test_every_experiment_has_main_and_a_test():
    scripts = sorted(p.stem for p in (ROOT / "experiments").glob("*.py"))
    tested = {name[len("test_") : -len("_tiny")] for name in globals() if name.endswith("_tiny")}
    assert set(scripts) == tested
    for s in scripts:
        assert callable(_main(s))


def test_reproduce_tiny(tmp_path, capsys):
    assert _main("reproduce")(["--tiny", "--out", str(tmp_path / "r")]) == 0
    assert "| d |" in capsys.readouterr().out
    summary = json.loads((tmp_path / "r" / "summary.json").read_text())
    assert [r["d"] for r in summary["results"] if r["learner"] == "network"] == [2, 3]


def test_teacher_scan_tiny(tmp_path, capsys):
    assert _main("teacher_scan")(["--tiny", "--dims", "3", "--out", str(tmp_path / "s")]) == 0
    table = json.loads((tmp_path / "s" / "teacher_scan.json").read_text())
    r2 = {r["setting"]: r["teacher_linear_r2"] for r in table["rows"]}
    assert r2["r2_0.6"] == pytest.approx(0.6, abs=0.05)
    assert "| setting |" in capsys.readouterr().out


def test_ambient_invariance_tiny(tmp_path):
    out = tmp_path / "a"
    args = ["--dims", "2", "--seeds", "2", "--ambient-dims", "6", "12", "--embeddings", "rotation"]
    assert _main("ambient_invariance")([*args, *SMALL, "--out", str(out)]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert [v["label"] for v in summary["variants"]] == ["rotation-6", "rotation-12"]


def test_loss_powers_tiny(tmp_path):
    out = tmp_path / "l"
    args = ["--dims", "2", "--seeds", "2", "--powers", "1", "2", "--no-classification"]
    assert _main("loss_powers")([*args, *SMALL, "--ambient-dim", "6", "--out", str(out)]) == 0
    summary = json.loads((out / "summary.json").read_text())
    network = [r for r in summary["results"] if r["learner"] == "network"]
    assert [r["predicted_alpha"] for r in network] == pytest.approx([1.0, 2.0])


def test_compute_frontier_tiny(tmp_path):
    out = tmp_path / "c"
    i = SMALL.index("--width")
    small = SMALL[:i] + SMALL[i + 2 :]
    args = ["--dims", "2", "--seeds", "1", "--widths", "8", "16", "32", *small, "--out", str(out)]
    assert _main("compute_frontier")(args) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert np.isfinite(summary["frontier_exponent"])


def test_model_scaling_tiny(tmp_path):
    out = tmp_path / "m"
    args = [
        "--dims", "2", "--widths", "4", "8", "16", "--seeds", "2", "--steps", "1000",
        "--n-test", "256", "--n-val", "64", "--bootstrap", "60", "--no-progress",
        "--out", str(out),
    ]  # fmt: skip
    assert _main("model_scaling")(args) == 0
    assert (out / "curves.npz").exists()


def test_variance_limited_tiny(tmp_path):
    out = tmp_path / "v"
    args = [
        "--d", "2", "--sizes", "64", "128", "256", "512", "--seeds", "2", "--width", "4",
        "--pretrain-steps", "500", "--population-size", "2048", "--population-lbfgs-steps", "20",
        "--lbfgs-steps", "40", "--n-test", "1024", "--min-ratio", "1", "--teacher-r2", "none",
        "--precision", "float32", "--bootstrap", "60", "--no-progress", "--out", str(out),
    ]  # fmt: skip
    assert _main("variance_limited")(args) == 0
    assert json.loads((out / "summary.json").read_text())["result"]["d"] == 2


def test_umap_views_tiny(tmp_path):
    out = tmp_path / "u.npz"
    assert _main("umap_views")(["--points", "200", "--out", str(out)]) == 0
    with np.load(out) as z:
        assert z["cube3_rotation_xy"].shape == (200, 2)
