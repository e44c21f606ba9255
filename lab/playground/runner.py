"""One batch of requests with one strategy, in plain asyncio: no widgets.

    summary = await run_batch(Settings(strategy="gather", n=20, fail_rate=0.2, seed=1))
    print(summary); summary.figure()

`fire` runs the batch and records each request's outcome in a `Run`; `run_batch` does it on a
clean journal and waits for the server to be idle before it summarizes. The strategy is a name
in STRATEGIES or a function passed in `Settings(strategy=...)`.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp

import fakeapi

from ..journal import Entry, max_in_flight
from ..timeline import timeline
from .strategies import STRATEGIES, Job, Strategy, name_of


@dataclass
class Settings:
    strategy: str | Strategy = "gather"  # a name in STRATEGIES, or a strategy function of your own
    n: int = 10
    latency: float = 0.3
    jitter: float = 0.0
    fail_rate: float = 0.0
    seed: int = 0
    k: int = 3

    def __post_init__(self) -> None:
        if isinstance(self.strategy, str) and self.strategy not in STRATEGIES:
            raise ValueError(f"strategy must be one of {list(STRATEGIES)} or a function, got {self.strategy!r}")
        if not isinstance(self.strategy, str) and not inspect.iscoroutinefunction(self.strategy):
            raise ValueError(f"a strategy is an `async def` function of (jobs, k), got {self.strategy!r}")
        if not 1 <= self.n <= 100:
            raise ValueError(f"n must be from 1 to 100, got {self.n!r}")
        if self.k < 1:
            raise ValueError(f"k must be 1 or more, got {self.k!r}")

    def function(self) -> Strategy:
        """The strategy to run: the one named in STRATEGIES, or the function given."""
        return STRATEGIES[self.strategy] if isinstance(self.strategy, str) else self.strategy

    def path(self, i: int) -> str:
        """Request i of the batch: a todo, answered after `latency` (+ jitter), failing at `fail_rate`.

        Each request has its own seed (seed + i), so which ones fail depends only on the settings.
        """
        return (f"/todos/{i % 10 + 1}?delay={self.latency:g}&jitter={self.jitter:g}"
                f"&fail_rate={self.fail_rate:g}&seed={self.seed + i}")


@dataclass
class Run:
    """One run in progress: each request's outcome so far, and what the strategy raised."""

    settings: Settings
    outcomes: list[str] = field(default_factory=list)  # "not started", "running", "ok", "failed", "cancelled"
    started: float = 0.0
    raised: str | None = None
    raised_at: float | None = None
    stop_requested: bool = False
    stopped: bool = False

    def __post_init__(self) -> None:
        self.outcomes = ["not started"] * self.settings.n

    def count(self, outcome: str) -> int:
        return self.outcomes.count(outcome)


@dataclass
class Summary:
    """What one run did: the client's count of outcomes, and the server's journal."""

    run: Run
    elapsed: float
    max_in_flight: int
    entries: list[Entry] = field(default_factory=list, repr=False)

    @property
    def settings(self) -> Settings:
        return self.run.settings

    def count(self, outcome: str) -> int:
        return self.run.count(outcome)

    def __str__(self) -> str:
        s, run = self.settings, self.run
        lines = [name_of(s.strategy) + (f" with k={s.k}" if s.strategy == "semaphore" else "")
                 + f": {s.n} requests of {s.latency:.2f} s" + (f" + jitter up to {s.jitter:.2f} s" if s.jitter else "")
                 + f", fail_rate {s.fail_rate:g}, seed {s.seed}"]
        if run.stopped:
            lines.append("stopped by you: every request still running was cancelled")
        elif run.raised and run.raised_at is not None:
            lines.append(f"the strategy raised {run.raised} after {run.raised_at - run.started:.2f} s")
        lines.append(f"ok {self.count('ok')} · failed {self.count('failed')} · cancelled {self.count('cancelled')}"
                     f" · not started {self.count('not started')} · max in flight {self.max_in_flight}"
                     f" · elapsed {self.elapsed:.2f} s")
        return "\n".join(lines)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(str(self))

    def figure(self, xmax: float | None = None) -> Any:
        """The run's timeline: one bar per request (labelled #i), colored by how it ended.

        xmax: where the time axis ends, in seconds (to compare runs on one scale, or give the legend room).
        """
        s, run = self.settings, self.run
        labels = [f"#{int(e['query'].get('seed', s.seed)) - s.seed}" for e in self.entries]
        marks = {}
        if run.raised and run.raised_at is not None:
            marks[f"{run.raised} raised"] = run.raised_at
        if run.stopped and run.raised_at is not None:
            marks["Stop"] = run.raised_at
        title = f"{name_of(s.strategy)}: {s.n} requests, at most {self.max_in_flight} in flight"
        return timeline(self.entries, title=title, marks=marks, labels=labels, xmax=xmax)


async def fire(session: aiohttp.ClientSession, base_url: str, run: Run,
               on_change: Callable[[Run], None] | None = None) -> None:
    """Run the batch with run.settings' strategy, recording each request's outcome in `run`.

    Requests the strategy leaves running (gather's others after a failure) are awaited, and
    cancelled if this coroutine is cancelled: when fire is over, nothing it started is running.
    """
    settings = run.settings
    running: set[asyncio.Task[Any]] = set()
    closing = False  # set once fire is cancelled: a request that had not begun yet never begins

    def mark(i: int, outcome: str) -> None:
        run.outcomes[i] = outcome
        if on_change is not None:
            on_change(run)

    async def request(i: int) -> None:
        task = asyncio.current_task()
        assert task is not None
        running.add(task)
        mark(i, "running")
        try:
            if closing:
                raise asyncio.CancelledError
            async with session.get(base_url + settings.path(i)) as response:
                response.raise_for_status()
                await response.read()
        except asyncio.CancelledError:
            mark(i, "cancelled")
            raise
        except Exception:
            mark(i, "failed")
            raise
        else:
            mark(i, "ok")
        finally:
            running.discard(task)

    def job(i: int) -> Job:
        return lambda: request(i)

    try:
        await settings.function()([job(i) for i in range(settings.n)], settings.k)
    except Exception as exc:  # an ExceptionGroup from TaskGroup too
        run.raised, run.raised_at = type(exc).__name__, time.monotonic()
    except asyncio.CancelledError:
        run.raised_at = time.monotonic()
        closing = True
        for task in running:
            task.cancel()
        raise
    finally:
        while running:  # gather's other requests run on after a failure: wait for them before the summary
            await asyncio.gather(*running, return_exceptions=True)


async def run_batch(run: Run | Settings, api: fakeapi.FakeAPI | None = None,
                    on_change: Callable[[Run], None] | None = None) -> Summary:
    """One complete run on a clean journal: fire the batch, wait until the server is idle, summarize.

    Setting run.stop_requested before cancelling the task running this makes it a Stop: the
    requests are cancelled and a summary is still returned.
    """
    run = run if isinstance(run, Run) else Run(run)
    api = api or fakeapi.start()
    run.started = time.monotonic()
    try:
        await api.wait_idle()
        api.clear_journal()
        run.started = time.monotonic()
        async with aiohttp.ClientSession() as session:
            await fire(session, api.url, run, on_change)
    except asyncio.CancelledError:
        task = asyncio.current_task()
        if not run.stop_requested or task is None:
            raise
        task.uncancel()
        run.stopped = True
        run.raised_at = run.raised_at or time.monotonic()
    elapsed = time.monotonic() - run.started
    await api.wait_idle()
    entries = api.journal()
    return Summary(run, elapsed, max_in_flight(entries), entries)
