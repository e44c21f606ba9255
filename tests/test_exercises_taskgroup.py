"""The check of 06_taskgroup accepts the solution and rejects each typical mistake with its own hint."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest
from exercise_harness import assert_hint, assert_passes

from lab.checks import CheckFailed, NotSolvedYet
from lab.exercises.taskgroup import check_load_dashboard


async def get_json(session, url):
    async with session.get(url) as response:
        response.raise_for_status()
        return await response.json()


async def load_dashboard(session, base_url, services):
    async with asyncio.TaskGroup() as tg:
        tasks = {name: tg.create_task(get_json(session, base_url + path)) for name, path in services.items()}
    return {name: task.result() for name, task in tasks.items()}


async def list_then_zip(session, base_url, services):
    async with asyncio.TaskGroup() as tg:
        tasks = [tg.create_task(get_json(session, base_url + path)) for path in services.values()]
    return dict(zip(services, (task.result() for task in tasks)))


async def with_request_and_raise_for_status(session, base_url, services):
    async def fetch(path):
        async with session.request("GET", base_url + path, raise_for_status=True) as response:
            return await response.json()

    async with asyncio.TaskGroup() as group:
        tasks = {}
        for name, path in services.items():
            tasks[name] = group.create_task(fetch(path))
    return {name: tasks[name].result() for name in services}


async def unwraps_with_except_star(session, base_url, services):
    try:
        return await load_dashboard(session, base_url, services)
    except* aiohttp.ClientResponseError as group:
        raise group.exceptions[0] from None


async def blocking_pause_in_each(session, base_url, services):
    async def fetch(path):
        time.sleep(0.06)
        return await get_json(session, base_url + path)

    async with asyncio.TaskGroup() as tg:
        tasks = {name: tg.create_task(fetch(path)) for name, path in services.items()}
    return {name: task.result() for name, task in tasks.items()}


async def not_written(session, base_url, services):
    raise NotImplementedError


async def one_by_one(session, base_url, services):
    results = {}
    async with asyncio.TaskGroup() as tg:
        for name, path in services.items():
            results[name] = await tg.create_task(get_json(session, base_url + path))
    return results


async def returns_tasks(session, base_url, services):
    async with asyncio.TaskGroup() as tg:
        tasks = {name: tg.create_task(get_json(session, base_url + path)) for name, path in services.items()}
    return tasks


async def with_gather(session, base_url, services):
    results = await asyncio.gather(*(get_json(session, base_url + path) for path in services.values()))
    return dict(zip(services, results))


async def no_raise_for_status(session, base_url, services):
    async def get(url):
        async with session.get(url) as response:
            return await response.json()
    async with asyncio.TaskGroup() as tg:
        tasks = {name: tg.create_task(get(base_url + path)) for name, path in services.items()}
    return {name: task.result() for name, task in tasks.items()}


async def unwraps_the_group(session, base_url, services):
    try:
        return await load_dashboard(session, base_url, services)
    except* Exception as group:
        raise RuntimeError("dashboard failed") from group


async def swallows_the_group(session, base_url, services):
    result = {}
    try:
        result = await load_dashboard(session, base_url, services)
    except* Exception:
        pass  # `return` is not allowed inside an except* block
    return result


async def returns_a_list(session, base_url, services):
    return list((await load_dashboard(session, base_url, services)).values())


async def completion_order(session, base_url, services):
    results = {}

    async def one(name, path):
        results[name] = await get_json(session, base_url + path)

    async with asyncio.TaskGroup() as tg:
        for name, path in services.items():
            tg.create_task(one(name, path))
    return results


def not_async(session, base_url, services):
    return {}


@pytest.mark.parametrize("right", [load_dashboard, list_then_zip, with_request_and_raise_for_status])
def test_accepts_correct_answers(right):
    assert_passes(check_load_dashboard, right, "four services at once in a TaskGroup")


@pytest.mark.parametrize("wrong, hint", [
    (not_written, "is not written yet"),
    (one_by_one, "the server saw at most 1 in flight, not 4"),
    (returns_tasks, "you returned the tasks themselves"),
    (with_gather, ("raised a bare ClientResponseError, not an ExceptionGroup, and the server went on with",
                   "that is what asyncio.gather does")),
    (unwraps_with_except_star, ("orders and reviews were cancelled, as they should be", "do not unwrap it")),
    (blocking_pause_in_each, "a blocking call held the event loop"),
    (no_raise_for_status, "call response.raise_for_status()"),
    (unwraps_the_group, "unwraps_the_group raised RuntimeError: dashboard failed. Let the TaskGroup's "
                        "ExceptionGroup go"),
    (swallows_the_group, "A failing service must fail the whole dashboard"),
    (returns_a_list, "load_dashboard returned a list"),
    (completion_order, "the keys should follow the order of `services`"),
    (not_async, "should be defined with `async def`"),
], ids=lambda v: getattr(v, "__name__", "hint"))
def test_rejects(wrong, hint):
    assert_hint(check_load_dashboard, wrong, NotSolvedYet if wrong is not_written else CheckFailed, hint)


def test_an_unwrapped_group_is_not_told_to_use_a_taskgroup():
    message = assert_hint(check_load_dashboard, unwraps_with_except_star, CheckFailed, "ExceptionGroup")
    assert "Use asyncio.TaskGroup" not in message
