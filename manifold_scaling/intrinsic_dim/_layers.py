"""Intrinsic dimension of each layer's representation (data, hidden layers, teacher layers)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from ._estimate import DEFAULT_ESTIMATOR, estimate_id
from ._result import IDEstimate


@dataclass(frozen=True)
class LayerDimension:
    """One row of :func:`layer_dimensions`: a layer's name, width and dimension estimate."""

    layer: str
    width: int
    estimate: IDEstimate

    def to_dict(self) -> dict:
        return {"layer": self.layer, "width": self.width, **self.estimate.to_dict()}

    @classmethod
    def from_dict(cls, data: dict) -> LayerDimension:
        """Inverse of :meth:`to_dict`."""
        return cls(data["layer"], int(data["width"]), IDEstimate.from_dict(data))


def layer_dimensions(
    activations, *, estimator: str = DEFAULT_ESTIMATOR, k: int | None = None, key=None, **options
) -> list[LayerDimension]:
    """Run ``estimator`` on every layer of ``activations``.

    ``activations`` maps a layer name to an ``(n_points, width)`` array (in layer order), or is a
    list of such arrays (named ``layer_0``, ``layer_1``, ...). Arrays of more than two dimensions
    are flattened per point. Every layer uses the same ``key``, so the layers share one
    calibration when they have the same number of points.
    """
    if isinstance(activations, dict):
        items = list(activations.items())
    elif isinstance(activations, list | tuple):
        items = [(f"layer_{i}", a) for i, a in enumerate(activations)]
    else:
        raise InputError(
            "activations",
            f"must be a dict name -> array or a list of arrays (got {type(activations).__name__})",
        )
    if not items:
        raise InputError("activations", "must contain at least one layer (got none)")
    rows = []
    for name, array in items:
        a = np.asarray(array)
        if a.ndim > 2:
            a = a.reshape(len(a), -1)
        try:
            est = estimate_id(a, estimator=estimator, k=k, key=key, **options)
        except InputError as err:
            raise InputError(f"activations[{name!r}]", str(err)) from err
        rows.append(LayerDimension(str(name), int(a.shape[1]) if a.ndim == 2 else 1, est))
    return rows
