"""Where trials run: in-process, batched over local JAX devices, Dask, or submitit (Slurm).

Each backend hands trials to its engine and yields ``(index, outcome)`` as they return; it never
schedules anything itself and never writes records (the runner, in the main process, does).
Retries after a lost worker are the engine's (Dask reschedules, ``retries`` for raised errors).
"""

from __future__ import annotations

import functools
import itertools
import logging
import os
import socket
import time
import traceback
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from ..errors import InputError
from .options import SweepOptions
from .records import TrialOutput

logger = logging.getLogger(__name__)

_CONNECT_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class TrialResult:
    """What a worker sends back: the trial's output, where it ran and how long it took."""

    output: TrialOutput
    provenance: dict
    run: dict


@dataclass(frozen=True)
class TrialFailure:
    """A trial that raised (or whose job died); the runner logs it and a resume re-runs it."""

    error: str
    run: dict


@functools.cache
def cached_provenance() -> dict:
    from ..provenance import provenance

    return provenance()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _run_info(start: float, started: str, *, batched: int = 1) -> dict:
    wall = time.perf_counter() - start
    return {
        "wall_time_s": wall / batched,
        "started_utc": started,
        "finished_utc": _now(),
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "batched": batched,
    }


def execute_trial(trial_fn: Callable, config) -> TrialResult:
    """Run one trial on whichever worker calls this (provenance is the worker's own)."""
    started, start = _now(), time.perf_counter()
    output = trial_fn(config)
    if not isinstance(output, TrialOutput):
        raise TypeError(f"{_name(trial_fn)} returned {type(output).__name__}, not TrialOutput")
    return TrialResult(output, cached_provenance(), _run_info(start, started))


def execute_batch(batch_fn: Callable, configs: list) -> list[TrialResult]:
    """Run a batch of trials with one ``batch_fn`` call (vmapped and sharded by the caller)."""
    started, start = _now(), time.perf_counter()
    outputs = list(batch_fn(list(configs)))
    if len(outputs) != len(configs) or not all(isinstance(o, TrialOutput) for o in outputs):
        raise TypeError(
            f"{_name(batch_fn)} must return one TrialOutput per config ({len(configs)}), "
            f"got {len(outputs)} items"
        )
    run = _run_info(start, started, batched=len(configs))
    return [TrialResult(o, cached_provenance(), run) for o in outputs]


def _name(fn) -> str:
    return f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', repr(fn))}"


def _failure(err: BaseException) -> TrialFailure:
    text = "".join(traceback.format_exception(type(err), err, err.__traceback__))
    return TrialFailure(text, {"finished_utc": _now(), "host": socket.gethostname()})


Outcome = TrialResult | TrialFailure
Pending = Sequence[tuple[int, object]]  # (index in the sweep, config)


class Backend:
    """``open()`` validates and connects (before anything is written); ``run()`` yields outcomes."""

    name = "local"

    def open(self) -> None:
        pass

    def run(self, trial_fn: Callable, pending: Pending) -> Iterator[tuple[int, Outcome]]:
        raise NotImplementedError

    def close(self) -> None:
        pass

    def describe(self) -> dict:
        return {"backend": self.name}


class LocalBackend(Backend):
    """Sequential, in-process, in config order."""

    def run(self, trial_fn, pending):
        for index, config in pending:
            try:
                yield index, execute_trial(trial_fn, config)
            except Exception as err:  # noqa: BLE001 - reported per trial, the sweep goes on
                yield index, _failure(err)


class DevicesBackend(Backend):
    """``batch_fn`` on groups of configs; it vmaps them and shards over all local JAX devices."""

    name = "devices"

    def __init__(self, batch_fn: Callable, batch_size: int, batch_key: Callable | None):
        self.batch_fn, self.batch_size, self.batch_key = batch_fn, batch_size, batch_key

    def open(self):
        if self.batch_size == 0:
            import jax

            # A few trials per device keeps devices busy while a crash loses little.
            self.batch_size = 8 * jax.device_count()

    def run(self, trial_fn, pending):
        groups: dict = {}
        for item in pending:
            key = self.batch_key(item[1]) if self.batch_key else None
            groups.setdefault(key, []).append(item)
        for items in groups.values():
            for start in range(0, len(items), self.batch_size):
                chunk = items[start : start + self.batch_size]
                try:
                    results = execute_batch(self.batch_fn, [c for _, c in chunk])
                except Exception as err:  # noqa: BLE001
                    failure = _failure(err)
                    results = [failure] * len(chunk)
                yield from zip((i for i, _ in chunk), results)

    def describe(self):
        return {"backend": self.name, "devices_batch": self.batch_size}


class DaskBackend(Backend):
    """Dask distributed: an existing scheduler, or a LocalCluster started and closed here."""

    name = "dask"

    def __init__(self, options: SweepOptions):
        self.options = options
        self.client = self.cluster = None

    def open(self):
        try:
            from distributed import Client
        except ImportError as err:
            raise InputError(
                "--backend",
                f"dask needs dask[distributed] (pip install 'dask[distributed]'): {err}",
            ) from None
        address = self.options.scheduler
        if address is None:
            return  # the LocalCluster starts only if there is something to run
        _probe(address)
        try:
            self.client = Client(address, timeout=_CONNECT_TIMEOUT_S, set_as_default=False)
        except (OSError, TimeoutError) as err:
            raise InputError("--scheduler", f"cannot reach {address}: {err}") from None
        logger.info("connected to Dask scheduler %s", address)

    def _start_local_cluster(self):
        from distributed import Client, LocalCluster

        self.cluster = LocalCluster(
            n_workers=self.options.workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",  # any free port: never collide with another cluster
        )
        self.client = Client(self.cluster, set_as_default=False)
        logger.info(
            "started a local Dask cluster of %d workers (dashboard %s)",
            self.options.workers,
            self.cluster.dashboard_link,
        )

    def run(self, trial_fn, pending):
        from distributed import as_completed

        from ..configs import config_hash

        if self.client is None:
            self._start_local_cluster()
        # Keys name the trial in the dashboard; the token keeps two sweeps' tasks apart.
        token, name = uuid.uuid4().hex[:8], getattr(trial_fn, "__name__", "trial")
        index_of, futures = {}, []
        for index, config in pending:
            future = self.client.submit(
                execute_trial,
                trial_fn,
                config,
                key=f"{name}-{config_hash(config)}-{token}",
                retries=self.options.retries,
                pure=False,
            )
            index_of[future.key] = index
            futures.append(future)
        completed = as_completed(futures, loop=self.client.loop)
        del futures  # as_completed holds the only references: results are freed once written
        for future in completed:
            ok = future.status == "finished"
            yield index_of[future.key], future.result() if ok else _dask_failure(future)

    def close(self):
        if self.client is not None:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()
        self.client = self.cluster = None

    def describe(self):
        where = self.options.scheduler or f"LocalCluster({self.options.workers} workers)"
        return {"backend": self.name, "scheduler": where, "retries": self.options.retries}


def _dask_failure(future) -> TrialFailure:
    try:
        err = future.exception()
    except Exception as exc:  # noqa: BLE001 - e.g. cancelled futures
        return TrialFailure(f"{future.status}: {exc!r}", {"finished_utc": _now()})
    tb = future.traceback()
    text = "".join(traceback.format_exception(type(err), err, tb))
    return TrialFailure(text, {"finished_utc": _now()})


def _probe(address: str) -> None:
    """Fail in seconds (not after Dask's connect retries) when a tcp scheduler is unreachable."""
    parts = urlsplit(address if "://" in address else f"tcp://{address}")
    if parts.scheme != "tcp":
        return
    try:
        host, port = parts.hostname, parts.port or 8786
    except ValueError as err:
        raise InputError("--scheduler", f"bad address {address}: {err}") from None
    try:
        socket.create_connection((host, port), timeout=_CONNECT_TIMEOUT_S).close()
    except OSError as err:
        raise InputError("--scheduler", f"cannot reach {address}: {err}") from None


class SubmititBackend(Backend):
    """One submitit job per trial (a Slurm job array when Slurm is available)."""

    name = "submitit"

    def __init__(self, options: SweepOptions, out_dir: Path, study: str):
        self.options, self.out_dir, self.study = options, out_dir, study
        self.cluster = options.submitit_cluster

    def open(self):
        try:
            import submitit
        except ImportError as err:
            raise InputError(
                "--backend", f"submitit is not installed (pip install submitit): {err}"
            ) from None
        if self.cluster is None:
            self.cluster = submitit.AutoExecutor.which()
        logger.info("submitit executor: %s", self.cluster)

    def run(self, trial_fn, pending):
        import submitit
        from submitit.helpers import as_completed

        folder = Path(self.options.submitit_folder or self.out_dir / "submitit")
        executor = submitit.AutoExecutor(folder=folder / "%j", cluster=self.cluster)
        executor.update_parameters(
            name=self.study,
            timeout_min=self.options.slurm_time_min,
            slurm_partition=self.options.slurm_partition,
            slurm_array_parallelism=self.options.workers,
        )
        indices = [i for i, _ in pending]
        jobs = executor.map_array(
            execute_trial, itertools.repeat(trial_fn, len(indices)), [c for _, c in pending]
        )
        by_job = {id(job): index for job, index in zip(jobs, indices)}
        logger.info("submitted %d submitit jobs (logs in %s)", len(jobs), folder)
        poll = 0.2 if self.cluster in ("local", "debug") else 5.0
        done = set()
        try:
            for job in as_completed(jobs, poll_frequency=poll):
                done.add(id(job))
                error = job.exception()
                if error is None:
                    yield by_job[id(job)], job.result()
                else:
                    yield by_job[id(job)], TrialFailure(str(error), {"job_id": job.job_id})
        finally:
            for job in jobs:
                if id(job) not in done and not job.done():
                    job.cancel(check=False)  # interrupted: do not leave jobs nobody will harvest

    def describe(self):
        return {
            "backend": self.name,
            "cluster": self.cluster,
            "partition": self.options.slurm_partition,
        }


def make_backend(
    options: SweepOptions, out_dir: Path, *, study: str, batch_fn=None, batch_key=None
) -> Backend:
    if options.backend == "dask":
        return DaskBackend(options)
    if options.backend == "submitit":
        return SubmititBackend(options, Path(out_dir), study)
    if options.backend == "devices":
        if batch_fn is None:
            logger.info("backend 'devices' needs a batch_fn; this study has none: running locally")
            return LocalBackend()
        return DevicesBackend(batch_fn, options.devices_batch, batch_key)
    return LocalBackend()
