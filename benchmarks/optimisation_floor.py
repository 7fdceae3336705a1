"""What moves the optimisation floor? Trials trained several ways, measured in one run.

Two tables:

    python benchmarks/optimisation_floor.py [--d 2] [--size 1024] [--json OUT]

one trial (replicate 0 of the reproduction at d) trained several ways: longer Adam, Adam +
full-batch L-BFGS, float64, a larger batch; train loss, test loss, train/test (the interpolation
diagnostic) and seconds per variant. The default budget of the reproduction is the first row.

    python benchmarks/optimisation_floor.py --optimisers [--dims 2 3] [--sizes 1024]
        [--replicates 2] [--students reproduce bahri2021] [--json OUT]

the optimiser comparison of docs/optimisers.md: per student (the reproduction's, width 128 at
batch 32; the bahri2021 preset's, width 192 at batch 64), d, D and replicate (teacher): Adam at
8k / 16k / 32k steps, Adam 8k + full-batch L-BFGS (500 / 2000 iterations) and Adam 8k +
Levenberg-Marquardt (10 / 30 steps), the polishes run from the same Adam 8k checkpoint. Columns:
train and test loss (medians over replicates), the tail change the per-cell convergence rule
reads (Adam: ``val_tail_dlog``; a kept polish: the fall of its own running-best validation loss
over its last half, in log), how many cells pass the rule (<= 0.05), and seconds per cell (warm:
replicates after the first, whose time includes compilation, when there are several).
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from manifold_scaling.students import student_apply
from manifold_scaling.studies.base import DataScalingConfig, replicates
from manifold_scaling.studies.presets import BAHRI2021, REPRODUCE
from manifold_scaling.studies.trials import (
    TrialConfig,
    params_from_arrays,
    run_trial,
    trial_data,
    trial_setup,
)
from manifold_scaling.studies.verdict import convergence_cell_rule
from manifold_scaling.training import evaluate_loss, last_doubling_change, levenberg_marquardt
from manifold_scaling.training._lbfgs import full_batch_loss, lbfgs_curve
from manifold_scaling.training._losses import chunked_loss, make_loss

TOLERANCE = 0.05  # the per-cell rule's tolerance (studies.verdict.convergence_cell_rule)
ADAM_BUDGETS = (8000, 16000, 32000)
LBFGS_STEPS = (500, 2000)
LM_STEPS = (10, 30)
LBFGS_EVERY = 10
STUDENTS = {
    # the reproduction's student at the minibatch the issue measured (32)
    "reproduce": replace(REPRODUCE, train=replace(REPRODUCE.train, batch_size=32)),
    "bahri2021": BAHRI2021,  # width 192, batch 64
}


# --- the floor of one trial (the original table) -------------------------------------------------


def variants(base):
    t = base.train

    def longer(factor):  # a fixed budget (``steps``) when the preset has one, else per point
        if t.steps is not None:
            return replace(t, steps=factor * t.steps)
        return replace(t, steps_per_point=factor * t.steps_per_point)

    budget = f"{t.steps}" if t.steps is not None else f"{t.steps_per_point:g}·D"
    return {
        f"Adam {budget} (default)": t,
        "Adam ×2 steps": longer(2),
        "Adam + 500 L-BFGS": replace(t, lbfgs_steps=500),
        "Adam, batch 128": replace(t, batch_size=128),
        "Adam, float64": replace(t, precision="float64"),
    }


def floor_table(args):
    config: DataScalingConfig = replace(REPRODUCE, dims=(args.d,))
    rep = replicates(config, args.d)[0]  # replicate 0: its own calibrated teacher and seeds
    manifold = config.manifold(args.d)
    rows = []
    print(f"d = {args.d}, D = {args.size}, student {config.student}, {jax.devices()[0]}")
    print("| variant | steps | train loss | test loss | train/test | seconds |")
    print("|---|---|---|---|---|---|")
    # float64 flips a process-wide switch, so it runs last.
    for name, train in variants(config).items():
        trial = TrialConfig(
            manifold=manifold,
            student=config.student,
            train=train,
            n_train=args.size,
            n_test=config.n_test,
            **rep.draws(),
        )
        t0 = time.perf_counter()
        m = run_trial(trial).metrics
        secs = time.perf_counter() - t0
        rows.append({"variant": name, **m, "seconds": secs})
        print(
            f"| {name} | {m['steps']} | {m['train_loss']:.2e} | {m['test_loss']:.2e} | "
            f"{m['train_test_ratio']:.3f} | {secs:.0f} |",
            flush=True,
        )
    return rows


# --- the optimiser comparison (docs/optimisers.md) -----------------------------------------------


def polish_tail(start_val, curve, every: int = 1) -> float:
    """The fall of the running-best validation loss over the last half of a polish, in log: the
    curve after every ``every`` iterations, Adam's checkpoint at iteration 0."""
    vals = np.concatenate([[float(start_val)], np.asarray(curve, np.float64)])
    return last_doubling_change(np.arange(vals.size) * every, vals)


@partial(jax.jit, static_argnames=("steps",))
def _lm(params, x, y, x_val, y_val, damping, *, steps):
    val = partial(chunked_loss, x=x_val, y=y_val, loss_fn=make_loss("regression"))
    return levenberg_marquardt(student_apply, params, x, y, steps, val_fn=val, damping=damping)


@partial(jax.jit, static_argnames=("steps",))
def _lbfgs(params, state, x, y, x_val, y_val, *, steps):
    loss_fn = make_loss("regression")
    val = partial(chunked_loss, x=x_val, y=y_val, loss_fn=loss_fn)
    return lbfgs_curve(full_batch_loss(loss_fn, x, y), params, steps, val, LBFGS_EVERY, state)


def _k(steps: int) -> str:
    return f"{steps / 1000:g}k"


def _timed(fn, *args, **kw):
    t0 = time.perf_counter()
    out = jax.block_until_ready(fn(*args, **kw))
    return out, time.perf_counter() - t0


def cell_rows(trial: TrialConfig) -> list[dict]:
    """Every variant on one trial (one replicate at one d and D)."""
    rows, base = [], None
    for steps in ADAM_BUDGETS:
        t0 = time.perf_counter()
        out = run_trial(replace(trial, train=replace(trial.train, steps=steps)))
        secs = time.perf_counter() - t0
        m = out.metrics
        rows.append(
            dict(variant=f"Adam {_k(steps)}", train_loss=m["train_loss"],
                 test_loss=m["test_loss"], tail=m["val_tail_dlog"], accepted=None,
                 seconds=secs, steps=m["steps"])
        )  # fmt: skip
        if steps == ADAM_BUDGETS[0]:
            base = (out, secs)
    out, adam_secs = base
    adam_tail = out.metrics["val_tail_dlog"]
    params = params_from_arrays(out.arrays)
    data = trial_data(trial, *trial_setup(trial))
    dtype = trial.train.dtype
    (_, x, y), (_, xv, yv), (_, xt, yt) = (
        tuple(jnp.asarray(a, dtype) for a in part) for part in (data.train, data.val, data.test)
    )
    adam_val = float(chunked_loss(params, xv, yv, make_loss("regression")))

    def polished(name, kept, accepted, tail, secs, extra=None):
        # A rejected polish keeps Adam 8k's checkpoint, judged by Adam 8k's own curve.
        p = kept if accepted else params
        return dict(
            variant=name,
            train_loss=evaluate_loss(p, x, y),
            test_loss=evaluate_loss(p, xt, yt),
            tail=tail if accepted else adam_tail,
            polish_tail=tail,
            accepted=bool(accepted),
            seconds=adam_secs + secs,
            **(extra or {}),
        )

    # L-BFGS: the 2000-iteration run continues the 500-iteration one (the same run).
    state, done, curve, secs = None, 0, np.zeros(0), 0.0
    p = params
    for n in LBFGS_STEPS:
        (p, c, state), dt = _timed(_lbfgs, p, state, x, y, xv, yv, steps=n - done)
        curve, secs, done = np.concatenate([curve, np.asarray(c)]), secs + dt, n
        val = float(curve[-1])
        ok = np.isfinite(val) and val < adam_val
        rows.append(polished(f"Adam {_k(ADAM_BUDGETS[0])} + L-BFGS {n}", p, ok, polish_tail(adam_val, curve, LBFGS_EVERY), secs))  # fmt: skip
    # LM: the 30-step run continues the 10-step one from its damping (the same run).
    p, damping, done, secs = params, 1e-3, 0, 0.0
    vals, tries, best_val, best_p = [], [], adam_val, params
    for n in LM_STEPS:
        res, dt = _timed(_lm, p, x, y, xv, yv, jnp.asarray(damping, dtype), steps=n - done)
        vals += list(np.asarray(res.val))
        tries += list(np.asarray(res.tries))
        if float(res.best_val) < best_val:
            best_val, best_p = float(res.best_val), res.best_params
        p, damping, done, secs = res.params, res.damping[-1], n, secs + dt
        extra = dict(lm_tries=int(np.sum(tries)), lm_final_train=float(res.loss[-1]),
                     lm_mu=float(damping))  # fmt: skip
        rows.append(polished(f"Adam {_k(ADAM_BUDGETS[0])} + LM {n}", best_p, best_val < adam_val, polish_tail(adam_val, vals), secs, extra))  # fmt: skip
    return rows


def optimiser_table(args):
    all_rows = []
    print(
        f"{jax.devices()[0]}; tolerance {TOLERANCE} (rule: {convergence_cell_rule(TOLERANCE).text})"
    )
    for name in args.students:
        config = STUDENTS[name]
        for d in args.dims:
            reps = replicates(replace(config, seeds=args.replicates), d)
            for size in args.sizes:
                for r, rep in enumerate(reps):
                    trial = TrialConfig(
                        manifold=config.manifold(d), student=config.student,
                        train=config.train, n_train=size, n_val=config.n_val,
                        n_test=config.n_test, loss_power=config.loss_power,
                        # the preset's own nested pool (its training sets are its prefixes)
                        pool_size=max(*config.sizes, size) if config.nested else None,
                        **rep.draws(),
                    )  # fmt: skip
                    for row in cell_rows(trial):
                        row.update(student=name, d=d, n_train=size, replicate=r)
                        all_rows.append(row)
                        print(
                            f"  {name} d={d} D={size} r={r} {row['variant']}: train "
                            f"{row['train_loss']:.2e} test {row['test_loss']:.2e} tail "
                            f"{row['tail']:.3f} {row['seconds']:.1f}s",
                            flush=True,
                        )
    print_summary(all_rows)
    return all_rows


def summarise(rows):
    """One line per (student, d, D, variant): medians over replicates, the rule's pass count."""
    groups: dict = {}
    for row in rows:
        groups.setdefault((row["student"], row["d"], row["n_train"], row["variant"]), []).append(
            row
        )
    out = []
    for (student, d, size, variant), rs in groups.items():
        rs = sorted(rs, key=lambda r: r["replicate"])
        warm = rs[1:] if len(rs) > 1 else rs
        tails = np.array([r["tail"] for r in rs])
        out.append(
            dict(
                student=student, d=d, n_train=size, variant=variant,
                train_loss=float(np.median([r["train_loss"] for r in rs])),
                test_loss=float(np.median([r["test_loss"] for r in rs])),
                tail_median=float(np.median(tails)), tail_max=float(np.max(tails)),
                passes=int(np.sum(tails <= TOLERANCE)), cells=len(rs),
                accepted=None if rs[0]["accepted"] is None else int(sum(r["accepted"] for r in rs)),
                seconds=float(np.median([r["seconds"] for r in warm])),
            )
        )  # fmt: skip
    return out


def print_summary(rows):
    print()
    print(
        "| student | d | D | variant | train loss | test loss | tail (median / max) | "
        "passes ≤ 0.05 | polish kept | seconds |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for s in summarise(rows):
        kept = "–" if s["accepted"] is None else f"{s['accepted']}/{s['cells']}"
        print(
            f"| {s['student']} | {s['d']} | {s['n_train']} | {s['variant']} | "
            f"{s['train_loss']:.2e} | {s['test_loss']:.2e} | {s['tail_median']:.3f} / "
            f"{s['tail_max']:.3f} | {s['passes']}/{s['cells']} | {kept} | {s['seconds']:.0f} |"
        )


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--d", type=int, default=2)
    ap.add_argument("--size", type=int, default=1024)
    ap.add_argument("--optimisers", action="store_true", help="the optimiser comparison")
    ap.add_argument("--dims", type=int, nargs="+", default=[2, 3])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1024])
    ap.add_argument("--replicates", type=int, default=2)
    ap.add_argument("--students", nargs="+", default=list(STUDENTS), choices=list(STUDENTS))
    ap.add_argument("--json")
    args = ap.parse_args(argv)
    rows = optimiser_table(args) if args.optimisers else floor_table(args)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(rows, fh, indent=2, default=float)


if __name__ == "__main__":
    main()
