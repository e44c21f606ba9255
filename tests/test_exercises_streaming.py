"""The check of 09_streaming_results accepts the solution and names each typical mistake."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest
from exercise_harness import assert_hint, assert_passes

from lab.checks import CheckFailed, NotSolvedYet
from lab.exercises.streaming import check_first_answer


async def get(session: aiohttp.ClientSession, url: str):
    async with session.get(url) as response:
        response.raise_for_status()
        return await response.json()


async def solution(session, urls):
    tasks = [asyncio.create_task(get(session, url)) for url in urls]
    try:
        for next_done in asyncio.as_completed(tasks):
            try:
                return await next_done
            except aiohttp.ClientError as exc:
                error = exc
        raise error
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def with_wait(session, urls):
    """Another right answer: asyncio.wait(FIRST_COMPLETED) in a loop."""
    pending = {asyncio.create_task(get(session, url)) for url in urls}
    error = None
    try:
        while pending:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                if task.exception() is None:
                    return task.result()
                error = task.exception()
        raise error
    finally:
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)


class _Won(Exception):
    """Raised in a task to stop the TaskGroup once a winner is known (no TaskGroup.cancel() before 3.15)."""


async def with_taskgroup(session, urls):
    winner, errors = [], []

    async def race(url):
        try:
            async with session.request("GET", url, raise_for_status=True) as response:
                winner.append(await response.json())
        except aiohttp.ClientError as exc:
            errors.append(exc)
            return
        raise _Won()

    try:
        async with asyncio.TaskGroup() as tg:
            for url in urls:
                tg.create_task(race(url))
    except* _Won:
        pass
    if winner:
        return winner[0]
    raise errors[-1]


async def blocking_pause_before_each(session, urls):
    async def slow_get(url):
        time.sleep(0.06)
        return await get(session, url)

    tasks = [asyncio.create_task(slow_get(url)) for url in urls]
    try:
        for next_done in asyncio.as_completed(tasks):
            try:
                return await next_done
            except aiohttp.ClientError as exc:
                error = exc
        raise error
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def one_after_another(session, urls):
    error = None
    for url in urls:
        try:
            return await get(session, url)
        except aiohttp.ClientError as exc:
            error = exc
    raise error


async def argument_order(session, urls):
    tasks = [asyncio.create_task(get(session, url)) for url in urls]
    try:
        for task in tasks:
            try:
                return await task
            except aiohttp.ClientError:
                pass
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def first_failure_ends_race(session, urls):
    tasks = [asyncio.create_task(get(session, url)) for url in urls]
    try:
        for next_done in asyncio.as_completed(tasks):
            return await next_done
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def never_cancels(session, urls):
    error = None
    for next_done in asyncio.as_completed([get(session, url) for url in urls]):
        try:
            return await next_done
        except aiohttp.ClientError as exc:
            error = exc
    raise error


async def cancels_without_waiting(session, urls):
    tasks = [asyncio.create_task(get(session, url)) for url in urls]
    error = None
    try:
        for next_done in asyncio.as_completed(tasks):
            try:
                return await next_done
            except aiohttp.ClientError as exc:
                error = exc
        raise error
    finally:
        for task in tasks:
            task.cancel()


async def swallows_failure(session, urls):
    try:
        return await solution(session, urls)
    except aiohttp.ClientError:
        return None


async def not_written(session, urls):
    raise NotImplementedError


@pytest.mark.parametrize("fn", [solution, with_wait, with_taskgroup])
def test_right_answers_pass(fn):
    assert_passes(check_first_answer, fn, "user 3 answered first")


@pytest.mark.parametrize("fn, hint", [
    (one_after_another, "your requests did not all run together: the server saw at most 1 in flight out of 4"),
    (argument_order, "you returned user 1, the first URL in argument order"),
    (first_failure_ends_race, "first_answer raised ClientResponseError (500)"),
    (never_cancels, "nobody cancelled them"),
    (cancels_without_waiting, "you cancelled them but did not wait for them to finish"),
    (swallows_failure, "when every request fails, first_answer should raise"),
    (blocking_pause_before_each, "a blocking call held the event loop"),
])
def test_wrong_answers_get_their_hint(fn, hint):
    assert_hint(check_first_answer, fn, CheckFailed, hint)


def test_not_written_yet():
    not_written.__name__ = "first_answer"
    assert_hint(check_first_answer, not_written, NotSolvedYet, "first_answer is not written yet")


def test_plain_function_is_refused():
    def first_answer(session, urls):
        return None

    assert_hint(check_first_answer, first_answer, CheckFailed, "should be defined with `async def`")
