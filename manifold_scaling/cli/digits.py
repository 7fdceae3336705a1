"""``manifold-scaling digits``: real data — ID of sklearn digits and alpha_D >= 4/d_hat?"""

from __future__ import annotations

import json
from pathlib import Path

from ..sweep import add_sweep_arguments, sweep_options_from_args


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "digits",
        help="real data: intrinsic dimension of sklearn's digits and a ReLU classifier's alpha_D",
        description="Measure the ID of scikit-learn's bundled digits (no download), train ReLU "
        "classifiers (cross-entropy) on growing subsets, and check alpha_D >= 4/d_hat.",
    )
    p.add_argument("--sizes", type=int, nargs="+", help="training-set sizes (16..1300)")
    p.add_argument("--seeds", type=int, help="seeds per size (default 2)")
    p.add_argument("--seed", type=int, help="master seed (default 0)")
    p.add_argument("--width", type=int, help="student width (default 256)")
    p.add_argument("--steps-per-point", type=float, help="optimiser steps per training point")
    p.add_argument("--out", type=Path, default=Path("results/digits"))
    add_sweep_arguments(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from dataclasses import replace

    from ..studies.digits import DigitsConfig, run_digits

    kw = {
        "sizes": tuple(args.sizes) if args.sizes else None,
        "seeds": args.seeds,
        "seed": args.seed,
        "width": args.width,
        "steps_per_point": args.steps_per_point,
    }
    config = replace(DigitsConfig(), **{k: v for k, v in kw.items() if v is not None})
    summary = run_digits(config, args.out, options=sweep_options_from_args(args))
    r = summary["result"]
    ids = summary["intrinsic_dimension"]
    for name, est in ids.items():
        print(f"ID ({name}): {est['dimension']:.2f} [{est['ci'][0]:.2f}, {est['ci'][1]:.2f}]")
    print(
        json.dumps(
            {
                k: r[k]
                for k in (
                    "alpha",
                    "alpha_ci",
                    "predicted_alpha",
                    "fit_window",
                    "satisfies_bound",
                    "reading",
                )
            },
            indent=2,
        )
    )
    return 0
