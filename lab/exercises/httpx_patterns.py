"""Checks for 14_httpx."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import httpx

from lab.checks import (
    CheckFailed,
    ExerciseCheck,
    check_server,
    describe,
    explained,
    function_name,
    observe,
    passed,
    require_async,
    short,
)
from lab.exercises.basic_gather import DELAYS, PARTS, USER_ID, judge_three_parts, part_paths, three_parts_passed
from lab.journal import label

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


def _error_hint(error: BaseException) -> str:
    if isinstance(error, TypeError) and "await" in str(error):
        return " (httpx's response.json() is a plain method, not a coroutine: call it without await)"
    return ""


def _raised(error: BaseException) -> str:
    """What the learner's function raised, in words: httpx's own pitfall first, else the general ones."""
    hint = _error_hint(error)
    return f"{describe(error)}{hint}" if hint else explained(error)


async def check_httpx_dashboard(dashboard: Callable[[httpx.AsyncClient, str, int], Awaitable[Any]]) -> None:
    """dashboard(client, base_url, user_id): profile, orders and settings together through an httpx client."""
    require_async(dashboard)
    name = function_name(dashboard)
    api = check_server()
    paths = part_paths()
    async with check_client({paths[part]: {"delay": DELAYS[part]} for part in paths}) as client:
        expected = {}
        for part, path in paths.items():
            response = await client.get(f"{api.url}{path}", params={"delay": "0"})
            expected[part] = response.raise_for_status().json()
        seen = await observe(dashboard, client, api.url, USER_ID)
    judge_three_parts(seen, expected, _raised)

    # The same dashboard when the settings answer 503: it must raise httpx.HTTPStatusError, not return a body.
    async with check_client({paths[part]: FAILING[part] for part in paths}) as client:
        failing = await observe(dashboard, client, api.url, USER_ID)
    failing.loop_problems("Await the three requests together, with asyncio.gather(...).")
    failing.no_leftovers("await every request before you return, for example with asyncio.gather(...).")
    settings = next((label(e) for e in failing.entries if e["path"] == paths["settings"]),
                    f"GET {paths['settings']}")
    if failing.error is None:
        got = failing.result.get("settings") if isinstance(failing.result, dict) else failing.result
        what = f"when {settings} answered 503, {name} returned"
        if isinstance(got, BaseException):
            raise CheckFailed(f"{what} the {type(got).__name__} as the settings instead of raising it: "
                              "asyncio.gather(..., return_exceptions=True) hands errors back as values. Leave "
                              "return_exceptions out, so the error reaches the caller.")
        if got is None:
            raise CheckFailed(f"{what} None as the settings instead of raising: the error was caught and "
                              "replaced by None. Let it go out (no try/except around the request), so the caller "
                              "sees the failure.")
        if isinstance(got, dict):
            raise CheckFailed(f"{what} the 503's body, {short(got, 60)}, as the settings instead of raising: "
                              "httpx does not raise for an error status by itself; call response.raise_for_status() "
                              "before response.json().")
        raise CheckFailed(f"{what} {short(failing.result, 60)} instead of raising: the 503 must reach the caller "
                          "as httpx.HTTPStatusError, from response.raise_for_status().")
    error = failing.error
    if isinstance(error, BaseExceptionGroup):  # a TaskGroup raises its tasks' errors in an ExceptionGroup
        statuses, rest = error.split(httpx.HTTPStatusError)
        if statuses is not None and rest is None:
            error = statuses.exceptions[0]
    if not isinstance(error, httpx.HTTPStatusError):
        raise CheckFailed(f"when {settings} answered 503, {name} raised {_raised(failing.error)}; it should raise "
                          "httpx.HTTPStatusError, from response.raise_for_status().")
    passed(f"{three_parts_passed()}; a 503 raised HTTPStatusError.")




async def reference_httpx_dashboard(client: httpx.AsyncClient, base_url: str, user_id: int) -> dict[str, Any]:
    async def get(path: str) -> Any:
        response = await client.get(f"{base_url}{path.format(id=user_id)}")
        return response.raise_for_status().json()

    profile, orders, settings = await asyncio.gather(*(get(path) for path in PARTS.values()))
    return {"profile": profile, "orders": orders, "settings": settings}


CHECKS = (ExerciseCheck(check_httpx_dashboard, reference=reference_httpx_dashboard, data=True),)
