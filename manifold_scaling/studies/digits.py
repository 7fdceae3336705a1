"""Real data: scikit-learn's bundled ``digits`` (8x8 images, 1797 points, no download).

The papers ask of MNIST and CIFAR whether alpha_D >= 4/d_hat, with d_hat the measured intrinsic
dimension (Sharma & Kaplan 2020, Sec. 4; Bahri et al. 2021, Sec. 3): the inequality, not equality,
is what resolution-limited scaling predicts for real data, whose d_hat is itself uncertain. This
study measures d_hat with an interval, trains ReLU student classifiers (cross-entropy on the labels)
on growing subsets through the sweep runner, fits alpha_D over the sizes where every replicate fits
its training set, and checks alpha_D against 4/d_hat at both ends of the ID interval.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .. import keys
from ..configs import param
from ..errors import check_float, check_int
from ..students import StudentConfig
from ..training import TrainConfig
from .protocol import Analysis, Study
from .trials import DIGITS_TEST, DigitsTrial, load_digits_data, run_digits_trial
from .verdict import analyse_curve, interpolation_rule

__all__ = ["DigitsConfig", "DigitsTrial", "digits_id", "run_digits", "run_digits_trial"]


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


def trial_configs(config: DigitsConfig) -> list[DigitsTrial]:
    student = StudentConfig(depth=2, width=config.width)
    train = TrainConfig(steps_per_point=config.steps_per_point, min_steps=1500, max_steps=12000)
    return [
        DigitsTrial(
            n_train=s, seed=keys.replicate_seed(config.seed, k), student=student, train=train
        )
        for s in sorted(set(config.sizes))
        for k in range(config.seeds)
    ]


def run_digits(config: DigitsConfig, out_dir, *, options=None, make_figures=True) -> dict:
    """ID of digits, then alpha_D of a ReLU classifier on it, and the check alpha_D >= 4/d_hat."""
    ids = digits_id()
    d_hat = ids["calibrated"]["dimension"]
    d_lo, d_hi = ids["calibrated"]["ci"]
    trials = trial_configs(config)

    def analyse_records(trials, records):
        rows = [
            {"d": d_hat, "n_train": t.n_train, "seed": t.seed, **r.metrics}
            for t, r in zip(trials, records)
        ]
        sizes = np.unique([r["n_train"] for r in rows])
        accuracy = {
            str(int(s)): float(np.mean([r["test_accuracy"] for r in rows if r["n_train"] == s]))
            for s in sizes
        }
        verdict = analyse_curve(
            d_hat, rows, interpolation_rule(config.interpolation_ratio, 0.0),
            predicted=4.0 / d_hat, key=keys.analysis_key(config.seed), axis="real",
            n_bootstrap=config.n_bootstrap,
        )  # fmt: skip
        ci = verdict.alpha_ci
        extra = {
            "d_hat": d_hat,
            "d_hat_ci": [d_lo, d_hi],
            "predicted_alpha_range": [4.0 / d_hi, 4.0 / d_lo],
            "satisfies_bound": bool(ci is not None and ci[1] >= 4.0 / d_hi),
            "accuracy_by_size": accuracy,
        }
        verdict = replace(verdict, extra=extra)
        return Analysis([verdict], rows, {"intrinsic_dimension": ids, "result": verdict.to_dict()})

    run = dict(options=options, make_figures=make_figures)
    return DIGITS.run(config, trials, out_dir, analyse_records, **run)


def _figures(summary, analysis, out_dir):
    from ..plots import data_scaling_figures

    return data_scaling_figures(summary, analysis.rows, out_dir)


DIGITS = Study("digits", run_digits_trial, _figures)
