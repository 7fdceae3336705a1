"""Shared fixtures: an explicit PRNG key, and a CPU-only, warning-free JAX."""

import os

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import jax  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture
def key():
    return jax.random.key(0)
