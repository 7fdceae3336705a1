"""``manifold-scaling model-scaling``: test loss vs parameter count at unlimited data, alpha_N vs 4/d."""

from __future__ import annotations

from pathlib import Path

from ..report import local_slope_table, verdict_table
from ..studies.model_scaling import ModelScalingConfig, run_model_scaling
from ..sweep import add_sweep_arguments, sweep_options_from_args
from ._regime_args import (
    _sub,
    add_common_arguments,
    add_manifold_teacher_arguments,
    base_config,
    override,
    positive_int_list,
)


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "model-scaling",
        help="test loss vs parameter count N at unlimited data for each d; alpha_N against 4/d",
        description="Train depth-2 ReLU students of growing width on fresh samples at every step "
        "(Sharma & Kaplan 2020), keep the widths whose loss curves converged, fit L = A N^-alpha "
        "and compare alpha_N with 4/d.",
    )
    add_common_arguments(p)
    g = p.add_argument_group("model-size sweep")
    g.add_argument("--dims", type=positive_int_list, nargs="+", help="intrinsic dimensions d")
    g.add_argument("--widths", type=positive_int_list, nargs="+", help="student widths")
    g.add_argument("--depth", type=positive_int_list, help="student hidden layers (default 2)")
    g.add_argument("--steps", type=positive_int_list, help="Adam steps per student (fresh batches)")
    g.add_argument("--lr", type=float, help="peak learning rate (cosine decay)")
    g.add_argument("--batch-size", type=positive_int_list, help="fresh samples per step")
    g.add_argument("--precision", help="float32 | float64")
    g.add_argument("--n-test", type=positive_int_list, help="test points per seed")
    g.add_argument("--n-val", type=positive_int_list, help="validation points (checkpoint choice)")
    g.add_argument("--loss-power", type=float, help="train/test loss |y - y_hat|^p (2 = MSE)")
    g.add_argument(
        "--convergence-window", type=float, help="rule: judge the last fraction of training"
    )
    g.add_argument(
        "--convergence-tol", type=float, help="rule: converged if the loss fell by <= this there"
    )
    g.add_argument("--with-floor", action="store_true", default=None, help="fit L = E + A N^-a")
    add_manifold_teacher_arguments(p)
    add_sweep_arguments(p)
    p.set_defaults(func=run)


_FLAGS = {
    "dims": "dims",
    "widths": "widths",
    "seeds": "seeds",
    "seed": "seed",
    "depth": "depth",
    "steps": "steps",
    "latent": "latent",
    "ambient_dim": "ambient_dim",
    "embedding": "embedding",
    "n_test": "n_test",
    "n_val": "n_val",
    "loss_power": "loss_power",
    "convergence_window": "convergence_window",
    "convergence_tol": "convergence_tol",
    "with_floor": "with_floor",
    "bootstrap": "n_bootstrap",
}


def config_from_args(args) -> ModelScalingConfig:
    config = base_config(args, ModelScalingConfig())
    train = _sub(
        config.train, learning_rate=args.lr, batch_size=args.batch_size, precision=args.precision
    )
    from dataclasses import replace

    return override(replace(config, train=train), _FLAGS, args)


def run(args) -> int:
    config = config_from_args(args)
    out = Path(args.out or "results/model-scaling")
    summary = run_model_scaling(
        config, out, options=sweep_options_from_args(args), make_figures=not args.no_figures
    )
    print(verdict_table(summary, alpha_name="α_N"))
    print()
    print("Local slopes as N grows:")
    print(local_slope_table(summary))
    print()
    for res in summary["results"]:
        flags = ", ".join(
            f"N={p['size']}: {'converged' if p['passes'] else 'NOT converged'} "
            f"(late drop {p['late_drop_max']:.0%})"
            for p in res["diagnostics"]["per_size"]
        )
        print(f"d={res['d']}: {flags}")
    files = ", ".join(str(out / f) for f in summary.get("figures", {}).values())
    print(f"\nWrote {out / 'summary.json'}" + (f", {files}" if files else ""))
    return 0
