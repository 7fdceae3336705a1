"""``manifold-scaling fit LOSSES.csv``: fit L = A D^-alpha to a loss table, compare with 2p/d."""

from __future__ import annotations

import json
import math
import sys

from ..errors import InputError, check_float, check_int

DESCRIPTION = (
    "Fit L = A * size^-alpha (+ E with --floor) in log space with a summed Huber loss "
    "(Hoffmann et al. 2022; Besiroglu et al. 2024) and a bootstrap interval; with --d, compare "
    "alpha with the resolution-limited prediction 2p/d (4/d for MSE). Prints JSON."
)


def register(subparsers) -> None:
    help_ = "fit a power law to a size,loss[,seed] CSV and compare alpha with 4/d"
    p = subparsers.add_parser("fit", help=help_, description=DESCRIPTION)
    p.add_argument("losses_csv", metavar="LOSSES.csv", help="CSV with header: size,loss[,seed]")
    p.add_argument("--d", type=float, default=None, help="intrinsic dimension d (>= 1)")
    p.add_argument(
        "--loss-power",
        type=float,
        default=2.0,
        help="p in loss ~ error^p; the prediction is alpha = 2p/d (default 2: MSE, 4/d)",
    )
    p.add_argument("--floor", action="store_true", help="fit an additive floor E as well")
    p.add_argument("--ci", type=float, default=0.90, help="interval level in (0, 1) (default 0.9)")
    p.add_argument(
        "--bootstrap", type=int, default=500, help="bootstrap replicates (>= 10, default 500)"
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the bootstrap key (default 0)")
    p.add_argument("--out", default=None, metavar="FILE", help="also write the JSON here")
    p.set_defaults(func=run)


def _validate(args) -> None:
    if args.d is not None:
        check_float("--d", args.d, minimum=1)
    check_float("--loss-power", args.loss_power, minimum=0, strict_min=True)
    ci = check_float("--ci", args.ci)
    if not 0.0 < ci < 1.0:
        raise InputError("--ci", f"must be a level in (0, 1) (got {ci})")
    check_int("--bootstrap", args.bootstrap, minimum=10)
    check_int("--seed", args.seed, minimum=0)


def run(args) -> int:
    _validate(args)
    from ..fitting import fit_power_law, local_slopes, read_loss_csv

    sizes, losses, seeds = read_loss_csv(args.losses_csv)  # bad input fails before JAX loads
    import jax

    from ..configs import save_json
    from ..provenance import package_versions

    if args.floor and len(set(sizes.tolist())) < 4:
        raise InputError("--floor", "a fit with a floor needs at least 4 distinct sizes")
    fit_key, slopes_key = jax.random.split(jax.random.key(args.seed))
    fit = fit_power_law(
        sizes,
        losses,
        key=fit_key,
        groups=seeds,
        with_floor=args.floor,
        n_bootstrap=args.bootstrap,
        ci=args.ci,
    )
    slopes = local_slopes(sizes, losses, groups=seeds, key=slopes_key, ci=args.ci)
    out = fit.to_dict()
    lo, hi = fit.window
    out["window_decades"] = math.log10(hi / lo)
    out["local_slopes"] = slopes.to_dict()
    out["loss_power"] = args.loss_power
    out["seed"] = args.seed
    out["input"] = args.losses_csv
    out["versions"] = package_versions()
    if args.d is not None:
        out.update(_verdict(fit, sizes, args.d, args.loss_power))
    if args.out:
        save_json(args.out, out)
    json.dump(out, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


def _verdict(fit, sizes, d: float, loss_power: float) -> dict:
    """The comparison with 2p/d in the library's words (``studies.verdict.read_exponent``)."""
    import numpy as np

    from ..fitting import select_window
    from ..studies.verdict import read_exponent

    predicted = 2.0 * loss_power / d
    label = "4/d" if loss_power == 2 else "2p/d"
    # Every size counts here: the CSV carries no diagnostics to narrow the window.
    distinct = np.unique(sizes)
    passes = np.ones(distinct.size, bool)
    ci = tuple(fit.alpha_ci) if fit.alpha_ci is not None else None
    words, consistent, _ = read_exponent(
        fit.alpha, ci, predicted, select_window(distinct, passes), distinct, passes, axis="D"
    )
    interval = (
        f"{100 * fit.ci_level:g}% interval [{ci[0]:.3g}, {ci[1]:.3g}]" if ci else "no interval"
    )
    words = words.replace("4/d", label)  # the library reads against 4/d; here p may differ
    words += f"; alpha = {fit.alpha:.3g}, {interval}, {label} = {predicted:.3g} at d = {d:g}"
    return {
        "d": d,
        "predicted_alpha": predicted,
        "ratio": fit.alpha / predicted,
        "consistent_with_4_over_d": consistent,
        "reading": words,
    }
