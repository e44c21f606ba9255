"""The 07_bounded_concurrency check accepts the solution and names each typical mistake."""

import asyncio

import pytest

from lab.checks import CheckFailed, NotSolvedYet
from lab.exercises.bounded_concurrency import check_fetch_all


async def orders(session, base_url, user_id):
    async with session.get(f"{base_url}/users/{user_id}/orders") as response:
        return await response.json()


async def solution(session, base_url, user_ids, limit):
    semaphore = asyncio.Semaphore(limit)

    async def one(user_id):
        async with semaphore:
            return await orders(session, base_url, user_id)

    return await asyncio.gather(*(one(user_id) for user_id in user_ids))


async def unbounded(session, base_url, user_ids, limit):
    return await asyncio.gather(*(orders(session, base_url, user_id) for user_id in user_ids))


async def sequential(session, base_url, user_ids, limit):
    return [await orders(session, base_url, user_id) for user_id in user_ids]


async def off_by_one(session, base_url, user_ids, limit):
    return await solution(session, base_url, user_ids, limit - 1)


async def hardcoded_limit(session, base_url, user_ids, limit):
    return await solution(session, base_url, user_ids, 5)  # the number from the lesson instead of `limit`


async def wrong_order(session, base_url, user_ids, limit):
    return list(reversed(await solution(session, base_url, user_ids, limit)))


async def whole_response(session, base_url, user_ids, limit):
    results = await solution(session, base_url, user_ids, limit)
    return [{"orders": r} for r in results]


async def leaves_tasks(session, base_url, user_ids, limit):
    results = await solution(session, base_url, user_ids, limit)
    asyncio.create_task(orders(session, base_url, 1))
    return results


async def not_written(session, base_url, user_ids, limit):
    raise NotImplementedError


def test_solution_passes(capsys):
    asyncio.run(check_fetch_all(solution))
    assert "never more than `limit` requests in flight (5, then 3)" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, hint", [
    (unbounded, "the server saw 10 requests in flight, your limit was 5"),
    (sequential, "at most 1 request in flight: you awaited them one after another"),
    (off_by_one, "the server saw at most 4 requests in flight, but your limit was 5"),
    (hardcoded_limit, "the server saw 5 requests in flight, your limit was 3: create one asyncio.Semaphore(limit) "
                      "from the `limit` argument"),
    (wrong_order, "in the wrong order"),
    (whole_response, "expected each user's orders"),
    (leaves_tasks, "1 task(s) were still running after fetch_all returned"),
])
def test_wrong_answers_get_their_hint(wrong, hint):
    with pytest.raises(CheckFailed) as failure:
        asyncio.run(check_fetch_all(wrong))
    assert hint in str(failure.value)


def test_not_written_yet():
    with pytest.raises(NotSolvedYet, match="not written yet"):
        asyncio.run(check_fetch_all(not_written))


def test_plain_function_is_refused():
    with pytest.raises(CheckFailed, match="async def"):
        asyncio.run(check_fetch_all(lambda *args: None))
