"""Running a learner's exercise against fakeapi and answering with specific feedback.

A check calls `observe(fn, ...)`, which runs the learner's coroutine function on a clean
journal and records what the server saw, then asserts on it. A wrong answer raises
CheckFailed with a hint; an exercise still holding `raise NotImplementedError` raises
NotSolvedYet. Both show as one friendly line in Jupyter instead of a traceback.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable

import fakeapi

from .journal import Entry, max_in_flight


class CheckFailed(AssertionError):
    """The exercise ran, but not the way it should: the message says what to change."""

    icon = "❌"

    def _render_traceback_(self) -> list[str]:  # IPython shows this instead of a traceback
        return [f"{self.icon} {type(self).__name__}: {self}"]


class NotSolvedYet(CheckFailed):
    """The exercise still holds `raise NotImplementedError`."""

    icon = "✏️"


def passed(message: str) -> None:
    print(f"✅ {message}")


@dataclass
class Observation:
    """What happened when the learner's function ran: its result and the server's view."""

    result: Any
    error: Exception | None
    entries: list[Entry]
    started_at: float
    returned_at: float
    leftover_tasks: list[asyncio.Task[Any]] = field(default_factory=list)

    @property
    def max_in_flight(self) -> int:
        return max_in_flight(self.entries)

    @property
    def still_running_at_return(self) -> list[Entry]:
        """Requests the server was still handling when the function returned."""
        return [e for e in self.entries
                if e["start"] < self.returned_at and (e["end"] is None or e["end"] > self.returned_at + 0.005)]


async def observe(fn: Callable[..., Awaitable[Any]], *args: Any, settle: float = 3.0) -> Observation:
    """Run `await fn(*args)` on a clean journal; return what it gave and what the server saw.

    Tasks the function left running are cancelled afterwards, so a wrong answer never keeps
    working behind the learner's back.
    """
    name = getattr(fn, "__name__", repr(fn))
    if not inspect.iscoroutinefunction(fn):
        raise CheckFailed(f"{name} should be defined with `async def`, so that it can await requests.")
    api = fakeapi.start()
    await api.wait_idle(settle)
    api.reset()
    tasks_before = asyncio.all_tasks()
    started_at = time.monotonic()
    result, error = None, None
    try:
        result = await fn(*args)
    except NotImplementedError:
        raise NotSolvedYet(f"{name} is not written yet: replace `raise NotImplementedError` with your code, "
                           "then run the cell again.") from None
    except Exception as exc:  # the check decides whether raising was right
        error = exc
    returned_at = time.monotonic()
    leftover = [t for t in asyncio.all_tasks() - tasks_before if not t.done()]
    try:
        await api.wait_idle(settle)
    except TimeoutError:
        pass
    entries = api.journal()
    for task in leftover:
        task.cancel()
    if leftover:
        await asyncio.gather(*leftover, return_exceptions=True)
    return Observation(result, error, entries, started_at, returned_at, leftover)
