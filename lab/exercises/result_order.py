"""Checks for 02_result_order."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

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
    short,
)
from lab.exercises.basic_gather import overlap

# Latencies chosen so that finishing order (5, 1, 8, 6, 3), argument order (3, 8, 5, 1, 6), sorted
# order and a set's iteration order (8, 1, 3, 5, 6) all differ: pairing by any of them but the
# argument order gives someone another user's name.
USER_IDS = [3, 8, 5, 1, 6]
DELAYS = {3: 0.35, 8: 0.2, 5: 0.1, 1: 0.15, 6: 0.25}

FetchUser = Callable[[int], Awaitable[dict[str, Any]]]


async def check_names_by_id(names_by_id: Callable[[FetchUser, list[int]], Awaitable[Any]]) -> None:
    """names_by_id(fetch_user, user_ids) should fetch every user at once and return {user_id: name}."""
    require_async(names_by_id)
    api = check_server()
    async with check_session() as session:
        names = {user_id: (await reference_json(session, f"{api.url}/users/{user_id}"))["name"]
                 for user_id in USER_IDS}

        async def fetch_user(user_id: int) -> dict[str, Any]:
            """GET /users/{user_id}; some users are slower than others."""
            delay = DELAYS.get(user_id, 0.1)
            async with session.get(f"{api.url}/users/{user_id}", params={"delay": str(delay)}) as response:
                response.raise_for_status()
                return await response.json()

        seen = await observe(names_by_id, fetch_user, list(USER_IDS))
    seen.loop_problems("Await the calls together, with asyncio.gather(...).")
    if seen.error is not None:
        raise CheckFailed(f"{seen.name} raised {explained(seen.error)}")
    seen.no_leftovers("await every call before you return, for example with asyncio.gather(...).")
    problem = not_a_value(seen.result)
    if problem is not None:
        raise CheckFailed(f"{problem[0].upper()}{problem[1:]}")

    seen_paths = seen.paths
    for user_id in USER_IDS:
        if f"/users/{user_id}" not in seen_paths:
            raise CheckFailed(f"the server never saw GET /users/{user_id}; it saw {seen_paths or 'no request at all'}. "
                              "Call fetch_user once for every id in user_ids.")
    if len(seen.entries) > len(USER_IDS):
        raise CheckFailed(f"the server saw {len(seen.entries)} requests ({', '.join(seen_paths)}) for "
                          f"{len(USER_IDS)} ids: call fetch_user once per id and await each call once.")
    overlap(seen, len(USER_IDS), "Build all the calls first, then await them together: "
            "await asyncio.gather(*(fetch_user(i) for i in user_ids)).")

    result = seen.result
    expected = {user_id: names[user_id] for user_id in USER_IDS}
    if not isinstance(result, dict):
        hint = " Pair each id with its result: dict(zip(user_ids, ...))." if isinstance(result, (list, tuple)) else ""
        raise CheckFailed(f"return a dict {{user_id: name}}; got {short(result, 60)}.{hint}")
    if set(result) != set(USER_IDS):
        raise CheckFailed(f"the keys should be the ids {USER_IDS} (ints, as passed); got {short(list(result), 60)}.")
    if all(isinstance(value, dict) for value in result.values()):
        raise CheckFailed("the values should be names (user['name']), not whole profiles.")
    if result == expected:
        order = ", ".join(str(e["path"].rsplit("/", 1)[1]) for e in sorted(seen.entries, key=lambda e: e["end"]))
        passed(f"{len(USER_IDS)} users fetched together; they finished in the order {order}, "
               "and every id still got its own name.")
        return
    wrong = next(user_id for user_id in USER_IDS if result[user_id] != expected[user_id])
    owner = next((other for other in USER_IDS if names[other] == result[wrong]), None)
    if owner is None:
        raise CheckFailed(f"user {wrong} should be {expected[wrong]!r}; got {short(result[wrong], 60)}.")
    finished = sorted(USER_IDS, key=DELAYS.__getitem__)
    if result == {user_id: names[other] for user_id, other in zip(USER_IDS, finished)}:
        why = ("you paired the ids with results in the order they finished. gather returns results in the order "
               "of its arguments, so dict(zip(user_ids, results)) pairs them right; with as_completed or "
               "asyncio.wait, carry the id along with each result.")
    else:
        why = ("the ids and the results were paired in different orders (a set, like asyncio.wait's `done`, has "
               "no order you can rely on). Pair each id with its own call: dict(zip(user_ids, await "
               "asyncio.gather(...))), or keep {user_id: task} and read task.result().")
    raise CheckFailed(f"user {wrong} got {result[wrong]!r}, the name of user {owner}: {why}")


async def reference_names_by_id(fetch_user: FetchUser, user_ids: list[int]) -> dict[int, str]:
    users = await asyncio.gather(*(fetch_user(user_id) for user_id in user_ids))
    return {user_id: user["name"] for user_id, user in zip(user_ids, users)}


CHECKS = (ExerciseCheck(check_names_by_id, reference=reference_names_by_id, data=True),)
