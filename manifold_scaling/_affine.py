"""The one dense layer every network here shares (students, teachers, the curved embedding)."""

import jax
import jax.numpy as jnp


def affine(h: jax.Array, w: jax.Array, b: jax.Array) -> jax.Array:
    """``h @ w + b`` with the bias broadcast explicitly to the product's shape, so the code runs
    under ``jax_numpy_rank_promotion="raise"`` for a single point and for a batch alike."""
    out = h @ w
    return out + jnp.broadcast_to(b, out.shape)
