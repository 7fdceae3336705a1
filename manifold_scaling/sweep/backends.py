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


def group_pending(pending: Pending, key: Callable | None, size: int = 0) -> list[list]:
    """``pending`` split into groups of equal ``key(config)`` (config order kept), each cut into
    runs of at most ``size`` trials (0: whole groups)."""
    groups: dict = {}
    for item in pending:
        groups.setdefault(key(item[1]) if key else None, []).append(item)
    if not size:
        return list(groups.values())
    return [items[i : i + size] for items in groups.values() for i in range(0, len(items), size)]


def _run_group(batch_fn: Callable, items: list) -> Iterator[tuple[int, Outcome]]:
    try:
        results = execute_batch(batch_fn, [c for _, c in items])
    except Exception as err:  # noqa: BLE001 - reported per trial, the sweep goes on
        results = [_failure(err)] * len(items)
    yield from zip((i for i, _ in items), results)


@dataclass(frozen=True)
class Grouping:
    """Trials a study runs together on every backend (e.g. every student of one d on one stream
    of fresh batches): ``run(configs) -> [TrialOutput]`` runs one group, ``key(config)`` says
    which group a trial belongs to. Records are still written per trial, so a killed sweep
    resumes group by group."""

    run: Callable
    key: Callable


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
    """Sequential, in-process, in config order (group by group when the study groups trials)."""

    def __init__(self, grouping: Grouping | None = None):
        self.grouping = grouping

    def describe(self):
        return {"backend": self.name, **({"grouped": True} if self.grouping else {})}

    def run(self, trial_fn, pending):
        if self.grouping is not None:
            for items in group_pending(pending, self.grouping.key):
                yield from _run_group(self.grouping.run, items)
            return
        for index, config in pending:
            try:
                yield index, execute_trial(trial_fn, config)
            except Exception as err:  # noqa: BLE001 - reported per trial, the sweep goes on
                yield index, _failure(err)


class DevicesBackend(Backend):
    """``batch_fn`` on groups of configs; it vmaps them and shards over all local JAX devices."""

    name = "devices"

    def __init__(
        self, batch_fn: Callable, batch_size: int, batch_key: Callable | None, whole: bool = False
    ):
        self.batch_fn, self.batch_size, self.batch_key = batch_fn, batch_size, batch_key
        self.whole = whole  # a study's groups (one shared stream each) are never cut

    def run(self, trial_fn, pending):
        # 0: each group is one program (e.g. every seed and size of one d); a study's shared
        # streams (``whole``) are never cut.
        size = 0 if self.whole else self.batch_size
        for items in group_pending(pending, self.batch_key, size):
            yield from _run_group(self.batch_fn, items)

    def describe(self):
        if self.whole or not self.batch_size:
            return {"backend": self.name, "devices_batch": "whole groups"}
        return {"backend": self.name, "devices_batch": self.batch_size}


class DaskBackend(Backend):
    """Dask distributed: an existing scheduler, or a LocalCluster started and closed here."""

    name = "dask"

    def __init__(self, options: SweepOptions, grouping: Grouping | None = None):
        self.options, self.grouping = options, grouping
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
            env=worker_jax_env(self.options.workers),
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
        if self.grouping is not None:  # one task per group; its trials come back together
            tasks = [
                (execute_batch, self.grouping.run, [c for _, c in items], [i for i, _ in items])
                for items in group_pending(pending, self.grouping.key)
            ]
        else:
            tasks = [(execute_trial, trial_fn, config, [index]) for index, config in pending]
        indices_of, futures = {}, []
        for fn, run, arg, indices in tasks:
            first = arg[0] if isinstance(arg, list) else arg
            future = self.client.submit(
                fn,
                run,
                arg,
                key=f"{name}-{config_hash(first)}-{len(indices)}-{token}",
                retries=self.options.retries,
                pure=False,
            )
            indices_of[future.key] = indices
            futures.append(future)
        completed = as_completed(futures, loop=self.client.loop)
        del futures  # as_completed holds the only references: results are freed once written
        for future in completed:
            indices = indices_of[future.key]
            if future.status != "finished":
                yield from ((i, _dask_failure(future)) for i in indices)
                continue
            result = future.result()
            results = result if isinstance(result, list) else [result]
            yield from zip(indices, results)

    def close(self):
        if self.client is not None:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()
        self.client = self.cluster = None

    def describe(self):
        where = self.options.scheduler or f"LocalCluster({self.options.workers} workers)"
        return {"backend": self.name, "scheduler": where, "retries": self.options.retries}


#: Each Dask worker process would otherwise let JAX preallocate 75 % of a GPU's memory for itself:
#: workers sharing a GPU then fail to start. ``XLA_PYTHON_CLIENT_PREALLOCATE=false`` makes JAX
#: allocate as it goes, and ``XLA_PYTHON_CLIENT_MEM_FRACTION`` caps each worker's share. Values
#: already set in the environment win (so a user can choose differently).
JAX_WORKER_ENV = ("XLA_PYTHON_CLIENT_PREALLOCATE", "XLA_PYTHON_CLIENT_MEM_FRACTION")


def worker_jax_env(n_workers: int) -> dict:
    """The JAX memory settings for ``n_workers`` local Dask workers that may share one GPU."""
    env = {
        "XLA_PYTHON_CLIENT_PREALLOCATE": "false",
        # a little under an equal share, leaving room for the CUDA context of each process
        "XLA_PYTHON_CLIENT_MEM_FRACTION": f"{0.9 / max(1, n_workers):.3f}",
    }
    return {k: os.environ.get(k, v) for k, v in env.items()}


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

    def __init__(
        self, options: SweepOptions, out_dir: Path, study: str, grouping: Grouping | None = None
    ):
        self.options, self.out_dir, self.study, self.grouping = options, out_dir, study, grouping
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
        if self.grouping is not None:  # one job per group
            groups = group_pending(pending, self.grouping.key)
            indices = [[i for i, _ in items] for items in groups]
            args = [[c for _, c in items] for items in groups]
            fn, runs = execute_batch, itertools.repeat(self.grouping.run, len(groups))
        else:
            indices = [[i] for i, _ in pending]
            args = [c for _, c in pending]
            fn, runs = execute_trial, itertools.repeat(trial_fn, len(pending))
        jobs = executor.map_array(fn, runs, args)
        by_job = {id(job): index for job, index in zip(jobs, indices)}
        logger.info("submitted %d submitit jobs (logs in %s)", len(jobs), folder)
        poll = 0.2 if self.cluster in ("local", "debug") else 5.0
        done = set()
        try:
            for job in as_completed(jobs, poll_frequency=poll):
                done.add(id(job))
                error = job.exception()
                if error is None:
                    result = job.result()
                    results = result if isinstance(result, list) else [result]
                    yield from zip(by_job[id(job)], results)
                else:
                    failure = TrialFailure(str(error), {"job_id": job.job_id})
                    yield from ((i, failure) for i in by_job[id(job)])
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
    options: SweepOptions,
    out_dir: Path,
    *,
    study: str,
    batch_fn=None,
    batch_key=None,
    grouping: Grouping | None = None,
) -> Backend:
    """The backend ``options`` names. ``batch_fn``/``batch_key``: how the ``devices`` backend
    batches trials; ``grouping``: trials that run together on every backend."""
    if options.backend == "dask":
        return DaskBackend(options, grouping)
    if options.backend == "submitit":
        return SubmititBackend(options, Path(out_dir), study, grouping)
    if options.backend == "devices":
        if batch_fn is None:
            logger.info("backend 'devices' needs a batch_fn; this study has none: running locally")
            return LocalBackend(grouping)
        key = grouping.key if grouping is not None else batch_key
        return DevicesBackend(batch_fn, options.devices_batch, key, whole=grouping is not None)
    return LocalBackend(grouping)
