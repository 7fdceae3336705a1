"""Generated manifolds have the dimension they claim."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from manifold_scaling.errors import InputError
from manifold_scaling.manifolds import (
    ManifoldConfig,
    init_embedding,
    sample_latent,
    sample_manifold,
)


def _pca_rank(x, tol=1e-5):
    s = np.linalg.svd(
        np.asarray(x, np.float64) - np.asarray(x, np.float64).mean(0), compute_uv=False
    )
    return int(np.sum(s > tol * s[0]))


@pytest.mark.parametrize("embedding", ["pad", "rotation"])
@pytest.mark.parametrize("d", [1, 3, 7])
def test_flat_embeddings_have_rank_d(key, d, embedding):
    cfg = ManifoldConfig(intrinsic_dim=d, ambient_dim=24, embedding=embedding)
    sample = sample_manifold(key, init_embedding(key, cfg), 2000)
    assert sample.x.shape == (2000, 24)
    assert _pca_rank(sample.x) == d
    assert sample.intrinsic_dim == d


def test_rotation_preserves_distances(key):
    cfg = ManifoldConfig(intrinsic_dim=5, ambient_dim=40, embedding="rotation")
    sample = sample_manifold(key, init_embedding(key, cfg), 300)
    dz = np.linalg.norm(np.asarray(sample.z)[:, None] - np.asarray(sample.z)[None], axis=-1)
    dx = np.linalg.norm(np.asarray(sample.x)[:, None] - np.asarray(sample.x)[None], axis=-1)
    np.testing.assert_allclose(dx, dz, atol=1e-4)


def test_network_embedding_is_curved_but_injective_in_practice(key):
    cfg = ManifoldConfig(intrinsic_dim=3, ambient_dim=24, embedding="network", embedding_gain=2.0)
    sample = sample_manifold(key, init_embedding(key, cfg), 3000)
    # Curved: more than d linear directions carry variance.
    assert _pca_rank(sample.x, tol=1e-3) > 3
    # Injective in practice: nearest neighbours in latent space map to nearby ambient points, and
    # distinct latent points never collapse (min ambient distance bounded below by latent distance).
    z, x = np.asarray(sample.z, np.float64), np.asarray(sample.x, np.float64)
    idx = np.random.default_rng(0).choice(len(z), 400, replace=False)
    dz = np.linalg.norm(z[idx, None] - z[None, idx], axis=-1)
    dx = np.linalg.norm(x[idx, None] - x[None, idx], axis=-1)
    off = ~np.eye(len(idx), dtype=bool)
    assert np.min(dx[off] / dz[off]) > 0.05


def _covering_dimension(x, radii):
    """Slope of log N(r) vs log(1/r): greedy r-net counts (box-counting-like)."""
    x = np.asarray(x, np.float64)
    counts = []
    for r in radii:
        centres = []
        remaining = np.ones(len(x), bool)
        order = np.arange(len(x))
        for i in order:
            if not remaining[i]:
                continue
            centres.append(i)
            remaining &= np.linalg.norm(x - x[i], axis=1) > r
        counts.append(len(centres))
    return -np.polyfit(np.log(radii), np.log(counts), 1)[0]


@pytest.mark.parametrize(
    "latent,d,ambient", [("cube", 2, 10), ("sphere", 2, 10), ("torus", 2, 10), ("cube", 3, 12)]
)
def test_covering_number_scaling_gives_d(key, latent, d, ambient):
    cfg = ManifoldConfig(intrinsic_dim=d, latent=latent, ambient_dim=ambient, embedding="rotation")
    sample = sample_manifold(key, init_embedding(key, cfg), 6000)
    scale = float(
        np.median(np.linalg.norm(np.asarray(sample.x) - np.asarray(sample.x).mean(0), axis=1))
    )
    radii = scale * np.array([0.5, 0.35, 0.25, 0.18]) * (2 if d == 3 else 1)
    est = _covering_dimension(sample.x, radii)
    assert abs(est - d) < 0.35 * d, est


def test_latent_supports(key):
    z = sample_latent(key, "sphere", 500, 4)
    np.testing.assert_allclose(jnp.linalg.norm(z, axis=1), 1.0, rtol=1e-5)
    t = sample_latent(key, "torus", 500, 3)
    np.testing.assert_allclose(t[:, :3] ** 2 + t[:, 3:] ** 2, 1.0, rtol=1e-5)
    c = sample_latent(key, "cube", 500, 3)
    assert float(jnp.max(jnp.abs(c))) <= 1.0


def test_noise_is_isotropic_in_ambient_space(key):
    cfg = ManifoldConfig(intrinsic_dim=2, ambient_dim=30, embedding="pad", noise_std=0.1)
    x = np.asarray(sample_manifold(key, init_embedding(key, cfg), 20000).x)
    np.testing.assert_allclose(x[:, 2:].std(0), 0.1, rtol=0.05)


def test_same_key_same_points(key):
    cfg = ManifoldConfig(intrinsic_dim=3, ambient_dim=12, embedding="network")
    a = sample_manifold(key, init_embedding(key, cfg), 100).x
    b = sample_manifold(key, init_embedding(key, cfg), 100).x
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    c = sample_manifold(jax.random.key(1), init_embedding(key, cfg), 100).x
    assert not np.allclose(np.asarray(a), np.asarray(c))


@pytest.mark.parametrize(
    "kwargs,param",
    [
        ({"intrinsic_dim": 0}, "intrinsic_dim"),
        ({"intrinsic_dim": 5, "ambient_dim": 3}, "ambient_dim"),
        ({"intrinsic_dim": 3, "latent": "torus", "ambient_dim": 5}, "ambient_dim"),
        ({"latent": "klein"}, "latent"),
        ({"embedding": "fold"}, "embedding"),
        ({"noise_std": -1.0}, "noise_std"),
    ],
)
def test_bad_manifold_configs_name_the_parameter(kwargs, param):
    with pytest.raises(InputError) as err:
        ManifoldConfig(**kwargs)
    assert err.value.parameter == param
