"""The check of 01_basic_gather accepts every correct way to run three requests together and names each mistake."""

import asyncio
import time

import pytest
from exercise_harness import assert_hint, assert_passes

from lab.checks import CheckFailed, NotSolvedYet
from lab.exercises.basic_gather import check_gather_dashboard

PARTS = ["profile", "orders", "settings"]


async def get_json(session, url):
    async with session.get(url) as response:
        return await response.json()


def urls(base_url, user_id):
    return [f"{base_url}/users/{user_id}", f"{base_url}/users/{user_id}/orders", f"{base_url}/users/{user_id}/settings"]


def calls(session, base_url, user_id):
    return [get_json(session, url) for url in urls(base_url, user_id)]


async def solution(session, base_url, user_id):
    profile, orders, settings = await asyncio.gather(*calls(session, base_url, user_id))
    return {"profile": profile, "orders": orders, "settings": settings}


async def with_taskgroup(session, base_url, user_id):
    async with asyncio.TaskGroup() as tg:
        tasks = {part: tg.create_task(get_json(session, url)) for part, url in zip(PARTS, urls(base_url, user_id))}
    return {part: task.result() for part, task in tasks.items()}


async def create_task_then_await(session, base_url, user_id):
    profile, orders, settings = [asyncio.create_task(c) for c in calls(session, base_url, user_id)]
    return {"profile": await profile, "orders": await orders, "settings": await settings}


async def with_wait_and_request(session, base_url, user_id):
    async def get(url):
        async with session.request("GET", url) as response:
            response.raise_for_status()
            return await response.json()

    tasks = {part: asyncio.create_task(get(url)) for part, url in zip(PARTS, urls(base_url, user_id))}
    await asyncio.wait(tasks.values())
    return {part: task.result() for part, task in tasks.items()}


async def one_by_one(session, base_url, user_id):
    return {part: await get_json(session, url) for part, url in zip(PARTS, urls(base_url, user_id))}


async def coroutines_awaited_in_a_loop(session, base_url, user_id):
    results = [await call for call in calls(session, base_url, user_id)]
    return dict(zip(PARTS, results))


async def two_then_one(session, base_url, user_id):
    profile, orders = await asyncio.gather(*(get_json(session, url) for url in urls(base_url, user_id)[:2]))
    settings = await get_json(session, urls(base_url, user_id)[2])
    return {"profile": profile, "orders": orders, "settings": settings}


async def blocking_pause_in_each(session, base_url, user_id):
    async def get(url):
        time.sleep(0.1)  # a pause written with the blocking call
        return await get_json(session, url)

    profile, orders, settings = await asyncio.gather(*(get(url) for url in urls(base_url, user_id)))
    return {"profile": profile, "orders": orders, "settings": settings}


async def in_finishing_order(session, base_url, user_id):
    results = [await next_done for next_done in asyncio.as_completed(calls(session, base_url, user_id))]
    return dict(zip(PARTS, results))


async def settings_forgotten(session, base_url, user_id):
    profile, orders = await asyncio.gather(*(get_json(session, url) for url in urls(base_url, user_id)[:2]))
    return {"profile": profile, "orders": orders, "settings": None}


async def profile_left_running(session, base_url, user_id):
    profile = asyncio.create_task(get_json(session, urls(base_url, user_id)[0]))
    orders, settings = await asyncio.gather(get_json(session, urls(base_url, user_id)[1]),
                                            get_json(session, urls(base_url, user_id)[2]))
    return {"profile": profile, "orders": orders, "settings": settings}


async def unpacked_in_the_wrong_order(session, base_url, user_id):
    orders, profile, settings = await asyncio.gather(*calls(session, base_url, user_id))
    return {"profile": profile, "orders": orders, "settings": settings}


async def returns_a_list(session, base_url, user_id):
    return await asyncio.gather(*calls(session, base_url, user_id))


async def part_missing(session, base_url, user_id):
    profile, orders, settings = await asyncio.gather(*calls(session, base_url, user_id))
    return {"profile": profile, "orders": orders}


async def fetched_twice(session, base_url, user_id):
    await solution(session, base_url, user_id)
    return await solution(session, base_url, user_id)


async def wrong_user(session, base_url, user_id):
    return await solution(session, base_url, 1)


async def raises(session, base_url, user_id):
    await asyncio.gather(*calls(session, base_url, user_id))
    raise KeyError("name")


async def not_written(session, base_url, user_id):
    raise NotImplementedError


def not_async(session, base_url, user_id):
    return {}


@pytest.mark.parametrize("right", [solution, with_taskgroup, create_task_then_await, with_wait_and_request])
def test_correct_answers_pass(right):
    assert_passes(check_gather_dashboard, right, "dashboard for user 4: 3 requests, all in flight together")


@pytest.mark.parametrize("answer, hint", [
    (one_by_one, "your requests did not overlap: the server saw at most 1 in flight"),
    (coroutines_awaited_in_a_loop, "your requests did not overlap: the server saw at most 1 in flight"),
    (two_then_one, "only 2 of your 3 requests were in flight together: GET /users/4/settings?delay=0.5 waited"),
    (blocking_pause_in_each, ("a blocking call held the event loop", "await asyncio.sleep")),
    (in_finishing_order, "'profile' holds the orders: gather returns results in the order you passed"),
    (settings_forgotten, "the server never saw GET /users/4/settings (the settings)"),
    (profile_left_running, ("profile_left_running returned while work it started was still running",
                            "GET /users/4?delay=0.6", "1 task(s) it started had not finished",
                            "await every request before you return")),
    (unpacked_in_the_wrong_order, "'profile' holds the orders: gather returns results in the order you passed"),
    (returns_a_list, "return a dict with the keys 'profile', 'orders' and 'settings'; got [{"),
    (part_missing, "your dashboard has no 'settings'"),
    (fetched_twice, "the server saw 6 requests"),
    (wrong_user, "the server never saw GET /users/4 (the profile)"),
    (raises, "raises raised KeyError: 'name'"),
    (not_async, "not_async should be defined with `async def`"),
])
def test_each_mistake_gets_its_hint(answer, hint):
    assert_hint(check_gather_dashboard, answer, CheckFailed, hint)


def test_not_written_yet():
    assert_hint(check_gather_dashboard, not_written, NotSolvedYet, "not_written is not written yet")
