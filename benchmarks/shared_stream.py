"""The shared-stream trainer against one student at a time, measured in one run.

    python benchmarks/shared_stream.py [--d 4] [--seeds 3] [--budget-fraction 0.001] [--json OUT]

The trials are the sharma-kaplan2020 preset's (teacher 20 -> 600 -> 600 -> 1, students of seven
widths, float64, three Adam phases) at one d and a small budget fraction. "Shared" runs every
trial of the group as ``run_online_group`` does on every backend: each replicate's widths train on
one stream (one sample and one teacher pass per step for all of them), the replicates vmapped.
"One at a time" runs each trial alone (``run_online_group([trial], batched=False)``: its own
stream, its own teacher passes). Both include compilation, as a user's run does; the script also
prints the largest per-trial difference between the two (the determinism check) and the shared
trainer's fraction of the machine's float64 matmul peak.

A second, smaller measurement compares two layouts of one step of the students of one replicate:
"grouped" (one update per width, as the trainer runs them) against "padded" (every student padded
to the largest width and vmapped; zero-padded ReLU units get zero gradients, so padding changes no
student's function).

FLOPs per fresh sample: the teacher's forward pass, 2 * sum(n_i * n_{i+1}), plus each student's
Adam step, 6 * sum(n_i * n_{i+1}) (forward 2, backward 4); the validation passes are left out.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from dataclasses import replace

import jax
import jax.numpy as jnp
import numpy as np
import optax

jax.config.update("jax_enable_x64", True)

from manifold_scaling.students import init_student, student_apply  # noqa: E402
from manifold_scaling.studies.model_scaling import run_online_group, trial_configs  # noqa: E402
from manifold_scaling.studies.presets import SHARMA_KAPLAN2020  # noqa: E402


def matmul_peak(n=1536, dtype=jnp.float64):
    a = jax.random.normal(jax.random.key(0), (n, n), dtype)
    b = jax.random.normal(jax.random.key(1), (n, n), dtype)
    f = jax.jit(lambda a, b: a @ b)
    f(a, b).block_until_ready()
    best = np.inf
    for _ in range(5):
        t0 = time.perf_counter()
        f(a, b).block_until_ready()
        best = min(best, time.perf_counter() - t0)
    return 2 * n**3 / best


def mlp_macs(sizes):
    return sum(i * o for i, o in zip(sizes[:-1], sizes[1:]))


def flops_per_sample(config, d):
    t = config.teacher
    teacher = 2 * mlp_macs([d] + [t.width] * t.depth + [1])
    students = sum(
        6 * mlp_macs([config.ambient_dim] + [w] * config.depth + [1]) for w in config.widths_at(d)
    )
    return teacher, students


def layouts(widths, d_in, batch=200, steps=50, seed=0):
    """Seconds per step of every width's student on one batch: grouped vs padded-and-vmapped."""
    key = jax.random.key(seed)
    x = jax.random.uniform(key, (batch, d_in), jnp.float64, -0.5, 0.5)
    y = jnp.sin(x.sum(1, keepdims=True))
    opt = optax.adam(1e-2)
    loss = lambda p: jnp.mean((student_apply(p, x) - y) ** 2)  # noqa: E731
    grouped = tuple(
        jax.tree_util.tree_map(
            lambda a: jnp.asarray(a, jnp.float64),
            init_student(jax.random.fold_in(key, w), SHARMA_KAPLAN2020.student(w), d_in),
        )
        for w in widths
    )
    top = max(widths)

    def pad(params):  # zero units: relu(0) = 0 and relu'(0) = 0, so they never move
        (w1, b1), (w2, b2), (w3, b3) = params
        n = w1.shape[1]
        return [
            (jnp.pad(w1, ((0, 0), (0, top - n))), jnp.pad(b1, (0, top - n))),
            (jnp.pad(w2, ((0, top - n), (0, top - n))), jnp.pad(b2, (0, top - n))),
            (jnp.pad(w3, ((0, top - n), (0, 0))), b3),
        ]

    padded = jax.tree_util.tree_map(lambda *a: jnp.stack(a), *[pad(p) for p in grouped])

    def step_grouped(state):
        params, opt_states = state
        out = []
        for p, s in zip(params, opt_states):
            g = jax.grad(loss)(p)
            u, s = opt.update(g, s, p)
            out.append((optax.apply_updates(p, u), s))
        return tuple(o[0] for o in out), tuple(o[1] for o in out)

    def step_padded(state):
        def one(p, s):
            g = jax.grad(loss)(p)
            u, s = opt.update(g, s, p)
            return optax.apply_updates(p, u), s

        return jax.vmap(one)(*state)

    def timed(step, params, opt_state):
        run = jax.jit(lambda st: jax.lax.fori_loop(0, steps, lambda _, s: step(s), st))
        state = (params, opt_state)
        jax.block_until_ready(run(state))
        t0 = time.perf_counter()
        jax.block_until_ready(run(state))
        return (time.perf_counter() - t0) / steps

    t_grouped = timed(step_grouped, grouped, tuple(opt.init(p) for p in grouped))
    t_padded = timed(step_padded, padded, jax.vmap(opt.init)(padded))
    return t_grouped, t_padded


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--d", type=int, default=4)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--budget-fraction", type=float, default=0.001)
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)

    config = replace(
        SHARMA_KAPLAN2020,
        dims=(args.d,),
        seeds=args.seeds,
        budget_fractions=(args.budget_fraction,),
    )
    trials = trial_configs(config)
    print(f"{len(trials)} trials: d = {args.d}, widths {config.widths_at(args.d)}, "
          f"{args.seeds} replicates, budget fraction {args.budget_fraction:g}, "
          f"phases {[(p.steps, p.batch_size, p.learning_rate) for p in trials[0].schedule]}")  # fmt: skip

    def timed(fn):
        t0 = time.perf_counter()
        out = fn()
        return out, time.perf_counter() - t0

    def one_at_a_time():
        return [run_online_group([t], batched=False)[0] for t in trials]

    # Cold: the first call compiles (once for the group; once per width one at a time). Warm: the
    # same calls again, as every later group of a sweep with the same shapes runs.
    # Warm: the best of two rounds, the two ways alternating within each round (this VM's speed
    # drifts by tens of percent between minutes; alternating exposes both to the same drift).
    shared, cold_shared = timed(lambda: run_online_group(trials))
    alone, cold_alone = timed(one_at_a_time)
    rounds = [(timed(lambda: run_online_group(trials))[1], timed(one_at_a_time)[1]) for _ in "ab"]
    t_shared, t_alone = min(r[0] for r in rounds), min(r[1] for r in rounds)
    print(
        f"shared stream: {cold_shared:.1f} s cold, warm rounds {[round(r[0], 1) for r in rounds]}"
    )
    print(f"one at a time: {cold_alone:.1f} s cold, warm rounds {[round(r[1], 1) for r in rounds]}")

    diffs = {
        k: max(abs(a.metrics[k] - b.metrics[k]) / abs(b.metrics[k]) for a, b in zip(shared, alone))
        for k in ("test_loss", "val_loss", "train_loss")
    }
    same_step = all(a.metrics["best_step"] == b.metrics["best_step"] for a, b in zip(shared, alone))

    samples = sum(p.steps * p.batch_size for p in trials[0].schedule)
    teacher_f, student_f = flops_per_sample(config, args.d)
    total = samples * args.seeds * (teacher_f + student_f)
    peak = matmul_peak()
    t_grouped, t_padded = layouts(config.widths_at(args.d), config.ambient_dim)
    out = {
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs",
        "jax": jax.__version__,
        "devices": [str(dev) for dev in jax.devices()],
        "trials": len(trials),
        "shared_s": t_shared,
        "one_at_a_time_s": t_alone,
        "speedup": t_alone / t_shared,
        "shared_cold_s": cold_shared,
        "one_at_a_time_cold_s": cold_alone,
        "speedup_cold": cold_alone / cold_shared,
        "max_relative_difference": diffs,
        "same_best_step": same_step,
        "samples_per_stream": samples,
        "teacher_flops_per_sample": teacher_f,
        "students_flops_per_sample": student_f,
        "shared_gflops": total / t_shared / 1e9,
        "f64_matmul_peak_gflops": peak / 1e9,
        "fraction_of_peak": total / t_shared / peak,
        "step_s_grouped": t_grouped,
        "step_s_padded": t_padded,
    }
    print(
        f"\nshared stream vs one at a time: {out['speedup']:.1f}x faster warm "
        f"({t_alone:.1f} s / {t_shared:.1f} s), {out['speedup_cold']:.1f}x with compilation "
        f"({cold_alone:.1f} s / {cold_shared:.1f} s)\n"
        f"largest relative difference per trial: "
        + ", ".join(f"{k} {v:.1e}" for k, v in diffs.items())
        + f"; same best step: {same_step}\n"
        f"shared stream: {out['shared_gflops']:.1f} GFLOP/s = {out['fraction_of_peak']:.2f} of the "
        f"float64 matmul peak ({out['f64_matmul_peak_gflops']:.1f} GFLOP/s); the teacher is "
        f"{teacher_f / (teacher_f + student_f):.0%} of the FLOPs\n"
        f"one step of every width's student: grouped {t_grouped * 1e3:.2f} ms, padded and vmapped "
        f"{t_padded * 1e3:.2f} ms ({t_padded / t_grouped:.2f}x)"
    )
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(out, fh, indent=2)
    return out


if __name__ == "__main__":
    main()
