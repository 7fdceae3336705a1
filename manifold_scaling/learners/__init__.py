"""The theories' own learners, fitted on the network's training set and scored on its test points.

Each learner is a pure fit-and-predict function, so a study can put the network's data-scaling
exponent beside the exponents of:

- ``"simplex"``: piecewise-linear interpolation over a Delaunay triangulation of the latent
  coordinates z, the learner behind L ~ D^(-4/d) (Sharma & Kaplan 2020, arXiv 2004.10802).
  NaN outside the hull of its training points; d <= 5 only.
- ``"kernel"``: ridgeless regression with the Laplace kernel (or ``kernel="relu-ntk"``) on the
  network's inputs x, the learner of kernel theory, MSE ~ D^(-min(a_T - d, 2(d + 1))/d)
  (Spigler, Geiger & Wyart 2019, arXiv 1905.10843; Cui et al. 2021, arXiv 2105.15004).

Score every learner on the test points inside the hull of the smallest training set
(``interior_mask``), where all of them are defined.
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from .kernel import KERNELS, kernel_fit_predict, kernel_matrix, median_bandwidth
from .simplex import MAX_SIMPLEX_DIM, interior_mask, periodic_images, simplex_fit_predict

__all__ = [
    "INPUT_SPACES",
    "KERNELS",
    "LEARNERS",
    "MAX_SIMPLEX_DIM",
    "fit_predict",
    "interior_mask",
    "kernel_fit_predict",
    "kernel_matrix",
    "median_bandwidth",
    "periodic_images",
    "simplex_fit_predict",
]

LEARNERS = ("simplex", "kernel")

# Which inputs each learner reads: "z" = latent chart coordinates (n, d); "x" = what the network
# sees (n, ambient). A rotation or pad embedding keeps the distances of z, so kernel(x) = kernel(z).
INPUT_SPACES = {"simplex": "z", "kernel": "x"}


def fit_predict(learner: str, z_train, x_train, y_train, z_test, x_test, **options) -> np.ndarray:
    """Fit ``learner`` on the training set and predict at the test points (float64).

    Both coordinate systems are passed so that every learner gets the same call; each reads only
    its own (``INPUT_SPACES``), and the other may be None. ``options`` go to the learner
    (``kernel_fit_predict``: kernel, length_scale, jitter, max_points; simplex: period, for chart
    coordinates that are periodic, ``manifolds.chart``).
    """
    if learner == "simplex":
        if set(options) - {"period"}:
            raise InputError(
                "learners", f"simplex takes only the option period (got {sorted(options)})"
            )
        return simplex_fit_predict(z_train, y_train, z_test, **options)
    if learner == "kernel":
        return kernel_fit_predict(x_train, y_train, x_test, **options)
    raise InputError("learners", f"must be among {', '.join(LEARNERS)} (got {learner!r})")
