"""Sweep-level progress: a tqdm bar on a terminal, periodic log lines otherwise."""

from __future__ import annotations

import logging
import sys
import time

logger = logging.getLogger(__name__)

_LOG_EVERY_S = 30.0


class SweepProgress:
    """Counts finished trials of a sweep; ``done`` starts at the trials skipped on resume.

    On a TTY (or ``enabled=True``) it draws a tqdm bar (done/total, elapsed, ETA); otherwise
    (batch jobs, CI) it logs a line at most every 30 s so cluster logs stay readable.
    """

    def __init__(self, total: int, done: int, *, desc: str, enabled: bool | None = None):
        self.total, self.done, self.desc = total, done, desc
        self._initial = done
        self._start = time.monotonic()
        self._last_log = self._start
        if enabled is None:
            enabled = sys.stderr.isatty()
        self._bar = None
        if enabled:
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
        if ran <= 0:
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
