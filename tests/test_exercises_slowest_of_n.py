"""The 13_slowest_of_n check accepts every correct hedged GET and names each typical mistake."""

import asyncio
import time

import pytest
from exercise_harness import assert_hint, assert_passes

from lab.checks import CheckFailed, NotSolvedYet
from lab.exercises.slowest_of_n import check_hedged_get


async def fetch_json(session, url):
    async with session.get(url) as response:
        response.raise_for_status()
        return await response.json()


async def with_wait(session, url, after):
    first = asyncio.create_task(fetch_json(session, url))
    done, _ = await asyncio.wait({first}, timeout=after)
    if not done:
        backup = asyncio.create_task(fetch_json(session, url))
        done, pending = await asyncio.wait({first, backup}, return_when=asyncio.FIRST_COMPLETED)
        for loser in pending:
            loser.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
    return done.pop().result()


async def with_as_completed(session, url, after):
    first = asyncio.create_task(fetch_json(session, url))
    try:
        return await asyncio.wait_for(asyncio.shield(first), after)
    except TimeoutError:
        pass
    tasks = [first, asyncio.create_task(fetch_json(session, url))]
    try:
        for next_done in asyncio.as_completed(tasks):
            return await next_done
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


class _Answered(Exception):
    def __init__(self, value):
        self.value = value


async def with_taskgroup(session, url, after):
    async def one(delay):
        await asyncio.sleep(delay)
        raise _Answered(await fetch_json(session, url))

    async def backup_unless_answered():
        await asyncio.sleep(after)
        await one(0)

    try:
        async with asyncio.TaskGroup() as group:
            group.create_task(one(0))
            group.create_task(backup_unless_answered())
    except ExceptionGroup as group:
        answered, rest = group.split(_Answered)
        if rest is not None:
            raise rest from None
        return answered.exceptions[0].value


async def never_cancels(session, url, after):
    first = asyncio.create_task(fetch_json(session, url))
    done, _ = await asyncio.wait({first}, timeout=after)
    if not done:
        backup = asyncio.create_task(fetch_json(session, url))
        done, _ = await asyncio.wait({first, backup}, return_when=asyncio.FIRST_COMPLETED)
    return done.pop().result()


async def always_two(session, url, after):
    tasks = [asyncio.create_task(fetch_json(session, url)) for _ in range(2)]
    done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    for loser in pending:
        loser.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    return done.pop().result()


async def waits_for_both(session, url, after):
    first = asyncio.create_task(fetch_json(session, url))
    done, _ = await asyncio.wait({first}, timeout=after)
    if done:
        return first.result()
    backup = asyncio.create_task(fetch_json(session, url))
    results = await asyncio.gather(first, backup)
    return results[0]


async def blocks_with_sleep(session, url, after):
    first = asyncio.create_task(fetch_json(session, url))
    time.sleep(after)
    await asyncio.sleep(0)
    if first.done():
        return first.result()
    backup = asyncio.create_task(fetch_json(session, url))
    done, pending = await asyncio.wait({first, backup}, return_when=asyncio.FIRST_COMPLETED)
    for loser in pending:
        loser.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    return done.pop().result()


async def not_written(session, url, after):
    raise NotImplementedError


@pytest.mark.parametrize("fn", [with_wait, with_as_completed, with_taskgroup])
def test_accepts_correct_hedges(fn):
    assert_passes(check_hedged_get, fn, "loser cancelled")


@pytest.mark.parametrize("fn, hint", [
    (never_cancels, "cancel the request that lost"),
    (always_two, "send the backup only if the first has not answered"),
    (waits_for_both, "you waited for both"),
    (blocks_with_sleep, "blocking call held the event loop"),
])
def test_names_each_mistake(fn, hint):
    assert_hint(check_hedged_get, fn, CheckFailed, hint)


def test_not_written_yet():
    assert_hint(check_hedged_get, not_written, NotSolvedYet, "not written yet")
