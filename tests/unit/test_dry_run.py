"""``--dry-run``: the trials a real run would run, its compiled programs, optimiser steps and an
estimated time, with nothing trained or written.

The counts are checked against what a real run hands the sweep runner (the runner is stopped
before it starts): the same trials, the same groups the backends would form.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest

from manifold_scaling import dry_run
from manifold_scaling.cli import config_from_argv, main
from manifold_scaling.cli.sweeps import SWEEPS, ReproduceMode
from manifold_scaling.studies import reproduction
from manifold_scaling.studies.presets import reproduce_config
from manifold_scaling.sweep.backends import group_pending

TINY = [
    "--sizes", "32", "64", "128", "--seeds", "2", "--width", "16", "--steps-per-point", "2",
    "--min-steps", "200", "--max-steps", "400", "--n-test", "256", "--n-val", "64",
]  # fmt: skip


@pytest.fixture
def fake_probe(monkeypatch):
    """A step rate without training (the probe itself is tested once, below)."""

    def measure(segment, seconds=None):
        return dry_run.Rate(segment, 1000.0, 0.5, seconds or 0.0, "cpu")

    monkeypatch.setattr(dry_run, "measure_step_rate", measure)


class _Stop(BaseException):
    pass


def _real_run(monkeypatch, argv) -> list:
    """``(study, trials, key)`` of each sweep a real run of ``argv`` starts, the runner stopped
    before anything runs (teachers calibrated for real)."""
    import manifold_scaling.sweep as sweep

    seen = []

    def run_sweep(trial_fn, configs, out_dir, *, batch_key=None, grouping=None, study="", **kw):
        seen.append((study, list(configs), grouping.key if grouping else batch_key))
        raise _Stop

    monkeypatch.setattr(sweep, "run_sweep", run_sweep)
    with dry_run._x64_kept(), pytest.raises(_Stop):
        main(argv)
    return seen


def _dry(capsys, monkeypatch, tmp_path, argv) -> dict:
    """Run ``argv --dry-run`` in an empty directory: exit 0, nothing written; its numbers."""
    work = tmp_path / "cwd"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    out = tmp_path / "out"
    assert main([*argv, "--out", str(out), "--dry-run"]) == 0
    text, err = capsys.readouterr()
    assert not out.exists() and not list(work.iterdir()), "a dry run wrote something"
    numbers = {
        m.group(1): int(m.group(2).replace(",", ""))
        for m in re.finditer(r"^([a-zA-Z -]+): ([\d,]+)$", text, re.M)
    }
    assert re.search(r"^estimated time: [\d.]+ (s|min|h) \(", text, re.M), text
    return {**numbers, "text": text}


def _programs(trials, key) -> int:
    return len(group_pending(list(enumerate(trials)), key)) if key else len(trials)


# --- the counts are a real run's ----------------------------------------------------------------


def test_data_scaling_dry_run_counts_what_a_real_run_would_run(
    capsys, monkeypatch, tmp_path, fake_probe
):
    argv = ["data-scaling", "--dims", "2", *TINY, "--batch-size", "16"]  # the R^2 rule on
    got = _dry(capsys, monkeypatch, tmp_path, argv)
    [(study, trials, key)] = _real_run(monkeypatch, [*argv, "--out", str(tmp_path / "real")])
    assert study == "data-scaling"
    assert got["trials"] == len(trials) == 6
    # one d, two step budgets (250 steps for D = 32, 64; 500 for D = 128): two programs
    assert got["compiled programs"] == _programs(trials, key) == 2
    assert got["optimiser steps"] == sum(t.train.steps_for(t.n_train) for t in trials)
    assert f"data-scaling -> {tmp_path / 'out'}: 6 trials, 2 compiled programs" in got["text"]


def test_a_teacher_length_band_changes_no_count(capsys, monkeypatch, tmp_path, fake_probe):
    """The dry run keeps each replicate's first teacher draw; a real run keeps the first draw whose
    length scale is in the band (here every draw): the same trials, groups and steps."""
    argv = ["data-scaling", "--dims", "2", *TINY, "--teacher-length-band", "0.001", "100"]
    got = _dry(capsys, monkeypatch, tmp_path, argv)
    [(_, trials, key)] = _real_run(monkeypatch, [*argv, "--out", str(tmp_path / "real")])
    assert got["trials"] == len(trials) == 6
    assert got["compiled programs"] == _programs(trials, key)
    assert got["optimiser steps"] == sum(t.train.steps_for(t.n_train) for t in trials)


def test_model_scaling_dry_run_groups_as_the_study_does(capsys, monkeypatch, tmp_path, fake_probe):
    argv = ["model-scaling", "--dims", "3", "--widths", "4", "8", "16", "--seeds", "2",
            "--teacher-r2", "none", "--train-steps", "1000", "--budget-fraction", "0.5", "1",
            "--n-test", "256", "--n-val", "64"]  # fmt: skip
    got = _dry(capsys, monkeypatch, tmp_path, argv)
    [(_, trials, key)] = _real_run(monkeypatch, [*argv, "--out", str(tmp_path / "real")])
    assert got["trials"] == len(trials) == 2 * 3 * 2  # fractions x widths x replicates
    assert got["compiled programs"] == _programs(trials, key) == 2  # one per budget fraction
    assert got["optimiser steps"] == sum(t.steps for t in trials) == 6 * (500 + 1000)


@pytest.mark.integration  # slow tier: runs in .ci/run's second pytest
def test_variance_limited_counts_its_shared_warm_start_once(
    capsys, monkeypatch, tmp_path, fake_probe
):
    import jax

    x64 = bool(jax.config.jax_enable_x64)
    argv = ["variance-limited", "--dims", "2", "--teacher-r2", "none", "--seeds", "2"]
    got = _dry(capsys, monkeypatch, tmp_path, argv)
    assert bool(jax.config.jax_enable_x64) == x64  # float64 planning leaves the process as it was
    [(_, trials, _)] = _real_run(monkeypatch, [*argv, "--out", str(tmp_path / "real")])
    config = config_from_argv("variance-limited", argv[1:])
    assert got["trials"] == len(trials) == 2 * len(set(config.sizes))
    assert got["optimiser steps"] == config.pretrain_steps  # theta*: once for every trial
    lbfgs = len(trials) * config.lbfgs_steps + config.population_lbfgs_steps
    assert got["L-BFGS iterations"] == lbfgs


def test_variants_count_shared_trials_once_and_devices_batches_cut_programs(
    capsys, monkeypatch, tmp_path, fake_probe
):
    argv = ["ambient-invariance", "--dims", "2", *TINY, "--batch-size", "16",
            "--ambient-dims", "8", "16", "--embeddings", "pad", "rotation"]  # fmt: skip
    got = _dry(capsys, monkeypatch, tmp_path, argv)
    [(_, trials, key)] = _real_run(monkeypatch, [*argv, "--out", str(tmp_path / "real")])
    assert got["trials"] == len(trials) == 4 * 3 * 2  # variants x sizes x replicates
    # per variant two step budgets: 250 steps (D = 32, 64: 4 trials), 500 (D = 128: 2 trials)
    assert got["compiled programs"] == _programs(trials, key) == 4 * 2
    cut = _dry(capsys, monkeypatch, tmp_path / "b", [*argv, "--backend", "devices",
                                                    "--devices-batch", "3"])  # fmt: skip
    assert cut["compiled programs"] == 4 * (math.ceil(4 / 3) + math.ceil(2 / 3))


def test_own_data_dry_run(capsys, monkeypatch, tmp_path, fake_probe):
    from manifold_scaling.studies.own_data import load_arrays, trial_configs

    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 3))
    data = tmp_path / "xy.npz"
    np.savez(data, X=x, y=np.sin(x).sum(1))
    argv = ["data-scaling", "--data", str(data), *TINY[:8]]
    got = _dry(capsys, monkeypatch, tmp_path, argv)
    config = config_from_argv("data-scaling", argv[1:])
    trials = trial_configs(config, *load_arrays(str(data)))
    assert got["trials"] == len(trials) == 6 and got["compiled programs"] == 6
    assert got["optimiser steps"] == sum(t.train.steps_for(t.n_train) for t in trials)


# --- every study command has it -----------------------------------------------------------------


@pytest.mark.parametrize("command", sorted(SWEEPS))
def test_every_study_command_has_a_dry_run(command, capsys, monkeypatch, tmp_path, fake_probe):
    got = _dry(capsys, monkeypatch, tmp_path, [command])
    assert got["trials"] > 0 and got["compiled programs"] > 0 and got["optimiser steps"] > 0
    assert got["text"].startswith(f"manifold-scaling {command} --dry-run: nothing is trained")
    assert "step rate: 1,000 steps/s" in got["text"]


@pytest.mark.parametrize(
    "argv, mode",
    [([], ReproduceMode()), (["--quick"], ReproduceMode(quick=True)),
     (["--full"], ReproduceMode(full=True))],
)  # fmt: skip
def test_reproduce_dry_run_plans_what_run_reproduction_runs(argv, mode, monkeypatch, tmp_path):
    """The parts --dry-run plans are the studies run_reproduction runs, with the same configs
    (``--full``: presets.reproduce_config(full=True)) and output directories."""
    assert config_from_argv("reproduce", argv) == mode
    calls = []
    for name in ("run_data_scaling", "run_smoothness_scan"):
        monkeypatch.setattr(
            reproduction, name, lambda c, out, _n=name, **kw: calls.append((_n, c, Path(out))) or {}
        )
    monkeypatch.setattr(reproduction, "save_json", lambda *a, **k: None)
    sweep = SWEEPS["reproduce"]
    sweep.run(mode, tmp_path, options=None, make_figures=False)
    parts = sweep.parts(mode, tmp_path)
    assert [(c, Path(o)) for _, c, o in calls] == [(c, Path(o)) for _, c, o in parts]
    assert [run.__name__ for run, _, _ in parts] == [name for name, _, _ in calls]
    assert parts[0][1] == reproduce_config(quick=mode.quick, full=mode.full)


def test_reproduce_full_dry_run_counts_the_full_design(capsys, monkeypatch, tmp_path, fake_probe):
    got = _dry(capsys, monkeypatch, tmp_path, ["reproduce", "--full"])
    main_config = reproduce_config(full=True)
    (_, scan, _) = SWEEPS["reproduce"].parts(ReproduceMode(full=True), tmp_path)[1]
    n_main = len(main_config.dims) * len(main_config.sizes) * main_config.seeds
    n_scan = len(scan.nus) * len(scan.base.dims) * len(scan.base.sizes) * scan.base.seeds
    assert got["trials"] == n_main + n_scan
    steps = n_main * main_config.train.steps + n_scan * scan.base.train.steps
    assert got["optimiser steps"] == steps


# --- the probe and the estimate -----------------------------------------------------------------


def test_the_step_rate_probe_times_steps_after_compiling():
    seg = dry_run.Segment("steps", 0, batch=16, width=8, depth=1, input_dim=2, output_dim=1,
                          eval_every=50, n_val=32)  # fmt: skip
    rate = dry_run.measure_step_rate(seg, seconds=0.1)
    assert rate.steps_per_s > 0 and rate.compile_s >= 0 and rate.measured_s >= 0.1
    assert rate.device


def test_the_estimate_is_steps_over_the_rate_plus_compiling():
    seg = dict(width=32, depth=2, input_dim=4, output_dim=1)
    small, large = (
        dry_run.Segment("steps", 1000, 8, **seg),
        dry_run.Segment("steps", 500, 512, **seg),
    )
    part = dry_run.Part("s", Path("o"), [1, 2, 3], 3, [small, large])
    plan = dry_run.Plan([part])
    rates = {8: 2000.0, 512: 500.0}

    def measure(s, seconds):
        return dry_run.Rate(s, rates[s.batch], 1.5, seconds, "cpu")

    est = dry_run.estimate(plan, seconds=0.2, measure=measure)
    assert [r.segment.batch for r in est.rates] == [8, 512]  # the cheapest and the dearest
    assert est.train_s == pytest.approx(1000 / 2000 + 500 / 500)
    assert est.compile_s == pytest.approx(3 * 1.5)
    one = dry_run.estimate(dry_run.Plan([dry_run.Part("s", Path("o"), [1], 1, [small])]),
                           measure=measure)  # fmt: skip
    assert one.train_s == pytest.approx(0.5) and len(one.rates) == 1
