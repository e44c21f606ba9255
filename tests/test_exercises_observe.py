"""lab.checks' observation engine: only what the learner's function started is its own.

However the function starts work (a task, a task of a task, a TaskGroup, an eager task, a callback),
it counts; whatever else runs on the loop (the learner's background work) does not, is not touched,
and its time.sleep is not held against the function. Also: the one place a pass is known (on_pass),
and the words hints are made of (not_a_value, explain).
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from typing import Any

import pytest

import lab
from lab.checks import (
    Observation,
    PassedCheck,
    all_overlapped,
    explain,
    not_a_value,
    observe,
    on_pass,
    passed,
)
from lab.checks.observation import SLEEP_IS_AUDITED

pytestmark = pytest.mark.timeout(120)


async def busy_background(stop: asyncio.Event) -> None:
    """The learner's own work: tasks created all along, and a short time.sleep on the loop now and then."""
    keep: set[asyncio.Task[Any]] = set()
    while not stop.is_set():
        task = asyncio.create_task(asyncio.sleep(0.3))
        keep.add(task)
        task.add_done_callback(keep.discard)
        await asyncio.gather(asyncio.sleep(0.02), asyncio.sleep(0.01))
        time.sleep(0.01)


def observed(fn, *args, factory=None) -> Observation:
    """observe(fn) in a new loop, beside busy_background; also checks the background was left alone."""
    async def scenario() -> Observation:
        loop = asyncio.get_running_loop()
        if factory is not None:
            loop.set_task_factory(factory)
        stop = asyncio.Event()
        background = asyncio.create_task(busy_background(stop))
        await asyncio.sleep(0.05)
        seen = await observe(fn, *args, settle=0.1)
        assert not background.done(), "observe touched the learner's background task"
        assert loop.get_task_factory() is factory and time.sleep is real_sleep
        stop.set()
        await background
        return seen

    real_sleep = time.sleep
    return asyncio.run(scenario())


async def clean(delay: float = 0.3) -> str:
    await asyncio.gather(asyncio.sleep(delay), asyncio.sleep(delay / 2))
    return "done"


async def leaves_a_task() -> str:
    asyncio.create_task(asyncio.sleep(2))
    await asyncio.sleep(0.1)
    return "done"


async def leaves_a_grandchild() -> str:
    async def child() -> None:
        asyncio.get_running_loop().create_task(asyncio.sleep(2))

    await asyncio.create_task(child())
    return "done"


async def leaves_one_from_a_taskgroup() -> str:
    async def child() -> None:
        asyncio.ensure_future(asyncio.sleep(2))  # started inside the group's task, not awaited by it

    async with asyncio.TaskGroup() as group:
        group.create_task(child())
    return "done"


async def leaves_one_from_a_callback() -> str:
    asyncio.get_running_loop().call_soon(lambda: asyncio.ensure_future(asyncio.sleep(2)))
    await asyncio.sleep(0.05)
    return "done"


async def sleeps_on_the_loop() -> str:
    time.sleep(0.05)
    return "done"


def test_the_learners_background_work_is_not_the_functions():
    seen = observed(clean)
    assert seen.result == "done" and seen.error is None
    assert seen.leftover_tasks == [] and seen.blocked == 0.0
    seen.no_leftovers()  # raises nothing
    seen.loop_problems()


@pytest.mark.parametrize("fn", [leaves_a_task, leaves_a_grandchild, leaves_one_from_a_taskgroup,
                                leaves_one_from_a_callback])
def test_every_way_of_starting_work_counts(fn):
    seen = observed(fn)
    assert len(seen.leftover_tasks) == 1, seen.leftover_tasks
    assert all(task.done() for task in seen.leftover_tasks)  # and observe cancelled it afterwards


@pytest.mark.skipif(sys.version_info < (3, 12), reason="eager tasks arrive in Python 3.12")
@pytest.mark.parametrize("fn", [clean, leaves_a_task, leaves_a_grandchild, leaves_one_from_a_taskgroup])
def test_eager_tasks_are_counted_the_same(fn):
    seen = observed(fn, factory=getattr(asyncio, "eager_task_factory"))  # noqa: B009 - 3.12+ only
    assert len(seen.leftover_tasks) == (0 if fn is clean else 1)


def test_only_the_functions_time_sleep_counts():
    assert observed(sleeps_on_the_loop).blocked == pytest.approx(0.05)
    assert observed(clean).blocked == 0.0  # the background's time.sleep(0.01) calls added up to more than 0.02


def test_time_sleep_is_left_alone_where_python_audits_it():
    """3.13+ raises an audit event for time.sleep: a check listens for it and never replaces time.sleep;
    before, it is swapped for the observation only. Either way the function's sleep is counted."""
    untouched: list[bool] = []
    real_sleep = time.sleep

    async def sleeps_and_looks() -> str:
        untouched.append(time.sleep is real_sleep)
        time.sleep(0.04)
        return "done"

    assert observed(sleeps_and_looks).blocked == pytest.approx(0.04)
    assert untouched == [sys.version_info >= (3, 13)]
    probe = ("import sys, time; seen = []; "
             "sys.addaudithook(lambda event, args: seen.append(args) if event == 'time.sleep' else None); "
             "time.sleep(0.001); print(seen)")
    audited = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert audited.strip() == ("[(0.001,)]" if SLEEP_IS_AUDITED else "[]")


def test_one_overlap_rule():
    entries = [{"start": 0.0, "end": 1.0}, {"start": 0.995, "end": 2.0}]  # 5 ms apart: one after the other
    assert not lab.all_overlapped(entries) and lab.max_in_flight(entries) == 1
    assert lab.all_overlapped(entries, tolerance=0)
    seen = Observation(None, None, entries, 0.0, 2.0)
    assert seen.all_overlapped == all_overlapped(entries) and seen.max_in_flight == 1


def test_a_pass_is_told_to_every_listener(capsys):
    heard: list[PassedCheck] = []
    remove = on_pass(heard.append)

    def check_something() -> None:
        passed("all good")

    def broken(record: PassedCheck) -> None:
        raise RuntimeError("a broken progress display")

    remove_broken = on_pass(broken)
    check_something()
    check_something()
    remove()
    remove_broken()
    check_something()
    assert [(r.check, r.name, r.message) for r in heard] == [(f"{__name__}.check_something", "check_something",
                                                               "all good")] * 2
    assert capsys.readouterr().out == "✅ all good\n" * 3


def test_a_real_check_reports_its_qualified_name():
    from exercise_harness import assert_passes

    from lab.exercises.start_here import check_todo_title, reference_todo_title

    heard: list[PassedCheck] = []
    remove = on_pass(heard.append)
    try:
        assert_passes(check_todo_title, reference_todo_title)
    finally:
        remove()
    assert [r.check for r in heard] == ["lab.exercises.start_here.check_todo_title"]


def test_values_that_are_not_results_are_named():
    async def fetch() -> int:
        return 1

    async def scenario() -> list[str | None]:
        task = asyncio.create_task(fetch())
        await task
        return [not_a_value(fetch()), not_a_value({"profile": fetch()}), not_a_value(task),
                not_a_value({"a": [1, task]}), not_a_value({"a": 1, "b": [1, 2]})]

    coroutine, in_dict, task, nested, plain = asyncio.run(scenario())
    assert coroutine.startswith("you returned a coroutine (test_values_that_are_not_results_are_named.<locals>.fetch)")
    assert "you forgot to await it" in coroutine
    assert in_dict.startswith("'profile' is a coroutine") and "forgot to await" in in_dict
    assert task.startswith("you returned a task, not its result")
    assert nested.startswith("what you returned['a'][1] is a task")
    assert plain is None


def test_raw_errors_are_explained():
    async def one() -> int:
        return 1

    async def scenario() -> str:
        tasks: dict[Any, int] = {asyncio.create_task(one()): 7}
        try:
            for next_done in asyncio.as_completed(tasks):
                tasks[next_done]  # the plain-for mistake: a new awaitable, not the task
        except KeyError as error:
            return explain(error)
        finally:
            await asyncio.gather(*tasks)
        return ""

    assert "a plain `for` over asyncio.as_completed(...) yields new awaitables" in asyncio.run(scenario())
    assert "forgot" not in explain(ValueError("x")) and explain(ValueError("x")) == ""
    assert "coroutine was used as if it were its result" in explain(
        TypeError("'coroutine' object is not subscriptable"))
