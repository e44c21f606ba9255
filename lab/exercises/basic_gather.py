"""Checks for 01_basic_gather."""

from __future__ import annotations

from typing import Any, Awaitable, Callable

import aiohttp

import fakeapi
from lab.checks import CheckFailed, Observation, observe, passed
from lab.journal import all_overlapped, label

USER_ID = 4
PARTS = {"profile": "/users/{id}", "orders": "/users/{id}/orders", "settings": "/users/{id}/settings"}


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _left_running(seen: Observation, name: str) -> None:
    running = seen.still_running_at_return
    if seen.leftover_tasks or running:
        what = ", ".join(label(e) for e in running) or f"{len(seen.leftover_tasks)} task(s)"
        raise CheckFailed(f"{name} returned while work it started was still running ({what}). "
                          "Await every request before you return, for example with asyncio.gather(...).")


def _overlap(seen: Observation, expected: int, fix: str) -> None:
    if seen.max_in_flight == 1:
        raise CheckFailed(f"your requests did not overlap: the server saw at most 1 in flight. {fix}")
    if not all_overlapped(seen.entries):
        raise CheckFailed(f"only {seen.max_in_flight} of your {expected} requests were in flight together: "
                          f"one of them waited for another to finish. {fix}")


async def check_dashboard(dashboard: Callable[[aiohttp.ClientSession, str, int], Awaitable[Any]]) -> None:
    """dashboard(session, base_url, user_id) should gather profile, orders and settings into one dict."""
    api = fakeapi.start()
    paths = {part: path.format(id=USER_ID) for part, path in PARTS.items()}
    async with aiohttp.ClientSession() as session:
        expected = {}
        for part, path in paths.items():
            async with session.get(f"{api.url}{path}", params={"delay": "0"}) as response:
                expected[part] = await response.json()
        seen = await observe(dashboard, session, api.url, USER_ID)
    if seen.error is not None:
        raise CheckFailed(f"dashboard raised {type(seen.error).__name__}: {seen.error}")
    _left_running(seen, "dashboard")

    seen_paths = [e["path"] for e in seen.entries]
    for part, path in paths.items():
        if path not in seen_paths:
            raise CheckFailed(f"the server never saw GET {path} (the {part}); it saw {seen_paths or 'no request at all'}. "
                              "Build each URL from base_url and user_id.")
    if len(seen.entries) > len(paths):
        raise CheckFailed(f"the server saw {len(seen.entries)} requests ({', '.join(seen_paths)}); "
                          "the dashboard needs exactly 3, one per part: await each call once.")
    _overlap(seen, len(paths), "Create all three calls, then await them together: "
             "await asyncio.gather(profile_call, orders_call, settings_call).")

    result = seen.result
    if not isinstance(result, dict):
        raise CheckFailed(f"return a dict with the keys 'profile', 'orders' and 'settings'; got {_short(result)}.")
    missing = [part for part in paths if part not in result]
    if missing:
        raise CheckFailed(f"your dashboard has no {', '.join(repr(p) for p in missing)}: "
                          "return {'profile': ..., 'orders': ..., 'settings': ...}.")
    for part, path in paths.items():
        value = result[part]
        if value == expected[part]:
            continue
        if isinstance(value, aiohttp.ClientResponse):
            raise CheckFailed(f"{part!r} is the response object; return its body: await response.json().")
        swapped = [other for other in paths if other != part and value == expected[other]]
        if swapped:
            raise CheckFailed(f"{part!r} holds the {swapped[0]}: gather returns results in the order you passed "
                              "the calls, so unpack them in that same order.")
        raise CheckFailed(f"{part!r} should be the JSON body of GET {path}; got {_short(value)}.")
    passed(f"dashboard for user {USER_ID}: 3 requests, all in flight together, "
           f"ready when the slowest one ({paths['orders']}) was.")
