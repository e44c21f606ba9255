"""The check of 00_start_here accepts the solution and names each typical mistake."""

import asyncio

import pytest

from lab.checks import CheckFailed, NotSolvedYet
from lab.exercises.start_here import check_todo_title


async def solution(session, base_url, todo_id):
    async with session.get(f"{base_url}/todos/{todo_id}") as response:
        todo = await response.json()
    return todo["title"]


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


async def not_written(session, base_url, todo_id):
    raise NotImplementedError


def not_async(session, base_url, todo_id):
    return ""


def test_the_solution_passes(capsys):
    asyncio.run(check_todo_title(solution))
    assert capsys.readouterr().out.startswith("✅ todos 3 and 7 fetched with one request each; todo 7 is titled '")


@pytest.mark.parametrize("answer, hint", [
    (whole_todo, "you returned the whole todo; return only its title"),
    (fixed_id, "asked for todo 7, the server never saw GET /todos/7; it saw ['/todos/3']"),
    (fetched_twice, "the server saw 2 requests (/todos/3, /todos/3) for one todo"),
    (wrong_route, "the server never saw GET /todos/3; it saw ['/posts/3']"),
    (response_object, "expected the title of todo 3, "),
    (raises, "todo_title raised KeyError: 'name'"),
    (not_async, "not_async should be defined with `async def`"),
])
def test_each_mistake_gets_its_hint(answer, hint):
    with pytest.raises(CheckFailed) as failure:
        asyncio.run(check_todo_title(answer))
    assert type(failure.value) is CheckFailed
    assert hint in str(failure.value)


def test_not_written_yet():
    with pytest.raises(NotSolvedYet, match="not_written is not written yet"):
        asyncio.run(check_todo_title(not_written))
