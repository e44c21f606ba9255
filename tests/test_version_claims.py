"""The version-dependent asyncio behaviour the notebooks state, proven on every Python found here.

Each interpreter among /root/.pyenv/versions/3.11*, 3.12*, 3.13* (and the one running pytest)
runs PROBE once in a subprocess; PROBE prints one JSON object, and each test reads its field.
An interpreter that is absent is skipped with a message, never silently passed.
"""

from __future__ import annotations

import glob
import json
import os
import subprocess
import sys
from functools import cache

import pytest

PROBE = r'''
import asyncio, json, sys

facts = {"version": list(sys.version_info[:2])}


async def sleep_then(seconds, value):
    await asyncio.sleep(seconds)
    return value


async def as_completed_async_for():
    tasks = [asyncio.create_task(sleep_then(0.05, "slow")), asyncio.create_task(sleep_then(0.0, "fast"))]
    try:
        seen = []
        async for task in asyncio.as_completed(tasks):
            seen.append([any(task is t for t in tasks), task.result()])
        return {"works": True, "yields_original_tasks_in_completion_order": seen}
    except TypeError as exc:
        await asyncio.gather(*tasks)
        return {"works": False, "error": f"TypeError: {exc}"}


async def as_completed_plain_for_yields_new_awaitables():
    tasks = [asyncio.create_task(sleep_then(0.0, 1))]
    for next_done in asyncio.as_completed(tasks):
        same = next_done is tasks[0]
        await next_done
    return same


async def as_completed_timeout():
    task = asyncio.create_task(sleep_then(0.1, "late"))
    try:
        for next_done in asyncio.as_completed([task], timeout=0.01):
            await next_done
        raised = None
    except TimeoutError as exc:
        raised = type(exc).__name__
    state = {"raised": raised, "cancelled_by_timeout": task.cancelled()}
    state["finished_later"] = await task
    return state


async def wait_rejects_coroutines():
    coroutine = sleep_then(0, 0)
    try:
        await asyncio.wait([coroutine])
        return "accepted"
    except TypeError as exc:
        return f"TypeError: {exc}"
    finally:
        coroutine.close()


async def wait_cancels_nothing():
    async def fail():
        await asyncio.sleep(0.01)
        raise ValueError("boom")

    failing = asyncio.create_task(fail())
    slow = asyncio.create_task(sleep_then(0.1, "slow"))
    done, pending = await asyncio.wait([failing, slow], return_when=asyncio.FIRST_EXCEPTION)
    state = {"done": len(done), "pending": len(pending), "slow_still_running": not slow.done()}
    failing.exception()
    slow.cancel()
    await asyncio.gather(slow, return_exceptions=True)
    return state


async def run_inside_running_loop():
    coroutine = sleep_then(0, 0)
    try:
        asyncio.run(coroutine)
        return "no error"
    except RuntimeError as exc:
        return str(exc)
    finally:
        coroutine.close()


async def main():
    facts["as_completed_async_for"] = await as_completed_async_for()
    facts["as_completed_plain_for_same_object"] = await as_completed_plain_for_yields_new_awaitables()
    facts["as_completed_timeout"] = await as_completed_timeout()
    facts["wait_coroutine"] = await wait_rejects_coroutines()
    facts["wait_first_exception"] = await wait_cancels_nothing()
    facts["run_in_running_loop"] = await run_inside_running_loop()


asyncio.run(main())
facts["eager_task_factory"] = hasattr(asyncio, "eager_task_factory")
facts["taskgroup_cancel"] = hasattr(asyncio.TaskGroup, "cancel")
facts["asyncio_timeout"] = hasattr(asyncio, "timeout")
facts["timeout_error_is_builtin"] = asyncio.TimeoutError is TimeoutError
facts["cancelled_error"] = {"base_exception": issubclass(asyncio.CancelledError, BaseException),
                            "exception": issubclass(asyncio.CancelledError, Exception)}
print(json.dumps(facts))
'''

WANTED = ("3.11", "3.12", "3.13")


def interpreters() -> list[pytest.param]:
    found: dict[str, str] = {}
    for minor in WANTED:
        for path in sorted(glob.glob(f"/root/.pyenv/versions/{minor}*/bin/python")):
            if os.access(path, os.X_OK):
                found.setdefault(minor, path)
    current = f"{sys.version_info[0]}.{sys.version_info[1]}"
    found.setdefault(current, sys.executable)
    params = [pytest.param(found[minor], id=minor) for minor in sorted(found)]
    params += [pytest.param(None, id=minor, marks=pytest.mark.skip(reason=f"no Python {minor} found under "
                                                                            "/root/.pyenv/versions"))
               for minor in WANTED if minor not in found]
    return params


@cache
def facts_of(python: str) -> dict:
    done = subprocess.run([python, "-W", "error", "-c", PROBE], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and not done.stderr, f"{python} failed the probe:\n{done.stderr}"
    return json.loads(done.stdout)


@pytest.fixture(params=interpreters())
def facts(request: pytest.FixtureRequest) -> dict:
    return facts_of(request.param)


def test_as_completed_async_for_needs_313(facts: dict) -> None:
    got = facts["as_completed_async_for"]
    if tuple(facts["version"]) >= (3, 13):
        assert got == {"works": True, "yields_original_tasks_in_completion_order": [[True, "fast"], [True, "slow"]]}
    else:
        assert got["works"] is False
        assert got["error"].startswith("TypeError: 'async for' requires an object with __aiter__ method")


def test_as_completed_plain_for_yields_new_awaitables(facts: dict) -> None:
    assert facts["as_completed_plain_for_same_object"] is False


def test_as_completed_timeout_raises_and_cancels_nothing(facts: dict) -> None:
    assert facts["as_completed_timeout"] == {"raised": "TimeoutError", "cancelled_by_timeout": False,
                                             "finished_later": "late"}


def test_wait_rejects_bare_coroutines(facts: dict) -> None:
    assert facts["wait_coroutine"] == "TypeError: Passing coroutines is forbidden, use tasks explicitly."


def test_wait_first_exception_cancels_nothing(facts: dict) -> None:
    assert facts["wait_first_exception"] == {"done": 1, "pending": 1, "slow_still_running": True}


def test_asyncio_run_inside_a_running_loop(facts: dict) -> None:
    assert facts["run_in_running_loop"] == "asyncio.run() cannot be called from a running event loop"


def test_eager_task_factory_from_312(facts: dict) -> None:
    assert facts["eager_task_factory"] is (tuple(facts["version"]) >= (3, 12))


def test_taskgroup_cancel_absent_before_315(facts: dict) -> None:
    assert facts["taskgroup_cancel"] is (tuple(facts["version"]) >= (3, 15))


def test_asyncio_timeout_and_timeout_error(facts: dict) -> None:
    assert facts["asyncio_timeout"] is True
    assert facts["timeout_error_is_builtin"] is True


def test_cancelled_error_is_base_exception_only(facts: dict) -> None:
    assert facts["cancelled_error"] == {"base_exception": True, "exception": False}
