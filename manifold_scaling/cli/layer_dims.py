"""``manifold-scaling layer-dims``: intrinsic dimension of each layer of a trained student."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers) -> None:
    from ..intrinsic_dim import DEFAULT_ESTIMATOR, ESTIMATORS

    p = subparsers.add_parser(
        "layer-dims",
        help="ID of the data, each student hidden layer and each teacher layer of one trial",
        description="Pick a trial of a data-scaling run (by d, size, replicate), push fresh "
        "points through its manifold, teacher and trained student, and estimate each layer's ID.",
    )
    p.add_argument(
        "run_dir", type=Path, nargs="?", metavar="RUN_DIR", help="a data-scaling --out directory"
    )
    p.add_argument(
        "--activations",
        type=Path,
        metavar="ACTS.npz",
        help="instead of RUN_DIR: any network's saved activations, one (n_points, width) array "
        "per layer (--dims: the reference dimension of the ID / d column)",
    )
    p.add_argument(
        "--dims", dest="d", type=int, metavar="D", help="intrinsic dimension of the trial"
    )
    p.add_argument("--size", type=int, help="training-set size D of the trial")
    replicate = "the trial's replicate: its index (0, 1, ...) or its seed as recorded"
    p.add_argument("--replicate", type=int, metavar="R", help=f"{replicate} (default: the last)")
    # --seed is the master seed in every other command; here it always picked the replicate,
    # and still does for those who type it (hidden: --replicate is the one spelling).
    p.add_argument("--seed", dest="replicate", type=int, help=argparse.SUPPRESS)
    p.add_argument(
        "--points", type=int, default=4000, help="fresh points pushed through (default: 4000)"
    )
    p.add_argument(
        "--estimator",
        choices=ESTIMATORS,
        metavar="NAME",
        help=f"ID estimator: {' | '.join(ESTIMATORS)} (default: {DEFAULT_ESTIMATOR})",
    )
    p.add_argument("--out", type=Path, help="write JSON and PNG figures here (prefix)")
    p.add_argument("--umap", action="store_true", help="with --out: also UMAP views (slower)")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..errors import InputError
    from ..studies.representations import (
        layer_dimensions_of_trial,
        layer_figure,
        layer_table,
        load_trial,
        save_layer_dimensions,
    )

    if args.activations is not None:
        return _run_activations(args)
    if args.run_dir is None:
        raise InputError("RUN_DIR", "give a data-scaling --out directory or --activations ACTS.npz")
    if args.points < 100:
        raise InputError("--points", f"must be an integer >= 100 (got {args.points})")
    try:
        record = load_trial(args.run_dir, d=args.d, size=args.size, seed=args.replicate)
    except InputError as err:  # the library names its arguments: name the flags
        if err.parameter != "--d/--size/--seed":
            raise
        message = str(err).removeprefix(f"{err.parameter}: ")
        raise InputError("--dims/--size/--replicate", message) from None
    result = layer_dimensions_of_trial(record, n_points=args.points, estimator=args.estimator)
    print(layer_table(result))
    if args.out:
        save_layer_dimensions(result, args.out.with_suffix(".json"))
        from ..plots import write_estimate_vs_scale, write_umap_views

        written = [
            args.out.with_suffix(".json"),
            layer_figure(result, args.out.with_suffix(".png")),
            write_estimate_vs_scale(
                result["multiscale"], f"{args.out}_scales.png", true_d=result["d"]
            ),
        ]
        if args.umap:
            from ..studies.representations import trial_views

            panels, colour = trial_views(record)
            written.append(write_umap_views(panels, colour, f"{args.out}_umap.png"))
        # A figure that failed was logged by the writer and comes back as None.
        print("Wrote " + ", ".join(str(w) for w in written if w))
    return 0


def _run_activations(args) -> int:
    """``--activations ACTS.npz``: the per-layer table of any network's saved activations."""
    from ..errors import InputError
    from ..studies.own_data import activations_table, layer_dimensions_of_arrays

    if args.run_dir is not None:
        raise InputError("--activations", "give RUN_DIR or --activations, not both")
    result = layer_dimensions_of_arrays(args.activations, estimator=args.estimator, d=args.d)
    print(activations_table(result))
    if args.out:
        from ..studies.representations import layer_figure, save_layer_dimensions

        written = [args.out.with_suffix(".json")]
        save_layer_dimensions(result, written[0])
        if args.d:  # the figure draws d as its reference line
            view = {**result, "n_train": result["n_points"], "seed": "-"}
            written.append(layer_figure(view, args.out.with_suffix(".png")))
        print("Wrote " + ", ".join(str(w) for w in written if w))
    return 0
