"""Input checks shared by the learners: arrays as float64, shapes that agree, one-line errors."""

from __future__ import annotations

import numpy as np

from ..errors import InputError


def as_points(name: str, value) -> np.ndarray:
    """``value`` as a finite float64 array of shape (n, k), n >= 1."""
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2 or arr.shape[0] < 1 or arr.shape[1] < 1:
        raise InputError(name, f"must be an array of shape (n, k) with n, k >= 1 (got {arr.shape})")
    if not np.all(np.isfinite(arr)):
        raise InputError(name, "must be finite")
    return arr


def as_targets(y, n: int) -> np.ndarray:
    """Targets of shape (n,) or (n, k) as float64, checked against the number of inputs."""
    y = np.asarray(y, dtype=np.float64)
    if y.ndim not in (1, 2) or y.shape[0] != n:
        raise InputError("y_train", f"must have shape ({n},) or ({n}, k) (got {y.shape})")
    if not np.all(np.isfinite(y)):
        raise InputError("y_train", "must be finite")
    return y


def same_width(name: str, train: np.ndarray, test: np.ndarray) -> None:
    if train.shape[1] != test.shape[1]:
        raise InputError(
            name, f"has {test.shape[1]} coordinates but the training inputs have {train.shape[1]}"
        )


def gib(n_rows: int, n_cols: int) -> str:
    return f"{n_rows * n_cols * 8 / 2**30:.2f} GiB"
