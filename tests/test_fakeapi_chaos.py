"""Chaos by query parameter, on every resource route, and each fault as the aiohttp client meets it.

Timing is proved with the server's journal (start and end of each request), never with the
test's own stopwatch, and only with lower bounds or generous upper bounds. Seeded draws are
checked exactly: the documented rule (docs/fakeapi.md) fixes which requests fail.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from typing import Any

import aiohttp
import pytest

import fakeapi
from fakeapi.params import CHAOS_NAMES as CHAOS_PARAMS

pytestmark = pytest.mark.timeout(60)  # a fakeapi test that hangs fails within a minute

PUBLIC = [route for route in fakeapi.ROUTES if not route.internal]


def example(route: fakeapi.Route) -> tuple[str, dict[str, Any]]:
    """A path that answers 2xx on this route, and the request's keyword arguments."""
    path = route.path.replace("{id}", "1").replace("{seconds}", "0").replace("{code}", "200")
    return path, ({"json": {"message": "hi"}} if route.method == "POST" else {})


def took(entry: dict[str, Any]) -> float:
    return entry["end"] - entry["start"]


async def get_many(api: fakeapi.FakeAPI, path: str, n: int) -> list[int]:
    """n requests for the same path, gathered; their statuses."""
    async with aiohttp.ClientSession() as session:
        async def get() -> int:
            async with session.get(api.url + path) as r:
                await r.read()
                return r.status

        return await asyncio.gather(*(get() for _ in range(n)))


async def get_in_turn(api: fakeapi.FakeAPI, path: str, n: int) -> list[int]:
    """n requests for the same path, one after the other; their statuses."""
    async with aiohttp.ClientSession() as session:
        statuses = []
        for _ in range(n):
            async with session.get(api.url + path) as r:
                await r.read()
                statuses.append(r.status)
        return statuses


# ---- every chaos parameter works on every resource route ---------------------------------------

@pytest.mark.parametrize("route", PUBLIC, ids=lambda r: f"{r.method} {r.path}")
def test_status_and_delay_on_every_route(api, fetch, route) -> None:
    path, kwargs = example(route)
    reply = fetch(f"{path}?status=503&delay=0.05", route.method, **kwargs)
    assert reply.status == 503
    assert reply.body == {"error": "forced status 503 (Service Unavailable)", "status": 503}
    [entry] = api.journal()
    assert entry["route"] == route.path
    assert took(entry) >= 0.05 - 0.001


@pytest.mark.parametrize("route", PUBLIC, ids=lambda r: f"{r.method} {r.path}")
def test_unknown_parameter_on_every_route(fetch, route) -> None:
    path, kwargs = example(route)
    reply = fetch(f"{path}?dealy=1", route.method, **kwargs)
    assert reply.status == 400
    assert reply.body["param"] == "dealy"
    assert reply.body["error"] == f"unknown parameter 'dealy' for {route.method} {route.path}"
    assert set(CHAOS_PARAMS) | route.param_names == set(reply.body["allowed"])


# ---- bad chaos values: 400 naming the parameter, never a 500 -----------------------------------

BAD = [
    ("delay=abc", "delay", "delay must be a number from 0 to 30 (seconds), got 'abc'"),
    ("delay=", "delay", "got ''"),
    ("delay=-0.1", "delay", "got '-0.1'"),
    ("delay=30.5", "delay", "got '30.5'"),
    ("delay=nan", "delay", "got 'nan'"),
    ("delay=inf", "delay", "got 'inf'"),
    ("delay=1_0", "delay", "got '1_0'"),
    ("jitter=11", "jitter", "jitter must be a number from 0 to 10 (seconds), got '11'"),
    ("jitter=-1", "jitter", "got '-1'"),
    ("jitter=NaN", "jitter", "got 'NaN'"),
    ("seed=-1", "seed", "seed must be a whole number from 0 to 9223372036854775807, got '-1'"),
    ("seed=1.5", "seed", "got '1.5'"),
    ("seed=abc", "seed", "got 'abc'"),
    ("status=199", "status", "status must be a whole number from 200 to 599, got '199'"),
    ("status=600", "status", "got '600'"),
    ("status=ok", "status", "got 'ok'"),
    ("fail_rate=1.5", "fail_rate", "fail_rate must be a number from 0 to 1, got '1.5'"),
    ("fail_rate=-0.1", "fail_rate", "got '-0.1'"),
    ("fail_rate=nan", "fail_rate", "got 'nan'"),
    ("fail_rate=inf", "fail_rate", "got 'inf'"),
    ("fail_rate=half", "fail_rate", "got 'half'"),
    ("fault=explode", "fault", "fault must be one of reset, close, malformed, hang, slow, got 'explode'"),
    ("fault=RESET", "fault", "got 'RESET'"),
    ("fault=", "fault", "got ''"),
    ("max_concurrent=0", "max_concurrent", "max_concurrent must be a whole number from 1 to 100000, got '0'"),
    ("max_concurrent=two", "max_concurrent", "got 'two'"),
    ("bogus=1", "bogus", "unknown parameter 'bogus' for GET /users"),
    ("Delay=1", "Delay", "unknown parameter 'Delay' for GET /users"),
    ("delay=0&fault=hang&status=503&oops", "oops", "unknown parameter 'oops'"),  # checked before any chaos
]


@pytest.mark.parametrize(("query", "param", "error"), BAD, ids=[row[0] for row in BAD])
def test_bad_chaos_value_is_a_400(api, fetch, caplog, query, param, error) -> None:
    reply = fetch(f"/users?{query}")
    assert reply.status == 400
    assert set(reply.body) == {"error", "status", "param", "allowed"} and reply.body["status"] == 400
    assert reply.body["param"] == param
    assert error in reply.body["error"]
    assert reply.body["allowed"]
    assert [(e["status"], e["outcome"]) for e in api.journal()] == [(400, "error")]
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


# ---- delay, jitter, seed --------------------------------------------------------------------

# path, the least it takes, what it would take at least if delay were added to or scaled like the default
@pytest.mark.parametrize(("path", "at_least", "below"), [
    ("/users?delay=0.2", 0.2, 1.2),     # not added to the route's 1 s (0.1 s x latency_scale 10)
    ("/payments?delay=0", 0.0, 3.0),    # replaces the route's 3 s (0.3 s x latency_scale 10)
    ("/delay/0.2", 0.2, 2.0),           # an explicit delay is never scaled
    ("/delay/0.1?delay=0.2", 0.2, 2.0),  # the parameter wins over the path
])
def test_delay_replaces_the_default_latency(api, fetch, path, at_least, below) -> None:
    api.configure(seed=0, latency_scale=10)
    assert fetch(path).status == 200
    [entry] = api.journal()
    assert at_least - 0.001 <= took(entry) < below


def stream(seed: int, path_qs: str, nth: int, method: str = "GET") -> random.Random:
    """The documented draws of the nth request for a URL (docs/fakeapi.md): jitter first, then fail_rate."""
    return random.Random(f"{seed}|{method} {path_qs}|{nth}")


def expected_jitters(seed: int, path_qs: str, jitter: float, n: int) -> list[float]:
    return sorted(stream(seed, path_qs, nth).uniform(0.0, jitter) for nth in range(1, n + 1))


def jitter_run(api: fakeapi.FakeAPI, path_qs: str, n: int = 4) -> list[float]:
    api.clear_journal()  # restarts the count of each URL
    assert asyncio.run(get_many(api, path_qs, n)) == [200] * n
    return sorted(took(entry) for entry in api.journal())


@pytest.mark.parametrize("seed", [7, 8])
def test_jitter_draws_what_the_seed_fixes(api, seed) -> None:
    path_qs = f"/users?delay=0&jitter=0.8&seed={seed}"
    expected = expected_jitters(seed, path_qs, 0.8, 4)
    for run in (jitter_run(api, path_qs), jitter_run(api, path_qs)):  # the same again after a clear
        # each request took at least its draw; the upper bound only absorbs a loaded machine
        assert all(e - 0.001 <= t < e + 0.5 for t, e in zip(run, expected)), (run, expected)
    assert expected_jitters(7, path_qs, 0.8, 4) != expected_jitters(8, path_qs, 0.8, 4)


def failures(api: fakeapi.FakeAPI, path: str, n: int) -> list[int]:
    """Which of n requests in turn for path answered 500 (DELETE /_journal first restarts the draws)."""
    api.clear_journal()
    statuses = asyncio.run(get_in_turn(api, path, n))
    assert set(statuses) <= {200, 500}
    return [i for i, status in enumerate(statuses) if status == 500]


def expected_failures(seed: int, path_qs: str, rate: float, n: int) -> list[int]:
    return [i for i in range(n) if stream(seed, path_qs, i + 1).random() < rate]


@pytest.mark.parametrize(("server_seed", "path"), [
    (0, "/todos/1?fail_rate=0.3"),
    (1, "/todos/1?fail_rate=0.3"),  # the server's seed is the default seed
    (0, "/todos/1?fail_rate=0.3&seed=5"),  # seed= wins over the server's
    (0, "/todos/1?fail_rate=0.7"),
])
def test_fail_rate_fails_exactly_the_requests_the_seed_fixes(api, server_seed, path) -> None:
    api.configure(seed=server_seed, latency_scale=0)
    seed = int(path.split("seed=")[1]) if "seed=" in path else server_seed
    rate = float(path.split("fail_rate=")[1].split("&")[0])
    expected = expected_failures(seed, path, rate, 100)
    assert 0 < len(expected) < 100  # the table row means something: some fail, some do not
    assert failures(api, path, 100) == expected
    assert failures(api, path, 100) == expected  # again after a clear: the same requests fail


def test_fail_rate_zero_and_one(api, fetch) -> None:
    assert failures(api, "/todos/1?fail_rate=0", 20) == []
    assert failures(api, "/todos/1?fail_rate=1", 20) == list(range(20))
    reply = fetch("/todos/1?fail_rate=1")
    assert reply.body == {"error": "injected failure (fail_rate=1)", "status": 500}


BATCH = [f"/posts/{i}?fail_rate=0.5" for i in range(1, 11)] + [f"/users/{i}?fail_rate=0.5" for i in range(1, 11)]


def test_fail_rate_batch_fails_the_same_whatever_the_order(api) -> None:
    """20 different URLs: which of them fail depends on the URL, not on the order they arrive in."""
    async def statuses(paths: list[str], together: bool) -> dict[str, int]:
        api.clear_journal()
        async with aiohttp.ClientSession() as session:
            async def get(path: str) -> int:
                async with session.get(api.url + path) as r:
                    await r.read()
                    return r.status

            if together:
                got = await asyncio.gather(*(get(path) for path in paths))
            else:
                got = [await get(path) for path in paths]
        return dict(zip(paths, got))

    expected = {path: 500 if stream(0, path, 1).random() < 0.5 else 200 for path in BATCH}
    assert set(expected.values()) == {200, 500}  # both kinds in the batch, or the test proves little
    assert asyncio.run(statuses(BATCH, together=True)) == expected
    assert asyncio.run(statuses(BATCH[::-1], together=False)) == expected  # reversed, one at a time


# ---- status ---------------------------------------------------------------------------------

STATUSES = [
    (200, {"status": 200, "message": "OK"}, "ok"),
    (201, {"status": 201, "message": "Created"}, "ok"),
    (204, None, "ok"),
    (302, {"status": 302, "message": "Found"}, "ok"),
    (400, {"status": 400, "error": "forced status 400 (Bad Request)"}, "error"),
    (404, {"status": 404, "error": "forced status 404 (Not Found)"}, "error"),
    (418, {"status": 418, "error": "forced status 418 (I'm a Teapot)"}, "error"),
    (429, {"status": 429, "error": "forced status 429 (Too Many Requests)"}, "error"),
    (500, {"status": 500, "error": "forced status 500 (Internal Server Error)"}, "error"),
    (599, {"status": 599, "error": "forced status 599 (Unassigned status)"}, "error"),
]


@pytest.mark.parametrize(("code", "body", "outcome"), STATUSES, ids=[str(row[0]) for row in STATUSES])
@pytest.mark.parametrize("how", ["/users/1?status={}", "/status/{}"])
def test_forced_status(api, fetch, how, code, body, outcome) -> None:
    reply = fetch(how.format(code))
    assert reply.status == code
    assert reply.body == body
    if body is not None:
        assert reply.headers["Content-Type"].startswith("application/json")
    [entry] = api.journal()
    assert (entry["status"], entry["outcome"]) == (code, outcome)


# query, status, what the body is: fault wins over status, which wins over fail_rate
@pytest.mark.parametrize(("query", "status", "body"), [
    ("fault=malformed&status=503&fail_rate=1", 200, "malformed"),
    ("fault=slow&status=503", 200, "the user"),
    ("status=503&fail_rate=1", 503, "forced status 503 (Service Unavailable)"),
    ("status=200&fail_rate=1", 200, "OK"),
    ("fail_rate=1", 500, "injected failure (fail_rate=1)"),
    ("max_concurrent=1&status=418", 418, "forced status 418 (I'm a Teapot)"),
])
def test_order_of_chaos(fetch, query, status, body) -> None:
    reply = fetch(f"/users/1?{query}&delay=0")
    assert reply.status == status
    if body == "malformed":
        with pytest.raises(json.JSONDecodeError):
            json.loads(reply.body)
    elif body == "the user":
        assert reply.body["id"] == 1
    else:
        assert body in (reply.body.get("error") or reply.body.get("message"))


# ---- faults, as the aiohttp client meets them ------------------------------------------------

USER_1 = {"id": 1, "name": "Ada Lovelace"}


async def meet(api: fakeapi.FakeAPI, method: str, path: str) -> tuple[BaseException | None, Any, int]:
    """One request as a learner writes it; what it raised (or its JSON), then a normal request's status."""
    kwargs: dict[str, Any] = {"json": {"message": "hi"}} if method == "POST" else {}
    give_up = aiohttp.ClientTimeout(total=0.3 if "hang" in path else 30)  # only a hang should time out
    async with aiohttp.ClientSession() as session:
        raised, body = None, None
        try:
            async with session.request(method, api.url + path, timeout=give_up, **kwargs) as r:
                body = await r.json()
        except BaseException as exc:  # noqa: BLE001 - what the learner meets is the point
            raised = exc
        async with session.get(api.url + "/users/1") as r:  # the server keeps working
            after = r.status
        await api.wait_idle()
        return raised, body, after


# method, fault, the exact exception class the learner meets, part of its text, journal entries
FAULTS = [
    ("GET", "reset", aiohttp.ClientOSError, "Connection reset by peer", 2),  # aiohttp retries a GET once
    ("GET", "close", aiohttp.ServerDisconnectedError, "Server disconnected", 2),
    ("GET", "malformed", json.JSONDecodeError, "Expecting", 1),
    ("GET", "hang", TimeoutError, "", 1),
    ("POST", "reset", aiohttp.ClientOSError, "Connection reset by peer", 1),  # a POST is never retried
    ("POST", "close", aiohttp.ServerDisconnectedError, "Server disconnected", 1),
    ("POST", "malformed", json.JSONDecodeError, "Expecting", 1),
    ("POST", "hang", TimeoutError, "", 1),
]


@pytest.mark.parametrize(("method", "fault", "exc_type", "text", "entries"), FAULTS,
                         ids=[f"{row[0]}-{row[1]}" for row in FAULTS])
def test_fault_as_the_client_meets_it(api, caplog, method, fault, exc_type, text, entries) -> None:
    caplog.set_level(logging.DEBUG)
    path = "/notifications" if method == "POST" else "/users/1"
    raised, body, after = asyncio.run(meet(api, method, f"{path}?fault={fault}&delay=0.01"))
    assert type(raised) is exc_type, repr(raised)
    assert text in str(raised)
    assert after == 200
    journal = api.journal()
    faulty, last = journal[:-1], journal[-1]
    assert len(faulty) == entries
    outcome = "cancelled" if fault == "hang" else "fault"  # a hang ends when the client gives up
    status = 200 if fault == "malformed" else None
    assert [(e["outcome"], e["fault"], e["status"]) for e in faulty] == [(outcome, fault, status)] * entries
    assert all(e["end"] is not None for e in faulty)
    assert (last["outcome"], last["status"]) == ("ok", 200)
    noisy = [r for r in caplog.records if r.levelno >= logging.WARNING or r.name.startswith("aiohttp.server")]
    assert not noisy, [r.getMessage() for r in noisy]  # no "Error handling request", no unretrieved task


def test_fault_slow_is_a_valid_body_in_pieces(api, fetch, caplog) -> None:
    normal = fetch("/users/1").body

    async def go() -> tuple[int, list[bytes]]:
        async with aiohttp.ClientSession() as session:
            async with session.get(api.url + "/users/1?fault=slow&delay=0.3") as r:
                return r.status, [chunk async for chunk in r.content.iter_any()]

    status, chunks = asyncio.run(go())
    assert status == 200
    assert len(chunks) >= 2  # 10 pieces written 0.03 s apart; a few may arrive together
    assert json.loads(b"".join(chunks)) == normal
    entry = api.journal()[-1]
    assert (entry["status"], entry["outcome"], entry["fault"]) == (200, "fault", "slow")
    assert took(entry) >= 0.3 - 0.001
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_fault_slow_abandoned_by_the_client(api, caplog) -> None:
    async def go() -> None:
        async with aiohttp.ClientSession() as session:
            with pytest.raises(TimeoutError):
                async with session.get(api.url + "/users?fault=slow&delay=2",
                                       timeout=aiohttp.ClientTimeout(total=0.3)) as r:
                    await r.read()
        await api.wait_idle()

    asyncio.run(go())
    [entry] = api.journal()
    assert (entry["outcome"], entry["fault"]) == ("cancelled", "slow")
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


# ---- max_concurrent ------------------------------------------------------------------------

def test_max_concurrent_admits_exactly_n_of_a_burst(api) -> None:
    """8 requests at once, at most 3 in flight: 3 admitted (they hang), 5 answered 429 at once."""

    async def go() -> tuple[list[tuple[int, dict[str, str], Any]], int]:
        async with aiohttp.ClientSession() as session:
            async def get() -> tuple[int, dict[str, str], Any]:
                async with session.get(api.url + "/users?max_concurrent=3&fault=hang") as r:
                    return r.status, dict(r.headers), await r.json()

            tasks = [asyncio.create_task(get()) for _ in range(8)]
            answered = []
            for next_done in asyncio.as_completed(tasks):
                answered.append(await next_done)
                if len(answered) == 5:
                    break
            in_flight = api.stats()["in_flight"]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await api.wait_idle()  # the server has closed the 3 cancelled requests (a deadline: 5 s)
            async with session.get(api.url + "/users?max_concurrent=3") as r:  # room again now they are gone
                assert r.status == 200
            return answered, in_flight

    answered, in_flight = asyncio.run(go())
    assert in_flight == 3
    for status, headers, body in answered:
        assert status == 429
        assert headers["Retry-After"] == "1"
        assert body["error"] == "too many requests in flight on /users: at most 3 at once"
    outcomes = [entry["outcome"] for entry in api.journal()]
    assert sorted(outcomes) == ["cancelled"] * 3 + ["error"] * 5 + ["ok"]


def test_max_concurrent_counts_the_route_not_the_url(api, until_in_flight) -> None:
    async def go() -> list[int]:
        async with aiohttp.ClientSession() as session:
            hanging = asyncio.create_task(session.get(api.url + "/users/1?fault=hang"))
            await until_in_flight(1)
            statuses = []
            for path in ("/users/2?max_concurrent=1", "/users?max_concurrent=1", "/users/3?max_concurrent=2"):
                async with session.get(api.url + path) as r:
                    statuses.append(r.status)
            hanging.cancel()
            await asyncio.gather(hanging, return_exceptions=True)
            await api.wait_idle()
            return statuses

    assert asyncio.run(go()) == [429, 200, 200]
