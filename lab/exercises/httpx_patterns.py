"""Checks for 14_httpx."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import httpx

from lab.checks import CheckFailed, Observation, check_server, name_of, observe, passed, require_async, short
from lab.journal import label

USER_ID = 4
PARTS = {"profile": "/users/{id}", "orders": "/users/{id}/orders", "settings": "/users/{id}/settings"}
# Fixed latencies, so the parts finish in another order (orders, settings, profile) than they are asked.
DELAYS = {"profile": "0.3", "orders": "0.1", "settings": "0.2"}
# The error case: the settings answer 503, last, so every correct answer has nothing left running when it raises.
FAILING = {"profile": {"delay": "0.1"}, "orders": {"delay": "0.2"}, "settings": {"delay": "0.3", "status": "503"}}


class _FixedParams(httpx.AsyncBaseTransport):
    """httpx's transport, adding query parameters per path (what check_session's middleware does for aiohttp).

    However the learner writes the request (client.get, client.request("GET", ...), params=...), the
    server sees the parameters; one the request already carries is left as it is.
    """

    def __init__(self, table: Mapping[str, Mapping[str, str]]) -> None:
        self._table = {path: dict(p) for path, p in table.items()}
        self._inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        extra = {k: v for k, v in self._table.get(request.url.path, {}).items() if k not in request.url.params}
        if extra:
            request.url = request.url.copy_merge_params(extra)
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


def check_client(table: Mapping[str, Mapping[str, str]]) -> httpx.AsyncClient:
    """An httpx.AsyncClient whose requests to the paths in `table` carry those query parameters."""
    return httpx.AsyncClient(transport=_FixedParams(table))


def _overlap(seen: Observation, expected: int, fix: str) -> None:
    if seen.max_in_flight == 1:
        raise CheckFailed(f"your requests did not overlap: the server saw at most 1 in flight. {fix}")
    if not seen.all_overlapped:
        late = max(seen.entries, key=lambda e: e["start"])
        raise CheckFailed(f"only {seen.max_in_flight} of your {expected} requests were in flight together: "
                          f"{label(late)} waited for another one to finish. {fix}")


def _error_hint(error: BaseException) -> str:
    if isinstance(error, TypeError) and "await" in str(error):
        return " (httpx's response.json() is a plain method, not a coroutine: call it without await)"
    return ""


async def check_dashboard(dashboard: Callable[[httpx.AsyncClient, str, int], Awaitable[Any]]) -> None:
    """dashboard(client, base_url, user_id): profile, orders and settings together through an httpx client."""
    require_async(dashboard)
    name = name_of(dashboard)
    api = check_server()
    paths = {part: path.format(id=USER_ID) for part, path in PARTS.items()}
    async with check_client({paths[part]: {"delay": DELAYS[part]} for part in paths}) as client:
        expected = {}
        for part, path in paths.items():
            response = await client.get(f"{api.url}{path}", params={"delay": "0"})
            expected[part] = response.raise_for_status().json()
        seen = await observe(dashboard, client, api.url, USER_ID)
    seen.loop_problems("Await the three requests together, with asyncio.gather(...).")
    if seen.error is not None:
        raise CheckFailed(f"{name} raised {type(seen.error).__name__}: {seen.error}{_error_hint(seen.error)}")
    seen.no_leftovers("await every request before you return, for example with asyncio.gather(...).")

    seen_paths = seen.paths
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
        raise CheckFailed(f"return a dict with the keys 'profile', 'orders' and 'settings'; got {short(result, 60)}.")
    missing = [part for part in paths if part not in result]
    if missing:
        raise CheckFailed(f"your dashboard has no {', '.join(repr(p) for p in missing)}: "
                          "return {'profile': ..., 'orders': ..., 'settings': ...}.")
    for part, path in paths.items():
        value = result[part]
        if value == expected[part]:
            continue
        if isinstance(value, httpx.Response):
            raise CheckFailed(f"{part!r} is the response object; return its body: response.json().")
        if isinstance(value, Awaitable):
            raise CheckFailed(f"{part!r} is an awaitable, not its result: await it.")
        swapped = [other for other in paths if other != part and value == expected[other]]
        if swapped:
            raise CheckFailed(f"{part!r} holds the {swapped[0]}: gather returns results in the order you passed "
                              "the calls, so unpack them in that same order (the parts finished in another order: "
                              "orders, settings, profile).")
        raise CheckFailed(f"{part!r} should be the JSON body of GET {path}; got {short(value, 60)}.")

    # The same dashboard when the settings answer 503: it must raise httpx.HTTPStatusError, not return a body.
    async with check_client({paths[part]: FAILING[part] for part in paths}) as client:
        failing = await observe(dashboard, client, api.url, USER_ID)
    failing.loop_problems("Await the three requests together, with asyncio.gather(...).")
    failing.no_leftovers("await every request before you return, for example with asyncio.gather(...).")
    settings = next((label(e) for e in failing.entries if e["path"] == paths["settings"]),
                    f"GET {paths['settings']}")
    if failing.error is None:
        got = failing.result.get("settings") if isinstance(failing.result, dict) else failing.result
        raise CheckFailed(f"when {settings} answered 503, {name} returned {short(got, 60)} instead of raising: "
                          "httpx does not raise for an error status by itself; call response.raise_for_status() "
                          "before response.json().")
    error = failing.error
    if isinstance(error, BaseExceptionGroup):  # a TaskGroup raises its tasks' errors in an ExceptionGroup
        statuses, rest = error.split(httpx.HTTPStatusError)
        if statuses is not None and rest is None:
            error = statuses.exceptions[0]
    if not isinstance(error, httpx.HTTPStatusError):
        raise CheckFailed(f"when {settings} answered 503, {name} raised {type(failing.error).__name__}: "
                          f"{failing.error}{_error_hint(failing.error)}; it should raise httpx.HTTPStatusError, "
                          "from response.raise_for_status().")
    passed(f"dashboard for user {USER_ID}: 3 requests, all in flight together, ready when the slowest one "
           f"({paths['profile']}, {DELAYS['profile']} s) was; a 503 raised HTTPStatusError.")
