"""How a sweep runs (backend, workers, resume, progress) and the CLI flags that set it."""

from __future__ import annotations

import argparse
import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from ..errors import InputError, check_choice, check_int

BACKENDS = ("local", "devices", "dask", "submitit")

# dask accepts "HOST:PORT" (tcp implied) and explicit protocols; anything else is a typo.
_ADDRESS = re.compile(r"^(?:(tcp|tls|ucx|ws|wss|inproc)://)?(\[[^\]]+\]|[^:/\s]+)(?::(\d+))?$")


@dataclass(frozen=True)
class SweepOptions:
    """Execution settings of a sweep; none of them changes a trial's result.

    ``resume=True`` skips trials whose record is complete and re-runs partial or corrupt ones;
    ``resume=False`` (``--fresh``) moves the previous contents of the output directory to
    ``OUT/superseded/<UTC time>/`` before running everything again (nothing is deleted).
    """

    backend: str = "local"
    scheduler: str | None = None
    workers: int = 2
    resume: bool = True
    progress: bool | None = None
    submitit_folder: str | None = None
    slurm_partition: str | None = None
    slurm_time_min: int = 60
    submitit_cluster: str | None = None
    retries: int = 2
    devices_batch: int = 0

    def __post_init__(self):
        check_choice("--backend", self.backend, BACKENDS)
        check_int("--workers", self.workers, minimum=1)
        check_int("--retries", self.retries, minimum=0)
        check_int("--slurm-time", self.slurm_time_min, minimum=1)
        check_int("--devices-batch", self.devices_batch, minimum=0)
        if self.scheduler is not None:
            if self.backend != "dask":
                raise InputError("--scheduler", "only applies to --backend dask")
            if not isinstance(self.scheduler, str) or not _ADDRESS.match(self.scheduler):
                raise InputError(
                    "--scheduler",
                    f"must be a Dask address like tcp://HOST:8786 (got {self.scheduler!r})",
                )
        if self.submitit_cluster is not None:
            check_choice("--submitit-cluster", self.submitit_cluster, ("local", "slurm", "debug"))

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def add_sweep_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the sweep execution flags (``--backend``, ``--scheduler``, ``--fresh``, ...) to a parser."""
    g = parser.add_argument_group("sweep execution (never changes results)")
    g.add_argument(
        "--backend",
        choices=BACKENDS,
        default="local",
        help="where trials run: in-process, batched over local JAX devices, on a Dask "
        "cluster, or as Slurm jobs via submitit (default: local)",
    )
    g.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="Dask scheduler address, e.g. tcp://HOST:8786 (default with --backend dask: "
        "start a local cluster of --workers processes)",
    )
    g.add_argument(
        "--workers",
        type=int,
        default=2,
        help="local Dask workers / Slurm array parallelism (default: 2)",
    )
    g.add_argument(
        "--fresh",
        action="store_true",
        help="do not resume: move existing records to OUT/superseded/ and run all trials",
    )
    g.add_argument("--no-progress", action="store_true", help="no progress bar")
    g.add_argument(
        "--retries", type=int, default=2, help="Dask retries of a trial that raised (default: 2)"
    )
    g.add_argument("--slurm-partition", default=None, help="Slurm partition (submitit backend)")
    g.add_argument(
        "--slurm-time",
        type=int,
        default=60,
        metavar="MINUTES",
        help="Slurm time limit per trial in minutes (default: 60)",
    )
    g.add_argument(
        "--submitit-folder", default=None, help="submitit logs and pickles (default: OUT/submitit)"
    )
    g.add_argument(
        "--submitit-cluster",
        choices=("local", "slurm", "debug"),
        default=None,
        help="force a submitit executor (default: Slurm when available, else local)",
    )
    g.add_argument(
        "--devices-batch",
        type=int,
        default=0,
        help="devices backend: at most this many trials per program (default 0: every group of "
        "trials that can share one program, e.g. all seeds and sizes of one d, in one)",
    )
    g.add_argument(
        "--mlflow",
        default=None,
        metavar="URI",
        help="log every trial and the verdict to MLflow at this tracking URI, e.g. "
        "file:./mlruns (needs the mlflow extra)",
    )
    g.add_argument(
        "--mlflow-experiment",
        default=None,
        metavar="NAME",
        help="with --mlflow: the experiment name (default: the command's name)",
    )


def sweep_options_from_args(args: argparse.Namespace) -> SweepOptions:
    """The :class:`SweepOptions` set by :func:`add_sweep_arguments` flags (validated); with
    ``--mlflow``, options that log to MLflow (the tracker is made here, so a bad URI or a
    missing extra fails before anything runs)."""
    options = _plain_options(args)
    uri = getattr(args, "mlflow", None)
    if uri is None:
        return options
    from ..tracking import MLflowTracker

    experiment = getattr(args, "mlflow_experiment", None) or getattr(args, "command", None)
    tracker = MLflowTracker(experiment=experiment or "manifold-scaling", tracking_uri=uri)
    return CallbackOptions.wrap(options, tracker)


def _plain_options(args: argparse.Namespace) -> SweepOptions:
    return SweepOptions(
        backend=args.backend,
        scheduler=args.scheduler,
        workers=args.workers,
        resume=not args.fresh,
        progress=False if args.no_progress else None,
        submitit_folder=args.submitit_folder,
        slurm_partition=args.slurm_partition,
        slurm_time_min=args.slurm_time,
        submitit_cluster=args.submitit_cluster,
        retries=args.retries,
        devices_batch=args.devices_batch,
    )


@dataclass(frozen=True)
class CallbackOptions(SweepOptions):
    """:class:`SweepOptions` with an ``on_trial`` callback, for APIs that take only ``options``
    (every study's ``run_*(config, out_dir, options=...)``): ``CallbackOptions(on_trial=cb,
    backend=...)`` or ``CallbackOptions.wrap(options, cb)``. The callback is not part of
    ``to_dict()`` (the manifest), as it never changes a result.
    """

    on_trial: Callable | None = field(default=None, compare=False)

    def __post_init__(self):
        super().__post_init__()
        if self.on_trial is not None and not callable(self.on_trial):
            raise InputError("on_trial", f"must be callable (got {self.on_trial!r})")

    @classmethod
    def wrap(cls, options: SweepOptions | None, on_trial: Callable | None) -> CallbackOptions:
        """``options`` (default ``SweepOptions()``) with ``on_trial`` set."""
        return cls(
            **_base_values(SweepOptions() if options is None else options), on_trial=on_trial
        )

    def to_dict(self) -> dict:
        return SweepOptions(**_base_values(self)).to_dict()  # never copies the callback


def _base_values(options: SweepOptions) -> dict:
    return {f.name: getattr(options, f.name) for f in dataclasses.fields(SweepOptions)}
