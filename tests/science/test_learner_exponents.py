"""Reference learners' exponents on tiny scans against the theories' predictions."""

import jax
import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from manifold_scaling.fields import draw_matern_field, predicted_exponents
from manifold_scaling.fitting import fit_power_law
from manifold_scaling.learners import (
    LEARNERS,
    fit_predict,
    interior_mask,
)


@pytest.fixture(autouse=True)
def _one_blas_thread():
    # The Cholesky factors here are small (<= 3072); on a shared 2-core machine OpenBLAS's second
    # thread cost more in hand-offs than it saved (a 2560-point factor took 1-3.5 s instead of 0.6 s).
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def _tanh_teacher(d, seed=0):
    """A fixed random tanh network d -> 64 -> 64 -> 1, weights N(0, 4/fan_in): smooth (C^∞)."""
    rng = _rng(100 + seed)
    widths = [d, 64, 64, 1]
    layers = [
        (rng.normal(0, 2 / np.sqrt(a), (a, b)), rng.normal(0, 1, b))
        for a, b in zip(widths[:-1], widths[1:])
    ]

    def f(z):
        for i, (w, b) in enumerate(layers):
            z = z @ w + b
            z = np.tanh(z) if i < len(layers) - 1 else z
        return z[:, 0]

    return f


def _scan(learners, d, nu, sizes, seeds, n_test=512):
    """α of each learner: nested training prefixes of one pool, the field drawn jointly over the
    pool, MSE on the test points inside the hull of the smallest training set."""
    losses = {name: [] for name in learners}
    for seed in seeds:
        rng = _rng(seed)
        pool = rng.uniform(-1, 1, (max(sizes) + n_test, d))
        if nu is None:
            y = _tanh_teacher(d, seed)(pool)
        else:
            y = draw_matern_field(jax.random.key(seed), pool, nu=nu, length_scale=0.5)
        z_test, y_test = pool[max(sizes) :], y[max(sizes) :]
        inside = interior_mask(pool[: min(sizes)], z_test)
        for size in sizes:
            for name in learners:
                pred = fit_predict(name, pool[:size], pool[:size], y[:size], z_test, z_test)
                losses[name].append(np.mean((pred[inside] - y_test[inside]) ** 2))
    all_sizes = np.tile(np.asarray(sizes, float), len(seeds))
    groups = np.repeat(seeds, len(sizes)) if len(seeds) > 1 else None
    return {
        name: fit_power_law(
            all_sizes, np.asarray(loss), key=jax.random.key(0), groups=groups, n_bootstrap=20
        ).alpha
        for name, loss in losses.items()
    }


FAST_SIZES = [128, 256, 512, 1024, 2048]


@pytest.mark.parametrize("nu", [0.5, 1.5])
def test_matern_exponents_fast(nu):
    """Both learners at 2ν/d on a rough field, d = 2 (±25 %: mean of 3 seeds, 1.2 decades)."""
    alpha = _scan(LEARNERS, 2, nu, FAST_SIZES, [0, 1, 2], n_test=1024)
    pred = predicted_exponents(nu, 2)
    assert alpha["simplex"] == pytest.approx(pred["piecewise_linear"], rel=0.25)
    assert alpha["kernel"] == pytest.approx(pred["kernel"], rel=0.25)


def test_simplex_smooth_teacher_gives_4_over_d_fast():
    alpha = _scan(["simplex"], 2, None, FAST_SIZES, [0, 1, 2], n_test=1024)
    assert alpha["simplex"] == pytest.approx(
        4 / 2, rel=0.2
    )  # 9 seeds: 1.82-2.38, triples 1.97-2.24


SLOW_SIZES = [256, 512, 1024, 2048, 4096]


@pytest.mark.slow
@pytest.mark.parametrize("nu,d", [(0.5, 2), (0.5, 3), (1.5, 2), (1.5, 3), (3.5, 2)])
def test_matern_exponents_slow(nu, d):
    alpha = _scan(LEARNERS, d, nu, SLOW_SIZES, [0, 1], n_test=1024)
    pred = predicted_exponents(nu, d)
    tol = 0.15 if nu == 3.5 else 0.20
    assert alpha["simplex"] == pytest.approx(pred["piecewise_linear"], rel=tol)
    if pred["kernel"] > pred["piecewise_linear"]:
        # Smoother than C^2 (ν = 3.5): the kernel must at least beat piecewise-linear's 4/d ...
        assert alpha["kernel"] > (1 + tol) * pred["piecewise_linear"]
        if alpha["kernel"] != pytest.approx(pred["kernel"], rel=tol):
            # ... but reaching (2d + 2)/d = 3 takes more than D = 4096 on the cube: 2.48 here,
            # 2.57 in the benchmark; interior local slopes rise toward 3 (2.45 -> 2.83) while
            # test points within 0.1 of the cube's faces lag (kernel interpolation's boundary
            # effect). A known miss, kept visible rather than loosened.
            pytest.xfail(
                f"kernel α = {alpha['kernel']:.2f}, theory {pred['kernel']:.2f} ±{tol:.0%}"
            )
    else:
        assert alpha["kernel"] == pytest.approx(pred["kernel"], rel=tol)


@pytest.mark.slow
@pytest.mark.parametrize("d", [2, 3, 4])
def test_simplex_smooth_teacher_gives_4_over_d_slow(d):
    alpha = _scan(["simplex"], d, None, SLOW_SIZES, [0, 1], n_test=1024)
    assert alpha["simplex"] == pytest.approx(4 / d, rel=0.15)


def _rng(seed=0):
    return np.random.default_rng(seed)
