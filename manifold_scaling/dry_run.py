"""What a study command would do, without doing it: trials, compiled programs, steps, time.

:func:`plan` runs a study's own run function with two things replaced for the duration: the
protocol's :func:`~manifold_scaling.studies.protocol.run_study`, which here records the study, its
config and the exact list of trials it was handed and stops (so the trials are the ones a real run
would hand the sweep runner, built by the same code), and the teacher rule's calibration, which
here keeps the teacher as given and accepts its first draw (a calibrated gain, or a later draw
kept by a length-scale band, changes no count: the trials, their groups and their step budgets are
the same). Nothing is trained and nothing is written.

:func:`measure_step_rate` trains a student of a plan's width, depth and minibatch for about a
second (after compiling it once) and :func:`estimate` turns the plan's optimiser steps into a time
on this machine. The time is a rough guide: it counts the network's optimiser steps one student at
a time, one full-batch gradient per L-BFGS iteration and each compiled program's compilation, not
the reference learners, the teacher's draws or the analysis.
"""

from __future__ import annotations

import contextlib
import functools
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

__all__ = ["Part", "Plan", "Segment", "estimate", "measure_step_rate", "plan", "render"]

PROBE_SECONDS = 1.0  # the step-rate probe's measured time (after compiling)
# Student shapes probed: the cheapest and the dearest per step (one, the dearest, when they differ
# by less than ``PROBE_SPREAD`` in parameters x batch); the others are interpolated.
PROBE_SPREAD = 2.0


@dataclass(frozen=True)
class Segment:
    """Optimiser work of one trial (or shared by several): ``steps`` Adam-style steps on
    ``batch`` points, or ``steps`` L-BFGS iterations on ``batch`` points (the whole set)."""

    kind: str  # "steps" | "lbfgs"
    steps: int
    batch: int
    width: int
    depth: int
    input_dim: int
    output_dim: int
    precision: str = "float32"
    optimizer: str = "adam"
    eval_every: int = 250
    n_val: int = 1024

    @property
    def shape(self) -> tuple:
        """What the probe's step rate depends on."""
        return (self.input_dim, self.output_dim, self.width, self.depth, self.precision,
                self.optimizer)  # fmt: skip

    @property
    def n_params(self) -> int:
        from .students import StudentConfig, parameter_count

        student = StudentConfig(depth=self.depth, width=self.width)
        return parameter_count(student, self.input_dim, self.output_dim)

    @property
    def cost(self) -> float:
        """The work of one step, in parameter x point units (what the rate is interpolated on)."""
        return float(self.n_params * self.batch)


@dataclass(frozen=True)
class Part:
    """One study of a command (``reproduce`` has two): its trials and how they are grouped."""

    study: str
    out: Path
    trials: list
    n_programs: int
    segments: list[Segment]

    @property
    def steps(self) -> int:
        return sum(s.steps for s in self.segments if s.kind == "steps")

    @property
    def lbfgs(self) -> int:
        return sum(s.steps for s in self.segments if s.kind == "lbfgs")


@dataclass(frozen=True)
class Plan:
    parts: list[Part]

    @property
    def n_trials(self) -> int:
        return sum(len(p.trials) for p in self.parts)

    @property
    def n_programs(self) -> int:
        return sum(p.n_programs for p in self.parts)

    @property
    def steps(self) -> int:
        return sum(p.steps for p in self.parts)

    @property
    def lbfgs(self) -> int:
        return sum(p.lbfgs for p in self.parts)

    @property
    def segments(self) -> list[Segment]:
        return [s for p in self.parts for s in p.segments]


@dataclass(frozen=True)
class Rate:
    """A measured step rate for one student shape."""

    segment: Segment
    steps_per_s: float
    compile_s: float
    measured_s: float
    device: str


@dataclass(frozen=True)
class Estimate:
    rates: list[Rate]
    train_s: float
    compile_s: float
    notes: list[str] = field(default_factory=list)

    @property
    def total_s(self) -> float:
        return self.train_s + self.compile_s


# --- the plan -----------------------------------------------------------------------------------


class _Planned(BaseException):
    """Raised by the stand-in run_study: it carries the study's trials (a BaseException, so that
    no ``except Exception`` in a run function can swallow it)."""

    def __init__(self, study, config, trials, out_dir):
        super().__init__(study.name)
        self.study, self.config, self.trials, self.out_dir = study, config, list(trials), out_dir


def _record(study, config, trials, out_dir, *args, **kwargs):
    raise _Planned(study, config, trials, out_dir)


class _AnyScale:
    """The stand-in teacher's length scale: inside any band a teacher rule asks for (the first
    draw is kept; a real run may keep a later one, which changes a seed, not a count)."""

    def __le__(self, other):
        return True

    def __ge__(self, other):
        return True

    def __repr__(self):
        return "not measured (dry run)"


def _as_given(data_seed, teacher, manifold, target_r2):
    from .teachers import CalibratedTeacher

    rule = "dry run: not calibrated" if target_r2 is not None else "fixed gain"
    return CalibratedTeacher(teacher, float("nan"), rule, length_scale=_AnyScale())


@contextlib.contextmanager
def _patched(module, name: str, value, *, required: bool = True):
    """``module.name`` is ``value`` inside the block (left alone if it is not there and not
    ``required``: the calibration shortcut only saves time)."""
    if not hasattr(module, name):
        if required:
            raise AttributeError(f"{module.__name__}.{name}: the dry run cannot plan without it")
        yield
        return
    old = getattr(module, name)
    setattr(module, name, value)
    try:
        yield
    finally:
        setattr(module, name, old)


@contextlib.contextmanager
def _x64_kept():
    """A study that trains in float64 switches JAX's x64 mode on: switch it back afterwards."""
    import jax

    before = bool(jax.config.jax_enable_x64)
    try:
        yield
    finally:
        if bool(jax.config.jax_enable_x64) != before:
            jax.config.update("jax_enable_x64", before)


def capture(run: Callable, config, out, **kwargs):
    """``(study, trials)`` that ``run(config, out, **kwargs)`` would hand the sweep runner."""
    from .studies import base, protocol

    with _x64_kept(), _patched(protocol, "run_study", _record):
        with _patched(base, "_calibrated", _as_given, required=False):
            try:
                run(config, out, options=None, make_figures=False, **kwargs)
            except _Planned as planned:
                return planned.study, planned.trials
    raise RuntimeError(f"{getattr(run, '__name__', run)} ran no study")  # pragma: no cover


def plan(runs: Sequence[tuple], options=None) -> Plan:
    """The plan of ``runs``: ``(run, config, out[, kwargs])`` each, as a command would call them
    (``run(config, out, options=..., make_figures=..., **kwargs)``). ``options``: the command's
    :class:`~manifold_scaling.sweep.SweepOptions` (the devices backend cuts groups into batches)."""
    parts = []
    for entry in runs:
        run, config, out, kwargs = (*entry, {})[:4]
        study, trials = capture(run, config, out, **kwargs)
        parts.append(part(study, trials, out, options))
    return Plan(parts)


def part(study, trials: list, out, options=None) -> Part:
    """A study's trials counted: programs as the backends group them, and the work of each."""
    from .sweep.backends import group_pending

    grouping, batch_key = getattr(study, "grouping", None), getattr(study, "batch_key", None)
    key = grouping.key if grouping is not None else batch_key
    size = 0
    if options is not None and options.backend == "devices" and grouping is None:
        size = options.devices_batch
    if key is None:  # nothing shares a program: each trial runs (and compiles) on its own
        n_programs = len(trials)
    else:
        n_programs = len(group_pending(list(enumerate(trials)), key, size))
    return Part(study.name, Path(out), list(trials), n_programs, work(trials))


def work(trials: list) -> list[Segment]:
    """The optimiser work of ``trials`` (work several trials share is counted once)."""
    segments, shared = [], {}
    for t in trials:
        for seg, key in _segments(t):
            if key is None:
                segments.append(seg)
            else:
                shared.setdefault(key, seg)
    return segments + list(shared.values())


def _segments(t):
    """``(Segment, shared key or None)`` for one trial of any study."""
    name = type(t).__name__
    if name == "VarianceTrialConfig":
        return _variance_segments(t)
    student, train = getattr(t, "student", None), getattr(t, "train", None)
    if student is None or train is None:
        return []
    learners = getattr(t, "learners", ("network",))
    if "network" not in learners:
        return []
    in_dim, out_dim = _dims(t)
    common = dict(width=student.width, depth=student.depth, input_dim=in_dim, output_dim=out_dim,
                  precision=train.precision, optimizer=train.optimizer,
                  eval_every=train.eval_every, n_val=getattr(t, "n_val", 1024))  # fmt: skip
    if hasattr(t, "schedule"):  # fresh data at every step: the phases of its schedule
        return [(Segment("steps", p.steps, p.batch_size, **common), None) for p in t.schedule]
    n = t.n_train
    out = [(Segment("steps", train.steps_for(n), min(train.batch_size, n), **common), None)]
    if train.lbfgs_steps:
        out.append((Segment("lbfgs", train.lbfgs_steps, n, **common), None))
    return out


def _variance_segments(t):
    """Each trial's L-BFGS on its D points; theta* (fresh-data Adam, then L-BFGS on the population
    sample) once for every trial that shares it."""
    in_dim, out_dim = t.manifold.input_dim, t.teacher.output_dim
    common = dict(width=t.student.width, depth=t.student.depth, input_dim=in_dim,
                  output_dim=out_dim, precision=t.precision)  # fmt: skip
    key = (t.manifold, t.teacher, t.student, t.pretrain, t.pretrain_steps, t.population_size,
           t.population_lbfgs_steps, t.precision, t.data_seed)  # fmt: skip
    p = t.pretrain
    out = [
        (Segment("lbfgs", t.lbfgs_steps, t.n_train, **common), None),
        (
            Segment(
                "steps",
                t.pretrain_steps,
                p.batch_size,
                optimizer=p.optimizer,
                eval_every=p.eval_every,
                **common,
            ),
            (key, "pretrain"),
        ),  # fmt: skip
    ]
    if t.population_lbfgs_steps:
        seg = Segment("lbfgs", t.population_lbfgs_steps, t.population_size, **common)
        out.append((seg, (key, "population")))
    return out


def _dims(t) -> tuple[int, int]:
    """A trial's input and output dimensions (an array trial's come from its arrays)."""
    manifold = getattr(t, "manifold", None)
    if manifold is not None:
        return manifold.input_dim, t.teacher.output_dim
    if type(t).__name__ == "DigitsTrial":
        return 64, 10
    return _array_dims(t.data, t.targets, t.data_key, t.targets_key, t.task)


@functools.lru_cache(maxsize=4)
def _array_dims(data, targets, data_key, targets_key, task) -> tuple[int, int]:
    import numpy as np

    from .studies.own_data import load_arrays

    x, y = load_arrays(data, targets, data_key, targets_key)
    if task == "classification":
        return int(x.shape[1]), int(len(np.unique(y)))
    return int(x.shape[1]), int(np.reshape(y, (len(y), -1)).shape[1])


# --- the step rate and the estimate ---------------------------------------------------------------


def measure_step_rate(segment: Segment, seconds: float | None = None) -> Rate:
    """Train one student of ``segment``'s shape on random data: compile once, then run
    ``eval_every``-step calls (each with its validation pass, as in a real run) for about
    ``seconds`` and return the steps per second (compilation excluded, and timed apart)."""
    import jax
    import numpy as np

    from . import keys
    from .students import StudentConfig
    from .training import TrainConfig, train_student

    seconds = PROBE_SECONDS if seconds is None else seconds
    every = max(1, min(segment.eval_every, 1000))
    config = TrainConfig(optimizer=segment.optimizer, batch_size=segment.batch, steps=every,
                         eval_every=every, precision=segment.precision)  # fmt: skip
    student = StudentConfig(depth=segment.depth, width=segment.width)
    rng = np.random.default_rng(0)
    n = max(2 * segment.batch, 64)
    x = rng.normal(size=(n, segment.input_dim)).astype(np.float32)
    y = rng.normal(size=(n, segment.output_dim)).astype(np.float32)
    n_val = max(16, min(segment.n_val, 8192))
    x_val = rng.normal(size=(n_val, segment.input_dim)).astype(np.float32)
    y_val = rng.normal(size=(n_val, segment.output_dim)).astype(np.float32)
    key = keys.key(0)  # a probe: any key times the same steps

    def call():
        start = time.perf_counter()
        res = train_student(key, student, config, x, y, x_val, y_val)
        jax.block_until_ready(res.params)
        return time.perf_counter() - start

    with _x64_kept():
        jax.block_until_ready(jax.jit(lambda a: a + 1)(np.float32(0)))  # start the backend
        first = call()  # compiles
        elapsed, steps = 0.0, 0
        while elapsed < seconds or steps == 0:
            elapsed += call()
            steps += every
    rate = steps / elapsed
    compile_s = max(0.0, first - elapsed * every / steps)
    device = jax.devices()[0].platform
    return Rate(segment, rate, compile_s, elapsed, device)


def estimate(the_plan: Plan, seconds: float | None = None, measure=None) -> Estimate:
    """The plan's time on this machine: its optimiser steps at step rates measured here (the
    cheapest and the dearest student shape per step; a step's time is interpolated linearly in
    parameters x batch between them), an L-BFGS iteration as one step on its whole set, and every
    compiled program's compilation at the probe's compile time. ``seconds``: the probes' time
    (default ``PROBE_SECONDS``); ``measure``: the probe (default :func:`measure_step_rate`)."""
    seconds = PROBE_SECONDS if seconds is None else seconds
    measure = measure_step_rate if measure is None else measure
    segments = [s for s in the_plan.segments if s.steps > 0]
    if not segments:
        return Estimate([], 0.0, 0.0, ["no optimiser steps"])
    adam = [s for s in segments if s.kind == "steps"] or segments
    shapes = {}
    for s in adam:
        shapes.setdefault((s.shape, s.batch), s)
    ordered = sorted(shapes.values(), key=lambda s: s.cost)
    cheap, dear = ordered[0], ordered[-1]
    probes = [dear] if dear.cost < PROBE_SPREAD * cheap.cost else [cheap, dear]
    each = seconds / len(probes)
    rates = [measure(replace(s, kind="steps"), each) for s in probes]

    points = [(r.segment.cost, 1.0 / r.steps_per_s) for r in rates]
    (c0, t0), (c1, t1) = points[0], points[-1]

    def step_time(cost: float) -> float:
        """Below the cheapest probe: its time (fixed costs dominate small steps); above the
        dearest: in proportion to the work; in between: linear."""
        if cost <= c0:
            return t0
        if cost >= c1:
            return t1 * cost / c1
        return t0 + (t1 - t0) * (cost - c0) / (c1 - c0)

    train_s = sum(s.steps * step_time(s.cost) for s in segments)
    compile_s = the_plan.n_programs * max(r.compile_s for r in rates)
    notes = [
        "one student at a time",
        "teacher calibration, reference learners and analysis not included",
    ]
    if the_plan.lbfgs:
        notes.insert(1, "an L-BFGS iteration as one step on its whole set")
    return Estimate(rates, train_s, compile_s, notes)


# --- what is printed ------------------------------------------------------------------------------


def _n(x: int) -> str:
    return f"{x:,}"


def _duration(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "unknown"
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def render(command: str, the_plan: Plan, est: Estimate | None) -> str:
    """The dry run's report: one line per study, then the totals (``name: value`` lines)."""
    lines = [f"manifold-scaling {command} --dry-run: nothing is trained or written"]
    for p in the_plan.parts:
        extra = f", {_n(p.lbfgs)} L-BFGS iterations" if p.lbfgs else ""
        lines.append(
            f"  {p.study} -> {p.out}: {_n(len(p.trials))} trials, {_n(p.n_programs)} compiled "
            f"programs, {_n(p.steps)} optimiser steps{extra}"
        )
    lines += [
        f"trials: {_n(the_plan.n_trials)}",
        f"compiled programs: {_n(the_plan.n_programs)}",
        f"optimiser steps: {_n(the_plan.steps)}",
    ]
    if the_plan.lbfgs:
        lines.append(f"L-BFGS iterations: {_n(the_plan.lbfgs)}")
    if est is None:
        return "\n".join(lines)
    for r in est.rates:
        s = r.segment
        lines.append(
            f"step rate: {r.steps_per_s:,.0f} steps/s (width {s.width}, depth {s.depth}, "
            f"{s.input_dim} inputs, batch {s.batch}, {s.precision}; measured {r.measured_s:.1f} s "
            f"on {r.device} after {r.compile_s:.1f} s compiling)"
        )
    lines.append(
        f"estimated time: {_duration(est.total_s)} (training {_duration(est.train_s)} + "
        f"compiling {_n(the_plan.n_programs)} programs {_duration(est.compile_s)}; "
        + "; ".join(est.notes)
        + ")"
    )
    return "\n".join(lines)
