"""The regime studies: ``variance-limited``, ``ambient-invariance``, ``loss-powers``,
``compute-frontier`` (argument parsing and printing only; the science is in ``studies``)."""

from __future__ import annotations

from pathlib import Path

from ..errors import InputError
from ..report import verdict_table
from ..studies.ambient import AMBIENT_BASE, AmbientInvarianceConfig, run_ambient_invariance
from ..studies.joint_scaling import JOINT_BASE, JointScalingConfig, run_joint_scaling
from ..studies.loss_powers import LOSS_POWERS_BASE, LossPowersConfig, run_loss_powers
from ..studies.variance_limited import (
    VarianceLimitedConfig,
    contrast_from_summary,
    run_variance_limited,
)
from ..sweep import add_sweep_arguments, sweep_options_from_args
from ._regime_args import (
    add_common_arguments,
    add_manifold_teacher_arguments,
    base_config,
    override,
    positive_int_list,
)
from ._study_args import add_study_arguments, study_config_from_args


def register(subparsers) -> None:
    _register_variance(subparsers)
    _register_ambient(subparsers)
    _register_loss_powers(subparsers)
    _register_frontier(subparsers)


# --- variance-limited ----------------------------------------------------------------------------


def _register_variance(subparsers) -> None:
    p = subparsers.add_parser(
        "variance-limited",
        help="a small student with D >> P: L(D) - L(inf) ~ D^-1 (Bahri et al. 2021)",
        description="Train one small student on fresh data and polish it by L-BFGS on a large "
        "population sample (theta*), then for each (D, seed) find "
        "the training-set minimiser by full-batch float64 L-BFGS from theta*; fit "
        "L = E + A D^-alpha with the floor fitted and compare alpha with 1 (and with 4/d).",
    )
    add_common_arguments(p)
    g = p.add_argument_group("variance-limited sweep")
    g.add_argument("--d", type=positive_int_list, help="intrinsic dimension")
    g.add_argument("--sizes", type=positive_int_list, nargs="+", help="training-set sizes D")
    g.add_argument("--width", type=positive_int_list, help="student width (small: D >> P)")
    g.add_argument("--depth", type=positive_int_list, help="student hidden layers")
    g.add_argument(
        "--pretrain-steps", type=positive_int_list, help="fresh-data Adam steps to theta*"
    )
    g.add_argument(
        "--population-size", type=positive_int_list, help="sample that polishes theta* (>> D)"
    )
    g.add_argument(
        "--population-lbfgs-steps",
        type=positive_int_list,
        help="L-BFGS iterations polishing theta*",
    )
    g.add_argument(
        "--lbfgs-steps", type=positive_int_list, help="full-batch L-BFGS iterations per D"
    )
    g.add_argument("--precision", help="float32 | float64 (default float64)")
    g.add_argument("--n-test", type=positive_int_list, help="shared test points")
    g.add_argument("--min-ratio", type=float, help="fit sizes with D >= this x P")
    g.add_argument(
        "--contrast", type=Path, help="a data-scaling summary.json to quote alpha_D at the same d"
    )
    add_manifold_teacher_arguments(p)
    add_sweep_arguments(p)
    p.set_defaults(func=_run_variance)


_VARIANCE_FLAGS = {
    "d": "d",
    "sizes": "sizes",
    "seeds": "seeds",
    "seed": "seed",
    "width": "width",
    "depth": "depth",
    "pretrain_steps": "pretrain_steps",
    "population_size": "population_size",
    "population_lbfgs_steps": "population_lbfgs_steps",
    "lbfgs_steps": "lbfgs_steps",
    "precision": "precision",
    "n_test": "n_test",
    "min_ratio": "min_ratio",
    "latent": "latent",
    "ambient_dim": "ambient_dim",
    "embedding": "embedding",
    "bootstrap": "n_bootstrap",
}


def _run_variance(args) -> int:
    config = override(base_config(args, VarianceLimitedConfig()), _VARIANCE_FLAGS, args)
    contrast = contrast_from_summary(args.contrast, config.d) if args.contrast else None
    out = Path(args.out or "results/variance-limited")
    summary = run_variance_limited(
        config,
        out,
        options=sweep_options_from_args(args),
        make_figures=not args.no_figures,
        contrast=contrast,
    )
    r = summary["result"]
    print(
        f"d = {r['d']}, P = {r['n_params']}: alpha = {r['alpha']:.3f} "
        f"[{r['alpha_ci'][0]:.3f}, {r['alpha_ci'][1]:.3f}] (prediction 1; resolution-limited "
        f"4/d = {r['resolution_alpha']:.2f}); L(inf) fitted {r['floor']:.4g} "
        f"(theta* scores {r['reference_loss']:.4g})"
    )
    print(r["reading"])
    _wrote(out, summary)
    return 0


# --- ambient invariance -----------------------------------------------------------------------


def _register_ambient(subparsers) -> None:
    p = subparsers.add_parser(
        "ambient-invariance",
        help="the same d in several ambient dimensions and embeddings: same alpha_D?",
        description="Run the data-scaling study for every (ambient dimension, embedding) pair "
        "and test whether every fitted alpha lies inside every other's interval. The study flags "
        "set the shared base config (default: d = 4, D = 64..1024, width 96).",
    )
    add_study_arguments(p)
    g = p.add_argument_group("variants")
    g.add_argument("--ambient-dims", type=positive_int_list, nargs="+", help="ambient dimensions")
    g.add_argument("--embeddings", nargs="+", help="pad | rotation | network (several)")
    add_sweep_arguments(p)
    p.set_defaults(func=_run_ambient)


def _run_ambient(args) -> int:
    for flag, name in (("ambient_dim", "--ambient-dim"), ("embedding", "--embedding")):
        if getattr(args, flag) is not None:
            raise InputError(name, "the variants are set by --ambient-dims and --embeddings")
    base = study_config_from_args(args, AMBIENT_BASE)
    kw = {}
    if args.ambient_dims:
        kw["ambient_dims"] = tuple(args.ambient_dims)
    if args.embeddings:
        kw["embeddings"] = tuple(args.embeddings)
    config = AmbientInvarianceConfig(base=base, **kw)
    out = Path(args.out or "results/ambient-invariance")
    summary = run_ambient_invariance(
        config, out, options=sweep_options_from_args(args), make_figures=not args.no_figures
    )
    print(_variants_table(summary))
    print(f"\n{summary['reading']}")
    _wrote(out, summary)
    return 0


# --- loss powers ------------------------------------------------------------------------------


def _register_loss_powers(subparsers) -> None:
    p = subparsers.add_parser(
        "loss-powers",
        help="losses |y - y_hat|^p (alpha = 2p/d) and cross-entropy (alpha = 4/d)",
        description="Run the data-scaling study with each loss power p (train and test loss "
        "|y - y_hat|^p, prediction 2p/d) and with a classification teacher and KL loss "
        "(prediction 4/d).",
    )
    add_study_arguments(p)
    g = p.add_argument_group("variants")
    g.add_argument("--powers", type=float, nargs="+", help="loss powers p (default 1 2 4)")
    g.add_argument(
        "--no-classification", action="store_true", help="skip the cross-entropy variant"
    )
    add_sweep_arguments(p)
    p.set_defaults(func=_run_loss_powers)


def _run_loss_powers(args) -> int:
    for flag, name in (("loss_power", "--loss-power"), ("task", "--task")):
        if getattr(args, flag) is not None:
            raise InputError(name, "the variants are set by --powers and --no-classification")
    base = study_config_from_args(args, LOSS_POWERS_BASE)
    kw = {"classification": not args.no_classification}
    if args.powers:
        kw["powers"] = tuple(float(p) for p in args.powers)
    config = LossPowersConfig(base=base, **kw)
    out = Path(args.out or "results/loss-powers")
    summary = run_loss_powers(
        config, out, options=sweep_options_from_args(args), make_figures=not args.no_figures
    )
    print(_variants_table(summary))
    print(f"\n{summary['reading']}")
    _wrote(out, summary)
    return 0


# --- joint fit and compute frontier -----------------------------------------------------------


def _register_frontier(subparsers) -> None:
    p = subparsers.add_parser(
        "compute-frontier",
        help="grid over (N, D), joint fit L = E + A N^-a + B D^-b, compute-optimal frontier",
        description="Run the data-scaling study at several student widths (one d), fit "
        "L(N, D) = E + A N^-a + B D^-b (Hoffmann et al. 2022 approach 3) and compare a, b with "
        "4/d and the frontier exponent ab/(a+b) with 2/d (compute C ~ N D).",
    )
    add_study_arguments(p)
    g = p.add_argument_group("grid")
    g.add_argument("--widths", type=positive_int_list, nargs="+", help="student widths")
    g.add_argument("--frontier-points", type=positive_int_list, help="points on the frontier")
    add_sweep_arguments(p)
    p.set_defaults(func=_run_frontier)


def _run_frontier(args) -> int:
    if args.width is not None:
        raise InputError("--width", "the grid's widths are set by --widths")
    base = study_config_from_args(args, JOINT_BASE)
    kw = {}
    if args.widths:
        kw["widths"] = tuple(args.widths)
    if args.frontier_points:
        kw["frontier_points"] = args.frontier_points
    config = JointScalingConfig(base=base, **kw)
    out = Path(args.out or "results/compute-frontier")
    summary = run_joint_scaling(
        config, out, options=sweep_options_from_args(args), make_figures=not args.no_figures
    )
    f = summary["fit"]
    print(
        f"d = {summary['d']}: E = {f['E']:.3g}, a = {f['a']:.3f} {_ci(f['ci']['a'])}, "
        f"b = {f['b']:.3f} {_ci(f['ci']['b'])} (4/d = {summary['predicted_exponent']:.3f})"
    )
    print(
        f"frontier exponent ab/(a+b) = {summary['frontier_exponent']:.3f} "
        f"(2/d = {summary['predicted_frontier_exponent']:.3f})"
    )
    _wrote(out, summary)
    return 0


# --- printing ---------------------------------------------------------------------------------


def _ci(ci) -> str:
    return f"[{ci[0]:.3f}, {ci[1]:.3f}]"


def _variants_table(summary: dict) -> str:
    """The data-scaling verdict table, one row per (variant, d), labelled by the variant."""
    rows = []
    for v in summary["variants"]:
        r = dict(v["result"])
        r["reading"] = f"[{v['label']}] {r['reading']}"
        rows.append(r)
    return verdict_table({"results": rows})


def _wrote(out: Path, summary: dict) -> None:
    files = ", ".join(str(out / f) for f in summary.get("figures", {}).values())
    print(f"\nWrote {out / 'summary.json'}" + (f", {files}" if files else ""))


__all__ = ["register"]
