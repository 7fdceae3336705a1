"""Intrinsic-dimension estimators with one interface and one result type.

``estimate_id(points)`` uses the default (bias-corrected) estimator; ``twonn``,
``mle_levina_bickel``, ``multiscale_id`` and ``calibrated_id`` are the individual estimators;
``layer_dimensions`` runs one over each layer of a network's activations. All return
:class:`IDEstimate` (dimension, 90 % interval, dropped rows, diagnostics).
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
from ._twonn import twonn as twonn

__all__ = [
    "DEFAULT_ESTIMATOR",
    "ESTIMATORS",
    "REFERENCES",
    "IDEstimate",
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
