"""Sweep-level files rebuilt from the trial records on disk: ``trials.csv``, ``trials.jsonl``,
``manifest.json``; and :func:`load_records`, which reads a sweep back in config order."""

from __future__ import annotations

import csv
import io
import json
import logging
from pathlib import Path

from .records import CorruptRecord, TrialRecord, atomic_write_bytes, read_record, trial_dir

logger = logging.getLogger(__name__)

MANIFEST_FILE = "manifest.json"
TABLE_FILE = "trials.csv"
JSONL_FILE = "trials.jsonl"
TIMING_COLUMNS = ("wall_time_s",)


def read_manifest(out_dir) -> dict | None:
    """The sweep's manifest, or None when there is none; raises CorruptRecord if unreadable."""
    path = Path(out_dir) / MANIFEST_FILE
    try:
        manifest = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise CorruptRecord(f"{path} is not valid JSON: {err}") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("config_hashes"), list):
        raise CorruptRecord(f"{path} lacks the list of config hashes")
    return manifest


def load_records(out_dir, *, strict: bool = False) -> list[TrialRecord]:
    """Complete, checksum-verified records of a sweep, in the order of its configs.

    Missing or corrupt trials are skipped with a logged warning (a sweep still running or
    interrupted can be inspected); ``strict=True`` raises :class:`CorruptRecord` instead.
    """
    out_dir = Path(out_dir)
    manifest = read_manifest(out_dir)
    if manifest is not None:
        hashes = manifest["config_hashes"]
    else:
        # No manifest (e.g. copied trial folders): hash order is the only stable order there is.
        hashes = sorted(p.name for p in (out_dir / "trials").glob("*") if p.is_dir())
    records, problems = [], []
    for hash_ in hashes:
        try:
            records.append(read_record(trial_dir(out_dir, hash_)))
        except (FileNotFoundError, CorruptRecord) as err:
            problems.append(f"{hash_}: {err}")
    if problems:
        message = f"{len(problems)} of {len(hashes)} trials in {out_dir} have no complete record"
        if strict:
            raise CorruptRecord(f"{message}: {'; '.join(problems[:5])}")
        logger.warning("%s (first: %s)", message, problems[0])
    return records


def _flatten(prefix: str, value, row: dict, *, scalars_only: bool) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _flatten(f"{prefix}.{k}", v, row, scalars_only=scalars_only)
    elif isinstance(value, list):
        if not scalars_only:  # config lists identify a trial: keep them, as JSON
            row[prefix] = json.dumps(value)
    else:
        row[prefix] = value


def table_rows(out_dir, hashes) -> tuple[list[str], list[dict]]:
    """One row per complete trial (flattened ``config.*``, scalar ``metrics.*``, timings)."""
    rows = []
    for hash_ in hashes:
        try:
            record = read_record(trial_dir(out_dir, hash_), arrays=False)
        except (FileNotFoundError, CorruptRecord):
            continue
        row = {"config_hash": record.config_hash}
        _flatten("config", record.config, row, scalars_only=False)
        _flatten("metrics", record.metrics, row, scalars_only=True)
        row["wall_time_s"] = record.wall_time_s
        rows.append((row, record))
    columns: dict[str, None] = {}
    for row, _ in rows:
        columns.update(dict.fromkeys(k for k in row if k not in TIMING_COLUMNS))
    columns.update(dict.fromkeys(TIMING_COLUMNS))
    return list(columns), rows


def write_tables(out_dir, hashes) -> Path:
    """Rebuild ``trials.csv`` and ``trials.jsonl`` from the records on disk (atomically)."""
    out_dir = Path(out_dir)
    columns, rows = table_rows(out_dir, hashes)
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row, _ in rows:
        writer.writerow(row)
    atomic_write_bytes(out_dir / TABLE_FILE, text.getvalue().encode())
    lines = [
        json.dumps(
            {
                "config_hash": r.config_hash,
                "config": r.config,
                "metrics": r.metrics,
                "wall_time_s": r.wall_time_s,
            }
        )
        for _, r in rows
    ]
    atomic_write_bytes(out_dir / JSONL_FILE, "".join(f"{line}\n" for line in lines).encode())
    return out_dir / TABLE_FILE
