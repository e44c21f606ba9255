"""check_fetch_users accepts the solution and rejects each typical wrong answer with its own hint."""

from __future__ import annotations

import asyncio
import time

import pytest
from exercise_harness import assert_hint, assert_hint_matches, assert_passes

from lab.checks import CheckFailed, NotSolvedYet
from lab.exercises.return_exceptions import check_fetch_users


async def name_of(session, base_url, user_id, raise_for_status=True):
    async with session.get(f"{base_url}/users/{user_id}", raise_for_status=raise_for_status) as response:
        return (await response.json())["name"]


async def profile_of(session, base_url, user_id):
    async with session.get(f"{base_url}/users/{user_id}", raise_for_status=True) as response:
        return await response.json()


async def solution(session, base_url, ids):
    results = await asyncio.gather(*(name_of(session, base_url, i) for i in ids), return_exceptions=True)
    found = {i: r for i, r in zip(ids, results) if not isinstance(r, BaseException)}
    failed = {i: r for i, r in zip(ids, results) if isinstance(r, BaseException)}
    return found, failed


async def with_tasks(session, base_url, ids):
    tasks = {i: asyncio.create_task(profile_of(session, base_url, i)) for i in ids}
    await asyncio.gather(*tasks.values(), return_exceptions=True)
    found = {i: t.result()["name"] for i, t in tasks.items() if not t.cancelled() and t.exception() is None}
    failed = {i: (asyncio.CancelledError() if t.cancelled() else t.exception()) for i, t in tasks.items()
              if t.cancelled() or t.exception() is not None}
    return found, failed


async def with_request_and_wait(session, base_url, ids):
    async def name(user_id):
        async with session.request("GET", f"{base_url}/users/{user_id}") as response:
            response.raise_for_status()
            return (await response.json())["name"]

    tasks = {i: asyncio.create_task(name(i)) for i in ids}
    await asyncio.wait(tasks.values())
    found, failed = {}, {}
    for i, task in tasks.items():
        if task.cancelled():
            failed[i] = asyncio.CancelledError()
        elif task.exception() is not None:
            failed[i] = task.exception()
        else:
            found[i] = task.result()
    return found, failed


async def blocking_pause_before_each(session, base_url, ids):
    async def name(user_id):
        time.sleep(0.06)
        return await name_of(session, base_url, user_id)

    results = await asyncio.gather(*(name(i) for i in ids), return_exceptions=True)
    found = {i: r for i, r in zip(ids, results) if not isinstance(r, BaseException)}
    failed = {i: r for i, r in zip(ids, results) if isinstance(r, BaseException)}
    return found, failed


async def checks_exception_names(session, base_url, ids):
    results = await asyncio.gather(*(name_of(session, base_url, i) for i in ids), return_exceptions=True)
    found = {i: r for i, r in zip(ids, results) if not isinstance(r, Exception)}
    failed = {i: r for i, r in zip(ids, results) if isinstance(r, Exception)}
    return found, failed


async def checks_exception_profiles(session, base_url, ids):
    results = await asyncio.gather(*(profile_of(session, base_url, i) for i in ids), return_exceptions=True)
    found = {i: r["name"] for i, r in zip(ids, results) if not isinstance(r, Exception)}
    failed = {i: r for i, r in zip(ids, results) if isinstance(r, Exception)}
    return found, failed


async def no_return_exceptions(session, base_url, ids):
    results = await asyncio.gather(*(name_of(session, base_url, i) for i in ids))
    return dict(zip(ids, results)), {}


async def swallows(session, base_url, ids):
    async def quiet(i):
        try:
            return await name_of(session, base_url, i)
        except Exception:
            return None
    results = await asyncio.gather(*(quiet(i) for i in ids), return_exceptions=True)
    found = {i: r for i, r in zip(ids, results) if not isinstance(r, BaseException)}
    failed = {i: r for i, r in zip(ids, results) if isinstance(r, BaseException)}
    return found, failed


async def pairs_after_filtering(session, base_url, ids):
    results = await asyncio.gather(*(name_of(session, base_url, i) for i in ids), return_exceptions=True)
    names = [r for r in results if not isinstance(r, BaseException)]
    errors = [r for r in results if isinstance(r, BaseException)]
    return dict(zip(ids, names)), dict(zip(reversed(ids), errors))


async def no_raise_for_status(session, base_url, ids):
    results = await asyncio.gather(*(name_of(session, base_url, i, raise_for_status=False) for i in ids),
                                   return_exceptions=True)
    found = {i: r for i, r in zip(ids, results) if not isinstance(r, BaseException)}
    failed = {i: r for i, r in zip(ids, results) if isinstance(r, BaseException)}
    return found, failed


async def one_after_another(session, base_url, ids):
    found, failed = {}, {}
    for i in ids:
        try:
            found[i] = await name_of(session, base_url, i)
        except Exception as exc:
            failed[i] = exc
    return found, failed


async def lets_cancelled_escape(session, base_url, ids):
    tasks = [asyncio.create_task(name_of(session, base_url, i)) for i in ids]
    await asyncio.gather(*tasks, return_exceptions=True)
    return {i: t.result() for i, t in zip(ids, tasks) if t.cancelled() or t.exception() is None}, {}


async def returns_lists(session, base_url, ids):
    found, failed = await solution(session, base_url, ids)
    return list(found.values()), list(failed.values())


async def not_written(session, base_url, ids):
    raise NotImplementedError


def not_async(session, base_url, ids):
    return {}, {}


@pytest.mark.parametrize("fn", [solution, with_tasks, with_request_and_wait])
def test_accepts_correct_answers(fn):
    assert assert_passes(check_fetch_users, fn) == (
        "✅ found 3 users and 3 failures, paired with their ids: 404 for [42, 99], "
        "and user 7's cancelled request counted as a failure.\n")


@pytest.mark.parametrize("fn, hint", [
    (checks_exception_names, r"found\[7\] is a CancelledError: the cancelled request was counted as a success\. "
                             r"CancelledError is a BaseException, not an Exception"),
    (checks_exception_profiles, r"fetch_users raised TypeError: 'CancelledError' object is not subscriptable\. "
                                r"The cancelled request's CancelledError was taken for a success"),
    (no_return_exceptions, r"fetch_users raised ClientResponseError \(404\): one missing user should not cost you "
                           r"the others\. Pass return_exceptions=True"),
    (swallows, r"found\[42\] is None: user 42 does not exist and its 404 was swallowed"),
    (pairs_after_filtering, r"found\[42\] is '.+', the name of user 2: the ids and results are paired wrongly"),
    (no_raise_for_status, r"failed\[42\] is KeyError\('name'\): the 404 answer has no name\. "
                          r"Fetch with raise_for_status=True"),
    (one_after_another, r"your requests did not overlap: the server saw at most 1 in flight"),
    (lets_cancelled_escape, r"fetch_users raised the CancelledError of user 7's request"),
    (returns_lists, r"return a tuple of two dicts, \(found, failed\)"),
    (blocking_pause_before_each, r"a blocking call held the event loop for at least 0\.\d\d s"),
    (not_async, r"not_async should be defined with `async def`"),
])
def test_rejects_wrong_answers(fn, hint):
    assert_hint_matches(check_fetch_users, fn, CheckFailed, hint)


def test_not_written_yet():
    assert_hint(check_fetch_users, not_written, NotSolvedYet, "not_written is not written yet")
