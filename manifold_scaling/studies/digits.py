"""Real data: scikit-learn's bundled ``digits`` (8x8 images, 1797 points, no download).

The papers ask of MNIST and CIFAR whether alpha_D >= 4/d_hat, with d_hat the measured intrinsic
dimension (Sharma & Kaplan 2020, Sec. 4; Bahri et al. 2021, Sec. 3): the inequality, not equality,
is what resolution-limited scaling predicts for real data, whose d_hat is itself uncertain. This
study measures d_hat with an interval, trains ReLU student classifiers (cross-entropy on the labels)
on growing subsets through the sweep runner, fits alpha_D over the sizes where every seed fits its
training set, and checks alpha_D against 4/d_hat at both ends of the ID interval.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from ..configs import config_to_dict, save_json
from ..errors import check_float, check_int
from ..fitting import fit_in_window
from ..provenance import provenance
from ..students import StudentConfig, parameter_count
from ..sweep import TrialOutput
from ..training import TrainConfig, evaluate_loss, train_students

N_TEST = 497  # digits has 1797 points: 1300 for training subsets, the rest held out


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
        check_int("--sizes", self.n_train, minimum=16, maximum=1797 - N_TEST)
        check_int("--seed", self.seed, minimum=0)


@dataclass(frozen=True)
class DigitsConfig:
    sizes: tuple[int, ...] = (50, 100, 200, 400, 800, 1300)
    seeds: int = 2
    seed: int = 0
    width: int = 256
    steps_per_point: float = 8.0
    interpolation_ratio: float = 0.1
    n_bootstrap: int = 1000

    def __post_init__(self):
        for s in self.sizes:
            check_int("--sizes", s, minimum=16, maximum=1797 - N_TEST)
        check_int("--seeds", self.seeds, minimum=1, maximum=100)
        check_int("--seed", self.seed, minimum=0)
        check_int("--width", self.width, minimum=1)
        check_float("--steps-per-point", self.steps_per_point, minimum=0.0, strict_min=True)


def load_digits_data():
    """Digits scaled to [0, 1], as float32, with integer labels."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    return (bunch.data / 16.0).astype(np.float32), bunch.target.astype(np.int32)


def _split(seed: int):
    x, y = load_digits_data()
    perm = np.asarray(
        jax.random.permutation(jax.random.key(seed), jnp.arange(len(x), dtype=jnp.int32))
    )
    return x[perm[N_TEST:]], y[perm[N_TEST:]], x[perm[:N_TEST]], y[perm[:N_TEST]]


def run_digits_trial(config: DigitsTrial) -> TrialOutput:
    """Train one classifier; losses are cross-entropy (nats) against the labels."""
    x_pool, y_pool, x_test, y_test = _split(config.seed)
    onehot = lambda y: jax.nn.one_hot(y, 10) * 60.0  # noqa: E731 - sharp "teacher logits" = labels
    x_tr, y_tr = x_pool[: config.n_train], onehot(y_pool[: config.n_train])
    # Validation for the checkpoint: pool points not used for training (or test, if none left).
    x_val = x_pool[config.n_train :][:256] if config.n_train < len(x_pool) - 64 else x_test
    y_val = onehot(y_pool[config.n_train :][:256] if config.n_train < len(x_pool) - 64 else y_test)
    res = train_students(
        jax.random.key(config.seed)[None],
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
    from ..students import student_apply

    acc = float(jnp.mean(jnp.argmax(student_apply(res.params, jnp.asarray(x_test)), -1) == y_test))
    n_params = parameter_count(config.student, 64, 10)
    return TrialOutput(
        {
            "train_loss": res.train_loss,
            "test_loss": test,
            "train_test_ratio": res.train_loss / test,
            "test_accuracy": acc,
            "steps": res.steps,
            "best_step": res.best_step,
            "n_params": n_params,
        },
        {
            "curve_steps": res.curve_steps,
            "curve_train": res.curve_train,
            "curve_val": res.curve_val,
        },
    )


def digits_id(key=None) -> dict:
    """The intrinsic dimension of digits (all 1797 points) with every estimator."""
    from ..intrinsic_dim import ESTIMATORS, estimate_id

    x, _ = load_digits_data()
    key = jax.random.key(0) if key is None else key
    out = {}
    for name in ESTIMATORS:
        est = estimate_id(x.astype(np.float64), estimator=name, key=key)
        out[name] = est.to_dict()
    return out


def run_digits(config: DigitsConfig, out_dir, *, options=None) -> dict:
    """ID of digits, then alpha_D of a ReLU classifier on it, and the check alpha_D >= 4/d_hat."""
    from ..sweep import SweepOptions, run_sweep

    out_dir = Path(out_dir)
    ids = digits_id()
    d_hat = ids["calibrated"]["dimension"]
    d_lo, d_hi = ids["calibrated"]["ci"]
    student = StudentConfig(depth=2, width=config.width)
    train = TrainConfig(steps_per_point=config.steps_per_point, min_steps=1500, max_steps=12000)
    trials = [
        DigitsTrial(n_train=s, seed=config.seed * 1000 + k, student=student, train=train)
        for s in sorted(set(config.sizes))
        for k in range(config.seeds)
    ]
    result = run_sweep(
        run_digits_trial,
        trials,
        out_dir,
        options=options or SweepOptions(),
        study="digits",
        sweep_config=config_to_dict(config),
    )
    sizes = np.array([t.n_train for t in trials], float)
    seeds = np.array([t.seed for t in trials])
    test = np.array([r.metrics["test_loss"] for r in result.records])
    train_l = np.array([r.metrics["train_loss"] for r in result.records])
    uniq = np.unique(sizes)
    passes = [
        bool(np.all(train_l[sizes == s] <= config.interpolation_ratio * test[sizes == s]))
        for s in uniq
    ]
    rule = (
        f"longest run of sizes where every seed has train <= {config.interpolation_ratio:g} x test"
    )
    wf = fit_in_window(
        sizes, test, passes, key=jax.random.key(config.seed), groups=seeds, rule_text=rule,
        n_bootstrap=config.n_bootstrap,
    )  # fmt: skip
    window, fit, slopes = wf.window, wf.fit, wf.slopes
    bound = 4.0 / d_hat
    verdict = {
        "d_hat": d_hat,
        "d_hat_ci": [d_lo, d_hi],
        "alpha": fit.alpha if fit else None,
        "alpha_ci": list(fit.alpha_ci) if fit else None,
        "predicted_alpha": bound,
        "predicted_alpha_range": [4.0 / d_hi, 4.0 / d_lo],
        "fit_window": [window.lo, window.hi] if window.lo is not None else None,
        "window_decades": window.decades,
        "satisfies_bound": bool(fit and fit.alpha_ci[1] >= 4.0 / d_hi),
        "reading": _digits_reading(fit, bound, d_hat),
        "local_slopes": slopes.to_dict(),
        "accuracy_by_size": {
            str(int(s)): float(
                np.mean(
                    [
                        r.metrics["test_accuracy"]
                        for t, r in zip(trials, result.records)
                        if t.n_train == s
                    ]
                )
            )
            for s in uniq
        },
    }
    summary = {
        "study": "digits",
        "config": config_to_dict(config),
        "intrinsic_dimension": ids,
        "result": verdict,
        "provenance": provenance(),
    }
    save_json(out_dir / "summary.json", summary)
    return summary


def _digits_reading(fit, bound, d_hat) -> str:
    if fit is None:
        return "fewer than 3 sizes fit their training set: no exponent"
    a, (lo, hi) = fit.alpha, fit.alpha_ci
    if lo > bound:
        return f"alpha_D = {a:.2f} > 4/d_hat = {bound:.2f}: the bound holds and is not tight (as the papers find for real images)"
    if hi >= bound:
        return f"alpha_D = {a:.2f} is consistent with 4/d_hat = {bound:.2f}"
    return f"alpha_D = {a:.2f} < 4/d_hat = {bound:.2f}: slower than the resolution-limited bound"
