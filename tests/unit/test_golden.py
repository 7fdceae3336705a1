"""Golden values that pin behaviour during the "one study protocol" refactor.

These are NOT science checks: the numbers below are whatever the code computed for one tiny,
seconds-long trial of each kind (data scaling, model scaling on fresh data, variance-limited,
digits) and for the two fitters, recorded before the refactor began. A pure restructuring (moving
code between modules, new config types, new runners) must reproduce them to ``rel=1e-5``.

They may only change when a later change deliberately changes the computation (a different key
derivation, loss, optimiser, schedule, ...), and that change must say so in its description.

How a trial is *built* is expected to change during the refactor (e.g. a model-scaling trial may
get its own config type with an explicit ``steps`` field instead of the fake ``n_train``): only the
``_*_trial()`` builder functions at the top of this file should then be edited, never the pinned
numbers. Each builder returns ``(run, config)``; the test calls ``run(config).metrics``. Imports
live inside the builders so that a moved module breaks one test, not the whole file.

JAX's x64 mode is a process-wide switch: every test here sets it explicitly (float32 trials run
with it off, the float64 variance-limited trial with it on) and restores it afterwards, so the
values do not depend on which tests ran before in the same process.
"""

from __future__ import annotations

import jax
import numpy as np
import pytest

REL = 1e-5
REL_LBFGS = 0.1  # the variance-limited trial's pin (see VARIANCE_LIMITED)

# The stack the values were recorded on: XLA's and SciPy's floating point differ between releases
# (the lowest-versions job, jax 0.4.30, moves them by far more than 1e-5), so elsewhere these
# pins say nothing about the refactor and are skipped; the science tests cover every stack.
RECORDED_WITH = {"jax": "0.10.2", "jaxlib": "0.10.2", "scipy": "1.17.1"}


def _versions() -> dict:
    from importlib.metadata import version

    return {name: version(name) for name in RECORDED_WITH}


pytestmark = pytest.mark.skipif(
    _versions() != RECORDED_WITH,
    reason=f"golden values were recorded with {RECORDED_WITH}",
)


# --- builders: the only place that should change when trial construction is refactored --------


def _data_scaling_trial():
    """One student trained on D = 64 points of a 2-d cube rotated into R^6."""
    from manifold_scaling.manifolds import ManifoldConfig
    from manifold_scaling.students import StudentConfig
    from manifold_scaling.studies.trials import TrialConfig, run_trial
    from manifold_scaling.teachers import TeacherConfig
    from manifold_scaling.training import TrainConfig

    config = TrialConfig(
        manifold=ManifoldConfig(intrinsic_dim=2, ambient_dim=6, embedding="rotation"),
        teacher=TeacherConfig(),
        student=StudentConfig(width=32),
        train=TrainConfig(steps_per_point=2, min_steps=200, max_steps=400, eval_every=50),
        n_train=64,
        n_val=64,
        n_test=256,
        data_seed=3,
        seed=5,
    )
    return run_trial, config


def _model_scaling_trial():
    """One width-8 student trained for 500 Adam steps on fresh batches (model-scaling protocol).

    Built like ``studies.model_scaling.trial_configs``: an ``OnlineTrialConfig`` whose budget is
    its ``steps`` (before the refactor: a TrainConfig with min = max steps and a fake n_train).
    """
    from manifold_scaling.manifolds import ManifoldConfig
    from manifold_scaling.students import StudentConfig
    from manifold_scaling.studies.model_scaling import OnlineTrialConfig, run_online_trial
    from manifold_scaling.teachers import TeacherConfig
    from manifold_scaling.training import TrainConfig

    config = OnlineTrialConfig(
        manifold=ManifoldConfig(intrinsic_dim=3, ambient_dim=0, embedding="pad"),
        teacher=TeacherConfig(),
        student=StudentConfig(depth=2, width=8),
        train=TrainConfig(learning_rate=1e-2, batch_size=256, eval_every=250),
        steps=500,
        n_val=256,
        n_test=1024,
        data_seed=7,
        seed=1,
    )
    return run_online_trial, config


def _variance_limited_trial():
    """theta* (short Adam + L-BFGS on a small population), then L-BFGS on D = 512 points."""
    from dataclasses import replace

    from manifold_scaling.studies.variance_limited import (
        VarianceLimitedConfig,
        run_variance_trial,
        trial_configs,
    )

    study = VarianceLimitedConfig(
        d=2,
        sizes=(64, 128, 256, 512),
        seeds=2,
        width=4,
        pretrain_steps=250,
        population_size=512,  # = the trial's D, with equal L-BFGS steps: one compile for both
        population_lbfgs_steps=20,
        lbfgs_steps=20,
        precision="float64",
        n_test=256,
        min_ratio=1.0,
        teacher_target_r2=None,
    )
    # The study's own teacher rule is skipped (teacher_target_r2=None): the default teacher. The
    # seeds are those the study drew before the refactor (data_seed = 0 * 1009 + d, seed 1).
    trial = replace(trial_configs(study)[-1], data_seed=2, seed=1)
    return run_variance_trial, trial  # D = 512


def _digits_trial():
    """A width-32 classifier on 64 digits images."""
    from manifold_scaling.students import StudentConfig
    from manifold_scaling.studies.digits import DigitsTrial, run_digits_trial
    from manifold_scaling.training import TrainConfig

    config = DigitsTrial(
        n_train=64,
        seed=2,
        student=StudentConfig(depth=2, width=32),
        train=TrainConfig(steps_per_point=2, min_steps=200, max_steps=400, eval_every=50),
    )
    return run_digits_trial, config


def _joint_grid():
    """A deterministic (N, D, loss) grid: L = 0.1 + 3 N^-0.6 + 5 D^-0.9, 2 % log-normal noise."""
    n, d = np.meshgrid(np.geomspace(1e2, 1e5, 5), np.geomspace(1e2, 1e5, 5))
    n, d = n.ravel(), d.ravel()
    noise = np.exp(0.02 * np.random.default_rng(0).standard_normal(n.size))
    return n, d, (0.1 + 3.0 * n**-0.6 + 5.0 * d**-0.9) * noise


def _power_law_curve():
    """A deterministic 2-seed curve: L = 2 D^-0.8 with 5 % log-normal noise, 6 sizes."""
    sizes = np.repeat(np.geomspace(64, 8192, 6), 2)
    groups = np.tile([0, 1], 6)
    noise = np.exp(0.05 * np.random.default_rng(1).standard_normal(sizes.size))
    return sizes, 2.0 * sizes**-0.8 * noise, groups


# --- golden values -----------------------------------------------------------------------------

# golden (pins the refactor)
DATA_SCALING = {
    "train_loss": 0.0030694950837641954,
    "val_loss": 0.005853363312780857,
    "test_loss": 0.00754645885899663,
    "best_step": 100,
    "steps": 200,
    "n_params": 1313,
}

# golden, re-pinned deliberately by the shared-stream change ("Model-size scaling at the published
# budget"): every width of a replicate now trains on the replicate's one stream of fresh batches
# (the stream key no longer folds in the width; the initialisation still does), and the teacher
# labels each step's batch inside the step instead of a whole chunk at once. Before: test_loss
# 0.006131745409220457, val_loss 0.005722870584577322, train_loss 0.006558621767908335.
MODEL_SCALING = {
    "test_loss": 0.007172236684709787,
    "val_loss": 0.006939707323908806,
    "train_loss": 0.007645157165825367,
    "best_step": 500,
    "steps": 500,
    "samples_seen": 128000,
    "n_params": 113,
}

# golden, re-pinned deliberately by the shared-stream change: theta*'s fresh-data pretraining
# now labels each step's batch inside the step (the same points, the teacher's matmuls on one
# batch's rows instead of a whole chunk's, so the float sums differ in the last bits; 250 Adam steps
# and L-BFGS carry that into the second digit). Before: test_loss 0.0045342589239068245, train_loss
# 0.005081762416624772, start_train_loss 0.009881652039191426, reference_loss 0.008996947131425728,
# grad_norm 0.019943055822408347.
# These values still hold to the last digit on the stack and CPU they were recorded on. The same
# code and stack on another 2-core CI machine gave test_loss 0.004604913152023211, train_loss
# 0.005175712885689354, start_train_loss 0.009881860999619078 and reference_loss
# 0.008997096148103047 (0.7 % and 6 % from these): the full-batch L-BFGS paths amplify the CPU's
# last float bits (docs/reproducibility.md, "Across machines"), so this pin holds at REL_LBFGS,
# not REL; it still catches a refactor that drops or reorders a phase (the polish alone halves the
# training loss). The gradient norm left (0.02597527646584276 here) is not pinned: the CI run's
# was not recorded.
VARIANCE_LIMITED = {
    "test_loss": 0.004636606209613139,
    "train_loss": 0.004873373745755542,
    "start_train_loss": 0.009884051351025987,
    "reference_loss": 0.008998518461355352,
    "n_params": 37,
}

# golden (pins the refactor)
DIGITS = {
    "train_loss": 0.025182552635669708,
    "test_loss": 0.46995699405670166,
    "test_accuracy": 0.8430583477020264,
    "best_step": 200,
    "steps": 200,
    "n_params": 3466,
}

# golden (pins the refactor)
JOINT_FIT = {
    "E": 0.10039460796791635,
    "A": 2.8661010258928936,
    "a": 0.5913326350084765,
    "B": 7.569486024963155,
    "b": 0.991084018905882,
}

# golden (pins the refactor): the point estimate of one curve through every observation.
POWER_LAW_FIT = {"alpha": 0.8000130351046485}

# golden, set deliberately by the "Intervals a reader can trust" change (which replaced the pooled
# fit with a stratified percentile bootstrap, 0.8000 [0.7961, 0.8096], by the mean of the
# per-replicate exponents with a Student-t interval over replicates).
POWER_LAW_REPLICATES = {
    "alpha": 0.8011192875257024,
    "alpha_lo": 0.7860635785122619,
    "alpha_hi": 0.8161749965391428,
}


# --- tests -------------------------------------------------------------------------------------


@pytest.fixture
def x64():
    """Set JAX's x64 mode for one test and restore what it was afterwards."""
    before = bool(jax.config.jax_enable_x64)

    def set_mode(on: bool):
        jax.config.update("jax_enable_x64", on)

    yield set_mode
    jax.config.update("jax_enable_x64", before)


def _check(metrics: dict, golden: dict, rel: float = REL):
    got = {k: metrics[k] for k in golden}
    for k, v in golden.items():
        if isinstance(v, int):
            assert got[k] == v, (k, got)
        else:
            assert got[k] == pytest.approx(v, rel=rel), (k, got)


def test_data_scaling_trial(x64):
    x64(False)
    run, config = _data_scaling_trial()
    _check(run(config).metrics, DATA_SCALING)


@pytest.mark.integration  # slow tier: runs in .ci/run's second pytest
def test_model_scaling_trial(x64):
    x64(False)
    run, config = _model_scaling_trial()
    _check(run(config).metrics, MODEL_SCALING)


@pytest.mark.integration  # slow tier: runs in .ci/run's second pytest
def test_variance_limited_trial(x64):
    x64(True)  # the variance-limited study runs in float64 (the trial would switch it on itself)
    run, config = _variance_limited_trial()
    _check(run(config).metrics, VARIANCE_LIMITED, rel=REL_LBFGS)


@pytest.mark.integration  # slow tier: runs in .ci/run's second pytest
def test_digits_trial(x64):
    x64(False)
    run, config = _digits_trial()
    _check(run(config).metrics, DIGITS)


def test_joint_fit():
    from manifold_scaling.fitting import fit_joint_scaling

    n, d, loss = _joint_grid()
    fit = fit_joint_scaling(n, d, loss, key=jax.random.key(0), n_bootstrap=20)
    _check({k: getattr(fit, k) for k in ("E", "A", "a", "B", "b")}, JOINT_FIT)


def test_power_law_fit():
    from manifold_scaling.fitting import fit_power_law

    sizes, losses, groups = _power_law_curve()
    _check({"alpha": fit_power_law(sizes, losses, key=jax.random.key(0)).alpha}, POWER_LAW_FIT)
    fit = fit_power_law(sizes, losses, key=jax.random.key(0), groups=groups)
    got = {"alpha": fit.alpha, "alpha_lo": fit.alpha_ci[0], "alpha_hi": fit.alpha_ci[1]}
    _check(got, POWER_LAW_REPLICATES)
