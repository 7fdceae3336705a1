"""Model-size scaling on shared streams: every width of a replicate trains on one stream of fresh
batches (one teacher pass per step), the result of a student does not depend on its group, the
phased schedule and budget fractions, the sharma-kaplan2020 preset, and grouped backends."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from manifold_scaling.cli import config_from_argv, main
from manifold_scaling.manifolds import ManifoldConfig
from manifold_scaling.students import StudentConfig
from manifold_scaling.studies.model_scaling import (
    ModelScalingConfig,
    OnlineTrialConfig,
    online_group_key,
    run_online_group,
    run_online_trial,
    trial_configs,
)
from manifold_scaling.studies.presets import SHARMA_KAPLAN2020
from manifold_scaling.sweep.backends import JAX_WORKER_ENV, worker_jax_env
from manifold_scaling.teachers import TeacherConfig
from manifold_scaling.training import Phase, TrainConfig

# XLA may reorder float sums when the students of a group are batched (vmapped over replicates,
# fused with other widths): float32 numbers then agree to a few ulps, not bit for bit.
REL32 = 1e-5


def _trial(width=4, seed=1, data_seed=7, **kw):
    base = dict(
        manifold=ManifoldConfig(intrinsic_dim=2, ambient_dim=0, embedding="pad"),
        teacher=TeacherConfig(depth=2, width=16),
        student=StudentConfig(depth=2, width=width),
        train=TrainConfig(learning_rate=1e-2, batch_size=64, eval_every=50),
        steps=200,
        n_val=128,
        n_test=256,
        data_seed=data_seed,
        seed=seed,
    )
    return OnlineTrialConfig(**{**base, **kw})


def _close(a, b, rel=REL32):
    for key in ("test_loss", "val_loss", "train_loss"):
        assert a.metrics[key] == pytest.approx(b.metrics[key], rel=rel), key
    for key in ("best_step", "steps", "samples_seen", "n_params", "width"):
        assert a.metrics[key] == b.metrics[key], key
    np.testing.assert_allclose(a.arrays["curve_val"], b.arrays["curve_val"], rtol=10 * rel)


@pytest.fixture(scope="module")
def group():
    trials = [_trial(w, s, ds) for w in (3, 6) for s, ds in ((1, 7), (2, 8))]
    return trials, run_online_group(trials)


@pytest.mark.integration  # slow tier: runs in .ci/run's second pytest
def test_a_group_gives_each_student_what_it_gets_alone(group):
    trials, together = group
    for trial, out in zip(trials, together):
        _close(out, run_online_trial(trial))


@pytest.mark.integration  # slow tier: runs in .ci/run's second pytest
def test_a_student_does_not_depend_on_the_rest_of_its_group(group):
    trials, together = group
    # another composition: one replicate, the widths in the other order
    subset = [trials[2], trials[0]]
    for trial, out in zip(subset, run_online_group(subset)):
        _close(out, together[trials.index(trial)])


@pytest.mark.integration  # slow tier: runs in .ci/run's second pytest
def test_widths_of_a_replicate_share_its_stream_and_sets(group):
    trials, together = group
    a, b = together[0], together[2]  # widths 3 and 6 of replicate (1, 7)
    assert a.metrics["samples_seen"] == b.metrics["samples_seen"] == 200 * 64
    # different students on the same stream: different losses, same number of points seen
    assert a.metrics["test_loss"] != b.metrics["test_loss"]
    assert online_group_key(trials[0]) == online_group_key(trials[3])
    assert online_group_key(trials[0]) != online_group_key(replace(trials[0], steps=250))


@pytest.mark.integration  # slow tier: runs in .ci/run's second pytest
def test_replicates_with_calibrated_teacher_gains_share_one_program():
    # the R^2 rule gives each replicate its own gain: it lives in the weights, not the program
    trials = [
        _trial(w, s, ds, teacher=TeacherConfig(depth=2, width=16, gain=g))
        for w in (3, 5)
        for s, ds, g in ((1, 7, 1.5), (2, 8, 4.0))
    ]
    assert len({online_group_key(t) for t in trials}) == 1
    for trial, out in zip(trials, run_online_group(trials)):
        _close(out, run_online_trial(trial))


def test_a_group_refuses_trials_that_cannot_share_a_program():
    with pytest.raises(ValueError, match="width and replicate"):
        run_online_group([_trial(), _trial(steps=250)])


@pytest.mark.integration  # slow tier: runs in .ci/run's second pytest
def test_float64_group_matches_alone_closely():
    import jax

    before = bool(jax.config.jax_enable_x64)
    try:
        train = TrainConfig(learning_rate=1e-2, batch_size=64, eval_every=50, precision="float64")
        trials = [_trial(w, s, ds, train=train) for w in (3, 5) for s, ds in ((1, 7), (2, 8))]
        for trial, out in zip(trials, run_online_group(trials)):
            _close(out, run_online_trial(trial), rel=1e-9)
    finally:
        jax.config.update("jax_enable_x64", before)


@pytest.mark.integration  # slow tier: runs in .ci/run's second pytest
def test_phases_run_in_order_and_count_their_steps_and_samples():
    phases = (Phase(100, 32, 1e-2), Phase(50, 128, 1e-2), Phase(50, 256, 1e-3))
    out = run_online_trial(_trial(phases=phases))
    assert out.metrics["steps"] == 200
    assert out.metrics["samples_seen"] == 100 * 32 + 50 * 128 + 50 * 256
    assert out.arrays["curve_steps"].tolist() == [50, 100, 150, 200]
    assert np.all(np.isfinite(out.arrays["curve_val"]))
    # the last phase's small learning rate: its fresh-batch loss falls below the first phase's
    assert out.arrays["curve_train"][-1] < out.arrays["curve_train"][0]
    # a phase's steps round up to whole chunks of eval_every
    assert _trial(phases=(Phase(60, 32), Phase(10, 64))).schedule == (
        Phase(100, 32),
        Phase(50, 64),
    )


@pytest.mark.integration  # slow tier: runs in .ci/run's second pytest
def test_budget_fraction_scales_every_phase_and_is_recorded():
    config = replace(SHARMA_KAPLAN2020, dims=(3,), seeds=2, budget_fractions=(0.01, 0.1))
    trials = trial_configs(config)
    assert len(trials) == 2 * 7 * 2
    small = [t for t in trials if t.budget_fraction == 0.01][0]
    big = [t for t in trials if t.budget_fraction == 0.1][0]
    assert [p.steps for p in small.schedule] == [2000, 200, 200]
    assert [p.steps for p in big.schedule] == [20000, 2000, 2000]
    assert [p.batch_size for p in big.schedule] == [200, 1000, 4000]
    assert [p.learning_rate for p in big.schedule] == [1e-2, 1e-2, 1e-3]
    assert trials[0].budget_fraction == 0.01  # smallest budgets run first
    # one group per (budget fraction, d): every width and replicate of it
    assert len({online_group_key(t) for t in trials}) == 2


def test_sharma_kaplan2020_preset_is_the_published_recipe():
    c = SHARMA_KAPLAN2020
    assert c.dims == (3, 4, 6) and c.seeds == 10 and c.depth == 2
    assert (c.latent, c.ambient_dim, c.embedding) == ("unit-cube", 20, "pad")
    t = c.teacher
    assert (t.activation, t.depth, t.width, t.init, t.gain, t.bias_std) == (
        "relu", 2, 600, "normal", 1.0, 0.0,
    )  # fmt: skip
    assert c.teacher_target_r2 is None
    assert c.widths_at(3) == c.widths_at(6) == (8, 10, 13, 17, 22, 29, 38)
    assert c.widths_at(7)[0] == 15 and c.widths_at(11)[0] == 22 and len(c.widths_at(11)) == 7
    student = c.student(8)
    assert (student.init, student.bias_std) == ("normal", 0.5)
    assert c.train.precision == "float64" and c.train.optimizer == "adam"
    assert c.schedule(1.0) == (
        Phase(200000, 200, 1e-2),
        Phase(20000, 1000, 1e-2),
        Phase(20000, 4000, 1e-3),
    )
    assert sum(p.steps * p.batch_size for p in c.schedule(1.0)) == 140_000_000
    assert c.n_test == 10000 and c.layer_id_k == 10


def test_preset_flags_override_it():
    config = config_from_argv(
        "model-scaling",
        ["--preset", "sharma-kaplan2020", "--dims", "3", "--budget-fraction", "0.01", "0.02"],
    )
    assert config.dims == (3,) and config.budget_fractions == (0.01, 0.02)
    assert config.teacher.width == 600 and config.seeds == 10


@pytest.mark.parametrize(
    "args,needle",
    [
        (["--preset", "nope"], "--preset"),
        (["--preset", "bahri2021"], "--preset"),
        (["--budget-fraction", "0"], "--budget-fraction"),
        (["--budget-fraction", "-0.5"], "--budget-fraction"),
        (["--budget-fraction", "1.5"], "--budget-fraction"),
        (["--budget-fraction", "0.1", "0.1"], "--budget-fraction"),
        (["--phase-steps", "100", "100", "--phase-batch-sizes", "10"], "--phase-batch-sizes"),
        (["--layer-id-k", "-1"], "--layer-id-k"),
        (["--latent", "blob"], "--latent"),
    ],
)
def test_bad_input_one_line_exit_2(args, needle, tmp_path, capsys):
    out = tmp_path / "bad"
    code = main(["model-scaling", "--out", str(out), "--no-progress", *args])
    err = capsys.readouterr().err
    assert code == 2 and needle in err, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not out.exists()


def test_data_scaling_refuses_a_model_scaling_preset(tmp_path, capsys):
    code = main(["data-scaling", "--preset", "sharma-kaplan2020", "--out", str(tmp_path / "x")])
    err = capsys.readouterr().err
    assert code == 2 and "--preset" in err and "model-scaling" in err


def test_dask_workers_get_jax_memory_settings(monkeypatch):
    for name in JAX_WORKER_ENV:
        monkeypatch.delenv(name, raising=False)
    env = worker_jax_env(4)
    assert env["XLA_PYTHON_CLIENT_PREALLOCATE"] == "false"
    assert float(env["XLA_PYTHON_CLIENT_MEM_FRACTION"]) == pytest.approx(0.9 / 4, abs=1e-3)
    monkeypatch.setenv("XLA_PYTHON_CLIENT_MEM_FRACTION", "0.5")  # the user's choice wins
    assert worker_jax_env(4)["XLA_PYTHON_CLIENT_MEM_FRACTION"] == "0.5"


def test_model_scaling_config_validates_phases():
    with pytest.raises(Exception, match="phase_learning_rates"):
        ModelScalingConfig(phase_steps=(100,), phase_batch_sizes=(10,))
