"""Checks for 05_aggregation: a call wrapper that never raises, and a dashboard built on it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

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
)

# The timeout the check hands the learner's functions: 1 s, so that services answering in 0.05 to 0.2 s
# are "ok" on any machine, however loaded (at 0.3 s a busy CI runner timed a 0.2 s service out).
TIMEOUT = aiohttp.ClientTimeout(total=1.0)
GUARD = 3.0  # seconds a check waits for a function that should have timed out after TIMEOUT

# name -> (path, expected status): one service of each kind
CASES = {
    "profile": ("/users/1?delay=0.1", "ok"),
    "settings": ("/users/1/settings?status=503&delay=0.05", "error"),
    "notifications": ("/notifications?fault=malformed&delay=0.05", "error"),
    "payments": ("/payments?user=1&fault=hang", "timeout"),
}
WHY = {
    "settings": "answers 503",
    "notifications": "answers half a JSON body",
    "payments": "never answers",
    "profile": "answers 200",
}


def _check_record(record: Any, name: str, status: str, expected_data: Any) -> None:
    why = WHY[name]
    problem = not_a_value(record)
    if problem is not None:
        raise CheckFailed(f"for the service {name!r} (it {why}) {problem}")
    if not isinstance(record, dict) or set(record) != {"service", "status", "data"}:
        raise CheckFailed(f"for the service {name!r} (it {why}) you returned {record!r}; return a dict with exactly "
                          "the keys 'service', 'status' and 'data'.")
    if record["service"] != name:
        raise CheckFailed(f"record['service'] should be the name you were given, {name!r}; got {record['service']!r}.")
    if record["status"] != status:
        hint = ""
        if status == "timeout" and record["status"] == "error":
            hint = (" Your `except Exception` caught the TimeoutError first: put `except TimeoutError` before it "
                    "(TimeoutError is an Exception too).")
        raise CheckFailed(f"the service {name!r} {why}: expected status {status!r}, got {record['status']!r}.{hint}")
    if record["data"] != expected_data:
        want = "the parsed JSON body (await response.json())" if status == "ok" else "None"
        raise CheckFailed(f"for the service {name!r} (it {why}) 'data' should be {want}; got {record['data']!r}.")


async def check_fetch_service(fetch_service: Callable[..., Awaitable[Any]]) -> None:
    """fetch_service(session, name, url, timeout) returns {'service', 'status', 'data'} and never raises."""
    require_async(fetch_service)
    api = check_server()
    async with check_session() as session:
        profile = await reference_json(session, f"{api.url}/users/1")
        for name, (path, status) in CASES.items():
            seen = await observe(fetch_service, session, name, api.url + path, TIMEOUT, deadline=GUARD)
            seen.loop_problems(f"The service {name!r} {WHY[name]}: pass the timeout on, "
                               "session.get(url, timeout=timeout), or use `async with asyncio.timeout(...)`.")
            if seen.error is not None:
                raise CheckFailed(f"fetch_service raised {type(seen.error).__name__} for the service {name!r}, which "
                                  f"{WHY[name]}: catch it and return a record with status {status!r} instead. "
                                  "fetch_service must never raise.")
            _check_record(seen.result, name, status, profile if status == "ok" else None)
            if status == "timeout" and [e["outcome"] for e in seen.entries] != ["cancelled"]:
                raise CheckFailed(f"the server should have seen one request to {path}, abandoned by the client "
                                  f"(cancelled); it saw {[e['outcome'] for e in seen.entries]}.")
            seen.no_leftovers("await the request inside fetch_service.")
        # Cancelled from outside while it waits for a service that never answers: it must end cancelled.
        cancel = await observe(fetch_service, session, "payments", f"{api.url}/payments?user=1&fault=hang",
                               aiohttp.ClientTimeout(total=5), cancel_after_request=0.1, deadline=GUARD)
        if cancel.ignored_cancel or not cancel.cancelled and cancel.error is None:
            raise CheckFailed(f"fetch_service swallowed a cancellation and returned {cancel.result!r}: catch "
                              "`Exception`, not `BaseException`, so that CancelledError (a BaseException) goes "
                              "through.")
    passed("fetch_service never raises: ok, error (503, broken JSON) and timeout (a service that never answers), "
           "and a cancellation still goes through.")


DASHBOARD = {
    "profile": "/users/1?delay=0.15",
    "orders": "/orders?user=1&delay=0.2",
    "settings": "/users/1/settings?status=503",
    "payments": "/payments?user=1&fault=hang",
    "reviews": "/reviews?user=1&delay=0.1",
}


async def check_service_dashboard(dashboard: Callable[..., Awaitable[Any]]) -> None:
    """dashboard(session, base_url, services, timeout) returns {name: record}, all requests at once."""
    require_async(dashboard)
    api = check_server()
    async with check_session() as session:
        seen = await observe(dashboard, session, api.url, DASHBOARD, TIMEOUT, deadline=GUARD)
    seen.loop_problems("The payments service never answers: give each call the timeout (your fetch_service "
                       "does that).")
    if seen.error is not None:
        raise CheckFailed(f"{seen.name} raised {explained(seen.error)}. One failing service must not "
                          "sink the dashboard: call fetch_service, which never raises, for each service.")
    problem = not_a_value(seen.result)
    if problem is not None:
        raise CheckFailed(f"{problem[0].upper()}{problem[1:]}")
    result = seen.result
    if not isinstance(result, dict):
        raise CheckFailed(f"dashboard returned a {type(result).__name__}; return a dict "
                          "{name: record}, for example dict(zip(services, records)).")
    if list(result) != list(DASHBOARD):
        raise CheckFailed(f"the keys should follow the order of `services`, {list(DASHBOARD)}; got {list(result)}.")
    statuses = {name: r.get("status") if isinstance(r, dict) else r for name, r in result.items()}
    want = {"profile": "ok", "orders": "ok", "settings": "error", "payments": "timeout", "reviews": "ok"}
    if statuses != want:
        raise CheckFailed(f"expected the statuses {want}; got {statuses}.")
    if seen.max_in_flight < len(DASHBOARD):
        raise CheckFailed(f"your requests did not all overlap: the server saw at most {seen.max_in_flight} in flight, "
                          f"not {len(DASHBOARD)}. Start them together with asyncio.gather(...).")
    seen.no_leftovers("await every task before returning.")
    passed(f"{len(DASHBOARD)} services at once: 3 ok, settings error, payments timeout, in the order asked.")




async def reference_fetch_service(session: aiohttp.ClientSession, name: str, url: str,
                                  timeout: aiohttp.ClientTimeout) -> dict[str, Any]:
    try:
        async with session.get(url, timeout=timeout) as response:
            response.raise_for_status()
            return {"service": name, "status": "ok", "data": await response.json()}
    except TimeoutError:
        return {"service": name, "status": "timeout", "data": None}
    except Exception:
        return {"service": name, "status": "error", "data": None}


async def reference_service_dashboard(session: aiohttp.ClientSession, base_url: str, services: dict[str, str],
                                      timeout: aiohttp.ClientTimeout) -> dict[str, Any]:
    records = await asyncio.gather(*(reference_fetch_service(session, name, base_url + path, timeout)
                                     for name, path in services.items()))
    return dict(zip(services, records))


CHECKS = (
    ExerciseCheck(check_fetch_service, reference=reference_fetch_service),
    ExerciseCheck(check_service_dashboard, reference=reference_service_dashboard),
)
