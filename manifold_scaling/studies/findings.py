"""Typed findings of a verdict, and the one place they are rendered to words.

A verdict claims only what its interval shows. Every reading is an *equivalence* call against a
band stated in advance (two one-sided tests, Schuirmann 1987; Lakens 2017): **consistent** only
when the whole interval lies inside the band, **inconsistent** when it lies wholly outside,
otherwise **undetermined** -- failure to reject a prediction is never read as agreement. The same
three-way call decides each paired contrast network - learner against ``|delta| <= margin``.

The analysis (``studies.verdict``) fills these types; :func:`render` is the only code that turns
them into a sentence, so no sentence is built by joining the outputs of different rules.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from enum import Enum, StrEnum

from ..errors import InputError

__all__ = [
    "AGREEMENT_BAND",
    "CONTRAST_MARGIN",
    "MAX_EXCLUDED_SHARE",
    "Agreement",
    "AgreementFinding",
    "CellsFinding",
    "Contrast",
    "Exponent",
    "Mechanism",
    "MechanismCall",
    "PooledExponent",
    "Resolution",
    "WindowFinding",
    "check_band",
    "check_share",
    "equivalence",
    "margin_band",
    "render",
]

#: The equivalence band, stated in advance: [0.8 x low, 1.25 x high] of the prediction's range.
AGREEMENT_BAND = (0.8, 1.25)
#: A paired contrast network - learner is "equivalent" when |delta| <= this x the piecewise-linear
#: prediction (0.2 x 4/d for MSE).
CONTRAST_MARGIN = 0.2
#: More than this share of a window's cells excluded by the convergence rule: no verdict.
MAX_EXCLUDED_SHARE = 0.25


class Agreement(StrEnum):
    """The three-way equivalence call of an interval against a band."""

    CONSISTENT = "consistent"
    INCONSISTENT = "inconsistent"
    UNDETERMINED = "undetermined"


def check_band(name: str, band) -> tuple[float, float]:
    """A multiplicative band ``(low, high)`` with 0 < low <= 1 <= high."""
    try:
        lo, hi = (float(v) for v in band)
    except (TypeError, ValueError):
        raise InputError(name, f"must be two numbers low high (got {band!r})") from None
    if not (math.isfinite(lo) and math.isfinite(hi)) or lo > hi:
        raise InputError(name, f"must have low <= high (got {lo:g} {hi:g})")
    if not 0 < lo <= 1 <= hi:
        raise InputError(name, f"must satisfy 0 < low <= 1 <= high (got {lo:g} {hi:g})")
    return lo, hi


def check_share(name: str, value) -> float:
    """A margin or share strictly inside (0, 1)."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise InputError(name, f"must be a number in (0, 1) (got {value!r})") from None
    if not 0 < value < 1:
        raise InputError(name, f"must be in (0, 1) (got {value:g})")
    return value


def margin_band(predicted_range, band=AGREEMENT_BAND) -> tuple[float, float]:
    """The band an interval is read against: ``[band[0] x low, band[1] x high]``."""
    lo, hi = sorted(float(v) for v in predicted_range)
    return band[0] * lo, band[1] * hi


def equivalence(interval, band) -> Agreement:
    """Consistent when ``interval`` lies inside ``band``, inconsistent when wholly outside it."""
    if interval is None:
        return Agreement.UNDETERMINED
    lo, hi = interval
    if band[0] <= lo and hi <= band[1]:
        return Agreement.CONSISTENT
    if hi < band[0] or lo > band[1]:
        return Agreement.INCONSISTENT
    return Agreement.UNDETERMINED


class _Typed:
    """``to_dict``/``from_dict`` for the frozen findings (enums by value, tuples as lists)."""

    def to_dict(self) -> dict:
        out = {}
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if isinstance(v, Enum):
                v = v.value
            elif isinstance(v, _Typed):
                v = v.to_dict()
            elif isinstance(v, tuple):
                v = [x.to_dict() if isinstance(x, _Typed) else x for x in v]
            out[f.name] = v
        return out

    @classmethod
    def from_dict(cls, data: dict | None):
        if data is None:
            return None
        kw = {}
        for f in dataclasses.fields(cls):
            if f.name not in data:
                continue
            kw[f.name] = _decode(f.type, data[f.name])
        return cls(**kw)


def _decode(annotation: str, value):
    if value is None:
        return None
    for enum in (Agreement, MechanismCall):
        if enum.__name__ in annotation:
            return enum(value)
    for typed in (Contrast, Exponent, AgreementFinding):
        if annotation.startswith(f"tuple[{typed.__name__}"):
            return tuple(typed.from_dict(x) for x in value)
        if annotation.startswith(typed.__name__):
            return typed.from_dict(value)
    if annotation.startswith("tuple") and isinstance(value, list):
        return tuple(value)
    return value


@dataclass(frozen=True)
class Exponent(_Typed):
    """A fitted exponent with its interval over replicates, on one test set."""

    alpha: float
    interval: tuple[float, float] | None
    n: int
    test_set: str  # "interior" (inside the smallest training set's hull) | "full" | "all cells"


@dataclass(frozen=True)
class AgreementFinding(_Typed):
    """One equivalence call of an exponent's interval against a prediction's band."""

    target: str  # what the prediction is, in words: "4/d", "the kernel band", ...
    predicted_range: tuple[float, float]
    band: tuple[float, float]  # the margin band read against
    call: Agreement


@dataclass(frozen=True)
class Resolution(_Typed):
    """Are the data resolving the teacher across the whole window?

    The median nearest-neighbour spacing at the window's *smallest* D against the length scale of
    the teacher's nonlinear part (``teachers.teacher_length_scale``)."""

    resolved: bool | None
    size: int | None = None
    nn_spacing: float | None = None
    length_scale: float | None = None
    rule: str = ""


@dataclass(frozen=True)
class Contrast(_Typed):
    """A paired contrast network - learner over replicates (same teacher, data and test points):
    the teacher's own slope cancels. ``call`` is the equivalence of ``interval`` with
    ``[-margin, margin]``."""

    learner: str
    mean: float
    interval: tuple[float, float] | None
    n: int
    margin: float
    call: Agreement


class MechanismCall(StrEnum):
    """Which of the theories' own learners the network's exponent matches, as measured."""

    SIMPLEX = "matches the simplex interpolant"
    LAPLACE = "matches the Laplace learner"
    NEITHER = "matches neither learner"
    NOT_IDENTIFIABLE = "not identifiable"
    UNDETERMINED = "undetermined"


@dataclass(frozen=True)
class Mechanism(_Typed):
    """The mechanism call from the paired contrasts, and why when no call is made."""

    call: MechanismCall
    contrasts: tuple[Contrast, ...] = ()
    why: str = ""  # for NOT_IDENTIFIABLE: "bands overlap ..." or "the learners agree"


@dataclass(frozen=True)
class WindowFinding(_Typed):
    """The sizes the fit used, by a rule fixed in advance."""

    lo: float | None
    hi: float | None
    decades: float
    min_decades: float
    rule: str
    failing_above: tuple[float, ...] = ()  # sizes above the window that fail the size rule
    failing_below: tuple[float, ...] = ()
    n_sizes: int | None = None  # sizes inside the window (None: not recorded)

    @property
    def spans_min(self) -> bool:
        return self.lo is not None and self.decades >= self.min_decades - 1e-9


@dataclass(frozen=True)
class CellsFinding(_Typed):
    """The per-(replicate, size) convergence rule inside the window: cells, not sizes, excluded."""

    n_cells: int
    n_excluded: int
    max_share: float
    rule: str
    excluded: tuple[str, ...] = ()  # "seed@D: why"
    replicates_dropped: int = 0  # replicates left with < 3 passing cells
    # Replicates in the window, and how many keep a fit: an interval from one curve covers that
    # curve's scatter, not a re-run's (measured: 0.77 coverage against 0.94 over replicates), so a
    # study of several replicates that keeps fewer than 2 gives no verdict.
    n_replicates: int = 0
    replicates_kept: int | None = None

    @property
    def share(self) -> float:
        return self.n_excluded / self.n_cells if self.n_cells else 0.0

    @property
    def too_few_replicates(self) -> bool:
        kept = self.replicates_kept
        return kept is not None and self.n_replicates >= 2 and kept < 2

    @property
    def no_verdict(self) -> bool:
        return self.share > self.max_share or self.too_few_replicates

    def why_no_verdict(self) -> str:
        if self.share > self.max_share:
            return (
                f"no verdict: {self.n_excluded} of {self.n_cells} cells ({self.share:.0%}) fail "
                f"the convergence rule (at most {self.max_share:.0%} may)"
            )
        return (
            f"no verdict: {self.replicates_kept} of {self.n_replicates} replicates keep 3 sizes "
            "of passing cells (an interval over teachers needs 2)"
        )


@dataclass(frozen=True)
class PooledExponent(_Typed):
    """One pooled test of 4/d across dimensions: alpha_d = kappa / d, kappa from every d's
    replicates (equal weight per d; Welch-Satterthwaite degrees of freedom)."""

    kappa: float
    interval: tuple[float, float]
    dims: tuple[float, ...]
    n: int
    agreement: AgreementFinding
    rule: str = ""


# --- the one rendering ----------------------------------------------------------------------------

# Phrasing per size axis. Only the nouns differ; the logic is shared.
_AXES = {
    "D": {"x": "D", "none": "no size passes the size rule", "target": "4/d"},
    "N": {"x": "N", "none": "no width converged", "target": "4/d"},
    "real": {"x": "D", "none": "no size fits its training set", "target": "4/d_hat"},
    "reference": {"x": "D", "none": "no size passes the size rule", "target": "its theory's rate"},
    "variance": {"x": "D", "none": "no size has D >> P", "target": "D^-1"},
}


def _span(interval) -> str:
    return f"[{interval[0]:.2f}, {interval[1]:.2f}]"


def _agreement_words(f: AgreementFinding, interval) -> str:
    band = _span(f.band)
    if f.call is Agreement.CONSISTENT:
        return f"consistent with {f.target}: its interval {_span(interval)} lies inside {band}"
    if f.call is Agreement.INCONSISTENT:
        side = "above" if interval[0] > f.band[1] else "below"
        return f"inconsistent with {f.target}: its interval {_span(interval)} lies {side} {band}"
    return f"undetermined against {f.target}: its interval {_span(interval)} reaches outside {band}"


def _contrast_words(c: Contrast) -> str:
    name = {"simplex": "simplex", "kernel": "Laplace"}.get(c.learner, c.learner)
    ci = "" if c.interval is None else f" [{c.interval[0]:+.2f}, {c.interval[1]:+.2f}]"
    within = {Agreement.CONSISTENT: "inside", Agreement.INCONSISTENT: "outside"}.get(
        c.call, "not decided by"
    )
    return f"network - {name} {c.mean:+.2f}{ci}, {within} ±{c.margin:.2f}"


def _mechanism_words(m: Mechanism) -> str:
    contrasts = "; ".join(_contrast_words(c) for c in m.contrasts)
    tail = f" ({contrasts}, over {m.contrasts[0].n} replicates)" if m.contrasts else ""
    if m.call is MechanismCall.NOT_IDENTIFIABLE:
        return f"mechanism not identifiable: {m.why}{tail}"
    if m.call is MechanismCall.UNDETERMINED:
        return f"mechanism undetermined{tail}"
    return f"the network {m.call.value}{tail}"


def render(v) -> str:
    """The reading of a verdict ``v`` (a ``studies.verdict.Verdict``), from its typed findings."""
    axis = _AXES.get(v.axis, _AXES["D"])
    x = axis["x"]
    win = v.window
    if v.alpha is None:
        if win is not None and win.lo is not None and win.n_sizes is not None and win.n_sizes < 3:
            below = ""
            if win.failing_below:
                excluded = (v.diagnostics or {}).get("excluded") or {}
                why = {float(k): w for k, w in excluded.items()}.get(max(win.failing_below))
                below = f"; sizes below {x} = {win.lo:g} fail the size rule"
                below += f" ({x} = {max(win.failing_below):g}: {why})" if why else ""
            return f"fewer than 3 sizes pass (window {x} = {win.lo:g}-{win.hi:g}): no fit{below}"
        if v.cells is not None and v.cells.no_verdict:
            text = v.cells.why_no_verdict()
            s = v.sensitivity
            if s is not None and s.interval is not None:
                text += f"; on all cells (a diagnostic) alpha = {s.alpha:.2f} {_span(s.interval)}"
            return text
        r = v.resolution
        if r is not None and r.resolved is False:
            return (
                f"not a test of {axis['target']}: no window, the nearest-neighbour spacing at "
                f"{x} = {r.size} ({r.nn_spacing:.2f}) is not below the teacher's length scale "
                f"({r.length_scale:.2f})"
            )
        if win is None or win.lo is None:
            return f"{axis['none']}: no exponent"
        return f"fewer than 3 sizes pass (window {x} = {win.lo:g}-{win.hi:g}): no fit"
    on = f" on the {v.test_set} test points" if v.test_set in ("interior", "full") else ""
    parts = [f"alpha = {v.alpha:.2f}{on}"]
    if v.cells is not None and v.cells.no_verdict:
        parts.append(v.cells.why_no_verdict())
        return "; ".join(parts)
    if v.resolution is not None and v.resolution.resolved is False:
        r = v.resolution
        parts.append(
            f"not a test of {axis['target']}: the nearest-neighbour spacing at {x} = {r.size} "
            f"({r.nn_spacing:.2f}) is not below the teacher's length scale ({r.length_scale:.2f})"
        )
    elif v.alpha_ci is None:
        parts.append(f"no interval (one replicate): nothing to read against {axis['target']}")
    else:
        for finding in v.agreements:
            parts.append(_agreement_words(finding, v.alpha_ci))
        if v.mechanism is not None:
            parts.append(_mechanism_words(v.mechanism))
    if v.interval and v.interval.startswith("residual"):
        parts.append("one replicate: the interval covers this curve's scatter, not a re-run's")
    if v.cells is not None and v.cells.n_excluded:
        parts.append(
            f"{v.cells.n_excluded} of {v.cells.n_cells} cells excluded by the convergence rule"
        )
    if win is not None:
        if win.failing_above:
            parts.append(f"sizes above {x} = {win.hi:g} fail the size rule")
        if win.failing_below:
            parts.append(f"sizes below {x} = {win.lo:g} fail the size rule")
        if not win.spans_min and v.axis != "variance":
            parts.append(f"window spans {win.decades:.2f} decades (< {win.min_decades:g})")
    return "; ".join(parts)
