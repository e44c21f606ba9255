"""Showing what Python reports about async code, in a form that reads the same on every run.

    with lab.show_warnings():          # prints "RuntimeWarning: coroutine 'f' was never awaited"
        f()

    with lab.asyncio_debug(slow_callback_duration=0.2) as slow:
        await asyncio.gather(...)      # asyncio's debug mode is on inside the block only
    for step in slow:
        print(step)                    # "a step of f() held the event loop for 0.30 s"

A warning's full text starts with a file path, and asyncio's debug log line names task ids and
memory addresses: both change from run to run. These helpers keep what a lesson is about (the
warning's category and message; which coroutine blocked the loop and for how long) and drop the rest.
"""

from __future__ import annotations

import asyncio
import logging
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import cast


@contextmanager
def show_warnings() -> Iterator[list[warnings.WarningMessage]]:
    """Catch every warning raised in the block (each time it happens) and print "Category: message" at the end."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield caught
    for warning in caught:
        print(f"{warning.category.__name__}: {warning.message}")


@dataclass(frozen=True)
class SlowStep:
    """One step of a task (or one callback) that asyncio's debug mode reported as too slow."""

    callback: str  # "profile_after_time_sleep()" for a task's step, else the callback as asyncio wrote it
    seconds: float

    def __str__(self) -> str:
        return f"a step of {self.callback} held the event loop for {self.seconds:.2f} s"


_CORO = re.compile(r"coro=<([\w.<>]+\(\))")


class _Collect(logging.Handler):
    def __init__(self, into: list[SlowStep]) -> None:
        super().__init__(logging.WARNING)
        self.into = into

    def emit(self, record: logging.LogRecord) -> None:
        # asyncio logs: logger.warning('Executing %s took %.3f seconds', handle, seconds)
        if not (record.msg.startswith("Executing") and isinstance(record.args, tuple) and len(record.args) == 2):
            return
        what, seconds = record.args
        found = _CORO.search(str(what))
        self.into.append(SlowStep(found.group(1) if found else str(what), float(cast(float, seconds))))


@contextmanager
def asyncio_debug(slow_callback_duration: float = 0.1) -> Iterator[list[SlowStep]]:
    """Turn on the running loop's debug mode for the block; collect the steps it reports as slow.

    Inside: loop.set_debug(True) and loop.slow_callback_duration = slow_callback_duration.
    After the block both are set back, and the asyncio logger is as it was.
    Call it inside a running loop (a notebook cell, or a coroutine).
    """
    loop = asyncio.get_running_loop()
    logger = logging.getLogger("asyncio")
    slow: list[SlowStep] = []
    handler = _Collect(slow)
    was_debug, was_duration = loop.get_debug(), loop.slow_callback_duration
    was_propagating, was_level = logger.propagate, logger.level
    logger.addHandler(handler)
    logger.propagate = False  # the lesson prints the report; no second copy with addresses on stderr
    if logger.getEffectiveLevel() > logging.WARNING:
        logger.setLevel(logging.WARNING)
    loop.set_debug(True)
    loop.slow_callback_duration = slow_callback_duration
    try:
        yield slow
    finally:
        loop.set_debug(was_debug)
        loop.slow_callback_duration = was_duration
        logger.removeHandler(handler)
        logger.propagate = was_propagating
        logger.setLevel(was_level)
