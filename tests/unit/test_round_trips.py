"""Every result type with ``to_dict`` has the inverse ``from_dict``: the dict of a real result
(made by the library's own functions) survives ``from_dict`` -> ``to_dict`` unchanged."""

from __future__ import annotations

import json
import math

import jax
import numpy as np
import pytest

from manifold_scaling.fitting import (
    FitWindow,
    JointFit,
    LocalSlopes,
    PowerLawFit,
    fit_joint_scaling,
    fit_power_law,
    local_slopes,
    select_window,
)
from manifold_scaling.intrinsic_dim import IDEstimate, LayerDimension, layer_dimensions, twonn
from manifold_scaling.manifolds import ManifoldConfig
from manifold_scaling.studies.joint_scaling import JointVerdict
from manifold_scaling.sweep.runner import SweepEvent, TrialEvent
from manifold_scaling.teachers import TeacherCalibration, TeacherConfig, calibrate_teacher
from manifold_scaling.training import Convergence, convergence


def _same(a, b):
    """Equal as JSON (NaN equal to NaN, tuples and lists alike)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b


def _grouped_curves(rng, n=4):
    sizes = np.geomspace(100, 10_000, 5)
    d = np.tile(sizes, n)
    groups = np.repeat(np.arange(n), sizes.size)
    loss = (
        2.0 * d ** -np.array([0.9, 1.1, 1.0, 1.2])[groups] * np.exp(0.05 * rng.normal(size=d.size))
    )
    return d, loss, groups


def _results():
    key = jax.random.key(0)
    rng = np.random.default_rng(0)
    d, loss, groups = _grouped_curves(rng)
    yield PowerLawFit, fit_power_law(d, loss, key=key, groups=groups, n_bootstrap=50)
    yield PowerLawFit, fit_power_law(d, loss, key=key, with_floor=True, n_bootstrap=50)
    yield LocalSlopes, local_slopes(d, loss, groups=groups, key=key, n_bootstrap=50)
    yield LocalSlopes, local_slopes(d, loss)  # no interval: slopes_ci is None
    passes = np.array([False, True, True, True, True])
    yield FitWindow, select_window(np.unique(d), passes, reasons={100.0: "not interpolating"})
    n_grid, d_grid = np.meshgrid(np.geomspace(1e3, 1e5, 4), np.geomspace(1e3, 1e5, 4))
    joint = 0.1 + 5 * n_grid**-0.5 + 8 * d_grid**-0.4
    yield JointFit, fit_joint_scaling(n_grid.ravel(), d_grid.ravel(), joint.ravel(), key=key,
                                      n_bootstrap=20)  # fmt: skip
    points = np.asarray(jax.random.uniform(key, (400, 3)))
    yield IDEstimate, twonn(points)
    yield IDEstimate, twonn(points[:20])  # a small sample: warnings survive too
    layer = layer_dimensions({"h1": points @ rng.normal(size=(3, 8))}, estimator="mle")[0]
    yield LayerDimension, layer
    _, calibration = calibrate_teacher(key, TeacherConfig(), ManifoldConfig(intrinsic_dim=2),
                                       eval_key=jax.random.key(1), iterations=4)  # fmt: skip
    yield TeacherCalibration, calibration
    yield Convergence, convergence(np.geomspace(1.0, 0.5, 40))
    yield JointVerdict, JointVerdict(2, {"a": 0.5}, 1.0, 0.4, 0.5, {"compute": [1.0]}, "reads")
    yield TrialEvent, TrialEvent(index=3, config_hash="abc", config={"d": 2}, status="done",
                                 metrics={"test_loss": 0.1}, seconds=1.5)  # fmt: skip
    yield SweepEvent, SweepEvent(kind="end", study="data-scaling", out_dir="/tmp/x",
                                 counts={"total": 9}, status="complete")  # fmt: skip


@pytest.fixture(scope="module")
def results():
    return list(_results())


def test_every_result_type_is_covered(results):
    assert len(results) == 14  # the parametrisation below
    assert {cls for cls, _ in results} == {
        PowerLawFit, LocalSlopes, FitWindow, JointFit, IDEstimate, LayerDimension,
        TeacherCalibration, Convergence, JointVerdict, TrialEvent, SweepEvent,
    }  # fmt: skip


@pytest.mark.parametrize("i", range(14))
def test_from_dict_inverts_to_dict(results, i):
    cls, result = results[i]
    data = json.loads(json.dumps(result.to_dict(), default=float))  # through JSON, as on disk
    again = cls.from_dict(data)
    assert isinstance(again, cls)
    assert _same(again.to_dict(), result.to_dict()), cls.__name__
