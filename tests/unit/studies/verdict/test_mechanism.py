"""The exponent, explained: reference learners beside the network, Matérn teachers, the smoothness
scan, the bahri2021 preset, and the mechanism named in the verdict (tiny runs; the science numbers
come from the README's commands)."""

import json

import pytest

from manifold_scaling.cli import config_from_argv, main
from manifold_scaling.studies.findings import Agreement, Contrast, MechanismCall
from manifold_scaling.studies.presets import BAHRI2021
from manifold_scaling.studies.verdict import read_mechanism, resolution
from manifold_scaling.teachers import TeacherConfig, predicted_exponents

TINY = [
    "--sizes", "32", "64", "128", "--seeds", "2", "--width", "32", "--steps-per-point", "2",
    "--min-steps", "200", "--max-steps", "300", "--n-test", "256", "--n-val", "64",
    "--bootstrap", "60", "--no-progress",
]  # fmt: skip


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
        # the verdict's rules stated in advance: margins and shares in (0, 1), low <= high
        (["--contrast-margin", "0"], "--contrast-margin"),
        (["--contrast-margin", "1.5"], "--contrast-margin"),
        (["--max-excluded-share", "1"], "--max-excluded-share"),
        (["--convergence-tol", "-0.1"], "--convergence-tol"),
        (["--agreement-band", "1.25", "0.8"], "--agreement-band"),
        (["--agreement-band", "0", "1.25"], "--agreement-band"),
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
    # on the bounded cube only (d + 1)/d is guaranteed for the Laplace kernel (Schaback 1999)
    assert t["kernel_range"] == pytest.approx([4 / 3, 8 / 3])
    assert t["piecewise_linear_range"] == pytest.approx([4 / 3, 4 / 3])
    m = predicted_exponents(TeacherConfig(kind="matern", nu=3.5), 4)
    assert m["kernel_range"] == pytest.approx([5 / 4, 7 / 4]) and m["piecewise_linear"] == 1.0


def test_resolution_rule_uses_the_windows_smallest_size():
    rows = [{"n_train": n, "nn_spacing": s} for n, s in ((64, 0.4), (1024, 0.1), (1024, 0.12))]
    assert resolution(rows, {"length_scale": 0.3}, 1024).resolved
    assert not resolution(rows, {"length_scale": 0.3}, 64).resolved  # not resolved at the start
    assert resolution(rows, {"length_scale": 0.3}).resolved  # no window given: the largest D
    assert resolution(rows, {"length_scale": None}).resolved is None


def _contrast(learner, mean, half, margin=0.27):
    from manifold_scaling.studies.findings import equivalence

    ci = (mean - half, mean + half)
    return Contrast(learner, mean, ci, 6, margin, equivalence(ci, (-margin, margin)))


SEPARATE = {"piecewise_linear_range": [1.0, 1.0], "kernel_range": [1.25, 2.5]}  # tanh at d = 4


@pytest.mark.parametrize(
    "simplex,kernel,expected",
    [((0.0, 0.1), (0.6, 0.1), MechanismCall.SIMPLEX),
     ((0.6, 0.1), (0.0, 0.1), MechanismCall.LAPLACE),
     ((0.6, 0.1), (-0.6, 0.1), MechanismCall.NEITHER),
     ((0.0, 0.1), (0.05, 0.1), MechanismCall.NOT_IDENTIFIABLE),  # the learners agree
     ((0.0, 0.1), (0.3, 0.2), MechanismCall.UNDETERMINED),  # kernel contrast straddles the margin
     ((0.0, 0.5), (0.6, 0.1), MechanismCall.UNDETERMINED)],  # simplex interval too wide
)  # fmt: skip
def test_the_mechanism_call_from_paired_contrasts(simplex, kernel, expected):
    contrasts = [_contrast("simplex", *simplex), _contrast("kernel", *kernel)]
    assert read_mechanism(contrasts, SEPARATE).call is expected


def test_overlapping_predictions_are_not_identifiable_whatever_the_contrasts():
    # tanh at d = 2: piecewise-linear 2 lies inside the kernel band [1.5, 3] on the cube
    overlap = predicted_exponents(TeacherConfig(), 2)
    contrasts = [_contrast("simplex", 0.0, 0.1), _contrast("kernel", 0.6, 0.1)]
    mech = read_mechanism(contrasts, overlap)
    assert mech.call is MechanismCall.NOT_IDENTIFIABLE and "overlap" in mech.why
    # a ReLU teacher's bands overlap at every d
    for d in (2, 3, 4, 6):
        relu = predicted_exponents(TeacherConfig(activation="relu"), d)
        assert read_mechanism(contrasts, relu).call is MechanismCall.NOT_IDENTIFIABLE


def test_paired_contrasts_cancel_the_teacher():
    from manifold_scaling.studies.verdict import paired_contrast, paired_difference

    net = {"a": 1.49, "b": 2.10, "c": 1.17, "d": 1.68}
    simplex = {"a": 0.98, "b": 1.29, "c": 0.74, "d": 1.50}
    kernel = {"a": 1.18, "b": 2.28, "c": 0.88, "d": 2.13}
    pl = paired_contrast(net, simplex, learner="simplex", margin=0.27)
    k = paired_contrast(net, kernel, learner="kernel", margin=0.27)
    assert pl.n == 4 and pl.mean == pytest.approx(0.4825) and pl.interval[0] > 0
    assert k.interval[0] < 0 < k.interval[1]
    assert pl.call is Agreement.UNDETERMINED  # above 0, but its interval reaches into the margin
    same = paired_contrast(simplex, simplex, learner="simplex", margin=0.27)
    assert same.mean == 0 and same.call is Agreement.CONSISTENT
    assert paired_difference({"a": 1.0}, {"a": 1.0}) is None  # one replicate: no interval
