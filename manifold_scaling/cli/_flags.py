"""Flags generated from a config dataclass: one per field, with the field's doc and default.

Only the CLI knows flag names. A top-level field ``n_val`` becomes ``--n-val`` (or the ``flag`` in
its metadata, or ``RENAMES``); a field named ``base`` (the data-scaling config a family of variants
shares) is flattened into its parent's flags; the teacher, student and training configs are
reached through ``NESTED``, whose flag names are a public contract. Library errors name fields
(``"teacher.gain"``); :func:`translate` names the flag instead.
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
}
# Top-level fields whose flag is not their name, for configs whose fields carry no metadata.
RENAMES = {"n_bootstrap": "--bootstrap", "teacher_target_r2": "--teacher-r2"}
FLATTEN = ("base",)
# Integer fields where 0 means something (no ambient space, no L-BFGS); every other must be >= 1.
_ZERO_OK = {"seed", "ambient_dim", "lbfgs_steps", "population_lbfgs_steps", "layer_id_k"}
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
            text = f.metadata.get("help") or helps.get(f.name) or f.name.replace("_", " ")
            group = "variants" if outer else _GROUPS.get(f.name, "study")
            yield Flag(flag, path, text, hints[f.name], value, group)


# --- argparse -----------------------------------------------------------------------------------


class _Store(argparse.Action):
    """Store the value and note the flag as given, so that it overrides ``--config``."""

    def __call__(self, parser, namespace, values, option_string=None):
        setattr(namespace, self.dest, values)
        setattr(namespace, GIVEN, (*getattr(namespace, GIVEN, ()), self.dest))


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
        note = f"refused: {f.refused}" if f.refused else f"default: {show(f.default)}"
        kwargs = _parsing(f.annotation, f.path[-1])
        names = [f.flag]
        if kwargs.get("action") is _Switch:
            names.append("--no-" + f.flag[2:])
        else:
            kwargs["action"] = _Store
        help_text = f"{f.help} ({note})".replace("%", "%%")  # argparse %-formats help
        groups[f.group].add_argument(
            *names, dest=f.dest, default=f.default, help=help_text, **kwargs
        )


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
        return " ".join(show(v) for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _parsing(annotation, name: str) -> dict:
    """argparse keywords (type, nargs, choices, action) for a field's annotation."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
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
