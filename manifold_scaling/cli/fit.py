"""``manifold-scaling fit``: a power law in size (with the data-scaling window rule when the table
has train losses), or with ``--joint`` the parametric ``L(N, D)`` of Hoffmann et al. 2022.

Both fits are the Hoffmann et al. 2022 (approach 3) recipe as corrected by Besiroglu et al. 2024:
log-space residuals, a summed Huber loss (delta = 1e-3), a grid of starts, L-BFGS-B
(``manifold_scaling.fitting``). The single-curve fit, its window rule and its reading are
``manifold_scaling.tables.fit_table`` (the studies' ``analyse_curve``); only argument checking,
file I/O and the figures live here.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import sys
from pathlib import Path

from ..errors import InputError, check_float, check_int

log = logging.getLogger(__name__)

DESCRIPTION = (
    "Fit L = A * size^-alpha (+ E with --floor) in log space with a summed Huber loss "
    "(Hoffmann et al. 2022; Besiroglu et al. 2024) and a bootstrap interval; with --d, compare "
    "alpha with the resolution-limited prediction 2p/d (4/d for MSE). A table with a train_loss "
    "column (and n_params) is fitted inside the data-scaling window rule. With --joint, fit "
    "L(N, D) = E + A/N^alpha + B/D^beta to one training run per row. Prints JSON."
)

KIND = "power-law-fit"  # the ``kind`` of a single-curve fit's JSON
JOINT_KIND = "joint-fit"
JOINT_FORMAT = 1  # bump when a joint-fit file changes in a way ``predict`` must know about
FLOPS_PER_PARAM_TOKEN = 6.0  # C = 6 N D (Hoffmann et al. 2022; Kaplan et al. 2020)
# JointFit's field -> the name in the JSON (the papers' alpha and beta).
JSON_NAMES = {"E": "E", "A": "A", "a": "alpha", "B": "B", "b": "beta"}
MIN_JOINT_RUNS = 6  # five parameters

# Defaults of flags that default to None so that their presence can be detected.
_DEFAULTS = {
    "loss_power": 2.0,
    "interpolation_ratio": 0.1,
    "min_params_per_point": 4.0,
    "n_column": "N",
    "loss_column": "loss",
    "exclude_highest": 0,
}
_JOINT_ONLY = ("n_column", "d_column", "c_column", "loss_column", "exclude_highest")
_SINGLE_ONLY = ("d", "loss_power", "interpolation_ratio", "min_params_per_point")
# read_runs_csv's argument names -> the flags that set them.
_COLUMN_FLAGS = {
    "n_column": "--n-column",
    "d_column": "--d-column",
    "c_column": "--c-column",
    "loss_column": "--loss-column",
}


def register(subparsers) -> None:
    help_ = "fit a power law to a size,loss[,seed] CSV (or L(N, D) with --joint)"
    p = subparsers.add_parser("fit", help=help_, description=DESCRIPTION)
    p.add_argument(
        "losses_csv",
        metavar="LOSSES.csv",
        help="CSV with header size,loss[,seed][,train_loss][,n_params]; with --joint, one "
        "training run per row (RUNS.csv: columns N, D or C, loss)",
    )
    p.add_argument("--d", type=float, default=None, help="intrinsic dimension d (>= 1)")
    p.add_argument(
        "--loss-power",
        type=float,
        default=None,
        help="p in loss ~ error^p; the prediction is alpha = 2p/d (default 2: MSE, 4/d)",
    )
    p.add_argument("--floor", action="store_true", help="fit an additive floor E as well")
    p.add_argument("--ci", type=float, default=0.90, help="interval level in (0, 1) (default 0.9)")
    p.add_argument(
        "--bootstrap", type=int, default=500, help="bootstrap replicates (>= 10, default 500)"
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the bootstrap key (default 0)")
    p.add_argument("--out", default=None, metavar="FILE", help="also write the JSON here")
    p.add_argument(
        "--plot",
        default=None,
        metavar="FIG.png",
        help="write a figure: loss vs size with the fit and local slopes; with --joint, loss "
        "vs D and vs C coloured by N with the fitted law and the compute frontier",
    )
    w = p.add_argument_group("window rule (a table with a train_loss column)")
    w.add_argument(
        "--interpolation-ratio",
        type=float,
        default=None,
        metavar="R",
        help="a size enters the fit only if every seed has train <= r x test (default 0.1)",
    )
    w.add_argument(
        "--min-params-per-point",
        type=float,
        default=None,
        metavar="K",
        help="... and, with an n_params column, P >= k x size (default 4)",
    )
    j = p.add_argument_group(
        "joint fit", "L(N, D) = E + A/N^alpha + B/D^beta (Hoffmann et al. 2022, approach 3)"
    )
    j.add_argument("--joint", action="store_true", help="fit L(N, D) to one run per row")
    j.add_argument(
        "--n-column", default=None, metavar="NAME", help="column of parameters N (default N)"
    )
    j.add_argument(
        "--d-column", default=None, metavar="NAME", help="column of training tokens D (default D)"
    )
    j.add_argument(
        "--c-column",
        default=None,
        metavar="NAME",
        help="column of training compute C instead of D; then D = C / (6 N)",
    )
    j.add_argument(
        "--loss-column", default=None, metavar="NAME", help="column of final losses (default loss)"
    )
    j.add_argument(
        "--exclude-highest",
        type=int,
        default=None,
        metavar="K",
        help="leave out the K highest-loss runs (Besiroglu et al. 2024 left out 5; default 0)",
    )
    p.set_defaults(func=run)


def _validate(args) -> None:
    given = {k for k in (*_JOINT_ONLY, *_SINGLE_ONLY) if getattr(args, k) is not None}
    for k, v in _DEFAULTS.items():
        if getattr(args, k) is None:
            setattr(args, k, v)
    if args.joint:
        if args.floor:
            raise InputError("--floor", "not used by --joint (the joint fit always has a floor E)")
        for k in _SINGLE_ONLY:
            if k in given:
                raise InputError("--" + k.replace("_", "-"), "only without --joint")
        if args.c_column is not None and args.d_column is not None:
            raise InputError("--c-column", "give --d-column or --c-column, not both")
        for k in ("n_column", "d_column", "c_column", "loss_column"):
            value = getattr(args, k)
            if value is not None and not value.strip():
                raise InputError(_COLUMN_FLAGS[k], "must name a column (got an empty name)")
        check_int("--exclude-highest", args.exclude_highest, minimum=0)
    else:
        for k in _JOINT_ONLY:
            if k in given:
                raise InputError("--" + k.replace("_", "-"), "only with --joint")
        if args.d is not None:
            check_float("--d", args.d, minimum=1)
        check_float("--loss-power", args.loss_power, minimum=0, strict_min=True)
        check_float("--interpolation-ratio", args.interpolation_ratio, minimum=0, strict_min=True)
        check_float("--min-params-per-point", args.min_params_per_point, minimum=0)
    args.given = given
    ci = check_float("--ci", args.ci)
    if not 0.0 < ci < 1.0:
        raise InputError("--ci", f"must be a level in (0, 1) (got {ci})")
    check_int("--bootstrap", args.bootstrap, minimum=10)
    check_int("--seed", args.seed, minimum=0)
    if args.plot is not None:
        _check_plot_path(args.plot)


def _check_plot_path(path: str) -> None:
    """A figure format matplotlib writes, decided before any fitting (nothing is half-written)."""
    from matplotlib.figure import Figure

    suffix = Path(path).suffix.lower().lstrip(".")
    formats = Figure().canvas.get_supported_filetypes()
    if suffix not in formats:
        shown = ", ".join(f".{f}" for f in sorted(formats))
        got = f"'.{suffix}'" if suffix else "no suffix"
        raise InputError("--plot", f"cannot write a figure with {got} (use one of {shown})")
    if Path(path).is_dir():
        raise InputError("--plot", f"{path} is a directory; give a file name")


def run(args) -> int:
    _validate(args)
    if args.joint:
        return _run_joint(args)
    return _run_power_law(args)


# --- one power law ------------------------------------------------------------------------------


def _run_power_law(args) -> int:
    from ..fitting import read_loss_table

    table = read_loss_table(args.losses_csv)  # bad input fails before JAX loads
    if table.train_losses is None:
        for k in ("interpolation_ratio", "min_params_per_point"):
            if k in args.given:
                flag = "--" + k.replace("_", "-")
                raise InputError(flag, f"{args.losses_csv} has no train_loss column to apply it to")
    elif table.n_params is None and "min_params_per_point" in args.given:
        raise InputError(
            "--min-params-per-point", f"{args.losses_csv} has no n_params column to apply it to"
        )
    result = _fit_table(args, table)
    out = _power_law_json(result, args, windowed=table.train_losses is not None)
    status = 0
    if table.train_losses is not None:
        log.info("fit: window rule kept sizes %s", ", ".join(f"{s:g}" for s in result.window_sizes)
                 or "none")  # fmt: skip
        for size, why in out["excluded"].items():
            log.info("fit: excluded size %s: %s", size, why)
        if result.fit is None:
            sys.stderr.write(
                "manifold-scaling fit: no fit: fewer than 3 sizes pass the window rule "
                "(see 'excluded' in the JSON)\n"
            )
            status = 1
    if args.out:
        from ..configs import save_json

        save_json(args.out, out)
    json.dump(out, sys.stdout, indent=2)
    sys.stdout.write("\n")
    if args.plot:
        _save_plot("loss vs size", lambda: _power_law_figure(out, table, args.d), args.plot)
    return status


# fit_table's parameters -> the flags that set them (its errors name the flag).
_TABLE_FLAGS = {
    "with_floor": "--floor",
    "d": "--d",
    "loss_power": "--loss-power",
    "ci": "--ci",
    "n_bootstrap": "--bootstrap",
    "key": "--seed",
    "interpolation_ratio": "--interpolation-ratio",
    "min_params_per_point": "--min-params-per-point",
}


def _fit_table(args, table):
    """``tables.fit_table`` on the CSV's columns: the window rule, the fit and the reading."""
    from .. import keys
    from ..tables import fit_table

    columns = {"size": table.sizes, "loss": table.losses}
    names = {"size": "size", "loss": "loss"}
    if table.seeds is not None:
        columns["seed"], names["group"] = table.seeds, "seed"
    windowed = table.train_losses is not None
    if windowed:
        columns["train_loss"], names["train_loss"] = table.train_losses, "train_loss"
        if table.n_params is not None:
            columns["n_params"], names["n_params"] = table.n_params, "n_params"
    rule = {}
    if windowed:
        rule["interpolation_ratio"] = args.interpolation_ratio
        if table.n_params is not None:
            rule["min_params_per_point"] = args.min_params_per_point
    try:
        return fit_table(
            columns, **names, d=args.d, loss_power=args.loss_power, ci=args.ci,
            key=keys.key(args.seed), with_floor=args.floor, n_bootstrap=args.bootstrap, **rule,
        )  # fmt: skip
    except InputError as err:
        flag = _TABLE_FLAGS.get(err.parameter, "LOSSES.csv")
        raise InputError(flag, str(err).removeprefix(f"{err.parameter}: ")) from None


def _power_law_json(result, args, *, windowed: bool) -> dict:
    """The JSON of a single-curve fit (a public contract: fields are added, never renamed)."""
    if result.fit is not None:
        out = {"kind": KIND, **result.fit, "window_decades": result.window_decades}
    else:
        out = {"kind": KIND, "alpha": None, "alpha_ci": None, "window": None, "n_points": 0}
        out["window_decades"] = result.window_decades
    out["local_slopes"] = result.local_slopes.to_dict()
    if windowed:
        out["window_rule"] = result.window_rule
        out["kept_sizes"] = list(result.window_sizes)
        out["excluded"] = dict(result.excluded)
        out["per_size"] = [dict(p) for p in result.per_size]
        out["interpolation_ratio"] = args.interpolation_ratio
        has_params = "n_params" in result.columns
        out["min_params_per_point"] = args.min_params_per_point if has_params else None
    _common_fields(out, args)
    if args.d is not None:
        out.update(
            d=result.d,
            predicted_alpha=result.predicted_alpha,
            ratio=result.ratio,
            # an equivalence call: the whole interval inside [0.8, 1.25] x 2p/d
            consistent_with_4_over_d=result.consistent,
            reading=result.reading,
        )
    return out


def _common_fields(out: dict, args) -> None:
    from ..provenance import package_versions

    out["loss_power"] = args.loss_power
    out["seed"] = args.seed
    out["input"] = args.losses_csv
    out["versions"] = package_versions()


def _power_law_figure(out: dict, table, d):
    """Loss vs size with the fit over its window, and the local slopes
    (``plots.loss_vs_size`` and ``plots.local_slope_plot`` on a one-curve summary)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from ..plots import local_slope_plot, loss_vs_size

    res = {
        "d": d,
        "alpha": out.get("alpha"),
        "alpha_ci": out.get("alpha_ci"),
        "fit": out,
        "fit_window": out.get("window"),
        "predicted_alpha": out.get("predicted_alpha"),
        "local_slopes": out.get("local_slopes"),
    }
    summary = {"results": [res]}
    rows = [{"d": d, "size": s, "test_loss": v} for s, v in zip(table.sizes, table.losses)]
    fig = Figure(figsize=(12.0, 4.6))
    FigureCanvasAgg(fig)
    left, right = fig.subplots(1, 2)
    loss_vs_size(summary, rows, x_key="size", x_label="size", ax=left)
    local_slope_plot(summary, x_label="size", ax=right)
    fig.tight_layout()
    return fig


def _save_plot(name: str, draw, path: str) -> None:
    """Draw and write the figure; a plotting failure is logged and costs only the figure (the
    JSON is already written), as everywhere in ``manifold_scaling.plots``."""
    from ..plots import save_figure

    try:
        save_figure(draw(), path)
    except Exception:
        log.warning("figure %r (%s) failed and was not written", name, path, exc_info=True)


# --- the joint fit L(N, D) ----------------------------------------------------------------------


def _read_runs(args):
    from ..fitting import read_runs_csv

    try:
        return read_runs_csv(
            args.losses_csv,
            n_column=args.n_column,
            loss_column=args.loss_column,
            d_column=args.d_column,
            c_column=args.c_column,
            flops_per_param_token=FLOPS_PER_PARAM_TOKEN,
        )
    except InputError as err:
        if err.parameter not in _COLUMN_FLAGS:
            raise
        flag = _COLUMN_FLAGS[err.parameter]
        raise InputError(flag, str(err).removeprefix(f"{err.parameter}: ")) from None


def _run_joint(args) -> int:
    import numpy as np

    runs = _read_runs(args)  # bad input fails before JAX loads
    n_rows = runs.losses.size
    k = args.exclude_highest
    # Stable order: among equal losses the earlier row goes first, so the choice is reproducible.
    order = np.argsort(-runs.losses, kind="stable")
    dropped = np.sort(order[:k])
    keep = np.ones(n_rows, bool)
    keep[dropped] = False
    n_kept = int(keep.sum())
    if n_kept < MIN_JOINT_RUNS:
        after = f" after leaving out the {k} highest-loss ones" if k else ""
        raise InputError(
            "RUNS.csv",
            f"{args.losses_csv} has {n_kept} run(s){after}; a joint fit of 5 parameters needs "
            f"at least {MIN_JOINT_RUNS}",
        )
    for role, values in (("N", runs.N), ("D", runs.D)):
        n_distinct = np.unique(values[keep]).size
        if n_distinct < 3:
            flag = (
                "--n-column"
                if role == "N"
                else ("--c-column" if runs.C is not None else "--d-column")
            )
            raise InputError(
                flag,
                f"the fit needs at least 3 distinct values of {role} (got {n_distinct} in "
                f"{args.losses_csv})",
            )

    from .. import keys
    from ..fitting import fit_joint_scaling

    fit = fit_joint_scaling(
        runs.N[keep],
        runs.D[keep],
        runs.losses[keep],
        key=keys.key(args.seed),
        n_bootstrap=args.bootstrap,
        ci=args.ci,
    )
    out = _joint_json(fit, runs, dropped, args)
    text = joint_json_text(out)
    if args.out:
        from ..configs import atomic_write_bytes

        atomic_write_bytes(args.out, text.encode())
    sys.stdout.write(text)
    if args.plot:
        from ..plots.joint import joint_fit_figure

        def draw():
            return joint_fit_figure(fit, runs, keep=keep, compute_per_nd=FLOPS_PER_PARAM_TOKEN)

        _save_plot("joint fit", draw, args.plot)
    return 0


def _joint_json(fit, runs, dropped, args) -> dict:
    """The joint fit as ``predict`` reads it: the papers' names, intervals, allocation, draws."""
    from ..fitting import JOINT_PARAMS
    from ..provenance import package_versions

    out = {
        "kind": JOINT_KIND,
        "format": JOINT_FORMAT,
        "model": "L(N, D) = E + A / N^alpha + B / D^beta",
        "recipe": (
            "Hoffmann et al. 2022 approach 3 as in Besiroglu et al. 2024: log-space residuals "
            "of a log-sum-exp, Huber loss summed over runs, a grid of starts, L-BFGS-B"
        ),
    }
    for field, name in JSON_NAMES.items():
        out[name] = getattr(fit, field)
        out[f"{name}_ci"] = list(fit.ci[field])
    alloc = fit.allocation_exponents()
    out["compute_optimal"] = {
        "compute": f"C = {FLOPS_PER_PARAM_TOKEN:g} N D",
        "N_opt_exponent": alloc["N_opt_exponent"],  # N* ∝ C^(beta / (alpha + beta))
        "N_opt_exponent_ci": alloc.get("N_opt_exponent_ci"),
        "D_opt_exponent": alloc["D_opt_exponent"],  # D* ∝ C^(alpha / (alpha + beta))
        "D_opt_exponent_ci": alloc.get("D_opt_exponent_ci"),
        "loss_exponent": alloc["loss_exponent"],  # L* - E ∝ C^-(alpha beta / (alpha + beta))
        "loss_exponent_ci": alloc.get("loss_exponent_ci"),
    }
    for key in ("N_opt_exponent", "D_opt_exponent"):
        if not math.isfinite(out["compute_optimal"][key]):
            out["compute_optimal"][key] = None  # an exponent at 0: no finite optimum
    out.update(
        ci_level=fit.ci_level,
        interval="pairs-bootstrap-percentile",
        n_bootstrap=fit.n_bootstrap,
        huber_delta=fit.huber_delta,
        n_points=fit.n_points,
        n_rows=int(runs.losses.size),
        columns={
            **runs.columns,
            "D_from_C": (
                f"D = C / ({runs.flops_per_param_token:g} N)" if runs.C is not None else None
            ),
        },
        excluded={
            "rule": f"the {args.exclude_highest} highest-loss run(s)",
            "n": int(len(dropped)),
            "runs": [
                {
                    "line": int(runs.lines[i]),
                    "N": float(runs.N[i]),
                    "D": float(runs.D[i]),
                    "loss": float(runs.losses[i]),
                }
                for i in dropped
            ],
        },
        seed=args.seed,
        input=args.losses_csv,
        input_sha256=_sha256(args.losses_csv),
        versions=package_versions(),
        bootstrap_draws={
            "columns": [JSON_NAMES[k] for k in JOINT_PARAMS],
            "rows": fit.draws.tolist(),
        },
    )
    return out


def joint_json_text(out: dict) -> str:
    """JSON with two-space indents, except one line per bootstrap draw (else 5 lines each)."""
    rows = out["bootstrap_draws"]["rows"]
    marks = [f"@@draw{i}@@" for i in range(len(rows))]
    shallow = {**out, "bootstrap_draws": {**out["bootstrap_draws"], "rows": marks}}
    text = json.dumps(shallow, indent=2)
    for mark, row in zip(marks, rows):
        text = text.replace(f'"{mark}"', json.dumps(row), 1)
    return text + "\n"


def _sha256(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
