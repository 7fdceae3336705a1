"""The sweep runner's overhead per trial (hashing, record writing, resume checks, scheduling,
tables) against the trial's own compute, measured in one run.

    python benchmarks/sweep_overhead.py [--trials 40] [--target-ms 50] [--workers 2]

Each trial runs a jitted JAX loop calibrated to ``--target-ms`` and returns a 1000-point curve.
Compute is the time measured inside each trial (``record.wall_time_s``); overhead is what the
sweep's wall time adds on top: ``wall - compute / workers``, per trial, in worker-time
(so ``overhead * workers / trials``). Dask cluster start-up and worker warm-up are excluded
(reported separately): they are paid once per sweep, not per trial.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import tempfile
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from manifold_scaling.sweep import SweepOptions, TrialOutput, run_sweep
from manifold_scaling.sweep.records import check_record, trial_dir, write_record


@dataclass(frozen=True)
class BenchConfig:
    seed: int
    iters: int


@partial(jax.jit, static_argnums=1)
def _work(key, iters):
    a = jax.random.normal(key, (128, 128)) / 12.0
    return jax.lax.fori_loop(0, iters, lambda i, m: jnp.tanh(m @ a), a)


def bench_trial(config: BenchConfig) -> TrialOutput:
    m = _work(jax.random.key(config.seed), config.iters).block_until_ready()
    curve = np.linspace(1.0, float(jnp.abs(m).mean()), 1000)
    return TrialOutput(
        metrics={"final": float(curve[-1]), "steps": config.iters}, arrays={"curve": curve}
    )


def _calibrate(target_s: float, trial, config_cls) -> int:
    iters = 200
    for _ in range(3):
        trial(config_cls(0, iters))  # compile
        start = time.perf_counter()
        trial(config_cls(0, iters))
        took = time.perf_counter() - start
        iters = max(1, round(iters * target_s / took))
    return iters


def _measure(trial, configs, out: Path, options: SweepOptions, workers: int) -> dict:
    start = time.perf_counter()
    result = run_sweep(trial, configs, out, options=options, study="bench")
    wall = time.perf_counter() - start
    compute = [r.wall_time_s for r in result.records]
    n = len(configs)
    overhead = (wall - sum(compute) / workers) * workers / n
    return {
        "trials": n,
        "wall_s": wall,
        "compute_ms": 1e3 * statistics.mean(compute),
        "overhead_ms": 1e3 * overhead,
        "ratio": overhead / statistics.mean(compute),
    }


def _record_io(trial, configs, out: Path) -> float:
    """Main-process record cost alone: write (npz + json, fsync, rename) and a resume check."""
    outputs = [trial(c) for c in configs[:5]]
    start = time.perf_counter()
    for i, config in enumerate(configs):
        write_record(out, config, outputs[i % 5], provenance={}, run={}, study="bench")
        check_record(trial_dir(out, _hash(config)), config)
    return 1e3 * (time.perf_counter() - start) / len(configs)


def _hash(config) -> str:
    from manifold_scaling.configs import config_hash

    return config_hash(config)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=40)
    parser.add_argument("--target-ms", type=float, default=50.0)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    # Run the trial from this file imported as a module, as a study's trial function would be:
    # defined in __main__, Dask would ship a fresh copy (and JAX recompile) with every trial.
    from sweep_overhead import BenchConfig, bench_trial

    iters = _calibrate(args.target_ms / 1e3, bench_trial, BenchConfig)
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        configs = [BenchConfig(seed, iters) for seed in range(args.trials)]
        io_ms = _record_io(bench_trial, configs, tmp / "io")
        quiet = SweepOptions(progress=False)
        rows["local"] = _measure(bench_trial, configs, tmp / "local", quiet, 1)
        start = time.perf_counter()
        _measure(bench_trial, configs, tmp / "local", quiet, 1)  # everything resumed: the skip path
        resume_ms = 1e3 * (time.perf_counter() - start) / args.trials

        from distributed import Client, LocalCluster

        start = time.perf_counter()
        with (
            LocalCluster(
                n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=":0"
            ) as cluster,
            Client(cluster) as client,
        ):
            client.wait_for_workers(args.workers)
            client.run(bench_trial, BenchConfig(0, iters))  # import + compile on every worker
            startup_s = time.perf_counter() - start
            options = SweepOptions(
                backend="dask", scheduler=cluster.scheduler_address, progress=False
            )
            rows[f"dask LocalCluster ({args.workers} workers)"] = _measure(
                bench_trial, configs, tmp / "dask", options, args.workers
            )

    print(f"\n{args.trials} trials, {iters} iterations each (target {args.target_ms:.0f} ms)\n")
    print(
        "| backend | trials | compute / trial (ms) | wall (s) | overhead / trial (ms) | overhead / compute |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for name, r in rows.items():
        print(
            f"| {name} | {r['trials']} | {r['compute_ms']:.1f} | {r['wall_s']:.2f} "
            f"| {r['overhead_ms']:.1f} | {r['ratio']:.1%} |"
        )
    print(
        f"\nrecord write + verify alone: {io_ms:.2f} ms/trial; re-running a finished sweep "
        f"(all resumed): {resume_ms:.2f} ms/trial; Dask cluster start + warm-up (once): "
        f"{startup_s:.1f} s"
    )


if __name__ == "__main__":
    main()
