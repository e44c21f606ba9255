"""Checks for 09_streaming_results."""

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
    not_a_value,
    observe,
    passed,
    reference_json,
    require_async,
)

FirstAnswer = Callable[[aiohttp.ClientSession, list[str]], Awaitable[Any]]

# A race of four: a fast failure, a winner at 0.3 s, two slow runners to cancel.
RACE = ["/users/1?delay=0.6", "/users/2?status=500", "/users/3?delay=0.3", "/users/4?delay=0.9"]
WINNER, FIRST_IN_ORDER = "/users/3", "/users/1"
LOSERS = ("/users/1", "/users/4")
# Nobody wins: every request fails.
ALL_FAIL = ["/users/5?status=503&delay=0.1", "/users/6?status=500&delay=0.2"]


async def check_first_answer(first_answer: FirstAnswer) -> None:
    """first_answer(session, urls): the body of the first request to succeed; the others cancelled."""
    require_async(first_answer)
    api = check_server()
    async with check_session() as session:
        expected = await reference_json(session, f"{api.url}/users/3")
        in_order = await reference_json(session, f"{api.url}/users/1")
        seen = await observe(first_answer, session, [api.url + path for path in RACE])
        seen.loop_problems("Start every request as a task, then wait for whichever finishes first.")
        if isinstance(seen.error, aiohttp.ClientResponseError):
            raise CheckFailed(
                f"first_answer raised {type(seen.error).__name__} ({seen.error.status}). The first request to "
                "finish answered 500: a failure should not end the race, so catch it and wait for the next one.")
        if seen.error is not None:
            raise CheckFailed(f"{seen.name} raised {explained(seen.error)}")
        problem = not_a_value(seen.result)
        if problem is not None:
            raise CheckFailed(f"{problem[0].upper()}{problem[1:]}")
        if seen.max_in_flight < len(RACE):
            raise CheckFailed(
                f"your requests did not all run together: the server saw at most {seen.max_in_flight} in flight "
                f"out of {len(RACE)}. Start them all as tasks first, then wait for whichever finishes.")
        if seen.result == in_order:
            raise CheckFailed(
                "you returned user 1, the first URL in argument order, which answered after 0.6 s. User 3 "
                "answered first (0.3 s): take results in completion order (asyncio.as_completed or asyncio.wait).")
        if seen.result != expected:
            raise CheckFailed(f"expected user 3's profile (the first successful answer), got {seen.result!r}.")
        losers = [e for e in seen.entries if e["path"] in LOSERS]
        finished = [e["path"] for e in losers if e["outcome"] == "ok" or e["end"] is None]
        if finished:
            raise CheckFailed(
                f"the server went on answering {', '.join(finished)} after first_answer had its winner: "
                "nobody cancelled them. Cancel the tasks you no longer need before you return.")
        if seen.leftover_tasks:
            raise CheckFailed(
                f"{len(seen.leftover_tasks)} task(s) were still running when first_answer returned: you "
                "cancelled them but did not wait for them to finish. Await them after cancel(), for example "
                "`await asyncio.gather(*tasks, return_exceptions=True)`.")

        nobody = await observe(first_answer, session, [api.url + path for path in ALL_FAIL])
        nobody.loop_problems()
        if nobody.error is None:
            raise CheckFailed(
                f"when every request fails, first_answer should raise (the last error, for example), but it "
                f"returned {nobody.result!r}: an error swallowed looks like an answer to the caller.")
        if nobody.leftover_tasks:
            raise CheckFailed(f"{len(nobody.leftover_tasks)} task(s) were left running after every request "
                              "failed: await (or cancel) every task before you leave the function.")
    passed("user 3 answered first (0.3 s), the 500 was skipped, and the slower requests were cancelled; "
           f"with no success at all, first_answer raised {type(nobody.error).__name__}.")


async def reference_first_answer(session: aiohttp.ClientSession, urls: list[str]) -> Any:
    async def fetch(url: str) -> Any:
        async with session.get(url) as response:
            response.raise_for_status()
            return await response.json()

    pending = {asyncio.create_task(fetch(url)) for url in urls}
    error: BaseException | None = None
    try:
        while pending:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                if task.exception() is None:
                    return task.result()
                error = task.exception()
        assert error is not None
        raise error
    finally:
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)


CHECKS = (ExerciseCheck(check_first_answer, reference=reference_first_answer, data=True),)
