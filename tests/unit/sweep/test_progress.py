"""Sweep progress: a bar in a notebook, log lines without a viewer, forced either way, the time left."""

from __future__ import annotations

import logging
import sys
import types

import pytest

from manifold_scaling.sweep import progress as progress_module
from manifold_scaling.sweep.progress import SweepProgress


def _fake_ipython(config: dict):
    shell = types.SimpleNamespace(config=config)
    return types.SimpleNamespace(get_ipython=lambda: shell)


class _NotATerminal:
    def isatty(self):
        return False

    def write(self, text):
        return len(text)

    def flush(self):
        pass


def test_progress_bar_in_a_jupyter_kernel_without_a_tty(monkeypatch):
    monkeypatch.setattr(sys, "stderr", _NotATerminal())
    monkeypatch.setitem(sys.modules, "IPython", _fake_ipython({"IPKernelApp": {}}))
    assert progress_module.in_notebook()
    with SweepProgress(3, 0, desc="t") as bar:
        assert bar._bar is not None
        bar.update()


@pytest.mark.parametrize(
    "ipython", [None, _fake_ipython({}), _fake_ipython({"TerminalIPythonApp": {}})]
)
def test_no_bar_but_log_lines_without_a_viewer(monkeypatch, caplog, ipython):
    """CI logs, batch jobs, a terminal IPython with its output piped: periodic lines, no bar."""
    monkeypatch.setattr(sys, "stderr", _NotATerminal())
    monkeypatch.setitem(sys.modules, "IPython", ipython)
    monkeypatch.setattr(progress_module, "_LOG_EVERY_S", 0.0)
    with caplog.at_level(logging.INFO, logger=progress_module.__name__):
        with SweepProgress(4, 1, desc="study") as bar:
            assert bar._bar is None
            bar.update()
    assert "study: 2/4 trials done" in caplog.text


def test_progress_can_be_forced_either_way(monkeypatch):
    monkeypatch.setitem(sys.modules, "IPython", _fake_ipython({"IPKernelApp": {}}))
    with SweepProgress(2, 0, desc="t", enabled=False) as bar:
        assert bar._bar is None  # --no-progress wins in a notebook too


def test_progress_gives_no_time_left_from_the_first_trial_of_a_batched_group():
    """A one-program-per-d group reports its 64 trials in one burst: the rate from the first of
    them alone would promise hours, so no estimate until a few percent of the sweep have run."""
    from manifold_scaling.sweep.progress import SweepProgress

    bar = SweepProgress(256, 0, desc="t", enabled=False)
    bar.update()
    assert bar._eta(bar._start + 420.0) == ""
    for _ in range(63):
        bar.update()
    eta = bar._eta(bar._start + 420.0)  # 64 done in 7 min: 192 left take 21 min
    assert eta == ", about 21.0 min left", eta
