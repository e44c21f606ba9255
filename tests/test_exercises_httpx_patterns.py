"""The check of 14_httpx accepts every correct way to run three httpx requests together and names each mistake."""

import asyncio
import time

import pytest
from exercise_harness import assert_hint, assert_passes

from lab.checks import CheckFailed, NotSolvedYet
from lab.exercises.httpx_patterns import check_httpx_dashboard

PARTS = ["profile", "orders", "settings"]


async def get_json(client, url):
    response = await client.get(url)
    response.raise_for_status()
    return response.json()


async def get_json_chained(client, url):
    return (await client.request("GET", url)).raise_for_status().json()


async def get_json_unchecked(client, url):
    return (await client.get(url)).json()


def urls(base_url, user_id):
    return [f"{base_url}/users/{user_id}", f"{base_url}/users/{user_id}/orders", f"{base_url}/users/{user_id}/settings"]


def calls(client, base_url, user_id, get=get_json):
    return [get(client, url) for url in urls(base_url, user_id)]


async def solution(client, base_url, user_id):
    profile, orders, settings = await asyncio.gather(*calls(client, base_url, user_id))
    return {"profile": profile, "orders": orders, "settings": settings}


async def with_taskgroup_and_request(client, base_url, user_id):
    async with asyncio.TaskGroup() as tg:
        tasks = {part: tg.create_task(get_json_chained(client, url))
                 for part, url in zip(PARTS, urls(base_url, user_id))}
    return {part: task.result() for part, task in tasks.items()}


async def create_task_then_await(client, base_url, user_id):
    profile, orders, settings = [asyncio.create_task(c) for c in calls(client, base_url, user_id)]
    return {"profile": await profile, "orders": await orders, "settings": await settings}


async def gather_from_paths(client, base_url, user_id):
    async def get(path):
        response = await client.get(f"{base_url}{path}")
        return response.raise_for_status().json()

    paths = [f"/users/{user_id}", f"/users/{user_id}/orders", f"/users/{user_id}/settings"]
    return dict(zip(PARTS, await asyncio.gather(*(get(path) for path in paths))))


async def one_by_one(client, base_url, user_id):
    return {part: await get_json(client, url) for part, url in zip(PARTS, urls(base_url, user_id))}


async def no_raise_for_status(client, base_url, user_id):
    profile, orders, settings = await asyncio.gather(*calls(client, base_url, user_id, get_json_unchecked))
    return {"profile": profile, "orders": orders, "settings": settings}


async def awaits_json(client, base_url, user_id):
    async def get(url):
        response = await client.get(url)
        response.raise_for_status()
        return await response.json()

    profile, orders, settings = await asyncio.gather(*(get(url) for url in urls(base_url, user_id)))
    return {"profile": profile, "orders": orders, "settings": settings}


async def returns_responses(client, base_url, user_id):
    async def get(url):
        return (await client.get(url)).raise_for_status()

    return dict(zip(PARTS, await asyncio.gather(*(get(url) for url in urls(base_url, user_id)))))


async def returns_a_list(client, base_url, user_id):
    return await asyncio.gather(*calls(client, base_url, user_id))


async def wrong_keys(client, base_url, user_id):
    user, orders, settings = await asyncio.gather(*calls(client, base_url, user_id))
    return {"user": user, "orders": orders, "settings": settings}


async def blocking_pause_in_each(client, base_url, user_id):
    async def get(url):
        time.sleep(0.1)  # a pause written with the blocking call
        return await get_json(client, url)

    profile, orders, settings = await asyncio.gather(*(get(url) for url in urls(base_url, user_id)))
    return {"profile": profile, "orders": orders, "settings": settings}


async def profile_left_running(client, base_url, user_id):
    profile = asyncio.create_task(get_json(client, urls(base_url, user_id)[0]))
    orders, settings = await asyncio.gather(*(get_json(client, url) for url in urls(base_url, user_id)[1:]))
    return {"profile": profile, "orders": orders, "settings": settings}


async def swallows_the_error(client, base_url, user_id):
    try:
        return await solution(client, base_url, user_id)
    except Exception as error:
        raise RuntimeError("dashboard unavailable") from error


async def not_written(client, base_url, user_id):
    raise NotImplementedError


def not_async(client, base_url, user_id):
    return {}


@pytest.mark.parametrize("right", [solution, with_taskgroup_and_request, create_task_then_await, gather_from_paths])
def test_correct_answers_pass(right):
    assert_passes(check_httpx_dashboard, right, "dashboard for user 4: 3 requests, all in flight together",
                  "a 503 raised HTTPStatusError")


@pytest.mark.parametrize("answer, hint", [
    (one_by_one, "your requests did not overlap: the server saw at most 1 in flight"),
    (no_raise_for_status, ("when GET /users/4/settings?delay=0.3&status=503 answered 503, no_raise_for_status "
                           "returned the 503's body, {", "call response.raise_for_status()")),
    (awaits_json, ("awaits_json raised TypeError", "call it without await")),
    (returns_responses, "'profile' is the response object; return its body: response.json()"),
    (returns_a_list, "return a dict with the keys 'profile', 'orders' and 'settings'; got [{"),
    (wrong_keys, "your dashboard has no 'profile'"),
    (blocking_pause_in_each, ("a blocking call held the event loop", "await asyncio.sleep")),
    (profile_left_running, ("profile_left_running returned while work it started was still running",
                            "GET /users/4?delay=0.6", "1 task(s) it started had not finished")),
    (swallows_the_error, ("swallows_the_error raised RuntimeError: dashboard unavailable",
                          "it should raise httpx.HTTPStatusError")),
    (not_async, "not_async should be defined with `async def`"),
])
def test_each_mistake_gets_its_hint(answer, hint):
    assert_hint(check_httpx_dashboard, answer, CheckFailed, hint)


def test_not_written_yet():
    assert_hint(check_httpx_dashboard, not_written, NotSolvedYet, "not_written is not written yet")
