"""Run a sweep of trials: validate, resume, hand trials to a backend, write records as they return.

Every check that can refuse a sweep (configs, output directory, scheduler reachability) runs
before anything is written. Records are written by this process only, one directory per config
hash, and the sweep-level table and manifest are rebuilt from them, so an interrupted sweep
resumed with the same command ends with the same files as an uninterrupted one.

A sweep can be watched as it runs: ``on_trial`` (an argument, or a field of the options) is called
in this process with a :class:`SweepEvent` when the sweep starts and ends and a :class:`TrialEvent`
as each trial returns, from every backend's outcome stream (``manifold_scaling.tracking`` logs
them to MLflow).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from ..configs import config_hash, config_to_dict, result_from_dict, save_json
from ..errors import InputError
from .aggregate import (
    JSONL_FILE,
    MANIFEST_FILE,
    TABLE_FILE,
    read_manifest,
    write_tables,
)
from .backends import Grouping, TrialFailure, cached_provenance, make_backend
from .options import CallbackOptions as CallbackOptions  # its home before 0.3
from .options import SweepOptions
from .progress import SweepProgress
from .records import (
    CorruptRecord,
    TrialRecord,
    check_record,
    jsonable_metrics,
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


@dataclass(frozen=True)
class TrialEvent:
    """One trial that this call ran, as it returned (``kind`` is always ``"trial"``).

    ``status`` is ``"ok"`` (its record is on disk; ``metrics`` are the record's) or ``"failed"``
    (``error`` holds the traceback; ``metrics`` is empty). ``index`` is the trial's position in
    the sweep's configs, ``config`` the config as its record stores it, ``seconds`` the trial's
    wall time on its worker (a batch's time shared among its trials; ``None`` if unknown).
    """

    index: int
    config_hash: str
    config: dict
    status: str
    metrics: dict = field(default_factory=dict)
    seconds: float | None = None
    error: str | None = None
    study: str = "sweep"
    kind: str = "trial"

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> TrialEvent:
        return result_from_dict(cls, data)


@dataclass(frozen=True)
class SweepEvent:
    """The start or end of a sweep, or a study's summary (``kind``: ``"start"``, ``"end"`` or
    ``"summary"``).

    ``"start"``: after validation, before any trial runs; ``config`` is the sweep (study) config
    and ``counts`` holds ``total`` and ``skipped`` (trials resumed from complete records, which
    get no :class:`TrialEvent`). ``"end"``: always, also when trials failed or the sweep was
    interrupted; ``status`` is ``"complete"``, ``"incomplete"`` (some trials failed) or
    ``"interrupted"``, ``counts`` the manifest's, ``seconds`` the sweep's wall time.
    ``"summary"`` (from :func:`~manifold_scaling.studies.protocol.run_study` only, after the
    ``"end"`` of its sweep): ``summary`` is the study's ``summary.json`` as written, at
    ``summary_path``.
    """

    kind: str
    study: str
    out_dir: str
    config: dict | None = None
    status: str = ""
    counts: dict = field(default_factory=dict)
    seconds: float | None = None
    summary: dict | None = None
    summary_path: str | None = None

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> SweepEvent:
        return result_from_dict(cls, data)


def resolve_callback(on_trial: Callable | None, options) -> Callable | None:
    """``on_trial`` if given, else the options' own ``on_trial`` (if they have one)."""
    callback = on_trial if on_trial is not None else getattr(options, "on_trial", None)
    if callback is not None and not callable(callback):
        raise InputError("on_trial", f"must be callable (got {callback!r})")
    return callback


def notify(callback: Callable | None, event) -> None:
    """Call ``callback(event)``; an exception it raises is logged as a warning and dropped."""
    if callback is None:
        return
    try:
        callback(event)
    except Exception as err:  # a watcher's bug must never lose a sweep
        logger.warning(
            "on_trial callback %s raised on the %s event (%s: %s); the sweep goes on",
            getattr(callback, "__qualname__", type(callback).__name__),
            event.kind,
            type(err).__name__,
            err,
        )


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
    on_trial: Callable | None = None,
) -> SweepResult:
    """Run ``trial_fn(config) -> TrialOutput`` for every config, resuming finished trials.

    ``trial_fn`` must be a top-level importable function (Dask and submitit pickle it) and each
    config a frozen dataclass holding its own seed. With ``backend="devices"``, ``batch_fn``
    (list of configs -> list of TrialOutput) runs groups of configs; ``batch_key(config)``, if
    given, keeps configs with different keys (e.g. shapes) out of the same group. ``grouping``
    (a :class:`~.backends.Grouping`) makes every backend run trials group by group (e.g. the
    students of one d on one shared stream); records are still written per trial.

    ``on_trial`` (default: ``options.on_trial`` where the options have one, e.g.
    :class:`CallbackOptions`) is called in this process, in order: once with a
    :class:`SweepEvent` of kind ``"start"``, once per trial this call runs with a
    :class:`TrialEvent` as it returns (ok or failed, on every backend), and once with a
    :class:`SweepEvent` of kind ``"end"`` (also after failures or an interruption). Dispatch on
    ``event.kind``. It runs between trials, so keep it quick; an exception it raises is logged as
    a warning and the sweep goes on (records and results never depend on it).
    Raises :class:`InputError` before writing anything when the configs, the output directory
    or the scheduler are unusable, and :class:`SweepError` at the end if any trial raised.
    """
    if not isinstance(options, SweepOptions):
        raise TypeError(f"options must be SweepOptions (got {type(options).__name__})")
    callback = resolve_callback(on_trial, options)
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
            return _run(
                trial_fn, configs, hashes, out_dir, backend, options, study, sweep_dict, callback
            )
    finally:
        backend.close()


def _run(
    trial_fn, configs, hashes, out_dir, backend, options, study, sweep_dict, callback=None
) -> SweepResult:
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
    event = {"study": study, "out_dir": str(out_dir), "config": sweep_dict}
    notify(
        callback, SweepEvent("start", **event, counts={"total": len(configs), "skipped": n_skipped})
    )

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
                    if callback is not None:
                        notify(callback, _trial_event(index, config, hash_, outcome, study))
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
        finally:
            seconds = manifest["times"]["wall_time_s"]
            end = SweepEvent("end", **event, status=status, counts=dict(counts), seconds=seconds)
            notify(callback, end)
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


def _trial_event(index: int, config, hash_: str, outcome, study: str) -> TrialEvent:
    seconds = outcome.run.get("wall_time_s")
    common = dict(
        index=index,
        config_hash=hash_,
        config=_plain_json("config", config),
        seconds=None if seconds is None else float(seconds),
        study=study,
    )
    if isinstance(outcome, TrialFailure):
        return TrialEvent(**common, status="failed", error=outcome.error)
    return TrialEvent(**common, status="ok", metrics=jsonable_metrics(outcome.output.metrics))


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
