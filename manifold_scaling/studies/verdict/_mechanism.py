"""The resolution diagnostic, the paired contrasts of two learners' exponents, and the
mechanism call read from them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ..findings import Agreement, Contrast, Mechanism, MechanismCall, Resolution, equivalence


def resolution(rows: list[dict], teacher: dict, size: float | None = None) -> Resolution:
    """The resolution diagnostic, stated in advance and the same for every d: the median
    nearest-neighbour spacing of the training points against the length scale of the teacher's
    nonlinear part (mean over replicates). Sizes that fail it never enter a window (the design
    rule), so it is read at the window's smallest D (``size``) when there is a window, and at
    the largest D when there is none."""
    rule = (
        "resolution-limited needs the median nearest-neighbour spacing at every D of the window "
        "below the length scale of the teacher's nonlinear part"
    )
    sizes = [r["n_train"] for r in rows if "nn_spacing" in r]
    length = teacher.get("length_scale")
    if not sizes or length is None or not np.isfinite(length):
        return Resolution(None, rule="no spacing or length scale recorded")
    at = max(sizes) if size is None else size
    spacing = [r["nn_spacing"] for r in rows if r["n_train"] == at and "nn_spacing" in r]
    if not spacing:
        return Resolution(None, rule="no spacing recorded at that D")
    s = float(np.median(spacing))
    return Resolution(bool(s < float(length)), int(at), s, float(length), rule)


def paired_contrast(
    a: dict, b: dict, *, learner: str, margin: float, ci: float = 0.9
) -> Contrast | None:
    """Mean per-replicate difference ``a - b`` of two learners' exponents on the same data, with
    its Student-t interval, and its equivalence call against ``[-margin, margin]``: the
    like-for-like comparison (same teacher, training sets and test points) in which the teacher's
    own slope cancels."""
    from scipy.stats import t

    common = [k for k in a if k in b and np.isfinite(a[k]) and np.isfinite(b[k])]
    if len(common) < 2:
        return None
    diffs = np.array([a[k] - b[k] for k in common])
    half = float(t.ppf((1 + ci) / 2, diffs.size - 1) * diffs.std(ddof=1) / np.sqrt(diffs.size))
    mean = float(diffs.mean())
    interval = (mean - half, mean + half)
    call = equivalence(interval, (-margin, margin))
    return Contrast(learner, mean, interval, int(diffs.size), float(margin), call)


def paired_difference(a: dict, b: dict, ci: float = 0.9) -> dict | None:
    """:func:`paired_contrast` as ``{"mean", "ci", "n"}`` (no margin)."""
    c = paired_contrast(a, b, learner="", margin=math.inf, ci=ci)
    return None if c is None else {"mean": c.mean, "ci": list(c.interval), "n": c.n}


def _overlap(r1, r2) -> bool:
    return max(min(r1), min(r2)) <= min(max(r1), max(r2)) + 1e-12


def read_mechanism(contrasts: Sequence[Contrast], predictions: dict) -> Mechanism:
    """The mechanism call from the paired contrasts network - learner (their equivalence calls).

    Where this teacher's piecewise-linear and kernel predictions overlap, no call is made (*not
    identifiable at this teacher*). Otherwise the network *matches* a learner when its contrast
    with it is equivalent to 0 and its contrast with the other is not (wholly outside the
    margin); *neither* when both are wholly outside; *not identifiable* when both are
    equivalent (the learners agree on these data); else *undetermined*.
    """
    by = {c.learner: c for c in contrasts}
    pl, kr = predictions.get("piecewise_linear_range"), predictions.get("kernel_range")
    if pl is not None and kr is not None and _overlap(pl, kr):
        why = (
            f"the piecewise-linear [{min(pl):.2f}, {max(pl):.2f}] and kernel "
            f"[{min(kr):.2f}, {max(kr):.2f}] predictions overlap at this teacher"
        )
        return Mechanism(MechanismCall.NOT_IDENTIFIABLE, tuple(contrasts), why)
    s, k = by.get("simplex"), by.get("kernel")
    C, I = Agreement.CONSISTENT, Agreement.INCONSISTENT  # noqa: E741, N806
    if s is not None and k is not None:
        if s.call is C and k.call is C:
            why = "the simplex and Laplace learners agree on these data"
            return Mechanism(MechanismCall.NOT_IDENTIFIABLE, tuple(contrasts), why)
        if s.call is C and k.call is I:
            return Mechanism(MechanismCall.SIMPLEX, tuple(contrasts))
        if k.call is C and s.call is I:
            return Mechanism(MechanismCall.LAPLACE, tuple(contrasts))
        if s.call is I and k.call is I:
            return Mechanism(MechanismCall.NEITHER, tuple(contrasts))
    return Mechanism(MechanismCall.UNDETERMINED, tuple(contrasts))
