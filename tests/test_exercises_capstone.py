"""The capstone's check accepts a dashboard that bounds, times out, retries, streams and stops, written several
ways, and names each typical mistake from the evidence."""

from __future__ import annotations

import asyncio
import contextlib
import time

import aiohttp
import pytest
from exercise_harness import assert_hint, assert_passes

from lab.checks import CheckFailed, NotSolvedYet
from lab.exercises.capstone import (
    ATTEMPTS,
    BACKOFF,
    IDEMPOTENT,
    MAX_IN_FLIGHT,
    PANEL_TIMEOUT,
    Panel,
    check_build_dashboard,
    panel_requests,
    reference_build_dashboard,
    reference_fetch_with_retry,
    reference_load_panel,
)

# ---- the lesson's solution, in parts: the module's own, so a change to it is tested here ------------

fetch_with_retry = reference_fetch_with_retry
load_panel = reference_load_panel
solution = reference_build_dashboard


# ---- right answers written differently -----------------------------------------------------------


async def as_completed_with_finally(session, base_url, user_id, show):
    limit = asyncio.Semaphore(MAX_IN_FLIGHT)
    tasks = [asyncio.create_task(load_panel(session, limit, n, m, u, b))
             for n, (m, u, b) in panel_requests(base_url, user_id).items()]
    try:
        for next_done in asyncio.as_completed(tasks):
            show(await next_done)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def wait_first_completed(session, base_url, user_id, show):
    """asyncio.wait in a loop, a slot per attempt, and a timeout with wait_for."""
    limit = asyncio.Semaphore(MAX_IN_FLIGHT)

    async def attempt(method, url, body):
        async with limit, session.request(method, url, json=body, raise_for_status=True) as response:
            return await response.json()

    async def panel(name, method, url, body):
        async def work():
            for i in range(ATTEMPTS if method in ("GET", "HEAD") else 1):
                try:
                    return await attempt(method, url, body)
                except aiohttp.ClientResponseError as exc:
                    if i == ATTEMPTS - 1 or method not in ("GET", "HEAD") or exc.status < 500:
                        raise
                await asyncio.sleep(BACKOFF * (i + 1))
            return None
        try:
            return Panel(name, "ok", await asyncio.wait_for(work(), PANEL_TIMEOUT))
        except TimeoutError:
            return Panel(name, "timed out", reason="too slow")
        except aiohttp.ClientResponseError as exc:
            return Panel(name, "failed", reason=f"{exc.status} {exc.message}")

    pending = {asyncio.ensure_future(panel(n, m, u, b)) for n, (m, u, b) in panel_requests(base_url, user_id).items()}
    try:
        while pending:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                show(task.result())
    finally:
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)


async def gather_of_shown_panels(session, base_url, user_id, show):
    """gather of coroutines that each show their own panel; gather cancels its children when cancelled."""
    limit = asyncio.Semaphore(MAX_IN_FLIGHT)

    async def shown(name, method, url, body):
        panel = await load_panel(session, limit, name, method, url, body)
        show(panel)
        return panel

    return await asyncio.gather(*(shown(n, m, u, b) for n, (m, u, b) in panel_requests(base_url, user_id).items()))


# ---- typical wrong answers --------------------------------------------------------------------------


def dashboard_with(panel_loader):
    async def build_dashboard(session, base_url, user_id, show):
        limit = asyncio.Semaphore(MAX_IN_FLIGHT)

        async def panel(name, method, url, body):
            show(await panel_loader(session, limit, name, method, url, body))

        async with asyncio.TaskGroup() as tg:
            for name, (method, url, body) in panel_requests(base_url, user_id).items():
                tg.create_task(panel(name, method, url, body))
    return build_dashboard


unbounded = dashboard_with(lambda session, limit, *args: load_panel(session, contextlib.nullcontext(), *args))
retries_the_post = dashboard_with(
    lambda session, limit, name, method, url, body: load_panel(
        session, limit, name, method, url, body,
        fetch=lambda s, m, u, b: fetch_with_retry(s, "GET", u, b) if m == "GET" else _retry_any(s, m, u, b)))


async def _retry_any(session, method, url, body):
    for attempt in range(ATTEMPTS):
        try:
            async with session.request(method, url, json=body) as response:
                response.raise_for_status()
                return await response.json()
        except aiohttp.ClientResponseError:
            if attempt == ATTEMPTS - 1:
                raise
        await asyncio.sleep(BACKOFF)


async def _retry_at_once(session, method, url, body):
    for attempt in range(ATTEMPTS if method == "GET" else 1):
        try:
            async with session.request(method, url, json=body) as response:
                response.raise_for_status()
                return await response.json()
        except aiohttp.ClientResponseError:
            if attempt == ATTEMPTS - 1 or method != "GET":
                raise


async def _no_retry(session, method, url, body):
    async with session.request(method, url, json=body) as response:
        response.raise_for_status()
        return await response.json()


no_backoff = dashboard_with(lambda s, limit, n, m, u, b: load_panel(s, limit, n, m, u, b, fetch=_retry_at_once))
never_retried = dashboard_with(lambda s, limit, n, m, u, b: load_panel(s, limit, n, m, u, b, fetch=_no_retry))


async def _no_timeout(session, limit, name, method, url, body):
    async with limit:
        try:
            return Panel(name, "ok", await fetch_with_retry(session, method, url, body))
        except aiohttp.ClientResponseError as exc:
            return Panel(name, "failed", reason=f"HTTP {exc.status}")


no_timeout = dashboard_with(_no_timeout)


async def _timeout_per_attempt(session, limit, name, method, url, body):
    async def timed(s, m, u, b):
        for attempt in range(ATTEMPTS if m in IDEMPOTENT else 1):
            try:
                async with asyncio.timeout(PANEL_TIMEOUT):
                    return await _no_retry(s, m, u, b)
            except (TimeoutError, aiohttp.ClientResponseError):
                if attempt == ATTEMPTS - 1 or m not in IDEMPOTENT:
                    raise
            await asyncio.sleep(BACKOFF * 2 ** attempt)
        return None

    async with limit:
        try:
            return Panel(name, "ok", await timed(session, method, url, body))
        except TimeoutError:
            return Panel(name, "timed out", reason="too slow")
        except aiohttp.ClientResponseError as exc:
            return Panel(name, "failed", reason=f"HTTP {exc.status}")


timeout_per_attempt = dashboard_with(_timeout_per_attempt)


async def shown_at_the_end(session, base_url, user_id, show):
    limit = asyncio.Semaphore(MAX_IN_FLIGHT)
    panels = await asyncio.gather(*(load_panel(session, limit, n, m, u, b)
                                    for n, (m, u, b) in panel_requests(base_url, user_id).items()))
    for panel in panels:
        show(panel)


async def as_completed_leaves_tasks(session, base_url, user_id, show):
    limit = asyncio.Semaphore(MAX_IN_FLIGHT)
    tasks = [asyncio.create_task(load_panel(session, limit, n, m, u, b))
             for n, (m, u, b) in panel_requests(base_url, user_id).items()]
    for next_done in asyncio.as_completed(tasks):
        show(await next_done)


async def swallows_the_leave(session, base_url, user_id, show):
    with contextlib.suppress(asyncio.CancelledError):
        await solution(session, base_url, user_id, show)


async def one_timeout_around_all(session, base_url, user_id, show):
    async with asyncio.timeout(PANEL_TIMEOUT):
        await no_timeout(session, base_url, user_id, show)


async def sequential(session, base_url, user_id, show):
    limit = asyncio.Semaphore(MAX_IN_FLIGHT)
    for name, (method, url, body) in panel_requests(base_url, user_id).items():
        show(await load_panel(session, limit, name, method, url, body))


async def errors_let_out(session, base_url, user_id, show):
    async def panel(name, method, url, body):
        async with asyncio.timeout(PANEL_TIMEOUT):
            show(Panel(name, "ok", await _no_retry(session, method, url, body)))

    async with asyncio.TaskGroup() as tg:
        for name, (method, url, body) in panel_requests(base_url, user_id).items():
            tg.create_task(panel(name, method, url, body))


async def blocking_pause(session, base_url, user_id, show):
    time.sleep(0.1)
    await solution(session, base_url, user_id, show)


async def build_dashboard(session, base_url, user_id, show):
    raise NotImplementedError


def sync_version(session, base_url, user_id, show):
    return None


@pytest.mark.parametrize("answer", [solution, as_completed_with_finally, wait_first_completed,
                                    gather_of_shown_panels])
def test_accepts_a_dashboard_that_bounds_times_out_retries_streams_and_stops(answer):
    out = assert_passes(check_build_dashboard, answer, "at most 3 requests in flight", "leaving early cancelled")
    assert "payments  timed out" in out and "visit     failed     " in out and "503" in out, out


@pytest.mark.parametrize("answer, hint", [
    (unbounded, "the server saw 6 requests in flight at once; the dashboard may have at most MAX_IN_FLIGHT = 3"),
    (sequential, "the server never saw two requests in flight together"),
    (retries_the_post, ("the visit was sent 2 times, and the server stored it 2 times", "a POST is not idempotent")),
    (never_retried, "/reviews answered 503 and was tried 1 time(s)"),
    (no_backoff, ("GET /reviews?user=2&delay=0.05&fail_first=2 was sent",
                  "ms after the previous 503: retrying at once")),
    (no_timeout, ("build_dashboard was still waiting after 4 s", "Here /payments takes 30 s")),
    (timeout_per_attempt, ("the payments panel kept working for", "3 request(s)", "not one around each attempt")),
    (one_timeout_around_all, "build_dashboard raised TimeoutError, so the learner sees no dashboard at all"),
    (errors_let_out, "one failing panel sank the whole dashboard: build_dashboard raised ExceptionGroup"),
    (shown_at_the_end, ("panel was ready", "yet shown after it: show each panel as it finishes")),
    (as_completed_leaves_tasks, ("build_dashboard was cancelled while work it started was still running",
                                 "take its panels down with it")),
    (swallows_the_leave, "build_dashboard returned instead of ending cancelled"),
    (blocking_pause, "a blocking call held the event loop"),
    (sync_version, "build_dashboard should be defined with `async def`"),
])
def test_rejects_typical_mistakes(answer, hint):
    answer.__name__ = "build_dashboard"
    assert_hint(check_build_dashboard, answer, CheckFailed, hint)


def test_not_written_yet():
    assert_hint(check_build_dashboard, build_dashboard, NotSolvedYet, "build_dashboard is not written yet")
