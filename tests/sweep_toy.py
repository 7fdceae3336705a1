"""A toy trial for the sweep tests: importable by Dask workers and submitit jobs.

Tests put this directory on ``sys.path`` (and on ``PYTHONPATH`` for subprocesses) so that
workers unpickle ``toy_trial`` by reference, exactly as they would a study's trial function.
"""

from __future__ import annotations

import functools
import os
import signal
import time
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from manifold_scaling.errors import check_float, check_int
from manifold_scaling.sweep import TrialOutput


@dataclass(frozen=True)
class ToyConfig:
    seed: int
    size: int
    sleep_s: float = 0.0


@dataclass(frozen=True)
class ToySweep:
    """A sweep config: seeds x sizes, validated like a study's."""

    seeds: tuple[int, ...] = (0, 1, 2)
    sizes: tuple[int, ...] = (8,)
    sleep_s: float = 0.0

    def __post_init__(self):
        for size in self.sizes:
            check_int("sizes", size, minimum=1, maximum=10_000)
        check_float("sleep_s", self.sleep_s, minimum=0.0, maximum=60.0)


def toy_configs(sweep: ToySweep) -> list[ToyConfig]:
    return [ToyConfig(s, n, sweep.sleep_s) for n in sweep.sizes for s in sweep.seeds]


def _curve(x):
    return jnp.cumsum(x**2) / jnp.arange(1, x.shape[-1] + 1)


def toy_trial(config: ToyConfig) -> TrialOutput:
    """Mean squares of N(0,1) draws: the running mean tends to 1 (the 'loss curve')."""
    time.sleep(config.sleep_s)
    x = jax.random.normal(jax.random.key(config.seed), (config.size,))
    curve = np.asarray(_curve(x))
    metrics = {"final": float(curve[-1]), "mean": float(x.mean()), "steps": config.size}
    return TrialOutput(metrics={**metrics, "converged": True}, arrays={"curve": curve})


@functools.partial(jax.jit, static_argnums=1)
def _draw_batch(keys, size):
    return jax.vmap(lambda k: jax.random.normal(k, (size,)))(keys)


def toy_batch(configs: list[ToyConfig]) -> list[TrialOutput]:
    """The same trials, vmapped over seeds and sharded over all local devices."""
    from manifold_scaling.sweep import shard_leading_axis, unpad

    (size,) = {c.size for c in configs}
    keys = jax.vmap(jax.random.key)(jnp.array([c.seed for c in configs]))
    batch = shard_leading_axis(keys)
    xs = np.asarray(unpad(_draw_batch(batch.tree, size), batch.size))
    return [
        TrialOutput(
            metrics={
                "final": float(curve[-1]),
                "mean": float(jnp.mean(x)),
                "steps": size,
                "converged": True,
            },
            arrays={"curve": curve},
        )
        for x in xs
        for curve in [np.asarray(_curve(x))]
    ]


def crash_once_trial(config: ToyConfig) -> TrialOutput:
    """``toy_trial``, but the first call anywhere SIGKILLs its own process mid-trial.

    ``SWEEP_TOY_CRASH_MARKER`` names a file created atomically by the one call that crashes, so
    exactly one worker dies, while running a trial, however the trials are scheduled.
    """
    marker = os.environ.get("SWEEP_TOY_CRASH_MARKER")
    if marker:
        try:
            fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            pass
        else:
            os.write(fd, str(os.getpid()).encode())
            os.close(fd)
            time.sleep(config.sleep_s)
            os.kill(os.getpid(), signal.SIGKILL)
    return toy_trial(config)


def failing_trial(config: ToyConfig) -> TrialOutput:
    if config.seed == 1:
        raise RuntimeError("seed 1 always fails")
    return toy_trial(config)


def table_rows(path) -> list[dict]:
    """Rows of a sweep's ``trials.csv`` without its timing columns (they differ run to run)."""
    import csv

    with open(path, newline="") as fh:
        return [{k: v for k, v in row.items() if k != "wall_time_s"} for row in csv.DictReader(fh)]


def toy_size(config: ToyConfig) -> int:
    """The group of a toy trial (its size), for sweeps that run in groups."""
    return config.size


def toy_group(configs: list[ToyConfig]) -> list[TrialOutput]:
    """``toy_batch`` that also records, in ``metrics["group"]``, how many trials ran together."""
    outs = toy_batch(configs)
    return [TrialOutput({**o.metrics, "group": len(configs)}, o.arrays) for o in outs]
