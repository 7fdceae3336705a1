"""Local slopes ``-Δ log L / Δ log D`` between consecutive sizes: :func:`local_slopes`."""

from __future__ import annotations

import numpy as np

from .._rng import numpy_rng
from ..errors import check_int
from ._core import _check_ci, _check_common, _check_groups, _replicate_index, _stratified_resamples
from ._types import LocalSlopes


def local_slopes(
    sizes, losses, *, groups=None, key=None, ci: float = 0.90, n_bootstrap: int = 200
) -> LocalSlopes:
    """``-Δ mean(log L) / Δ log D`` between consecutive distinct sizes.

    A straight line through a curve that crosses regimes gives a number, not a test; the local
    slopes show whether the exponent is constant across the window. ``slopes_ci`` is a stratified
    bootstrap interval (replicates resampled within each size) when every size has >= 2
    replicates and a ``key`` is given; otherwise ``None``.
    """
    sizes, losses = _check_common(sizes, losses, min_sizes=2)
    _check_groups(groups, sizes)
    ci = _check_ci(ci)
    n_bootstrap = check_int("n_bootstrap", n_bootstrap, minimum=10)
    distinct, inverse, counts = _replicate_index(sizes)
    y = np.log(losses)
    log_d = np.log(distinct)

    mean_of = np.zeros((y.size, distinct.size))
    mean_of[np.arange(y.size), inverse] = 1.0 / counts[inverse]

    def slopes_of(log_losses):
        return -np.diff(log_losses @ mean_of, axis=-1) / np.diff(log_d)

    slopes = slopes_of(y)
    slopes_ci = None
    if key is not None and np.all(counts >= 2):
        boot_y = _stratified_resamples(y, inverse, counts, n_bootstrap, numpy_rng(key))
        boot = slopes_of(boot_y)
        q = np.quantile(boot, [(1 - ci) / 2, (1 + ci) / 2], axis=0)
        slopes_ci = q.T.copy()
    return LocalSlopes(
        sizes_lo=distinct[:-1].copy(),
        sizes_hi=distinct[1:].copy(),
        midpoints=np.sqrt(distinct[:-1] * distinct[1:]),
        slopes=slopes,
        slopes_ci=slopes_ci,
        ci_level=ci,
    )
