"""Frozen-dataclass configs <-> JSON, with strict validation (unknown keys, wrong types).

Every result stores its full config as JSON; ``config_hash`` keys per-trial record directories.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import types
import typing
from typing import Any, TypeVar

from .errors import InputError

T = TypeVar("T")


def param(default=dataclasses.MISSING, *, help: str, factory=None, flag: str | None = None):
    """A config field with its documentation (shown by the CLI's ``--help`` with its default).

    ``flag`` names the command-line flag when it is not the field name with dashes.
    """
    metadata = {"help": help, **({"flag": flag} if flag else {})}
    if factory is not None:
        return dataclasses.field(default_factory=factory, metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


def config_to_dict(config) -> dict[str, Any]:
    """A JSON-ready dict of a (possibly nested) frozen dataclass config."""
    if dataclasses.is_dataclass(config):
        return {f.name: config_to_dict(getattr(config, f.name)) for f in dataclasses.fields(config)}
    if isinstance(config, tuple | list):
        return [config_to_dict(v) for v in config]
    if isinstance(config, dict):
        return {k: config_to_dict(v) for k, v in config.items()}
    return config


def config_hash(config, length: int = 16) -> str:
    """Stable hash of a config (canonical JSON, sorted keys)."""
    blob = json.dumps(config_to_dict(config), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:length]


def config_from_dict(cls: type[T], data: dict[str, Any], *, path: str = "") -> T:
    """Build dataclass ``cls`` from ``data``; unknown keys and wrong types raise :class:`InputError`.

    Missing keys take the dataclass defaults. Each config's ``__post_init__`` validates ranges.
    """
    if not isinstance(data, dict):
        raise InputError(path or cls.__name__, f"must be a mapping (got {type(data).__name__})")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise InputError(
            f"{path}{unknown[0]}",
            f"unknown key for {cls.__name__}; allowed keys: {', '.join(sorted(fields))}",
        )
    hints = typing.get_type_hints(cls)
    kwargs = {}
    for name, value in data.items():
        kwargs[name] = _coerce(hints[name], value, f"{path}{name}")
    return cls(**kwargs)


def _coerce(tp, value, name):
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if dataclasses.is_dataclass(tp):
        return config_from_dict(tp, value, path=f"{name}.")
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        errors = []
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _coerce(arg, value, name)
            except InputError as err:
                errors.append(err)
        raise errors[0]
    if origin is typing.Literal:
        if value not in args:
            raise InputError(name, f"must be one of {', '.join(map(repr, args))} (got {value!r})")
        return value
    if origin is tuple:
        if not isinstance(value, list | tuple):
            raise InputError(name, f"must be a list (got {type(value).__name__})")
        item = args[0] if args else Any
        return tuple(_coerce(item, v, name) for v in value)
    if tp is bool:
        if not isinstance(value, bool):
            raise InputError(name, f"must be true or false (got {value!r})")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise InputError(name, f"must be an integer (got {value!r})")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InputError(name, f"must be a number (got {value!r})")
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise InputError(name, f"must be a string (got {value!r})")
        return value
    return value


def result_from_dict(cls: type[T], data: dict[str, Any], **converted) -> T:
    """Rebuild a frozen result type from its ``to_dict()``: the keys that name a field of ``cls``
    (derived keys such as a fit's ``frontier_exponent`` are ignored), JSON lists back to tuples
    where the field is a tuple, and ``converted`` (field -> value already decoded) taking
    precedence. The lenient reader of results, where :func:`config_from_dict` is the strict one
    of configs."""
    kwargs = {}
    for f in dataclasses.fields(cls):
        if f.name in converted:
            kwargs[f.name] = converted[f.name]
        elif f.name in data:
            kwargs[f.name] = (
                _tuples(data[f.name]) if str(f.type).startswith("tuple") else data[f.name]
            )
    return cls(**kwargs)


def _tuples(value):
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value


def atomic_write_bytes(path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temp file in the same directory, fsync and rename.

    The file gets the permissions an ordinary ``open`` would give (mkstemp's are owner-only).
    """
    import os
    import tempfile
    from pathlib import Path

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _umask() -> int:
    import os

    mask = os.umask(0)
    os.umask(mask)
    return mask


def save_json(path, obj) -> None:
    """Atomic JSON write (temp file + fsync + rename)."""
    text = json.dumps(obj, indent=2, sort_keys=False, default=_json_default)
    atomic_write_bytes(path, text.encode())


def _json_default(obj):
    import numpy as np

    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if dataclasses.is_dataclass(obj):
        return config_to_dict(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")
