"""Flags shared by the studies beyond data scaling (model size, variance-limited).

Every flag defaults to None so that only the flags given override the study's config (or the
``--config`` JSON file). Data-scaling variants (ambient invariance, loss powers, the joint grid)
reuse ``_study_args`` instead, since each of their variants is a data-scaling config.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

from ..errors import InputError
from ..sweep import load_sweep_config
from ._study_args import _sub, add_manifold_teacher_arguments, positive_int_list


def add_common_arguments(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("study")
    g.add_argument(
        "--config", type=Path, help="JSON or TOML file of config fields (flags override it)"
    )
    g.add_argument("--seeds", type=positive_int_list, help="seeds (replicates) per point")
    g.add_argument("--seed", type=positive_int_list, help="master seed of the study")
    g.add_argument("--out", type=Path, help="output directory")
    g.add_argument("--bootstrap", type=positive_int_list, help="bootstrap resamples")
    p.add_argument("--no-figures", action="store_true", help="skip the PNG figures")


def teacher_r2(args):
    """``--teacher-r2``: a number, 'none' (fixed gain) or not given (returns the sentinel ...)."""
    if args.teacher_r2 is None:
        return ...
    if args.teacher_r2.lower() == "none":
        return None
    try:
        return float(args.teacher_r2)
    except ValueError:
        raise InputError(
            "--teacher-r2", f"must be a number in [0.05, 0.99] or 'none' (got {args.teacher_r2!r})"
        ) from None


def base_config(args, default):
    """The default config, or the ``--config`` JSON file's."""
    if getattr(args, "config", None):
        return load_sweep_config(type(default), args.config)
    return default


def override(config, mapping: dict, args):
    """``config`` with ``field = args.<flag>`` for every (flag -> field) whose flag was given."""
    top = {}
    for flag, name in mapping.items():
        value = getattr(args, flag, None)
        if value is not None:
            top[name] = tuple(value) if isinstance(value, list) else value
    r2 = teacher_r2(args)
    if r2 is not ...:
        top["teacher_target_r2"] = r2
    teacher = _sub(
        config.teacher,
        task=args.task,
        gain=args.teacher_gain,
        depth=args.teacher_depth,
        width=args.teacher_width,
        activation=args.teacher_activation,
    )
    return replace(config, teacher=teacher, **top)


__all__ = [
    "add_common_arguments",
    "add_manifold_teacher_arguments",
    "base_config",
    "override",
    "positive_int_list",
    "_sub",
]
