"""What this machine's accelerator does for us, in one short run (``benchmarks/device_check.sh``).

    python benchmarks/device_check.py [--size auto|gpu|cpu|tiny] [--out DIR]

Prints the JAX device, the throughput of the shared-stream trainer (the sharma-kaplan2020 preset's
students at d = 4) and of batched data scaling (the bahri2021 preset's students, seeds x sizes of
one d in one program), then runs both presets through the CLI on ``--backend devices`` at a small
budget and prints their verdict tables. ``--size gpu`` is sized to finish within about 5 minutes
on one large GPU; ``cpu`` within about 10 minutes on 2 cores; ``tiny`` (the tests) in about a
minute, with a smaller teacher. ``auto``: gpu when JAX's default backend is an accelerator.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import jax

# The budget of each size: (shared stream: seeds, budget fraction), (data scaling: seeds, sizes,
# steps), (presets: model-scaling flags, data-scaling flags).
SIZES = {
    "gpu": {
        "stream": (10, 0.01),
        "data": (8, (64, 128, 256, 512, 1024, 2048, 4096, 8192), 4000),
        "model_flags": "--dims 4 --budget-fraction 0.005 0.01".split(),
        "data_flags": "--dims 2 3 --train-steps 4000".split(),
    },
    "cpu": {
        "stream": (2, 0.0005),
        "data": (2, (64, 128, 256, 512), 500),
        "model_flags": "--dims 3 --seeds 2 --n-widths 4 --budget-fraction 0.0005 0.001".split(),
        "data_flags": "--dims 2 --seeds 2 --sizes 64 128 256 512 --train-steps 500".split(),
    },
    "tiny": {
        "stream": (2, 0.0005),
        "data": (2, (64, 128, 256), 200),
        "model_flags": (
            "--dims 2 --seeds 2 --n-widths 3 --teacher-width 32 --precision float32 "
            "--budget-fraction 0.0005 0.001 --phase-steps 200000 100000 100000 --n-test 400 "
            "--n-val 128 --bootstrap 50"
        ).split(),
        "data_flags": (
            "--dims 2 --seeds 2 --sizes 64 128 256 --train-steps 200 --width 32 --n-test 512 "
            "--n-val 128 --bootstrap 50"
        ).split(),
    },
}


def _timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def shared_stream(size: str) -> None:
    from manifold_scaling.studies.model_scaling import run_online_group_on_devices, trial_configs
    from manifold_scaling.studies.presets import SHARMA_KAPLAN2020

    seeds, fraction = SIZES[size]["stream"]
    config = replace(
        SHARMA_KAPLAN2020, dims=(4,), seeds=seeds, budget_fractions=(fraction,), layer_id_k=0
    )
    if size == "tiny":
        config = replace(
            config,
            teacher=replace(config.teacher, width=32),
            train=replace(config.train, precision="float32"),
            phase_steps=(200000, 100000, 100000),
        )
    trials = trial_configs(config)
    _, cold = _timed(lambda: run_online_group_on_devices(trials))
    _, warm = _timed(lambda: run_online_group_on_devices(trials))
    schedule = trials[0].schedule
    samples = sum(p.steps * p.batch_size for p in schedule) * seeds
    steps = sum(p.steps for p in schedule)
    print(
        f"shared-stream trainer: {len(trials)} students ({seeds} replicates x "
        f"{len(config.widths_at(4))} widths, d = 4, {config.train.precision}), {steps} steps: "
        f"{warm:.1f} s warm ({cold:.1f} s with compilation); {samples / warm:,.0f} fresh samples/s "
        f"through the teacher, {steps / warm:,.0f} steps/s"
    )


def batched_data_scaling(size: str) -> None:
    from manifold_scaling.studies.base import replicates
    from manifold_scaling.studies.presets import BAHRI2021
    from manifold_scaling.studies.trials import (
        batch_key,
        data_scaling_trials,
        run_trials_on_devices,
    )

    seeds, sizes, steps = SIZES[size]["data"]
    config = replace(
        BAHRI2021, dims=(3,), seeds=seeds, sizes=sizes, train=replace(BAHRI2021.train, steps=steps)
    )
    if size == "tiny":
        config = replace(config, student=replace(config.student, width=32), n_test=512, n_val=128)
    trials = data_scaling_trials(config, {3: replicates(config, 3)})
    groups: dict = {}
    for t in trials:
        groups.setdefault(batch_key(t), []).append(t)
    _, wall = _timed(lambda: [run_trials_on_devices(g) for g in groups.values()])
    print(
        f"batched data scaling: {len(trials)} students (d = 3, {seeds} replicates x {len(sizes)} "
        f"sizes, width {config.student.width}) in {len(groups)} program(s), {steps} steps each: "
        f"{wall:.1f} s with compilation; {len(trials) * steps / wall:,.0f} student-steps/s"
    )


def presets(size: str, out: Path) -> None:
    from manifold_scaling.cli import main

    common = ["--backend", "devices", "--no-progress", "--fresh"]
    for name, command, flags in (
        ("sharma-kaplan2020", "model-scaling", SIZES[size]["model_flags"]),
        ("bahri2021", "data-scaling", SIZES[size]["data_flags"]),
    ):
        print(f"\n== {command} --preset {name} {' '.join(flags)}")
        t0 = time.perf_counter()
        code = main([command, "--preset", name, *flags, *common, "--out", str(out / name)])
        print(f"({name}: exit {code}, {time.perf_counter() - t0:.0f} s)")
        if code != 0:
            raise SystemExit(code)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=("auto", *SIZES), default="auto")
    parser.add_argument("--out", type=Path, default=None, help="where the preset runs go")
    args = parser.parse_args(argv)
    backend = jax.default_backend()
    size = args.size if args.size != "auto" else ("cpu" if backend == "cpu" else "gpu")
    out = args.out or Path(tempfile.mkdtemp(prefix="device-check-"))
    devices = jax.devices()
    print(f"device: {backend}, {len(devices)} x {devices[0].device_kind} (size: {size})")
    print(f"jax {jax.__version__}; preset runs in {out}")
    t0 = time.perf_counter()
    shared_stream(size)
    batched_data_scaling(size)
    presets(size, out)
    print(f"\ndevice check done in {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
