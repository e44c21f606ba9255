"""check_notify_all accepts the solution and rejects each typical wrong answer with its own hint."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest
from exercise_harness import assert_hint, assert_passes

from lab.checks import CheckFailed, NotSolvedYet
from lab.exercises.error_propagation import check_notify_all


async def post(session, base_url, message, raise_for_status=True):
    async with session.post(f"{base_url}/notifications", json={"message": message},
                            raise_for_status=raise_for_status) as response:
        return await response.json()


async def solution(session, base_url, messages):
    return await _solution(session, base_url, messages, lambda m: post(session, base_url, m))


async def _solution(session, base_url, messages, send):
    tasks = [asyncio.create_task(send(m)) for m in messages]
    try:
        return await asyncio.gather(*tasks)
    except Exception:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


async def with_taskgroup(session, base_url, messages):
    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(post(session, base_url, m)) for m in messages]
    return [task.result() for task in tasks]


async def taskgroup_unwrapped(session, base_url, messages):
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(post(session, base_url, m)) for m in messages]
    except* aiohttp.ClientResponseError as errors:
        raise errors.exceptions[0] from None
    return [task.result() for task in tasks]


async def wait_first_exception(session, base_url, messages):
    async def send(message):
        async with session.request("POST", f"{base_url}/notifications", json={"message": message}) as response:
            response.raise_for_status()
            return await response.json()

    tasks = [asyncio.create_task(send(m)) for m in messages]
    done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    for task in tasks:
        if task in done and task.exception() is not None:
            raise task.exception()
    return [task.result() for task in tasks]


async def blocking_pause_before_each(session, base_url, messages):
    async def send(message):
        time.sleep(0.06)
        return await post(session, base_url, message)

    return await _solution(session, base_url, messages, send)


async def plain_gather(session, base_url, messages):
    return await asyncio.gather(*(post(session, base_url, m) for m in messages))


async def one_after_another(session, base_url, messages):
    return [await post(session, base_url, m) for m in messages]


async def swallows(session, base_url, messages):
    try:
        return await plain_gather(session, base_url, messages)
    except Exception:
        return []


async def no_raise_for_status(session, base_url, messages):
    return await asyncio.gather(*(post(session, base_url, m, raise_for_status=False) for m in messages))


async def cancels_without_waiting(session, base_url, messages):
    tasks = [asyncio.create_task(post(session, base_url, m)) for m in messages]
    try:
        return await asyncio.gather(*tasks)
    except Exception:
        for task in tasks:
            task.cancel()
        raise


async def waits_for_all_then_raises(session, base_url, messages):
    results = await asyncio.gather(*(post(session, base_url, m) for m in messages), return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results


async def wrong_order(session, base_url, messages):
    return list(reversed(await solution(session, base_url, messages)))


async def raises_something_else(session, base_url, messages):
    try:
        return await solution(session, base_url, messages)
    except Exception:
        raise RuntimeError("could not notify") from None


async def not_written(session, base_url, messages):
    raise NotImplementedError


def not_async(session, base_url, messages):
    return []


@pytest.mark.parametrize("fn", [solution, with_taskgroup, taskgroup_unwrapped, wait_first_exception])
def test_accepts_correct_answers(fn):
    assert_passes(check_notify_all, fn, "3 notifications sent at once, answers in order; when one was refused")


@pytest.mark.parametrize("fn, hint", [
    (plain_gather, "2 task(s) were still running after notify_all raised (the server finished 2 of them after "
                   "that, storing their notifications). Keep the tasks"),
    (cancels_without_waiting, "you cancelled the other requests but returned before they finished: 2 task(s)"),
    (one_after_another, "your requests did not overlap: the server saw at most 1 in flight"),
    (blocking_pause_before_each, ("a blocking call held the event loop", "await asyncio.sleep")),
    (swallows, "notify_all returned []: the error was swallowed"),
    (no_raise_for_status, "use raise_for_status=True so a 400 becomes an exception"),
    (waits_for_all_then_raises, "when the empty message was refused, the other 2 request(s) were not cancelled: "
                                "the server finished them and stored their notifications"),
    (wrong_order, "the answers are not in the order of the messages: their messages are "
                  "['deployed', 'tests passed', 'build started']"),
    (raises_something_else, "raises_something_else raised RuntimeError: could not notify; expected the "
                            "aiohttp.ClientResponseError of the 400"),
    (not_async, "not_async should be defined with `async def`"),
])
def test_rejects_wrong_answers(fn, hint):
    assert_hint(check_notify_all, fn, CheckFailed, hint)


def test_not_written_yet():
    assert_hint(check_notify_all, not_written, NotSolvedYet, "not_written is not written yet")
