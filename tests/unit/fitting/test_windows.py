"""The fit window: the longest passing run of sizes, ties, and the windowed replicate fit."""

from __future__ import annotations

import json

import numpy as np
import pytest
from _curves import SIZES, replicate_curves

from manifold_scaling.errors import InputError
from manifold_scaling.fitting import (
    FitWindow,
    fit_in_window,
    select_window,
)


def test_fit_in_window_gives_the_replicate_fit(key):
    rng = np.random.default_rng(26)
    d, loss, groups = replicate_curves(rng, [1.0, 1.1, 0.95])
    loss[(groups == 2) & (d == SIZES[3])] = np.nan  # a failed run: replicate 2 misses a size
    passes = np.ones(SIZES.size, bool)
    passes[0] = False
    wf = fit_in_window(d, loss, passes, key=key, groups=groups, n_bootstrap=50)
    assert wf.fit.interval == "replicate-t" and wf.fit.n_replicates == 3
    assert wf.fit.window == (SIZES[1], SIZES[-1]) and wf.fit.n_points == 3 * 7 - 1
    # Local slopes keep their within-size bootstrap; the size with two replicates still has one.
    assert wf.slopes.slopes_ci.shape == (SIZES.size - 1, 2)
    assert np.all(np.isfinite(wf.slopes.slopes_ci))
    none = fit_in_window(d, loss, passes, key=key, n_bootstrap=50)
    assert none.fit.interval == "residual-bootstrap-symmetric"


def test_window_is_longest_passing_run():
    sizes = [128, 256, 512, 1024, 2048, 4096, 8192]
    passes = [False, True, True, True, True, False, True]
    w = select_window(sizes, passes, reasons={128: "P/D = 0.5 < 2", 4096: "train/test 0.4 > 0.1"})
    assert (w.lo, w.hi) == (256.0, 2048.0)
    assert w.sizes == (256.0, 512.0, 1024.0, 2048.0)
    assert w.decades == pytest.approx(np.log10(8))
    assert not w.spans_min_decades
    assert w.excluded[128.0] == "P/D = 0.5 < 2"
    assert w.excluded[4096.0] == "train/test 0.4 > 0.1"
    assert "outside" in w.excluded[8192.0]
    assert "longest" in w.rule
    data = json.loads(json.dumps(w.to_dict()))
    assert set(data["excluded"]) == {"128", "4096", "8192"}


def test_window_tie_goes_to_larger_sizes_and_order_does_not_matter():
    sizes = [8000, 100, 200, 400, 1000, 2000, 4000]  # unsorted on purpose
    passes = [True, True, True, False, False, True, True]  # runs {100, 200} and {2000, 4000, 8000}
    w = select_window(sizes, passes, min_decades=0.5)
    assert w.sizes == (2000.0, 4000.0, 8000.0)
    assert w.spans_min_decades  # log10(4) = 0.6 >= 0.5
    tie = select_window([1, 2, 3, 4, 5], [True, True, False, True, True])
    assert tie.sizes == (4.0, 5.0)


def test_window_none_passing():
    w = select_window([10, 100, 1000], [False, False, False], reasons=["a", "b", None])
    assert w.lo is None and w.hi is None and w.sizes == ()
    assert w.decades == 0.0 and not w.spans_min_decades
    assert w.excluded == {10.0: "a", 100.0: "b", 1000.0: "fails a diagnostic"}
    assert isinstance(w, FitWindow)


def test_window_full_decade_and_custom_rule():
    w = select_window([100, 1000], [True, True], rule_text="my rule")
    assert w.spans_min_decades and w.decades == pytest.approx(1.0) and w.rule == "my rule"
    with pytest.raises(InputError, match="^sizes: "):
        select_window([100, 100], [True, True])
    with pytest.raises(InputError, match="^passes: "):
        select_window([100, 1000], [True])
