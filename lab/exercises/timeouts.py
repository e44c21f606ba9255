"""Checks for 08_timeouts_cancellation."""

from __future__ import annotations

import asyncio
import time
from typing import Any, Awaitable, Callable

import aiohttp

import fakeapi
from lab.checks import CheckFailed, observe, passed

SECONDS = 0.3  # the time budget the check gives json_or_none on a server that hangs
FAST_DELAY, FAST_SECONDS = 0.4, 1.0  # a server slower than SECONDS but within its budget: catches a hard-coded 0.3
GRACE = 2.0  # how long past that budget the check waits before calling it "no timeout"


async def _observe_within(fn: Callable[..., Awaitable[Any]], session: aiohttp.ClientSession, url: str,
                          seconds: float):
    """observe(fn, session, url, seconds), but give up (and say so) if fn is still waiting GRACE s past its budget."""
    name = getattr(fn, "__name__", "json_or_none")
    try:
        async with asyncio.timeout(seconds + GRACE):
            return await observe(fn, session, url, seconds, settle=0.5)
    except TimeoutError:
        raise CheckFailed(f"{name}(session, url, {seconds}) was still waiting {GRACE:g} s after its {seconds} s were "
                          "up, on a server that never answers: put the request inside "
                          "`async with asyncio.timeout(seconds):`.") from None


async def _cancel_from_outside(fn: Callable[..., Awaitable[Any]], session: aiohttp.ClientSession,
                               api: fakeapi.FakeAPI) -> asyncio.Task[Any]:
    """Start fn on a slow URL with a generous budget, cancel it once the server has the request, await it."""
    api.reset()
    task = asyncio.create_task(fn(session, f"{api.url}/users/3?delay=2", 10))
    deadline = time.monotonic() + 2
    while api.stats()["in_flight"] == 0 and not task.done() and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    task.cancel()
    try:
        async with asyncio.timeout(GRACE):
            await asyncio.gather(task, return_exceptions=True)
    except TimeoutError:
        raise CheckFailed("after it was cancelled, your function kept running: never catch CancelledError "
                          "without raising it again.") from None
    return task


async def check_json_or_none(json_or_none: Callable[[aiohttp.ClientSession, str, float], Awaitable[Any]]) -> None:
    """json_or_none(session, url, seconds): the JSON of url if it answers in time, else None; nothing left running."""
    name = getattr(json_or_none, "__name__", "json_or_none")
    api = fakeapi.start()
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{api.url}/users/2", params={"delay": "0"}) as response:
            expected = await response.json()

        fast = await _observe_within(json_or_none, session, f"{api.url}/users/2?delay={FAST_DELAY}", FAST_SECONDS)
        if fast.error is not None:
            raise CheckFailed(f"on a server that answers in {FAST_DELAY} s, with seconds={FAST_SECONDS}, {name} raised "
                              f"{type(fast.error).__name__}: {fast.error}")
        if fast.result is None:
            raise CheckFailed(f"on a server that answers in {FAST_DELAY} s, with seconds={FAST_SECONDS}, {name} "
                              "returned None: use the `seconds` argument as the deadline, not a number of your own.")
        if fast.result != expected:
            raise CheckFailed(f"on a server that answers in time, return its JSON (await response.json()); "
                              f"got {fast.result!r:.100}")

        hang = await _observe_within(json_or_none, session, f"{api.url}/users/2?fault=hang", SECONDS)
        left = [e for e in hang.entries if e["end"] is None]
        if hang.leftover_tasks or left:
            raise CheckFailed(f"when the {SECONDS} s were up, your request was still running on the server "
                              f"({len(hang.leftover_tasks)} task(s) left behind): cancel what you started, "
                              "for example with asyncio.timeout around the request itself.")
        if isinstance(hang.error, TimeoutError):
            raise CheckFailed(f"{name} let TimeoutError out: catch it and return None, with "
                              "`try: ... except TimeoutError: return None` around the `async with asyncio.timeout` "
                              "block.")
        if hang.error is not None:
            raise CheckFailed(f"on a server that never answers, {name} raised "
                              f"{type(hang.error).__name__}: {hang.error}; return None instead.")
        if hang.result is not None:
            raise CheckFailed(f"on a server that never answers, return None; got {hang.result!r:.100}")
        if not hang.entries:
            raise CheckFailed(f"the server never saw a request: {name} should GET the url it is given.")

        cancelled = await _cancel_from_outside(json_or_none, session, api)
    await api.wait_idle(1)
    if not cancelled.cancelled():
        outcome = (f"raised {type(cancelled.exception()).__name__}" if cancelled.exception() is not None
                   else f"returned {cancelled.result()!r:.60}")
        raise CheckFailed(f"cancelled from outside (not by its own timeout), {name} {outcome} instead of "
                          "being cancelled: you caught CancelledError. Catch only TimeoutError, or re-raise "
                          "CancelledError, so whoever cancelled you can stop you.")
    passed(f"JSON when the server answers, None after {SECONDS} s when it hangs, nothing left running, "
           "and a cancel from outside still cancels.")
