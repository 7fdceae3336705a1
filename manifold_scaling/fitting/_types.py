"""The fits' result types: :class:`PowerLawFit`, :class:`LocalSlopes`, :class:`FitWindow` and
:class:`JointFit` (with the compute frontier of Hoffmann et al. 2022, approach 3)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..configs import result_from_dict
from ..errors import InputError, check_float
from ..io import _size_key
from ._core import _percentile


@dataclass(frozen=True)
class PowerLawFit:
    """``L = A D^-alpha (+ E)`` fitted in log space with a summed Huber loss, and its interval.

    ``interval`` names what ``alpha_ci`` covers:

    - ``"replicate-t"`` / ``"replicate-jackknife-t"``: the variation between i.i.d. replicates
      (teacher, data and initialisation): a re-run of the question should land inside it at rate
      ``ci_level``. ``alpha`` is the mean of the per-replicate exponents ``alpha_replicates``.
    - ``"residual-bootstrap-symmetric"``: the scatter of one curve about its fit only (no groups, or
      a single replicate). It does *not* cover replicate-to-replicate variation.
    """

    alpha: float
    alpha_ci: tuple[float, float] | None
    amplitude: float  # replicate paths: geometric mean of the per-replicate amplitudes
    floor: float | None
    floor_ci: tuple[float, float] | None
    window: tuple[float, float]
    n_points: int
    n_sizes: int
    ci_level: float
    n_bootstrap: int  # bootstrap draws actually made (0 for the replicate intervals)
    bootstrap: str  # "residual" or "none" (replicate intervals need no resampling)
    huber_delta: float
    interval: str = "residual-bootstrap-symmetric"
    alpha_replicates: tuple[float, ...] | None = None  # per usable replicate, in group order
    replicate_labels: tuple | None = None  # the group label of each entry of alpha_replicates
    alpha_spread: float | None = None  # sample SD of alpha_replicates (>= 2 replicates)
    n_replicates: int | None = None  # usable replicates; None when no groups were given
    # label -> why it was left out; not hashed (a dict), so a fit stays usable as a dict key.
    replicates_dropped: dict = field(default_factory=dict, hash=False)

    def predict(self, sizes) -> np.ndarray:
        sizes = np.asarray(sizes, dtype=np.float64)
        return self.amplitude * sizes ** (-self.alpha) + (self.floor or 0.0)

    def to_dict(self) -> dict:
        def listed(v):
            return None if v is None else list(v)

        return {
            "alpha": self.alpha,
            "alpha_ci": listed(self.alpha_ci),
            "amplitude": self.amplitude,
            "floor": self.floor,
            "floor_ci": listed(self.floor_ci),
            "window": list(self.window),
            "n_points": self.n_points,
            "n_sizes": self.n_sizes,
            "ci_level": self.ci_level,
            "n_bootstrap": self.n_bootstrap,
            "bootstrap": self.bootstrap,
            "huber_delta": self.huber_delta,
            "interval": self.interval,
            "alpha_replicates": listed(self.alpha_replicates),
            "replicate_labels": listed(self.replicate_labels),
            "alpha_spread": self.alpha_spread,
            "n_replicates": self.n_replicates,
            "replicates_dropped": {str(k): v for k, v in self.replicates_dropped.items()},
        }

    @classmethod
    def from_dict(cls, data: dict) -> PowerLawFit:
        """Inverse of :meth:`to_dict` (``replicates_dropped`` keeps its keys as strings)."""
        return result_from_dict(cls, data)


@dataclass(frozen=True, eq=False)
class LocalSlopes:
    """``-Δ log L / Δ log D`` between consecutive sizes, from the mean log loss at each size."""

    sizes_lo: np.ndarray
    sizes_hi: np.ndarray
    midpoints: np.ndarray  # geometric midpoints sqrt(lo * hi)
    slopes: np.ndarray
    slopes_ci: np.ndarray | None  # (n, 2) bootstrap interval over replicates, when they exist
    ci_level: float = 0.90

    def to_dict(self) -> dict:
        return {
            "sizes_lo": self.sizes_lo.tolist(),
            "sizes_hi": self.sizes_hi.tolist(),
            "midpoints": self.midpoints.tolist(),
            "slopes": self.slopes.tolist(),
            "slopes_ci": None if self.slopes_ci is None else self.slopes_ci.tolist(),
            "ci_level": self.ci_level,
        }

    @classmethod
    def from_dict(cls, data: dict) -> LocalSlopes:
        """Inverse of :meth:`to_dict`."""
        arrays = ("sizes_lo", "sizes_hi", "midpoints", "slopes")
        ci = data.get("slopes_ci")
        return result_from_dict(cls, data, **{k: np.asarray(data[k], float) for k in arrays},
                                slopes_ci=None if ci is None else np.asarray(ci, float))  # fmt: skip


@dataclass(frozen=True)
class FitWindow:
    """The sizes a fit may use, chosen by a rule stated before looking at the exponent."""

    lo: float | None  # None when no size qualifies
    hi: float | None
    sizes: tuple[float, ...]
    decades: float  # log10(hi / lo); 0 for an empty or one-size window
    spans_min_decades: bool
    rule: str
    excluded: dict  # size -> why it is not in the window
    min_decades: float = 1.0

    def to_dict(self) -> dict:
        return {
            "lo": self.lo,
            "hi": self.hi,
            "sizes": list(self.sizes),
            "decades": self.decades,
            "spans_min_decades": self.spans_min_decades,
            "min_decades": self.min_decades,
            "rule": self.rule,
            "excluded": {_size_key(s): why for s, why in self.excluded.items()},
        }

    @classmethod
    def from_dict(cls, data: dict) -> FitWindow:
        """Inverse of :meth:`to_dict` (the excluded sizes back to numbers)."""
        excluded = {float(s): why for s, why in data.get("excluded", {}).items()}
        return result_from_dict(cls, data, excluded=excluded)


# The joint fit's parameters, in the column order of ``JointFit.draws``.
JOINT_PARAMS = ("E", "A", "a", "B", "b")


@dataclass(frozen=True)
class JointFit:
    """``L(N, D) = E + A N^-a + B D^-b`` (Hoffmann et al. 2022 approach 3; Besiroglu et al. 2024).

    ``ci`` holds percentile intervals from a pairs bootstrap; ``draws`` (when kept) its replicates,
    shape ``(n_bootstrap, 5)`` in the order of :data:`JOINT_PARAMS`, from which any derived
    quantity (a prediction, the allocation exponents) gets its band.
    """

    E: float
    A: float
    a: float
    B: float
    b: float
    ci: dict[str, tuple[float, float]]  # bootstrap intervals for E, A, a, B, b
    n_points: int
    huber_delta: float
    n_bootstrap: int
    ci_level: float = 0.90
    draws: np.ndarray | None = field(default=None, compare=False, repr=False)

    @property
    def params(self) -> np.ndarray:
        """``[E, A, a, B, b]``, the point estimate in the order of :data:`JOINT_PARAMS`."""
        return np.array([self.E, self.A, self.a, self.B, self.b], dtype=np.float64)

    def predict(self, N, D) -> np.ndarray:
        N = np.asarray(N, dtype=np.float64)
        D = np.asarray(D, dtype=np.float64)
        return self.E + self.A * N ** (-self.a) + self.B * D ** (-self.b)

    def predict_band(self, N, D) -> tuple[np.ndarray, np.ndarray]:
        """Percentile band of the prediction over the bootstrap draws, at ``ci_level``.

        Each draw predicts the loss at ``(N, D)``; the band is pointwise (per ``(N, D)``).
        """
        draws = self._draws()
        N = np.asarray(N, dtype=np.float64)
        D = np.asarray(D, dtype=np.float64)
        e, amp_n, a, amp_d, b = (draws[:, i].reshape((-1,) + (1,) * np.ndim(N)) for i in range(5))
        preds = e + amp_n * N ** (-a) + amp_d * D ** (-b)
        return _band(preds, self.ci_level)

    def frontier(self, compute, *, compute_per_nd: float = 1.0) -> dict:
        """Loss-optimal ``N*, D*, L*`` at compute ``C = compute_per_nd * N * D``.

        Closed form (Hoffmann et al. 2022, approach 3): with ``X = C / compute_per_nd`` and
        ``G = (aA / (bB))^(1/(a+b))``, ``N* = G X^(b/(a+b))`` and ``D* = X / N*``.
        Returns arrays under ``compute``, ``N``, ``D`` and ``loss``; NaN when a fitted exponent
        sits at its bound 0 (the loss then ignores N or D and there is no finite optimum).
        """
        compute = np.asarray(compute, dtype=np.float64)
        if np.any(~np.isfinite(compute)) or np.any(compute <= 0):
            raise InputError("compute", "must be positive and finite")
        compute_per_nd = check_float("compute_per_nd", compute_per_nd, minimum=0, strict_min=True)
        x = (compute / compute_per_nd).reshape(-1)
        n_opt, d_opt, loss = (v.reshape(compute.shape) for v in _frontier(self.params[:, None], x))
        return {"compute": compute, "N": n_opt, "D": d_opt, "loss": loss}

    def frontier_band(self, compute, *, compute_per_nd: float = 1.0) -> tuple[np.ndarray, ...]:
        """Percentile band of the frontier loss ``L*(C)`` over the bootstrap draws.

        Each draw is evaluated at its own optimal allocation: the band is that of the best loss
        the fitted law allows at ``C``, not of the loss at the point estimate's ``N*``.
        """
        draws = self._draws()
        compute = np.asarray(compute, dtype=np.float64)
        compute_per_nd = check_float("compute_per_nd", compute_per_nd, minimum=0, strict_min=True)
        shape = compute.shape
        _, _, loss = _frontier(draws.T, compute.reshape(-1) / compute_per_nd)
        lo, hi = _band(loss, self.ci_level)
        return lo.reshape(shape), hi.reshape(shape)

    def allocation_exponents(self) -> dict:
        """``N* ∝ C^(b/(a+b))``, ``D* ∝ C^(a/(a+b))``; ``L* - E ∝ C^(-ab/(a+b))``.

        With percentile intervals over the bootstrap draws when they are kept (``*_ci``).
        """
        out = _allocation(self.params[:, None])
        out = {k: float(v[0]) for k, v in out.items()}
        if self.draws is not None and len(self.draws):
            boot = _allocation(self.draws.T)
            for k, v in boot.items():
                v = v[np.isfinite(v)]
                out[f"{k}_ci"] = _percentile(v, self.ci_level) if v.size else None
        return out

    def frontier_exponent(self) -> float:
        """``L*(C) - E ∝ C^(-ab/(a+b))`` along the compute frontier (0 if a or b is 0)."""
        s = self.a + self.b
        return self.a * self.b / s if s > 0 else 0.0

    def to_dict(self) -> dict:
        return {
            "E": self.E,
            "A": self.A,
            "a": self.a,
            "B": self.B,
            "b": self.b,
            "ci": {k: list(v) for k, v in self.ci.items()},
            "frontier_exponent": self.frontier_exponent(),
            "n_points": self.n_points,
            "huber_delta": self.huber_delta,
            "n_bootstrap": self.n_bootstrap,
            "ci_level": self.ci_level,
        }

    @classmethod
    def from_dict(cls, data: dict) -> JointFit:
        """Inverse of :meth:`to_dict` (the bootstrap draws are not in it: ``draws`` is None)."""
        ci = {k: tuple(v) for k, v in data.get("ci", {}).items()}
        return result_from_dict(cls, data, ci=ci, draws=None)

    def _draws(self) -> np.ndarray:
        if self.draws is None or len(self.draws) == 0:
            raise InputError("draws", "this fit kept no bootstrap draws, so it has no band")
        return np.asarray(self.draws, dtype=np.float64)


def _band(samples: np.ndarray, ci: float) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise percentile band over the first axis."""
    lo, hi = np.quantile(samples, [(1 - ci) / 2, (1 + ci) / 2], axis=0)
    return lo, hi


def _frontier(params: np.ndarray, x: np.ndarray):
    """``N*, D*, L*`` at ``X = N D`` for parameter columns ``params`` (5, k) and ``x`` (..., m).

    NaN for a column with an exponent at 0 (no finite optimum).
    """
    e, amp_n, a, amp_d, b = (np.asarray(p, dtype=np.float64)[:, None] for p in params)
    s = a + b
    ok = (a > 0) & (b > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        g = (a * amp_n / (b * amp_d)) ** (1.0 / s)
        n_opt = np.where(ok, g * x ** (b / s), np.nan)
        d_opt = x / n_opt
        loss = e + amp_n * n_opt ** (-a) + amp_d * d_opt ** (-b)
    return n_opt, d_opt, loss


def _allocation(params: np.ndarray) -> dict:
    """The allocation exponents of parameter columns ``params`` (5, k); NaN where undefined."""
    a, b = np.asarray(params[2], dtype=np.float64), np.asarray(params[4], dtype=np.float64)
    s = a + b
    ok = (a > 0) & (b > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return {
            "N_opt_exponent": np.where(ok, b / s, np.nan),
            "D_opt_exponent": np.where(ok, a / s, np.nan),
            "loss_exponent": np.where(ok, a * b / s, 0.0),
        }


def predicted_frontier_exponent(a: float, b: float) -> float:
    """Exponent ``ab/(a+b)`` of ``L*(C) - E``; with ``a = b = 4/d`` it is ``2/d``."""
    a = check_float("a", a, minimum=0, strict_min=True)
    b = check_float("b", b, minimum=0, strict_min=True)
    return a * b / (a + b)
