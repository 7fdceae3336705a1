"""Place a batch of trials (leading axis) across all local JAX devices, padding to fit.

A study's ``batch_fn`` stacks per-trial inputs (keys, datasets) on a leading axis, calls
:func:`shard_leading_axis`, runs its vmapped, jitted step (XLA partitions it along the batch
axis), then drops the padding with :func:`unpad`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class ShardedBatch:
    """A pytree whose leaves' leading axis is padded to ``padded_size`` and split over devices."""

    tree: Any
    size: int
    padded_size: int
    n_devices: int

    def to_dict(self) -> dict:
        return {"size": self.size, "padded_size": self.padded_size, "n_devices": self.n_devices}


def shard_leading_axis(tree, devices=None) -> ShardedBatch:
    """Pad every leaf's leading axis to a multiple of the device count and shard it.

    Padding repeats the last element (not zeros), so padded rows compute something finite;
    sharding is ``NamedSharding(Mesh(devices, ("batch",)), PartitionSpec("batch"))``.
    """
    import jax
    from jax.sharding import Mesh, NamedSharding, PartitionSpec

    devices = list(jax.devices() if devices is None else devices)
    if not devices:
        raise ValueError("shard_leading_axis needs at least one device")
    leaves = jax.tree_util.tree_leaves(tree)
    sizes = {np.shape(leaf)[0] if np.ndim(leaf) else None for leaf in leaves}
    if not leaves or None in sizes or len(sizes) != 1:
        raise ValueError(f"every leaf needs the same leading (batch) axis; got sizes {sizes}")
    size = sizes.pop()
    if size == 0:
        raise ValueError("cannot shard an empty batch")
    padded = -(-size // len(devices)) * len(devices)
    sharding = NamedSharding(Mesh(np.array(devices), ("batch",)), PartitionSpec("batch"))

    def place(leaf):
        leaf = jax.numpy.asarray(leaf)
        if padded > size:
            tail = jax.numpy.repeat(leaf[-1:], padded - size, axis=0)
            leaf = jax.numpy.concatenate([leaf, tail], axis=0)
        return jax.device_put(leaf, sharding)

    return ShardedBatch(jax.tree_util.tree_map(place, tree), size, padded, len(devices))


def unpad(tree, size: int):
    """Drop the padding rows that :func:`shard_leading_axis` added (keep the first ``size``)."""
    import jax

    return jax.tree_util.tree_map(lambda leaf: leaf[:size], tree)
