"""Real data: scikit-learn's bundled ``digits`` (8x8 images, 1797 points, no download).

The papers ask of MNIST and CIFAR whether alpha_D >= 4/d_hat, with d_hat the measured intrinsic
dimension (Sharma & Kaplan 2020, Sec. 4; Bahri et al. 2021, Sec. 3): the inequality, not equality,
is what resolution-limited scaling predicts for real data, whose d_hat is itself uncertain. This
study measures d_hat with an interval, trains ReLU student classifiers (cross-entropy on the labels)
on growing subsets through the sweep runner, fits alpha_D over the sizes where every replicate fits
its training set, and checks alpha_D against 4/d_hat at both ends of the ID interval.

It is a thin preset of the own-data study (``studies.own_data``): the same trials, split and
analysis as ``data-scaling --data``, on digits' arrays (named ``sklearn:digits``, so no file is
written and the trial hashes do not depend on a path).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import jax
import jax.numpy as jnp
import numpy as np

from .. import keys
from ..configs import param
from ..errors import check_float, check_int
from ..io import load_digits_data
from ..students import StudentConfig, parameter_count, student_apply
from ..sweep.records import TrialOutput
from ..training import TrainConfig, evaluate_loss, train_students
from .own_data import ArrayTrial, OwnDataConfig, analyse_arrays, load_arrays, run_array_trial
from .own_data import trial_configs as own_trials
from .protocol import Analysis, Study
from .trials import _curves

__all__ = ["DigitsConfig", "DigitsTrial", "digits_id", "run_digits", "run_digits_trial"]


# --- real data: scikit-learn's digits -------------------------------------------------------------

DIGITS_TEST = 497  # digits has 1797 points: 1300 for training subsets, the rest held out


@dataclass(frozen=True)
class DigitsTrial:
    """One ReLU classifier trained on the first ``n_train`` points of a seeded permutation."""

    n_train: int = 256
    seed: int = 0
    student: StudentConfig = field(default_factory=lambda: StudentConfig(depth=2, width=256))
    train: TrainConfig = field(
        default_factory=lambda: TrainConfig(steps_per_point=8.0, min_steps=1500, max_steps=12000)
    )

    def __post_init__(self):
        check_int("sizes", self.n_train, minimum=16, maximum=1797 - DIGITS_TEST)
        check_int("seed", self.seed, minimum=0, maximum=keys.MAX_SEED)


def _digits_split(permutation_key):
    x, y = load_digits_data()
    perm = np.asarray(jax.random.permutation(permutation_key, jnp.arange(len(x), dtype=jnp.int32)))
    test, pool = perm[:DIGITS_TEST], perm[DIGITS_TEST:]
    return x[pool], y[pool], x[test], y[test]


def run_digits_trial(config: DigitsTrial) -> TrialOutput:
    """Train one classifier; losses are cross-entropy (nats) against the labels."""
    k_split, k_student = keys.digits_keys(config.seed)
    x_pool, y_pool, x_test, y_test = _digits_split(k_split)
    onehot = lambda y: jax.nn.one_hot(y, 10) * 60.0  # noqa: E731 - sharp "teacher logits" = labels
    x_tr, y_tr = x_pool[: config.n_train], onehot(y_pool[: config.n_train])
    # Validation for the checkpoint: pool points not used for training (or test, if none left).
    spare = config.n_train < len(x_pool) - 64
    x_val = x_pool[config.n_train :][:256] if spare else x_test
    y_val = onehot(y_pool[config.n_train :][:256] if spare else y_test)
    res = train_students(
        k_student[None],
        config.student,
        config.train,
        jnp.asarray(x_tr)[None],
        y_tr[None],
        jnp.asarray(x_val)[None],
        y_val[None],
        task="classification",
        batched=False,
    )[0]
    test = evaluate_loss(res.params, jnp.asarray(x_test), onehot(y_test), task="classification")
    acc = float(jnp.mean(jnp.argmax(student_apply(res.params, jnp.asarray(x_test)), -1) == y_test))
    metrics = {
        "train_loss": res.train_loss,
        "test_loss": test,
        "train_test_ratio": res.train_loss / test,
        "test_accuracy": acc,
        "steps": res.steps,
        "best_step": res.best_step,
        "n_params": parameter_count(config.student, 64, 10),
    }
    return TrialOutput(metrics, _curves(res))


# --- the study: a preset of own_data on digits' arrays -----------------------------------------


@dataclass(frozen=True)
class DigitsConfig:
    """ReLU classifiers on nested subsets of digits; one replicate = one split and one init."""

    sizes: tuple[int, ...] = param((50, 100, 200, 400, 800, 1300), help="training-set sizes D")
    seeds: int = param(2, help="replicates per size (each its own split and initialisation)")
    seed: int = param(0, help="master seed")
    width: int = param(256, help="student width")
    steps_per_point: float = param(8.0, help="optimiser steps per training point")
    interpolation_ratio: float = param(0.1, help="window rule: train <= r x test")
    n_bootstrap: int = param(1000, help="bootstrap resamples", flag="--bootstrap")

    def __post_init__(self):
        for s in self.sizes:
            check_int("sizes", s, minimum=16, maximum=1797 - DIGITS_TEST)
        check_int("seeds", self.seeds, minimum=1, maximum=100)
        check_int("seed", self.seed, minimum=0, maximum=keys.MAX_SEED)
        check_int("width", self.width, minimum=1)
        check_float("steps_per_point", self.steps_per_point, minimum=0.0, strict_min=True)


def digits_id(key=None) -> dict:
    """The intrinsic dimension of digits (all 1797 points) with every estimator."""
    from ..intrinsic_dim import ESTIMATORS, estimate_id

    x, _ = load_digits_data()
    key = keys.analysis_key(0) if key is None else key
    return {
        name: estimate_id(x.astype(np.float64), estimator=name, key=key).to_dict()
        for name in ESTIMATORS
    }


def own_data_config(config: DigitsConfig) -> OwnDataConfig:
    """The own-data study this preset runs: digits' arrays, its split, student and budget."""
    return OwnDataConfig(
        data="sklearn:digits",
        task="classification",
        sizes=config.sizes,
        seeds=config.seeds,
        seed=config.seed,
        n_test=DIGITS_TEST,
        student=StudentConfig(depth=2, width=config.width),
        train=TrainConfig(steps_per_point=config.steps_per_point, min_steps=1500, max_steps=12000),
        interpolation_ratio=config.interpolation_ratio,
        learners=("network",),
        n_bootstrap=config.n_bootstrap,
    )


def trial_configs(config: DigitsConfig) -> list[ArrayTrial]:
    """The preset's trials: own-data trials on digits (a thin preset of ``own_data``)."""
    own = own_data_config(config)
    x, y = load_arrays(own.data)
    return own_trials(own, x, y)


def run_digits(config: DigitsConfig, out_dir, *, options=None, make_figures=True) -> dict:
    """ID of digits, then alpha_D of a ReLU classifier on it, and the check alpha_D >= 4/d_hat.

    A preset of the own-data study (``studies.own_data``) on scikit-learn's digits arrays.
    """
    ids = digits_id()
    d_hat = ids["calibrated"]["dimension"]
    d_ci = tuple(ids["calibrated"]["ci"])
    trials = trial_configs(config)

    def analyse_records(trials, records):
        results, rows, fields = analyse_arrays(config, d_hat, d_ci, trials, records)
        return Analysis(results, rows, {"intrinsic_dimension": ids, **fields})

    run = dict(options=options, make_figures=make_figures)
    return DIGITS.run(config, trials, out_dir, analyse_records, **run)


def _figures(summary, analysis, out_dir):
    from ..plots import data_scaling_figures

    return data_scaling_figures(summary, analysis.rows, out_dir)


DIGITS = Study("digits", run_array_trial, _figures)
