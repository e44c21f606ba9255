"""The 07_bounded_concurrency check accepts the solution and names each typical mistake."""

import asyncio
import time

import aiohttp
import pytest
from exercise_harness import assert_hint, assert_passes

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


async def connector_limit(session, base_url, user_ids, limit):
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=limit)) as own:
        return await asyncio.gather(*(orders(own, base_url, user_id) for user_id in user_ids))


async def queue_of_workers(session, base_url, user_ids, limit):
    queue = asyncio.Queue()
    for index, user_id in enumerate(user_ids):
        queue.put_nowait((index, user_id))
    results = [None] * len(user_ids)

    async def worker():
        while not queue.empty():
            index, user_id = queue.get_nowait()
            async with session.request("GET", f"{base_url}/users/{user_id}/orders") as response:
                response.raise_for_status()
                results[index] = await response.json()

    async with asyncio.TaskGroup() as tg:
        for _ in range(limit):
            tg.create_task(worker())
    return results


async def sliding_window_with_wait(session, base_url, user_ids, limit):
    tasks, running = [], set()
    for user_id in user_ids:
        if len(running) >= limit:
            _, running = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
        task = asyncio.create_task(orders(session, base_url, user_id))
        tasks.append(task)
        running.add(task)
    await asyncio.wait(tasks)
    return [task.result() for task in tasks]


async def workers_append_as_they_finish(session, base_url, user_ids, limit):
    queue, results = asyncio.Queue(), []
    for user_id in user_ids:
        queue.put_nowait(user_id)

    async def worker():
        while not queue.empty():
            results.append(await orders(session, base_url, queue.get_nowait()))

    await asyncio.gather(*(worker() for _ in range(limit)))
    return results


async def semaphore_per_request(session, base_url, user_ids, limit):
    async def one(user_id):
        async with asyncio.Semaphore(limit):  # a new semaphore each time bounds nothing
            return await orders(session, base_url, user_id)

    return await asyncio.gather(*(one(user_id) for user_id in user_ids))


async def blocking_pause_in_each(session, base_url, user_ids, limit):
    semaphore = asyncio.Semaphore(limit)

    async def one(user_id):
        async with semaphore:
            time.sleep(0.06)
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


@pytest.mark.parametrize("right", [solution, connector_limit, queue_of_workers, sliding_window_with_wait])
def test_correct_answers_pass(right):
    assert_passes(check_fetch_all, right, "never more than `limit` requests in flight (5, then 3)")


@pytest.mark.parametrize("wrong, hint", [
    (unbounded, "the server saw 10 requests in flight, your limit was 5"),
    (sequential, "at most 1 request in flight: you awaited them one after another"),
    (off_by_one, "the server saw at most 4 requests in flight, but your limit was 5"),
    (hardcoded_limit, "the server saw 5 requests in flight, your limit was 3: create one asyncio.Semaphore(limit) "
                      "from the `limit` argument"),
    (wrong_order, "in the wrong order"),
    (whole_response, "expected each user's orders"),
    # The task is created just before the return, so whether its request reached the server by then is
    # luck; the task itself is always seen.
    (leaves_tasks, ("leaves_tasks returned while work it started was still running",
                    "1 task(s) it started had not finished")),
    (workers_append_as_they_finish, "you returned the right orders in the wrong order"),
    (semaphore_per_request, "the server saw 10 requests in flight, your limit was 5"),
    (blocking_pause_in_each, "a blocking call held the event loop"),
])
def test_wrong_answers_get_their_hint(wrong, hint):
    assert_hint(check_fetch_all, wrong, CheckFailed, hint)


def test_not_written_yet():
    assert_hint(check_fetch_all, not_written, NotSolvedYet, "not written yet")


def test_plain_function_is_refused():
    assert_hint(check_fetch_all, lambda *args: None, CheckFailed, "async def")
