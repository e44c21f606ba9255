"""check_notify_all accepts the solution and rejects each typical wrong answer with its own hint."""

from __future__ import annotations

import asyncio

import pytest

from lab.checks import CheckFailed, NotSolvedYet
from lab.exercises.error_propagation import check_notify_all


async def post(session, base_url, message, raise_for_status=True):
    async with session.post(f"{base_url}/notifications", json={"message": message},
                            raise_for_status=raise_for_status) as response:
        return await response.json()


async def solution(session, base_url, messages):
    tasks = [asyncio.create_task(post(session, base_url, m)) for m in messages]
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


@pytest.mark.parametrize("fn", [solution, with_taskgroup])
def test_accepts_the_solution(fn, capsys):
    asyncio.run(check_notify_all(fn))
    assert capsys.readouterr().out.startswith("✅ 3 notifications sent at once, answers in order; when one was refused")


@pytest.mark.parametrize("fn, hint", [
    (plain_gather, r"2 task\(s\) were still running after notify_all raised \(the server finished 2 of them after "
                   r"that, storing their notifications\)\. Keep the tasks"),
    (cancels_without_waiting, r"you cancelled the other requests but returned before they finished: 2 task\(s\)"),
    (one_after_another, r"your requests did not overlap: the server saw at most 1 in flight"),
    (swallows, r"notify_all returned \[\]: the error was swallowed"),
    (no_raise_for_status, r"use raise_for_status=True so a 400 becomes an exception"),
    (waits_for_all_then_raises, r"when the empty message was refused, the other 2 request\(s\) were not cancelled: "
                                r"the server finished them and stored their notifications"),
    (wrong_order, r"the answers are not in the order of the messages: their messages are "
                  r"\['deployed', 'tests passed', 'build started'\]"),
    (raises_something_else, r"notify_all raised RuntimeError: could not notify; expected the "
                            r"aiohttp.ClientResponseError of the 400"),
    (not_async, r"not_async should be defined with `async def`"),
])
def test_rejects_wrong_answers(fn, hint):
    with pytest.raises(CheckFailed, match=hint) as info:
        asyncio.run(check_notify_all(fn))
    assert type(info.value) is CheckFailed


def test_not_written_yet():
    with pytest.raises(NotSolvedYet, match="not_written is not written yet"):
        asyncio.run(check_notify_all(not_written))
