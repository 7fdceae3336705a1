"""Intrinsic dimension of what a student learned, and the real-data (digits) study."""

import json

import jax
import numpy as np
import pytest

from manifold_scaling.cli import main
from manifold_scaling.intrinsic_dim import estimate_id
from manifold_scaling.manifolds import ManifoldConfig, init_embedding, sample_manifold
from manifold_scaling.students import StudentConfig, student_hidden
from manifold_scaling.teachers import TeacherConfig, init_teacher
from manifold_scaling.training import TrainConfig, train_student


@pytest.mark.parametrize("d", [2, 4])
def test_last_hidden_layer_of_a_trained_student_has_dimension_d(d, key):
    """Sharma & Kaplan Sec. 3.2: the last hidden layer's ID is close to d (here within 20 %)."""
    cfg = ManifoldConfig(intrinsic_dim=d, ambient_dim=16)
    emb = init_embedding(key, cfg)
    teacher = init_teacher(jax.random.key(1), TeacherConfig(gain=1.5), d)
    train = sample_manifold(jax.random.key(2), emb, 256)
    val = sample_manifold(jax.random.key(3), emb, 256)
    res = train_student(
        jax.random.key(4), StudentConfig(width=64), TrainConfig(min_steps=500, eval_every=250),
        train.x, teacher(train.z), val.x, teacher(val.z),
    )  # fmt: skip
    probe = sample_manifold(jax.random.key(5), emb, 2000)
    last = np.asarray(student_hidden(res.params, probe.x)[-1], np.float64)
    est = estimate_id(last, key=jax.random.key(6))
    assert abs(est.dimension - d) <= 0.2 * d, est.dimension


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("rep") / "run"
    args = ["data-scaling", "--dims", "2", "--sizes", "32", "64", "128", "--seeds", "1",
            "--ambient-dim", "6", "--width", "32", "--min-steps", "200", "--max-steps", "300",
            "--steps-per-point", "2", "--n-test", "256", "--n-val", "64", "--bootstrap", "60",
            "--no-figures", "--no-progress", "--out", str(out)]  # fmt: skip
    assert main(args) == 0
    return out


def test_layer_dims_cli_reports_every_layer(tiny_run, tmp_path, capsys):
    prefix = tmp_path / "layers"
    assert (
        main(
            ["layer-dims", str(tiny_run), "--size", "128", "--points", "1500", "--out", str(prefix)]
        )
        == 0
    )
    result = json.loads(prefix.with_suffix(".json").read_text())
    names = [r["layer"] for r in result["layers"]]
    assert names[:2] == ["latent z", "data x"] and "student hidden 2" in names
    assert "teacher hidden 3" in names
    for r in result["layers"][:2]:  # the data themselves: a flat 2-d manifold
        assert r["dimension"] == pytest.approx(2.0, rel=0.1)
    assert prefix.with_suffix(".png").exists() and (tmp_path / "layers_scales.png").exists()
    assert "| layer |" in capsys.readouterr().out


def test_layer_dims_bad_inputs(tiny_run, tmp_path, capsys):
    assert main(["layer-dims", str(tmp_path / "nothing")]) == 2
    assert main(["layer-dims", str(tiny_run), "--d", "7"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "--dims/--size/--replicate" in err


@pytest.mark.integration  # slow tier: runs in .ci/run's second pytest
def test_digits_trial_learns_and_records_cross_entropy():
    from manifold_scaling.studies.digits import DigitsTrial, run_digits_trial

    cfg = DigitsTrial(
        n_train=100, student=StudentConfig(width=64),
        train=TrainConfig(steps_per_point=5, min_steps=300, max_steps=500, eval_every=100),
    )  # fmt: skip
    m = run_digits_trial(cfg).metrics
    assert m["test_accuracy"] > 0.6  # 10 classes: chance is 0.1
    assert m["train_loss"] < m["test_loss"]
    assert np.isfinite(m["test_loss"])


def test_digits_config_rejects_sizes_beyond_the_data():
    from manifold_scaling.errors import InputError
    from manifold_scaling.studies.digits import DigitsConfig

    with pytest.raises(InputError, match="sizes"):
        DigitsConfig(sizes=(100, 200, 5000))
