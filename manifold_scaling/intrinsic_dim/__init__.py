"""Intrinsic-dimension estimators with one interface and one result type.

``estimate_id(points)`` uses the default (bias-corrected) estimator; ``twonn``,
``mle_levina_bickel``, ``multiscale_id`` and ``calibrated_id`` are the individual estimators;
``layer_dimensions`` runs one over each layer of a network's activations. All return
:class:`IDEstimate` (dimension, interval, dropped rows, warnings, diagnostics).

:class:`IntrinsicDimension` is the scikit-learn-style estimator over the same code:
``IntrinsicDimension(estimator="calibrated").fit(X)`` gives ``dimension_``, ``interval_``, the
per-point estimates ``dimension_pw_`` aligned with X's rows, ``n_dropped_``, ``estimate_`` and
``warnings_`` (also raised as :class:`IntrinsicDimensionWarning`). It is imported on first access,
so that the functions do not pay for importing scikit-learn.

References: Levina & Bickel 2005 (MLE); MacKay & Ghahramani 2005 (average of inverses); Facco et
al. 2017 (TwoNN); Denti et al. 2022 (GRIDE).
"""

from ._calibrated import REFERENCES as REFERENCES
from ._calibrated import calibrated_id as calibrated_id
from ._calibrated import calibration_curve as calibration_curve
from ._estimate import DEFAULT_ESTIMATOR as DEFAULT_ESTIMATOR
from ._estimate import ESTIMATORS as ESTIMATORS
from ._estimate import estimate_id as estimate_id
from ._layers import LayerDimension as LayerDimension
from ._layers import layer_dimensions as layer_dimensions
from ._mle import mle_levina_bickel as mle_levina_bickel
from ._multiscale import multiscale_id as multiscale_id
from ._neighbors import Neighbors as Neighbors
from ._neighbors import nearest_neighbors as nearest_neighbors
from ._result import IDEstimate as IDEstimate
from ._result import IntrinsicDimensionWarning as IntrinsicDimensionWarning
from ._twonn import twonn as twonn

__all__ = [
    "DEFAULT_ESTIMATOR",
    "ESTIMATORS",
    "REFERENCES",
    "IDEstimate",
    "IntrinsicDimension",
    "IntrinsicDimensionWarning",
    "LayerDimension",
    "Neighbors",
    "calibrated_id",
    "calibration_curve",
    "estimate_id",
    "layer_dimensions",
    "mle_levina_bickel",
    "multiscale_id",
    "nearest_neighbors",
    "twonn",
]


def __getattr__(name):
    # scikit-learn's import costs ~1 s: load the estimator class only when it is asked for
    if name == "IntrinsicDimension":
        from ._sklearn import IntrinsicDimension

        return IntrinsicDimension
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | {"IntrinsicDimension"})
