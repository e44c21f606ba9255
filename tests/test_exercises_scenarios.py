"""Every check judges the same way whatever state the learner's kernel is in.

The checks come from one registry (each exercise module's CHECKS: the check, a reference answer, and
what its verdict depends on); every test here is derived from it, and a `check_*` missing from it fails
`test_every_check_is_registered`. Every check also runs beside the learner's background poller
(tests/exercise_harness.py), which must change no verdict.

The learner's own server (`fakeapi.start()`) may run at another latency scale or seed, hold a request
that never ends, and keep a journal and notifications of its own: the checks use a server of their own,
so none of it changes a verdict, and the checks change none of it. The same check run twice in a row,
or on a machine whose two cores are both busy, gives the same verdict.
"""

from __future__ import annotations

import asyncio
import importlib
import threading
import time
import urllib.request

import aiohttp
import pytest
from exercise_harness import assert_hint, assert_passes, beside_a_poller, cpu_hogs, run_check

import fakeapi
from lab.checks import CheckFailed, ExerciseCheck, check_server, registered_checks
from lab.checks.registry import unregistered_checks

REGISTRY = registered_checks()
# Modules whose owner has not registered their checks yet: listed here until they export CHECKS;
# test_awaiting_registration fails once they do.
AWAITING_REGISTRATION: set[str] = set()


def each(flag: str | None = None) -> list:
    """The registered checks (those whose `flag` is set), as pytest params named after the check."""
    return [pytest.param(entry, id=entry.name.removeprefix("lab.exercises."))
            for entry in REGISTRY if flag is None or getattr(entry, flag)]


def by_name(name: str) -> ExerciseCheck:
    return next(entry for entry in REGISTRY if entry.check.__name__ == name)


def test_every_check_is_registered():
    missing = [name for name in unregistered_checks() if name.rsplit(".", 1)[0] not in AWAITING_REGISTRATION]
    assert missing == [], f"add these to their module's CHECKS (lab/checks/registry.py says how): {missing}"
    assert len({entry.check for entry in REGISTRY}) == len(REGISTRY), "a check registered twice"


@pytest.mark.parametrize("module", sorted(AWAITING_REGISTRATION))
def test_awaiting_registration(module):
    assert not hasattr(importlib.import_module(module), "CHECKS"), \
        f"{module} registers its checks now: remove it from AWAITING_REGISTRATION"


@pytest.fixture
def learner_api():
    """The learner's own server, as `fakeapi.start()` gives it in a notebook; stopped afterwards."""
    api = fakeapi.start()
    yield api
    api.stop()


@pytest.mark.parametrize("entry", each())
def test_the_reference_passes_beside_the_learners_background_work(entry):
    rounds: list[float] = []

    async def scenario():
        return await beside_a_poller(_run(entry.check, entry.reference), rounds)

    printed = asyncio.run(scenario())
    assert printed.startswith("✅ "), printed
    assert rounds, "the background poller never started a round: the test proved nothing"


@pytest.mark.parametrize("scale", [0, 3])
@pytest.mark.parametrize("entry", each("timing"))
def test_the_learners_latency_scale_changes_nothing(learner_api, scale, entry):
    fakeapi.start(latency_scale=scale)
    assert_passes(entry.check, entry.reference)
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


@pytest.mark.parametrize("entry", each("data"))
def test_another_seed_changes_nothing(learner_api, entry):
    fakeapi.start(seed=5)
    users_before = _users(learner_api)
    assert_passes(entry.check, entry.reference)
    assert _users(learner_api) == users_before  # still the learner's seed-5 data set


def _users(api):
    async def go():
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{api.url}/users?delay=0") as response:
                return await response.json()

    return asyncio.run(go())


@pytest.mark.parametrize("entry", each())
def test_a_hanging_request_of_the_learner_disturbs_nothing(learner_api, entry):
    async def scenario():
        async with aiohttp.ClientSession() as session:
            async def hang():
                async with session.get(f"{learner_api.url}/users/1?fault=hang") as response:
                    return await response.json()

            experiment = asyncio.create_task(hang())  # an experiment the learner left running
            await asyncio.sleep(0.1)
            printed = await _run(entry.check, entry.reference)
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


@pytest.mark.parametrize("entry", each("writes") + each("data")[:1])
def test_the_learners_journal_and_notifications_are_left_as_they_were(learner_api, entry):
    async def learner_work():
        async with aiohttp.ClientSession() as session:
            async with session.post(f"{learner_api.url}/notifications?delay=0", json={"message": "mine"}) as r:
                r.raise_for_status()
            async with session.get(f"{learner_api.url}/users/1?delay=0") as r:
                r.raise_for_status()

    asyncio.run(learner_work())
    journal, notifications = learner_api.journal(), learner_api.notifications()
    assert [e["path"] for e in journal] == ["/notifications", "/users/1"] and len(notifications) == 1
    assert_passes(entry.check, entry.reference)
    assert learner_api.journal() == journal
    assert learner_api.notifications() == notifications


def test_the_check_passes_its_own_server_not_the_learners(learner_api):
    given = []
    reference = by_name("check_todo_title").reference

    async def todo_title(session, base_url, todo_id):
        given.append(base_url)
        return await reference(session, base_url, todo_id)

    assert_passes(by_name("check_todo_title").check, todo_title)
    assert set(given) == {check_server().url} and check_server().url != learner_api.url
    assert learner_api.journal() == []


@pytest.mark.parametrize("entry", each())
def test_the_same_check_twice_in_a_row(entry):
    async def twice():
        return await _run(entry.check, entry.reference), await _run(entry.check, entry.reference)

    first, second = asyncio.run(twice())
    assert first == second and first.startswith("✅ ")


def test_a_wrong_answer_after_a_right_one_is_still_rejected():
    entry = by_name("check_gather_dashboard")

    async def one_by_one(session, base_url, user_id):
        parts = {"profile": "/users/{id}", "orders": "/users/{id}/orders", "settings": "/users/{id}/settings"}
        result = {}
        for part, path in parts.items():
            async with session.get(base_url + path.format(id=user_id)) as response:
                result[part] = await response.json()
        return result

    assert_passes(entry.check, entry.reference)
    assert_hint(entry.check, one_by_one, CheckFailed, "did not overlap")
    assert_passes(entry.check, entry.reference)


def test_every_check_under_two_cpu_hogs():
    """Both cores busy with other work: every reference still passes, beside the background poller."""
    started = time.monotonic()
    with cpu_hogs(2, seconds=240):
        for entry in REGISTRY:
            if entry.timing:
                assert_passes(entry.check, entry.reference)
    assert time.monotonic() - started < 240, "the hogs ended before the checks did: the test proved nothing"


def _hang_in_a_thread(url: str) -> threading.Thread:
    """What an earlier wrong answer can leave: a thread whose blocking request hangs on the checks' server."""
    def hang():
        try:
            urllib.request.urlopen(url, timeout=30).read()
        except OSError:
            pass  # the server stopped under it, or the timeout: either way the thread ends

    thread = threading.Thread(target=hang, daemon=True)
    thread.start()
    return thread


@pytest.mark.parametrize("name", ["check_my_strategy", "check_todo_title", "check_fetch_all"])
def test_a_request_an_earlier_answer_left_hanging_on_the_checks_server_changes_nothing(name):
    entry = by_name(name)
    api = check_server()
    thread = _hang_in_a_thread(f"{api.url}/users/1?fault=hang")
    deadline = time.monotonic() + 5
    while api.stats()["in_flight"] == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert api.stats()["in_flight"] == 1, "the leftover request never reached the server"
    try:
        assert_passes(entry.check, entry.reference)
    finally:
        if check_server() is api:  # the check kept the server: end the leftover for the next test
            api.stop()
        thread.join(timeout=10)
    assert not thread.is_alive()


def test_a_function_that_never_returns_gets_a_hint_not_a_timeout_error():
    async def todo_title(session, base_url, todo_id):
        async with session.get(f"{base_url}/todos/{todo_id}?fault=hang") as response:
            return (await response.json())["title"]

    assert_hint(by_name("check_todo_title").check, todo_title, CheckFailed, "todo_title was still waiting after "
                "5 s, when the check gave up on it")


def test_a_function_that_swallows_the_checks_cancel_is_named():
    async def todo_title(session, base_url, todo_id):
        until = time.monotonic() + 8  # deaf to cancellation for a while (the test's loop must still end)
        while time.monotonic() < until:
            try:
                await asyncio.sleep(0.05)
            except asyncio.CancelledError:
                pass
        return "too late"

    assert_hint(by_name("check_todo_title").check, todo_title, CheckFailed, "todo_title kept running after it was "
                "cancelled: never catch CancelledError")


def test_the_checks_change_nothing_on_the_learners_loop():
    """After a check: time.sleep is the real one again, the loop's task factory is as it was, and the
    learner's own tasks were neither counted nor cancelled."""
    real_sleep = time.sleep

    async def scenario():
        loop = asyncio.get_running_loop()
        factory = loop.get_task_factory()
        mine = asyncio.create_task(asyncio.sleep(3))
        await _run(by_name("check_todo_title").check, by_name("check_todo_title").reference)
        assert loop.get_task_factory() is factory and not mine.done()
        mine.cancel()

    asyncio.run(scenario())
    assert time.sleep is real_sleep


def test_run_check_without_the_poller():
    assert run_check(by_name("check_todo_title").check, by_name("check_todo_title").reference,
                     background=False).startswith("✅ ")
