"""A logger whose lines say when they were written, for lessons that log as requests finish.

    clock = lab.Stopwatch()
    log = lab.timed_logger("dashboard", clock)   # "0.30 s  WARNING settings failed: ..." on stdout
    clock.restart()                               # before each page: its lines count from here

Lines go to stdout: Jupyter shows a handler's default stderr in red, and a lesson's stderr is
compared when the notebook is checked. Calling timed_logger again for the same name replaces the
handler, so re-running a cell never doubles a line.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import TextIO

FORMAT = "%(since_start).2f s  %(levelname)-7s %(message)s"


class Stopwatch:
    """Seconds on time.monotonic() since the last restart() (or since it was made)."""

    def __init__(self) -> None:
        self.started = time.monotonic()

    def restart(self) -> float:
        """Start counting from now; returns the time.monotonic() it started at."""
        self.started = time.monotonic()
        return self.started

    def elapsed(self) -> float:
        return time.monotonic() - self.started


class _SinceStart(logging.Filter):
    def __init__(self, clock: Stopwatch) -> None:
        super().__init__()
        self.clock = clock

    def filter(self, record: logging.LogRecord) -> bool:
        record.since_start = self.clock.elapsed()  # seconds since the clock's last restart()
        return True


def timed_logger(name: str, clock: Stopwatch, level: int = logging.INFO,
                 stream: TextIO | None = None) -> logging.Logger:
    """The logger `name`, writing to `stream` (stdout) each line prefixed with clock's seconds."""
    log = logging.getLogger(name)
    log.setLevel(level)
    log.propagate = False  # the root logger's handlers (if any) would print it a second time
    handler = logging.StreamHandler(stream if stream is not None else sys.stdout)
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(_SinceStart(clock))
    log.handlers[:] = [handler]
    return log
