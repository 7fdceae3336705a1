"""The explicit rank lift gives bit for bit what implicit rank promotion gave (so switching the
tests to ``jax_numpy_rank_promotion="raise"`` changed no result), and implicit promotion raises."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from manifold_scaling._affine import affine, lift


@pytest.fixture
def allow_promotion():
    before = jax.config.jax_numpy_rank_promotion
    jax.config.update("jax_numpy_rank_promotion", "allow")
    yield
    jax.config.update("jax_numpy_rank_promotion", before)


def _arrays(key):
    k1, k2, k3 = jax.random.split(key, 3)
    h = jax.random.normal(k1, (513, 7))
    w = jax.random.normal(k2, (7, 5))
    b = jax.random.normal(k3, (5,))
    return h, w, b


def test_implicit_promotion_raises_in_the_tests(key):
    h, w, b = _arrays(key)
    with pytest.raises(ValueError, match="rank_promotion"):
        _ = h @ w + b


def test_affine_and_lift_equal_implicit_promotion_bitwise(key, allow_promotion):
    h, w, b = _arrays(key)
    implicit = [h @ w + b, jax.jit(lambda h: h @ w + b)(h), (h @ w - b) / (b + 3.0)]
    explicit = [affine(h, w, b), jax.jit(lambda h: affine(h, w, b))(h)]
    out = h @ w
    explicit.append((out - lift(b, out)) / lift(b + 3.0, out))
    for a, e in zip(implicit, explicit, strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(e))


def test_affine_takes_a_single_point(key):
    h, w, b = _arrays(key)
    assert affine(h[0], w, b).shape == (5,)
    np.testing.assert_allclose(affine(h[0], w, b), affine(h, w, b)[0], rtol=1e-6)
    assert lift(b, jnp.zeros((2, 3, 5))).shape == (1, 1, 5)
