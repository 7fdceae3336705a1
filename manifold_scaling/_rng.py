"""NumPy randomness derived from a JAX PRNG key, so that no code relies on global RNG state."""

from __future__ import annotations

import numpy as np


def numpy_rng(key) -> np.random.Generator:
    """A NumPy generator seeded by the bits of JAX key ``key`` (typed or legacy uint32 key).

    The same key always gives the same stream; split the key first for independent streams.
    """
    import jax

    try:
        bits = np.asarray(jax.random.key_data(key)).ravel()
    except (TypeError, ValueError) as err:
        raise TypeError(
            f"key must be a JAX PRNG key such as jax.random.key(0) (got {type(key).__name__})"
        ) from err
    return np.random.default_rng(bits.astype(np.uint64))
