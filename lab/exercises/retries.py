"""Checks for 10_retries."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from lab.checks import (
    CheckFailed,
    ExerciseCheck,
    Observation,
    check_server,
    check_session,
    observe,
    passed,
    reference_json,
    require_async,
    short,
)

BASE = 0.05  # the backoff base the exercise asks for, in seconds
SLACK = 0.9  # a wait measured on the server is never shorter than the sleep; this only absorbs rounding

# Scripted: after a journal clear, this exact URL answers 500, 500, then 200 (fail_first counts per URL).
FLAKY = "/users/2?delay=0&fail_first=2&fail_with=500"
NOT_FOUND = "/users/99?delay=0"
THROTTLED = "/users/3?delay=0&status=429"
RESET = "/users/4?delay=0&fault=reset"
# POST draws 500 then 201 on this URL; GET on it draws 200, 200, 200. (Not fail_first: it counts the GETs
# of the same URL too, so the learner's first GET would fail.)
NOTIFY = "/notifications?delay=0&fail_rate=0.5&seed=8"

GetWithRetry = Callable[[aiohttp.ClientSession, str, int], Awaitable[Any]]
NotifyOnce = Callable[[aiohttp.ClientSession, str, str], Awaitable[Any]]


def _statuses(seen: Observation) -> list[Any]:
    return [e["status"] if e["status"] is not None else e["outcome"] for e in seen.entries]


def _status_of(error: BaseException | None) -> int | None:
    return error.status if isinstance(error, aiohttp.ClientResponseError) else None


async def check_get_with_retry(get_with_retry: GetWithRetry) -> None:
    """get_with_retry(session, url, attempts): retry 5xx, 429 and resets with backoff; never 4xx."""
    require_async(get_with_retry)
    api = check_server()
    async with check_session() as session:
        expected = await reference_json(session, f"{api.url}/users/2")

        seen = await observe(get_with_retry, session, api.url + FLAKY, 5)
        seen.loop_problems("Wait between attempts with `await asyncio.sleep(delay)`.")
        statuses = _statuses(seen)
        if len(seen.entries) == 1:
            raise CheckFailed(f"no retry: the server saw one request, which answered {statuses[0]}, and "
                              "get_with_retry stopped there. A 500 is worth another attempt.")
        if seen.error is not None:
            raise CheckFailed(f"get_with_retry raised {type(seen.error).__name__} on a URL that answers 500, "
                              f"500, then 200 (the server saw {statuses}): keep trying up to `attempts` times.")
        if statuses[:3] != [500, 500, 200] or len(statuses) > 3:
            raise CheckFailed(f"the server saw {statuses}: stop as soon as an attempt succeeds "
                              "(expected 500, 500, 200).")
        if seen.result != expected:
            raise CheckFailed(f"expected user 2's profile (the JSON body), got {short(seen.result, 100)}.")
        for n, (before, after) in enumerate(zip(seen.entries, seen.entries[1:]), start=1):
            gap, least = after["start"] - before["end"], BASE * 2 ** (n - 1)
            if gap < SLACK * least:
                raise CheckFailed(
                    f"retry {n} started {gap * 1000:.0f} ms after attempt {n} ended: wait before each retry, "
                    f"and wait longer each time (at least {least * 1000:.0f} ms before retry {n}: "
                    f"{BASE} * 2 ** {n - 1}, plus jitter).")

        seen = await observe(get_with_retry, session, api.url + NOT_FOUND, 3)
        seen.loop_problems()
        if len(seen.entries) > 1:
            raise CheckFailed(f"you retried a 404 ({len(seen.entries)} requests): a missing user stays missing. "
                              "Retry only 5xx, 429 and connection errors; let 4xx raise at once.")
        if _status_of(seen.error) != 404:
            got = f"returned {seen.result!r}" if seen.error is None else f"raised {type(seen.error).__name__}"
            raise CheckFailed(f"a 404 should raise aiohttp.ClientResponseError (response.raise_for_status()), but "
                              f"get_with_retry {got}: an error swallowed looks like an answer to the caller.")

        seen = await observe(get_with_retry, session, api.url + THROTTLED, 3)
        seen.loop_problems()
        if len(seen.entries) == 1:
            raise CheckFailed("429 Too Many Requests asks you to come back later: retry it, as you retry a 500.")
        if len(seen.entries) != 3:
            raise CheckFailed(f"with attempts=3 on a URL that always answers 429, the server saw "
                              f"{len(seen.entries)} requests: make at most `attempts` requests in all.")
        if _status_of(seen.error) != 429:
            got = f"returned {seen.result!r}" if seen.error is None else f"raised {type(seen.error).__name__}"
            raise CheckFailed(f"after the last attempt failed, get_with_retry {got}: raise the last error "
                              "(ClientResponseError 429) so the caller knows.")

        seen = await observe(get_with_retry, session, api.url + RESET, 2)
        seen.loop_problems()
        if len(seen.entries) <= 2:
            raise CheckFailed("a connection reset (aiohttp.ClientOSError, a ClientConnectionError) was not "
                              f"retried: the server saw {len(seen.entries)} requests, and aiohttp's own single retry "
                              "accounts for 2. Catch aiohttp.ClientConnectionError and try again.")
        if not isinstance(seen.error, aiohttp.ClientConnectionError):
            got = f"returned {seen.result!r}" if seen.error is None else f"raised {type(seen.error).__name__}"
            raise CheckFailed(f"every attempt was reset, and get_with_retry {got}: raise the last error.")
    passed("500, 500, 200 with growing waits; a 404 raised at once; 429 retried 3 times, then raised; "
           "a reset retried.")


async def check_notify_once(notify_once: NotifyOnce) -> None:
    """notify_once(session, url, message): the message stored exactly once, even when a POST answers 500."""
    require_async(notify_once)
    api = check_server()
    async with check_session() as session:
        message = "order 7 shipped"
        seen = await observe(notify_once, session, api.url + NOTIFY, message)
        seen.loop_problems("Wait between attempts with `await asyncio.sleep(delay)`.")
        stored = [n for n in api.notifications() if n["message"] == message]
        gets = [e for e in seen.entries if e["method"] == "GET"]
        if len(stored) > 1:
            raise CheckFailed(
                f"the server stored {message!r} {len(stored)} times: the first POST answered 500 but had already "
                "done its work. Before you send it again, GET the same URL and look for your message.")
        if not stored:
            raise CheckFailed(f"the server never stored {message!r}: POST it to the url, with json={{'message': ...}}.")
        if not gets:
            raise CheckFailed("the first POST answered 500 and you never looked at what the server stored: "
                              "GET the same URL, find your message, and return its id.")
        if seen.error is not None:
            raise CheckFailed(f"notify_once raised {type(seen.error).__name__}, but the message had been stored "
                              "(the GET shows it): return its id instead of failing.")
        if seen.result != stored[0]["id"]:
            raise CheckFailed(f"return the stored notification's id ({stored[0]['id']}), not {seen.result!r}.")

        happy = await observe(notify_once, session, f"{api.url}/notifications?delay=0", "all good")
        happy.loop_problems()
        if [e["method"] for e in happy.entries].count("POST") != 1 or happy.error is not None:
            raise CheckFailed("when the first POST answers 201, that is the whole job: one POST, return its id.")
        if happy.result != api.notifications()[0]["id"]:
            raise CheckFailed(f"after a 201, return the id from the POST's answer, not {happy.result!r}.")
    passed("the POST answered 500, a GET found the message already stored: stored once, its id returned.")


async def reference_get_with_retry(session: aiohttp.ClientSession, url: str, attempts: int) -> Any:
    for attempt in range(1, attempts + 1):
        try:
            async with session.get(url, raise_for_status=True) as response:
                return await response.json()
        except aiohttp.ClientResponseError as error:
            if (error.status < 500 and error.status != 429) or attempt == attempts:
                raise
        except aiohttp.ClientConnectionError:
            if attempt == attempts:
                raise
        delay = BASE * 2 ** (attempt - 1)
        await asyncio.sleep(delay + random.uniform(0, delay))
    raise ValueError("attempts must be at least 1")


async def reference_notify_once(session: aiohttp.ClientSession, url: str, message: str) -> Any:
    for attempt in range(5):
        async with session.post(url, json={"message": message}) as response:
            if response.status < 400:
                return (await response.json())["id"]
        async with session.get(url) as response:
            response.raise_for_status()
            stored = [n for n in await response.json() if n["message"] == message]
        if stored:
            return stored[0]["id"]
        await asyncio.sleep(BASE * 2 ** attempt)
    raise RuntimeError(f"{message!r} was never stored")


CHECKS = (
    ExerciseCheck(check_get_with_retry, reference=reference_get_with_retry),
    ExerciseCheck(check_notify_once, reference=reference_notify_once, timing=False, writes=True),
)
