"""The checks of 05_aggregation accept the solution and reject each typical mistake with its own hint."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest
from exercise_harness import assert_hint, assert_passes

from lab.checks import CheckFailed, NotSolvedYet
from lab.exercises.aggregation import check_fetch_service, check_service_dashboard

# --- fetch_service: the solution and typical wrong answers -------------------------------------------------

async def fetch_service(session, name, url, timeout):
    try:
        async with session.get(url, timeout=timeout) as response:
            response.raise_for_status()
            data = await response.json()
    except TimeoutError:
        return {"service": name, "status": "timeout", "data": None}
    except Exception:
        return {"service": name, "status": "error", "data": None}
    return {"service": name, "status": "ok", "data": data}


async def with_asyncio_timeout(session, name, url, timeout):
    try:
        async with asyncio.timeout(timeout.total):
            async with session.request("GET", url, raise_for_status=True) as response:
                return {"service": name, "status": "ok", "data": await response.json()}
    except TimeoutError:
        return {"service": name, "status": "timeout", "data": None}
    except (aiohttp.ClientError, ValueError):
        return {"service": name, "status": "error", "data": None}


async def with_wait_for(session, name, url, timeout):
    async def get():
        async with session.get(url) as response:
            response.raise_for_status()
            return await response.json()

    try:
        data = await asyncio.wait_for(get(), timeout=timeout.total)
    except TimeoutError:
        return {"service": name, "status": "timeout", "data": None}
    except Exception:
        return {"service": name, "status": "error", "data": None}
    return {"service": name, "status": "ok", "data": data}


async def not_written(session, name, url, timeout):
    raise NotImplementedError


async def lets_errors_escape(session, name, url, timeout):
    async with session.get(url, timeout=timeout) as response:
        response.raise_for_status()
        return {"service": name, "status": "ok", "data": await response.json()}


async def no_timeout(session, name, url, timeout):
    try:
        async with session.get(url) as response:
            response.raise_for_status()
            data = await response.json()
    except TimeoutError:
        return {"service": name, "status": "timeout", "data": None}
    except Exception:
        return {"service": name, "status": "error", "data": None}
    return {"service": name, "status": "ok", "data": data}


async def broad_except_first(session, name, url, timeout):
    try:
        async with session.get(url, timeout=timeout) as response:
            response.raise_for_status()
            data = await response.json()
    except Exception:
        return {"service": name, "status": "error", "data": None}
    except TimeoutError:  # never reached: TimeoutError is an Exception
        return {"service": name, "status": "timeout", "data": None}
    return {"service": name, "status": "ok", "data": data}


async def status_failed(session, name, url, timeout):
    try:
        async with session.get(url, timeout=timeout) as response:
            response.raise_for_status()
            data = await response.json()
    except Exception:
        return {"service": name, "status": "failed", "data": None}
    return {"service": name, "status": "ok", "data": data}


async def forgets_raise_for_status(session, name, url, timeout):
    try:
        async with session.get(url, timeout=timeout) as response:
            data = await response.json()
    except TimeoutError:
        return {"service": name, "status": "timeout", "data": None}
    except Exception:
        return {"service": name, "status": "error", "data": None}
    return {"service": name, "status": "ok", "data": data}


async def returns_tuple(session, name, url, timeout):
    record = await fetch_service(session, name, url, timeout)
    return (record["service"], record["status"], record["data"])


async def swallows_cancellation(session, name, url, timeout):
    try:
        async with session.get(url, timeout=timeout) as response:
            response.raise_for_status()
            data = await response.json()
    except TimeoutError:
        return {"service": name, "status": "timeout", "data": None}
    except BaseException:
        return {"service": name, "status": "error", "data": None}
    return {"service": name, "status": "ok", "data": data}


def not_async(session, name, url, timeout):
    return {"service": name, "status": "ok", "data": None}


@pytest.mark.parametrize("right", [fetch_service, with_asyncio_timeout, with_wait_for])
def test_fetch_service_accepts_correct_answers(right):
    assert_passes(check_fetch_service, right, "fetch_service never raises")


@pytest.mark.parametrize("wrong, hint", [
    (not_written, "is not written yet"),
    (lets_errors_escape, "fetch_service raised ClientResponseError for the service 'settings', which answers 503"),
    (no_timeout, ("still waiting after 3 s, when the check gave up on it. The service 'payments' never answers: "
                  "pass the timeout on")),
    (broad_except_first, "put `except TimeoutError` before it"),
    (status_failed, "the service 'settings' answers 503: expected status 'error', got 'failed'"),
    (forgets_raise_for_status, "the service 'settings' answers 503: expected status 'error', got 'ok'"),
    (returns_tuple, "return a dict with exactly the keys 'service', 'status' and 'data'"),
    (swallows_cancellation, "swallowed a cancellation"),
    (not_async, "should be defined with `async def`"),
], ids=lambda v: getattr(v, "__name__", "hint"))
def test_fetch_service_rejects(wrong, hint):
    assert_hint(check_fetch_service, wrong, NotSolvedYet if wrong is not_written else CheckFailed, hint)


# --- dashboard ------------------------------------------------------------------------------------------------

async def dashboard(session, base_url, services, timeout):
    records = await asyncio.gather(*(fetch_service(session, name, base_url + path, timeout)
                                     for name, path in services.items()))
    return dict(zip(services, records))


async def taskgroup_dashboard(session, base_url, services, timeout):
    async with asyncio.TaskGroup() as tg:
        tasks = {name: tg.create_task(fetch_service(session, name, base_url + path, timeout))
                 for name, path in services.items()}
    return {name: task.result() for name, task in tasks.items()}


async def as_completed_keyed_dashboard(session, base_url, services, timeout):
    records = {}
    for next_done in asyncio.as_completed([fetch_service(session, name, base_url + path, timeout)
                                           for name, path in services.items()]):
        record = await next_done
        records[record["service"]] = record
    return {name: records[name] for name in services}


async def blocking_dashboard(session, base_url, services, timeout):
    async def one(name, path):
        time.sleep(0.06)
        return await fetch_service(session, name, base_url + path, timeout)

    return dict(zip(services, await asyncio.gather(*(one(n, p) for n, p in services.items()))))


async def sequential_dashboard(session, base_url, services, timeout):
    return {name: await fetch_service(session, name, base_url + path, timeout) for name, path in services.items()}


async def list_dashboard(session, base_url, services, timeout):
    return await asyncio.gather(*(fetch_service(session, name, base_url + path, timeout)
                                  for name, path in services.items()))


async def completion_order_dashboard(session, base_url, services, timeout):
    result = {}
    for next_done in asyncio.as_completed([fetch_service(session, name, base_url + path, timeout)
                                           for name, path in services.items()]):
        record = await next_done
        result[record["service"]] = record
    return result


async def raising_dashboard(session, base_url, services, timeout):
    records = await asyncio.gather(*(lets_errors_escape(session, name, base_url + path, timeout)
                                     for name, path in services.items()))
    return dict(zip(services, records))


async def leaves_tasks_running(session, base_url, services, timeout):
    records = await dashboard(session, base_url, services, timeout)
    asyncio.create_task(fetch_service(session, "orders", base_url + "/orders?user=1&delay=0.5", timeout))  # "warm up"
    return records


async def dashboard_not_written(session, base_url, services, timeout):
    raise NotImplementedError


@pytest.mark.parametrize("right", [dashboard, taskgroup_dashboard, as_completed_keyed_dashboard])
def test_dashboard_accepts_correct_answers(right):
    assert_passes(check_service_dashboard, right, "5 services at once")


@pytest.mark.parametrize("wrong, hint", [
    (dashboard_not_written, "is not written yet"),
    (sequential_dashboard, "the server saw at most 1 in flight, not 5"),
    (list_dashboard, "dashboard returned a list; return a dict"),
    (completion_order_dashboard, "the keys should follow the order of `services`"),
    (raising_dashboard, "dashboard raised ClientResponseError"),
    (leaves_tasks_running, ("leaves_tasks_running returned while work it started was still running",
                            "1 task(s) it started had not finished")),
    (blocking_dashboard, "a blocking call held the event loop"),
], ids=lambda v: getattr(v, "__name__", "hint"))
def test_dashboard_rejects(wrong, hint):
    assert_hint(check_service_dashboard, wrong, NotSolvedYet if wrong is dashboard_not_written else CheckFailed, hint)
