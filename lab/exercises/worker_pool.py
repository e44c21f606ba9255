"""Checks for 15_worker_pool: N workers on an asyncio.Queue, every item handled, errors kept, nothing left running.

    from lab.exercises.worker_pool import check_run_pool

run_pool(session, base_url, user_ids, workers) fetches /users/{id} for every id with at most `workers`
requests in flight (one per worker), and returns {id: the JSON, or the exception that id raised}.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from lab.checks import (
    CheckFailed,
    ExerciseCheck,
    Observation,
    check_server,
    check_session,
    observe,
    passed,
    require_async,
)

CHECK_WORKERS = 3
CHECK_IDS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]  # 11 does not exist: a 404
CHECK_TROUBLE = {"/users/4": {"status": "503"}, "/users/8": {"delay": "0.3"}}
GUARD = 4.0  # the check gives up on a pool after this many seconds
FAILING = {4: 503, 11: 404}

RunPool = Callable[[aiohttp.ClientSession, str, list[int], int], Awaitable[Any]]


async def check_run_pool(run_pool: RunPool) -> None:
    """run_pool(session, base_url, user_ids, workers) -> {user_id: JSON or exception}, at most `workers` in flight.

    The check runs it with 3 workers over ids 1 to 11: /users/4 answers 503, /users/11 does not exist (404).
    """
    require_async(run_pool)
    api = check_server()
    async with check_session(CHECK_TROUBLE) as session:
        seen = await observe(run_pool, session, api.url, list(CHECK_IDS), CHECK_WORKERS, settle=1.0, deadline=GUARD)
    _judge(seen)
    passed(f"{len(CHECK_IDS)} items through {CHECK_WORKERS} workers: at most {seen.max_in_flight} in flight, every "
           "item fetched once, the 503 and the 404 kept with their items, every worker stopped.")


def _judge(seen: Observation) -> None:
    name = seen.name
    seen.loop_problems("A pool gets stuck when a worker waits on queue.get() after the last item with no one to stop "
                       "it, or when queue.join() waits for a task_done() that never comes (a worker that let an "
                       "error out died without calling it: use try/finally).")
    if seen.error is not None:
        raise CheckFailed(f"{name} raised {type(seen.error).__name__} ({seen.error}): one item's error ended the "
                          "whole pool. Catch it in the worker and keep it as that item's result, then go on to the "
                          "next item.")
    seen.no_leftovers("stop every worker before you return: put one sentinel (None) per worker, or call "
                      "queue.shutdown() on Python 3.13+, then await the workers.")
    peak = seen.max_in_flight
    if peak > CHECK_WORKERS:
        raise CheckFailed(f"the server saw {peak} requests in flight at once, with workers={CHECK_WORKERS}: each "
                          "worker should send one request at a time, and only the workers should send them.")
    asked: dict[int, int] = {}
    for entry in seen.entries:
        parts = entry["path"].split("/")
        if len(parts) == 3 and parts[1] == "users" and parts[2].isdigit():
            asked[int(parts[2])] = asked.get(int(parts[2]), 0) + 1
    never = [i for i in CHECK_IDS if i not in asked]
    if never:
        raise CheckFailed(f"the server never saw a request for id(s) {never}: not every item was handled. Put every "
                          "item in the queue before you wait for the pool (queue.join(), or awaiting the workers), "
                          "and stop the workers only after that wait.")
    if peak < CHECK_WORKERS:
        raise CheckFailed(f"the server saw at most {peak} request(s) in flight, with workers={CHECK_WORKERS}: start "
                          "`workers` worker tasks, all taking items from the same queue.")
    twice = sorted(i for i, n in asked.items() if n > 1)
    if twice:
        raise CheckFailed(f"id(s) {twice} were fetched more than once: each item goes into the queue once and is "
                          "taken by one worker.")
    result = seen.result
    if not isinstance(result, dict):
        raise CheckFailed(f"{name} returned {type(result).__name__}; return a dict {{user_id: JSON or exception}}.")
    lost = [i for i in CHECK_IDS if i not in result or result[i] is None]
    if lost:
        failing = [i for i in lost if i in FAILING]
        why = (f" Those are the ids that failed ({', '.join(f'{i}: HTTP {FAILING[i]}' for i in failing)}): keep "
               "the exception as the item's result instead of swallowing it.") if failing else ""
        raise CheckFailed(f"the result has nothing for id(s) {lost}.{why}")
    for i, status in FAILING.items():
        if not isinstance(result[i], aiohttp.ClientResponseError) or result[i].status != status:
            raise CheckFailed(f"/users/{i} answered {status}, so its result should be the ClientResponseError "
                              f"(status {status}) it raised; it is {result[i]!r:.80}. Call "
                              "response.raise_for_status() and keep the exception.")
    for i in CHECK_IDS:
        if i not in FAILING and not (isinstance(result[i], dict) and result[i].get("id") == i):
            raise CheckFailed(f"the result for id {i} should be the JSON of /users/{i} (a dict with 'id': {i}); "
                              f"it is {result[i]!r:.80}.")


# ---- a correct answer, for the registry of checks (the lesson's own solution) ----------------------

_STOP = object()


async def reference_run_pool(session: aiohttp.ClientSession, base_url: str, user_ids: list[int],
                             workers: int) -> dict[int, Any]:
    queue: asyncio.Queue[Any] = asyncio.Queue()
    results: dict[int, Any] = {}

    async def work() -> None:
        while (user_id := await queue.get()) is not _STOP:
            try:
                async with session.get(f"{base_url}/users/{user_id}") as response:
                    response.raise_for_status()
                    results[user_id] = await response.json()
            except aiohttp.ClientError as exc:
                results[user_id] = exc

    async with asyncio.TaskGroup() as tg:
        for _ in range(workers):
            tg.create_task(work())
        for user_id in [*user_ids, *[_STOP] * workers]:
            await queue.put(user_id)
    return results


CHECKS = (ExerciseCheck(check_run_pool, reference=reference_run_pool),)
