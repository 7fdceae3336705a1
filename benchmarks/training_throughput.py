"""Training throughput, measured in one run: peak matmul, the default student's fraction of it, the
compiled lax.scan loop against a Python loop of jitted steps, and vmap-batched against looped students.

    python benchmarks/training_throughput.py [--steps 2000] [--json OUT]

FLOPs of one Adam step of an MLP with layer sizes n_0..n_L on a batch B: 6 * B * sum(n_i * n_{i+1})
(forward 2, backward 4), ignoring the optimiser's elementwise work.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time

import jax
import jax.numpy as jnp
import numpy as np
import optax

from manifold_scaling.students import StudentConfig, init_student, student_apply
from manifold_scaling.training import TrainConfig, train_students


def _time(fn, repeats=3):
    fn()  # compile / warm
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def matmul_peak(n=2048):
    a = jax.random.normal(jax.random.key(0), (n, n))
    b = jax.random.normal(jax.random.key(1), (n, n))
    f = jax.jit(lambda a, b: a @ b)
    t = _time(lambda: f(a, b).block_until_ready(), repeats=5)
    return 2 * n**3 / t


def step_flops(sizes, batch):
    return 6 * batch * sum(i * o for i, o in zip(sizes[:-1], sizes[1:]))


def _data(n, d_in, key=0):
    k1, k2 = jax.random.split(jax.random.key(key))
    x = jax.random.uniform(k1, (n, d_in), minval=-1, maxval=1)
    y = jnp.sin(x @ jax.random.normal(k2, (d_in, 1)))
    return x, y


def compiled_vs_python(width, d_in, batch, steps, n=4096):
    """Same student, same minibatches: one lax.scan program vs a Python loop of jitted steps."""
    x, y = _data(n, d_in)
    params = init_student(jax.random.key(2), StudentConfig(width=width), d_in)
    opt = optax.adam(1e-3)

    def loss(p, xb, yb):
        return jnp.mean((student_apply(p, xb) - yb) ** 2)

    def step(carry, k):
        p, s = carry
        idx = jax.random.randint(k, (batch,), 0, n)
        g = jax.grad(loss)(p, x[idx], y[idx])
        u, s = opt.update(g, s, p)
        return (optax.apply_updates(p, u), s), None

    keys = jax.random.split(jax.random.key(3), steps)
    scan = jax.jit(lambda p, s: jax.lax.scan(step, (p, s), keys)[0])
    one = jax.jit(step)

    def run_scan():
        jax.block_until_ready(scan(params, opt.init(params)))

    def run_python():
        c = (params, opt.init(params))
        for k in keys:
            c, _ = one(c, k)
        jax.block_until_ready(c)

    t_scan = _time(run_scan, repeats=2)
    t_py = _time(run_python, repeats=2)
    sizes = [d_in, width, width, 1]
    return t_scan, t_py, step_flops(sizes, batch) * steps / t_scan


def vmap_vs_loop(width, d_in, n_students, steps):
    """The library's trainer: n students as one vmapped program vs one after another."""
    cfg = TrainConfig(min_steps=steps, max_steps=steps, eval_every=steps // 4, batch_size=256)
    x, y = _data(1024, d_in)
    xs, ys = jnp.stack([x] * n_students), jnp.stack([y] * n_students)
    keys = jax.random.split(jax.random.key(4), n_students)
    student = StudentConfig(width=width)

    def run(batched):
        return lambda: train_students(
            keys, student, cfg, xs, ys, xs[:, :256], ys[:, :256], batched=batched
        )

    return _time(run(False), repeats=1), _time(run(True), repeats=1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--json", help="also write the numbers here")
    args = ap.parse_args()
    info = {
        "machine": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "device": str(jax.devices()[0]),
        "jax": jax.__version__,
    }
    peak = matmul_peak()
    rows = {"matmul_peak_gflops": peak / 1e9}
    t_scan, t_py, flops = compiled_vs_python(256, 24, 256, args.steps)
    rows.update(
        default_student_gflops=flops / 1e9,
        default_fraction_of_peak=flops / peak,
        default_ms_per_step=1e3 * t_scan / args.steps,
        scan_speedup_batch256=t_py / t_scan,
    )
    t_scan_s, t_py_s, _ = compiled_vs_python(256, 24, 32, args.steps)
    rows["scan_speedup_batch32"] = t_py_s / t_scan_s
    for width in (32, 256):
        loop, vm = vmap_vs_loop(width, 24, 8, max(args.steps // 2, 400))
        rows[f"vmap8_speedup_width{width}"] = loop / vm
    print(f"Machine: {info}")
    print("| measurement | value |\n|---|---|")
    print(f"| JAX f32 matmul peak (n=2048) | {rows['matmul_peak_gflops']:.0f} GFLOP/s |")
    print(
        f"| default student (24→256→256→1, batch 256) | {rows['default_student_gflops']:.0f} GFLOP/s"
        f" = {rows['default_fraction_of_peak']:.2f} of peak, {rows['default_ms_per_step']:.2f} ms/step |"
    )
    print(
        f"| lax.scan loop vs Python loop of jitted steps, batch 256 | {rows['scan_speedup_batch256']:.2f}× |"
    )
    print(
        f"| lax.scan loop vs Python loop of jitted steps, batch 32 | {rows['scan_speedup_batch32']:.2f}× |"
    )
    print(f"| vmap over 8 students vs loop, width 32 | {rows['vmap8_speedup_width32']:.2f}× |")
    print(f"| vmap over 8 students vs loop, width 256 | {rows['vmap8_speedup_width256']:.2f}× |")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"machine": info, **rows}, fh, indent=2)


if __name__ == "__main__":
    main()
