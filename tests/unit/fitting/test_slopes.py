"""Local slopes: exact power laws, mean log loss and the bootstrap over replicates."""

from __future__ import annotations

import json

import numpy as np
from _curves import SIZES, noisy_power_law

from manifold_scaling.fitting import (
    LocalSlopes,
    local_slopes,
)


def test_local_slopes_of_exact_power_law_equal_alpha():
    sizes = np.array([100.0, 300.0, 1000.0, 5000.0, 20000.0])
    slopes = local_slopes(sizes, 4.0 * sizes**-1.3)
    np.testing.assert_allclose(slopes.slopes, 1.3, rtol=1e-12)
    np.testing.assert_allclose(slopes.midpoints, np.sqrt(sizes[:-1] * sizes[1:]))
    np.testing.assert_array_equal(slopes.sizes_lo, sizes[:-1])
    np.testing.assert_array_equal(slopes.sizes_hi, sizes[1:])
    assert slopes.slopes_ci is None  # no replicates


def test_local_slopes_use_mean_log_loss_and_bootstrap_over_replicates(key):
    rng = np.random.default_rng(9)
    d, loss, groups = noisy_power_law(rng, 1.0, n_rep=4, sigma=0.05, floor=1e-3)
    slopes = local_slopes(d, loss, groups=groups, key=key)
    log_means = np.log(loss).reshape(SIZES.size, 4).mean(axis=1)
    np.testing.assert_allclose(slopes.slopes, -np.diff(log_means) / np.diff(np.log(SIZES)))
    assert slopes.slopes_ci.shape == (SIZES.size - 1, 2)
    assert np.all(slopes.slopes_ci[:, 0] <= slopes.slopes_ci[:, 1])
    # The floor (1e-3 vs 3/D) flattens the curve: the first slopes are steeper than the last.
    assert slopes.slopes[:2].mean() > slopes.slopes[-2:].mean() + 0.3
    # Exact curve (no noise): slopes lie inside their intervals for most pairs.
    exact = -np.diff(np.log(3.0 * SIZES**-1.0 + 1e-3)) / np.diff(np.log(SIZES))
    inside = (slopes.slopes_ci[:, 0] <= exact) & (exact <= slopes.slopes_ci[:, 1])
    assert inside.mean() >= 0.5
    json.dumps(slopes.to_dict())
    assert isinstance(slopes, LocalSlopes)
