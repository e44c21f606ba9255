"""Checks for 06_taskgroup: an all-or-nothing dashboard built with asyncio.TaskGroup."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from lab.checks import (
    STILL_RUNNING_TOLERANCE,
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

HEALTHY = {
    "profile": "/users/1?delay=0.1",
    "orders": "/orders?user=1&delay=0.2",
    "settings": "/users/1/settings?delay=0.1",
    "reviews": "/reviews?user=1&delay=0.3",
}
FAILING = {
    "profile": "/users/1?delay=0.1",
    "orders": "/orders?user=1&delay=0.5",
    "settings": "/users/1/settings?delay=0.1&status=503",
    "reviews": "/reviews?user=1&delay=0.6",
}


async def check_load_dashboard(load_dashboard: Callable[..., Awaitable[Any]]) -> None:
    """load_dashboard(session, base_url, services) returns {name: data}; a failure cancels the rest."""
    require_async(load_dashboard)
    api = check_server()
    async with check_session() as session:
        expected = {name: await reference_json(session, api.url + re.sub(r"delay=[0-9.]+", "delay=0", path))
                    for name, path in HEALTHY.items()}
        healthy = await observe(load_dashboard, session, api.url, HEALTHY)
        failing = await observe(load_dashboard, session, api.url, FAILING)
    for seen in (healthy, failing):
        seen.loop_problems("Create every task inside the `async with asyncio.TaskGroup()` block.")

    # all four healthy: every answer, all at once, in order
    if healthy.error is not None:
        raise CheckFailed(f"with four healthy services {healthy.name} raised {explained(healthy.error)}")
    result = healthy.result
    if isinstance(result, dict) and any(isinstance(v, asyncio.Task) for v in result.values()):
        raise CheckFailed("you returned the tasks themselves; return what they produced: "
                          "{name: task.result() for name, task in tasks.items()}, after the `async with` block.")
    problem = not_a_value(result)
    if problem is not None:
        raise CheckFailed(f"{problem[0].upper()}{problem[1:]}")
    if not isinstance(result, dict):
        raise CheckFailed(f"load_dashboard returned a {type(result).__name__}; return a dict {{name: data}}.")
    if list(result) != list(HEALTHY):
        raise CheckFailed(f"the keys should follow the order of `services`, {list(HEALTHY)}; got {list(result)}.")
    if result != expected:
        wrong = [name for name in HEALTHY if result.get(name) != expected[name]]
        raise CheckFailed(f"the data for {wrong} is not the decoded JSON body of the service (await response.json()).")
    if healthy.max_in_flight < len(HEALTHY):
        raise CheckFailed(f"your requests did not all overlap: the server saw at most {healthy.max_in_flight} in "
                          f"flight, not {len(HEALTHY)}. Create every task first, inside the `async with "
                          "asyncio.TaskGroup()` block, and do not await them one by one.")
    healthy.no_leftovers("create the tasks with the group's tg.create_task, so the block waits for them.")

    # settings answers 503 after 0.1 s: the whole dashboard fails, and orders and reviews are cancelled
    error = failing.error
    if error is None:
        raise CheckFailed(f"settings answered 503, but load_dashboard returned {failing.result!r}. A failing service "
                          "must fail the whole dashboard: call response.raise_for_status() and let the error go.")
    ok_late = [e["path"] for e in failing.entries
               if e["outcome"] == "ok" and e["end"] > failing.returned_at + STILL_RUNNING_TOLERANCE]
    cancelled = sorted(e["path"] for e in failing.entries if e["outcome"] == "cancelled")
    others_ran_on = bool(ok_late or failing.leftover_tasks or failing.still_running_at_return)
    if isinstance(error, aiohttp.ClientResponseError):
        if others_ran_on or cancelled != ["/orders", "/reviews"]:
            ran_on = ok_late or sorted({e["path"] for e in failing.still_running_at_return}) or "the other requests"
            raise CheckFailed("load_dashboard raised a bare ClientResponseError, not an ExceptionGroup, and the "
                              f"server went on with {ran_on} after your function had returned: that is what "
                              "asyncio.gather does. Use asyncio.TaskGroup, which cancels the rest.")
        raise CheckFailed("orders and reviews were cancelled, as they should be, but load_dashboard raised the bare "
                          "ClientResponseError, not the TaskGroup's ExceptionGroup: do not unwrap it (no `except*` "
                          "that raises the inner error), let the ExceptionGroup go out.")
    if not isinstance(error, ExceptionGroup):
        raise CheckFailed(f"settings answered 503 and {failing.name} raised {explained(error)}. "
                          "Let the TaskGroup's ExceptionGroup go out, do not replace it.")
    statuses = [getattr(e, "status", None) for e in error.exceptions]
    if statuses != [503]:
        raise CheckFailed(f"the ExceptionGroup should hold the one ClientResponseError of settings (503); "
                          f"it holds {error.exceptions!r}.")
    if others_ran_on or cancelled != ["/orders", "/reviews"]:
        raise CheckFailed(f"after settings failed, orders and reviews should have been cancelled; the server saw "
                          f"{[(e['path'], e['outcome']) for e in failing.entries]}.")
    passed("four services at once in a TaskGroup; when settings failed, orders and reviews were cancelled "
           "and an ExceptionGroup came out.")


async def reference_load_dashboard(session: aiohttp.ClientSession, base_url: str,
                                   services: dict[str, str]) -> dict[str, Any]:
    async def load(path: str) -> Any:
        async with session.get(base_url + path) as response:
            response.raise_for_status()
            return await response.json()

    async with asyncio.TaskGroup() as group:
        tasks = {name: group.create_task(load(path)) for name, path in services.items()}
    return {name: task.result() for name, task in tasks.items()}


CHECKS = (ExerciseCheck(check_load_dashboard, reference=reference_load_dashboard, data=True),)
