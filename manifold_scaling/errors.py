"""Errors that the CLI turns into one line and exit code 2 (no traceback)."""

from __future__ import annotations


class InputError(ValueError):
    """Bad user input: names the parameter and the allowed range.

    ``str(err)`` is the one-line message the CLI prints, e.g.
    ``"--dims: intrinsic dimension must be an integer >= 1 (got 0)"``.
    """

    def __init__(self, parameter: str, message: str):
        self.parameter = parameter
        super().__init__(f"{parameter}: {message}")


def check_int(name: str, value, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """Validate an integer parameter, raising :class:`InputError` that names it and its range."""
    if isinstance(value, bool) or not isinstance(value, int | float) or int(value) != value:
        raise InputError(name, f"must be an integer (got {value!r})")
    value = int(value)
    _check_range(name, value, minimum, maximum, "an integer")
    return value


def check_float(name: str, value, *, minimum=None, maximum=None, strict_min=False) -> float:
    """Validate a finite float parameter in ``[minimum, maximum]`` (``(minimum, ...`` if strict)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(name, f"must be a number (got {value!r})")
    value = float(value)
    if value != value or value in (float("inf"), float("-inf")):
        raise InputError(name, f"must be finite (got {value})")
    if strict_min and minimum is not None and value <= minimum:
        raise InputError(name, f"must be > {minimum} (got {value})")
    _check_range(name, value, None if strict_min else minimum, maximum, "a number")
    return value


def check_int_list(name: str, values, *, min_distinct: int = 1, minimum=None, maximum=None):
    """Validate a list of integers (e.g. sizes or widths): every entry in range, and at least
    ``min_distinct`` distinct values."""
    values = list(values)
    if len(set(values)) < min_distinct:
        raise InputError(name, f"need at least {min_distinct} distinct values (got {values})")
    return [check_int(name, v, minimum=minimum, maximum=maximum) for v in values]


def check_choice(name: str, value, choices) -> str:
    if value not in choices:
        raise InputError(name, f"must be one of {', '.join(map(str, choices))} (got {value!r})")
    return value


def _check_range(name, value, minimum, maximum, kind):
    if minimum is not None and maximum is not None and not (minimum <= value <= maximum):
        raise InputError(name, f"must be {kind} in [{minimum}, {maximum}] (got {value})")
    if minimum is not None and value < minimum:
        raise InputError(name, f"must be {kind} >= {minimum} (got {value})")
    if maximum is not None and value > maximum:
        raise InputError(name, f"must be {kind} <= {maximum} (got {value})")
