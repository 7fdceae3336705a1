"""The typed reading: equivalence calls, and every combination of findings rendered without a
sentence that contradicts another or claims more than its fields."""

import itertools
import re

import pytest

from manifold_scaling.errors import InputError
from manifold_scaling.studies.findings import (
    Agreement,
    AgreementFinding,
    CellsFinding,
    Contrast,
    Mechanism,
    MechanismCall,
    Resolution,
    WindowFinding,
    check_band,
    check_share,
    equivalence,
    margin_band,
)
from manifold_scaling.studies.verdict import Verdict


def test_equivalence_is_three_way():
    band = (1.6, 2.5)
    assert equivalence((1.7, 2.4), band) is Agreement.CONSISTENT
    assert equivalence((2.6, 3.0), band) is Agreement.INCONSISTENT
    assert equivalence((0.2, 1.5), band) is Agreement.INCONSISTENT
    # failure to reject is not agreement: a wide interval around the prediction is undetermined
    assert equivalence((0.20, 2.12), band) is Agreement.UNDETERMINED
    assert equivalence(None, band) is Agreement.UNDETERMINED
    assert margin_band((2.0, 2.0)) == pytest.approx((1.6, 2.5))
    assert margin_band((0.75, 1.0)) == pytest.approx((0.6, 1.25))  # a range: 0.8 low, 1.25 high


def test_band_and_share_checks():
    assert check_band("b", (0.8, 1.25)) == (0.8, 1.25)
    for bad in ((1.25, 0.8), (0.0, 1.2), (1.1, 1.2), (0.8,)):
        with pytest.raises(InputError):
            check_band("b", bad)
    for bad in (0, 1, -0.1, 1.5):
        with pytest.raises(InputError):
            check_share("s", bad)


PREDICTION = (2.0, 2.0)
BAND = margin_band(PREDICTION)
INTERVALS = {
    "inside": (1.8, 2.2),
    "above": (2.7, 3.1),
    "below": (0.5, 1.0),
    "straddles": (1.2, 2.3),
    "none": None,
}
MECHANISMS = [None, *MechanismCall]
RESOLUTIONS = [None, True, False]
CELLS = [None, (20, 0), (20, 3), (20, 9)]  # 9 of 20 > 25 %: no verdict
WINDOWS = [(1.2, ()), (0.6, (2048.0,))]


def _verdict(alpha, ci_name, mech, resolved, cells, window):
    ci = INTERVALS[ci_name]
    kernel = AgreementFinding("the kernel band", (1.5, 3.0), margin_band((1.5, 3.0)),
                              equivalence(ci, margin_band((1.5, 3.0))))  # fmt: skip
    pl = AgreementFinding("4/d", PREDICTION, BAND, equivalence(ci, BAND))
    contrast = Contrast("kernel", 0.1, (-0.1, 0.3), 6, 0.4, Agreement.CONSISTENT)
    decades, above = window
    return Verdict(
        d=2, alpha=alpha if ci is not None or alpha is not None else None, alpha_ci=ci,
        predicted_alpha=2.0, ratio=None, fit_window=(64, 1024), window_decades=decades,
        learner="network", test_set="interior", agreements=(pl, kernel),
        resolution=None if resolved is None else Resolution(resolved, 64, 0.2, 0.3),
        mechanism=None if mech is None else Mechanism(mech, (contrast,), "why"),
        cells=None if cells is None else CellsFinding(cells[0], cells[1], 0.25, "rule"),
        window=WindowFinding(64.0, 1024.0, decades, 1.0, "rule", above),
    ).rendered()  # fmt: skip


# every combination of findings (an interval without an estimate does not occur)
COMBOS = [
    c
    for c in itertools.product([None, 2.0], INTERVALS, MECHANISMS, RESOLUTIONS, CELLS, WINDOWS)
    if c[0] is not None or c[1] == "none"
]


def _word(word, text):
    return re.search(rf"(?<![a-z]){word}", text) is not None


@pytest.mark.parametrize("combo", COMBOS, ids=lambda c: "-".join(map(str, c)))
def test_no_reading_claims_more_than_its_fields(combo):
    alpha, ci_name, mech, resolved, cells, window = combo
    v = _verdict(alpha, ci_name, mech, resolved, cells, window)
    text = v.reading
    calls = [a.call for a in v.agreements] if v.is_test else []
    # "consistent with" only under a consistent call, "inconsistent with" only under one
    assert _word("consistent with", text) == (Agreement.CONSISTENT in calls)
    assert ("inconsistent with" in text) == (Agreement.INCONSISTENT in calls)
    assert ("undetermined against" in text) == (Agreement.UNDETERMINED in calls)
    # never "follows"; "matches" only for a call that names a learner, on a row that is a test
    assert "follows" not in text
    named = mech in (MechanismCall.SIMPLEX, MechanismCall.LAPLACE, MechanismCall.NEITHER)
    assert ("matches" in text) == (named and v.is_test)
    # a row that is no test says why, and carries no agreement
    no_verdict = cells is not None and cells[1] / cells[0] > 0.25
    assert ("no verdict" in text) == no_verdict
    assert ("not a test of 4/d" in text) == (resolved is False and not no_verdict)
    if not v.is_test:
        assert v.agreement is None and not v.consistent
    else:
        assert v.agreement is v.agreements[0].call
        assert f"[{v.alpha_ci[0]:.2f}, {v.alpha_ci[1]:.2f}]" in text  # the span is printed
    assert v.consistent == (v.agreement is Agreement.CONSISTENT)
    # the typed verdict survives its JSON form, reading included
    again = Verdict.from_dict(v.to_dict())
    assert again == v and again.rendered().reading == text


def test_a_study_of_several_replicates_keeping_one_curve_gives_no_verdict():
    """An interval from one curve covers its scatter, not a re-run's (benchmarks/
    interval_coverage.py --pipeline: 0.77 against 0.94 over replicates): no verdict."""
    from manifold_scaling.studies.findings import CellsFinding

    one_left = CellsFinding(12, 2, 0.25, "rule", n_replicates=4, replicates_kept=1)
    assert one_left.share <= one_left.max_share and one_left.no_verdict
    assert "1 of 4 replicates" in one_left.why_no_verdict()
    assert not CellsFinding(12, 2, 0.25, "rule", n_replicates=4, replicates_kept=2).no_verdict
    # a study of one replicate by design keeps its single-curve reading (said as such)
    assert not CellsFinding(3, 0, 0.25, "rule", n_replicates=1, replicates_kept=1).no_verdict
    back = CellsFinding.from_dict(one_left.to_dict())
    assert back == one_left
