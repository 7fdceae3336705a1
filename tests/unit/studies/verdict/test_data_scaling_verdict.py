"""The data-scaling verdict on synthetic cells: cells (not sizes) are excluded, too many failing cells give no verdict, a reading above the bound."""

import numpy as np
import pytest

from manifold_scaling.studies.base import DataScalingConfig
from manifold_scaling.studies.findings import Agreement
from manifold_scaling.studies.verdict import analyse_curve, convergence_cell_rule, design_rule


def _rows(d, alpha, sizes, seeds=2, unconverged=(), noise=0.03, rng=None):
    """Synthetic cells; ``unconverged`` lists (seed, size) cells whose validation loss was still
    falling (``val_tail_dlog`` above the 0.05 tolerance)."""
    rng = rng or np.random.default_rng(0)
    rows = []
    for s in sizes:
        for k in range(seeds):
            test = 3.0 * s ** (-alpha) * np.exp(noise * rng.standard_normal())
            moving = (k, s) in unconverged
            rows.append(
                {"n_train": s, "seed": k, "test_loss": test * (3.0 if moving else 1.0),
                 "train_loss": 0.01 * test, "n_params": 10**6,
                 "val_tail_dlog": 0.3 if moving else 0.01}
            )  # fmt: skip
    return rows


def _analyse(d, rows, config, key):
    return analyse_curve(
        d, rows, design_rule(config.min_params_per_point), predicted=config.predicted_alpha(d),
        key=key, n_bootstrap=config.n_bootstrap,
        cell_rule=convergence_cell_rule(config.convergence_tol, config.max_excluded_share),
    )  # fmt: skip


def test_cells_not_sizes_are_excluded(key):
    config = DataScalingConfig(dims=(4,), n_bootstrap=200)
    sizes = [128, 256, 512, 1024, 2048, 4096]
    verdict = _analyse(4, _rows(4, 1.0, sizes, seeds=4, unconverged={(1, 4096)}), config, key)
    # one unconverged cell at D = 4096 leaves the size (and the other replicates) in the fit
    assert verdict.fit_window == (128, 4096)
    assert verdict.cells.n_cells == 24 and verdict.cells.n_excluded == 1
    assert verdict.cells.excluded[0].startswith("1@4096")
    assert verdict.alpha == pytest.approx(1.0, abs=0.05)
    assert verdict.agreement is Agreement.CONSISTENT and "consistent with 4/d" in verdict.reading
    assert "1 of 24 cells excluded by the convergence rule" in verdict.reading
    # the sensitivity fit on every cell feels the unconverged (too high) point
    assert verdict.sensitivity.alpha < verdict.alpha


def test_too_many_failing_cells_give_no_verdict(key):
    config = DataScalingConfig(dims=(4,), n_bootstrap=200)
    sizes = [128, 256, 512, 1024]
    bad = {(k, s) for k in range(2) for s in (512, 1024)}  # 4 of 8 cells
    verdict = _analyse(4, _rows(4, 1.0, sizes, unconverged=bad), config, key)
    assert verdict.alpha is None and verdict.agreement is None and not verdict.consistent
    assert verdict.reading.startswith("no verdict: 4 of 8 cells (50%) fail")
    assert verdict.sensitivity is not None  # reported beside, as a diagnostic


def test_analysis_says_above_the_bound(key):
    config = DataScalingConfig(dims=(8,), n_bootstrap=200)
    sizes = [128, 256, 512, 1024, 2048]
    verdict = _analyse(8, _rows(8, 1.0, sizes), config, key)
    assert verdict.ratio == pytest.approx(2.0, rel=0.1)
    assert verdict.agreement is Agreement.INCONSISTENT
    assert "inconsistent with 4/d" in verdict.reading and "lies above" in verdict.reading
    assert not verdict.within_tolerance
