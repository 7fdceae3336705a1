"""Sweep-level progress: a bar where someone is watching, periodic log lines otherwise.

A terminal gets tqdm's text bar; a Jupyter kernel gets tqdm's widget bar (``tqdm.auto``; with
ipywidgets missing, the text bar in the cell's output), so a sweep started from a notebook is never
silent. Anything else (batch jobs, CI logs, output piped to a file) gets a log line at most every
30 s instead of a bar redrawn with carriage returns.
"""

from __future__ import annotations

import logging
import sys
import time

logger = logging.getLogger(__name__)

_LOG_EVERY_S = 30.0


def in_notebook() -> bool:
    """Whether this code runs in a Jupyter kernel (notebook, JupyterLab, VS Code, nbclient).

    The test is tqdm.auto's own: an IPython shell started by ``IPKernelApp``. A terminal IPython
    is not a kernel (it has a TTY instead); nothing is imported to find out.
    """
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    try:
        shell = ipython.get_ipython()
        return shell is not None and "IPKernelApp" in shell.config
    except Exception:  # an IPython too old or too odd to ask: no bar, the log lines still come
        return False


def interactive() -> bool:
    """Whether a progress bar has a viewer: a terminal on stderr, or a Jupyter kernel."""
    try:
        tty = sys.stderr.isatty()
    except (AttributeError, ValueError):  # replaced or closed stderr
        tty = False
    return tty or in_notebook()


class SweepProgress:
    """Counts finished trials of a sweep; ``done`` starts at the trials skipped on resume.

    ``enabled=None`` (the default) draws a tqdm bar (done/total, elapsed, ETA) when
    :func:`interactive` says someone is watching, and logs a line at most every 30 s otherwise,
    so cluster and CI logs stay readable. ``enabled=True`` / ``False`` forces one or the other
    (``--no-progress`` is ``False``).
    """

    def __init__(self, total: int, done: int, *, desc: str, enabled: bool | None = None):
        self.total, self.done, self.desc = total, done, desc
        self._initial = done
        self._start = time.monotonic()
        self._last_log = self._start
        if enabled is None:
            enabled = interactive()
        self._bar = None
        if enabled:
            # tqdm.auto: the widget bar in a Jupyter kernel, the text bar elsewhere.
            from tqdm.auto import tqdm

            self._bar = tqdm(
                total=total,
                initial=done,
                desc=desc,
                unit="trial",
                file=sys.stderr,
                dynamic_ncols=True,
            )

    def update(self, n: int = 1) -> None:
        self.done += n
        if self._bar is not None:
            self._bar.update(n)
            return
        now = time.monotonic()
        if now - self._last_log >= _LOG_EVERY_S:
            self._last_log = now
            logger.info("%s: %d/%d trials done%s", self.desc, self.done, self.total, self._eta(now))

    def _eta(self, now: float) -> str:
        ran = self.done - self._initial
        # A batched group reports all its trials at once, and the first of them arrives when the
        # log is due: a rate from one trial would say hours. Wait for a few percent of the sweep.
        if ran < max(2, 0.05 * (self.total - self._initial)):
            return ""
        left = (now - self._start) / ran * (self.total - self.done)
        return f", about {left / 60:.1f} min left"

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
