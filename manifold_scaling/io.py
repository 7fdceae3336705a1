"""Reading tables of losses and training runs from CSV files with a header, and the own-data arrays.

``read_loss_table`` (and its tuple form ``read_loss_csv``) reads the ``size,loss[,seed]`` tables
that ``manifold-scaling fit`` and :func:`manifold_scaling.fit_table` take; ``read_runs_csv`` reads
one training run per row (parameters, tokens or compute, loss) for the joint fit
(:func:`manifold_scaling.fitting.fit_joint_scaling`); ``load_arrays`` reads the (X, y) of the
own-data study (``studies.own_data``) from .npy / .npz / .csv files, a preset's name
(``sklearn:digits``) or ``run_own_data``'s arrays in memory. Every problem with a file is an
:class:`~manifold_scaling.errors.InputError` naming the parameter and the file (and, in a table,
the line and the column).
"""

from __future__ import annotations

import csv
import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import InputError, check_float

__all__ = [
    "LossTable",
    "RunsTable",
    "load_arrays",
    "read_loss_csv",
    "read_loss_table",
    "read_runs_csv",
]


@dataclass(frozen=True, eq=False)
class LossTable:
    """A ``size,loss[,seed][,train_loss][,n_params]`` table (``loss`` is the test loss)."""

    sizes: np.ndarray
    losses: np.ndarray
    seeds: np.ndarray | None  # integers when every seed is one, strings otherwise
    train_losses: np.ndarray | None = None
    n_params: np.ndarray | None = None


def read_loss_csv(path) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Read ``size,loss[,seed]`` columns (any order, extra columns ignored) from a CSV with header.

    Returns ``(sizes, losses, seeds)``; ``seeds`` is ``None`` without a ``seed`` column (integer
    array when every seed is an integer, strings otherwise). Every problem is an
    :class:`InputError` naming the file and the line. :func:`read_loss_table` reads the optional
    diagnostic columns too.
    """
    table = read_loss_table(path)
    return table.sizes, table.losses, table.seeds


def read_loss_table(path) -> LossTable:
    """:func:`read_loss_csv`, plus the optional ``train_loss`` (>= 0) and ``n_params`` (> 0)
    columns the data-scaling window rule reads (``studies.verdict.interpolation_rule``)."""
    name = "LOSSES.csv"
    path = os.fspath(path)
    header_line, header, body = _read_csv_rows(path, name, "size,loss[,seed]")
    columns = [c.lower() for c in header]
    for required in ("size", "loss"):
        if required not in columns:
            raise InputError(
                name,
                f"{path} line {header_line}: missing column '{required}' "
                f"(header must name size,loss[,seed]; got {','.join(columns)})",
            )
    i_size, i_loss = columns.index("size"), columns.index("loss")
    i_seed = columns.index("seed") if "seed" in columns else None
    i_train = columns.index("train_loss") if "train_loss" in columns else None
    i_params = columns.index("n_params") if "n_params" in columns else None
    sizes, losses, seeds, train, params = [], [], [], [], []
    seen: dict[tuple, int] = {}
    for line, row in body:
        size = _parse_number(name, path, line, "size", row[i_size])
        loss = _parse_number(name, path, line, "loss", row[i_loss])
        if not (math.isfinite(loss) and loss > 0):
            raise InputError(
                name, f"{path} line {line}: loss must be positive and finite (got {row[i_loss]!r})"
            )
        if not (math.isfinite(size) and size > 0):
            raise InputError(
                name, f"{path} line {line}: size must be positive and finite (got {row[i_size]!r})"
            )
        sizes.append(size)
        losses.append(loss)
        if i_train is not None:
            value = _parse_number(name, path, line, "train_loss", row[i_train])
            if not (math.isfinite(value) and value >= 0):
                raise InputError(
                    name,
                    f"{path} line {line}: train_loss must be finite and >= 0 "
                    f"(got {row[i_train]!r})",
                )
            train.append(value)
        if i_params is not None:
            value = _parse_number(name, path, line, "n_params", row[i_params])
            if not (math.isfinite(value) and value > 0):
                raise InputError(
                    name,
                    f"{path} line {line}: n_params must be positive and finite "
                    f"(got {row[i_params]!r})",
                )
            params.append(value)
        if i_seed is not None:
            seed = row[i_seed].strip()
            if (size, seed) in seen:
                raise InputError(
                    name,
                    f"{path} line {line}: size {_size_key(size)} with seed {seed!r} already "
                    f"appears on line {seen[(size, seed)]}",
                )
            seen[(size, seed)] = line
            seeds.append(seed)
    n_distinct = len(set(sizes))
    if n_distinct < 3:
        raise InputError(name, f"{path}: need at least 3 distinct sizes (got {n_distinct})")
    seed_arr = None
    if i_seed is not None:
        try:
            seed_arr = np.array([int(s) for s in seeds])
        except ValueError:
            seed_arr = np.array(seeds, dtype=str)
    return LossTable(
        sizes=np.array(sizes),
        losses=np.array(losses),
        seeds=seed_arr,
        train_losses=None if i_train is None else np.array(train),
        n_params=None if i_params is None else np.array(params),
    )


@dataclass(frozen=True, eq=False)
class RunsTable:
    """Training runs for a joint fit: parameters ``N``, tokens ``D`` and final loss per run."""

    N: np.ndarray
    D: np.ndarray
    losses: np.ndarray
    C: np.ndarray | None  # compute, when D was derived from it
    lines: np.ndarray  # the file line of each run
    columns: dict  # "N", "D", "C", "loss" -> the header's name for it (None when not read)
    flops_per_param_token: float | None  # k in D = C / (k N), when D was derived


def read_runs_csv(
    path,
    *,
    n_column: str = "N",
    loss_column: str = "loss",
    d_column: str | None = None,
    c_column: str | None = None,
    flops_per_param_token: float = 6.0,
) -> RunsTable:
    """Read one run per row: parameters, tokens (or compute) and loss, from a CSV with header.

    Columns are named by the caller (an exact match first, then one ignoring case and spaces at
    the ends); other columns are ignored. With ``c_column`` the tokens are
    ``D = C / (flops_per_param_token * N)``, the ``C = 6 N D`` of Hoffmann et al. 2022; without
    either, ``d_column`` is ``"D"``. A missing column is an :class:`InputError` naming the argument
    (``n_column``, ...); a bad value one naming ``RUNS.csv``, the line and the column.
    """
    name = "RUNS.csv"
    if d_column is not None and c_column is not None:
        raise InputError("c_column", f"give a D column or a C column, not both ({d_column!r})")
    if d_column is None and c_column is None:
        d_column = "D"
    k = check_float("flops_per_param_token", flops_per_param_token, minimum=0, strict_min=True)
    path = os.fspath(path)
    expected = f"{n_column},{d_column or c_column},{loss_column}"
    _, header, body = _read_csv_rows(path, name, expected)
    wanted = {"N": ("n_column", n_column), "loss": ("loss_column", loss_column)}
    if c_column is None:
        wanted["D"] = ("d_column", d_column)
    else:
        wanted["C"] = ("c_column", c_column)
    index, used = {}, {}
    for role, (argument, column) in wanted.items():
        i = _find_column(header, column, argument, path)
        if i in used:
            raise InputError(argument, f"column {header[i]!r} is already the {used[i]} column")
        index[role], used[i] = i, role
    values = {role: [] for role in index}
    for line, row in body:
        for role, i in index.items():
            text = row[i]
            try:
                value = float(text)
            except ValueError:
                value = math.nan
            if not (math.isfinite(value) and value > 0):
                raise InputError(
                    name,
                    f"{path} line {line}: column {header[i]!r} ({role}) must be a positive "
                    f"finite number (got {text!r})",
                )
            values[role].append(value)
    if not body:
        raise InputError(name, f"{path} has a header but no runs")
    arrays = {role: np.array(v) for role, v in values.items()}
    compute = arrays.get("C")
    tokens = arrays["D"] if compute is None else compute / (k * arrays["N"])
    return RunsTable(
        N=arrays["N"],
        D=tokens,
        losses=arrays["loss"],
        C=compute,
        lines=np.array([line for line, _ in body]),
        columns={
            role: (header[index[role]] if role in index else None)
            for role in ("N", "D", "C", "loss")
        },
        flops_per_param_token=None if compute is None else k,
    )


def _read_csv_rows(path: str, name: str, expected: str):
    """``(header line, header, [(line, row)])`` of a CSV with header; blank lines skipped and
    every row checked to have the header's number of fields."""
    if not os.path.isfile(path):
        raise InputError(name, f"no such file: {path}")
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            rows = list(csv.reader(fh))
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        raise InputError(name, f"cannot read {path}: {err}") from None
    numbered = [(i + 1, row) for i, row in enumerate(rows) if any(cell.strip() for cell in row)]
    if not numbered:
        raise InputError(name, f"{path} is empty; expected a header with columns {expected}")
    header_line, header = numbered[0]
    for line, row in numbered[1:]:
        if len(row) != len(header):
            raise InputError(
                name,
                f"{path} line {line}: malformed row (expected {len(header)} fields, "
                f"got {len(row)})",
            )
    return header_line, [c.strip() for c in header], numbered[1:]


def _find_column(header: list[str], column: str, argument: str, path: str) -> int:
    """The index of ``column`` in ``header``: exact, else ignoring case (when unambiguous)."""
    if column in header:
        return header.index(column)
    folded = [i for i, h in enumerate(header) if h.lower() == column.strip().lower()]
    if len(folded) == 1:
        return folded[0]
    shown = ", ".join(repr(h) for h in header)
    raise InputError(argument, f"{path} has no column {column!r} (columns: {shown})")


def _parse_number(name, path, line, column, text) -> float:
    try:
        return float(text)
    except ValueError:
        raise InputError(
            name, f"{path} line {line}: column '{column}' is not a number (got {text!r})"
        ) from None


# A size as a key or in a message: an integer without its '.0', else its repr (also used by
# ``fitting``, for the keys of ``FitWindow.excluded`` and its replicate checks).
def _size_key(size) -> str:
    size = float(size)
    return str(int(size)) if size.is_integer() else repr(size)


# --- arrays for the own-data study (studies.own_data): files, presets, arrays in memory --------


def load_digits_data():
    """scikit-learn's 8x8 digits scaled to [0, 1], as float32, with integer labels."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    return (bunch.data / 16.0).astype(np.float32), bunch.target.astype(np.int32)


# Arrays a preset names instead of a file (resolved in every worker, whatever its file system).
BUILTIN = {"sklearn:digits": load_digits_data}
# Arrays handed to run_own_data, by the name trials carry ("memory:<sha256>"): visible to this
# process only, so they run on the in-process backends.
MEMORY_PREFIX = "memory:"
_IN_MEMORY: dict[str, tuple[np.ndarray, np.ndarray]] = {}
MIN_POINTS = 32


def _read_csv(path: Path, name: str) -> tuple[list[str], np.ndarray]:
    """A numeric CSV with a header row: (column names, float64 array)."""
    with path.open(newline="") as fh:
        rows = list(csv.reader(fh))
    if len(rows) < 2:
        raise InputError(name, f"{path} needs a header row and at least one data row")
    header = [h.strip() for h in rows[0]]
    try:
        values = np.array([[float(v) if v.strip() else np.nan for v in r] for r in rows[1:]])
    except ValueError as err:
        raise InputError(name, f"{path}: every value must be numeric ({err})") from None
    if values.ndim != 2 or values.shape[1] != len(header):
        raise InputError(name, f"{path}: every row needs {len(header)} values (one per column)")
    return header, values


def _read_array(path: Path, name: str, key: str | None, defaults: tuple[str, ...]) -> np.ndarray:
    if not path.is_file():
        raise InputError(name, f"no such file: {path}")
    suffix = path.suffix.lower()
    try:
        if suffix == ".npy":
            if key is not None:
                raise InputError(f"{name}_key", f"{path} is .npy, which holds one unnamed array")
            return np.load(path, allow_pickle=False)
        if suffix == ".npz":
            with np.load(path, allow_pickle=False) as npz:
                names = list(npz.files)
                wanted = [key] if key is not None else [k for k in defaults if k in names]
                if not wanted or wanted[0] not in names:
                    asked = key or " or ".join(defaults)
                    raise InputError(
                        f"{name}_key", f"{path} has no array {asked} (it holds {', '.join(names)})"
                    )
                return npz[wanted[0]]
        if suffix == ".csv":
            return _read_csv(path, name)[1]
    except (OSError, ValueError) as err:
        if isinstance(err, InputError):
            raise
        raise InputError(name, f"cannot read {path}: {err}") from None
    raise InputError(name, f"{path}: expected .npy, .npz or .csv (got {suffix or 'no suffix'})")


def load_arrays(data, targets=None, data_key=None, targets_key=None) -> tuple[np.ndarray, ...]:
    """(X as float32 (n, k), y as (n,) or (n, m)), validated: shapes, lengths, no NaN rows.

    ``targets``: a file, a column name of a CSV ``data`` (then dropped from X), or None for the
    ``y`` array of an .npz ``data``.
    """
    if str(data) in BUILTIN:  # presets (digits): no file, and a path-free trial hash
        return _validate(*BUILTIN[str(data)]())
    if str(data).startswith(MEMORY_PREFIX):  # run_own_data's arrays
        if str(data) not in _IN_MEMORY:
            raise InputError(
                "data", f"{data} was handed to run_own_data in another process; arrays in memory "
                "run on the local or devices backend (or save them and use --data FILE)",
            )  # fmt: skip
        return _IN_MEMORY[str(data)]
    path = Path(data)
    y = None
    if path.suffix.lower() == ".csv" and path.is_file():
        header, values = _read_csv(path, "data")
        if targets is not None and not Path(targets).is_file():
            if targets not in header:
                raise InputError(
                    "targets", f"{path} has no column {targets!r} (it has {', '.join(header)})"
                )
            j = header.index(targets)
            x, y = np.delete(values, j, axis=1), values[:, j]
        else:
            x = values
    else:
        x = _read_array(path, "data", data_key, ("X", "x"))
    if y is None:
        if targets is not None:
            tpath = Path(targets)
            if not tpath.is_file() and tpath.suffix.lower() not in (".npy", ".npz", ".csv"):
                raise InputError("targets", f"no such file (or CSV column of --data): {targets}")
            y = _read_array(tpath, "targets", targets_key, ("y", "Y"))
        elif path.suffix.lower() == ".npz":
            y = _read_array(path, "targets", targets_key, ("y", "Y"))
        else:
            raise InputError("targets", "give the targets y (a file, or a column of a CSV --data)")
    return _validate(np.asarray(x), np.asarray(y))


def _validate(x: np.ndarray, y: np.ndarray, names=("data", "targets")) -> tuple[np.ndarray, ...]:
    """``names``: the parameters errors name (the files' ``data``/``targets``, or ``X``/``y``)."""
    xname, yname = names
    if not np.issubdtype(x.dtype, np.number):
        raise InputError(xname, f"X must be numeric (got {x.dtype})")
    if not np.issubdtype(y.dtype, np.number):
        raise InputError(
            yname, f"y must be numeric (got {y.dtype}); encode class labels as integers"
        )
    if x.ndim != 2:
        raise InputError(xname, f"X must be 2-D (n_points, n_features) (got shape {x.shape})")
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim not in (1, 2):
        raise InputError(yname, f"y must be 1-D or (n_points, k) (got shape {y.shape})")
    if len(x) != len(y):
        raise InputError(yname, f"X has {len(x)} rows but y has {len(y)}: they must match")
    if len(x) < MIN_POINTS:
        raise InputError(xname, f"need at least {MIN_POINTS} points (got {len(x)})")
    bad = ~np.isfinite(x).all(axis=1) | ~np.isfinite(y.reshape(len(y), -1)).all(axis=1)
    if bad.any():
        rows = ", ".join(map(str, np.flatnonzero(bad)[:5]))
        raise InputError(
            xname, f"{int(bad.sum())} rows hold NaN or inf (rows {rows}...): drop them first"
        )
    return x.astype(np.float32), y
