"""Checks for 00_start_here."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from lab.checks import (
    CheckFailed,
    ExerciseCheck,
    check_server,
    check_session,
    explained,
    not_a_value,
    observe,
    passed,
    reference_json,
    require_async,
)

TODO_IDS = (3, 7)  # two ids, so a URL with a fixed id cannot pass


async def check_todo_title(todo_title: Callable[..., Awaitable[Any]]) -> None:
    """todo_title(session, base_url, todo_id) should GET /todos/{todo_id} once and return its title."""
    require_async(todo_title)
    api = check_server()
    async with check_session() as session:
        for todo_id in TODO_IDS:
            expected = (await reference_json(session, f"{api.url}/todos/{todo_id}"))["title"]
            seen = await observe(todo_title, session, api.url, todo_id)
            seen.loop_problems("Await the request and return its title.")
            if seen.error is not None:
                raise CheckFailed(f"{seen.name} raised {explained(seen.error)}")
            problem = not_a_value(seen.result)
            if problem is not None:
                raise CheckFailed(f"{problem[0].upper()}{problem[1:]}")
            paths = seen.paths
            if f"/todos/{todo_id}" not in paths:
                raise CheckFailed(f"asked for todo {todo_id}, the server never saw GET /todos/{todo_id}; it saw "
                                  f"{paths or 'no request at all'}. Build the URL from base_url and todo_id.")
            if len(paths) > 1:
                raise CheckFailed(f"the server saw {len(paths)} requests ({', '.join(paths)}) for one todo: "
                                  "send one GET and read its body once.")
            if isinstance(seen.result, dict) and seen.result.get("title") == expected:
                raise CheckFailed("you returned the whole todo; return only its title: todo['title'].")
            if seen.result != expected:
                raise CheckFailed(f"expected the title of todo {todo_id}, {expected!r}; got {seen.result!r}.")
    passed(f"todos {' and '.join(map(str, TODO_IDS))} fetched with one request each; "
           f"todo {TODO_IDS[-1]} is titled {expected!r}.")


async def reference_todo_title(session: aiohttp.ClientSession, base_url: str, todo_id: int) -> str:
    async with session.get(f"{base_url}/todos/{todo_id}") as response:
        response.raise_for_status()
        todo = await response.json()
    return todo["title"]


CHECKS = (ExerciseCheck(check_todo_title, reference=reference_todo_title, data=True),)
