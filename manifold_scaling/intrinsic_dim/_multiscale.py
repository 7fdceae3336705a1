"""Dimension as a function of neighbourhood scale: GRIDE at ranks (2^j, 2^(j+1)).

GRIDE (Denti, Doimo, Laio & Mira 2022, Sci. Rep. 12, 20005) generalises TwoNN to the ratio
mu = r_{n2} / r_{n1} of the n2-th to the n1-th neighbour distance, whose density on a locally
uniform d-manifold is  d (mu^d - 1)^(n2-n1-1) / (B(n2-n1, n1) mu^((n2-1) d + 1))  (their eq. 4).
Doubling ranks probe doubling scales; j = 0 is TwoNN. A clean manifold gives a *plateau*; noise
makes the small scales count the ambient noise dimensions, so the curve *falls* with scale. At
n = 5000 a clean 16-cube falls by ~13 % over the scales (boundary effects) and a 10-Gaussian with
10 % isotropic noise by ~35 %, hence the 20 % default threshold. The headline value is the
flattest pair of consecutive scales; ``diagnostics["warning"]`` says when no plateau was found.
"""

from __future__ import annotations

import numpy as np

from ..errors import check_float, check_int
from ._mle import local_inverse_dimensions
from ._neighbors import nearest_neighbors
from ._result import (
    Fit,
    IDEstimate,
    check_ci,
    pointwise,
    warned,
    z_value,
)


def multiscale_id(
    points,
    *,
    k: int = 64,
    plateau_rtol: float = 0.2,
    duplicates: str = "drop",
    duplicate_rtol: float = 1e-10,
    ci: float = 0.9,
) -> IDEstimate:
    """GRIDE estimates at ranks (1, 2), (2, 4), ... up to the ``k``-th neighbour.

    No plateau is declared when (max - min) / median of the scale estimates exceeds
    ``plateau_rtol``; ``ci`` is the level of the intervals (90 %).
    """
    fit = fit_multiscale(points, k=k, plateau_rtol=plateau_rtol, duplicates=duplicates,
                         duplicate_rtol=duplicate_rtol, ci=ci)  # fmt: skip
    return warned(fit)


def fit_multiscale(
    points, *, k=64, plateau_rtol=0.2, duplicates="drop", duplicate_rtol=1e-10, ci=0.9
) -> Fit:
    """:func:`multiscale_id` plus per-point Levina--Bickel estimates over the chosen pair's
    n2 neighbours, scaled to the global value (GRIDE has no per-point closed form)."""
    level = check_ci(ci)
    z = z_value(level)
    check_float("plateau_rtol", plateau_rtol, minimum=0.0, strict_min=True)
    n_points = len(points) if hasattr(points, "__len__") else 0
    k = check_int("k", k, minimum=4, maximum=max(4, n_points - 1))
    nb = nearest_neighbors(points, k, duplicates=duplicates, duplicate_rtol=duplicate_rtol)
    rows = []
    n1 = 1
    while 2 * n1 <= k:
        n2 = 2 * n1
        log_mu = np.log(nb.distances[:, n2 - 1] / nb.distances[:, n1 - 1])
        dim, se = gride(log_mu, n1, n2)
        rows.append(
            {
                "n1": n1,
                "n2": n2,
                "distance": float(np.median(nb.distances[:, n2 - 1])),
                "dimension": dim,
                "ci": [dim - z * se, dim + z * se],
            }
        )
        n1 = n2
    dims = np.array([r["dimension"] for r in rows])
    spread = float((dims.max() - dims.min()) / np.median(dims))
    plateau = spread <= plateau_rtol
    steps = np.abs(np.diff(dims)) / dims[:-1] if len(dims) > 1 else np.zeros(1)
    best = int(np.argmin(steps))
    pair = rows[best : best + 2]
    dim = float(np.mean([r["dimension"] for r in pair]))
    ci = (min(r["ci"][0] for r in pair), max(r["ci"][1] for r in pair))
    warning = None
    if not plateau:
        trend = "falls" if dims[-1] < dims[0] else "rises"
        cause = (
            "small-scale noise or too few points per scale"
            if trend == "falls"
            else "curvature, several components or a too small sample"
        )
        warning = (
            f"no plateau: the estimate {trend} from {dims[0]:.2f} at the smallest scale to "
            f"{dims[-1]:.2f} at the largest ({spread:.0%} spread > {plateau_rtol:.0%}); "
            f"typical of {cause}"
        )
    est = IDEstimate.from_neighbours(
        "multiscale",
        nb,
        dim,
        ci,
        k=pair[-1]["n2"],
        scale=pair[-1]["distance"],
        diagnostics={
            "scales": rows,
            "plateau": plateau,
            "spread": spread,
            "warning": warning,
            "ci_method": "Fisher information of the GRIDE likelihood (independent ratios)",
        },
        extra=(warning,),
        ci_level=level,
    )
    inv = local_inverse_dimensions(nb.distances, pair[-1]["n2"])
    return Fit(est, nb.rows, pointwise(dim, inv))


def gride(log_mu: np.ndarray, n1: int, n2: int) -> tuple[float, float]:
    """GRIDE maximum-likelihood ``(d, standard error)`` from ``log(r_n2 / r_n1)``."""
    from scipy.optimize import brentq

    log_mu = log_mu[log_mu > 0]
    n = len(log_mu)
    a = n2 - n1 - 1
    total = float(log_mu.sum())

    def score(d):
        # mu^d / (mu^d - 1) = 1 / (1 - mu^-d), written to avoid overflow
        return n / d + a * np.sum(log_mu / -np.expm1(-d * log_mu)) - (n2 - 1) * total

    if a == 0:  # TwoNN: closed form
        d = n / ((n2 - 1) * total)
    else:
        d = brentq(score, 1e-6, 1e4)
    e = np.exp(-d * log_mu)
    info = n / d**2 + a * np.sum(log_mu**2 * e / np.expm1(-d * log_mu) ** 2)
    return float(d), float(1.0 / np.sqrt(info))
