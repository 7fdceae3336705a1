"""TwoNN: the ratio of second to first neighbour distances (Facco et al. 2017, Sci. Rep. 7, 12140).

On a locally uniform d-manifold mu = r2 / r1 is Pareto(1, d), i.e. log mu ~ Exponential(d).
``method="mle"`` (default) is the maximum-likelihood form d = (N - 1) / sum(log mu) (Denti et al.
2022, unbiased). With ``discard_fraction`` f > 0 the largest f N ratios are treated as *censored*
(Type-II censoring: they are known to exceed the largest kept ratio) rather than ignored, so the
estimate stays unbiased. ``method="linear"`` is the original least-squares fit through the origin of
-log(1 - F_emp) on log mu with the top fraction discarded (Facco et al. 2017, Fig. 1; the default of
scikit-dimension's ``TwoNN``, which it matches to rounding error).
"""

from __future__ import annotations

import numpy as np

from ..errors import check_choice, check_float
from ._neighbors import nearest_neighbors
from ._result import Fit, IDEstimate, check_ci, pointwise, warned

METHODS = ("mle", "linear")


def twonn(
    points,
    *,
    method: str = "mle",
    discard_fraction: float | None = None,
    duplicates: str = "drop",
    duplicate_rtol: float = 1e-10,
    ci: float = 0.9,
) -> IDEstimate:
    """TwoNN estimate with an exact ``ci`` (90 %) interval from the Gamma law of sum(log mu).

    ``discard_fraction`` defaults to 0 for ``"mle"`` and 0.1 for ``"linear"`` (the paper's choice).
    """
    fit = fit_twonn(points, method=method, discard_fraction=discard_fraction,
                    duplicates=duplicates, duplicate_rtol=duplicate_rtol, ci=ci)  # fmt: skip
    return warned(fit)


def fit_twonn(
    points, *, method="mle", discard_fraction=None, duplicates="drop", duplicate_rtol=1e-10, ci=0.9
) -> Fit:
    """:func:`twonn` plus per-point estimates 1 / log(mu), scaled to the global value."""
    check_choice("method", method, METHODS)
    ci = check_ci(ci)
    if discard_fraction is None:
        discard_fraction = 0.0 if method == "mle" else 0.1
    check_float("discard_fraction", discard_fraction, minimum=0.0, maximum=0.9)
    nb = nearest_neighbors(points, 2, duplicates=duplicates, duplicate_rtol=duplicate_rtol)
    r1, r2 = nb.distances[:, 0], nb.distances[:, 1]
    log_mu = np.log(r2 / r1)
    dim, interval, n_kept = twonn_from_log_mu(np.sort(log_mu), discard_fraction, method, ci)
    est = IDEstimate.from_neighbours(
        "twonn",
        nb,
        dim,
        interval,
        k=2,
        scale=float(np.median(r2)),
        diagnostics={
            "method": method,
            "discard_fraction": discard_fraction,
            "n_used": n_kept,
            "ci_method": "exact Gamma law of sum(log mu) (independent ratios)",
        },
        ci_level=ci,
    )
    return Fit(est, nb.rows, pointwise(dim, log_mu))


def twonn_from_log_mu(
    log_mu: np.ndarray, discard_fraction: float = 0.0, method: str = "mle", ci: float = 0.9
):
    """``(dimension, (lo, hi), n_kept)`` from sorted ``log(r2 / r1)``; see the module docstring."""
    # gammaincinv is scipy.stats.gamma.ppf without importing scipy.stats (about 1 s)
    from scipy.special import gammaincinv

    n = len(log_mu)
    m = max(2, int(n * (1 - discard_fraction)))
    kept = log_mu[:m]
    # total time on test: the censored ratios contribute the largest kept value each
    s = float(kept.sum() + (n - m) * kept[-1])
    dim = (m - 1) / s
    # the literal 0.05 for the default: (1 - 0.9) / 2 is 0.04999999999999999
    tail = 0.05 if ci == 0.9 else (1 - ci) / 2
    lo, hi = gammaincinv(m, tail) / s, gammaincinv(m, 1 - tail) / s
    if method == "linear":
        y = -np.log1p(-np.arange(1, m + 1) / n)
        slope = float(kept @ y / (kept @ kept))
        lo, hi, dim = lo * slope / dim, hi * slope / dim, slope  # same relative width
    return float(dim), (float(lo), float(hi)), m
