"""Checks for 06_taskgroup: an all-or-nothing dashboard built with asyncio.TaskGroup."""

from __future__ import annotations

import asyncio
import inspect
import re
from typing import Any, Awaitable, Callable

import aiohttp

import fakeapi
from lab.checks import CheckFailed, observe, passed

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
    if not inspect.iscoroutinefunction(load_dashboard):
        raise CheckFailed("load_dashboard should be defined with `async def`, so that it can await requests.")
    api = fakeapi.start()
    async with aiohttp.ClientSession() as session:
        expected = {}
        for name, path in HEALTHY.items():
            async with session.get(api.url + re.sub(r"delay=[0-9.]+", "delay=0", path)) as response:
                expected[name] = await response.json()
        healthy = await observe(load_dashboard, session, api.url, HEALTHY)
        failing = await observe(load_dashboard, session, api.url, FAILING)

    # all four healthy: every answer, all at once, in order
    if healthy.error is not None:
        raise CheckFailed(f"with four healthy services load_dashboard raised {type(healthy.error).__name__}: "
                          f"{healthy.error}")
    result = healthy.result
    if not isinstance(result, dict):
        raise CheckFailed(f"load_dashboard returned a {type(result).__name__}; return a dict {{name: data}}.")
    if any(isinstance(v, asyncio.Task) for v in result.values()):
        raise CheckFailed("you returned the tasks themselves; return what they produced: "
                          "{name: task.result() for name, task in tasks.items()}, after the `async with` block.")
    if list(result) != list(HEALTHY):
        raise CheckFailed(f"the keys should follow the order of `services`, {list(HEALTHY)}; got {list(result)}.")
    if result != expected:
        wrong = [name for name in HEALTHY if result.get(name) != expected[name]]
        raise CheckFailed(f"the data for {wrong} is not the decoded JSON body of the service (await response.json()).")
    if healthy.max_in_flight < len(HEALTHY):
        raise CheckFailed(f"your requests did not all overlap: the server saw at most {healthy.max_in_flight} in "
                          f"flight, not {len(HEALTHY)}. Create every task first, inside the `async with "
                          "asyncio.TaskGroup()` block, and do not await them one by one.")
    if healthy.leftover_tasks:
        raise CheckFailed(f"load_dashboard returned while {len(healthy.leftover_tasks)} task(s) were still running.")

    # settings answers 503 after 0.1 s: the whole dashboard fails, and orders and reviews are cancelled
    error = failing.error
    if error is None:
        raise CheckFailed(f"settings answered 503, but load_dashboard returned {failing.result!r}. A failing service "
                          "must fail the whole dashboard: call response.raise_for_status() and let the error go.")
    ok_late = [e["path"] for e in failing.entries if e["outcome"] == "ok" and e["end"] > failing.returned_at]
    if isinstance(error, aiohttp.ClientResponseError):
        raise CheckFailed("load_dashboard raised a bare ClientResponseError, not an ExceptionGroup: that is what "
                          f"asyncio.gather does, and the server went on to answer {ok_late} after your function had "
                          "returned. Use asyncio.TaskGroup, which cancels the rest.")
    if not isinstance(error, ExceptionGroup):
        raise CheckFailed(f"settings answered 503 and load_dashboard raised {type(error).__name__}: {error}. "
                          "Let the TaskGroup's ExceptionGroup go out, do not replace it.")
    statuses = [getattr(e, "status", None) for e in error.exceptions]
    if statuses != [503]:
        raise CheckFailed(f"the ExceptionGroup should hold the one ClientResponseError of settings (503); "
                          f"it holds {error.exceptions!r}.")
    cancelled = sorted(e["path"] for e in failing.entries if e["outcome"] == "cancelled")
    if ok_late or failing.leftover_tasks or cancelled != ["/orders", "/reviews"]:
        raise CheckFailed(f"after settings failed, orders and reviews should have been cancelled; the server saw "
                          f"{[(e['path'], e['outcome']) for e in failing.entries]}.")
    passed("four services at once in a TaskGroup; when settings failed, orders and reviews were cancelled "
           "and an ExceptionGroup came out.")
