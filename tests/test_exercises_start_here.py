"""The check of 00_start_here accepts every correct way to fetch one todo and names each typical mistake."""

import asyncio
import time

import pytest
from exercise_harness import assert_hint, assert_passes

from lab.checks import CheckFailed, NotSolvedYet
from lab.exercises.start_here import check_todo_title


async def solution(session, base_url, todo_id):
    async with session.get(f"{base_url}/todos/{todo_id}") as response:
        todo = await response.json()
    return todo["title"]


async def with_request_and_raise_for_status(session, base_url, todo_id):
    async with session.request("GET", base_url + "/todos/" + str(todo_id)) as response:
        response.raise_for_status()
        return (await response.json())["title"]


async def without_async_with(session, base_url, todo_id):
    response = await session.get(f"{base_url}/todos/{todo_id}", raise_for_status=True)
    try:
        data = await response.json()
    finally:
        response.release()
    return data["title"]


async def pause_in_a_worker_thread(session, base_url, todo_id):
    await asyncio.to_thread(time.sleep, 0.2)  # a blocking call, but off the event loop's thread: fine
    return await solution(session, base_url, todo_id)


async def whole_todo(session, base_url, todo_id):
    async with session.get(f"{base_url}/todos/{todo_id}") as response:
        return await response.json()


async def fixed_id(session, base_url, todo_id):
    return await solution(session, base_url, 3)


async def fetched_twice(session, base_url, todo_id):
    await solution(session, base_url, todo_id)
    return await solution(session, base_url, todo_id)


async def wrong_route(session, base_url, todo_id):
    async with session.get(f"{base_url}/posts/{todo_id}") as response:
        return (await response.json())["title"]


async def response_object(session, base_url, todo_id):
    async with session.get(f"{base_url}/todos/{todo_id}") as response:
        return response


async def raises(session, base_url, todo_id):
    async with session.get(f"{base_url}/todos/{todo_id}") as response:
        return (await response.json())["name"]


async def blocking_sleep(session, base_url, todo_id):
    time.sleep(0.2)  # "wait for the server" the blocking way
    return await solution(session, base_url, todo_id)


async def not_written(session, base_url, todo_id):
    raise NotImplementedError


def not_async(session, base_url, todo_id):
    return ""


@pytest.mark.parametrize("right", [solution, with_request_and_raise_for_status, without_async_with,
                                   pause_in_a_worker_thread])
def test_correct_answers_pass(right):
    assert_passes(check_todo_title, right, "todos 3 and 7 fetched with one request each; todo 7 is titled '")


@pytest.mark.parametrize("answer, hint", [
    (whole_todo, "you returned the whole todo; return only its title"),
    (fixed_id, "asked for todo 7, the server never saw GET /todos/7; it saw ['/todos/3']"),
    (fetched_twice, "the server saw 2 requests (/todos/3, /todos/3) for one todo"),
    (wrong_route, "the server never saw GET /todos/3; it saw ['/posts/3']"),
    (response_object, "You returned the response object; return its body: await response.json()"),
    (raises, "raises raised KeyError: 'name'"),
    (blocking_sleep, ("a blocking call held the event loop for at least 0.2", "await asyncio.sleep")),
    (not_async, "not_async should be defined with `async def`"),
])
def test_each_mistake_gets_its_hint(answer, hint):
    assert_hint(check_todo_title, answer, CheckFailed, hint)


def test_not_written_yet():
    assert_hint(check_todo_title, not_written, NotSolvedYet, "not_written is not written yet")
