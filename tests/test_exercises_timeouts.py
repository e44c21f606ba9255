"""The 08_timeouts_cancellation check accepts the solution and names each typical mistake."""

import asyncio
import time

import aiohttp
import pytest
from exercise_harness import assert_hint, assert_passes

from lab.checks import CheckFailed, NotSolvedYet
from lab.exercises.timeouts import check_json_or_none


async def get_json(session, url):
    async with session.get(url) as response:
        return await response.json()


async def solution(session, url, seconds):
    try:
        async with asyncio.timeout(seconds):
            return await get_json(session, url)
    except TimeoutError:
        return None


async def with_wait_for(session, url, seconds):
    try:
        return await asyncio.wait_for(get_json(session, url), seconds)
    except TimeoutError:
        return None


async def with_client_timeout(session, url, seconds):
    try:
        async with session.request("GET", url, timeout=aiohttp.ClientTimeout(total=seconds)) as response:
            response.raise_for_status()
            return await response.json()
    except TimeoutError:
        return None


async def with_timeout_at(session, url, seconds):
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout_at(loop.time() + seconds):
            return await get_json(session, url)
    except TimeoutError:
        return None


async def shielded_inner_task(session, url, seconds):
    task = asyncio.create_task(get_json(session, url))
    try:
        async with asyncio.timeout(seconds):
            return await asyncio.shield(task)
    except TimeoutError:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        return None


async def blocking_poll(session, url, seconds):
    task = asyncio.create_task(get_json(session, url))
    deadline = time.monotonic() + seconds
    while not task.done() and time.monotonic() < deadline:
        time.sleep(0.1)  # a blocking wait: the request cannot even be sent meanwhile
        await asyncio.sleep(0)
    if task.done():
        return task.result()
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    return None


async def no_timeout(session, url, seconds):
    return await get_json(session, url)


async def timeout_escapes(session, url, seconds):
    async with asyncio.timeout(seconds):
        return await get_json(session, url)


async def swallows_cancellation(session, url, seconds):
    try:
        async with asyncio.timeout(seconds):
            return await get_json(session, url)
    except (TimeoutError, asyncio.CancelledError):
        return None


async def swallows_inside(session, url, seconds):
    async with asyncio.timeout(seconds):
        try:
            return await get_json(session, url)
        except asyncio.CancelledError:
            return None


async def leaves_request_running(session, url, seconds):
    task = asyncio.create_task(get_json(session, url))
    done, _ = await asyncio.wait({task}, timeout=seconds)
    return task.result() if done else None


async def hardcoded_seconds(session, url, seconds):
    return await solution(session, url, 0.3)  # the number from the lesson instead of `seconds`


async def returns_response(session, url, seconds):
    async with asyncio.timeout(seconds):
        async with session.get(url) as response:
            return response


async def not_written(session, url, seconds):
    raise NotImplementedError


@pytest.mark.parametrize("right", [solution, with_wait_for, with_client_timeout, with_timeout_at])
def test_right_answers_pass(right):
    assert_passes(check_json_or_none, right, "nothing left running")


@pytest.mark.parametrize("wrong, hint", [
    (no_timeout, ("was still waiting after 2.3 s, when the check gave up on it", "never answers: put the request "
                  "inside `async with asyncio.timeout(seconds):`")),
    (shielded_inner_task, ("cancelled from outside, shielded_inner_task ended but its request ran on",
                           "1 task(s) left behind")),
    (blocking_poll, "a blocking call held the event loop"),
    (timeout_escapes, "let TimeoutError out"),
    (swallows_cancellation, "returned None instead of being cancelled: you caught CancelledError"),
    (swallows_inside, "returned None instead of being cancelled: you caught CancelledError"),
    (leaves_request_running, "your request was still running on the server (1 task(s) left behind)"),
    (returns_response, "You returned the response object; return its body: await response.json()"),
    (hardcoded_seconds, "returned None: use the `seconds` argument as the deadline"),
])
def test_wrong_answers_get_their_hint(wrong, hint):
    assert_hint(check_json_or_none, wrong, CheckFailed, hint)


def test_not_written_yet():
    assert_hint(check_json_or_none, not_written, NotSolvedYet, "not written yet")
