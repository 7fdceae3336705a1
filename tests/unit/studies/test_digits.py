"""The real-data (digits) study: a trial learns and records cross-entropy; sizes beyond the data are refused."""

import numpy as np
import pytest

from manifold_scaling.students import StudentConfig
from manifold_scaling.training import TrainConfig


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
