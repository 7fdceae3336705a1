"""Ridgeless kernel regression with the Laplace kernel or the two-layer ReLU NTK.

Kernel theory predicts the data-scaling exponent of *interpolating* kernel regression: a teacher of
spectrum ||w||^(-a_T) learned by a kernel of spectrum ||w||^(-a_S) has MSE ~ D^(-min(a_T - d,
2 a_S)/d) (Spigler, Geiger & Wyart 2019, arXiv 1905.10843; Cui et al. 2021, arXiv 2105.15004).
The ReLU NTK has the Laplace kernel's spectrum, a_S = d + 1 (Geifman et al. 2020, arXiv
2007.01580; Bietti & Bach 2021, arXiv 2009.14397), so both stand in for "a ReLU network in the
lazy regime". They act on the inputs the network sees, x: a rotation or zero-pad embedding keeps
the distances of the latent z, so the kernel's geometry is the manifold's.

Bandwidth rule (fixed in advance, the same for every d and every target): ℓ = the median pairwise
distance between the first ``min(n, 1024)`` training inputs. It is scale-equivariant (the network
embedding may rescale x), needs no randomness, and with nested training sets it is one ℓ for all
D >= 1024. Asymptotic rates do not depend on ℓ; ℓ only moves the pre-asymptotic constants.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import LinAlgError, cho_factor, cho_solve
from scipy.spatial.distance import cdist, pdist

from ..errors import InputError, check_choice, check_float, check_int
from ._common import as_points, as_targets, gib, same_width

__all__ = [
    "DEFAULT_KERNEL_JITTER",
    "DEFAULT_KERNEL_MAX_POINTS",
    "KERNELS",
    "kernel_fit_predict",
    "kernel_matrix",
    "median_bandwidth",
]

KERNELS = ("laplace", "relu-ntk")

# Ridge added to K, relative to the mean of its diagonal. Small enough that the fit interpolates
# (training residuals ~1e-10 of the target scale), large enough to keep the float64 Cholesky of a
# dense pool stable. Its bias floor (~jitter² x ||y||², in MSE) lies far below any loss we measure.
DEFAULT_KERNEL_JITTER = 1e-10

# 16384 training points -> a 2 GiB float64 Gram matrix (n² x 8 bytes) and ~1.5e12 flops.
DEFAULT_KERNEL_MAX_POINTS = 16384

_BANDWIDTH_POINTS = 1024
_BLOCK_ROWS = 2048  # test rows per cross-kernel block: bounds its memory to 2048 x n


def median_bandwidth(x_train) -> float:
    """ℓ = median pairwise distance of the first ``min(n, 1024)`` rows of ``x_train`` (n, k)."""
    x = as_points("x_train", x_train)[:_BANDWIDTH_POINTS]
    if x.shape[0] < 2:
        raise InputError("x_train", "needs >= 2 points to set the bandwidth")
    ell = float(np.median(pdist(x)))
    if ell <= 0:
        raise InputError("x_train", "has a median pairwise distance of 0: pass length_scale")
    return ell


def kernel_matrix(x, x2, *, kernel: str = "laplace", length_scale: float) -> np.ndarray:
    """Gram matrix k(x_i, x2_j) (float64) of the Laplace kernel or the two-layer ReLU NTK.

    - ``"laplace"``: exp(-||x - x'|| / ℓ).
    - ``"relu-ntk"``: NTK of a two-layer ReLU network (both layers trained, infinite width) on
      the inputs augmented with a bias coordinate, u = (x/ℓ, 1): with t = cos∠(u, u'),
      k = ||u|| ||u'|| κ1(t) + (u·u') κ0(t), κ0(t) = (π - arccos t)/π and
      κ1(t) = (sqrt(1 - t²) + t (π - arccos t))/π, the arc-cosine kernels of order 0 and 1
      (Cho & Saul 2009; Jacot et al. 2018; Bietti & Mairal 2019, arXiv 1905.12173, sec. 3).
      This is 2 E_w[relu(w·u) relu(w·u') + (u·u') 1{w·u > 0} 1{w·u' > 0}], w ~ N(0, I): the
      He-scaled network. Scaling u by ℓ keeps the input and bias terms in proportion for any
      input scale; the data lie on a d-dimensional cap of the sphere, where a_S = d + 1.
    """
    check_choice("kernel", kernel, KERNELS)
    x = np.asarray(x, dtype=np.float64)
    x2 = np.asarray(x2, dtype=np.float64)
    if kernel == "laplace":
        k = cdist(x, x2)
        k *= -1.0 / length_scale
        return np.exp(k, out=k)
    u = np.hstack([x / length_scale, np.ones((len(x), 1))])
    u2 = np.hstack([x2 / length_scale, np.ones((len(x2), 1))])
    dot = u @ u2.T
    norms = np.outer(np.linalg.norm(u, axis=1), np.linalg.norm(u2, axis=1))
    t = np.clip(dot / norms, -1.0, 1.0)
    angle = np.pi - np.arccos(t)
    kappa0 = angle / np.pi
    kappa1 = (np.sqrt(1.0 - t * t) + t * angle) / np.pi
    return norms * kappa1 + dot * kappa0


def kernel_fit_predict(
    x_train,
    y_train,
    x_test,
    *,
    kernel: str = "laplace",
    length_scale: float | None = None,
    jitter: float = DEFAULT_KERNEL_JITTER,
    max_points: int = DEFAULT_KERNEL_MAX_POINTS,
) -> np.ndarray:
    """Ridgeless kernel interpolant f(x) = k(x, X) (K + λ I)^(-1) y at ``x_test``, in float64.

    ``x_*`` are the inputs the network sees, (n, k); ``y_train`` has shape (n,) or (n, k) and the
    result (m,) or (m, k). λ = ``jitter`` x mean(diag K) (default 1e-10: an interpolant for all
    practical purposes). ``length_scale=None`` applies the bandwidth rule (``median_bandwidth``).
    No mean is subtracted: the theory's learner is the plain interpolant. Training sets above
    ``max_points`` (default 16384 = a 2 GiB Gram matrix) are refused.
    """
    kernel = check_choice("kernel", kernel, KERNELS)
    jitter = check_float("jitter", jitter, minimum=0.0)
    max_points = check_int("max_points", max_points, minimum=1)
    x_train = as_points("x_train", x_train)
    x_test = as_points("x_test", x_test)
    same_width("x_test", x_train, x_test)
    y = as_targets(y_train, x_train.shape[0])
    n = x_train.shape[0]
    if n > max_points:
        raise InputError(
            "x_train",
            f"kernel regression on {n} training points needs {gib(n, n)} for its float64 Gram "
            f"matrix (n^2 x 8 bytes); the limit is max_points={max_points} "
            f"({gib(max_points, max_points)})",
        )
    if length_scale is None:
        length_scale = median_bandwidth(x_train)
    length_scale = check_float("length_scale", length_scale, minimum=0.0, strict_min=True)

    gram = kernel_matrix(x_train, x_train, kernel=kernel, length_scale=length_scale)
    gram.flat[:: n + 1] += jitter * float(np.mean(np.diag(gram)))
    try:
        # gram is symmetric: its transpose is the same matrix in Fortran order, factored in place.
        factor = cho_factor(gram.T, lower=True, overwrite_a=True, check_finite=False)
    except LinAlgError as err:
        raise InputError(
            "jitter",
            f"the {kernel} Gram matrix of {n} points is not positive definite in float64 with "
            f"jitter {jitter:g}; use a larger jitter or remove duplicate inputs",
        ) from err
    coef = cho_solve(factor, y, check_finite=False)
    out = np.empty((x_test.shape[0],) + y.shape[1:], dtype=np.float64)
    for start in range(0, x_test.shape[0], _BLOCK_ROWS):
        rows = slice(start, start + _BLOCK_ROWS)
        out[rows] = (
            kernel_matrix(x_test[rows], x_train, kernel=kernel, length_scale=length_scale) @ coef
        )
    return out
