"""The checks of 10_retries accept the solutions and name each typical mistake."""

from __future__ import annotations

import asyncio
import random
import time

import aiohttp
import pytest
from exercise_harness import assert_hint, assert_passes

from lab.checks import CheckFailed, NotSolvedYet
from lab.exercises.retries import check_get_with_retry, check_notify_once

RETRYABLE = {429, 500, 502, 503, 504}


def backoff(retry: int, base: float = 0.05) -> float:
    delay = base * 2 ** (retry - 1)
    return delay + random.uniform(0, delay)


def make_get_with_retry(retry_statuses=RETRYABLE, retry_errors=(aiohttp.ClientConnectionError,), wait=backoff,
                        swallow=False, extra=0):
    async def get_with_retry(session, url, attempts):
        for attempt in range(1, attempts + 1 + extra):
            try:
                async with session.get(url) as response:
                    if response.status not in retry_statuses or attempt >= attempts + extra:
                        if swallow and response.status >= 400:
                            return None
                        response.raise_for_status()
                        return await response.json()
            except retry_errors:
                if attempt >= attempts + extra:
                    raise
            await asyncio.sleep(wait(attempt))
    return get_with_retry


solution = make_get_with_retry()


async def with_request_and_status_codes(session, url, attempts):
    attempt = 0
    while True:
        attempt += 1
        try:
            async with session.request("GET", url) as response:
                response.raise_for_status()
                return await response.json()
        except aiohttp.ClientResponseError as error:
            if (error.status < 500 and error.status != 429) or attempt == attempts:
                raise
        except aiohttp.ClientConnectionError:
            if attempt == attempts:
                raise
        await asyncio.sleep(0.05 * 2 ** (attempt - 1) * (1 + random.random()))


async def remembers_the_last_error(session, url, attempts):
    last = None
    for attempt in range(attempts):
        if attempt:
            delay = 0.05 * 2 ** (attempt - 1)
            await asyncio.sleep(random.uniform(delay, 2 * delay))
        try:
            async with session.get(url, raise_for_status=True) as response:
                return await response.json()
        except aiohttp.ClientResponseError as error:
            if 400 <= error.status < 500 and error.status != 429:
                raise
            last = error
        except aiohttp.ClientConnectionError as error:
            last = error
    raise last


def blocking_backoff(retry: int) -> float:
    time.sleep(backoff(retry))  # the blocking call: the event loop stands still
    return 0


async def no_retry(session, url, attempts):
    async with session.get(url) as response:
        response.raise_for_status()
        return await response.json()


async def keeps_going_after_success(session, url, attempts):
    body = None
    for attempt in range(1, attempts + 1):
        async with session.get(url) as response:
            if response.status == 200:
                body = await response.json()
        await asyncio.sleep(backoff(attempt))
    return body


CASES = [
    (no_retry, "no retry: the server saw one request, which answered 500"),
    (keeps_going_after_success, "stop as soon as an attempt succeeds"),
    (make_get_with_retry(wait=lambda n: 0), "retry 1 started"),
    (make_get_with_retry(wait=blocking_backoff), "a blocking call held the event loop for at least 0."),
    (make_get_with_retry(wait=lambda n: 0.05), "retry 2 started"),
    (make_get_with_retry(retry_statuses=RETRYABLE | {404}), "you retried a 404 (3 requests)"),
    (make_get_with_retry(swallow=True), "a 404 should raise aiohttp.ClientResponseError"),
    (make_get_with_retry(retry_statuses={500, 502, 503, 504}),
     "429 Too Many Requests asks you to come back later"),
    (make_get_with_retry(extra=1), "the server saw 4 requests: make at most `attempts` requests"),
    (make_get_with_retry(retry_errors=()), "a connection reset (aiohttp.ClientOSError, a ClientConnectionError) "
                                           "was not retried"),
]


@pytest.mark.parametrize("fn", [solution, with_request_and_status_codes, remembers_the_last_error])
def test_get_with_retry_correct_answers_pass(fn):
    assert_passes(check_get_with_retry, fn, "500, 500, 200 with growing waits")


@pytest.mark.parametrize("fn, hint", CASES, ids=[hint[:30] for _, hint in CASES])
def test_get_with_retry_wrong_answers(fn, hint):
    assert_hint(check_get_with_retry, fn, CheckFailed, hint)


async def post(session, url, message):
    async with session.post(url, json={"message": message}) as response:
        response.raise_for_status()
        return (await response.json())["id"]


async def notify_once(session, url, message, attempts=3):
    for attempt in range(1, attempts + 1):
        try:
            return await post(session, url, message)
        except (aiohttp.ClientResponseError, aiohttp.ClientConnectionError):
            if attempt == attempts:
                raise
        async with session.get(url) as response:
            if response.status == 200:
                stored = [n for n in await response.json() if n["message"] == message]
                if stored:
                    return stored[0]["id"]
        await asyncio.sleep(backoff(attempt))


async def notify_once_with_request(session, url, message):
    for attempt in range(3):
        if attempt:
            await asyncio.sleep(0.05 * 2 ** attempt)
        async with session.request("POST", url, json={"message": message}) as response:
            if response.status == 201:
                return (await response.json())["id"]
        async with session.request("GET", url, raise_for_status=True) as response:
            for stored in await response.json():
                if stored["message"] == message:
                    return stored["id"]
    raise RuntimeError("not stored after 3 attempts")


async def looks_before_the_first_post_too(session, url, message):
    for attempt in range(1, 4):
        async with session.get(url) as response:
            mine = [n["id"] for n in await response.json() if n["message"] == message]
        if mine:
            return mine[0]
        try:
            return await post(session, url, message)
        except aiohttp.ClientResponseError:
            await asyncio.sleep(backoff(attempt))
    raise RuntimeError("gave up")


async def blocking_backoff_notify(session, url, message):
    for attempt in range(1, 4):
        try:
            return await post(session, url, message)
        except aiohttp.ClientResponseError:
            time.sleep(backoff(attempt) + 0.1)
        async with session.get(url) as response:
            for stored in await response.json():
                if stored["message"] == message:
                    return stored["id"]


async def blind_retry(session, url, message):
    for attempt in range(1, 4):
        try:
            return await post(session, url, message)
        except aiohttp.ClientResponseError:
            await asyncio.sleep(backoff(attempt))


async def gives_up(session, url, message):
    return await post(session, url, message)


async def looks_then_raises(session, url, message):
    try:
        return await post(session, url, message)
    except aiohttp.ClientResponseError:
        async with session.get(url) as response:
            await response.json()
        raise


async def returns_the_list(session, url, message):
    try:
        return await post(session, url, message)
    except aiohttp.ClientResponseError:
        async with session.get(url) as response:
            return await response.json()


@pytest.mark.parametrize("fn", [notify_once, notify_once_with_request, looks_before_the_first_post_too])
def test_notify_once_correct_answers_pass(fn):
    assert_passes(check_notify_once, fn, "the POST answered 500")


@pytest.mark.parametrize("fn, hint", [
    (blind_retry, "the server stored 'order 7 shipped' 2 times"),
    (gives_up, "the first POST answered 500 and you never looked at what the server stored"),
    (looks_then_raises, "notify_once raised ClientResponseError, but the message had been stored"),
    (returns_the_list, "return the stored notification's id (1), not ["),
    (blocking_backoff_notify, "a blocking call held the event loop"),
])
def test_notify_once_wrong_answers(fn, hint):
    assert_hint(check_notify_once, fn, CheckFailed, hint)


def test_not_written_yet():
    async def get_with_retry(session, url, attempts):
        raise NotImplementedError

    async def notify_once(session, url, message):
        raise NotImplementedError

    assert_hint(check_get_with_retry, get_with_retry, NotSolvedYet, "get_with_retry is not written yet")
    assert_hint(check_notify_once, notify_once, NotSolvedYet, "notify_once is not written yet")
