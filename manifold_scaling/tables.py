"""A loss table you already have (a DataFrame, a dict of arrays) read as the studies read theirs.

:func:`fit_table` is what ``manifold-scaling fit LOSSES.csv`` runs, from Python: the same size rule
(with a ``train_loss`` column the data-scaling window rule ``studies.verdict.interpolation_rule``;
without one every size counts), the same fit inside the window (``fitting.fit_in_window``: a summed
Huber loss in log space, intervals over replicates when a group column labels them) and, given
``d``, the same equivalence reading against ``2p/d`` (4/d for MSE), rendered by the one renderer
(``studies.findings.render``) through ``studies.verdict.analyse_curve``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from .errors import InputError, check_float, check_int
from .fitting import LocalSlopes

if TYPE_CHECKING:
    from .studies.verdict import Verdict

__all__ = ["DEFAULT_KEY_SEED", "TableFit", "fit_table", "predicted_alpha"]

#: ``key=None`` uses ``keys.analysis_key(DEFAULT_KEY_SEED)``: the key of ``manifold-scaling fit``
#: with its default ``--seed 0``, so a table gives the same numbers from Python and the CLI.
DEFAULT_KEY_SEED = 0
DEFAULT_INTERPOLATION_RATIO = 0.1  # train <= r x test: the cell interpolates
DEFAULT_MIN_PARAMS_PER_POINT = 4.0  # P >= k x D
MIN_DECADES = 1.0  # a window shorter than this is weak evidence (as in the studies)
EVERY_SIZE_RULE = "every size (the table has no train_loss column to narrow the window)"


def predicted_alpha(d: float, loss_power: float = 2.0) -> float:
    """The resolution-limited prediction ``2p/d`` for a loss ``|y - y_hat|^p`` (4/d for MSE)."""
    return 2.0 * loss_power / d


@dataclass(frozen=True, eq=False)
class TableFit:
    """A power law fitted to a loss table inside the window rule, and (given ``d``) its verdict.

    ``interval`` is alpha's interval at level ``ci`` and ``interval_method`` what it covers
    (``"replicate-t"``: re-runs over the groups; ``"residual-bootstrap-symmetric"``: the scatter of
    one curve). ``window`` is the (lowest, highest) size fitted, ``window_sizes`` every size in it.
    ``reading`` is the verdict's sentence and ``verdict`` the typed ``studies.verdict.Verdict``
    (both None without ``d``). ``fit`` is ``fitting.PowerLawFit.to_dict()`` (None when fewer than
    3 sizes pass the rule), ``local_slopes`` span every size.
    """

    alpha: float | None
    interval: tuple[float, float] | None
    interval_method: str | None
    ci: float
    window: tuple[float, float] | None
    window_sizes: tuple[float, ...]
    window_decades: float
    window_rule: str
    excluded: dict  # size (as text) -> why it is not in the window
    per_size: tuple[dict, ...]  # what the rule saw at each size, and whether it passed
    local_slopes: LocalSlopes
    fit: dict | None
    d: float | None = None
    loss_power: float = 2.0
    predicted_alpha: float | None = None
    ratio: float | None = None
    consistent: bool | None = None  # the whole interval inside [0.8, 1.25] x 2p/d
    reading: str | None = None
    verdict: Verdict | None = None  # None without d
    n_rows: int = 0
    columns: dict = field(default_factory=dict)  # role (size, loss, group, ...) -> column name

    def to_dict(self) -> dict:
        return {
            "alpha": self.alpha,
            "interval": None if self.interval is None else list(self.interval),
            "interval_method": self.interval_method,
            "ci": self.ci,
            "window": None if self.window is None else list(self.window),
            "window_sizes": list(self.window_sizes),
            "window_decades": self.window_decades,
            "window_rule": self.window_rule,
            "excluded": dict(self.excluded),
            "per_size": [dict(p) for p in self.per_size],
            "local_slopes": self.local_slopes.to_dict(),
            "fit": self.fit,
            "d": self.d,
            "loss_power": self.loss_power,
            "predicted_alpha": self.predicted_alpha,
            "ratio": self.ratio,
            "consistent": self.consistent,
            "reading": self.reading,
            "verdict": None if self.verdict is None else self.verdict.to_dict(),
            "n_rows": self.n_rows,
            "columns": dict(self.columns),
        }

    @classmethod
    def from_dict(cls, data: dict) -> TableFit:
        """Inverse of :meth:`to_dict`."""
        from .studies.verdict import Verdict

        def pair(v):
            return None if v is None else (float(v[0]), float(v[1]))

        return cls(
            alpha=data["alpha"],
            interval=pair(data["interval"]),
            interval_method=data["interval_method"],
            ci=data["ci"],
            window=pair(data["window"]),
            window_sizes=tuple(data["window_sizes"]),
            window_decades=data["window_decades"],
            window_rule=data["window_rule"],
            excluded=dict(data["excluded"]),
            per_size=tuple(dict(p) for p in data["per_size"]),
            local_slopes=_slopes_from_dict(data["local_slopes"]),
            fit=data["fit"],
            d=data.get("d"),
            loss_power=data.get("loss_power", 2.0),
            predicted_alpha=data.get("predicted_alpha"),
            ratio=data.get("ratio"),
            consistent=data.get("consistent"),
            reading=data.get("reading"),
            verdict=None if data.get("verdict") is None else Verdict.from_dict(data["verdict"]),
            n_rows=data.get("n_rows", 0),
            columns=dict(data.get("columns", {})),
        )


def _slopes_from_dict(data: dict) -> LocalSlopes:
    ci = data.get("slopes_ci")
    return LocalSlopes(
        sizes_lo=np.asarray(data["sizes_lo"], float),
        sizes_hi=np.asarray(data["sizes_hi"], float),
        midpoints=np.asarray(data["midpoints"], float),
        slopes=np.asarray(data["slopes"], float),
        slopes_ci=None if ci is None else np.asarray(ci, float).reshape(-1, 2),
        ci_level=data.get("ci_level", 0.9),
    )


# --- reading the table ----------------------------------------------------------------------------


def _column_names(df) -> list[str]:
    if isinstance(df, np.ndarray) and df.dtype.names:
        return list(df.dtype.names)
    if isinstance(df, Mapping):
        return [str(k) for k in df]
    if hasattr(df, "columns") and hasattr(df, "__getitem__"):  # a pandas DataFrame (duck-typed)
        return [str(c) for c in df.columns]
    raise InputError(
        "df",
        "must be a pandas DataFrame, a dict of arrays or a structured NumPy array "
        f"(got {type(df).__name__})",
    )


def _column(df, names: list[str], parameter: str, name) -> np.ndarray:
    if not isinstance(name, str) or not name:
        raise InputError(parameter, f"must name a column (got {name!r})")
    if name not in names:
        raise InputError(
            parameter, f"no column {name!r} in the table (its columns: {', '.join(names)})"
        )
    values = df[name]
    values = values.to_numpy() if hasattr(values, "to_numpy") else np.asarray(values)
    if values.ndim != 1:
        raise InputError(parameter, f"column {name!r} must be 1-D (got shape {values.shape})")
    return values


def _numbers(parameter: str, name: str, values, *, zero_ok: bool = False) -> np.ndarray:
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(parameter, f"column {name!r} must hold numbers") from None
    bad = ~np.isfinite(arr) | ((arr < 0) if zero_ok else (arr <= 0))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        allowed = "finite and >= 0" if zero_ok else "positive and finite"
        raise InputError(parameter, f"column {name!r} must be {allowed} (row {i} is {arr[i]})")
    return arr


@dataclass(frozen=True, eq=False)
class _Table:
    sizes: np.ndarray
    losses: np.ndarray
    groups: np.ndarray | None
    train: np.ndarray | None
    params: np.ndarray | None
    columns: dict


def _read(df, size, loss, group, train_loss, n_params) -> _Table:
    names = _column_names(df)
    roles = {"size": size, "loss": loss, "group": group, "train_loss": train_loss,
             "n_params": n_params}  # fmt: skip
    given = {role: name for role, name in roles.items() if name is not None}
    seen: dict = {}
    for role, name in given.items():
        if isinstance(name, str) and name in seen:
            raise InputError(role, f"column {name!r} is already the {seen[name]} column")
        seen[name] = role
    sizes = _numbers("size", size, _column(df, names, "size", size))
    losses = _numbers("loss", loss, _column(df, names, "loss", loss))
    groups = None if group is None else _column(df, names, "group", group)
    train = None
    if train_loss is not None:
        train = _numbers("train_loss", train_loss, _column(df, names, "train_loss", train_loss),
                         zero_ok=True)  # fmt: skip
    params = None
    if n_params is not None:
        if train_loss is None:
            raise InputError(
                "n_params", "applies only with train_loss (the window rule reads both)"
            )
        params = _numbers("n_params", n_params, _column(df, names, "n_params", n_params))
    n_distinct = np.unique(sizes).size
    if n_distinct < 3:
        raise InputError("size", f"need at least 3 distinct sizes (got {n_distinct})")
    if groups is not None:
        where: dict = {}
        for i, (s, g) in enumerate(zip(sizes.tolist(), groups.tolist())):
            if (s, g) in where:
                raise InputError(
                    "group", f"size {s:g} has group {g!r} twice (rows {where[(s, g)]} and {i})"
                )
            where[(s, g)] = i
    return _Table(sizes, losses, groups, train, params, given)


# --- the fit ----------------------------------------------------------------------------------


def _size_rule(table: _Table, ratio: float, min_params: float):
    """The data-scaling window rule on a table with train losses; else every size counts."""
    from .studies.verdict import SizeCheck, SizeRule, interpolation_rule

    if table.train is None:
        return SizeRule(
            EVERY_SIZE_RULE, lambda size, rows: SizeCheck(True, [], {"size": size, "passes": True})
        )
    rule = interpolation_rule(ratio, min_params)
    if table.params is None:
        # Without parameter counts only the interpolation half of the rule can be checked.
        text = (
            f"longest run of sizes where every seed has train <= {ratio:g} x test (no n_params "
            "column: P >= k x D not checked)"
        )
        rule = SizeRule(text, rule.check)
    return rule


def _rows(table: _Table) -> list[dict]:
    rows = []
    for i in range(table.sizes.size):
        row = {"size": float(table.sizes[i]), "test_loss": float(table.losses[i])}
        if table.groups is not None:
            row["group"] = table.groups[i]
        if table.train is not None:
            row["train_loss"] = float(table.train[i])
            row["n_params"] = float(table.params[i]) if table.params is not None else math.inf
        rows.append(row)
    return rows


def _check_key(key):
    from . import keys  # JAX loads here, after the table is checked

    if key is None:
        return keys.analysis_key(DEFAULT_KEY_SEED)
    if isinstance(key, int) and not isinstance(key, bool):
        try:
            return keys.key(key)
        except ValueError as err:
            raise InputError("key", str(err)) from None
    if not hasattr(key, "dtype"):
        raise InputError(
            "key", f"must be a JAX key, an integer seed or None (got {type(key).__name__})"
        )
    return key


def fit_table(
    df,
    *,
    size: str,
    loss: str,
    group: str | None = None,
    train_loss: str | None = None,
    d: float | None = None,
    loss_power: float = 2,
    ci: float = 0.9,
    key=None,
    n_params: str | None = None,
    with_floor: bool = False,
    n_bootstrap: int = 500,
    interpolation_ratio: float | None = None,
    min_params_per_point: float | None = None,
) -> TableFit:
    """Fit ``L = A size^-alpha`` (``+ E`` with ``with_floor``) to a loss table, as the studies do.

    ``df``: a pandas DataFrame, a dict of arrays or a structured NumPy array; ``size``, ``loss``
    (the test loss), ``group`` (replicate labels: a seed that drew its own data and
    initialisation; the interval is then over replicates), ``train_loss`` and ``n_params`` name its
    columns. With ``train_loss`` the data-scaling window rule picks the sizes first (every group
    has train <= ``interpolation_ratio`` x test, default 0.1, and, with ``n_params``,
    P >= ``min_params_per_point`` x size, default 4); without it every size is fitted. With ``d``
    the exponent is read against ``2 loss_power / d`` (4/d for MSE) by the studies' equivalence
    call and renderer. ``key``: a JAX key (or an integer seed) for the bootstrap draws; None uses
    ``keys.analysis_key(0)``, which is what ``manifold-scaling fit`` uses with ``--seed 0``.
    Bad input raises :class:`~manifold_scaling.errors.InputError` naming the parameter.
    """
    from .fitting import local_slopes

    table = _read(df, size, loss, group, train_loss, n_params)
    if d is not None:
        d = check_float("d", d, minimum=1)
    loss_power = check_float("loss_power", loss_power, minimum=0, strict_min=True)
    ci = check_float("ci", ci)
    if not 0.0 < ci < 1.0:
        raise InputError("ci", f"must be a level in (0, 1) (got {ci})")
    n_bootstrap = check_int("n_bootstrap", n_bootstrap, minimum=10)
    if not isinstance(with_floor, bool):
        raise InputError("with_floor", f"must be True or False (got {with_floor!r})")
    for name, value in (("interpolation_ratio", interpolation_ratio),
                        ("min_params_per_point", min_params_per_point)):  # fmt: skip
        if value is not None and table.train is None:
            raise InputError(name, "applies only with a train_loss column (the window rule)")
    if min_params_per_point is not None and table.params is None:
        raise InputError("min_params_per_point", "applies only with an n_params column")
    ratio = DEFAULT_INTERPOLATION_RATIO if interpolation_ratio is None else interpolation_ratio
    ratio = check_float("interpolation_ratio", ratio, minimum=0, strict_min=True)
    min_params = (
        DEFAULT_MIN_PARAMS_PER_POINT if min_params_per_point is None else min_params_per_point
    )
    min_params = check_float("min_params_per_point", min_params, minimum=0)
    distinct, counts = np.unique(table.sizes, return_counts=True)
    if with_floor and table.train is None and distinct.size < 4:
        raise InputError("with_floor", "a fit with a floor needs at least 4 distinct sizes")
    key = _check_key(key)

    rule = _size_rule(table, ratio, min_params)
    predicted = math.nan if d is None else predicted_alpha(d, loss_power)
    label = "4/d" if loss_power == 2 else "2p/d"
    target = None if d is None else f"{label} = {predicted:.3g} at d = {d:g}"
    common = dict(
        predicted=predicted, key=key, target=target, with_floor=with_floor,
        n_bootstrap=n_bootstrap, ci=ci, min_decades=MIN_DECADES,
    )  # fmt: skip
    rows = _rows(table)
    dd = math.nan if d is None else d
    from .studies.verdict import analyse_curve

    group = None if table.groups is None else "group"
    verdict = analyse_curve(
        dd, rows, rule, size_key="size", replicate_key=group, loss_key="test_loss", **common
    )
    if with_floor and verdict.alpha is None:
        _check_floor_window(distinct, [p["passes"] for p in verdict.diagnostics["per_size"]])
    # Local slopes over every size, at level ci (the key fit_in_window gives its slopes).
    import jax

    slopes = local_slopes(table.sizes, table.losses, groups=table.groups,
                          key=jax.random.split(key)[1], ci=ci)  # fmt: skip
    per_size = []
    for info, s, n in zip(verdict.diagnostics["per_size"], distinct.tolist(), counts.tolist()):
        info = dict(info, size=float(s), n_rows=int(n))
        if table.train is not None and table.params is None:
            info["params_per_point"] = None  # inf is not JSON
        per_size.append(info)
    lo_hi = verdict.fit_window
    inside = () if lo_hi is None else tuple(float(s) for s in distinct if lo_hi[0] <= s <= lo_hi[1])
    return TableFit(
        alpha=verdict.alpha,
        interval=verdict.alpha_ci,
        interval_method=verdict.interval,
        ci=ci,
        window=None if lo_hi is None else (float(lo_hi[0]), float(lo_hi[1])),
        window_sizes=inside,
        window_decades=verdict.window_decades,
        window_rule=verdict.diagnostics["window_rule"],
        excluded=dict(verdict.diagnostics["excluded"]),
        per_size=tuple(per_size),
        local_slopes=slopes,
        fit=verdict.fit,
        d=d,
        loss_power=loss_power,
        predicted_alpha=None if d is None else predicted,
        ratio=None if d is None else verdict.ratio,
        consistent=None if d is None else verdict.consistent,
        reading=None if d is None else verdict.reading,
        verdict=None if d is None else verdict,
        n_rows=int(table.sizes.size),
        columns=table.columns,
    )


def _check_floor_window(distinct, passes) -> None:
    """A floor needs 4 sizes: a window of 3 is bad input, not a fit that found nothing."""
    from .fitting import select_window

    window = select_window(distinct, np.asarray(passes, bool), min_decades=MIN_DECADES)
    if len(window.sizes) == 3:
        raise InputError(
            "with_floor", "the window rule keeps only 3 sizes; a fit with a floor needs at least 4"
        )
