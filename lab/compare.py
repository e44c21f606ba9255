"""Run approaches to the same failing batch side by side and tabulate what the journal saw.

    async def with_gather(tasks): ...      # fills `tasks` with the tasks it starts, then raises
    runs = {"gather": await lab.measure_batch(api, with_gather), ...}
    lab.comparison_table({name: run.row for name, run in runs.items()}, columns)

Every figure in a row comes from the server's journal or from the tasks themselves, after the
server is idle again: nothing is timed against a threshold.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .journal import outcomes


@dataclass
class BatchRun:
    entries: list[dict[str, Any]]  # the journal of this run, sorted by `order` if one was given
    raised: float                  # time.monotonic() when the approach raised
    error: BaseException           # what it raised
    row: dict[str, Any] = field(default_factory=dict)

    @property
    def origin(self) -> float:
        """The start of this run's first request (the zero of its timeline)."""
        return min(e["start"] for e in self.entries)


async def measure_batch(api: Any, approach: Callable[[list[asyncio.Task[Any]]], Awaitable[Any]],
                        order: Callable[[list[dict[str, Any]]], list[dict[str, Any]]] | None = None) -> BatchRun:
    """Run `approach(tasks)` on a clean journal; it must raise. Count what it left behind.

    The row: what it raised and when (from the first request's start), the journal's outcomes,
    requests that ended ok after it had raised, and its tasks still running when it raised.
    """
    api.clear_journal_and_notifications()
    tasks: list[asyncio.Task[Any]] = []
    try:
        await approach(tasks)
    except Exception as exc:  # the failure the batch was built to have
        raised, error = time.monotonic(), exc
    else:
        raise AssertionError(f"{getattr(approach, '__name__', approach)} did not raise: the batch should fail")
    running = sum(not task.done() for task in tasks)
    await api.wait_idle()
    entries = api.journal()
    entries = order(entries) if order is not None else entries
    run = BatchRun(entries, raised, error)
    late = sum(e["outcome"] == "ok" and e["end"] > raised for e in entries)
    run.row = {"raised": f"{type(error).__name__} after {raised - run.origin:.2f} s", **outcomes(entries),
               "ok after it raised": late, "tasks running when it raised": running}
    return run


def comparison_table(rows: Mapping[str, Mapping[str, Any]], columns: Sequence[str], first: str = "approach") -> Any:
    """The approaches side by side: a Markdown table, one row per entry of `rows`, one column per name in
    `columns` (missing: 0). (Not fakeapi.params.markdown_table, which writes the chaos parameters' table.)

    In IPython it displays as a table; elsewhere str() of it is the Markdown text.
    """
    lines = [f"| {first} | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    lines += [f"| {name} | " + " | ".join(str(row.get(c, 0)) for c in columns) + " |" for name, row in rows.items()]
    text = "\n".join(lines)
    try:
        from IPython.display import Markdown
    except ImportError:
        return text
    return Markdown(text)


