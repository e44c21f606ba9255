"""The journal: every request with its outcome and its [start, end] on the monotonic clock.

It is the lab's proof of concurrency, so these tests prove overlap with it, not with a stopwatch.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp
import pytest

import fakeapi
from fakeapi.params import CHAOS_NAMES as CHAOS_PARAMS
from fakeapi.params import FAULTS
from fakeapi.server import serve

pytestmark = pytest.mark.timeout(60)  # a fakeapi test that hangs fails within a minute

ENTRY_FIELDS = {"id", "seq", "method", "path", "query", "route", "status", "outcome", "fault", "start", "end",
                "latency"}


# path, method, route, status, outcome, fault
OUTCOMES = [
    ("/users", "GET", "/users", 200, "ok", None),
    ("/users/1?delay=0", "GET", "/users/{id}", 200, "ok", None),
    ("/status/302", "GET", "/status/{code}", 302, "ok", None),
    ("/users/99", "GET", "/users/{id}", 404, "error", None),
    ("/users/abc", "GET", "/users/{id}", 400, "error", None),
    ("/users?status=503", "GET", "/users", 503, "error", None),
    ("/users?fail_rate=1", "GET", "/users", 500, "error", None),
    ("/nope?x=1", "GET", None, 404, "error", None),
    ("/users", "DELETE", None, 405, "error", None),
    ("/users/1?fault=malformed", "GET", "/users/{id}", 200, "fault", "malformed"),
    ("/users/1?fault=slow&delay=0.01", "GET", "/users/{id}", 200, "fault", "slow"),
]


@pytest.mark.parametrize(("path", "method", "route", "status", "outcome", "fault"), OUTCOMES,
                         ids=[f"{row[1]} {row[0]}" for row in OUTCOMES])
def test_every_request_is_recorded(api, fetch, path, method, route, status, outcome, fault) -> None:
    before = time.monotonic()
    reply = fetch(path, method)
    after = time.monotonic()
    assert reply.status == status
    [entry] = api.journal()
    assert set(entry) == ENTRY_FIELDS
    bare, _, query = path.partition("?")
    assert (entry["method"], entry["path"], entry["route"]) == (method, bare, route)
    assert entry["query"] == dict(pair.split("=") for pair in query.split("&") if pair)
    assert (entry["status"], entry["outcome"], entry["fault"]) == (status, outcome, fault)
    # the server runs in this process: its journal uses the same clock as time.monotonic() here
    assert before <= entry["start"] <= entry["end"] <= after


def test_journal_and_stats_over_http(api, fetch) -> None:
    for path in ("/users", "/users/99", "/users/1?fault=malformed"):
        fetch(path)
    journal = fetch("/_journal")
    assert journal.status == 200
    assert journal.body == api.journal()
    first = journal.body[0]["id"]
    # one after the other: each request is two changes, its start (its id) and its end (its seq)
    assert [(e["id"], e["seq"]) for e in journal.body] == [(first, first + 1), (first + 2, first + 3),
                                                            (first + 4, first + 5)]
    assert journal.headers["Journal-Seq"] == str(first + 5) == str(api.journal_seq())
    stats = fetch("/_stats").body
    assert stats == api.stats()
    assert stats == {"requests": 3, "in_flight": 0, "max_in_flight": 1,
                     "outcomes": {"ok": 1, "error": 1, "fault": 1}, "journal_size": fakeapi.JOURNAL_SIZE}
    # control routes are never journaled, and take no chaos: a chaos parameter there is a 400
    for path in ("/_journal?status=500", "/_stats?fault=reset", "/openapi.json?delay=5"):
        reply = fetch(path)
        assert reply.status == 400
        assert reply.body["error"].startswith(f"unknown parameter {path.split('?')[1].split('=')[0]!r}")
    assert fetch("/notifications", "DELETE").status == 204
    assert len(api.journal()) == 3
    assert fetch("/_journal", "DELETE").status == 204
    assert fetch("/_journal").body == [] == api.journal()
    assert fetch("/_stats").body["requests"] == 0
    fetch("/users")
    assert [e["id"] for e in api.journal()] == [first + 6]  # ids and seqs keep counting across clears


def test_clear_journal_from_the_handle(api, fetch) -> None:
    fetch("/users")
    api.clear_journal()
    assert api.journal() == []
    assert api.stats()["requests"] == 0


# ---- reading only what is new: since= --------------------------------------------------------

def test_since_reads_only_what_started_or_ended_after_a_mark(api, fetch, until_in_flight) -> None:
    fetch("/users")
    mark = api.journal_seq()
    assert api.journal(since=mark) == [] == fetch(f"/_journal?since={mark}").body

    async def go() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        async with aiohttp.ClientSession() as session:
            hanging = asyncio.create_task(session.get(api.url + "/users/2?fault=hang"))
            await until_in_flight(1)
            async with session.get(api.url + "/users/1") as r:
                assert r.status == 200
            during = api.journal(since=mark)
            hanging.cancel()
            await asyncio.gather(hanging, return_exceptions=True)
        await api.wait_idle()
        return during, api.journal(since=mark)

    during, after = asyncio.run(go())
    assert [(e["path"], e["outcome"]) for e in during] == [("/users/2", None), ("/users/1", "ok")]
    assert [(e["path"], e["outcome"]) for e in after] == [("/users/2", "cancelled"), ("/users/1", "ok")]
    assert all(e["id"] > mark for e in after)  # both started after the mark
    # a reader that kept the latest seq it saw gets only the change since: the hanging request's end
    latest = max(e["seq"] for e in during)
    assert [(e["path"], e["outcome"]) for e in api.journal(since=latest)] == [("/users/2", "cancelled")]
    assert fetch(f"/_journal?since={latest}").body == api.journal(since=latest)
    assert api.journal(since=0) == api.journal()  # since=0: everything
    api.clear_journal()
    assert api.journal(since=mark) == []
    fetch("/todos")
    [entry] = api.journal(since=mark)  # a clear does not restart the count: the mark still holds
    assert entry["id"] > latest


@pytest.mark.parametrize("since", [-1, 1.5, "3", True])
def test_since_must_be_a_whole_number(api, since) -> None:
    with pytest.raises(ValueError, match=f"since must be a whole number, 0 or more, got {since!r}"):
        api.journal(since=since)


@pytest.mark.parametrize(("query", "error"), [
    ("since=-1", "since must be a whole number from 0 to 9223372036854775807, got '-1'"),
    ("since=abc", "since must be a whole number from 0 to 9223372036854775807, got 'abc'"),
    ("since=1&since=2", "since is given more than once: give it once"),
    ("limit=5", "unknown parameter 'limit' for GET /_journal"),
])
def test_since_over_http_refuses_bad_values(fetch, query, error) -> None:
    reply = fetch(f"/_journal?{query}")
    assert reply.status == 400
    assert reply.headers["Content-Type"].startswith("application/json")
    assert reply.body["error"] == error


def test_ring_buffer_keeps_memory_flat() -> None:
    async def go() -> tuple[list[dict[str, Any]], dict[str, Any], list[dict[str, Any]]]:
        runner, port = await serve(fakeapi.create_app(latency_scale=0, journal_size=5), "127.0.0.1", 0)
        try:
            async with aiohttp.ClientSession() as session:
                for i in range(1, 13):
                    async with session.get(f"http://127.0.0.1:{port}/todos/{i % 10 + 1}") as r:
                        assert r.status == 200
                async with session.get(f"http://127.0.0.1:{port}/_journal") as r:
                    journal = await r.json()
                async with session.get(f"http://127.0.0.1:{port}/_journal?since=20") as r:
                    recent = await r.json()
                async with session.get(f"http://127.0.0.1:{port}/_stats") as r:
                    return journal, await r.json(), recent
        finally:
            await runner.cleanup()

    journal, stats, recent = asyncio.run(go())
    assert [e["id"] for e in journal] == [15, 17, 19, 21, 23]  # the last 5 of 12 (2 changes each), oldest first
    assert [e["id"] for e in recent] == [21, 23]  # ended after change 20 (id 19 ended at change 20)
    assert stats["requests"] == 12 and stats["journal_size"] == 5
    assert sum(stats["outcomes"].values()) == 5


def test_openapi_describes_every_route_and_chaos_parameter(fetch) -> None:
    reply = fetch("/openapi.json")
    assert reply.status == 200
    doc = reply.body
    assert doc["openapi"].startswith("3.")
    assert doc["info"]["title"] == "fakeapi"
    described = {(method.upper(), path) for path, ops in doc["paths"].items() for method in ops}
    assert described == {(route.method, route.path) for route in fakeapi.ROUTES}
    for route in fakeapi.ROUTES:
        op = doc["paths"][route.path][route.method.lower()]
        names = {p["name"] for p in op["parameters"]}
        expected = route.param_names | set(part.strip("{}") for part in route.path.split("/") if part.startswith("{"))
        if not route.internal:
            expected |= set(CHAOS_PARAMS)
            assert f"Default latency {route.latency:g} s" in op["description"]
            assert {"400", "404", "429", "500", "default"} <= set(op["responses"])
        assert names == expected, route.path
    fault = next(p for p in doc["paths"]["/users"]["get"]["parameters"] if p["name"] == "fault")
    assert fault["schema"]["enum"] == list(FAULTS)


# ---- overlap, proved by the journal --------------------------------------------------------

async def users(api: fakeapi.FakeAPI, n: int, together: bool, delay: float) -> None:
    async with aiohttp.ClientSession() as session:
        async def get(i: int) -> None:
            async with session.get(f"{api.url}/users/{i % 10 + 1}?delay={delay}") as r:
                assert r.status == 200

        if together:
            await asyncio.gather(*(get(i) for i in range(n)))
        else:
            for i in range(n):
                await get(i)


def test_gathered_requests_are_all_in_flight_together(api) -> None:
    asyncio.run(users(api, 10, together=True, delay=1.0))
    journal = api.journal()
    assert len(journal) == 10
    assert api.stats()["max_in_flight"] == 10
    assert max(e["start"] for e in journal) < min(e["end"] for e in journal)  # one moment all ten share


def test_sequential_requests_never_overlap(api) -> None:
    asyncio.run(users(api, 10, together=False, delay=0.05))
    journal = sorted(api.journal(), key=lambda e: e["start"])
    assert len(journal) == 10
    assert api.stats()["max_in_flight"] == 1
    assert all(a["end"] <= b["start"] for a, b in zip(journal, journal[1:]))


# ---- cancellation --------------------------------------------------------------------------

def test_cancelled_client_task_is_journaled_cancelled(api, until_in_flight) -> None:
    async def go() -> None:
        async with aiohttp.ClientSession() as session:
            task = asyncio.create_task(session.get(api.url + "/payments?delay=10"))
            await until_in_flight(1)
            assert api.stats()["outcomes"] == {"in_flight": 1}
            assert api.journal()[0]["outcome"] is None and api.journal()[0]["end"] is None
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
        await api.wait_idle()

    asyncio.run(go())
    [entry] = api.journal()
    assert (entry["outcome"], entry["status"], entry["fault"]) == ("cancelled", None, None)
    assert entry["end"] - entry["start"] < 10


@pytest.mark.parametrize("path", ["/users/1?fault=hang", "/delay/10", "/users?delay=10&jitter=1"])
def test_client_timeout_is_journaled_cancelled(api, path) -> None:
    async def go() -> None:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=0.2)) as session:
            with pytest.raises(TimeoutError):
                await session.get(api.url + path)
        await api.wait_idle()

    asyncio.run(go())
    [entry] = api.journal()
    assert entry["outcome"] == "cancelled"
    assert api.stats() == {"requests": 1, "in_flight": 0, "max_in_flight": 1, "outcomes": {"cancelled": 1},
                           "journal_size": fakeapi.JOURNAL_SIZE}


def test_gather_cancelled_by_a_timeout_cancels_every_request(api) -> None:
    async def go() -> None:
        async with aiohttp.ClientSession() as session:
            async def get(i: int) -> None:
                async with session.get(f"{api.url}/users/{i}?delay={'0' if i == 1 else '10'}") as r:
                    await r.read()

            with pytest.raises(TimeoutError):
                async with asyncio.timeout(1.0):
                    await asyncio.gather(*(get(i) for i in range(1, 6)))
        await api.wait_idle()

    asyncio.run(go())
    outcomes = {e["path"]: e["outcome"] for e in api.journal()}
    assert outcomes == {"/users/1": "ok", **{f"/users/{i}": "cancelled" for i in range(2, 6)}}


def test_clear_while_in_flight_keeps_counting(api, until_in_flight) -> None:
    async def go() -> dict[str, Any]:
        async with aiohttp.ClientSession() as session:
            task = asyncio.create_task(session.get(api.url + "/users?fault=hang"))
            await until_in_flight(1)
            api.clear_journal()
            stats = api.stats()
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        await api.wait_idle()
        return stats

    stats = asyncio.run(go())
    assert (stats["requests"], stats["in_flight"], stats["max_in_flight"]) == (0, 1, 1)
    assert api.stats()["in_flight"] == 0
