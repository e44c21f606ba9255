"""Checks for 04_return_exceptions."""

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

IDS = [1, 42, 2, 7, 99, 3]  # 42 and 99 do not exist (404); user 7's request gets cancelled on the way
MISSING = [42, 99]
STOPPED = 7
STOP_AFTER = 0.25  # seconds after user 7's request is sent: after the 404s, before its answer (0.5 s)
# Fixed latencies (user 7's is set to 0.5 s when it is stopped): they finish in another order than asked.
DELAYS = {1: "0.2", 42: "0.1", 2: "0.15", 99: "0.05", 3: "0.3"}


class CancelledEscaped(Exception):
    """The learner's function let the CancelledError of user 7's request escape."""


class StopOne:
    """Slows the request for /users/7 down, then cancels the task that sent it, while it is in flight.

    Like a Stop button pressed on one request: the task that asked for user 7 is cancelled while
    its request is in flight, so a CancelledError is what gather(return_exceptions=True) returns for it.
    It sits in the session, so it works however the request is written (session.get, session.request).
    """

    def __init__(self) -> None:
        self.owner: asyncio.Task[Any] | None = None  # the task running fetch_users itself
        self.stopped = False
        self.armed = False  # only during the learner's run, not for the check's own reference fetches

    def __call__(self, request: aiohttp.ClientRequest) -> None:
        task = asyncio.current_task()
        if (self.armed and request.url.path == f"/users/{STOPPED}" and task is not None
                and task is not self.owner):
            request.url = request.url.update_query(delay="0.5")
            asyncio.get_running_loop().call_later(STOP_AFTER, task.cancel)
            self.stopped = True


async def check_fetch_users(fetch_users: Callable[[Any, str, list[int]], Awaitable[Any]]) -> None:
    """fetch_users(session, base_url, ids) -> (found, failed): {id: name} and {id: exception}."""
    require_async(fetch_users)
    api = check_server()
    stop = StopOne()
    async with check_session({f"/users/{i}": {"delay": d} for i, d in DELAYS.items()}, on_request=stop) as session:
        names = {user_id: (await reference_json(session, f"{api.url}/users/{user_id}"))["name"]
                 for user_id in sorted(set(IDS) - set(MISSING))}

        async def run(*args: Any) -> Any:
            stop.owner = asyncio.current_task()
            try:
                return await fetch_users(*args)
            except asyncio.CancelledError:
                if stop.owner is not None and stop.owner.cancelling():  # the check itself is cancelling it: let it go
                    raise
                raise CancelledEscaped() from None

        run.__name__ = function_name(fetch_users)
        stop.armed = True
        seen = await observe(run, session, api.url, list(IDS))
    seen.loop_problems("Start every request at once with asyncio.gather(..., return_exceptions=True).")

    if isinstance(seen.error, CancelledEscaped):
        raise CheckFailed(f"fetch_users raised the CancelledError of user {STOPPED}'s request, which was cancelled "
                          "while it ran. With return_exceptions=True, gather returns it as a result instead.")
    if isinstance(seen.error, aiohttp.ClientResponseError):
        raise CheckFailed(f"fetch_users raised {type(seen.error).__name__} ({seen.error.status}): one missing "
                          "user should not cost you the others. Pass return_exceptions=True to asyncio.gather.")
    if isinstance(seen.error, TypeError) and "CancelledError" in str(seen.error):
        raise CheckFailed(f"fetch_users raised TypeError: {seen.error}. The cancelled request's CancelledError "
                          "was taken for a success: it is a BaseException, not an Exception, so test "
                          "isinstance(result, BaseException).")
    if isinstance(seen.error, KeyError):
        raise CheckFailed(f"fetch_users raised KeyError: {seen.error}. A 404 answer has no name: fetch with "
                          "raise_for_status=True so a missing user becomes an exception.")
    if seen.error is not None:
        raise CheckFailed(f"fetch_users raised {explained(seen.error)}")
    requested = [e["path"] for e in seen.entries if e["route"] == "/users/{id}"]
    if sorted(requested) != sorted(f"/users/{i}" for i in IDS):
        raise CheckFailed(f"the server saw {requested or 'no request'}; expected one GET /users/{{id}} per id in "
                          f"{IDS}. Build each URL from base_url and the id.")
    if seen.max_in_flight < len(IDS):
        raise CheckFailed(f"your requests did not overlap: the server saw at most {seen.max_in_flight} in flight. "
                          "Start them all with asyncio.gather.")
    problem = not_a_value(seen.result)
    if problem is not None:
        raise CheckFailed(f"{problem[0].upper()}{problem[1:]}")
    if not (isinstance(seen.result, tuple) and len(seen.result) == 2
            and all(isinstance(part, dict) for part in seen.result)):
        raise CheckFailed(f"return a tuple of two dicts, (found, failed); got {seen.result!r}")
    found, failed = seen.result
    # Requests started from fetch_users' own task (not from a task of their own) cannot be stopped alone.
    stopped = [STOPPED] if stop.stopped else []

    for user_id in MISSING:
        if user_id in found:
            if found[user_id] is None:
                raise CheckFailed(f"found[{user_id}] is None: user {user_id} does not exist and its 404 was "
                                  "swallowed. Let the error reach gather and put it in `failed`.")
            if found[user_id] in names.values():
                owner = next(i for i, name in names.items() if name == found[user_id])
                raise CheckFailed(f"found[{user_id}] is {found[user_id]!r}, the name of user {owner}: the ids "
                                  "and results are paired wrongly. Pair them first, zip(ids, results), then "
                                  "sort the pairs into found and failed.")
            raise CheckFailed(f"user {user_id} does not exist (404), yet found[{user_id}] is {found[user_id]!r}: "
                              "fetch with raise_for_status=True and put failures in `failed`.")
    if stopped and STOPPED in found:
        if isinstance(found[STOPPED], BaseException):
            raise CheckFailed(f"found[{STOPPED}] is a {type(found[STOPPED]).__name__}: the cancelled request "
                              "was counted as a success. CancelledError is a BaseException, not an Exception: "
                              "test isinstance(result, BaseException).")
        raise CheckFailed(f"user {STOPPED}'s request was cancelled, yet found[{STOPPED}] is "
                          f"{found[STOPPED]!r}: a cancelled request is a failure too.")
    for user_id, name in names.items():
        if user_id in stopped:
            continue
        if user_id not in found:
            raise CheckFailed(f"user {user_id} exists but is missing from found: found should map each id that "
                              f"worked to its user's name, e.g. {{{user_id}: {name!r}}}.")
        if found[user_id] != name:
            other = next((i for i, n in names.items() if n == found[user_id]), None)
            if other is not None:
                raise CheckFailed(f"found[{user_id}] is {found[user_id]!r}, the name of user {other}: the ids and "
                                  "results are paired wrongly. Pair them first, zip(ids, results), then sort the "
                                  "pairs into found and failed.")
            raise CheckFailed(f"found[{user_id}] should be the user's name, {name!r}; got {found[user_id]!r}.")
    expected_failed = sorted([*MISSING, *stopped])
    if sorted(failed) != expected_failed:
        why = f" and user {STOPPED}, whose request was cancelled" if stopped else ""
        raise CheckFailed(f"failed has the ids {sorted(failed)}; expected {expected_failed}: the two missing "
                          f"users{why}.")
    for user_id in MISSING:
        error = failed[user_id]
        if isinstance(error, KeyError):
            raise CheckFailed(f"failed[{user_id}] is {error!r}: the 404 answer has no name. Fetch with "
                              "raise_for_status=True, so a missing user fails with its ClientResponseError.")
        if not (isinstance(error, aiohttp.ClientResponseError) and error.status == 404):
            raise CheckFailed(f"failed[{user_id}] should be the exception gather returned for it (a "
                              f"ClientResponseError with status 404); got {error!r}")
    if stopped and not isinstance(failed[STOPPED], asyncio.CancelledError):
        raise CheckFailed(f"failed[{STOPPED}] should be the CancelledError gather returned for it; "
                          f"got {failed[STOPPED]!r}")
    extra = f", and user {STOPPED}'s cancelled request counted as a failure" if stopped else ""
    passed(f"found {len(found)} users and {len(failed)} failures, paired with their ids: 404 for {MISSING}{extra}.")


async def reference_fetch_users(session: Any, base_url: str, ids: list[int]) -> tuple[dict[int, str], dict[int, Any]]:
    async def name(user_id: int) -> str:
        async with session.get(f"{base_url}/users/{user_id}") as response:
            response.raise_for_status()
            return (await response.json())["name"]

    results = await asyncio.gather(*(name(user_id) for user_id in ids), return_exceptions=True)
    found = {i: r for i, r in zip(ids, results) if not isinstance(r, BaseException)}
    failed = {i: r for i, r in zip(ids, results) if isinstance(r, BaseException)}
    return found, failed


CHECKS = (ExerciseCheck(check_fetch_users, reference=reference_fetch_users, data=True),)
