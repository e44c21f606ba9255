"""Answers as learners write them, for the cases the checks used to get wrong (issue 20).

Written differently from the notebooks' solutions. Each right one passes; each wrong one gets the hint
drawn from what happened (the journal, the value returned, the exception raised), checked by type
and message. Every one runs beside the learner's background poller (tests/exercise_harness.py).
"""

from __future__ import annotations

import asyncio

import httpx
import pytest
from exercise_harness import assert_hint, assert_passes

from lab.checks import CheckFailed
from lab.exercises.basic_gather import check_gather_dashboard
from lab.exercises.httpx_patterns import check_httpx_dashboard
from lab.exercises.playground import check_my_strategy
from lab.exercises.result_order import check_names_by_id
from lab.exercises.slowest_of_n import check_hedged_get

PARTS = {"profile": "{}/users/{}", "orders": "{}/users/{}/orders", "settings": "{}/users/{}/settings"}


# ---- 01 and 14: the three-part dashboard ---------------------------------------------------------

async def aiohttp_body(session, url):
    async with session.get(url, raise_for_status=True) as response:
        return await response.json()


async def dashboard_by_map(session, base_url, user_id):
    urls = [template.format(base_url, user_id) for template in PARTS.values()]
    return dict(zip(PARTS, await asyncio.gather(*map(lambda url: aiohttp_body(session, url), urls))))


async def dashboard_never_awaited(session, base_url, user_id):
    return {part: aiohttp_body(session, template.format(base_url, user_id)) for part, template in PARTS.items()}


def test_01_right_by_map():
    assert_passes(check_gather_dashboard, dashboard_by_map, "3 requests, all in flight together")


def test_01_a_dict_of_coroutines_is_told_to_await():
    message = assert_hint(check_gather_dashboard, dashboard_never_awaited, CheckFailed,
                          "'profile' is a coroutine (aiohttp_body) that never ran: you forgot to await it")
    assert "never saw" not in message


async def httpx_body(client, url):
    response = await client.get(url)
    response.raise_for_status()
    return response.json()


async def httpx_by_task_dict(client, base_url, user_id):
    tasks = {part: asyncio.ensure_future(httpx_body(client, template.format(base_url, user_id)))
             for part, template in PARTS.items()}
    await asyncio.wait(tasks.values())
    return {part: task.result() for part, task in tasks.items()}


async def httpx_never_awaited(client, base_url, user_id):
    return {part: client.get(template.format(base_url, user_id)) for part, template in PARTS.items()}


async def httpx_503_into_none(client, base_url, user_id):
    async def body_or_none(url):
        try:
            return await httpx_body(client, url)
        except httpx.HTTPStatusError:
            return None

    values = await asyncio.gather(*(body_or_none(t.format(base_url, user_id)) for t in PARTS.values()))
    return dict(zip(PARTS, values))


async def httpx_503_returned_by_gather(client, base_url, user_id):
    values = await asyncio.gather(*(httpx_body(client, t.format(base_url, user_id)) for t in PARTS.values()),
                                  return_exceptions=True)
    return dict(zip(PARTS, values))


def test_14_right_with_a_dict_of_futures():
    assert_passes(check_httpx_dashboard, httpx_by_task_dict, "a 503 raised HTTPStatusError")


@pytest.mark.parametrize("answer, fragments, not_said", [
    (httpx_never_awaited, ("'profile' is a coroutine", "you forgot to await it"), "never saw"),
    (httpx_503_into_none, ("httpx_503_into_none returned None as the settings instead of raising",
                           "the error was caught and replaced by None"), "raise_for_status"),
    (httpx_503_returned_by_gather, ("returned the HTTPStatusError as the settings instead of raising it",
                                    "return_exceptions"), "raise_for_status"),
])
def test_14_hints_from_what_happened(answer, fragments, not_said):
    message = assert_hint(check_httpx_dashboard, answer, CheckFailed, *fragments)
    assert not_said not in message


# ---- 02: a plain for over as_completed with a {task: id} dict ------------------------------------------

async def names_keyed_by_task(fetch_user, user_ids):
    tasks = {asyncio.create_task(fetch_user(user_id)): user_id for user_id in user_ids}
    names = {}
    for next_done in asyncio.as_completed(tasks):
        user = await next_done
        names[tasks[next_done]] = user["name"]
    return names


async def names_carried_with_the_result(fetch_user, user_ids):
    async def with_id(user_id):
        return user_id, await fetch_user(user_id)

    names = {}
    for next_done in asyncio.as_completed([with_id(user_id) for user_id in user_ids]):
        user_id, user = await next_done
        names[user_id] = user["name"]
    return {user_id: names[user_id] for user_id in user_ids}


def test_02_right_carrying_the_id():
    assert_passes(check_names_by_id, names_carried_with_the_result)


def test_02_the_plain_for_keyerror_is_explained():
    message = assert_hint(check_names_by_id, names_keyed_by_task, CheckFailed, "names_keyed_by_task raised KeyError",
                          "plain `for` over asyncio.as_completed(...) yields new awaitables, not the tasks you "
                          "gave it")
    assert "<coroutine object" in message  # what the learner saw, and what it means beside it


# ---- 12: my_strategy must honour k -------------------------------------------------------------------

def fixed_bound(n):
    bound = asyncio.Semaphore(n)  # made once, outside the call, ignoring k

    async def my_strategy(jobs, k):
        async def one(job):
            async with bound:
                return await job()

        return await asyncio.gather(*map(one, jobs), return_exceptions=True)

    return my_strategy


async def workers_from_k(jobs, k):
    queue = list(enumerate(jobs))
    results = [None] * len(jobs)

    async def worker():
        while queue:
            i, job = queue.pop(0)
            try:
                results[i] = await job()
            except Exception as error:  # noqa: BLE001 - kept in its place, as gather(return_exceptions=True)
                results[i] = error

    async with asyncio.TaskGroup() as group:
        for _ in range(k):
            group.create_task(worker())
    return results


def test_12_right_with_k_workers_in_a_taskgroup():
    assert_passes(check_my_strategy, workers_from_k, "(k = 3, then 5)")


def test_12_a_bound_that_ignores_k_is_caught_on_the_second_run():
    assert_hint(check_my_strategy, fixed_bound(3), CheckFailed,
                "the server saw at most 3 requests in flight, your k was 5", "from the `k` argument")


# ---- 13: hedged_get must return the first answer as soon as it arrives ----------------------------------

async def fetch(session, url):
    async with session.get(url) as response:
        response.raise_for_status()
        return await response.json()


async def sleeps_after_then_looks(session, url, after):
    first = asyncio.create_task(fetch(session, url))
    await asyncio.sleep(after)
    if first.done():
        return first.result()
    backup = asyncio.create_task(fetch(session, url))
    done, pending = await asyncio.wait({first, backup}, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    return done.pop().result()


async def wait_for_then_retry(session, url, after):
    try:
        return await asyncio.wait_for(fetch(session, url), after)
    except TimeoutError:
        return await fetch(session, url)


async def returns_the_winning_task(session, url, after):
    tasks = [asyncio.create_task(fetch(session, url))]
    done, _ = await asyncio.wait(tasks, timeout=after)
    if not done:
        tasks.append(asyncio.create_task(fetch(session, url)))
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    for task in tasks:
        if task not in done:
            task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return done.pop()


async def hedge_with_an_event(session, url, after):
    answered = asyncio.Event()
    tasks = []

    def start():
        task = asyncio.create_task(fetch(session, url))
        task.add_done_callback(lambda t: t.cancelled() or t.exception() or answered.set())
        tasks.append(task)

    start()
    timer = asyncio.get_running_loop().call_later(after, start)
    try:
        await answered.wait()
        return next(t for t in tasks if t.done() and not t.cancelled() and t.exception() is None).result()
    finally:
        timer.cancel()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def test_13_right_with_an_event_and_call_later():
    assert_passes(check_hedged_get, hedge_with_an_event, "its answer returned at once")


@pytest.mark.parametrize("answer, fragments, not_said", [
    (sleeps_after_then_looks, ("the first request answered ", "(after=0.6): it",
                               "waited the whole `after` although the answer was there"), "went on waiting"),
    (wait_for_then_retry, ("the server shows your first request cancelled ", "before any answer had come",
                           "asyncio.wait_for and asyncio.timeout cancel what they wait for"), "answered after 0.4"),
    (returns_the_winning_task, ("returned a task, not its result",), "response.json"),
])
def test_13_hints_from_what_happened(answer, fragments, not_said):
    message = assert_hint(check_hedged_get, answer, CheckFailed, *fragments)
    assert not_said not in message
