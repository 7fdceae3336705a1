"""The exponent, explained: reference learners beside the network, Matérn teachers, the smoothness
scan, the bahri2021 preset, and the mechanism named in the verdict (tiny runs; the science numbers
come from the README's commands)."""

import json

import numpy as np
import pytest

from manifold_scaling.cli import config_from_argv, main
from manifold_scaling.studies.presets import BAHRI2021
from manifold_scaling.studies.verdict import Verdict, read_mechanism, resolution
from manifold_scaling.teachers import TeacherConfig, predicted_exponents

TINY = [
    "--sizes", "32", "64", "128", "--seeds", "2", "--width", "32", "--steps-per-point", "2",
    "--min-steps", "200", "--max-steps", "300", "--n-test", "256", "--n-val", "64",
    "--bootstrap", "60", "--no-progress",
]  # fmt: skip


@pytest.fixture(scope="module")
def scan(tmp_path_factory):
    out = tmp_path_factory.mktemp("scan") / "s"
    args = ["smoothness-scan", "--dims", "2", "--nus", "0.5", "3.5", *TINY, "--out", str(out)]
    assert main(args) == 0
    return json.loads((out / "summary.json").read_text()), out


def test_smoothness_scan_rows_and_verdict(scan):
    summary, out = scan
    rows = summary["results"]
    assert {(r["nu"], r["learner"]) for r in rows} == {
        (nu, learner) for nu in (0.5, 3.5) for learner in ("network", "simplex", "kernel")
    }
    for r in rows:
        for field in ("d", "alpha", "alpha_ci", "fit_window", "predicted", "reading"):
            assert field in r
        pred = r["predicted"]
        assert pred["piecewise_linear"] == pytest.approx(min(2 * r["nu"], 4) / 2)
        assert pred["kernel"] == pytest.approx(min(2 * r["nu"], 2 * 2 + 2) / 2)
        if r["alpha"] is not None and r["alpha_ci"] is not None:
            assert r["alpha_ci"][0] <= r["alpha"] <= r["alpha_ci"][1]
    (verdict,) = summary["verdicts"]
    assert verdict["d"] == 2 and verdict["follows"] in (
        "piecewise_linear", "kernel", "neither", "undecided"
    )  # fmt: skip
    assert (out / "smoothness.png").stat().st_size > 1000


def test_reference_learners_share_the_networks_data(scan):
    _, out = scan
    trials = [json.loads(x) for x in (out / "trials.jsonl").read_text().splitlines()]
    for t in trials:
        m = t["metrics"]
        assert 0 < m["interior_fraction"] <= 1
        for key in ("simplex_test_loss", "kernel_test_loss", "test_loss_interior", "nn_spacing"):
            assert np.isfinite(m[key])
        assert t["config"]["pool_size"] == 128 and t["config"]["hull_size"] == 32


def test_simplex_alone_trains_no_network(tmp_path):
    out = tmp_path / "s"
    args = ["data-scaling", "--dims", "2", "--learners", "simplex", *TINY, "--ambient-dim", "4"]
    assert main([*args, "--out", str(out), "--no-figures"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert [r["learner"] for r in summary["results"]] == ["simplex"]
    trials = [json.loads(x) for x in (out / "trials.jsonl").read_text().splitlines()]
    assert all("train_loss" not in t["metrics"] for t in trials)


def test_bahri2021_preset_is_the_published_setup():
    c = BAHRI2021
    assert c.dims == (2, 3, 4, 5, 6, 7, 8, 9) and c.seeds == 8 and c.nested
    t = c.teacher
    assert (t.activation, t.depth, t.width, t.init, t.kind) == ("relu", 2, 96, "uniform", "network")
    assert c.teacher_target_r2 is None
    assert (c.student.depth, c.student.width, c.student.init) == (2, 192, "uniform")
    tr = c.train
    assert (tr.learning_rate, tr.batch_size, tr.steps, tr.schedule) == (3e-3, 64, 40000, "cosine")
    assert tr.steps_for(64) == tr.steps_for(8192) == 40000
    assert c.latent == "cube" and c.ambient_dim == 0


def test_preset_flags_override_and_are_recorded():
    config = config_from_argv(
        "data-scaling", ["--preset", "bahri2021", "--dims", "2", "--seeds", "3"]
    )
    assert config.dims == (2,) and config.seeds == 3 and config.student.width == 192


@pytest.mark.parametrize(
    "args,needle",
    [
        (["--teacher", "matern", "--nu", "1.0"], "--nu"),
        (["--teacher", "matern", "--length-scale", "0"], "--length-scale"),
        (["--dims", "6", "--learners", "simplex"], "--learners"),
        (["--teacher", "matern", "--sizes", "64", "128", "16000"], "--n-test"),
        (["--preset", "nope"], "--preset"),
    ],
)
def test_bad_input_one_line_exit_2(args, needle, tmp_path, capsys):
    out = tmp_path / "bad"
    code = main(["data-scaling", "--out", str(out), "--no-progress", *args])
    err = capsys.readouterr().err
    assert code == 2 and needle in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not out.exists()


def test_predictions_per_teacher():
    m = predicted_exponents(TeacherConfig(kind="matern", nu=3.5), 2)
    assert m["piecewise_linear"] == pytest.approx(2.0) and m["kernel"] == pytest.approx(3.0)
    m = predicted_exponents(TeacherConfig(kind="matern", nu=0.5), 3)
    assert m["piecewise_linear"] == m["kernel"] == pytest.approx(1 / 3)
    r = predicted_exponents(TeacherConfig(activation="relu"), 4)
    assert r["piecewise_linear_range"] == pytest.approx([0.75, 1.0]) and r["kernel"] == 0.75
    t = predicted_exponents(TeacherConfig(), 3)
    assert t["kernel_range"] == pytest.approx([4 / 3, 8 / 3])


def _verdict(alpha, ci, **extra):
    return Verdict(
        d=3, alpha=alpha, alpha_ci=ci, predicted_alpha=4 / 3, ratio=None, fit_window=(64, 1024),
        window_decades=1.2, reading="", consistent=False, within_tolerance=False,
        diagnostics={"excluded": {}}, fit=None, local_slopes={}, teacher={}, extra=extra,
    )  # fmt: skip


@pytest.mark.parametrize(
    "net,simplex,expected",
    [((1.35, (1.2, 1.5)), 1.33, "piecewise-linear"), ((2.0, (1.8, 2.2)), 1.33, "kernel-like"),
     ((0.8, (0.7, 0.9)), 1.33, "slower")],
)  # fmt: skip
def test_the_mechanism_reading(net, simplex, expected):
    pred = {"piecewise_linear": 4 / 3, "kernel": 8 / 3}
    refs = {"simplex": _verdict(simplex, (simplex - 0.1, simplex + 0.1))}
    res = {"resolved": True}
    assert read_mechanism(_verdict(*net), refs, pred, res)[0] == expected
    unresolved = {"resolved": False, "size": 1024, "nn_spacing": 0.5, "length_scale": 0.4}
    assert read_mechanism(_verdict(*net), refs, pred, unresolved)[0] == "not-resolution-limited"


def test_resolution_rule():
    rows = [{"n_train": 1024, "nn_spacing": s} for s in (0.1, 0.12)]
    assert resolution(rows, {"length_scale": 0.3})["resolved"]
    assert not resolution(rows, {"length_scale": 0.05})["resolved"]


def test_an_interval_holding_both_learners_cannot_tell_them_apart():
    pred = {"piecewise_linear": 4 / 3, "kernel": 8 / 3}
    refs = {"simplex": _verdict(1.13, (0.7, 1.5)), "kernel": _verdict(1.62, (0.8, 2.4))}
    mech, text = read_mechanism(_verdict(1.6, (1.1, 2.1)), refs, pred, {"resolved": True})
    assert mech == "undecided" and "1.62" in text


def test_paired_differences_decide_when_learners_share_the_data():
    from manifold_scaling.studies.verdict import paired_difference

    net = {"a": 1.49, "b": 2.10, "c": 1.17, "d": 1.68}
    simplex = {"a": 0.98, "b": 1.29, "c": 0.74, "d": 1.50}
    kernel = {"a": 1.18, "b": 2.28, "c": 0.88, "d": 2.13}
    pl, k = paired_difference(net, simplex), paired_difference(net, kernel)
    assert pl["n"] == 4 and pl["mean"] == pytest.approx(0.4825) and pl["ci"][0] > 0
    assert k["ci"][0] < 0 < k["ci"][1]
    pred, res = {"piecewise_linear": 4 / 3, "kernel": 8 / 3}, {"resolved": True}
    network = _verdict(1.6, (1.1, 2.1), paired={"simplex": pl, "kernel": k})
    assert read_mechanism(network, {}, pred, res)[0] == "kernel-like"
    same = _verdict(1.0, (0.8, 1.2), paired={"simplex": paired_difference(simplex, simplex)})
    assert paired_difference({"a": 1.0}, {"a": 1.0}) is None  # one replicate: no interval
    assert same.extra["paired"]["simplex"]["mean"] == 0
