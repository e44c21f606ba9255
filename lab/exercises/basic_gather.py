"""Checks for 01_basic_gather, and the three-part dashboard judgement 14_httpx shares."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import aiohttp

from lab.checks import (
    CheckFailed,
    ExerciseCheck,
    Observation,
    check_server,
    check_session,
    explained,
    not_a_value,
    observe,
    passed,
    reference_json,
    require_async,
    short,
)
from lab.journal import label

USER_ID = 4
PARTS = {"profile": "/users/{id}", "orders": "/users/{id}/orders", "settings": "/users/{id}/settings"}
# Fixed latencies, so the parts finish in another order (orders, settings, profile) than they are asked.
# The shortest (orders) is how long a stall of the learner's kernel may last before a gather looks unoverlapped.
DELAYS = {"profile": "0.6", "orders": "0.4", "settings": "0.5"}


def part_paths(user_id: int = USER_ID) -> dict[str, str]:
    return {part: path.format(id=user_id) for part, path in PARTS.items()}


def overlap(seen: Observation, expected: int, fix: str) -> None:
    """Raise a hint unless all `expected` requests were in flight together."""
    if seen.max_in_flight == 1:
        raise CheckFailed(f"your requests did not overlap: the server saw at most 1 in flight. {fix}")
    if not seen.all_overlapped:
        late = max(seen.entries, key=lambda e: e["start"])
        raise CheckFailed(f"only {seen.max_in_flight} of your {expected} requests were in flight together: "
                          f"{label(late)} waited for another one to finish. {fix}")


_overlap = overlap  # the old private name (lab/exercises/result_order.py used it)


def judge_three_parts(seen: Observation, expected: Mapping[str, Any], error_hint: Callable[[BaseException], str]
                      = explained) -> None:
    """The dashboard of 01 (aiohttp) and of 14 (httpx): profile, orders and settings, fetched together.

    From the evidence, in this order: the loop, an exception, work left running, values that are not
    results (a coroutine never awaited, a task, a response), the requests the server saw, their overlap,
    then the dict returned, part by part.
    """
    paths = part_paths()
    seen.loop_problems("Await the three requests together, with asyncio.gather(...).")
    if seen.error is not None:
        raise CheckFailed(f"{seen.name} raised {error_hint(seen.error)}")
    seen.no_leftovers("await every request before you return, for example with asyncio.gather(...).")
    problem = not_a_value(seen.result)
    if problem is not None:
        raise CheckFailed(f"{problem[0].upper()}{problem[1:]}")

    seen_paths = seen.paths
    for part, path in paths.items():
        if path not in seen_paths:
            raise CheckFailed(f"the server never saw GET {path} (the {part}); it saw "
                              f"{seen_paths or 'no request at all'}. Build each URL from base_url and user_id.")
    if len(seen.entries) > len(paths):
        raise CheckFailed(f"the server saw {len(seen.entries)} requests ({', '.join(seen_paths)}); "
                          "the dashboard needs exactly 3, one per part: await each call once.")
    overlap(seen, len(paths), "Create all three calls, then await them together: "
            "await asyncio.gather(profile_call, orders_call, settings_call).")

    result = seen.result
    if not isinstance(result, dict):
        raise CheckFailed(f"return a dict with the keys 'profile', 'orders' and 'settings'; got {short(result, 60)}.")
    missing = [part for part in paths if part not in result]
    if missing:
        raise CheckFailed(f"your dashboard has no {', '.join(repr(p) for p in missing)}: "
                          "return {'profile': ..., 'orders': ..., 'settings': ...}.")
    for part, path in paths.items():
        value = result[part]
        if value == expected[part]:
            continue
        swapped = [other for other in paths if other != part and value == expected[other]]
        if swapped:
            raise CheckFailed(f"{part!r} holds the {swapped[0]}: gather returns results in the order you passed "
                              "the calls, so unpack them in that same order (the parts finished in another order: "
                              "orders, settings, profile).")
        raise CheckFailed(f"{part!r} should be the JSON body of GET {path}; got {short(value, 60)}.")


def three_parts_passed() -> str:
    paths = part_paths()
    return (f"dashboard for user {USER_ID}: 3 requests, all in flight together, "
            f"ready when the slowest one ({paths['profile']}, {DELAYS['profile']} s) was")


async def check_gather_dashboard(dashboard: Callable[[aiohttp.ClientSession, str, int], Awaitable[Any]]) -> None:
    """dashboard(session, base_url, user_id) should gather profile, orders and settings into one dict."""
    require_async(dashboard)
    api = check_server()
    paths = part_paths()
    async with check_session({paths[part]: {"delay": DELAYS[part]} for part in paths}) as session:
        expected = {part: await reference_json(session, f"{api.url}{path}") for part, path in paths.items()}
        seen = await observe(dashboard, session, api.url, USER_ID)
    judge_three_parts(seen, expected)
    passed(three_parts_passed() + ".")




async def reference_dashboard(session: aiohttp.ClientSession, base_url: str, user_id: int) -> dict[str, Any]:
    async def get(path: str) -> Any:
        async with session.get(f"{base_url}{path.format(id=user_id)}") as response:
            response.raise_for_status()
            return await response.json()

    profile, orders, settings = await asyncio.gather(*(get(path) for path in PARTS.values()))
    return {"profile": profile, "orders": orders, "settings": settings}


CHECKS = (ExerciseCheck(check_gather_dashboard, reference=reference_dashboard, data=True),)
