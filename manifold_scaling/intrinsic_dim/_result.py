"""The result type every intrinsic-dimension estimator returns."""

from __future__ import annotations

import math
from dataclasses import dataclass, field


@dataclass(frozen=True)
class IDEstimate:
    """An intrinsic-dimension estimate with its 90 % interval and what was dropped on the way.

    ``scale`` is the neighbourhood the estimate refers to (median distance to the ``k``-th
    neighbour); ``dropped_reasons`` maps a reason (``"duplicate"``) to a row count;
    ``diagnostics`` holds estimator-specific extras (JSON-friendly values only).
    """

    estimator: str
    dimension: float
    ci: tuple[float, float]
    k: int
    scale: float
    n_points: int
    n_dropped: int = 0
    dropped_reasons: dict = field(default_factory=dict)
    diagnostics: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """Plain JSON-serialisable dict (non-finite floats become ``None``)."""
        return {
            "estimator": self.estimator,
            "dimension": _json_float(self.dimension),
            "ci": [_json_float(self.ci[0]), _json_float(self.ci[1])],
            "k": int(self.k),
            "scale": _json_float(self.scale),
            "n_points": int(self.n_points),
            "n_dropped": int(self.n_dropped),
            "dropped_reasons": {str(k): int(v) for k, v in self.dropped_reasons.items()},
            "diagnostics": _jsonable(self.diagnostics),
        }


def _json_float(x):
    x = float(x)
    return x if math.isfinite(x) else None


def _jsonable(obj):
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, bool | str) or obj is None:
        return obj
    if isinstance(obj, int):
        return int(obj)
    if hasattr(obj, "tolist"):  # numpy scalars and arrays
        return _jsonable(obj.tolist())
    if isinstance(obj, float):
        return _json_float(obj)
    return str(obj)
