"""The capstone's check accepts a dashboard that survives its services and names each typical mistake."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest
from exercise_harness import assert_hint, assert_passes

from lab.checks import CheckFailed, NotSolvedYet
from lab.exercises.capstone import PANEL_TIMEOUT, PANELS, Panel, check_build_dashboard


def urls(base_url, user_id):
    return {name: base_url + path.format(user_id=user_id) for name, path in PANELS.items()}


async def fetch_panel(session, name, url):
    try:
        async with asyncio.timeout(PANEL_TIMEOUT):
            async with session.get(url) as response:
                response.raise_for_status()
                return Panel(name, "ok", await response.json())
    except TimeoutError:
        return Panel(name, "timed out", reason=f"no answer within {PANEL_TIMEOUT} s")
    except aiohttp.ClientResponseError as exc:
        return Panel(name, "failed", reason=f"HTTP {exc.status}")
    except (aiohttp.ClientError, ValueError) as exc:
        return Panel(name, "failed", reason=type(exc).__name__)


async def solution(session, base_url, user_id):
    return await asyncio.gather(*(fetch_panel(session, n, u) for n, u in urls(base_url, user_id).items()))


async def solution_taskgroup(session, base_url, user_id):
    async with asyncio.TaskGroup() as tg:
        tasks = [tg.create_task(fetch_panel(session, n, u)) for n, u in urls(base_url, user_id).items()]
    return [t.result() for t in tasks]


async def create_tasks_then_await_each(session, base_url, user_id):
    async def panel(name, url):
        try:
            async with asyncio.timeout(PANEL_TIMEOUT):
                async with session.request("GET", url, raise_for_status=True) as response:
                    return Panel(name, "ok", await response.json())
        except TimeoutError:
            return Panel(name, "timed out", reason="too slow")
        except aiohttp.ClientResponseError as exc:
            return Panel(name, "failed", reason=f"{exc.status} {exc.message}")

    tasks = [asyncio.create_task(panel(n, u)) for n, u in urls(base_url, user_id).items()]
    return [await task for task in tasks]


async def wait_then_cancel_the_slow(session, base_url, user_id):
    async def panel(name, url):
        try:
            async with session.get(url) as response:
                response.raise_for_status()
                return Panel(name, "ok", await response.json())
        except aiohttp.ClientResponseError as exc:
            return Panel(name, "failed", reason=f"HTTP {exc.status}")

    tasks = {n: asyncio.create_task(panel(n, u)) for n, u in urls(base_url, user_id).items()}
    done, pending = await asyncio.wait(tasks.values(), timeout=PANEL_TIMEOUT)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    return [t.result() if t in done else Panel(n, "timed out", reason=f"over {PANEL_TIMEOUT} s")
            for n, t in tasks.items()]


async def blocking_pause_in_each(session, base_url, user_id):
    async def panel(name, url):
        time.sleep(0.06)
        return await fetch_panel(session, name, url)

    return await asyncio.gather(*(panel(n, u) for n, u in urls(base_url, user_id).items()))


async def fetch_json(session, url):
    async with session.get(url) as response:
        response.raise_for_status()
        return await response.json()


async def gather_unprotected(session, base_url, user_id):
    results = await asyncio.gather(*(fetch_json(session, u) for u in urls(base_url, user_id).values()))
    return [Panel(n, "ok", r) for n, r in zip(PANELS, results)]


async def taskgroup_unprotected(session, base_url, user_id):
    async with asyncio.TaskGroup() as tg:
        tasks = [tg.create_task(fetch_json(session, u)) for u in urls(base_url, user_id).values()]
    return [Panel(n, "ok", t.result()) for n, t in zip(PANELS, tasks)]


async def handled_without_timeout(session, name, url):
    try:
        return Panel(name, "ok", await fetch_json(session, url))
    except aiohttp.ClientResponseError as exc:
        return Panel(name, "failed", reason=f"HTTP {exc.status}")


async def no_timeout(session, base_url, user_id):
    return await asyncio.gather(*(handled_without_timeout(session, n, u) for n, u in urls(base_url, user_id).items()))


async def one_timeout_around_all(session, base_url, user_id):
    async with asyncio.timeout(PANEL_TIMEOUT):
        return await no_timeout(session, base_url, user_id)


async def sequential(session, base_url, user_id):
    return [await fetch_panel(session, n, u) for n, u in urls(base_url, user_id).items()]


async def wait_leaves_tasks(session, base_url, user_id):
    tasks = {n: asyncio.create_task(handled_without_timeout(session, n, u)) for n, u in urls(base_url, user_id).items()}
    await asyncio.wait(tasks.values(), timeout=PANEL_TIMEOUT)
    return [t.result() if t.done() else Panel(n, "timed out", reason="too slow") for n, t in tasks.items()]


async def timed_fetch(session, url):
    async with asyncio.timeout(PANEL_TIMEOUT):
        return await fetch_json(session, url)


async def exceptions_as_results(session, base_url, user_id):
    return await asyncio.gather(*(timed_fetch(session, u) for u in urls(base_url, user_id).values()),
                                return_exceptions=True)


async def catch_all_first(session, name, url):
    try:
        async with asyncio.timeout(PANEL_TIMEOUT):
            return Panel(name, "ok", await fetch_json(session, url))
    except Exception as exc:  # TimeoutError lands here too
        return Panel(name, "failed", reason=repr(exc))
    except TimeoutError:
        return Panel(name, "timed out", reason="too slow")


async def timeout_called_failed(session, base_url, user_id):
    return await asyncio.gather(*(catch_all_first(session, n, u) for n, u in urls(base_url, user_id).items()))


async def no_status_check(session, name, url):
    try:
        async with asyncio.timeout(PANEL_TIMEOUT):
            async with session.get(url) as response:
                return Panel(name, "ok", await response.json())
    except TimeoutError:
        return Panel(name, "timed out", reason="too slow")


async def error_status_ignored(session, base_url, user_id):
    return await asyncio.gather(*(no_status_check(session, n, u) for n, u in urls(base_url, user_id).items()))


async def finishing_order(session, base_url, user_id):
    coros = [fetch_panel(session, n, u) for n, u in urls(base_url, user_id).items()]
    return [await p for p in asyncio.as_completed(coros)]


async def always_user_1(session, base_url, user_id):
    return await solution(session, base_url, 1)


async def build_dashboard(session, base_url, user_id):
    raise NotImplementedError


def sync_version(session, base_url, user_id):
    return []


@pytest.mark.parametrize("answer", [solution, solution_taskgroup, create_tasks_then_await_each,
                                    wait_then_cancel_the_slow])
def test_accepts_a_dashboard_that_survives(answer):
    out = assert_passes(check_build_dashboard, answer, "six panels fetched together")
    assert "payments       timed out" in out and "reviews        failed     " in out and "503" in out


@pytest.mark.parametrize("answer, hint", [
    (gather_unprotected, "one failing panel sank the whole dashboard: build_dashboard raised ClientResponseError"),
    (taskgroup_unprotected, "one failing panel sank the whole dashboard: your TaskGroup raised ExceptionGroup "
                            "(ClientResponseError)"),
    (no_timeout, "build_dashboard was still waiting after 3 s, when the check gave up on it. Here /payments takes "
                 "30 s to answer"),
    (blocking_pause_in_each, "a blocking call held the event loop"),
    (one_timeout_around_all, "build_dashboard raised TimeoutError, so the learner sees no dashboard at all"),
    (sequential, "the panels were not fetched together: GET /notifications?delay=0.2 started only after another "
                "panel had finished (the server saw at most 1 in flight)"),
    (wait_leaves_tasks, "a panel was still running when build_dashboard returned (the server kept working on "
                        "/payments)"),
    (exceptions_as_results, "your list holds exceptions (ClientResponseError, TimeoutError) where panels belong"),
    (timeout_called_failed, "/payments did not answer in time, so its panel should say 'timed out', not 'failed'"),
    (error_status_ignored, "/reviews answered 503 but your reviews panel says 'ok'"),
    (finishing_order, "the panels came back in the order ["),
    (always_user_1, "the server never saw GET /users/2, GET /users/2/orders, GET /users/2/settings"),
    (sync_version, "build_dashboard should be defined with `async def`"),
])
def test_rejects_typical_mistakes(answer, hint):
    answer.__name__ = "build_dashboard"
    assert_hint(check_build_dashboard, answer, CheckFailed, hint)


def test_not_written_yet():
    assert_hint(check_build_dashboard, build_dashboard, NotSolvedYet, "build_dashboard is not written yet")
