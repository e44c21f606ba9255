"""Checks for 07_bounded_concurrency."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
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
)

USER_IDS = [4, 1, 7, 2, 9, 3, 10, 5, 8, 6]  # not sorted, so an answer in completion or id order shows
LIMIT = 5
SECOND_LIMIT = 3  # a second run with another limit, so a bound written as a number instead of `limit` shows
# Fixed, unequal latencies: results collected as they finish come out in another order than user_ids.
DELAYS = {4: "0.3", 1: "0.1", 7: "0.25", 2: "0.05", 9: "0.2", 3: "0.15", 10: "0.1", 5: "0.3", 8: "0.05", 6: "0.2"}


async def check_fetch_all(fetch_all: Callable[[aiohttp.ClientSession, str, list[int], int], Awaitable[Any]]) -> None:
    """fetch_all(session, base_url, user_ids, limit): every user's orders, in user_ids order, at most limit at once."""
    require_async(fetch_all)
    api = check_server()
    async with check_session({f"/users/{i}/orders": {"delay": d} for i, d in DELAYS.items()}) as session:
        expected = [await reference_json(session, f"{api.url}/users/{user_id}/orders") for user_id in USER_IDS]
        seen = await observe(fetch_all, session, api.url, list(USER_IDS), LIMIT)
        _check_run(seen, expected, LIMIT)
        second = await observe(fetch_all, session, api.url, list(USER_IDS), SECOND_LIMIT)
        _check_run(second, expected, SECOND_LIMIT)
    passed(f"{len(USER_IDS)} users' orders, in order, never more than `limit` requests in flight "
           f"({LIMIT}, then {SECOND_LIMIT}).")


def _check_run(seen: Observation, expected: list[Any], limit: int) -> None:
    """One run of fetch_all with this limit: the right orders, in order, exactly `limit` in flight at the peak."""
    seen.loop_problems("Start the requests together and let the semaphore hold back the extra ones.")
    seen.no_leftovers("await every task you start (gather them) before returning.")
    if seen.error is not None:
        raise CheckFailed(f"{seen.name} raised {explained(seen.error)}")
    paths = sorted(e["path"] for e in seen.entries)
    wanted = sorted(f"/users/{user_id}/orders" for user_id in USER_IDS)
    if paths != wanted:
        raise CheckFailed(f"the server should see one GET /users/{{id}}/orders per user id ({len(wanted)} requests); "
                          f"it saw {len(paths)}: {paths[:4]}{' ...' if len(paths) > 4 else ''}")
    peak = seen.max_in_flight
    if peak > limit:
        raise CheckFailed(f"the server saw {peak} requests in flight, your limit was {limit}: create one "
                          "asyncio.Semaphore(limit) from the `limit` argument and put each request inside "
                          "`async with semaphore:`.")
    if peak == 1:
        raise CheckFailed("the server saw at most 1 request in flight: you awaited them one after another. "
                          "Start them all together with asyncio.gather and let the semaphore hold back the extra ones.")
    if peak < limit:
        raise CheckFailed(f"the server saw at most {peak} requests in flight, but your limit was {limit}: "
                          f"use exactly `limit` as the bound, so that {limit} requests run at once.")
    problem = not_a_value(seen.result)
    if problem is not None:
        raise CheckFailed(f"{problem[0].upper()}{problem[1:]}")
    if not isinstance(seen.result, list) or len(seen.result) != len(expected):
        raise CheckFailed(f"return a list with one list of orders per user id ({len(expected)} items); "
                          f"got {type(seen.result).__name__}.")
    if seen.result != expected:
        if sorted(map(repr, seen.result)) == sorted(map(repr, expected)):
            raise CheckFailed("you returned the right orders in the wrong order (the requests finished in another "
                              "order than user_ids): return them in the order of user_ids (asyncio.gather keeps the "
                              "order of its arguments).")
        raise CheckFailed(f"expected each user's orders (the JSON of /users/{{id}}/orders); "
                          f"the first item was {seen.result[0]!r:.120}")


async def reference_fetch_all(session: aiohttp.ClientSession, base_url: str, user_ids: list[int],
                              limit: int) -> list[Any]:
    semaphore = asyncio.Semaphore(limit)

    async def orders(user_id: int) -> Any:
        async with semaphore, session.get(f"{base_url}/users/{user_id}/orders") as response:
            response.raise_for_status()
            return await response.json()

    return list(await asyncio.gather(*(orders(user_id) for user_id in user_ids)))


CHECKS = (ExerciseCheck(check_fetch_all, reference=reference_fetch_all, data=True),)
