"""Checks for 13_slowest_of_n."""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from lab.checks import CheckFailed, check_server, name_of, observe, passed, reference_json, require_async

PATH = "/users/3"
AFTER = 0.2  # the `after` the check passes
FAST = 0.05  # a first answer well before AFTER: no backup may be sent
SLOW, QUICK_BACKUP = 1.0, 0.05  # a slow first answer: the backup (sent at AFTER) answers at about AFTER + 0.05
FIRST_WINS, SLOW_BACKUP = 0.4, 1.0  # the first answers at 0.4 s, before its backup (sent at AFTER) would
LATE = 0.6  # a function that returns this long after the winner answered waited for the loser
EARLY = 0.1  # a backup sent earlier than AFTER minus this was not waiting for `after`


def scripted_session(delays: list[float]) -> aiohttp.ClientSession:
    """A session whose n-th request to PATH asks the server for the n-th delay (the last one repeats)."""
    script = itertools.chain(delays, itertools.repeat(delays[-1]))

    async def add_delay(request: aiohttp.ClientRequest, handler: Any) -> aiohttp.ClientResponse:
        if request.url.path == PATH and "delay" not in request.url.query:
            request.url = request.url.update_query(delay=str(next(script)))
        return await handler(request)

    return aiohttp.ClientSession(middlewares=(add_delay,))


async def check_hedged_get(hedged_get: Callable[[aiohttp.ClientSession, str, float], Awaitable[Any]]) -> None:
    """hedged_get(session, url, after): a backup only after `after`, the first answer, the loser cancelled."""
    require_async(hedged_get)
    name = name_of(hedged_get)
    api = check_server()
    url = api.url + PATH
    async with aiohttp.ClientSession() as plain:
        expected = await reference_json(plain, url)

    async def run(delays: list[float]) -> Any:
        async with scripted_session(delays) as session:
            seen = await observe(hedged_get, session, url, AFTER, settle=1.5, deadline=3.0)
        seen.loop_problems("return as soon as one of the requests has answered.")
        if seen.error is not None:
            raise CheckFailed(f"{name}(session, url, {AFTER}) raised {type(seen.error).__name__}: {seen.error}")
        if seen.result != expected:
            raise CheckFailed(f"return the JSON of the answer (await response.json()); got {seen.result!r:.100}")
        return seen

    # 1. The first request answers in FAST s: no backup.
    fast = await run([FAST])
    if len(fast.entries) > 1:
        gap = fast.entries[1]["start"] - fast.entries[0]["start"]
        raise CheckFailed(f"the first request answered in {FAST} s, well before after={AFTER} s, but the server got "
                          f"{len(fast.entries)} requests (the second {gap:.2f} s after the first): send the backup "
                          "only if the first has not answered after `after` seconds, for example with "
                          "`done, _ = await asyncio.wait({first}, timeout=after)`.")

    # 2. The first is slow: the backup, sent at AFTER, must win, and the first must end cancelled.
    slow = await run([SLOW, QUICK_BACKUP])
    if len(slow.entries) < 2:
        raise CheckFailed(f"the first request took {SLOW} s and {name} never sent a backup: after `after` seconds "
                          "without an answer, send the same request again.")
    first, backup = slow.entries[0], slow.entries[1]
    if backup["start"] - first["start"] < AFTER - EARLY:
        raise CheckFailed(f"the backup left {backup['start'] - first['start']:.2f} s after the first request, not "
                          f"after={AFTER} s: wait `after` seconds for the first one before you send it.")
    won_at = backup["end"]
    if slow.returned_at > won_at + LATE:
        raise CheckFailed(f"the backup answered {won_at - first['start']:.2f} s after the first request left, but "
                          f"{name} returned only {slow.returned_at - first['start']:.2f} s after it: you waited for both. "
                          "Take the first answer, with `asyncio.wait(..., return_when=asyncio.FIRST_COMPLETED)`.")
    slow.no_leftovers("cancel the request that lost (task.cancel()) and await it before you return.")
    if first["outcome"] != "cancelled":
        raise CheckFailed(f"the slow first request ended {first['outcome']} on the server instead of cancelled: "
                          "cancel the loser once the other has answered.")

    # 3. The first answers at FIRST_WINS s, before its backup: return the first, cancel the backup.
    wins = await run([FIRST_WINS, SLOW_BACKUP])
    if len(wins.entries) == 2 and wins.returned_at > wins.entries[0]["end"] + LATE:
        raise CheckFailed(f"the first request answered after {FIRST_WINS} s, before its backup, but {name} went on "
                          "waiting (for the backup?): return whichever answers first.")
    wins.no_leftovers("cancel the request that lost (task.cancel()) and await it before you return.")
    if len(wins.entries) == 2 and wins.entries[1]["outcome"] != "cancelled":
        raise CheckFailed(f"the backup ended {wins.entries[1]['outcome']} on the server instead of cancelled: "
                          "the first request won, so cancel the backup.")
    passed(f"no backup when the first answers in time, a backup after {AFTER} s when it does not, the first "
           "answer returned, and the loser cancelled on the server.")
