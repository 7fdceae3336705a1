"""Gaussian-random-field teachers of known smoothness: exact Matérn draws and the rates they predict.

A Matérn-ν field on R^d has spectral density ~ ||w||^(-(2ν + d)), i.e. a teacher exponent
a_T = 2ν + d in the notation of Spigler, Geiger & Wyart 2019 (arXiv 1905.10843). Its sample paths
are ⌈ν⌉ - 1 times differentiable and its variogram is γ(r) = 1 - k(r) ~ r^(2 min(ν, 1)) near 0, so
ν dials the target's smoothness below and above the C^2 that the 4/d law of Sharma & Kaplan 2020
(arXiv 2004.10802) assumes. Draws are exact joint samples over a finite pool of points (a float64
Cholesky factor of the covariance), so nested training subsets of one pool all see the same field.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.linalg import LinAlgError, cholesky
from scipy.spatial.distance import cdist

from ._rng import numpy_rng
from .errors import InputError, check_float, check_int

__all__ = [
    "DEFAULT_JITTER",
    "DEFAULT_MAX_POINTS",
    "MATERN_NUS",
    "draw_matern_field",
    "matern_covariance",
    "predicted_exponents",
]

MATERN_NUS = (0.5, 1.5, 2.5, 3.5)

# 16384 points -> a 2 GiB float64 covariance matrix (n^2 x 8 bytes) and ~n^3/3 = 1.5e12 flops of
# Cholesky: about the most a laptop-class machine does in a minute without swapping.
DEFAULT_MAX_POINTS = 16384

# Added to the unit diagonal. It makes the drawn field the Matérn field plus white noise of variance
# 1e-10: a loss floor ~1e-10, orders of magnitude below an optimiser's floor (float32 training stops
# near 1e-6 to 1e-8) and below every learner's error at the sizes we scan.
DEFAULT_JITTER = 1e-10

_BLOCK_ROWS = 1024  # rows of the covariance filled at a time: bounds the temporaries to n x 1024


def matern_covariance(r, nu: float, length_scale: float) -> np.ndarray:
    """Unit-variance Matérn covariance k(r) at distances ``r`` (float64), half-integer ν only.

    With x = sqrt(2ν) r / ℓ (Rasmussen & Williams 2006, eq. 4.16-4.17):

    - ν = 0.5: exp(-x)                                  (Laplace / Ornstein-Uhlenbeck)
    - ν = 1.5: (1 + x) exp(-x)
    - ν = 2.5: (1 + x + x²/3) exp(-x)
    - ν = 3.5: (1 + x + 2x²/5 + x³/15) exp(-x)

    Other ν need a Bessel function and are refused: the four closed forms span the range that
    matters (rough, C^1, C^2, C^3 sample paths).
    """
    nu = _check_nu(nu)
    length_scale = check_float("length_scale", length_scale, minimum=0.0, strict_min=True)
    r = np.asarray(r, dtype=np.float64)
    if np.any(r < 0) or not np.all(np.isfinite(r)):
        raise InputError("r", "distances must be finite and >= 0")
    return _matern(r, nu, length_scale)


def _matern(r: np.ndarray, nu: float, length_scale: float, out: np.ndarray | None = None):
    # asarray: a 0-d input gives a NumPy scalar, which cannot take the in-place ops below.
    x = np.asarray(np.multiply(r, math.sqrt(2.0 * nu) / length_scale, out=out))
    if nu == 0.5:
        return np.exp(-x, out=x)
    if nu == 1.5:
        poly = 1.0 + x
    elif nu == 2.5:
        poly = 1.0 + x * (1.0 + x / 3.0)
    else:  # 3.5
        poly = 1.0 + x * (1.0 + x * (0.4 + x / 15.0))
    np.exp(-x, out=x)
    return np.multiply(x, poly, out=x)


def draw_matern_field(
    key,
    points,
    *,
    nu: float,
    length_scale: float,
    jitter: float = DEFAULT_JITTER,
    max_points: int = DEFAULT_MAX_POINTS,
) -> np.ndarray:
    """One joint draw f ~ GP(0, k_ν) at ``points`` (n, d): ``L @ ε`` with L the float64 Cholesky
    factor of K + jitter·I and ε ~ N(0, I) from ``numpy_rng(key)``. Returns shape (n,), float64.

    ``jitter`` (default 1e-10, absolute, i.e. relative to the unit variance) keeps the factorisation
    stable for smooth ν on dense pools. It adds independent noise of variance ``jitter`` to every
    point, so a learner's test MSE has a floor ~1e-10, far below an optimiser's floor. If the
    factorisation still fails, raise ``jitter``. The same key and points give the same field.

    The pool is refused above ``max_points`` (default 16384 points = a 2 GiB covariance matrix):
    the matrix is n² x 8 bytes and the factorisation ~n³/3 flops. Draw training and test points
    from one pool, and nest the training sets, so that every size sees the same field.
    """
    nu = _check_nu(nu)
    length_scale = check_float("length_scale", length_scale, minimum=0.0, strict_min=True)
    jitter = check_float("jitter", jitter, minimum=0.0)
    max_points = check_int("max_points", max_points, minimum=1)
    points = _check_points("points", points)
    n = points.shape[0]
    if n > max_points:
        raise InputError(
            "points",
            f"a pool of {n} points needs {_gib(n)} for its float64 covariance matrix (n^2 x 8 "
            f"bytes); the limit is max_points={max_points} ({_gib(max_points)})",
        )
    k = np.empty((n, n), dtype=np.float64)
    for start in range(0, n, _BLOCK_ROWS):
        block = k[start : start + _BLOCK_ROWS]
        block[...] = cdist(points[start : start + _BLOCK_ROWS], points)
        _matern(block, nu, length_scale, out=block)
    k.flat[:: n + 1] += jitter
    try:
        # K is symmetric, so K.T is the same matrix in Fortran order: LAPACK then factors it in
        # place (overwrite_a) instead of copying n^2 x 8 bytes. lower=True: f = L ε.
        factor = cholesky(k.T, lower=True, overwrite_a=True, check_finite=False)
    except LinAlgError as err:
        raise InputError(
            "jitter",
            f"the Matérn-{nu} covariance of {n} points is not positive definite in float64 with "
            f"jitter {jitter:g}; use a larger jitter (e.g. {max(jitter, 1e-12) * 100:g}) or a "
            "sparser pool",
        ) from err
    eps = numpy_rng(key).standard_normal(n)
    return factor @ eps


def predicted_exponents(nu: float, d: int, *, boundary: bool = True) -> dict[str, float]:
    """Data-scaling exponents α (MSE ~ D^-α) of a Matérn-ν teacher on a d-dimensional manifold.

    - ``"piecewise_linear"``: min(2ν, 4)/d. Interpolation over simplices of size s ~ D^(-1/d) has
      mean squared error ~ γ(s) ~ s^(2ν) for a rough field (ν < 1) and ~ s^4 (curvature x s²,
      squared) once the field is C^2 (Sharma & Kaplan 2020, arXiv 2004.10802; Bahri et al. 2021,
      arXiv 2102.06701); in between (1 < ν < 2) the increments beyond linear scale as s^(2ν).
    - ``"kernel"``: min(a_T - d, 2 a_S)/d with a_T = 2ν + d and a_S = d + 1: ridgeless regression
      with a student kernel of spectrum ||w||^(-a_S) on a teacher of spectrum ||w||^(-a_T)
      (Spigler, Geiger & Wyart 2019, arXiv 1905.10843; Cui et al. 2021, arXiv 2105.15004). The
      Laplace kernel and the ReLU NTK share a_S = d + 1 (Geifman et al. 2020; Bietti & Bach 2021).
      That rate assumes no boundary; on a bounded cube ridgeless interpolation is guaranteed only
      the rate of the kernel's own smoothness (Schaback 1999; 2018), so ``"kernel_range"`` is
      [min(2ν, d + 1)/d, min(2ν, 2d + 2)/d]. ``boundary=False`` (the flat torus, the sphere): the
      range is the point min(2ν, 2d + 2)/d.
    """
    nu = check_float("nu", nu, minimum=0.0, strict_min=True)
    d = check_int("d", d, minimum=1)
    pl = min(2.0 * nu, 4.0) / d
    return {
        "piecewise_linear": pl,
        "piecewise_linear_range": [pl, pl],
        "kernel": min(2.0 * nu, 2.0 * d + 2.0) / d,
        # on a bounded cube only the kernel's own smoothness rate is guaranteed (Schaback 1999)
        "kernel_range": [
            min(2.0 * nu, (d + 1.0) if boundary else (2.0 * d + 2.0)) / d,
            min(2.0 * nu, 2.0 * d + 2.0) / d,
        ],
    }


def _check_nu(nu) -> float:
    allowed = ", ".join(map(str, MATERN_NUS))
    if isinstance(nu, bool) or not isinstance(nu, int | float) or float(nu) not in MATERN_NUS:
        raise InputError("nu", f"Matérn smoothness must be one of {allowed} (got {nu!r})")
    return float(nu)


def _check_points(name: str, points) -> np.ndarray:
    points = np.asarray(points, dtype=np.float64)
    if points.ndim != 2 or points.shape[0] < 1 or points.shape[1] < 1:
        raise InputError(name, f"must be an array of shape (n, d), n, d >= 1 (got {points.shape})")
    if not np.all(np.isfinite(points)):
        raise InputError(name, "must be finite")
    return points


def _gib(n: int) -> str:
    return f"{n * n * 8 / 2**30:.2f} GiB"
