"""Checks for 00_start_here."""

from __future__ import annotations

from typing import Any, Awaitable, Callable

import aiohttp

import fakeapi
from lab.checks import CheckFailed, observe, passed


async def check_todo_title(todo_title: Callable[[aiohttp.ClientSession, str, int], Awaitable[Any]]) -> None:
    """todo_title(session, base_url, todo_id) should GET /todos/{todo_id} and return its title."""
    api = fakeapi.start()
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{api.url}/todos/3", params={"delay": "0"}) as response:
            expected = (await response.json())["title"]
        seen = await observe(todo_title, session, api.url, 3)
    if seen.error is not None:
        raise CheckFailed(f"todo_title raised {type(seen.error).__name__}: {seen.error}")
    paths = [e["path"] for e in seen.entries]
    if "/todos/3" not in paths:
        raise CheckFailed(f"the server never saw GET /todos/3; it saw {paths or 'no request at all'}. "
                          "Build the URL from base_url and todo_id.")
    if isinstance(seen.result, dict) and seen.result.get("title") == expected:
        raise CheckFailed("you returned the whole todo; return only its title: todo['title'].")
    if seen.result != expected:
        raise CheckFailed(f"expected the title {expected!r}, got {seen.result!r}.")
    passed(f"todo 3 is titled {expected!r}, fetched with one request.")
