"""The worker-pool check accepts a pool written several ways (sentinels, Queue.shutdown, a TaskGroup of workers,
join then cancel) and names each typical mistake from the evidence."""

from __future__ import annotations

import asyncio
import contextlib
import sys

import aiohttp
import pytest
from exercise_harness import assert_hint, assert_passes

from lab.checks import CheckFailed, NotSolvedYet
from lab.exercises.worker_pool import check_run_pool, reference_run_pool

STOP = None


async def fetch_json(session, url):
    async with session.get(url) as response:
        response.raise_for_status()
        return await response.json()


# ---- the lesson's solution (the module's own: a Queue, a TaskGroup of N workers, one sentinel each) ------

solution = reference_run_pool


# ---- right answers written differently --------------------------------------------------------------


async def tasks_then_gather(session, base_url, user_ids, workers):
    queue = asyncio.Queue()
    results = {}

    async def worker():
        while (user_id := await queue.get()) is not STOP:
            try:
                results[user_id] = await fetch_json(session, f"{base_url}/users/{user_id}")
            except (aiohttp.ClientError, ValueError) as exc:
                results[user_id] = exc

    tasks = [asyncio.create_task(worker()) for _ in range(workers)]
    for user_id in user_ids:
        await queue.put(user_id)
    for _ in tasks:
        await queue.put(STOP)
    await asyncio.gather(*tasks)
    return results


async def with_shutdown(session, base_url, user_ids, workers):
    queue = asyncio.Queue(maxsize=workers)  # a bounded queue: the producer waits for room
    results = {}

    async def worker():
        while True:
            try:
                user_id = await queue.get()
            except asyncio.QueueShutDown:
                return
            try:
                async with session.get(f"{base_url}/users/{user_id}", raise_for_status=True) as response:
                    results[user_id] = await response.json()
            except Exception as exc:  # noqa: BLE001 - kept as the item's result
                results[user_id] = exc
            finally:
                queue.task_done()

    async with asyncio.TaskGroup() as tg:
        for _ in range(workers):
            tg.create_task(worker())
        for user_id in user_ids:
            await queue.put(user_id)
        await queue.join()
        queue.shutdown()
    return results


async def taskgroup_of_workers_with_producer(session, base_url, user_ids, workers):
    queue: asyncio.Queue = asyncio.Queue()
    done = {}

    async def produce():
        for user_id in user_ids:
            await queue.put(user_id)
        for _ in range(workers):
            await queue.put(STOP)

    async def work():
        while True:
            item = await queue.get()
            if item is STOP:
                break
            try:
                done[item] = await fetch_json(session, f"{base_url}/users/{item}")
            except aiohttp.ClientResponseError as exc:
                done[item] = exc

    async with asyncio.TaskGroup() as tg:
        tg.create_task(produce())
        for _ in range(workers):
            tg.create_task(work())
    return done


async def join_then_cancel(session, base_url, user_ids, workers):
    queue = asyncio.Queue()
    for user_id in user_ids:
        queue.put_nowait(user_id)
    outcome = {}

    async def worker():
        while True:
            user_id = await queue.get()
            try:
                outcome[user_id] = await fetch_json(session, f"{base_url}/users/{user_id}")
            except aiohttp.ClientError as exc:
                outcome[user_id] = exc
            finally:
                queue.task_done()

    tasks = [asyncio.create_task(worker()) for _ in range(workers)]
    try:
        await queue.join()
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return outcome


# ---- typical wrong answers -----------------------------------------------------------------------------


async def workers_never_stopped(session, base_url, user_ids, workers):
    queue = asyncio.Queue()
    results = {}

    async def worker():
        while True:
            user_id = await queue.get()
            try:
                results[user_id] = await fetch_json(session, f"{base_url}/users/{user_id}")
            except aiohttp.ClientError as exc:
                results[user_id] = exc
            finally:
                queue.task_done()

    for _ in range(workers):
        asyncio.create_task(worker())  # noqa: RUF006 - the mistake under test
    for user_id in user_ids:
        await queue.put(user_id)
    await queue.join()
    return results


async def cancelled_not_awaited(session, base_url, user_ids, workers):
    queue = asyncio.Queue()
    results = {}

    async def worker():
        while True:
            user_id = await queue.get()
            try:
                results[user_id] = await fetch_json(session, f"{base_url}/users/{user_id}")
            except aiohttp.ClientError as exc:
                results[user_id] = exc
            finally:
                queue.task_done()

    tasks = [asyncio.create_task(worker()) for _ in range(workers)]
    for user_id in user_ids:
        await queue.put(user_id)
    await queue.join()
    for task in tasks:
        task.cancel()
    return results


async def unbounded(session, base_url, user_ids, workers):
    async def one(user_id):
        try:
            return user_id, await fetch_json(session, f"{base_url}/users/{user_id}")
        except aiohttp.ClientError as exc:
            return user_id, exc

    return dict(await asyncio.gather(*(one(i) for i in user_ids)))


async def one_worker(session, base_url, user_ids, workers):
    return await solution(session, base_url, user_ids, 1)


async def errors_swallowed(session, base_url, user_ids, workers):
    queue = asyncio.Queue()
    results = {}

    async def worker():
        while (user_id := await queue.get()) is not STOP:
            with contextlib.suppress(aiohttp.ClientError):
                results[user_id] = await fetch_json(session, f"{base_url}/users/{user_id}")

    tasks = [asyncio.create_task(worker()) for _ in range(workers)]
    for user_id in [*user_ids, *[STOP] * workers]:
        await queue.put(user_id)
    await asyncio.gather(*tasks)
    return results


async def worker_dies_on_error(session, base_url, user_ids, workers):
    queue = asyncio.Queue()
    results = {}

    async def worker():
        while True:
            user_id = await queue.get()
            results[user_id] = await fetch_json(session, f"{base_url}/users/{user_id}")
            queue.task_done()

    tasks = [asyncio.create_task(worker()) for _ in range(workers)]
    try:
        for user_id in user_ids:
            await queue.put(user_id)
        await queue.join()
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return results


async def join_before_put(session, base_url, user_ids, workers):
    queue = asyncio.Queue()
    results = {}

    async def worker():
        while True:
            user_id = await queue.get()
            try:
                results[user_id] = await fetch_json(session, f"{base_url}/users/{user_id}")
            except aiohttp.ClientError as exc:
                results[user_id] = exc
            finally:
                queue.task_done()

    async def produce():
        for user_id in user_ids:
            await queue.put(user_id)

    tasks = [asyncio.create_task(worker()) for _ in range(workers)]
    producer = asyncio.create_task(produce())
    await queue.join()  # nothing is in the queue yet: returns at once
    for task in tasks:
        task.cancel()
    await asyncio.gather(producer, *tasks, return_exceptions=True)
    return results


async def error_lets_out(session, base_url, user_ids, workers):
    queue = asyncio.Queue()
    results = {}

    async def worker():
        while (user_id := await queue.get()) is not STOP:
            results[user_id] = await fetch_json(session, f"{base_url}/users/{user_id}")

    async with asyncio.TaskGroup() as tg:
        for _ in range(workers):
            tg.create_task(worker())
        for user_id in [*user_ids, *[STOP] * workers]:
            await queue.put(user_id)
    return results


async def run_pool(session, base_url, user_ids, workers):
    raise NotImplementedError


def sync_version(session, base_url, user_ids, workers):
    return {}


SHUTDOWN = pytest.param(with_shutdown, marks=pytest.mark.skipif(
    sys.version_info < (3, 13), reason="asyncio.Queue.shutdown() arrived in Python 3.13"))


@pytest.mark.parametrize("answer", [solution, tasks_then_gather, SHUTDOWN, taskgroup_of_workers_with_producer,
                                    join_then_cancel])
def test_accepts_a_pool(answer):
    assert_passes(check_run_pool, answer, "11 items through 3 workers: at most 3 in flight")


@pytest.mark.parametrize("answer, hint", [
    (workers_never_stopped, ("run_pool returned while work it started was still running",
                             "3 task(s) it started had not finished", "put one sentinel (None) per worker")),
    (cancelled_not_awaited, "you cancelled them but did not wait for them"),
    (unbounded, "the server saw 11 requests in flight at once, with workers=3"),
    (one_worker, "the server saw at most 1 request(s) in flight, with workers=3"),
    (errors_swallowed, ("the result has nothing for id(s) [4, 11]", "4: HTTP 503, 11: HTTP 404",
                        "keep the exception as the item's result")),
    (worker_dies_on_error, ("run_pool was still waiting after 4 s", "a worker that let an error out died")),
    (join_before_put, ("the server never saw a request for id(s)", "Put every item in the queue before you wait")),
    (error_lets_out, "run_pool raised ExceptionGroup"),
    (sync_version, "run_pool should be defined with `async def`"),
])
def test_rejects_typical_mistakes(answer, hint):
    answer.__name__ = "run_pool"
    assert_hint(check_run_pool, answer, CheckFailed, hint)


def test_not_written_yet():
    assert_hint(check_run_pool, run_pool, NotSolvedYet, "run_pool is not written yet")
