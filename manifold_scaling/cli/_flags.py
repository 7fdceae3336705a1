"""Flags generated from a config dataclass: one per field, with the field's doc and default.

Only the CLI knows flag names. A top-level field ``n_val`` becomes ``--n-val`` (or the ``flag`` in
its metadata, or ``RENAMES``); a field named ``base`` (the data-scaling config a family of variants
shares) is flattened into its parent's flags; the teacher, student and training configs are
reached through ``NESTED``, whose flag names are a public contract. Library errors name fields
(``"teacher.gain"``); :func:`translate` names the flag instead.

Every command, generated or not, spells a concept one way (``ALIASES``: ``--with-floor``,
``--dims``, ``--train-steps``, ``--data-key``); :func:`harmonise` keeps the older spellings
working, hidden from ``--help``, and :func:`as_typed` makes an error name the spelling typed.
``docs/cli.md`` lists them.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import re
import types
import typing
from dataclasses import dataclass, replace

from ..errors import InputError

# Flags of the nested configs: flag -> (field path, help). Their names must not change.
NESTED = {
    "--task": ("teacher.task", "regression (MSE) | classification (cross-entropy)"),
    "--teacher-gain": ("teacher.gain", "teacher hidden-layer gain (with --teacher-r2 none)"),
    "--teacher-depth": ("teacher.depth", "teacher hidden layers"),
    "--teacher-width": ("teacher.width", "teacher hidden units"),
    "--teacher-activation": ("teacher.activation", "teacher nonlinearity"),
    "--input-scale": ("teacher.input_scale", "teacher input frequency"),
    "--nu": (
        "teacher.nu",
        "Matérn teacher smoothness: 0.5 | 1.5 | 2.5 | 3.5 (with --teacher matern)",
    ),
    "--length-scale": ("teacher.length_scale", "Matérn teacher correlation length (> 0)"),
    "--teacher-init": ("teacher.init", "teacher weights: normal N(0, g^2/fan_in) | uniform"),
    "--student-init": ("student.init", "student weights: he | uniform (PyTorch) | normal"),
    "--student-bias-std": ("student.bias_std", "student bias SD (with --student-init normal)"),
    "--train-steps": ("train.steps", "a fixed optimiser budget for every D ('none': by D)"),
    "--width": ("student.width", "student width"),
    "--depth": ("student.depth", "student hidden layers"),
    "--optimizer": ("train.optimizer", "first-order optimiser"),
    "--lr": ("train.learning_rate", "peak learning rate (warm-up, then decay)"),
    "--batch-size": ("train.batch_size", "minibatch size"),
    "--steps-per-point": ("train.steps_per_point", "optimiser steps per training point"),
    "--min-steps": ("train.min_steps", "fewest optimiser steps per student"),
    "--max-steps": ("train.max_steps", "most optimiser steps per student"),
    "--precision": ("train.precision", "float32 | float64"),
    "--lbfgs-steps": ("train.lbfgs_steps", "full-batch L-BFGS refinement steps"),
    "--gn-steps": (
        "train.gn_steps",
        "full-batch Levenberg-Marquardt (Gauss-Newton) polish steps after Adam (MSE regression)",
    ),
}
# Every study's default bootstrap resamples (``DataScalingConfig().n_bootstrap``; a test pins the
# two together): ``--bootstrap`` shows it on every command without importing the studies.
DEFAULT_BOOTSTRAP = 1000
# Top-level fields whose flag is not their name (metadata aside): the one spelling of each concept
# across commands (``ALIASES``), e.g. variance-limited's single ``d`` is ``--dims`` as elsewhere.
RENAMES = {
    "n_bootstrap": "--bootstrap",
    "teacher_target_r2": "--teacher-r2",
    "d": "--dims",
    "steps": "--train-steps",
}
# One spelling per concept across commands: canonical flag -> its older spellings, which still
# parse (hidden from --help; :func:`harmonise` adds them to every command that has the concept).
# Errors name the spelling the user typed (:func:`as_typed`).
ALIASES = {
    "--with-floor": ("--floor",),
    "--no-with-floor": ("--no-floor",),
    "--dims": ("--d",),
    "--train-steps": ("--steps",),
    "--data-key": ("--key",),
}
_CANONICAL = {old: new for new, olds in ALIASES.items() for old in olds}
# The CLI's own words for fields whose library doc describes the config value, not the flag.
_CLI_HELP = {
    "learners": "learners run on every training set, one or more of: network, simplex "
    "(piecewise-linear, d <= 5), kernel (ridgeless Laplace); 'all': every one that applies",
}
FLATTEN = ("base",)
# Integer fields where 0 means something (no ambient space, no L-BFGS); every other must be >= 1.
_ZERO_OK = {
    "seed",
    "ambient_dim",
    "lbfgs_steps",
    "gn_steps",
    "population_lbfgs_steps",
    "layer_id_k",
}
_GROUPS = {
    "latent": "manifold",
    "ambient_dim": "manifold",
    "embedding": "manifold",
    "embedding_gain": "manifold",
    "noise_std": "manifold",
    "teacher": "teacher",
    "teacher_target_r2": "teacher",
    "student": "student and training",
    "train": "student and training",
}
GIVEN = "given_flags"  # the namespace attribute listing the flags on the command line


@dataclass(frozen=True)
class Flag:
    """A command-line flag and the config field it sets."""

    flag: str
    path: tuple[str, ...]  # from the command's config, e.g. ("base", "train", "learning_rate")
    help: str
    annotation: object
    default: object  # the value in the config the command starts from
    group: str
    refused: str | None = None  # why this command refuses the flag (kept for its old users)
    alias: str | None = None  # the flag that sets this field in this command instead

    @property
    def dest(self) -> str:
        return self.flag[2:].replace("-", "_")

    @property
    def field(self) -> str:
        """The name library errors use: the path within the config that validates it."""
        return ".".join(p for p in self.path if p not in FLATTEN)


def config_flags(config, *, helps=None, hide=(), refuse=None, unused=()) -> list[Flag]:
    """Every flag of ``config``. ``hide``: fields without a flag; ``refuse``: flag -> the flag
    that sets its field instead; ``unused``: fields the study ignores, whose flags are refused;
    ``helps``: the doc of fields without metadata."""
    refuse = refuse or {}
    flags = []
    for f in _walk(config, (), helps or {}):
        if f.flag in refuse:
            why = f"set by {refuse[f.flag]} in this study"
            f = replace(f, refused=why, alias=refuse[f.flag])
        elif f.field in unused:
            f = replace(f, refused="this study does not use it")
        if f.field not in hide:
            flags.append(f)
    return flags


def _walk(config, prefix, helps):
    hints = typing.get_type_hints(type(config))
    outer = any(f.name in FLATTEN for f in dataclasses.fields(config))
    for f in dataclasses.fields(config):
        value, path = getattr(config, f.name), (*prefix, f.name)
        if f.name in FLATTEN:
            yield from _walk(value, path, helps)
        elif dataclasses.is_dataclass(value):
            nested = typing.get_type_hints(type(value))
            for flag, (field_path, text) in NESTED.items():
                head, leaf = field_path.split(".")
                if head == f.name:
                    group = _GROUPS[head]
                    yield Flag(flag, (*path, leaf), text, nested[leaf], getattr(value, leaf), group)
        else:
            flag = f.metadata.get("flag") or RENAMES.get(f.name) or "--" + f.name.replace("_", "-")
            text = (
                _CLI_HELP.get(f.name)
                or f.metadata.get("help")
                or helps.get(f.name)
                or f.name.replace("_", " ")
            )
            group = "variants" if outer else _GROUPS.get(f.name, "study")
            yield Flag(flag, path, text, hints[f.name], value, group)


# --- argparse -----------------------------------------------------------------------------------


class _Store(argparse.Action):
    """Store the value and note the flag as given, so that it overrides ``--config``."""

    def __call__(self, parser, namespace, values, option_string=None):
        setattr(namespace, self.dest, values)
        setattr(namespace, GIVEN, (*getattr(namespace, GIVEN, ()), self.dest))


class _StoreOne(_Store):
    """A field of one value spelled like its many-valued kin (``--dims 8`` where a study takes one
    d): one value is stored, several are refused in one line."""

    def __call__(self, parser, namespace, values, option_string=None):
        if len(values) != 1:
            got = " ".join(map(str, values))
            parser.error(f"{option_string}: this command takes one value (got {got})")
        super().__call__(parser, namespace, values[0], option_string)


class _Switch(_Store):
    """``--x`` / ``--no-x`` for a boolean field."""

    def __init__(self, option_strings, dest, **kwargs):
        super().__init__(option_strings, dest, nargs=0, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        super().__call__(parser, namespace, not option_string.startswith("--no-"))


def add_flags(parser: argparse.ArgumentParser, flags: list[Flag]) -> None:
    """Add ``flags`` to ``parser``, in argument groups, each help ending with its default."""
    groups = {}
    for f in flags:
        if f.group not in groups:
            groups[f.group] = parser.add_argument_group(f.group)
        kwargs = _parsing(f.annotation, f.path[-1])
        names = [f.flag]
        if kwargs.get("action") is _Switch:
            names.append("--no-" + f.flag[2:])
        kwargs.setdefault("action", _Store)
        if f.refused:  # kept so that its old users get one line saying why, but not listed
            help_text = argparse.SUPPRESS
        else:
            text = canonical_text(f"{f.help} (default: {_shown_default(f)})")
            help_text = text.replace("%", "%%")  # argparse %-formats help
        groups[f.group].add_argument(
            *names, dest=f.dest, default=f.default, help=help_text, **kwargs
        )


def _shown_default(f: Flag) -> str:
    if f.path[-1] == "learners" and f.default is None:
        return "all"
    return show(f.default)


def given(args) -> set[str]:
    """The dests of the flags on the command line (not their defaults)."""
    return set(getattr(args, GIVEN, ()))


def show(value) -> str:
    """A default as one would type it on the command line."""
    if isinstance(value, bool):
        return "on" if value else "off"
    if value is None:
        return "none"
    if isinstance(value, tuple | list):
        return " ".join(show(v) for v in value) if value else "empty"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _parsing(annotation, name: str) -> dict:
    """argparse keywords (type, nargs, choices, action) for a field's annotation."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if name == "learners":  # 'all' (the config's None), never 'none'
        return {"type": _learner, "nargs": "+", "metavar": "NAME"}
    if name == "d" and annotation is int:  # a study of one d: --dims D
        return {"type": integer(1), "nargs": "+", "metavar": "D", "action": _StoreOne}
    if annotation is bool:
        return {"action": _Switch}
    if origin is tuple:
        return {**_parsing(args[0], name), "nargs": "+"}
    if origin is typing.Literal:
        return {"choices": args}
    if origin in (typing.Union, types.UnionType) and type(None) in args:
        (inner,) = [a for a in args if a is not type(None)]
        inner_kw = _parsing(inner, name)  # a list keeps its nargs: "--learners none" or names
        return {**inner_kw, "type": optional(inner_kw.get("type", str)), "metavar": "X|none"}
    if annotation is int:
        return {"type": integer(0 if name in _ZERO_OK else 1)}
    if annotation is float:
        return {"type": number}
    return {"type": str}


def integer(minimum: int):
    """An argparse type: an integer >= ``minimum`` (the config checks the exact range)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer (got {text!r})") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be an integer >= {minimum} (got {value})")
        return value

    return parse


def number(text: str) -> float:
    """An argparse type: a finite number."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number (got {text!r})") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be finite (got {text!r})")
    return value


def _learner(text: str) -> str:
    """An argparse type: a learner's name, or 'all'; 'none' would run nothing, so it is refused."""
    name = text.strip().lower()
    if name == "none":
        raise argparse.ArgumentTypeError(
            "'none' would run no learner: name one or more, or 'all' (every learner that "
            "applies, the default)"
        )
    return name


def optional(parse):
    """An argparse type: ``parse``'s value, or None for 'none'."""

    def parse_or_none(text: str):
        if text.strip().lower() == "none":
            return None
        try:
            return parse(text)
        except argparse.ArgumentTypeError as err:
            message = str(err).replace(" (got", " or 'none' (got", 1)
            raise argparse.ArgumentTypeError(message) from None

    return parse_or_none


# --- configs ------------------------------------------------------------------------------------


def apply_flags(config, flags: list[Flag], args):
    """``config`` with every flag on the command line applied (a refused flag raises)."""
    on_line = given(args)
    updates = {}
    for f in flags:
        if f.dest not in on_line:
            continue
        if f.refused:
            raise InputError(f.flag, f.refused)
        value = getattr(args, f.dest)
        if f.path[-1] == "learners" and "all" in value:
            if len(value) > 1:
                raise InputError(f.flag, f"'all' stands alone (got {' '.join(value)})")
            value = [None]  # the config's "every learner that applies"
        if isinstance(value, list):
            value = None if value == [None] else tuple(value)
        updates[f.path] = value
    return _replace(config, updates)


def _replace(config, updates: dict):
    """``dataclasses.replace`` along paths: the nested configs first, so each validates itself."""
    top, nested = {}, {}
    for path, value in updates.items():
        if len(path) == 1:
            top[path[0]] = value
        else:
            nested.setdefault(path[0], {})[path[1:]] = value
    for name, sub in nested.items():
        top[name] = _replace(getattr(config, name), sub)
    return replace(config, **top) if top else config


def translate(err: InputError, flags: list[Flag]) -> InputError:
    """``err`` naming flags instead of fields, in its parameter and in its message."""
    names = {f.field: f.alias or f.flag for f in flags}
    message = str(err).removeprefix(f"{err.parameter}: ")
    # Only identifier-like names (with '_' or '.') are replaced: plain words such as "sizes"
    # also occur in ordinary English.
    for name in sorted(names, key=len, reverse=True):
        if "_" in name or "." in name:
            pattern = rf"(?<![\w.-]){re.escape(name)}"
            message = re.sub(pattern + r" = None\b", f"{names[name]} none", message)
            message = re.sub(pattern + r"(?!\w)", names[name], message)
    return InputError(names.get(err.parameter, err.parameter), message)


# --- one spelling per concept, across every command ---------------------------------------------

_SPELLING = re.compile(r"(?<![\w-])--[\w-]+(?![\w-])")


def canonical_text(text: str | None) -> str | None:
    """``text`` (a help or a description) naming every flag by its one spelling."""
    if not text:
        return text
    return _SPELLING.sub(lambda m: _CANONICAL.get(m.group(0), m.group(0)), text)


def harmonise(parser: argparse.ArgumentParser, *, bootstrap: int) -> None:
    """Every command, however its flags were added, shows one spelling per concept (``ALIASES``)
    and accepts the older ones, hidden; ``--bootstrap`` defaults to ``bootstrap`` where no config
    says otherwise (the sweeps' flags show their config's own value).

    A hidden spelling is a second key of argparse's table of option strings pointing at the same
    action: it parses as the shown one (with ``allow_abbrev`` too) and never appears in help or
    usage, which list ``action.option_strings``.
    """
    table = parser._option_string_actions  # every spelling argparse accepts -> its action
    for action in parser._actions:
        shown = []
        for spelling in action.option_strings:
            new = _CANONICAL.get(spelling)
            if new and new not in table:  # an older spelling was shown: show the canonical one
                table[new] = action
                spelling = new
            shown.append(spelling)
        action.option_strings = shown
        for spelling in shown:
            for old in ALIASES.get(spelling, ()):
                table.setdefault(old, action)
        if action.help and action.help is not argparse.SUPPRESS:
            action.help = canonical_text(action.help)
        if (
            "--bootstrap" in shown
            and not isinstance(action, _Store)
            and action.default != bootstrap
        ):
            action.default = bootstrap
            text = action.help or "bootstrap resamples"
            new_text = re.sub(r"default:? \d+", f"default {bootstrap}", text)
            action.help = new_text if new_text != text else f"{text} (default: {bootstrap})"
    parser.description = canonical_text(parser.description)


def spellings(flag: str) -> tuple[str, ...]:
    """Every spelling of ``flag``'s concept, the canonical one first (just ``flag`` if none)."""
    canonical = _CANONICAL.get(flag, flag)
    return (canonical, *ALIASES.get(canonical, ()))


def typed_spelling(flag: str, argv) -> str:
    """The spelling of ``flag``'s concept that ``argv`` uses (the canonical one if none)."""
    group = spellings(flag)
    for token in argv or ():
        name = str(token).split("=", 1)[0]
        if name in group:
            return name
    return group[0] if flag in _CANONICAL else flag


def as_typed(err: InputError, argv) -> InputError:
    """``err`` naming the flag as the user typed it (``--d`` or ``--dims``: one concept)."""
    name = typed_spelling(err.parameter, argv)
    if name == err.parameter:
        return err
    return InputError(name, str(err).removeprefix(f"{err.parameter}: "))
