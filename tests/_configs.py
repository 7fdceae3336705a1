"""Shrunk configs the tests share, kept here rather than in the library: the tiny batched
data-scaling trials (and how their outputs must match), and tiny CLI argument lists."""

import numpy as np
import pytest

from manifold_scaling.manifolds import ManifoldConfig
from manifold_scaling.students import StudentConfig
from manifold_scaling.studies.trials import TrialConfig
from manifold_scaling.teachers import TeacherConfig
from manifold_scaling.training import TrainConfig

# --- batched data-scaling trials (tests/unit/studies/test_batched_trials.py) --------------------

REL = 1e-5  # metrics
ARRAY_RTOL, ARRAY_ATOL = 1e-4, 1e-6  # curves and parameters
LOSSES = ("train_loss", "val_loss", "test_loss")
EXACT = ("best_step", "steps", "n_params", "params_per_point", "nn_spacing")

TRAIN = TrainConfig(steps=300, batch_size=16, eval_every=50)
SIZES = (32, 96)
REPLICATES = ((1, 11), (2, 12))  # (seed, data_seed): every replicate draws its own teacher


def trial_config(seed=1, data_seed=11, n_train=32, train=TRAIN, d=2, **kw):
    return TrialConfig(
        manifold=ManifoldConfig(intrinsic_dim=d, ambient_dim=6, embedding="rotation"),
        teacher=TeacherConfig(),
        student=StudentConfig(width=32),
        train=train,
        n_train=n_train,
        n_val=64,
        n_test=256,
        seed=seed,
        data_seed=data_seed,
        **kw,
    )


CONFIGS = [trial_config(s, ds, n) for n in SIZES for s, ds in REPLICATES]


def metrics_match(got: dict, want: dict):
    for k in LOSSES:
        assert got[k] == pytest.approx(want[k], rel=REL), (k, got[k], want[k])
    for k in EXACT:
        assert got[k] == want[k], (k, got[k], want[k])


def outputs_match(got, want):
    metrics_match(got.metrics, want.metrics)
    assert got.arrays.keys() == want.arrays.keys()
    for k in want.arrays:
        np.testing.assert_allclose(
            got.arrays[k], want.arrays[k], rtol=ARRAY_RTOL, atol=ARRAY_ATOL, err_msg=k
        )


# --- CLI argument lists ---------------------------------------------------------------------------

# data-scaling, two d: seconds per trial
DATA_SCALING_TINY = [
    "--dims", "2", "3",
    "--sizes", "32", "64", "128",
    "--seeds", "2",
    "--ambient-dim", "6",
    "--width", "48",
    "--steps-per-point", "4", "--min-steps", "300", "--max-steps", "600",
    "--n-test", "512", "--n-val", "128", "--bootstrap", "100",
    "--no-progress",
]  # fmt: skip

# data-scaling --data X.npy --targets y.npy
OWN_DATA_TINY = [
    "--sizes", "64", "128", "256", "--seeds", "2", "--steps-per-point", "1", "--min-steps", "50",
    "--max-steps", "100", "--bootstrap", "50", "--no-figures",
]  # fmt: skip
