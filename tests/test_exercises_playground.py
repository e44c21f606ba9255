"""The 12_playground check accepts every correct way to write my_strategy and names each typical mistake."""

import asyncio

import pytest
from exercise_harness import assert_hint, assert_passes

from lab import playground
from lab.checks import CheckFailed, NotSolvedYet
from lab.exercises.playground import check_my_strategy

STRATEGIES_BEFORE = dict(playground.STRATEGIES)


async def solution(jobs, k):
    limit = asyncio.Semaphore(k)

    async def limited(job):
        async with limit:
            return await job()

    return await asyncio.gather(*(limited(job) for job in jobs), return_exceptions=True)


async def taskgroup_keeping_failures(jobs, k):
    limit = asyncio.Semaphore(k)

    async def limited(job):
        async with limit:
            try:
                return await job()
            except Exception as exc:  # kept as a result, so the TaskGroup never cancels the others
                return exc

    async with asyncio.TaskGroup() as tg:
        tasks = [tg.create_task(limited(job)) for job in jobs]
    return [task.result() for task in tasks]


async def k_workers(jobs, k):
    results = [None] * len(jobs)
    queue = asyncio.Queue()
    for i, job in enumerate(jobs):
        queue.put_nowait((i, job))

    async def worker():
        while not queue.empty():
            i, job = queue.get_nowait()
            try:
                results[i] = await job()
            except Exception as exc:
                results[i] = exc

    await asyncio.gather(*(worker() for _ in range(k)))
    return results


async def tasks_then_wait(jobs, k):
    limit = asyncio.Semaphore(k)

    async def limited(job):
        async with limit:
            return await job()

    tasks = [asyncio.create_task(limited(job)) for job in jobs]
    await asyncio.wait(tasks)
    return [task.exception() or task.result() for task in tasks]


async def returns_a_tuple(jobs, k):
    return tuple(await solution(jobs, k))


async def sequential(jobs, k):
    return [await job() for job in jobs]


async def sequential_keeps_going(jobs, k):
    results = []
    for job in jobs:
        try:
            results.append(await job())
        except Exception as exc:
            results.append(exc)
    return results


async def unbounded(jobs, k):
    return await asyncio.gather(*(job() for job in jobs), return_exceptions=True)


async def off_by_one(jobs, k):
    return await solution(jobs, k - 1)


async def without_return_exceptions(jobs, k):
    limit = asyncio.Semaphore(k)

    async def limited(job):
        async with limit:
            return await job()

    return await asyncio.gather(*(limited(job) for job in jobs))


async def taskgroup(jobs, k):
    limit = asyncio.Semaphore(k)

    async def limited(job):
        async with limit:
            return await job()

    async with asyncio.TaskGroup() as tg:
        tasks = [tg.create_task(limited(job)) for job in jobs]
    return [task.result() for task in tasks]


async def finishing_order(jobs, k):
    limit = asyncio.Semaphore(k)

    async def limited(job):
        async with limit:
            try:
                return await job()
            except Exception as exc:
                return exc

    tasks = [asyncio.create_task(limited(job)) for job in jobs]  # started in job order
    return [await next_done for next_done in asyncio.as_completed(tasks)]  # #1 ends 0.16 s before #0


async def failures_dropped(jobs, k):
    return [r for r in await solution(jobs, k) if not isinstance(r, Exception)]


async def failures_as_none(jobs, k):
    return [None if isinstance(r, Exception) else r for r in await solution(jobs, k)]


async def returns_nothing(jobs, k):
    await solution(jobs, k)


async def returns_early(jobs, k):
    limit = asyncio.Semaphore(k)

    async def limited(job):
        async with limit:
            return await job()

    tasks = [asyncio.create_task(limited(job)) for job in jobs]
    await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
    return [(t.exception() or t.result()) if t.done() else None for t in tasks]


async def not_written(jobs, k):
    raise NotImplementedError


@pytest.mark.parametrize("answer", [solution, taskgroup_keeping_failures, k_workers, tasks_then_wait, returns_a_tuple])
def test_every_correct_answer_passes(answer):
    assert_passes(check_my_strategy, answer,
                  "8 requests, never more than k in flight (k = 3, then 5); request #2 failed and its "
                  "ClientResponseError came back")
    assert playground.STRATEGIES == STRATEGIES_BEFORE  # passed in, never registered


@pytest.mark.parametrize("wrong, hint", [
    (sequential, "one at a time: the server saw at most 1 request in flight, your k was 3"),
    (sequential_keeps_going, "one at a time"),
    (unbounded, "unbounded: the server saw 8 requests in flight, your k was 3"),
    (off_by_one, "the server saw at most 2 requests in flight, your k was 3"),
    (without_return_exceptions, "the first failure stopped the batch: request #2 failed and without_return_exceptions "
                                "raised ClientResponseError"),
    (taskgroup, "the first failure stopped the batch: request #2 failed and taskgroup raised ExceptionGroup"),
    (finishing_order, "results in the wrong order"),
    (failures_dropped, "one result per job, in job order (8 items); got 7 items"),
    (failures_as_none, "request #2 failed, so place 2 of your results should hold the exception"),
    (returns_nothing, "got NoneType"),
    (returns_early, "requests had not finished when returns_early returned"),
])
def test_wrong_answers_get_their_hint(wrong, hint):
    assert_hint(check_my_strategy, wrong, CheckFailed, hint)
    assert playground.STRATEGIES == STRATEGIES_BEFORE


def test_not_written_yet():
    assert_hint(check_my_strategy, not_written, NotSolvedYet, "not_written is not written yet")


def test_plain_function_is_refused():
    def my_strategy(jobs, k):
        return []

    with pytest.raises(CheckFailed, match="my_strategy should be defined with `async def`"):
        asyncio.run(check_my_strategy(my_strategy))
