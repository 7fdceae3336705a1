"""``manifold-scaling data-scaling``: the data-scaling sweep and its verdict per d."""

from __future__ import annotations

import logging
from pathlib import Path

from ..report import local_slope_table, verdict_table
from ..studies.data_scaling import DataScalingConfig, run_data_scaling
from ..sweep import add_sweep_arguments, sweep_options_from_args
from ._study_args import add_study_arguments, study_config_from_args

log = logging.getLogger(__name__)


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "data-scaling",
        help="test loss vs training-set size D for each d; alpha_D against 4/d",
        description="Train ReLU students on D points of a d-dimensional manifold for each (d, D, "
        "seed), fit L = A D^-alpha over the window the diagnostics allow, compare with 4/d.",
    )
    add_study_arguments(p)
    add_sweep_arguments(p)
    p.set_defaults(func=run, out=None)


def run(args) -> int:
    config = study_config_from_args(args, DataScalingConfig())
    options = sweep_options_from_args(args)
    out = Path(args.out or "results/data-scaling")
    return run_and_report(config, out, options, figures=not args.no_figures)


def run_and_report(config, out: Path, options, *, figures: bool = True) -> int:
    summary = run_data_scaling(config, out, options=options, make_figures=figures)
    print(verdict_table(summary))
    print()
    print("Local slopes as D doubles:")
    print(local_slope_table(summary))
    print(
        f"\nWrote {out / 'summary.json'}"
        + (
            ", " + ", ".join(str(out / f) for f in summary.get("figures", {}).values())
            if figures
            else ""
        )
    )
    return 0
