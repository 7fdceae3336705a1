"""Run a sweep of trials: validate, resume, hand trials to a backend, write records as they return.

Every check that can refuse a sweep (configs, output directory, scheduler reachability) runs
before anything is written. Records are written by this process only, one directory per config
hash, and the sweep-level table and manifest are rebuilt from them, so an interrupted sweep
resumed with the same command ends with the same files as an uninterrupted one.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ..configs import config_hash, config_to_dict, save_json
from ..errors import InputError
from .aggregate import (
    JSONL_FILE,
    MANIFEST_FILE,
    TABLE_FILE,
    read_manifest,
    write_tables,
)
from .backends import Grouping, TrialFailure, cached_provenance, make_backend
from .options import SweepOptions
from .progress import SweepProgress
from .records import (
    CorruptRecord,
    TrialRecord,
    check_record,
    read_record,
    trial_dir,
    write_error,
    write_record,
)

logger = logging.getLogger(__name__)

MANIFEST_FORMAT = 1
_EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(: |$)")
_LOCK_FILE = ".lock"
_SWEEP_FILES = {
    MANIFEST_FILE,
    TABLE_FILE,
    JSONL_FILE,
    "trials",
    _LOCK_FILE,
    "superseded",
    "submitit",
}


@dataclass(frozen=True)
class SweepResult:
    """A finished sweep: every record (loaded from disk, in config order) and what this call did.

    ``n_run`` counts trials run by this call (including ``n_rerun_corrupt`` partial or corrupt
    records that were replaced); ``n_skipped`` those resumed from complete records.
    """

    records: list[TrialRecord]
    n_run: int
    n_skipped: int
    n_rerun_corrupt: int
    manifest_path: Path
    table_path: Path

    def to_dict(self) -> dict:
        return {
            "n_trials": len(self.records),
            "n_run": self.n_run,
            "n_skipped": self.n_skipped,
            "n_rerun_corrupt": self.n_rerun_corrupt,
            "manifest_path": str(self.manifest_path),
            "table_path": str(self.table_path),
        }


class SweepError(RuntimeError):
    """Some trials raised. Every other trial's record is on disk; re-running resumes the rest."""

    def __init__(self, out_dir: Path, failures: dict[str, str]):
        self.out_dir, self.failures = out_dir, failures
        first_hash, first = next(iter(failures.items()))
        super().__init__(
            f"{len(failures)} trial(s) failed in {out_dir} (first: {first_hash}: "
            f"{_exception_line(first)}); "
            f"see trials/<hash>/error.json; re-running the same command retries only those"
        )


def _exception_line(text: str) -> str:
    """The ``SomeError: message`` line of a traceback (engines append log paths after it)."""
    lines = [line for line in text.splitlines() if _EXCEPTION_LINE.match(line)]
    return lines[-1] if lines else (text.strip().splitlines() or ["?"])[-1]


def run_sweep(
    trial_fn: Callable,
    configs: Sequence,
    out_dir,
    *,
    options: SweepOptions = SweepOptions(),  # noqa: B008 - frozen, so a shared default is safe
    batch_fn: Callable | None = None,
    batch_key: Callable | None = None,
    grouping: Grouping | None = None,
    study: str = "sweep",
    sweep_config=None,
) -> SweepResult:
    """Run ``trial_fn(config) -> TrialOutput`` for every config, resuming finished trials.

    ``trial_fn`` must be a top-level importable function (Dask and submitit pickle it) and each
    config a frozen dataclass holding its own seed. With ``backend="devices"``, ``batch_fn``
    (list of configs -> list of TrialOutput) runs groups of configs; ``batch_key(config)``, if
    given, keeps configs with different keys (e.g. shapes) out of the same group. ``grouping``
    (a :class:`~.backends.Grouping`) makes every backend run trials group by group (e.g. the
    students of one d on one shared stream); records are still written per trial.
    Raises :class:`InputError` before writing anything when the configs, the output directory
    or the scheduler are unusable, and :class:`SweepError` at the end if any trial raised.
    """
    if not isinstance(options, SweepOptions):
        raise TypeError(f"options must be SweepOptions (got {type(options).__name__})")
    configs = list(configs)
    hashes = _hash_configs(configs)
    sweep_dict = _plain_json("sweep_config", sweep_config)
    out_dir = Path(out_dir)
    _check_out_dir(out_dir, study, sweep_dict, resume=options.resume)
    if options.backend == "dask" and getattr(trial_fn, "__module__", None) == "__main__":
        logger.warning(
            "%s is defined in __main__: Dask ships a fresh copy of it with every trial, so jitted "
            "helpers recompile per trial; define trial functions in an importable module",
            getattr(trial_fn, "__name__", trial_fn),
        )
    backend = make_backend(
        options, out_dir, study=study, batch_fn=batch_fn, batch_key=batch_key, grouping=grouping
    )
    backend.open()
    try:
        with _OutDirLock(out_dir):
            return _run(trial_fn, configs, hashes, out_dir, backend, options, study, sweep_dict)
    finally:
        backend.close()


def _run(trial_fn, configs, hashes, out_dir, backend, options, study, sweep_dict) -> SweepResult:
    started, start = _now(), time.perf_counter()
    previous = None
    if options.resume:
        # Again under the lock: another sweep may have claimed the directory since the first check.
        _check_out_dir(out_dir, study, sweep_dict, resume=True)
        previous = read_manifest(out_dir)
    else:
        _supersede(out_dir)
    _warn_orphans(out_dir, hashes)

    pending, corrupt, n_skipped = [], set(), 0
    for index, (config, hash_) in enumerate(zip(configs, hashes)):
        found = check_record(trial_dir(out_dir, hash_), config)
        if found.state == "complete":
            n_skipped += 1
            continue
        if found.state == "corrupt":
            logger.warning("trial %s: %s; re-running it", hash_, found.reason)
            corrupt.add(index)
        elif found.state == "failed":
            logger.info("trial %s failed in an earlier run; re-running it", hash_)
        pending.append((index, config))
    logger.info(
        "%s: %d trials, %d already complete, %d to run (%s) in %s",
        study,
        len(configs),
        n_skipped,
        len(pending),
        backend.describe()["backend"],
        out_dir,
    )

    counts = {
        "total": len(configs),
        "skipped": n_skipped,
        "run": 0,
        "rerun_corrupt": 0,
        "failed": 0,
    }
    manifest = {
        "format": MANIFEST_FORMAT,
        "study": study,
        "sweep_config": sweep_dict,
        "config_hashes": hashes,
        "status": "running",
        "counts": counts,
        "backend": backend.describe(),
        "options": options.to_dict(),
        "provenance": cached_provenance(),
        "times": {
            "created_utc": (previous or {}).get("times", {}).get("created_utc", started),
            "started_utc": started,
        },
        "history": _history(previous),
    }
    save_json(out_dir / MANIFEST_FILE, manifest)

    failures: dict[str, str] = {}
    status = "interrupted"
    try:
        with SweepProgress(len(configs), n_skipped, desc=study, enabled=options.progress) as bar:
            if pending:
                for index, outcome in backend.run(trial_fn, pending):
                    config, hash_ = configs[index], hashes[index]
                    run = {**outcome.run, "backend": backend.name}
                    if not isinstance(outcome, TrialFailure):
                        try:
                            write_record(
                                out_dir,
                                config,
                                outcome.output,
                                provenance=outcome.provenance,
                                run=run,
                                study=study,
                            )
                        except (TypeError, ValueError) as err:  # unserialisable output
                            outcome = TrialFailure(f"{type(err).__name__}: {err}", run)
                    if isinstance(outcome, TrialFailure):
                        failures[hash_] = outcome.error
                        counts["failed"] += 1
                        write_error(out_dir, config, error=outcome.error, run=run, study=study)
                        logger.error("trial %s failed:\n%s", hash_, outcome.error.rstrip())
                    else:
                        counts["run"] += 1
                        counts["rerun_corrupt"] += index in corrupt
                    bar.update()
        status = "incomplete" if failures else "complete"
    finally:
        counts["complete"] = counts["skipped"] + counts["run"]
        manifest["status"] = status
        manifest["times"].update(
            finished_utc=_now(), wall_time_s=round(time.perf_counter() - start, 3)
        )
        try:
            table_path = write_tables(out_dir, hashes)
            save_json(out_dir / MANIFEST_FILE, manifest)
        except Exception:  # an error here must not hide the one that got us here
            if status != "interrupted":
                raise
            logger.exception("could not update the sweep table after an interruption")
    if failures:
        raise SweepError(out_dir, failures)
    records = [read_record(trial_dir(out_dir, h)) for h in hashes]
    logger.info(
        "%s: done (%d run, %d resumed, %d corrupt re-run); table %s",
        study,
        counts["run"],
        n_skipped,
        counts["rerun_corrupt"],
        table_path,
    )
    return SweepResult(
        records=records,
        n_run=counts["run"],
        n_skipped=n_skipped,
        n_rerun_corrupt=counts["rerun_corrupt"],
        manifest_path=out_dir / MANIFEST_FILE,
        table_path=table_path,
    )


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _history(previous: dict | None) -> list:
    if not previous:
        return []
    entry = {k: previous.get(k) for k in ("status", "counts", "backend")}
    entry.update({k: previous.get("times", {}).get(k) for k in ("started_utc", "finished_utc")})
    return [*previous.get("history", []), entry]


def _hash_configs(configs: list) -> list[str]:
    if not configs:
        raise InputError("configs", "the sweep has no trials (need at least one config)")
    hashes, seen = [], {}
    for i, config in enumerate(configs):
        if not dataclasses.is_dataclass(config) or isinstance(config, type):
            raise InputError(
                "configs", f"config #{i} must be a dataclass instance (got {config!r})"
            )
        _plain_json(f"config #{i}", config)
        hash_ = config_hash(config)
        if hash_ in seen:
            raise InputError(
                "configs",
                f"config #{i} repeats config #{seen[hash_]} (hash {hash_}); vary the seed "
                f"or drop the duplicate",
            )
        seen[hash_] = i
        hashes.append(hash_)
    return hashes


def _plain_json(name: str, value):
    """``value`` as it reads back from JSON (tuples become lists); InputError if not JSON-able."""
    try:
        return json.loads(json.dumps(config_to_dict(value), allow_nan=False))
    except (TypeError, ValueError) as err:
        raise InputError(name, f"must be JSON-serialisable with finite numbers: {err}") from None


def _check_out_dir(out_dir: Path, study: str, sweep_dict, *, resume: bool) -> None:
    """Refuse, without writing, an output directory that holds something else."""
    if not out_dir.exists():
        return
    if not out_dir.is_dir():
        raise InputError("--out", f"{out_dir} exists and is not a directory")
    names = {p.name for p in out_dir.iterdir() if not p.name.startswith(".tmp-")}
    if not names & {MANIFEST_FILE, "trials"} and names - _SWEEP_FILES:
        raise InputError(
            "--out", f"{out_dir} exists and holds no sweep (no {MANIFEST_FILE}); use a new --out"
        )
    if not resume:
        return
    try:
        manifest = read_manifest(out_dir)
    except CorruptRecord as err:
        raise InputError("--out", f"{err}; use --fresh to set it aside and start over") from None
    if manifest is None:
        return
    if manifest.get("study") != study or manifest.get("sweep_config") != sweep_dict:
        raise InputError(
            "--out",
            f"{out_dir} holds a different sweep (study {manifest.get('study')!r}, sweep config "
            f"{json.dumps(manifest.get('sweep_config'))}); use a new --out or --fresh",
        )


def _supersede(out_dir: Path) -> None:
    """``--fresh``: move the previous sweep's files to ``OUT/superseded/<time>/`` (delete nothing)."""
    old = [out_dir / n for n in (MANIFEST_FILE, TABLE_FILE, JSONL_FILE, "trials")]
    old = [p for p in old if p.exists()]
    if not old:
        return
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    dest = out_dir / "superseded" / stamp
    dest.mkdir(parents=True)
    for path in old:
        os.replace(path, dest / path.name)
    logger.warning("--fresh: moved the previous sweep in %s to %s", out_dir, dest)


def _warn_orphans(out_dir: Path, hashes: list[str]) -> None:
    trials = out_dir / "trials"
    if not trials.is_dir():
        return
    wanted = set(hashes)
    orphans = [p.name for p in trials.iterdir() if p.is_dir() and p.name not in wanted]
    if orphans:
        logger.warning(
            "%d trial folders in %s belong to no config of this sweep (e.g. %s); they are ignored",
            len(orphans),
            trials,
            orphans[0],
        )


class _OutDirLock:
    """One sweep process per output directory (``fcntl.flock``, released even on SIGKILL)."""

    def __init__(self, out_dir: Path):
        self.path = out_dir / _LOCK_FILE
        self.fh = None

    def __enter__(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.fh = open(self.path, "a+")  # noqa: SIM115 - held for the whole sweep
        try:
            import fcntl
        except ImportError:  # Windows: no advisory locks; one sweep per directory by convention
            return self
        try:
            fcntl.flock(self.fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.fh.seek(0)
            holder = self.fh.read().strip() or "?"
            self.fh.close()
            raise InputError(
                "--out",
                f"{self.path.parent} is in use by another running sweep (pid {holder}); "
                f"wait for it or use another --out",
            ) from None
        self.fh.truncate(0)
        self.fh.write(str(os.getpid()))
        self.fh.flush()
        return self

    def __exit__(self, *exc):
        self.fh.close()  # closing releases the flock
