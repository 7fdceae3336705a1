"""One trial's record on disk: ``trials/<config_hash>/arrays.npz`` then ``record.json``.

``record.json`` is the commit marker: it is written last (temp file, fsync, rename) and holds the
sha256 of ``arrays.npz``, so a crash leaves either a complete record or one that
:func:`check_record` reports as partial or corrupt. Because the checksum makes a record
self-validating, directories are not fsynced after each rename (that doubled the per-trial cost):
a rename lost to a power cut only means that trial runs again. Arrays are stored without pickles, in a
byte-reproducible ``.npz`` (fixed zip timestamps), so identical trials give identical files.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import math
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..configs import atomic_write_bytes, config_hash, config_to_dict, save_json

RECORD_FORMAT = 1
RECORD_FILE = "record.json"
ARRAYS_FILE = "arrays.npz"
ERROR_FILE = "error.json"
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class TrialOutput:
    """What a trial function returns: JSON-able metrics and named arrays (e.g. a loss curve).

    Metrics are the trial's results only; never put wall time in them (the runner records
    timings separately so that records compare equal across backends).
    """

    metrics: dict
    arrays: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass(frozen=True, eq=False)
class TrialRecord:
    """A complete trial record, loaded (and checksum-verified) from disk."""

    config: dict
    config_hash: str
    metrics: dict
    arrays: dict[str, np.ndarray]
    provenance: dict
    wall_time_s: float
    path: Path
    study: str = "sweep"
    run: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "config": self.config,
            "config_hash": self.config_hash,
            "study": self.study,
            "metrics": self.metrics,
            "arrays": {k: list(v.shape) for k, v in self.arrays.items()},
            "provenance": self.provenance,
            "wall_time_s": self.wall_time_s,
            "path": str(self.path),
        }


@dataclass(frozen=True)
class RecordCheck:
    """What :func:`check_record` found in a trial directory.

    ``state`` is ``"complete"``, ``"missing"`` (no directory or nothing in it), ``"failed"``
    (a previous run raised; only ``error.json``) or ``"corrupt"`` (partial or damaged; ``reason``).
    """

    state: str
    reason: str = ""


class CorruptRecord(ValueError):
    """A trial directory holds a partial or damaged record."""


def trial_dir(out_dir, hash_: str) -> Path:
    return Path(out_dir) / "trials" / hash_


def jsonable_metrics(metrics) -> dict:
    """Metrics as plain JSON types (numpy/JAX scalars and arrays become floats and lists)."""
    if not isinstance(metrics, dict):
        raise TypeError(f"TrialOutput.metrics must be a dict (got {type(metrics).__name__})")
    return {_check_key(k): _plain(v, k) for k, v in metrics.items()}


def _check_key(key) -> str:
    if not isinstance(key, str) or not key:
        raise TypeError(f"metric and array names must be non-empty strings (got {key!r})")
    return key


def _plain(value, name):
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, dict):
        return {_check_key(k): _plain(v, f"{name}.{k}") for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v, name) for v in value]
    if isinstance(value, np.generic | np.ndarray) or hasattr(value, "__array__"):
        array = np.asarray(value)
        if array.dtype.kind not in "biuf":
            raise TypeError(f"metric {name!r} has unsupported dtype {array.dtype}")
        return array.tolist()
    raise TypeError(f"metric {name!r} is not JSON-able (got {type(value).__name__})")


def npz_bytes(arrays: dict) -> bytes:
    """A ``.npz`` of ``arrays`` with fixed timestamps (same arrays -> same bytes), no pickles."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as zf:
        for name in sorted(arrays):
            array = np.asarray(arrays[_check_key(name)])
            if array.dtype.hasobject:
                raise TypeError(f"array {name!r} has dtype object; records never hold pickles")
            info = zipfile.ZipInfo(f"{name}.npy", date_time=_ZIP_EPOCH)
            with zf.open(info, "w", force_zip64=True) as fh:
                np.lib.format.write_array(fh, np.ascontiguousarray(array), allow_pickle=False)
    return buffer.getvalue()


def write_record(
    out_dir, config, output: TrialOutput, *, provenance: dict, run: dict, study: str
) -> Path:
    """Write one trial's record atomically (arrays first, ``record.json`` last); return its dir."""
    if not isinstance(output, TrialOutput):
        raise TypeError(f"a trial must return TrialOutput (got {type(output).__name__})")
    hash_ = config_hash(config)
    directory = trial_dir(out_dir, hash_)
    directory.mkdir(parents=True, exist_ok=True)
    metrics = jsonable_metrics(output.metrics)
    blob = npz_bytes(output.arrays)
    record_path = directory / RECORD_FILE
    # Drop a stale marker first so that the directory never pairs old record.json with new arrays.
    record_path.unlink(missing_ok=True)
    for stale in directory.glob(".tmp-*"):
        stale.unlink(missing_ok=True)
    atomic_write_bytes(directory / ARRAYS_FILE, blob)
    record = {
        "format": RECORD_FORMAT,
        "status": "complete",
        "study": study,
        "config_hash": hash_,
        "config": config_to_dict(config),
        "metrics": metrics,
        "arrays": {
            "file": ARRAYS_FILE,
            "sha256": hashlib.sha256(blob).hexdigest(),
            "names": sorted(output.arrays),
        },
        "provenance": provenance,
        "run": run,
    }
    save_json(record_path, record)
    (directory / ERROR_FILE).unlink(missing_ok=True)
    return directory


def write_error(out_dir, config, *, error: str, run: dict, study: str) -> Path:
    """Note a trial that raised (``error.json``; no ``record.json``, so a resume re-runs it)."""
    directory = trial_dir(out_dir, config_hash(config))
    directory.mkdir(parents=True, exist_ok=True)
    save_json(
        directory / ERROR_FILE,
        {"study": study, "config": config_to_dict(config), "error": error, "run": run},
    )
    return directory


def check_record(directory, config=None) -> RecordCheck:
    """Whether ``directory`` holds a complete record (of ``config`` when given), without raising."""
    directory = Path(directory)
    try:
        _read(directory, config, load_arrays=False)
    except FileNotFoundError:
        if not directory.is_dir():
            return RecordCheck("missing")
        left = [p.name for p in directory.iterdir() if p.name != ERROR_FILE]
        if not left:
            return RecordCheck("failed" if (directory / ERROR_FILE).exists() else "missing")
        return RecordCheck(
            "corrupt", f"no {RECORD_FILE} (partial write: {', '.join(sorted(left))})"
        )
    except CorruptRecord as err:
        return RecordCheck("corrupt", str(err))
    return RecordCheck("complete")


def read_record(directory, config=None, *, arrays: bool = True) -> TrialRecord:
    """Load and verify a record; raises :class:`CorruptRecord` (or FileNotFoundError).

    ``arrays=False`` verifies the arrays' checksum but leaves ``TrialRecord.arrays`` empty.
    """
    return _read(Path(directory), config, load_arrays=arrays)


def _read(directory: Path, config, *, load_arrays: bool) -> TrialRecord:
    try:
        text = (directory / RECORD_FILE).read_text()
    except UnicodeDecodeError as err:
        raise CorruptRecord(f"{RECORD_FILE} is not text: {err}") from None
    try:
        record = json.loads(text)
    except json.JSONDecodeError as err:
        raise CorruptRecord(f"{RECORD_FILE} is not valid JSON: {err}") from None
    try:
        stored_config, hash_ = record["config"], record["config_hash"]
        metrics, sha = record["metrics"], record["arrays"]["sha256"]
        ok = record["status"] == "complete"
    except (KeyError, TypeError) as err:
        raise CorruptRecord(f"{RECORD_FILE} lacks field {err}") from None
    if not ok:
        raise CorruptRecord(f"{RECORD_FILE} has status {record['status']!r}")
    if hash_ != directory.name or config_hash(stored_config) != hash_:
        raise CorruptRecord(f"{RECORD_FILE} config does not match its hash {directory.name}")
    if config is not None and stored_config != config_to_dict(config):
        raise CorruptRecord(f"{RECORD_FILE} holds another config with the same hash")
    try:
        blob = (directory / ARRAYS_FILE).read_bytes()
    except FileNotFoundError:
        raise CorruptRecord(f"{ARRAYS_FILE} is missing") from None
    if hashlib.sha256(blob).hexdigest() != sha:
        raise CorruptRecord(f"{ARRAYS_FILE} checksum mismatch (truncated or modified)")
    arrays = {}
    if load_arrays:
        try:
            with np.load(io.BytesIO(blob), allow_pickle=False) as npz:
                arrays = {name: npz[name] for name in npz.files}
        except (ValueError, OSError, zipfile.BadZipFile) as err:
            raise CorruptRecord(f"{ARRAYS_FILE} is unreadable: {err}") from None
    run = record.get("run") or {}
    return TrialRecord(
        config=stored_config,
        config_hash=hash_,
        metrics=metrics,
        arrays=arrays,
        provenance=record.get("provenance") or {},
        wall_time_s=float(run.get("wall_time_s", math.nan)),
        path=directory,
        study=record.get("study", "sweep"),
        run=run,
    )


def record_fields_for_comparison(record: TrialRecord) -> dict[str, Any]:
    """A record without timings and host details: equal for equal trials on any backend."""
    data = dataclasses.asdict(record)
    for key in ("run", "wall_time_s", "path", "arrays"):
        data.pop(key)
    data["arrays"] = {k: v.tolist() for k, v in record.arrays.items()}
    return data
