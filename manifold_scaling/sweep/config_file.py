"""Read a sweep config (JSON or TOML file, or a dict) into its frozen dataclass, strictly."""

from __future__ import annotations

import dataclasses
import json
import tomllib
from dataclasses import MISSING
from os import PathLike
from pathlib import Path
from typing import TypeVar

from ..configs import config_from_dict
from ..errors import InputError

T = TypeVar("T")


def load_sweep_config(cls: type[T], path_or_dict, *, parameter: str = "--config") -> T:
    """A ``cls`` instance from a ``.json``/``.toml`` file or a dict.

    Unknown keys and wrong types raise :class:`InputError` naming the key (``configs``); values
    out of range raise it from ``cls.__post_init__``. Nothing is written, so a bad config fails
    before a sweep creates any file.
    """
    if isinstance(path_or_dict, dict):
        return _from_dict(cls, path_or_dict)
    if not isinstance(path_or_dict, str | PathLike):
        raise InputError(
            parameter, f"must be a path or a mapping (got {type(path_or_dict).__name__})"
        )
    path = Path(path_or_dict)
    suffix = path.suffix.lower()
    if suffix not in (".json", ".toml"):
        raise InputError(parameter, f"must be a .json or .toml file (got {path})")
    try:
        if suffix == ".json":
            data = json.loads(path.read_text())
        else:
            data = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise InputError(parameter, f"no such file: {path}") from None
    except (json.JSONDecodeError, tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise InputError(parameter, f"cannot parse {path}: {err}") from None
    except OSError as err:
        raise InputError(parameter, f"cannot read {path}: {err}") from None
    try:
        return _from_dict(cls, data)
    except InputError as err:
        # Keep the key as the parameter (what to fix) and say where it came from.
        raise InputError(err.parameter, f"{str(err).split(': ', 1)[-1]} (in {path})") from None


def _from_dict(cls, data):
    if isinstance(data, dict):
        # Name a missing required key instead of letting the constructor raise a TypeError.
        for f in dataclasses.fields(cls):
            no_default = f.default is MISSING and f.default_factory is MISSING
            if f.init and no_default and f.name not in data:
                raise InputError(f.name, f"is required for {cls.__name__}")
    return config_from_dict(cls, data)
