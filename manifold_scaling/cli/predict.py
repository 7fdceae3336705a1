"""``manifold-scaling predict FIT.json``: the loss a joint fit ``L(N, D)`` predicts, with the band
its bootstrap draws give (Hoffmann et al. 2022, approach 3; Besiroglu et al. 2024).

``FIT.json`` is what ``manifold-scaling fit RUNS.csv --joint`` writes; it keeps every bootstrap
draw of ``(E, A, B, alpha, beta)``, so the band of any prediction is a percentile over the draws.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys

from ..errors import InputError

DESCRIPTION = (
    "Predict the loss L(N, D) = E + A/N^alpha + B/D^beta of a joint fit (from 'fit --joint') at "
    "the given N and D, or N and compute C (D = C / (6 N)), or C alone (the compute-optimal "
    "allocation), with the percentile band of its bootstrap draws at the fit's level. Several "
    "values per flag are paired element-wise (one value pairs with all). Prints JSON."
)
KIND = "joint-prediction"
PARAMETER = "FIT.json"  # the name errors about the fit file carry (the positional argument)


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number (got {text!r})") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be positive and finite (got {text!r})")
    return value


def register(subparsers) -> None:
    help_ = "predict the loss of a joint fit at N, D (or C) with its bootstrap band"
    p = subparsers.add_parser("predict", help=help_, description=DESCRIPTION)
    p.add_argument("fit_json", metavar="FIT.json", help="a joint fit from 'fit --joint --out'")
    p.add_argument("--N", dest="N", type=_positive, nargs="+", help="parameters N")
    p.add_argument("--D", dest="D", type=_positive, nargs="+", help="training tokens D")
    p.add_argument(
        "--C",
        dest="C",
        type=_positive,
        nargs="+",
        help="training compute C = 6 N D: with --N, D = C / (6 N); alone, the compute-optimal N, D",
    )
    p.add_argument("--out", default=None, metavar="FILE", help="also write the JSON here")
    p.set_defaults(func=run)


def run(args) -> int:
    import numpy as np

    from ..fitting import JOINT_PARAMS
    from .fit import FLOPS_PER_PARAM_TOKEN as K

    if args.D is not None and args.C is not None:
        raise InputError("--C", "give --D or --C, not both")
    if args.N is None and args.C is None:
        raise InputError("--N", "give --N with --D or --C, or --C alone (compute-optimal)")
    if args.N is not None and args.D is None and args.C is None:
        raise InputError("--D", "give --D (or --C) with --N")
    fit, data = load_joint_fit(args.fit_json)

    if args.N is None:  # compute alone: the loss at the fit's own optimal allocation
        compute = np.asarray(args.C, dtype=np.float64)
        front = fit.frontier(compute, compute_per_nd=K)
        if not np.all(np.isfinite(front["loss"])):
            raise InputError("--C", "this fit has an exponent at 0: no compute-optimal N; give --N")
        n, d, loss = front["N"], front["D"], front["loss"]
        lo, hi = fit.frontier_band(compute, compute_per_nd=K)
        allocation = "compute-optimal"
        c = compute
    else:
        other, values = ("--D", args.D) if args.D is not None else ("--C", args.C)
        n, v = _pair(args.N, values, other)
        d = v if args.D is not None else v / (K * n)
        c = K * n * d if args.D is not None else v  # the C given, not its round trip
        loss = fit.predict(n, d)
        lo, hi = fit.predict_band(n, d)
        allocation = "given"
    out = {
        "kind": KIND,
        "fit": args.fit_json,
        "fit_sha256": hashlib.sha256(data).hexdigest(),
        "allocation": allocation,
        "N": n.tolist(),
        "D": d.tolist(),
        "C": c.tolist(),
        "loss": loss.tolist(),
        "loss_lo": lo.tolist(),
        "loss_hi": hi.tolist(),
        "ci_level": fit.ci_level,
        "band": "percentile over the fit's bootstrap draws",
        "n_draws": int(len(fit.draws)),
        "params": {name: float(getattr(fit, k)) for k, name in zip(JOINT_PARAMS, _names())},
    }
    if args.out:
        from ..configs import save_json

        save_json(args.out, out)
    json.dump(out, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


def _names():
    from ..fitting import JOINT_PARAMS
    from .fit import JSON_NAMES

    return [JSON_NAMES[k] for k in JOINT_PARAMS]


def _pair(n_values, values, flag: str):
    """``--N`` and ``--D`` (or ``--C``) element-wise; one value pairs with every other."""
    import numpy as np

    n = np.asarray(n_values, dtype=np.float64)
    v = np.asarray(values, dtype=np.float64)
    if n.size != v.size and 1 not in (n.size, v.size):
        raise InputError(
            flag, f"{v.size} values cannot pair with {n.size} values of --N (give 1 or {n.size})"
        )
    return np.broadcast_arrays(n, v)


def load_joint_fit(path):
    """``(JointFit, raw bytes)`` from a ``fit --joint`` JSON; anything else is one
    :class:`InputError` naming ``FIT.json`` and what the file is instead."""
    import numpy as np

    from ..fitting import JOINT_PARAMS, JointFit
    from .fit import JOINT_FORMAT, JOINT_KIND, JSON_NAMES

    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except FileNotFoundError:
        raise InputError(PARAMETER, f"no such file: {path}") from None
    except OSError as err:
        raise InputError(PARAMETER, f"cannot read {path}: {err.strerror or err}") from None
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise InputError(PARAMETER, f"{path} is not JSON ({err})") from None
    kind = _kind_of(data)
    if kind != JOINT_KIND:
        raise InputError(
            PARAMETER,
            f"{path} is a {kind} file, not a joint fit (make one with 'manifold-scaling fit "
            "RUNS.csv --joint --out FIT.json')",
        )
    if data.get("format") != JOINT_FORMAT:
        raise InputError(
            PARAMETER,
            f"{path} has format {data.get('format')!r}; this version reads format {JOINT_FORMAT}",
        )

    def bad(what):
        return InputError(PARAMETER, f"{path} is a damaged joint fit: {what}")

    params = {}
    for k in JOINT_PARAMS:
        value = data.get(JSON_NAMES[k])
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise bad(f"{JSON_NAMES[k]!r} is not a finite number (got {value!r})")
        params[k] = float(value)
    level = data.get("ci_level")
    if isinstance(level, bool) or not isinstance(level, int | float) or not 0 < level < 1:
        raise bad(f"'ci_level' is not a level in (0, 1) (got {level!r})")
    boot = data.get("bootstrap_draws")
    columns = boot.get("columns") if isinstance(boot, dict) else None
    names = [JSON_NAMES[k] for k in JOINT_PARAMS]
    if not isinstance(columns, list) or sorted(map(str, columns)) != sorted(names):
        raise bad(f"'bootstrap_draws' must name the columns {', '.join(names)}")
    try:
        rows = np.array(boot.get("rows"), dtype=np.float64)
    except (TypeError, ValueError):
        raise bad("'bootstrap_draws.rows' is not a table of numbers") from None
    if rows.ndim != 2 or rows.shape[1] != len(names) or rows.shape[0] < 2:
        raise bad(f"'bootstrap_draws.rows' has shape {rows.shape}; expected (draws, 5)")
    if not np.all(np.isfinite(rows)):
        raise bad("'bootstrap_draws.rows' holds non-finite values")
    draws = rows[:, [columns.index(n) for n in names]]
    ci = {
        k: tuple(data[f"{JSON_NAMES[k]}_ci"])
        for k in JOINT_PARAMS
        if isinstance(data.get(f"{JSON_NAMES[k]}_ci"), list)
    }
    fit = JointFit(
        **params,
        ci=ci,
        n_points=int(data.get("n_points") or 0),
        huber_delta=float(data.get("huber_delta") or 0.0),
        n_bootstrap=int(draws.shape[0]),
        ci_level=float(level),
        draws=draws,
    )
    return fit, raw


def _kind_of(data) -> str:
    """What a JSON file is, in words, for the error when it is not a joint fit."""
    if not isinstance(data, dict):
        return f"JSON {type(data).__name__}"
    kind = data.get("kind")
    if isinstance(kind, str) and kind:
        return kind
    if "study" in data:  # a study's summary.json or a sweep manifest
        what = "summary" if "results" in data else "manifest"
        return f"{data['study']} {what}"
    if "alpha" in data and "window" in data:
        return "power-law-fit"  # from 'fit' without --joint, before it wrote its kind
    return "unrecognised JSON"
