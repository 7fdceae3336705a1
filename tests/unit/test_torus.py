"""The flat torus: a latent without a boundary, its periodic chart, and what the theories predict
there (the kernel band collapses to its boundary-free top)."""

import numpy as np
import pytest

from manifold_scaling.errors import InputError
from manifold_scaling.fields import predicted_exponents as matern_exponents
from manifold_scaling.learners import fit_predict, periodic_images, simplex_fit_predict
from manifold_scaling.manifolds import ManifoldConfig, chart, has_boundary, sample_latent
from manifold_scaling.studies.trials import check_simplex
from manifold_scaling.teachers import TeacherConfig, predicted_exponents

TWO_PI = 2.0 * np.pi


def test_chart_recovers_the_angles_of_the_torus(key):
    z = np.asarray(sample_latent(key, "torus", 500, 3), np.float64)
    theta, period = chart("torus", z)
    assert period == pytest.approx(TWO_PI)
    assert theta.shape == (500, 3)
    assert np.all((theta >= 0) & (theta < TWO_PI))
    np.testing.assert_allclose(np.cos(theta), z[:, :3], atol=1e-6)
    np.testing.assert_allclose(np.sin(theta), z[:, 3:], atol=1e-6)
    cube = np.asarray(sample_latent(key, "cube", 10, 2))
    same, none = chart("cube", cube)
    assert none is None
    np.testing.assert_array_equal(same, cube)


def test_only_the_sphere_and_torus_have_no_boundary():
    assert not has_boundary("torus") and not has_boundary("sphere")
    assert has_boundary("cube") and has_boundary("unit-cube") and has_boundary("gaussian")


def test_periodic_images_keep_the_cell_and_add_only_points_within_the_margin():
    rng = np.random.default_rng(0)
    z = rng.uniform(0, TWO_PI, (200, 2))
    y = np.sin(z[:, 0])
    zi, yi = periodic_images(z, y, TWO_PI, margin=0.5)
    assert len(zi) > len(z)
    assert np.all((zi >= -0.5) & (zi < TWO_PI + 0.5))
    # every image carries its original's target: the target is periodic
    np.testing.assert_allclose(yi, np.sin(zi[:, 0]), atol=1e-12)
    # the original cell is kept whole, once
    inside = np.all((zi >= 0) & (zi < TWO_PI), axis=1)
    assert inside.sum() == len(z)


def test_periodic_simplex_matches_the_plain_one_away_from_the_seam():
    """Far from the cell's faces the periodic triangulation is the ordinary one."""
    rng = np.random.default_rng(2)
    train = rng.uniform(0, TWO_PI, (1500, 2))
    y = np.cos(train[:, 0]) + np.sin(train[:, 1])
    test = rng.uniform(2.0, TWO_PI - 2.0, (300, 2))
    a = simplex_fit_predict(train, y, test, period=TWO_PI)
    b = simplex_fit_predict(train, y, test)
    np.testing.assert_allclose(a, b, atol=1e-10)


def test_fit_predict_passes_the_period_to_simplex_only():
    rng = np.random.default_rng(3)
    z = rng.uniform(0, TWO_PI, (100, 2))
    out = fit_predict("simplex", z, None, np.sin(z[:, 0]), z[:5] + 1e-3, None, period=TWO_PI)
    assert np.all(np.isfinite(out))
    with pytest.raises(InputError, match="learners"):
        fit_predict("simplex", z, None, np.sin(z[:, 0]), z[:5], None, jitter=1.0)


def test_the_kernel_band_collapses_to_its_top_without_a_boundary():
    for nu, d in [(2.5, 2), (3.5, 2), (3.5, 3), (0.5, 3)]:
        cube = matern_exponents(nu, d)
        torus = matern_exponents(nu, d, boundary=False)
        top = min(2 * nu, 2 * d + 2) / d
        assert torus["kernel_range"] == pytest.approx([top, top])
        assert cube["kernel_range"][1] == pytest.approx(top)
        assert cube["piecewise_linear"] == torus["piecewise_linear"]
    tanh = predicted_exponents(TeacherConfig(), 3, boundary=False)
    assert tanh["kernel_range"] == pytest.approx([8 / 3, 8 / 3])
    assert predicted_exponents(TeacherConfig(), 3)["kernel_range"] == pytest.approx([4 / 3, 8 / 3])


def test_on_the_torus_the_mechanisms_separate_where_the_cube_blurs_them():
    """d = 3, nu = 3.5: on the cube the kernel band's bottom (d + 1)/d meets the piecewise-linear
    4/d; on the torus the kernel rate 7/3 stands apart from it."""
    cube, torus = matern_exponents(3.5, 3), matern_exponents(3.5, 3, boundary=False)
    assert cube["kernel_range"][0] <= cube["piecewise_linear"]
    assert torus["kernel_range"][0] > torus["piecewise_linear"] * 1.25 / 0.8


def test_simplex_runs_on_the_torus_but_not_on_the_sphere():
    check_simplex(ManifoldConfig(intrinsic_dim=3, latent="torus"))
    with pytest.raises(InputError, match="learners"):
        check_simplex(ManifoldConfig(intrinsic_dim=3, latent="sphere"))
