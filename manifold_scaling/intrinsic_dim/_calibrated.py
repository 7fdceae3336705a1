"""A kNN estimate calibrated on reference samples of the same size: removes the high-d bias.

At n = 5000 raw kNN estimators undercount a 16-cube by ~20 % and S^16 by ~10 %: the neighbour
distances are comparable to the size of the manifold, so boundaries, curvature and density changes
all enter. The bias depends on the geometry, so one reference family cannot correct all data sets
(DANCo, calibrated on balls, overcounts spheres). Here three
reference families of dimension d, drawn at the data's sample size, span the common cases:

* ``sphere`` S^d (homogeneous, no boundary),
* ``cube`` U[0, 1]^d (uniform density with a boundary),
* ``gaussian`` N(0, I_d) (smoothly decaying density).

The raw statistic is the Levina--Bickel (2005) / MacKay--Ghahramani (2005) MLE over the
``RAW_K = 5`` nearest neighbours (at n = 2000 its spread over samples is ~4x smaller than TwoNN's).
The families are ordered by a scale-free *inhomogeneity* statistic, the excess variance of log r_k over the
Poisson value: ``h = d_raw^2 Var(log r_k) / psi'(k) - 1`` (0 for a homogeneous manifold: for a
homogeneous Poisson process r_k^d is Gamma(k) distributed, whence psi'(k)). For every candidate d
the expected raw value at the data's ``h`` is interpolated piecewise-linearly between the three
families (clamped at the ends); the estimate is the d at which it equals the observed raw value.
The result is continuous (not integer-valued).

Large inputs are split into random disjoint blocks of at most ``block_size`` points, calibrated at
the block size and pooled: the kNN search then costs O(n * block_size) instead of O(n^2).

The reference curves are a function of the sample size on a fixed grid ``SIZES`` (50 ... 5000);
between grid sizes both statistics are interpolated linearly in log n (they vary slowly with n:
the neighbour scale goes as n^(-1/d)). The curves at the grid sizes for d = 1..128 ship with the
package (``manifold_scaling/data/id_calibration.npz``, built by
``benchmarks/build_id_calibration.py``), so no reference sample is drawn at run time. Anything the
table lacks (another ``k`` or calibration key, d > 128, a size off the grid range) is built on first
use, with a logged note, and cached in memory per (size, k, raw estimator, family, d, repeat,
calibration key).

Limits: geometries outside the three families are interpolated, not modelled. Strongly anisotropic
manifolds (network-embedded cubes) come out a few per cent low at d >= 12, and manifolds whose
chordal distances are compressed at the neighbour scale (the flat torus embedded as (cos, sin)
pairs, d >= 8 at n = 5000) are overestimated, as is the raw statistic.
"""

from __future__ import annotations

import logging
import math

import numpy as np

from ..errors import InputError, check_choice, check_int
from . import _calibration_table as table
from ._keys import Key, as_key
from ._mle import local_inverse_dimensions
from ._neighbors import _drop_exact_duplicates, as_points, knn, nearest_neighbors
from ._result import (
    Fit,
    IDEstimate,
    check_ci,
    estimate_warnings,
    pointwise,
    warned,
    z_value,
)

REFERENCES = ("sphere", "cube", "gaussian")
_RAW = "mle"
RAW_K = 5  # rank of the raw Levina--Bickel statistic; overridden in experiments only
_MIN_REFERENCE_POINTS = 4000  # per (family, d): repeats are added below this many points
_MAX_REPEATS = 8
SIZES = (50, 60, 75, 100, 125, 150, 200, 250, 300, 400, 500, 600, 750, 1000, 1250, 1500, 2000)
SIZES += (2500, 3000, 3500, 4000, 4500, 5000)  # denser: blocks of large inputs fall in here
_MAX_D = 1024
_CACHE: dict[tuple, tuple[float, int, float, float]] = {}
_CACHE_MAX = 20000
_ANNOUNCED: set = set()
log = logging.getLogger(__name__)


def calibrated_id(
    points,
    *,
    k: int = 10,
    key=None,
    calibration_key=None,
    block_size: int = 5000,
    duplicates: str = "drop",
    duplicate_rtol: float = 1e-10,
    ci: float = 0.9,
) -> IDEstimate:
    """Bias-corrected Levina--Bickel MLE (see the module docstring).

    ``key`` draws the random split into blocks (used only above ``block_size`` points);
    ``calibration_key`` draws the reference samples. Both are a JAX key or an integer seed
    (``jax.random.key(seed)``) and default to seed 0; the fixed calibration key lets every call
    share the shipped calibration. ``k`` is the neighbour rank of the inhomogeneity statistic;
    ``ci`` the level of the interval (90 %).
    """
    fit = fit_calibrated(points, k=k, key=key, calibration_key=calibration_key,
                         block_size=block_size, duplicates=duplicates,
                         duplicate_rtol=duplicate_rtol, ci=ci)  # fmt: skip
    return warned(fit)


def fit_calibrated(
    points,
    *,
    k=10,
    key=None,
    calibration_key=None,
    block_size=5000,
    duplicates="drop",
    duplicate_rtol=1e-10,
    ci=0.9,
) -> Fit:
    """:func:`calibrated_id` plus per-point Levina--Bickel estimates at ``RAW_K`` neighbours,
    scaled by the calibration (their harmonic mean is the estimate)."""
    check_choice("duplicates", duplicates, ("drop", "error"))
    check_int("block_size", block_size, minimum=50, maximum=10**7)
    level = check_ci(ci)
    z = z_value(level)
    key = as_key(key, "key")
    cal_key = as_key(calibration_key, "calibration_key")
    x = as_points(points)
    n_input = len(x)
    x, n_exact, distinct = _drop_exact_duplicates(x, return_rows=True)
    if n_exact and duplicates == "error":
        raise InputError(
            "duplicates",
            f"{n_exact} duplicate rows found; pass duplicates='drop' to keep one copy of each",
        )
    n_blocks = max(1, math.ceil(len(x) / block_size))
    n_sub = len(x) // n_blocks
    if not (isinstance(k, int | np.integer) and not isinstance(k, bool)) or not RAW_K <= k < n_sub:
        raise InputError(
            "k",
            f"must be an integer in [{RAW_K}, {n_sub - 1}] for blocks of {n_sub} distinct points "
            f"(got {k!r})",
        )
    order = key.fold_in(0).numpy_rng().permutation(len(x))
    raw_sum = raw_count = var_sum = sq_sum = 0.0
    n_near = n_used = 0
    scales, rows, inverses = [], [], []
    for block in np.array_split(order, n_blocks):
        block = np.sort(block)  # rows in input order: of near duplicates, the first is kept
        nb = nearest_neighbors(x[block], k, duplicates=duplicates, duplicate_rtol=duplicate_rtol)
        n_near += nb.n_dropped
        n_used += len(nb.points)
        inv, (s, c, v, q) = _block_statistics(nb.distances, k)
        raw_sum, raw_count, var_sum, sq_sum = raw_sum + s, raw_count + c, var_sum + v, sq_sum + q
        scales.append(float(np.median(nb.distances[:, RAW_K - 1])))
        rows.append(distinct[block[nb.rows]])
        inverses.append(inv)
    mean_inv = raw_sum / raw_count
    se_inv = math.sqrt(max(sq_sum / raw_count - mean_inv**2, 0.0) / raw_count)
    raw = 1.0 / mean_inv
    inhomogeneity = _inhomogeneity(raw, var_sum / n_blocks, k)

    # neighbourhoods overlap, so the local estimates are not independent: inflate the naive
    # standard error by sqrt(RAW_K), about the number of points sharing a neighbourhood
    z *= math.sqrt(RAW_K)
    raw_lo, raw_hi = 1.0 / (mean_inv + z * se_inv), 1.0 / max(mean_inv - z * se_inv, 1e-12)
    solution = _solve(raw, (raw_lo, raw_hi), inhomogeneity, n_sub, k, cal_key)
    reasons = {}
    if n_exact:
        reasons["duplicate"] = n_exact
    if n_near:
        reasons["near_duplicate"] = n_near
    extrapolated = solution["dimension"] > solution["grid"][1]
    warnings = estimate_warnings(
        reasons,
        n_used,
        solution["dimension"],
        (
            f"the estimate ({solution['dimension']:.0f}) lies above the largest calibrated "
            f"dimension ({solution['grid'][1]}) and is extrapolated"
        )
        if extrapolated
        else None,
    )
    est = IDEstimate(
        estimator="calibrated",
        dimension=solution["dimension"],
        ci=solution["ci"],
        k=k,
        scale=float(np.median(scales)),
        n_points=n_used,
        n_dropped=n_input - n_used,
        dropped_reasons=reasons,
        diagnostics={
            "raw_mle": float(raw),
            "raw_mle_k": RAW_K,
            "raw_mle_ci": [float(raw_lo), float(raw_hi)],
            "inhomogeneity": float(inhomogeneity),
            "reference_weights": solution["weights"],
            "calibration_dims": solution["grid"],
            "block_size": n_sub,
            "n_blocks": n_blocks,
            "ci_method": "delta-method interval of the raw MLE (inflated by sqrt(RAW_K) for "
            "overlapping neighbourhoods) mapped through the calibration, widened by the scatter "
            "of the reference curves; geometry-model error not included",
        },
        warnings=warnings,
        ci_level=level,
    )
    inv = np.concatenate(inverses)
    # scaled so that the harmonic mean of the local values is the calibrated estimate
    local = pointwise(None, inv) * (solution["dimension"] / raw)
    return Fit(est, np.concatenate(rows), local)


def calibration_curve(n: int, k: int, dims, family: str, *, key=None) -> dict:
    """Raw MLE and inhomogeneity of reference ``family`` at sample size ``n`` for each d in
    ``dims``: the curve :func:`calibrated_id` inverts (interpolated in log n between ``SIZES``).
    ``key`` is the calibration key (JAX key or seed; default seed 0)."""
    check_choice("family", family, REFERENCES)
    check_int("n", n, minimum=20)
    cal_key = as_key(key)
    raw, inhom = zip(*(_reference(family, int(d), n, k, cal_key) for d in dims))
    return {"dims": [int(d) for d in dims], "raw": list(raw), "inhomogeneity": list(inhom)}


def _block_statistics(distances: np.ndarray, k: int):
    """Local inverse MLE dimensions, and (their sum, count, Var(log r_k), sum of squares)."""
    inv = local_inverse_dimensions(distances, RAW_K)
    stats = (
        float(inv.sum()),
        len(inv),
        float(np.log(distances[:, k - 1]).var()),
        float(inv @ inv),
    )
    return inv, stats


def _trigamma(k: int) -> float:
    """psi'(k) for an integer k: pi^2 / 6 - sum_{j<k} 1 / j^2 (no SciPy import)."""
    return math.pi**2 / 6 - math.fsum(1.0 / (j * j) for j in range(1, k))


def _inhomogeneity(raw: float, var_log_rk: float, k: int) -> float:
    return float(raw**2 * var_log_rk / _trigamma(k) - 1.0)


def _sample_reference(family: str, n: int, d: int, rng: np.random.Generator) -> np.ndarray:
    if family == "cube":
        return rng.random((n, d))
    if family == "gaussian":
        return rng.standard_normal((n, d))
    g = rng.standard_normal((n, d + 1))
    return g / np.linalg.norm(g, axis=1, keepdims=True)


def repeats(n: int) -> int:
    """Reference samples pooled per (family, d) at size ``n``."""
    return min(_MAX_REPEATS, max(1, math.ceil(_MIN_REFERENCE_POINTS / n)))


def _reference(family, d, n, k, cal_key) -> tuple[float, float]:
    """(raw MLE, inhomogeneity) of ``family`` at dimension d and sample size n: measured at the
    ``SIZES`` bracketing n and interpolated linearly in log n."""
    if n in SIZES or not SIZES[0] < n < SIZES[-1]:
        return _reference_at(family, d, n, k, cal_key)
    hi = next(i for i, size in enumerate(SIZES) if size > n)
    n0, n1 = SIZES[hi - 1], SIZES[hi]
    t = math.log(n / n0) / math.log(n1 / n0)
    (r0, h0), (r1, h1) = (_reference_at(family, d, m, k, cal_key) for m in (n0, n1))
    return (1 - t) * r0 + t * r1, (1 - t) * h0 + t * h1


def _reference_at(family, d, n, k, cal_key) -> tuple[float, float]:
    """(raw MLE, inhomogeneity) of the pooled reference samples: from the shipped table, else
    drawn, searched and cached."""
    shipped = table.lookup(family, d, n, k, cal_key.bits, _parameters())
    if shipped is not None:
        return shipped
    return reference_statistics(family, d, n, k, cal_key)


def reference_statistics(family, d, n, k, cal_key) -> tuple[float, float]:
    """Draw the ``repeats(n)`` reference samples of (family, d, n) and pool their statistics."""
    announce = (n, k, cal_key.bits)
    if announce not in _ANNOUNCED:
        _ANNOUNCED.add(announce)
        log.info(
            "building the intrinsic-dimension calibration for blocks of %d points (k = %d%s): "
            "not in the shipped table; drawn once per process",
            n,
            k,
            "" if cal_key.bits == table.KEY_BITS else ", non-default calibration key",
        )
    reps = repeats(n)
    s_tot = c_tot = v_tot = 0.0
    for rep in range(reps):
        cache_key = (n, k, _RAW, RAW_K, family, d, rep, cal_key.bits)
        if cache_key not in _CACHE:
            rng = cal_key.fold_in(1 + REFERENCES.index(family)).fold_in(d).fold_in(rep)
            dist, _ = knn(_sample_reference(family, n, d, rng.numpy_rng()), k)
            if len(_CACHE) >= _CACHE_MAX:
                _CACHE.clear()
            _CACHE[cache_key] = _block_statistics(dist, k)[1]
        s, c, v, _ = _CACHE[cache_key]
        s_tot, c_tot, v_tot = s_tot + s, c_tot + c, v_tot + v
    raw = c_tot / s_tot
    return raw, _inhomogeneity(raw, v_tot / reps, k)


def _parameters() -> dict:
    """What the reference statistics depend on besides (family, d, n, k, key): a shipped table
    built with other values is not used."""
    return {
        "raw_estimator": _RAW,
        "raw_k": RAW_K,
        "families": list(REFERENCES),
        "min_reference_points": _MIN_REFERENCE_POINTS,
        "max_repeats": _MAX_REPEATS,
    }


def _solve(raw, raw_ci, inhomogeneity, n, k, cal_key) -> dict:
    """Invert the geometry-interpolated calibration; widen the grid until it brackets ``raw``."""
    step = max(1, math.ceil(raw / 12))
    lo = max(1, int(0.85 * raw) - step)
    hi = max(lo + 4 * step, math.ceil(1.45 * raw) + 2 * step)
    for _ in range(6):
        grid = np.arange(lo, hi + 1, step)
        curves = [[_reference(f, int(d), n, k, cal_key) for d in grid] for f in REFERENCES]
        fit = _Calibration(grid, curves)
        dim = fit.invert(raw, inhomogeneity)
        if dim < hi - step or hi >= _MAX_D:
            break
        lo, hi = hi - 2 * step, min(_MAX_D, math.ceil(1.4 * hi) + 2 * step)
    lo_ci = fit.invert(raw_ci[0], inhomogeneity)
    hi_ci = fit.invert(raw_ci[1], inhomogeneity)
    # reference scatter about the smooth fit is the calibration's own sampling error
    extra = 1.6448536269514722 * dim * fit.relative_scatter
    lo_ci = dim - math.hypot(dim - lo_ci, extra)
    hi_ci = dim + math.hypot(hi_ci - dim, extra)
    return {
        "dimension": float(dim),
        "ci": (float(lo_ci), float(hi_ci)),
        "weights": fit.weights(dim, inhomogeneity),
        "grid": [int(grid[0]), int(grid[-1])],
    }


class _Calibration:
    """Quadratic fits (in d) of raw/d and inhomogeneity for each reference family."""

    def __init__(self, grid, curves):
        self.grid = np.asarray(grid, dtype=float)
        deg = min(2, len(grid) - 1)
        self.ratio_fits, self.inhom_fits, scatter = [], [], []
        for curve in curves:
            raw, inhom = map(np.asarray, zip(*curve))
            ratio = raw / self.grid
            pr = np.polyfit(self.grid, ratio, deg)
            self.ratio_fits.append(pr)
            self.inhom_fits.append(np.polyfit(self.grid, inhom, deg))
            resid = ratio - np.polyval(pr, self.grid)
            dof = max(1, len(grid) - deg - 1)
            scatter.append(np.sqrt(np.sum((resid / ratio) ** 2) / dof / max(1.0, len(grid) / 3)))
        self.relative_scatter = float(np.mean(scatter))

    def _predicted(self, dims, inhomogeneity):
        raws = np.array(
            [d_ratio * dims for d_ratio in (np.polyval(p, dims) for p in self.ratio_fits)]
        )
        hs = np.array([np.polyval(p, dims) for p in self.inhom_fits])
        order = np.argsort(hs, axis=0)
        hs = np.take_along_axis(hs, order, axis=0)
        raws = np.take_along_axis(raws, order, axis=0)
        return np.array([np.interp(inhomogeneity, hs[:, i], raws[:, i]) for i in range(len(dims))])

    def invert(self, raw, inhomogeneity) -> float:
        dims = np.linspace(self.grid[0], self.grid[-1], 1024)
        pred = np.maximum.accumulate(self._predicted(dims, inhomogeneity))
        if raw <= pred[0]:  # below the grid: scale by the first point's raw/d
            return float(raw * dims[0] / pred[0])
        if raw >= pred[-1]:
            return float(raw * dims[-1] / pred[-1])
        return float(np.interp(raw, pred, dims))

    def weights(self, dim, inhomogeneity) -> dict:
        hs = np.array([np.polyval(p, dim) for p in self.inhom_fits])
        w = {}
        for i, name in enumerate(REFERENCES):
            unit = np.zeros(len(REFERENCES))
            unit[i] = 1.0
            order = np.argsort(hs)
            w[name] = round(float(np.interp(inhomogeneity, hs[order], unit[order])), 3)
        return w


def build_table(sizes, dims, *, progress=None) -> dict:
    """Fresh reference statistics for ``sizes`` x families x ``dims`` (d = 1..dims for an int,
    else the listed d's), with the default calibration key: axes (size, family, d). What
    ``benchmarks/build_id_calibration.py`` writes with :func:`._calibration_table.save`."""
    dims = range(1, dims + 1) if isinstance(dims, int) else [int(d) for d in dims]
    key = Key(table.KEY_BITS)
    shape = (len(sizes), len(REFERENCES), len(dims))
    raw, inhom = np.empty(shape), np.empty(shape)
    for i, n in enumerate(sizes):
        for j, family in enumerate(REFERENCES):
            for m, d in enumerate(dims):
                raw[i, j, m], inhom[i, j, m] = reference_statistics(family, d, int(n), table.K, key)
            _CACHE.clear()  # a size is never revisited: keep the memory flat
        if progress is not None:
            progress(i, int(n))
    return {"sizes": np.asarray(sizes, dtype=np.int64), "raw": raw, "inhomogeneity": inhom}
