"""Every check judges the same way whatever state the learner's kernel is in.

The learner's own server (`fakeapi.start()`) may run at another latency scale or seed, hold a request
that never ends, and keep a journal and notifications of its own: the checks use a server of their own,
so none of it changes a verdict, and the checks change none of it. The same check run twice in a row,
or on a machine whose two cores are both busy, gives the same verdict.
"""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest
import test_exercises_aggregation as aggregation
import test_exercises_basic_gather as basic_gather
import test_exercises_bounded_concurrency as bounded_concurrency
import test_exercises_capstone as capstone
import test_exercises_error_propagation as error_propagation
import test_exercises_result_order as result_order
import test_exercises_retries as retries
import test_exercises_return_exceptions as return_exceptions
import test_exercises_start_here as start_here
import test_exercises_streaming as streaming
import test_exercises_taskgroup as taskgroup
import test_exercises_timeouts as timeouts
from exercise_harness import assert_hint, assert_passes, cpu_hogs, run_check

import fakeapi
from lab.checks import CheckFailed, check_server
from lab.exercises.aggregation import check_dashboard as check_aggregation_dashboard
from lab.exercises.aggregation import check_fetch_service
from lab.exercises.basic_gather import check_dashboard
from lab.exercises.bounded_concurrency import check_fetch_all
from lab.exercises.capstone import check_build_dashboard
from lab.exercises.error_propagation import check_notify_all
from lab.exercises.result_order import check_names_by_id
from lab.exercises.retries import check_get_with_retry, check_notify_once
from lab.exercises.return_exceptions import check_fetch_users
from lab.exercises.start_here import check_todo_title
from lab.exercises.streaming import check_first_answer
from lab.exercises.taskgroup import check_load_dashboard
from lab.exercises.timeouts import check_json_or_none

# (check, a correct answer): one per exercise
EVERY_CHECK = [
    (check_todo_title, start_here.solution),
    (check_dashboard, basic_gather.solution),
    (check_names_by_id, result_order.solution),
    (check_notify_all, error_propagation.solution),
    (check_fetch_users, return_exceptions.solution),
    (check_fetch_service, aggregation.fetch_service),
    (check_aggregation_dashboard, aggregation.dashboard),
    (check_load_dashboard, taskgroup.load_dashboard),
    (check_fetch_all, bounded_concurrency.solution),
    (check_json_or_none, timeouts.solution),
    (check_first_answer, streaming.solution),
    (check_get_with_retry, retries.solution),
    (check_notify_once, retries.notify_once),
    (check_build_dashboard, capstone.solution),
]
IDS = [check.__name__ + ("" if check is not check_aggregation_dashboard else "_aggregation")
       for check, _ in EVERY_CHECK]
# Checks whose verdict depends on latencies and on overlap counts: the ones the learner's settings used to break.
TIMING = [0, 1, 2, 3, 6, 7, 8, 9, 10, 11, 13]


@pytest.fixture
def learner_api():
    """The learner's own server, as `fakeapi.start()` gives it in a notebook; stopped afterwards."""
    api = fakeapi.start()
    yield api
    api.stop()


@pytest.mark.parametrize("scale", [0, 3])
@pytest.mark.parametrize("index", TIMING, ids=[IDS[i] for i in TIMING])
def test_the_learners_latency_scale_changes_nothing(learner_api, scale, index):
    fakeapi.start(latency_scale=scale)
    check, solution = EVERY_CHECK[index]
    assert_passes(check, solution)
    assert _latency_of_a_user(learner_api) == pytest.approx(0.1 * scale, abs=0.05)  # the learner's setting holds


def _latency_of_a_user(api) -> float:
    """How long the server took over GET /users/1 (default latency 0.1 s times its latency scale)."""
    async def go():
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{api.url}/users/1") as response:
                response.raise_for_status()

    api.clear_journal()
    asyncio.run(go())
    entry = api.journal()[-1]
    return entry["end"] - entry["start"]


@pytest.mark.parametrize("index", [0, 2, 4, 8], ids=[IDS[i] for i in (0, 2, 4, 8)])
def test_another_seed_changes_nothing(learner_api, index):
    fakeapi.start(seed=5)
    check, solution = EVERY_CHECK[index]
    users_before = _users(learner_api)
    assert_passes(check, solution)
    assert _users(learner_api) == users_before  # still the learner's seed-5 data set


def _users(api):
    async def go():
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{api.url}/users?delay=0") as response:
                return await response.json()

    return asyncio.run(go())


@pytest.mark.parametrize("index", [1, 7, 9, 13], ids=[IDS[i] for i in (1, 7, 9, 13)])
def test_a_hanging_request_of_the_learner_disturbs_nothing(learner_api, index):
    check, solution = EVERY_CHECK[index]

    async def scenario():
        async with aiohttp.ClientSession() as session:
            async def hang():
                async with session.get(f"{learner_api.url}/users/1?fault=hang") as response:
                    return await response.json()

            experiment = asyncio.create_task(hang())  # an experiment the learner left running
            await asyncio.sleep(0.1)
            printed = await _run(check, solution)
            assert learner_api.stats()["in_flight"] == 1 and not experiment.done()  # still the learner's
            experiment.cancel()
            await asyncio.gather(experiment, return_exceptions=True)
            return printed

    printed = asyncio.run(scenario())
    assert printed.startswith("✅ ")


async def _run(check, fn) -> str:
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        await check(fn)
    return out.getvalue()


@pytest.mark.parametrize("index", [3, 12, 1], ids=[IDS[i] for i in (3, 12, 1)])
def test_the_learners_journal_and_notifications_are_left_as_they_were(learner_api, index):
    check, solution = EVERY_CHECK[index]

    async def learner_work():
        async with aiohttp.ClientSession() as session:
            async with session.post(f"{learner_api.url}/notifications?delay=0", json={"message": "mine"}) as r:
                r.raise_for_status()
            async with session.get(f"{learner_api.url}/users/1?delay=0") as r:
                r.raise_for_status()

    asyncio.run(learner_work())
    journal, notifications = learner_api.journal(), learner_api.notifications()
    assert [e["path"] for e in journal] == ["/notifications", "/users/1"] and len(notifications) == 1
    assert_passes(check, solution)
    assert learner_api.journal() == journal
    assert learner_api.notifications() == notifications


def test_the_check_passes_its_own_server_not_the_learners(learner_api):
    given = []

    async def todo_title(session, base_url, todo_id):
        given.append(base_url)
        return await start_here.solution(session, base_url, todo_id)

    assert_passes(check_todo_title, todo_title)
    assert set(given) == {check_server().url} and check_server().url != learner_api.url
    assert learner_api.journal() == []


@pytest.mark.parametrize("index", [1, 3, 7, 10, 11], ids=[IDS[i] for i in (1, 3, 7, 10, 11)])
def test_the_same_check_twice_in_a_row(index):
    check, solution = EVERY_CHECK[index]

    async def twice():
        return await _run(check, solution), await _run(check, solution)

    first, second = asyncio.run(twice())
    assert first == second and first.startswith("✅ ")
    assert run_check(check, solution) == first


def test_a_wrong_answer_after_a_right_one_is_still_rejected():
    assert_passes(check_dashboard, basic_gather.solution)
    assert_hint(check_dashboard, basic_gather.one_by_one, CheckFailed, "did not overlap")
    assert_passes(check_dashboard, basic_gather.solution)


def test_every_check_under_two_cpu_hogs():
    """Both cores busy with other work: every solution still passes, typical mistakes are still caught."""
    mistakes = [(check_dashboard, basic_gather.one_by_one, "did not overlap"),
                (check_fetch_all, bounded_concurrency.unbounded, "your limit was 5"),
                (check_get_with_retry, retries.make_get_with_retry(wait=retries.blocking_backoff),
                 "a blocking call held the event loop"),
                (check_load_dashboard, taskgroup.unwraps_with_except_star, "do not unwrap it"),
                (check_json_or_none, timeouts.shielded_inner_task, "its request ran on")]
    started = time.monotonic()
    with cpu_hogs(2, seconds=150):
        for check, solution in EVERY_CHECK:
            assert_passes(check, solution)
        for check, wrong, hint in mistakes:
            assert_hint(check, wrong, CheckFailed, hint)
    assert time.monotonic() - started < 150, "the hogs ended before the checks did: the test proved nothing"


def test_a_function_that_never_returns_gets_a_hint_not_a_timeout_error():
    async def todo_title(session, base_url, todo_id):
        async with session.get(f"{base_url}/todos/{todo_id}?fault=hang") as response:
            return (await response.json())["title"]

    assert_hint(check_todo_title, todo_title, CheckFailed, "todo_title was still waiting after 5 s, when the check "
                "gave up on it")


def test_a_function_that_swallows_the_checks_cancel_is_named():
    async def todo_title(session, base_url, todo_id):
        until = time.monotonic() + 8  # deaf to cancellation for a while (the test's loop must still end)
        while time.monotonic() < until:
            try:
                await asyncio.sleep(0.05)
            except asyncio.CancelledError:
                pass
        return "too late"

    assert_hint(check_todo_title, todo_title, CheckFailed, "todo_title kept running after it was cancelled: never "
                "catch CancelledError")
