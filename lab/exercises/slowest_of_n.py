"""Checks for 13_slowest_of_n."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from lab.checks import (
    CheckFailed,
    ExerciseCheck,
    check_server,
    explained,
    function_name,
    not_a_value,
    observe,
    passed,
    reference_json,
    require_async,
    short,
)

PATH = "/users/3"
AFTER = 0.2  # the `after` the check passes when the first request is slow
FAST, FAST_AFTER = 0.05, 0.6  # a first answer long before `after`: no backup, and return at once
SLOW, QUICK_BACKUP = 1.0, 0.15  # a slow first answer: the backup (sent at AFTER) answers at about AFTER + 0.15
FIRST_WINS, SLOW_BACKUP = 0.4, 1.0  # the first answers at 0.4 s, before its backup (sent at AFTER) would
PROMPT = 0.3  # a function that returns this long after the winning answer ended on the server kept waiting
EARLY = 0.1  # a backup sent earlier than AFTER minus this was not waiting for `after`
GAVE_UP = 0.05  # a first request cancelled this long before the backup answered was given up, not raced


def scripted_session(delays: list[float]) -> aiohttp.ClientSession:
    """A session whose n-th request to PATH asks the server for the n-th delay (the last one repeats)."""
    script = itertools.chain(delays, itertools.repeat(delays[-1]))

    async def add_delay(request: aiohttp.ClientRequest, handler: Any) -> aiohttp.ClientResponse:
        if request.url.path == PATH and "delay" not in request.url.query:
            request.url = request.url.update_query(delay=str(next(script)))
        return await handler(request)

    return aiohttp.ClientSession(middlewares=(add_delay,))


async def check_hedged_get(hedged_get: Callable[[aiohttp.ClientSession, str, float], Awaitable[Any]]) -> None:
    """hedged_get(session, url, after): a backup only after `after`, the first answer at once, the loser cancelled."""
    require_async(hedged_get)
    name = function_name(hedged_get)
    api = check_server()
    url = api.url + PATH
    async with aiohttp.ClientSession() as plain:
        expected = await reference_json(plain, url)

    async def run(delays: list[float], after: float = AFTER) -> Any:
        async with scripted_session(delays) as session:
            seen = await observe(hedged_get, session, url, after, settle=1.5, deadline=3.0)
        seen.loop_problems("return as soon as one of the requests has answered.")
        if seen.error is not None:
            raise CheckFailed(f"{name}(session, url, {after}) raised {explained(seen.error)}")
        problem = not_a_value(seen.result)
        if problem is not None:
            raise CheckFailed(f"{problem[0].upper()}{problem[1:]}")
        if seen.result != expected:
            raise CheckFailed(f"return the JSON of the answer (await response.json()); got {short(seen.result, 100)}")
        return seen

    def since(seen: Any, moment: float) -> float:
        return moment - seen.entries[0]["start"]

    def gave_up_first(seen: Any) -> None:
        """The first request cancelled before the backup answered: it was abandoned, not raced."""
        first, backup = seen.entries[0], seen.entries[1]
        if first["outcome"] == "cancelled" and backup["end"] is not None and first["end"] < backup["end"] - GAVE_UP:
            raise CheckFailed(
                f"the server shows your first request cancelled {since(seen, first['end']):.2f} s after it left, "
                f"before any answer had come (the backup answered at {since(seen, backup['end']):.2f} s): you gave "
                "up on the first request when `after` ran out. asyncio.wait_for and asyncio.timeout cancel what "
                "they wait for; a hedge keeps the first request running and races it against the backup: "
                "`done, _ = await asyncio.wait({first}, timeout=after)` waits without cancelling.")

    # 1. The first request answers in FAST s, long before `after`: no backup, and the answer returned at once.
    fast = await run([FAST], FAST_AFTER)
    if len(fast.entries) > 1:
        gap = fast.entries[1]["start"] - fast.entries[0]["start"]
        raise CheckFailed(f"the first request answered in {FAST} s, well before after={FAST_AFTER} s, but the server "
                          f"got {len(fast.entries)} requests (the second {gap:.2f} s after the first): send the backup "
                          "only if the first has not answered after `after` seconds, for example with "
                          "`done, _ = await asyncio.wait({first}, timeout=after)`.")
    answered = fast.entries[0]["end"] if fast.entries else None
    if answered is not None and fast.returned_at > answered + PROMPT:
        raise CheckFailed(f"the first request answered {since(fast, answered):.2f} s after it left, but {name} "
                          f"returned only {since(fast, fast.returned_at):.2f} s after it (after={FAST_AFTER}): it "
                          "waited the whole `after` although the answer was there. Wait for the first request "
                          "with a timeout, `await asyncio.wait({first}, timeout=after)`, which returns as soon as "
                          "it is done.")

    # 2. The first is slow: the backup, sent at AFTER, must win, and the first must end cancelled.
    slow = await run([SLOW, QUICK_BACKUP])
    if len(slow.entries) < 2:
        raise CheckFailed(f"the first request took {SLOW} s and {name} never sent a backup: after `after` seconds "
                          "without an answer, send the same request again.")
    first, backup = slow.entries[0], slow.entries[1]
    if backup["start"] - first["start"] < AFTER - EARLY:
        raise CheckFailed(f"the backup left {backup['start'] - first['start']:.2f} s after the first request, not "
                          f"after={AFTER} s: wait `after` seconds for the first one before you send it.")
    gave_up_first(slow)
    won_at = backup["end"]
    if won_at is not None and slow.returned_at > won_at + PROMPT:
        raise CheckFailed(f"the backup answered {since(slow, won_at):.2f} s after the first request left, but "
                          f"{name} returned only {since(slow, slow.returned_at):.2f} s after it: you waited for "
                          "both. Take the first answer, with `asyncio.wait(..., return_when=asyncio.FIRST_COMPLETED)`.")
    slow.no_leftovers("cancel the request that lost (task.cancel()) and await it before you return.")
    if first["outcome"] != "cancelled":
        raise CheckFailed(f"the slow first request ended {first['outcome']} on the server instead of cancelled: "
                          "cancel the loser once the other has answered.")

    # 3. The first answers at FIRST_WINS s, before its backup: return the first, cancel the backup.
    wins = await run([FIRST_WINS, SLOW_BACKUP])
    if len(wins.entries) == 2:
        gave_up_first(wins)
        first = wins.entries[0]
        if first["outcome"] == "ok" and wins.returned_at > first["end"] + PROMPT:
            raise CheckFailed(f"the first request answered {since(wins, first['end']):.2f} s after it left, before "
                              f"its backup, but {name} returned only {since(wins, wins.returned_at):.2f} s after it: "
                              "it went on waiting (for the backup?). Return whichever answers first.")
    wins.no_leftovers("cancel the request that lost (task.cancel()) and await it before you return.")
    if len(wins.entries) == 2 and wins.entries[1]["outcome"] != "cancelled":
        raise CheckFailed(f"the backup ended {wins.entries[1]['outcome']} on the server instead of cancelled: "
                          "the first request won, so cancel the backup.")
    passed(f"no backup when the first answers in time, and its answer returned at once; a backup after {AFTER} s "
           "when it does not, the first answer returned, and the loser cancelled on the server.")


async def reference_hedged_get(session: aiohttp.ClientSession, url: str, after: float) -> Any:
    async def fetch() -> Any:
        async with session.get(url) as response:
            response.raise_for_status()
            return await response.json()

    tasks = {asyncio.create_task(fetch())}
    try:
        done, _ = await asyncio.wait(tasks, timeout=after)
        if not done:
            tasks.add(asyncio.create_task(fetch()))
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        return done.pop().result()
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


CHECKS = (ExerciseCheck(check_hedged_get, reference=reference_hedged_get),)
