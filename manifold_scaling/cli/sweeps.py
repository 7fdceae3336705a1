"""The sweep commands, described in one table: config, run function, output and report.

Each command's flags are generated from the config it starts from (``_flags``), so ``--help``
shows the real defaults. Precedence: the command's config < ``--config FILE`` < the flags given.
Every command takes ``--dry-run`` (``manifold_scaling.dry_run``): the trials, compiled programs,
optimiser steps and an estimated time, with nothing trained or written.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

from ..errors import InputError
from ..report import local_slope_table, verdict_table
from ..studies.base import DataScalingConfig
from ..studies.data_scaling import run_data_scaling
from ..studies.digits import DigitsConfig, run_digits
from ..studies.joint_scaling import JOINT_BASE, JointScalingConfig, run_joint_scaling
from ..studies.model_scaling import ModelScalingConfig, run_model_scaling
from ..studies.presets import (
    PRESETS,
    REPRODUCE_SMOOTHNESS_NUS,
    reproduce_config,
    reproduce_smoothness,
)
from ..studies.protocol import StudySummary
from ..studies.reproduction import run_reproduction
from ..studies.variance_limited import (
    VarianceLimitedConfig,
    contrast_from_summary,
    run_variance_limited,
)
from ..studies.variants import (
    AMBIENT_BASE,
    LOSS_POWERS_BASE,
    SMOOTHNESS_BASE,
    AmbientInvarianceConfig,
    LossPowersConfig,
    SmoothnessScanConfig,
    run_ambient_invariance,
    run_loss_powers,
    run_smoothness_scan,
)
from ..sweep import add_sweep_arguments, load_sweep_config, sweep_options_from_args
from . import _own_data
from ._flags import add_flags, apply_flags, config_flags, translate

TEACHERS = ("tanh", "gelu", "softplus", "sin", "relu", "matern")
# One --bootstrap default for every command: the study configs' own (a preset keeps its value).
BOOTSTRAP = DataScalingConfig().n_bootstrap
# The teacher-network flags, which a Matérn field (a smoothness scan's teacher) does not use, and
# the Matérn flags, which the fresh-data studies do not use (their teachers are networks).
_NETWORK_TEACHER = (
    "teacher.gain",
    "teacher.depth",
    "teacher.width",
    "teacher.activation",
    "teacher.input_scale",
    "teacher.init",
    "teacher_target_r2",
    "teacher_length_band",
)
_MATERN_TEACHER = ("teacher.nu", "teacher.length_scale")

# --- reports (what each command prints) ---------------------------------------------------------


def _num(x, spec=".3f") -> str:
    return "–" if x is None else format(x, spec)


def _ci(ci) -> str:
    return "[no interval]" if ci is None else f"[{ci[0]:.3f}, {ci[1]:.3f}]"


def _tables(summary: dict, *, alpha_name: str, slopes: str) -> str:
    typed = StudySummary.from_dict(summary)
    return (
        f"{verdict_table(typed, alpha_name=alpha_name)}\n\n"
        f"Local slopes {slopes}:\n{local_slope_table(typed)}"
    )


def _report_data_scaling(summary: dict) -> str:
    return _tables(summary, alpha_name="α_D", slopes="as D doubles")


def _report_reproduce(summary: dict) -> str:
    return (
        f"{_report_data_scaling(summary['data_scaling'])}\n\nSmoothness scan (Matérn teachers; "
        f"written to smoothness/):\n{_report_smoothness(summary['smoothness'])}"
    )


def _finite(x) -> bool:
    return isinstance(x, int | float) and math.isfinite(x)


def _report_model_scaling(summary: dict) -> str:
    results = summary["results"]
    fractions = sorted({r.get("budget_fraction", 1.0) for r in results})
    lines = [_tables(summary, alpha_name="α_N", slopes="as N grows"), ""]
    for res in summary["results"]:
        flags = ", ".join(
            f"N={p['size']}: {'converged' if p['passes'] else 'NOT converged'} "
            + (
                f"(late drop {p['late_drop_max']:.0%})"
                if _finite(p.get("late_drop_max"))
                else "(too short to judge)"
            )
            for p in res["diagnostics"]["per_size"]
        )
        label = f"d={res['d']}" + (
            f", budget {res.get('budget_fraction', 1.0):g}" if len(fractions) > 1 else ""
        )
        lines.append(f"{label}: {flags}")
        ids = [
            f"{name} {res[key]:.2f}"
            for name, key in (("TwoNN", "layer_id_twonn_median"), ("MLE", "layer_id_mle_median"))
            if res.get(key) is not None
        ]
        if ids:
            lines.append(f"  last hidden layer's ID (median over students): {', '.join(ids)}")
        if res.get("wall_time_s"):
            lines.append(
                f"  trained in {res['wall_time_s'] / 60:.1f} min; the full budget would take "
                f"~{res['projected_full_budget_s'] / 3600:.1f} h here"
            )
    if len(fractions) > 1:
        lines += ["", "α_N against the training budget:"]
        lines += [f"d={d}: {text}" for d, text in summary.get("budget_reading", {}).items()]
    return "\n".join(lines)


def _report_variance(summary: dict) -> str:
    r = summary["result"]
    return (
        f"d = {r['d']}, P = {r['n_params']}: alpha = {_num(r['alpha'])} {_ci(r['alpha_ci'])} "
        f"(prediction 1; resolution-limited 4/d = {r['resolution_alpha']:.2f}); L(inf) fitted "
        f"{_num(r['floor'], '.4g')} (theta* scores {r['reference_loss']:.4g})\n{r['reading']}"
        + (
            f"\nthe resolution-limited sweep at d = {r['d']} measured alpha_D = "
            f"{r['contrast']['alpha']:.2f}"
            if (r.get("contrast") or {}).get("alpha") is not None
            else ""
        )
    )


def _report_variants(summary: dict) -> str:
    """The verdict table, one row per (variant, d), each reading labelled by its variant."""
    rows = [replace(v, reading=f"[{v.variant}] {v.reading}")
            for v in StudySummary.from_dict(summary).results]  # fmt: skip
    return f"{verdict_table(rows)}\n\n{summary['reading']}"


def _report_smoothness(summary: dict) -> str:
    """The verdict table per (nu, d, learner) and, per d, which line the network follows."""
    lines = [verdict_table(StudySummary.from_dict(summary)), ""]
    for v in summary.get("verdicts", []):
        pts = ", ".join(
            f"nu={p['nu']:g}: {_num(p['alpha_d_over_2'], '.2f')} (lines {p['piecewise_linear']:g}"
            f" / {p['kernel']:g})"
            for p in v["points"]
        )
        lines.append(f"{v['reading']} (alpha d/2: {pts})")
    return "\n".join(lines)


def _report_frontier(summary: dict) -> str:
    f, ci = summary["fit"], summary["fit"]["ci"]
    return (
        f"d = {summary['d']}: E = {f['E']:.3g}, a = {f['a']:.3f} {_ci(ci['a'])}, "
        f"b = {f['b']:.3f} {_ci(ci['b'])} (4/d = {summary['predicted_exponent']:.3f})\n"
        f"frontier exponent ab/(a+b) = {summary['frontier_exponent']:.3f} "
        f"(2/d = {summary['predicted_frontier_exponent']:.3f})"
    )


def _report_digits(summary: dict) -> str:
    lines = [
        f"ID ({name}): {est['dimension']:.2f} [{est['ci'][0]:.2f}, {est['ci'][1]:.2f}]"
        for name, est in summary["intrinsic_dimension"].items()
    ]
    keep = ("alpha", "alpha_ci", "predicted_alpha", "fit_window", "satisfies_bound", "reading")
    lines.append(json.dumps({k: summary["result"][k] for k in keep}, indent=2))
    return "\n".join(lines)


# --- the table ----------------------------------------------------------------------------------

# The doc of fields that carry no metadata yet (VarianceLimitedConfig's, the variant configs').
_HELP = {
    "d": "intrinsic dimension",
    "sizes": "training-set sizes D",
    "seeds": "replicates per D (each its own training set)",
    "seed": "master seed of the study",
    "latent": "latent manifold: cube | gaussian | sphere | torus",
    "ambient_dim": "ambient dimension the student sees (0: the latent itself)",
    "embedding": "embedding into the ambient space: pad | rotation | network",
    "teacher_target_r2": "teacher rule: choose the teacher gain so that its linear R^2 is this "
    "('none': keep the given gain)",
    "width": "student width (small: D >> P)",
    "depth": "student hidden layers",
    "pretrain_steps": "fresh-data Adam steps to theta*",
    "population_size": "sample that polishes theta* (>> D)",
    "population_lbfgs_steps": "L-BFGS iterations polishing theta*",
    "lbfgs_steps": "full-batch L-BFGS iterations per D",
    "precision": "float32 | float64",
    "n_test": "shared test points",
    "min_ratio": "fit sizes with D >= this x P",
    "n_bootstrap": "bootstrap resamples",
    "ci": "interval level",
    "ambient_dims": "ambient dimensions (one variant per ambient dimension and embedding)",
    "embeddings": "embeddings: pad | rotation | network (several)",
    "powers": "loss powers p, each a variant with loss |y - y_hat|^p",
    "classification": "also a cross-entropy variant (classification teacher)",
    "widths": "student widths of the grid",
    "frontier_points": "points on the compute frontier",
}


@dataclass(frozen=True)
class Sweep:
    """A sweep command: the config it starts from, how it runs and what it prints."""

    name: str
    help: str
    description: str
    default: object  # the config the command starts from (its flags show these values)
    run: Callable  # run(config, out, *, options, make_figures, **run_extra(args, config))
    report: Callable[[dict], str]  # what is printed before the list of files written
    hide: tuple[str, ...] = ()  # fields the study ignores: no flag
    refuse: Mapping[str, str] = field(default_factory=dict)  # flag -> the flag setting it here
    unused: tuple[str, ...] = ()  # fields the study ignores whose old flags stay, refused
    extra: tuple = ()  # command-only flags: (flag, add_argument keywords)
    start: Callable | None = None  # a fixed preset from args (reproduce): no config flags
    run_extra: Callable | None = None  # more keywords for run (variance-limited: contrast)
    # The studies ``run`` runs, for --dry-run: parts(config, out) -> [(run, config, out)]
    # (default: ``run`` itself, one study).
    parts: Callable | None = None

    def flags(self):
        if self.start is not None:
            return []
        return config_flags(
            self.default, helps=_HELP, hide=self.hide, refuse=self.refuse, unused=self.unused
        )


@dataclass(frozen=True)
class ReproduceMode:
    """``reproduce``'s only choice: the default design, ``--quick`` or ``--full``."""

    quick: bool = False
    full: bool = False


def _reproduce_mode(args) -> ReproduceMode:
    if args.quick and args.full:
        raise InputError("--full", "give --quick or --full, not both")
    return ReproduceMode(bool(args.quick), bool(args.full))


def _preset_flag(command: str) -> tuple:
    names = ", ".join(sorted(PRESETS[command]))
    return (
        "--preset",
        {
            "metavar": "NAME",
            "help": f"start from a published setup (flags given override it): {names}",
        },
    )


def _preset(command: str, name: str):
    """The preset ``name`` of ``command``, or an error naming the flag and the allowed values."""
    mine = PRESETS.get(command, {})
    if name in mine:
        return mine[name]
    owner = [c for c, presets in PRESETS.items() if name in presets]
    where = (
        f"{name} is a preset of {owner[0]}, not of {command}"
        if owner
        else f"unknown preset {name!r}"
    )
    allowed = ", ".join(sorted(mine)) or "none"
    raise InputError("--preset", f"{where}; {command}'s presets: {allowed}")


SWEEPS = {
    s.name: s
    for s in (
        Sweep(
            "reproduce",
            "the main job: data scaling at d = 2, 3, 4 (--full: and 6) with the reference "
            "learners, and a small smoothness scan (--dry-run says how long it takes here)",
            "Run the data-scaling verdict for d in {2, 3, 4} ({2, 3, 4, 6} with --full; network, "
            "simplex interpolation, "
            "kernel regression on the same data; the mechanism named per d) and a smoothness scan "
            "(Matérn nu = 0.5, 3.5 at d = 2, 3) into OUT/smoothness; prints both tables.",
            reproduce_config(),
            lambda mode, out, **kw: run_reproduction(mode.quick, out, full=mode.full, **kw),
            _report_reproduce,
            extra=(
                (
                    "--quick",
                    {
                        "action": "store_true",
                        "help": "a smoke version of a few minutes (fewer d, teachers and steps)",
                    },
                ),
                (
                    "--full",
                    {
                        "action": "store_true",
                        "help": "the larger design (d = 6 added, more sizes, teachers and "
                        "steps); see --dry-run for its time here",
                    },
                ),
            ),
            start=lambda args: _reproduce_mode(args),
            parts=lambda mode, out: [
                (run_data_scaling, reproduce_config(mode.quick, mode.full), out),
                (
                    run_smoothness_scan,
                    SmoothnessScanConfig(
                        base=reproduce_smoothness(mode.quick, mode.full),
                        nus=REPRODUCE_SMOOTHNESS_NUS,
                    ),
                    out / "smoothness",
                ),
            ],
        ),
        Sweep(
            "data-scaling",
            "test loss vs training-set size D for each d; alpha_D against 4/d",
            "Train ReLU students on D points of a d-dimensional manifold for each (d, D, seed), "
            "fit L = A D^-alpha over the window the diagnostics allow, compare with 4/d.",
            DataScalingConfig(),
            run_data_scaling,
            _report_data_scaling,
            extra=(
                _preset_flag("data-scaling"),
                (
                    "--teacher",
                    {
                        "choices": TEACHERS,
                        "help": "the teacher family: a network with this activation, or an exact "
                        "Matérn random field (--nu, --length-scale)",
                    },
                ),
                *_own_data.EXTRA,  # --data X --targets y: the same test on the user's arrays
            ),
        ),
        Sweep(
            "model-scaling",
            "test loss vs parameter count N at unlimited data for each d; alpha_N against 4/d",
            "Train depth-2 ReLU students of growing width on fresh samples at every step "
            "(Sharma & Kaplan 2020), keep the widths whose loss curves converged, fit "
            "L = A N^-alpha and compare alpha_N with 4/d.",
            ModelScalingConfig(),
            run_model_scaling,
            _report_model_scaling,
            extra=(_preset_flag("model-scaling"),),
            # Fresh data at every step: a fixed step count, no per-point budget, no L-BFGS.
            hide=(
                "train.steps_per_point",
                "train.min_steps",
                "train.max_steps",
                "train.lbfgs_steps",
                "train.steps",
            ),
            unused=_MATERN_TEACHER,
        ),
        Sweep(
            "variance-limited",
            "a small student with D >> P: L(D) - L(inf) ~ D^-1 (Bahri et al. 2021)",
            "Train one small student on fresh data and polish it by L-BFGS on a large "
            "population sample (theta*), then for each (D, seed) find the training-set minimiser "
            "by full-batch float64 L-BFGS from theta*; fit L = E + A D^-alpha with the floor "
            "fitted and compare alpha with 1 (and with 4/d).",
            VarianceLimitedConfig(),
            run_variance_limited,
            _report_variance,
            extra=(
                (
                    "--contrast",
                    {
                        "type": Path,
                        "help": "a data-scaling summary.json to quote alpha_D at the same d",
                    },
                ),
            ),
            run_extra=lambda args, config: {
                "contrast": contrast_from_summary(args.contrast, config.d)
                if args.contrast
                else None
            },
            unused=_MATERN_TEACHER,
        ),
        Sweep(
            "ambient-invariance",
            "the same d in several ambient dimensions and embeddings: same alpha_D?",
            "Run the data-scaling study for every (ambient dimension, embedding) pair and test "
            "whether every fitted alpha lies inside every other's interval. The study flags set "
            "the shared base config.",
            AmbientInvarianceConfig(base=replace(AMBIENT_BASE, n_bootstrap=BOOTSTRAP)),
            run_ambient_invariance,
            _report_variants,
            refuse={"--ambient-dim": "--ambient-dims", "--embedding": "--embeddings"},
        ),
        Sweep(
            "loss-powers",
            "losses |y - y_hat|^p (alpha = 2p/d) and cross-entropy (alpha = 4/d)",
            "Run the data-scaling study with each loss power p (train and test loss "
            "|y - y_hat|^p, prediction 2p/d) and with a classification teacher and KL loss "
            "(prediction 4/d).",
            LossPowersConfig(base=replace(LOSS_POWERS_BASE, n_bootstrap=BOOTSTRAP)),
            run_loss_powers,
            _report_variants,
            refuse={"--loss-power": "--powers", "--task": "--no-classification"},
        ),
        Sweep(
            "smoothness-scan",
            "Matérn teachers of smoothness nu: does the network follow min(nu, 2) or min(nu, d+1)?",
            "Run data scaling with an exact Matérn Gaussian-random-field teacher of every "
            "smoothness nu and every learner (the network, piecewise-linear simplex interpolation, "
            "ridgeless Laplace-kernel regression) on the same training sets; per d, say which "
            "line the network's alpha d/2 follows: min(nu, 2) (piecewise-linear, Sharma & Kaplan) "
            "or min(nu, d + 1) (kernel theory).",
            SmoothnessScanConfig(base=SMOOTHNESS_BASE),
            run_smoothness_scan,
            _report_smoothness,
            refuse={"--nu": "--nus", "--teacher": "--nus (the teacher is a Matérn field)"},
            unused=_NETWORK_TEACHER,
        ),
        Sweep(
            "compute-frontier",
            "grid over (N, D), joint fit L = E + A N^-a + B D^-b, compute-optimal frontier",
            "Run the data-scaling study at several student widths (one d), fit "
            "L(N, D) = E + A N^-a + B D^-b (Hoffmann et al. 2022 approach 3) and compare a, b "
            "with 4/d and the frontier exponent ab/(a+b) with 2/d (compute C ~ N D).",
            JointScalingConfig(base=replace(JOINT_BASE, n_bootstrap=BOOTSTRAP)),
            run_joint_scaling,
            _report_frontier,
            refuse={"--width": "--widths"},
            # The joint fit uses every grid point: no window rule, no floor option.
            hide=("ci", "min_decades"),
            unused=("with_floor", "interpolation_ratio", "min_params_per_point"),
        ),
        Sweep(
            "digits",
            "real data: intrinsic dimension of sklearn's digits and a ReLU classifier's alpha_D",
            "Measure the ID of scikit-learn's bundled digits (no download), train ReLU "
            "classifiers (cross-entropy) on growing subsets, and check alpha_D >= 4/d_hat.",
            DigitsConfig(),
            run_digits,
            _report_digits,
        ),
    )
}


# --- parser and run -----------------------------------------------------------------------------


def register(subparsers, name: str) -> None:
    """Add the sweep command ``name``."""
    sweep = SWEEPS[name]
    flags = sweep.flags()
    p = subparsers.add_parser(name, help=sweep.help, description=sweep.description)
    if sweep.start is None:
        p.add_argument(
            "--config",
            type=Path,
            help=f"JSON or TOML file of {type(sweep.default).__name__} fields (flags override it)",
        )
    add_flags(p, flags)
    out = Path("results") / name
    p.add_argument("--out", type=Path, default=out, help=f"output directory (default: {out})")
    p.add_argument("--no-figures", action="store_true", help="skip the PNG figures")
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="print the trials, compiled programs, optimiser steps and the time they would "
        "take here (from a 1-second step-rate probe), then exit: nothing is trained or written",
    )
    for flag, kwargs in sweep.extra:
        p.add_argument(flag, **kwargs)
    if name == "data-scaling":  # its --data path: the defaults and choices that apply there
        _own_data.describe(p, flags)
    add_sweep_arguments(p)
    p.set_defaults(func=partial(_run, sweep, flags), make_config=partial(_config, sweep, flags))


def _config(sweep: Sweep, flags, args):
    """The command's config: a ``--preset`` (or the command's default), updated by
    ``--config FILE`` and then by the flags given (which a summary records as overrides)."""
    if sweep.start is not None:
        return sweep.start(args)
    if _own_data.wanted(args):
        return _own_data.config(flags, args)
    config = sweep.default
    if getattr(args, "preset", None):
        config = _preset(sweep.name, args.preset)
    if args.config:
        config = load_sweep_config(type(config), args.config)
    try:
        config = _teacher_family(config, getattr(args, "teacher", None))
        config = apply_flags(config, flags, args)
    except InputError as err:
        raise translate(err, flags) from None
    return config


def _teacher_family(config, family: str | None):
    """``--teacher``: a network with that activation, or a Matérn field (which no R^2 rule
    calibrates, so the rule is turned off)."""
    if family is None:
        return config
    from dataclasses import replace

    if family == "matern":
        teacher = replace(config.teacher, kind="matern")
        return replace(config, teacher=teacher, teacher_target_r2=None)
    return replace(config, teacher=replace(config.teacher, kind="network", activation=family))


def _run(sweep: Sweep, flags, args) -> int:
    config = _config(sweep, flags, args)
    if args.dry_run:
        return _dry_run(sweep, config, args)
    if isinstance(config, _own_data.OwnDataConfig):
        return _own_data.run(config, args, sweep_options_from_args(args))
    extra = sweep.run_extra(args, config) if sweep.run_extra else {}
    summary = sweep.run(
        config,
        args.out,
        options=sweep_options_from_args(args),
        make_figures=not args.no_figures,
        **extra,
    )
    if getattr(args, "preset", None) or getattr(args, "teacher", None):
        from ..configs import save_json
        from ._flags import given

        summary["preset"] = getattr(args, "preset", None)
        teacher = ["teacher"] if getattr(args, "teacher", None) else []
        summary["overrides"] = sorted(given(args)) + teacher
        save_json(args.out / "summary.json", summary)
    print(sweep.report(summary))
    files = [
        args.out / "summary.json",
        *(args.out / f for f in summary.get("figures", {}).values()),
    ]
    print("\nWrote " + ", ".join(map(str, files)))
    return 0


def _dry_run(sweep: Sweep, config, args) -> int:
    """``--dry-run``: what the command would run (the trials its studies would hand the sweep
    runner), in how many compiled programs, how many optimiser steps, and how long here."""
    from .. import dry_run

    options = sweep_options_from_args(args)
    if isinstance(config, _own_data.OwnDataConfig):
        from ..studies.own_data import OWN_DATA, load_arrays, trial_configs

        x, y = load_arrays(config.data, config.targets, config.data_key, config.targets_key)
        plan = dry_run.Plan(
            [dry_run.part(OWN_DATA, trial_configs(config, x, y), args.out, options)]
        )
    elif sweep.parts is not None:
        plan = dry_run.plan(sweep.parts(config, args.out), options)
    else:
        extra = sweep.run_extra(args, config) if sweep.run_extra else {}
        plan = dry_run.plan([(sweep.run, config, args.out, extra)], options)
    print(dry_run.render(sweep.name, plan, dry_run.estimate(plan)))
    return 0
