"""``manifold-scaling reproduce``: the README's main job, the data-scaling verdict for d = 2..8."""

from __future__ import annotations

from pathlib import Path

from ..studies.presets import reproduce_config
from ..sweep import add_sweep_arguments, sweep_options_from_args
from .data_scaling import run_and_report


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "reproduce",
        help="the default data-scaling reproduction (d = 2, 3, 4, 6, 8; about 10 min on 2 cores)",
        description="Run the data-scaling verdict for d in {2, 3, 4, 6, 8} with the project's "
        "default settings; writes the same files as data-scaling and prints the verdict table.",
    )
    p.add_argument("--out", type=Path, default=Path("results/reproduce"), help="output directory")
    p.add_argument("--quick", action="store_true", help="a 2-minute smoke version (fewer sizes)")
    p.add_argument("--no-figures", action="store_true", help="skip the PNG figures")
    add_sweep_arguments(p)
    p.set_defaults(func=run)


def run(args) -> int:
    config = reproduce_config(quick=args.quick)
    return run_and_report(
        config, args.out, sweep_options_from_args(args), figures=not args.no_figures
    )
