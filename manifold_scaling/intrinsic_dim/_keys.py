"""Randomness of the estimators: a JAX key, or an integer seed standing for ``jax.random.key``.

The estimators only ever use ``fold_in`` and the key's bits (to seed a NumPy generator, as
``manifold_scaling._rng.numpy_rng`` does). For the threefry keys JAX makes by default both are
computed here in NumPy, bit for bit as JAX does (Salmon et al. 2011, Threefry-2x32, 20 rounds), so
a command-line call with an integer seed never pays JAX's import time (about 1 s), and a threefry
key made with JAX skips the compilation of ``fold_in`` (~0.3 s). Keys of other PRNG
implementations go through JAX itself.
"""

from __future__ import annotations

import sys

import numpy as np

MAX_SEED = 2**31 - 1  # the package's seed range (``manifold_scaling.keys.key``)
_ROTATIONS = ((13, 15, 26, 6), (17, 29, 16, 24))
_PARITY = 0x1BD11BDA
_MASK = 0xFFFFFFFF


class Key:
    """A key as its raw bits (``bits``), plus the JAX key it came from when that key is not a
    threefry key (``jax_key``: then JAX folds it)."""

    __slots__ = ("bits", "jax_key")

    def __init__(self, bits: tuple[int, ...], jax_key=None):
        self.bits = bits
        self.jax_key = jax_key

    def fold_in(self, data: int) -> Key:
        """``jax.random.fold_in(key, data)``."""
        if self.jax_key is not None:
            import jax

            folded = jax.random.fold_in(self.jax_key, data)
            return Key(_bits_of(folded), folded)
        return Key(threefry2x32(self.bits, (0, int(data) & _MASK)))

    def numpy_rng(self) -> np.random.Generator:
        """The generator ``manifold_scaling._rng.numpy_rng`` makes from the same key."""
        return np.random.default_rng(np.asarray(self.bits, dtype=np.uint32).astype(np.uint64))


def as_key(key, name: str = "key") -> Key:
    """``None`` (seed 0), an integer seed in [0, 2**31) or a JAX PRNG key, as a :class:`Key`."""
    from ..errors import InputError

    if key is None:
        key = 0
    if isinstance(key, int | np.integer) and not isinstance(key, bool):
        if not 0 <= key <= MAX_SEED:
            raise InputError(name, f"must be a JAX key or an integer seed in [0, {MAX_SEED}]")
        if _default_impl_is_threefry():
            return Key((0, int(key)))  # what jax.random.key(seed) holds for seeds < 2**32
        import jax

        key = jax.random.key(int(key))
    try:
        bits = _bits_of(key)
        threefry = _is_threefry(key)
    except (TypeError, ValueError, AttributeError):
        raise InputError(
            name,
            f"must be a JAX key such as jax.random.key(0) or an integer seed "
            f"(got {type(key).__name__})",
        ) from None
    # threefry keys fold in NumPy too (same bits): JAX's fold_in compiles, ~0.3 s per process
    return Key(bits) if threefry else Key(bits, key)


def threefry2x32(key: tuple[int, int], count: tuple[int, int]) -> tuple[int, int]:
    """One Threefry-2x32 block: JAX's ``threefry_2x32(key, count)`` for a count of two words."""
    k0, k1 = (int(v) & _MASK for v in key)
    ks = (k0, k1, k0 ^ k1 ^ _PARITY)
    x0, x1 = (count[0] + ks[0]) & _MASK, (count[1] + ks[1]) & _MASK
    for i in range(5):
        for r in _ROTATIONS[i % 2]:
            x0 = (x0 + x1) & _MASK
            x1 = ((x1 << r) | (x1 >> (32 - r))) & _MASK
            x1 ^= x0
        x0 = (x0 + ks[(i + 1) % 3]) & _MASK
        x1 = (x1 + ks[(i + 2) % 3] + i + 1) & _MASK
    return (x0, x1)


def _bits_of(key) -> tuple[int, ...]:
    import jax

    return tuple(int(b) for b in np.asarray(jax.random.key_data(key)).ravel())


def _is_threefry(key) -> bool:
    import jax

    if jax.dtypes.issubdtype(key.dtype, jax.dtypes.prng_key):  # typed key: it knows its PRNG
        return str(jax.random.key_impl(key)) == "threefry2x32"
    return key.shape == (2,) and _default_impl_is_threefry()  # raw uint32 key (PRNGKey)


def _default_impl_is_threefry() -> bool:
    # JAX not imported yet: its default (threefry2x32) applies. Imported: ask its config.
    jax = sys.modules.get("jax")
    if jax is None:
        return True
    try:
        return str(jax.config.jax_default_prng_impl) == "threefry2x32"
    except AttributeError:
        return True
