"""The 08_timeouts_cancellation check accepts the solution and names each typical mistake."""

import asyncio

import pytest

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


@pytest.mark.parametrize("right", [solution, with_wait_for])
def test_right_answers_pass(right, capsys):
    asyncio.run(check_json_or_none(right))
    assert "nothing left running" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, hint", [
    (no_timeout, "was still waiting 2 s after its 0.3 s were up"),
    (timeout_escapes, "let TimeoutError out"),
    (swallows_cancellation, "returned None instead of being cancelled: you caught CancelledError"),
    (swallows_inside, "returned None instead of being cancelled: you caught CancelledError"),
    (leaves_request_running, "your request was still running on the server (1 task(s) left behind)"),
    (returns_response, "return its JSON"),
    (hardcoded_seconds, "returned None: use the `seconds` argument as the deadline"),
])
def test_wrong_answers_get_their_hint(wrong, hint):
    with pytest.raises(CheckFailed) as failure:
        asyncio.run(check_json_or_none(wrong))
    assert hint in str(failure.value)


def test_not_written_yet():
    with pytest.raises(NotSolvedYet, match="not written yet"):
        asyncio.run(check_json_or_none(not_written))
