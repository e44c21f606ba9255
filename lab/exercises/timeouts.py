"""Checks for 08_timeouts_cancellation."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from lab.checks import (
    CheckFailed,
    ExerciseCheck,
    check_server,
    check_session,
    explained,
    function_name,
    not_a_value,
    observe,
    passed,
    reference_json,
    require_async,
)

SECONDS = 0.3  # the time budget the check gives json_or_none on a server that hangs
FAST_DELAY, FAST_SECONDS = 0.4, 1.0  # a server slower than SECONDS but within its budget: catches a hard-coded 0.3
GRACE = 2.0  # how long past that budget the check waits before calling it "no timeout"
SLOW = "/users/3?delay=2"  # cancelled from outside 0.1 s after the server has it, with a budget of 10 s
CANCEL_AFTER = 0.1


async def check_json_or_none(json_or_none: Callable[[aiohttp.ClientSession, str, float], Awaitable[Any]]) -> None:
    """json_or_none(session, url, seconds): the JSON of url if it answers in time, else None; nothing left running."""
    require_async(json_or_none)
    name = function_name(json_or_none)
    api = check_server()
    no_timeout = (f"{name}(session, url, {SECONDS}) on a server that never answers: put the request inside "
                  "`async with asyncio.timeout(seconds):`.")
    async with check_session() as session:
        expected = await reference_json(session, f"{api.url}/users/2")

        fast = await observe(json_or_none, session, f"{api.url}/users/2?delay={FAST_DELAY}", FAST_SECONDS,
                             settle=0.5, deadline=FAST_SECONDS + GRACE)
        fast.loop_problems(no_timeout)
        if fast.error is not None:
            raise CheckFailed(f"on a server that answers in {FAST_DELAY} s, with seconds={FAST_SECONDS}, {name} raised "
                              f"{explained(fast.error)}")
        problem = not_a_value(fast.result)
        if problem is not None:
            raise CheckFailed(f"{problem[0].upper()}{problem[1:]}")
        if fast.result is None:
            raise CheckFailed(f"on a server that answers in {FAST_DELAY} s, with seconds={FAST_SECONDS}, {name} "
                              "returned None: use the `seconds` argument as the deadline, not a number of your own.")
        if fast.result != expected:
            raise CheckFailed(f"on a server that answers in time, return its JSON (await response.json()); "
                              f"got {fast.result!r:.100}")

        hang = await observe(json_or_none, session, f"{api.url}/users/2?fault=hang", SECONDS,
                             settle=0.5, deadline=SECONDS + GRACE)
        hang.loop_problems(no_timeout)
        if hang.leftover_tasks or hang.still_running_at_return:
            raise CheckFailed(f"when the {SECONDS} s were up, your request was still running on the server "
                              f"({len(hang.leftover_tasks)} task(s) left behind): cancel what you started, "
                              "for example with asyncio.timeout around the request itself.")
        if isinstance(hang.error, TimeoutError):
            raise CheckFailed(f"{name} let TimeoutError out: catch it and return None, with "
                              "`try: ... except TimeoutError: return None` around the `async with asyncio.timeout` "
                              "block.")
        if hang.error is not None:
            raise CheckFailed(f"on a server that never answers, {name} raised "
                              f"{explained(hang.error)}; return None instead.")
        if hang.result is not None:
            raise CheckFailed(f"on a server that never answers, return None; got {hang.result!r:.100}")
        if not hang.entries:
            raise CheckFailed(f"the server never saw a request: {name} should GET the url it is given.")

        # Cancelled from outside (not by its own deadline), with its session still open: it must end
        # cancelled, and leave nothing running.
        outside = await observe(json_or_none, session, api.url + SLOW, 10, settle=0.5, deadline=GRACE,
                                cancel_after_request=CANCEL_AFTER)
    if outside.ignored_cancel:
        raise CheckFailed(f"after it was cancelled, {name} kept running: never catch CancelledError "
                          "without raising it again.")
    if not outside.cancelled:
        got = (f"raised {type(outside.error).__name__}" if outside.error is not None
               else f"returned {outside.result!r:.60}")
        raise CheckFailed(f"cancelled from outside (not by its own timeout), {name} {got} instead of "
                          "being cancelled: you caught CancelledError. Catch only TimeoutError, or re-raise "
                          "CancelledError, so whoever cancelled you can stop you.")
    if outside.leftover_tasks or outside.still_running_at_return:
        raise CheckFailed(f"cancelled from outside, {name} ended but its request ran on "
                          f"({len(outside.leftover_tasks)} task(s) left behind, the server still busy with "
                          f"{SLOW}): a task of your own (or asyncio.shield) is not cancelled with you. Await the "
                          "request directly inside `async with asyncio.timeout(seconds):`.")
    passed(f"JSON when the server answers, None after {SECONDS} s when it hangs, nothing left running, "
           "and a cancel from outside still cancels.")


async def reference_json_or_none(session: aiohttp.ClientSession, url: str, seconds: float) -> Any:
    try:
        async with asyncio.timeout(seconds), session.get(url) as response:
            response.raise_for_status()
            return await response.json()
    except TimeoutError:
        return None


CHECKS = (ExerciseCheck(check_json_or_none, reference=reference_json_or_none),)
