"""The one dense layer every network here shares (students, teachers, the curved embedding), and
the explicit rank lift that lets the code run under ``jax_numpy_rank_promotion="raise"``."""

import jax


def lift(a: jax.Array, like: jax.Array) -> jax.Array:
    """``a`` with leading unit axes up to ``like``'s rank: exactly the reshape that implicit rank
    promotion would do (so results are bit-for-bit those of ``like + a``), made explicit."""
    return a.reshape((1,) * (like.ndim - a.ndim) + a.shape)


def affine(h: jax.Array, w: jax.Array, b: jax.Array) -> jax.Array:
    """``h @ w + b`` for a single point or a batch alike."""
    out = h @ w
    return out + lift(b, out)
