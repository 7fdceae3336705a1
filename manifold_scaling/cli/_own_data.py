"""``data-scaling --data X --targets y``: the data-scaling test on the user's own arrays.

The ``data-scaling`` flags that mean the same thing for user data (sizes, seeds, the student, the
training budget, the window rule, the bootstrap) set the :class:`OwnDataConfig`; those that describe
a generated manifold or teacher (dims, latent, ambient dimension, teacher flags) are refused, each
with one line naming it, since silently ignoring them would run a study the user did not ask for.
"""

from __future__ import annotations

import json

from ..errors import InputError
from ..intrinsic_dim import ESTIMATORS
from ..studies.own_data import TASKS, OwnDataConfig
from ._flags import _Store, apply_flags, config_flags, given, show, translate

# The command-only flags of this path (added to data-scaling as extra flags).
EXTRA = (
    (
        "--data",
        {
            "metavar": "FILE",
            "help": "run the study on your own inputs X (.npy, .npz or .csv with a header); "
            "the intrinsic dimension of X is measured and alpha_D checked against 4/d_hat",
        },
    ),
    (
        "--targets",
        {
            "metavar": "FILE_OR_COLUMN",
            "help": "with --data: targets y (a file, or a column name of a CSV --data; default: "
            "array y of an .npz --data)",
        },
    ),
    ("--data-key", {"help": "with --data FILE.npz: the array holding X (default: X or x)"}),
    ("--targets-key", {"help": "with an .npz: the array holding y (default: y)"}),
    (
        "--id-estimator",
        {
            "choices": ESTIMATORS,
            "default": None,
            "action": _Store,  # noted as given, so that it overrides --config
            "help": "with --data: the estimator of the intrinsic dimension d_hat of X "
            f"(default: {OwnDataConfig(data='-').id_estimator})",
        },
    ),
)
_OWN = ("data", "targets", "data_key", "targets_key")
# Own-data flags that mean nothing for generated data (whose d is known).
_ONLY_OWN = ("id_estimator",)


def wanted(args) -> bool:
    """Whether the command line asks for the own-data path (any of its flags given)."""
    return any(getattr(args, name, None) is not None for name in _OWN) or any(
        name in given(args) for name in _ONLY_OWN
    )


# Defaults with --data that are no single value.
_NOTES = {
    "n_test": "a quarter of the points, at most 2000",
    "learners": "network, and kernel for regression targets (no simplex: no latent chart)",
}


def describe(parser, flags) -> None:
    """``data-scaling --help`` for ``--data``: each flag that applies there shows the default it
    has with --data where that differs, ``--task`` also takes ``auto`` (the default with --data),
    and ``--data``'s help lists the flags that do not apply (``flags``: the command's own)."""
    own = {f.dest: f for f in own_flags()}
    for action in parser._actions:  # argparse keeps no public list of a parser's actions
        f = own.get(action.dest)
        if f is None or not action.option_strings:
            continue
        if action.dest == "task":
            action.choices = TASKS
            action.help = (
                "regression (MSE) | classification (cross-entropy) (default: regression); with "
                "--data also auto, the default there: integer targets with at most 32 distinct "
                "values are classification"
            )
        elif action.dest in _NOTES:
            action.help = f"{action.help}; with --data: {_NOTES[action.dest]}"
        elif action.dest not in _OWN + _ONLY_OWN and show(action.default) != show(f.default):
            action.help = f"{action.help}; with --data: {show(f.default)}"
    refused = [f.flag for f in flags if f.dest not in own]
    for action in parser._actions:
        if action.dest == "data":
            action.help = (
                f"{action.help}. With --data, the flags of the study, the student and training "
                "apply (where their default differs it is shown as 'with --data: ...'); "
                f"{', '.join(refused)}, --preset and --teacher describe generated data and "
                "are refused"
            )


def own_flags():
    """The flags of OwnDataConfig other than the file names (which are command-only flags)."""
    return [f for f in config_flags(OwnDataConfig(data="-")) if f.path[0] not in _OWN]


def config(flags, args) -> OwnDataConfig:
    """The own-data config from ``--data``/``--targets`` and the data-scaling flags that apply."""
    if args.data is None:
        for name in _ONLY_OWN:
            if name in given(args):
                flag = "--" + name.replace("_", "-")
                raise InputError(flag, "only with --data (generated data know their d)")
        raise InputError("--data", "give the inputs X with --targets, --data-key, --targets-key")
    own = own_flags()
    usable = {f.dest for f in own}
    for f in flags:  # the data-scaling command's flags
        if f.dest in given(args) and f.dest not in usable:
            raise InputError(f.flag, "does not apply with --data (it describes generated data)")
    for name in ("preset", "teacher"):
        if getattr(args, name, None):
            raise InputError(
                f"--{name}", "does not apply with --data (it describes generated data)"
            )
    base = OwnDataConfig(data="-")
    if args.config:
        from ..sweep import load_sweep_config

        base = load_sweep_config(OwnDataConfig, {"data": "-", **_read(args.config)})
    files = {name: getattr(args, name) for name in _OWN}
    try:
        return apply_flags(_with(base, files), own, args)
    except InputError as err:
        err = translate(err, own)
        if err.parameter in _OWN:
            name = "--" + err.parameter.replace("_", "-")
            raise InputError(name, str(err).split(": ", 1)[-1]) from None
        raise err from None


def _read(path) -> dict:
    text = path.read_text()
    if path.suffix == ".toml":
        import tomllib

        return tomllib.loads(text)
    return json.loads(text)


def _with(base: OwnDataConfig, files: dict) -> OwnDataConfig:
    from dataclasses import replace

    return replace(base, **{k: v for k, v in files.items() if v is not None})


def run(config: OwnDataConfig, args, options) -> int:
    from ..report import verdict_table
    from ..studies.own_data import run_own_data_config

    try:
        summary = run_own_data_config(
            config, args.out, options=options, make_figures=not args.no_figures
        )
    except InputError as err:  # loader and size checks name fields: show the flags
        if err.parameter in _OWN:
            name = "--" + err.parameter.replace("_", "-")
            raise InputError(name, str(err).split(": ", 1)[-1]) from None
        raise translate(err, own_flags()) from None
    print(report(summary, verdict_table))
    files = [
        args.out / "summary.json",
        *(args.out / f for f in summary.get("figures", {}).values()),
    ]
    print("\nWrote " + ", ".join(map(str, files)))
    return 0


def report(summary: dict, verdict_table) -> str:
    from ..studies.protocol import StudySummary

    data, lines = summary["data"], []
    lines.append(
        f"Data {data['path']} ({data['n_points']} x {data['n_features']}, {data['task']}, "
        f"sha256 {data['sha256'][:12]}...)"
    )
    for name, est in summary["intrinsic_dimension"].items():
        lines.append(
            f"ID ({name}): {est['dimension']:.2f} [{est['ci'][0]:.2f}, {est['ci'][1]:.2f}]"
        )
    lines += [verdict_table(StudySummary.from_dict(summary)), ""]
    for r in summary["results"]:
        lo, hi = r["predicted_alpha_range"]
        lines.append(
            f"{r['learner']}: alpha_D >= 4/d_hat in [{lo:.3f}, {hi:.3f}]? "
            f"{'yes' if r['satisfies_bound'] else 'no'}"
        )
    return "\n".join(lines)
