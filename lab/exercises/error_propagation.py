"""Checks for 03_error_propagation."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from lab.checks import (
    STILL_RUNNING_TOLERANCE,
    CheckFailed,
    ExerciseCheck,
    Observation,
    check_server,
    check_session,
    explained,
    leaves,
    not_a_value,
    observe,
    passed,
    require_async,
)

GOOD = ["build started", "tests passed", "deployed"]
BAD = ["build started", "", "deployed"]  # the server refuses an empty message with 400, at once
DELAY = "0.4"  # every accepted POST takes this long, so the others are still in flight when the 400 comes


def _is_refusal(error: BaseException | None) -> bool:
    """The 400 for the empty message, raised as itself (or inside an ExceptionGroup, as a TaskGroup does)."""
    return any(isinstance(e, aiohttp.ClientResponseError) and e.status == 400 for e in leaves(error))


def _posts(seen: Observation) -> list[dict[str, Any]]:
    return [e for e in seen.entries if e["method"] == "POST" and e["path"] == "/notifications"]


async def check_notify_all(notify_all: Callable[[aiohttp.ClientSession, str, list[str]], Awaitable[Any]]) -> None:
    """notify_all(session, base_url, messages): POST them all at once, answers in order; on a failure,
    cancel the others, wait for them, and raise the error. Nothing may run on after it returns."""
    require_async(notify_all)
    api = check_server()
    async with check_session({"/notifications": {"delay": DELAY}}) as session:
        good = await observe(notify_all, session, api.url, GOOD)
        bad = await observe(notify_all, session, api.url, BAD)
    for seen in (good, bad):
        seen.loop_problems("Start the requests as tasks, then await them together.")

    # 1. Everything succeeds: all at once, answers in the order of the messages.
    if good.error is not None:
        raise CheckFailed(f"with the messages {GOOD}, {good.name} raised {explained(good.error)}")
    if len(_posts(good)) != len(GOOD):
        raise CheckFailed(f"the server saw {len(_posts(good))} POST /notifications for {len(GOOD)} messages; "
                          f"send one POST to {{base_url}}/notifications per message.")
    if good.max_in_flight < len(GOOD):
        raise CheckFailed(f"your requests did not overlap: the server saw at most {good.max_in_flight} in flight. "
                          "Start them all, then wait for them together (create_task, then asyncio.gather).")
    problem = not_a_value(good.result)
    if problem is not None:
        raise CheckFailed(f"{problem[0].upper()}{problem[1:]}")
    if not isinstance(good.result, list) or len(good.result) != len(GOOD):
        raise CheckFailed(f"return a list with one answer per message (await response.json()); got {good.result!r}")
    messages = [answer.get("message") if isinstance(answer, dict) else answer for answer in good.result]
    if messages != GOOD:
        raise CheckFailed(f"the answers are not in the order of the messages: their messages are {messages}, "
                          f"expected {GOOD}. asyncio.gather returns results in the order you passed the tasks.")

    # 2. The empty message is refused at once: the others must be cancelled and waited for.
    if bad.error is None:
        answers = bad.result if isinstance(bad.result, list) else []
        if any(isinstance(a, dict) and "error" in a for a in answers):
            raise CheckFailed("the server refused the empty message with 400, but notify_all returned its answer "
                              "as if it were fine: use raise_for_status=True so a 400 becomes an exception.")
        raise CheckFailed(f"the server refused the empty message with 400, but notify_all returned {bad.result!r}: "
                          "the error was swallowed. Cancel the others, then raise it again for the caller.")
    if not _is_refusal(bad.error):
        raise CheckFailed(f"{bad.name} raised {explained(bad.error)}; expected the "
                          "aiohttp.ClientResponseError of the 400 for the empty message.")
    if bad.leftover_tasks:
        count = len(bad.leftover_tasks)
        if bad.cancelled_leftovers == count:
            raise CheckFailed(f"you cancelled the other requests but returned before they finished: {count} "
                              "task(s) were still running when notify_all raised. Wait for them after cancelling, "
                              "e.g. `await asyncio.gather(*tasks, return_exceptions=True)`, then raise.")
        stored_late = [e for e in _posts(bad) if e["outcome"] == "ok" and e["end"] > bad.returned_at]
        late = f" (the server finished {len(stored_late)} of them after that, storing their notifications)" \
            if stored_late else ""
        raise CheckFailed(f"{count} task(s) were still running after notify_all raised{late}. Keep the tasks "
                          "(asyncio.create_task), and when one fails, cancel the others and wait for them.")
    still_running = [e for e in _posts(bad)
                     if e["outcome"] == "ok" and e["end"] > bad.returned_at + STILL_RUNNING_TOLERANCE]
    if still_running:
        raise CheckFailed(f"{len(still_running)} request(s) kept running on the server after notify_all raised: "
                          "cancel the other tasks before you raise.")
    not_cancelled = [e for e in _posts(bad) if e["outcome"] == "ok"]
    if not_cancelled:
        raise CheckFailed(f"when the empty message was refused, the other {len(not_cancelled)} request(s) were not "
                          "cancelled: the server finished them and stored their notifications before notify_all "
                          "raised. Cancel the other tasks as soon as one fails; return_exceptions=True would "
                          "wait for all of them instead.")
    passed(f"{len(GOOD)} notifications sent at once, answers in order; when one was refused, "
           "the others were cancelled and nothing was left running.")


async def reference_notify_all(session: aiohttp.ClientSession, base_url: str, messages: list[str]) -> list[Any]:
    async def post(message: str) -> Any:
        async with session.post(f"{base_url}/notifications", json={"message": message}) as response:
            response.raise_for_status()
            return await response.json()

    tasks = [asyncio.create_task(post(message)) for message in messages]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


CHECKS = (ExerciseCheck(check_notify_all, reference=reference_notify_all, writes=True),)
