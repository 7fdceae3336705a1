"""The fit window, chosen by a rule stated before looking at the exponent: :func:`select_window`,
and :func:`fit_in_window` (the window, the power law inside it, the local slopes everywhere)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import InputError, check_float
from ._core import _positive_finite
from ._power_law import fit_power_law
from ._slopes import local_slopes
from ._types import FitWindow, LocalSlopes, PowerLawFit

DEFAULT_WINDOW_RULE = (
    "window = the longest contiguous run of sizes (in increasing order) at which every diagnostic "
    "passes; ties go to the run at larger sizes; it should span at least {min_decades:g} decade(s)"
)


def select_window(
    sizes,
    passes,
    *,
    reasons=None,
    min_decades: float = 1.0,
    rule_text: str | None = None,
) -> FitWindow:
    """The fit window: the longest contiguous run of passing sizes, ties to larger sizes.

    ``sizes`` are distinct; ``passes[i]`` says whether size ``i`` meets every diagnostic (decided
    by the caller beforehand, e.g. train <= 0.1 x test for every seed and P >> D). "Longest" counts
    sizes. ``reasons`` (a mapping size -> text, or a list aligned with ``sizes``) says why a size
    failed; it is stored in ``excluded`` together with the rule text.
    """
    sizes = _positive_finite("sizes", sizes)
    if np.unique(sizes).size != sizes.size:
        raise InputError("sizes", "must be distinct (one pass/fail verdict per size)")
    passes = np.asarray(passes)
    if passes.shape != sizes.shape:
        raise InputError("passes", f"must have one entry per size (got shape {passes.shape})")
    passes = passes.astype(bool)
    min_decades = check_float("min_decades", min_decades, minimum=0)
    if rule_text is None:
        rule_text = DEFAULT_WINDOW_RULE.format(min_decades=min_decades)
    why = _reasons_by_size(sizes, reasons)

    order = np.argsort(sizes)
    s, p = sizes[order], passes[order]
    best_start, best_len, i = 0, 0, 0
    while i < s.size:
        if not p[i]:
            i += 1
            continue
        j = i
        while j < s.size and p[j]:
            j += 1
        if j - i >= best_len:  # ">=": a tie goes to the later run, at larger sizes
            best_start, best_len = i, j - i
        i = j
    inside = s[best_start : best_start + best_len]
    excluded = {}
    for k, size in enumerate(s.tolist()):
        if best_start <= k < best_start + best_len:
            continue
        if p[k]:
            excluded[size] = "passes, but outside the longest passing run"
        else:
            excluded[size] = why.get(size) or "fails a diagnostic"
    lo = float(inside[0]) if best_len else None
    hi = float(inside[-1]) if best_len else None
    decades = float(np.log10(hi / lo)) if best_len else 0.0
    return FitWindow(
        lo=lo,
        hi=hi,
        sizes=tuple(float(v) for v in inside),
        decades=decades,
        spans_min_decades=bool(best_len) and decades >= min_decades - 1e-9,
        rule=rule_text,
        excluded=excluded,
        min_decades=min_decades,
    )


def _reasons_by_size(sizes: np.ndarray, reasons) -> dict[float, str]:
    if reasons is None:
        return {}
    if isinstance(reasons, Mapping):
        return {float(k): (str(v) if v else "") for k, v in reasons.items()}
    if isinstance(reasons, Sequence | np.ndarray) and not isinstance(reasons, str):
        if len(reasons) != sizes.size:
            raise InputError("reasons", f"must have one entry per size (got {len(reasons)})")
        return {float(s): (str(r) if r else "") for s, r in zip(sizes, reasons)}
    raise InputError("reasons", "must be a mapping size -> reason or a list aligned with sizes")


@dataclass(frozen=True, eq=False)
class WindowedFit:
    """The window a rule selected, the power law fitted inside it, and local slopes everywhere."""

    window: FitWindow
    fit: PowerLawFit | None  # None when fewer than 3 sizes pass the rule
    slopes: LocalSlopes


def fit_in_window(
    sizes,
    losses,
    passes_by_size,
    *,
    key,
    groups=None,
    reasons=None,
    rule_text: str = "",
    min_decades: float = 1.0,
    with_floor: bool = False,
    n_bootstrap: int = 500,
    ci: float = 0.90,
) -> WindowedFit:
    """:func:`select_window` over the distinct sizes, then :func:`fit_power_law` on every
    observation inside the window; :func:`local_slopes` over all positive observations.

    ``passes_by_size[i]`` is the caller's diagnostic for the i-th distinct size (sorted).
    ``groups`` (replicate labels, e.g. seeds that each drew their own teacher) make the fit the
    replicate-level one (``fit.interval == "replicate-t"``); a replicate left with too few sizes
    inside the window (or after dropping non-positive losses) is listed in
    ``fit.replicates_dropped``.
    """
    import jax  # lazily: the ``fit`` CLI validates its CSV before paying for JAX's import

    sizes = np.asarray(sizes, float)
    losses = np.asarray(losses, float)
    groups = None if groups is None else np.asarray(groups)
    window = select_window(
        np.unique(sizes), np.asarray(passes_by_size), reasons=reasons,
        min_decades=min_decades, rule_text=rule_text,
    )  # fmt: skip
    k_fit, k_slopes = jax.random.split(key)
    positive = np.isfinite(losses) & (losses > 0)
    pick = (lambda m: None) if groups is None else (lambda m: groups[m])  # noqa: E731
    slopes = local_slopes(sizes[positive], losses[positive], groups=pick(positive), key=k_slopes)
    fit = None
    if window.lo is not None and len(window.sizes) >= 3:
        m = (sizes >= window.lo) & (sizes <= window.hi) & positive
        fit = fit_power_law(
            sizes[m], losses[m], key=k_fit, groups=pick(m), with_floor=with_floor,
            n_bootstrap=n_bootstrap, ci=ci,
        )  # fmt: skip
    return WindowedFit(window, fit, slopes)
