"""``manifold-scaling intrinsic-dim POINTS``: estimate the intrinsic dimension of a point cloud."""

from __future__ import annotations

import json
import os
import sys
import warnings

import numpy as np

from ..errors import InputError, check_choice, check_int

_EXTENSIONS = (".npy", ".npz", ".csv")


def register(subparsers) -> None:
    from ..intrinsic_dim import DEFAULT_ESTIMATOR, ESTIMATORS

    p = subparsers.add_parser(
        "intrinsic-dim",
        help="estimate the intrinsic dimension of a point cloud (.npy, .npz or .csv)",
        description=(
            "Estimate the intrinsic dimension of the rows of POINTS with a 90 % interval. "
            f"Estimators: {', '.join(ESTIMATORS)} (default {DEFAULT_ESTIMATOR}: the Levina-Bickel MLE at k = "
            "5, calibrated on sphere/cube/Gaussian reference samples of the same size). Duplicate rows are "
            "dropped and counted unless --duplicates error."
        ),
    )
    p.add_argument("points", metavar="POINTS", help=".npy, .npz or .csv (numeric, optional header)")
    p.add_argument(
        "--estimator",
        default=DEFAULT_ESTIMATOR,
        metavar="NAME",
        help=f"{' | '.join(ESTIMATORS)} (default: {DEFAULT_ESTIMATOR})",
    )
    p.add_argument(
        "--k", type=int, default=None, help="neighbour rank (estimator default if unset)"
    )
    p.add_argument("--json", action="store_true", help="print the full result as JSON")
    p.add_argument(
        "--seed",
        type=int,
        default=0,
        help="master seed: the random draws of the estimator "
        "(calibrated: its reference samples) (default: 0)",
    )
    p.add_argument(
        "--duplicates", default="drop", metavar="POLICY", help="drop | error (default: drop)"
    )
    p.add_argument(
        "--data-key",
        dest="key",
        default=None,
        metavar="ARRAY_NAME",
        help="the array to read from a .npz (default: its first)",
    )
    p.set_defaults(func=run)


def run(args) -> int:
    from ..intrinsic_dim import ESTIMATORS, IntrinsicDimensionWarning, estimate_id

    check_choice("--estimator", args.estimator, ESTIMATORS)
    check_choice("--duplicates", args.duplicates, ("drop", "error"))
    check_int("--seed", args.seed, minimum=0, maximum=2**31 - 1)
    points = load_points(args.points, array_name=args.key)
    # An integer seed is bit-identical to jax.random.key(seed) for the estimators, and spares
    # the process JAX's key creation (intrinsic_dim._keys).
    key = args.seed if args.estimator == "calibrated" else None
    try:
        with warnings.catch_warnings():  # the small-sample warning is printed below instead
            warnings.simplefilter("ignore", IntrinsicDimensionWarning)
            est = estimate_id(
                points, estimator=args.estimator, k=args.k, key=key, duplicates=args.duplicates
            )
    except InputError as err:
        if err.parameter in ("k", "duplicates"):  # name the flag the user typed
            raise InputError(f"--{err.parameter}", str(err).split(": ", 1)[1]) from None
        raise
    for message in est.warnings:
        if message.startswith("small sample:"):  # also in the JSON's "warnings"
            sys.stderr.write(f"manifold-scaling intrinsic-dim: warning: {message}\n")
    if args.json:
        print(json.dumps(est.to_dict(), indent=2))
        return 0
    lo, hi = est.ci
    dropped = (
        f"; dropped {est.n_dropped} ("
        + ", ".join(f"{v} {r}" for r, v in est.dropped_reasons.items())
        + ")"
        if est.n_dropped
        else ""
    )
    print(
        f"{est.estimator}: d = {est.dimension:.2f}  (90% interval {lo:.2f} - {hi:.2f}; "
        f"{est.n_points} points, k = {est.k}{dropped})"
    )
    warning = est.diagnostics.get("warning")
    if warning:
        print(f"warning: {warning}")
    return 0


def load_points(path: str, *, array_name: str | None = None) -> np.ndarray:
    """Read a 2-D numeric array from ``.npy``, ``.npz`` (first or ``array_name``) or ``.csv``."""
    ext = os.path.splitext(path)[1].lower()
    if ext not in _EXTENSIONS:
        raise InputError("POINTS", f"must end in {', '.join(_EXTENSIONS)} (got {path!r})")
    if not os.path.isfile(path):
        raise InputError("POINTS", f"no such file: {path!r}")
    if array_name is not None and ext != ".npz":
        raise InputError("--data-key", f"only applies to .npz files (got {path!r})")
    try:
        if ext == ".npy":
            data = np.load(path, allow_pickle=False)
        elif ext == ".npz":
            with np.load(path, allow_pickle=False) as archive:
                names = list(archive.files)
                if not names:
                    raise InputError("POINTS", f"{path!r} holds no arrays")
                if array_name is None:
                    array_name = names[0]
                elif array_name not in names:
                    raise InputError(
                        "--data-key", f"must be one of {', '.join(names)} (got {array_name!r})"
                    )
                data = archive[array_name]
        else:
            data = _read_csv(path)
    except (OSError, ValueError, EOFError) as err:
        if isinstance(err, InputError):
            raise
        raise InputError("POINTS", f"cannot read {path!r}: {err}") from None
    if data.dtype.kind not in "biuf":
        raise InputError("POINTS", f"must hold numbers (got dtype {data.dtype})")
    if data.ndim != 2:
        hint = (
            "save a 1-D series as one column, points[:, None]"
            if data.ndim == 1
            else "save one point per row, e.g. points.reshape(len(points), -1)"
            if data.ndim > 2
            else "save an array of points, one per row"
        )
        raise InputError(
            "POINTS", f"must be 2-D (n_points, n_features) (got shape {data.shape}); {hint}"
        )
    return data


def _read_csv(path: str) -> np.ndarray:
    with open(path, encoding="utf-8") as f:
        lines = [line.strip() for line in f if line.strip()]
    if not lines:
        raise InputError("POINTS", f"{path!r} is empty")
    first = lines[0].split(",")
    try:
        [float(v) for v in first]
        body = lines
    except ValueError:
        body = lines[1:]  # a header row
    rows = []
    for i, line in enumerate(body):
        try:
            rows.append([float(v) for v in line.split(",")])
        except ValueError:
            raise InputError(
                "POINTS", f"{path!r} line {i + 1 + (body is not lines)}: non-numeric value"
            ) from None
    if not rows or len({len(r) for r in rows}) != 1:
        raise InputError("POINTS", f"{path!r} must have rows of equal length and at least one row")
    return np.asarray(rows, dtype=np.float64)
