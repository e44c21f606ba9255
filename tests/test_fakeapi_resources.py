"""Resources: every route answers JSON from seeded data, ids 1 to 10 exist, latencies as documented.

Bad input (a malformed id, limit, code or seconds) is a 400 naming the parameter, never a 500.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest

import fakeapi
from fakeapi.data import make_dataset

pytestmark = pytest.mark.timeout(60)  # a fakeapi test that hangs fails within a minute

PUBLIC = [route for route in fakeapi.ROUTES if not route.internal]


def example_path(route: fakeapi.Route) -> str:
    return route.path.replace("{id}", "1").replace("{seconds}", "0").replace("{code}", "200")


def each_row(rows: list[dict[str, Any]], key: str, value: int) -> bool:
    return bool(rows) and all(row[key] == value for row in rows)


# path, expected status, a check of the body
GOOD = [
    ("/users", 200, lambda b: [u["id"] for u in b] == list(range(1, 11))),
    ("/users/1", 200, lambda b: b["id"] == 1 and b["name"] == "Ada Lovelace" and b["email"].endswith("@example.com")),
    ("/users/10", 200, lambda b: b["id"] == 10),
    ("/users/1/orders", 200, lambda b: each_row(b, "user_id", 1)),
    ("/users/2/orders?limit=1", 200, lambda b: len(b) == 1 and b[0]["user_id"] == 2),
    ("/users/2/orders?limit=100", 200, lambda b: each_row(b, "user_id", 2)),
    ("/users/3/settings", 200, lambda b: b["user_id"] == 3 and b["theme"] in ("light", "dark")),
    ("/orders", 200, lambda b: {o["user_id"] for o in b} == set(range(1, 11))),
    ("/orders?user=2", 200, lambda b: each_row(b, "user_id", 2)),
    ("/payments", 200, lambda b: {p["user_id"] for p in b} == set(range(1, 11))),
    ("/payments?user=3", 200, lambda b: each_row(b, "user_id", 3)),
    ("/reviews?user=4", 200, lambda b: each_row(b, "user_id", 4) and all(1 <= r["rating"] <= 5 for r in b)),
    ("/posts", 200, lambda b: [p["id"] for p in b] == list(range(1, 11))),
    ("/posts/7", 200, lambda b: set(b) == {"userId", "id", "title", "body"} and b["id"] == 7),
    ("/todos", 200, lambda b: [t["id"] for t in b] == list(range(1, 11))),
    ("/todos/10", 200, lambda b: set(b) == {"userId", "id", "title", "completed"} and b["id"] == 10),
    ("/notifications", 200, lambda b: b == []),
    ("/delay/0", 200, lambda b: b["delay"] == 0),
    ("/delay/0.01", 200, lambda b: b["delay"] == 0.01),
    ("/status/200", 200, lambda b: b["status"] == 200),
    ("/status/418", 418, lambda b: b["status"] == 418 and "I'm a Teapot" in b["error"]),
    ("/status/204", 204, lambda b: b is None),
]


@pytest.mark.parametrize(("path", "status", "check"), GOOD, ids=[row[0] for row in GOOD])
def test_resource_answers_json(fetch, path, status, check) -> None:
    reply = fetch(path)
    assert reply.status == status
    if reply.body is not None:
        assert reply.headers["Content-Type"].startswith("application/json")
    assert check(reply.body), reply.body


def test_the_table_covers_every_route(api, fetch) -> None:
    fetch("/notifications", "POST", json={"message": "hi"})
    for path, _, _ in GOOD:
        fetch(path)
    seen = {(entry["method"], entry["route"]) for entry in api.journal()}
    assert seen == {(route.method, route.path) for route in PUBLIC}


# path, status, the "error" text (part of it); the body is JSON, never a traceback
MISSING = [
    ("/users/11", 404, "no user with id 11"),
    ("/users/0", 404, "no user with id 0"),
    ("/users/-1", 404, "no user with id -1"),
    ("/users/99999999999999999999", 404, "no user with id 99999999999999999999"),
    ("/users/11/orders", 404, "no user with id 11"),
    ("/users/11/settings", 404, "no user with id 11"),
    ("/orders?user=11", 404, "no user with id 11"),
    ("/payments?user=0", 404, "no user with id 0"),
    ("/reviews?user=12", 404, "no user with id 12"),
    ("/posts/11", 404, "no post with id 11"),
    ("/todos/0", 404, "no todo with id 0"),
    ("/nope", 404, "Not Found: GET /nope"),
    ("/users/1/nope", 404, "Not Found: GET /users/1/nope"),
    ("/", 404, "Not Found: GET /"),
]


@pytest.mark.parametrize(("path", "status", "error"), MISSING, ids=[row[0] for row in MISSING])
def test_missing_is_a_404_with_json(fetch, path, status, error) -> None:
    reply = fetch(path)
    assert reply.status == status
    assert error in reply.body["error"]


@pytest.mark.parametrize(("method", "path", "allowed"), [
    ("DELETE", "/users", ["GET"]), ("PUT", "/users/1", ["GET"]), ("POST", "/todos", ["GET"]),
    ("PUT", "/notifications", ["DELETE", "GET", "POST"]), ("POST", "/_journal", ["DELETE", "GET"]),
])
def test_wrong_method_is_a_405_with_json(fetch, method, path, allowed) -> None:
    reply = fetch(path, method)
    assert reply.status == 405
    assert reply.body["error"] == f"Method Not Allowed: {method} {path}"
    assert reply.body["allowed"] == allowed
    assert reply.headers["Allow"] == ", ".join(allowed)


# path, the parameter named, part of the error text
BAD = [
    ("/users/abc", "id", "id must be a whole number, for example 1, got 'abc'"),
    ("/users/1.5", "id", "got '1.5'"),
    ("/users/1_0", "id", "got '1_0'"),
    ("/users/%201", "id", "got ' 1'"),
    ("/users/%D9%A1", "id", "got '\u0661'"),  # an Arabic-Indic digit one: int() would take it
    ("/users/" + "9" * 5000, "id", "id must be a whole number"),  # too long for int()
    ("/users/abc/orders", "id", "got 'abc'"),
    ("/users/x/settings", "id", "got 'x'"),
    ("/posts/one", "id", "got 'one'"),
    ("/todos/1e1", "id", "got '1e1'"),
    ("/orders?user=abc", "user", "user must be a whole number, for example 1, got 'abc'"),
    ("/payments?user=", "user", "got ''"),
    ("/reviews?user=1.0", "user", "got '1.0'"),
    ("/users/1/orders?limit=0", "limit", "limit must be a whole number from 1 to 100, got '0'"),
    ("/users/1/orders?limit=101", "limit", "got '101'"),
    ("/users/1/orders?limit=ten", "limit", "got 'ten'"),
    ("/users/1/orders?limit=-5", "limit", "got '-5'"),
    ("/delay/31", "seconds", "seconds must be a number from 0 to 30 (seconds), got '31'"),
    ("/delay/-1", "seconds", "got '-1'"),
    ("/delay/abc", "seconds", "got 'abc'"),
    ("/delay/nan", "seconds", "got 'nan'"),
    ("/delay/inf", "seconds", "got 'inf'"),
    ("/delay/1e9", "seconds", "got '1e9'"),
    ("/status/199", "code", "code must be a whole number from 200 to 599, got '199'"),
    ("/status/600", "code", "got '600'"),
    ("/status/abc", "code", "got 'abc'"),
    ("/status/404.0", "code", "got '404.0'"),
    ("/users?limit=5", "limit", "unknown parameter 'limit' for GET /users"),
]


@pytest.mark.parametrize(("path", "param", "error"), BAD, ids=[row[0][:40] for row in BAD])
def test_bad_input_is_a_400_naming_the_parameter(api, fetch, path, param, error) -> None:
    reply = fetch(path)
    assert reply.status == 400
    assert set(reply.body) == {"error", "status", "param", "allowed"} and reply.body["status"] == 400
    assert reply.body["param"] == param
    assert error in reply.body["error"]
    assert reply.body["allowed"]
    assert api.journal()[-1]["outcome"] == "error"


def durations(api: fakeapi.FakeAPI) -> dict[str, float]:
    return {entry["path"] + (f"?{urlencode(entry['query'])}" if entry["query"] else ""): entry["end"] - entry["start"]
            for entry in api.journal()}


async def get_all(api: fakeapi.FakeAPI, paths: list[str]) -> None:
    async with aiohttp.ClientSession() as session:
        async def get(path: str) -> None:
            async with session.get(api.url + path) as r:
                assert r.status == 200, await r.text()

        await asyncio.gather(*(get(path) for path in paths))


LATENCIES = {example_path(route): route.latency for route in PUBLIC if route.method == "GET"}


@pytest.mark.parametrize("scale", [1, 2])
def test_default_latency_times_scale(api, scale) -> None:
    api.configure(seed=0, latency_scale=scale)
    asyncio.run(get_all(api, list(LATENCIES)))
    took = durations(api)
    for path, latency in LATENCIES.items():
        assert took[path] >= latency * scale - 0.001, path
        assert took[path] < latency * scale + 5, path  # generous: only catches a wrong order of magnitude


def test_latency_scale_zero_is_instant_but_explicit_delays_are_not_scaled(api) -> None:
    asyncio.run(get_all(api, [*LATENCIES, "/delay/0.2", "/users?delay=0.2"]))
    took = durations(api)
    assert took.pop("/delay/0.2") >= 0.2 - 0.001
    assert took.pop("/users?delay=0.2") >= 0.2 - 0.001
    # at scale 1 these take 1.75 s in total; at scale 0 nothing sleeps
    assert sum(took.values()) < 0.5, took


def dump(api: fakeapi.FakeAPI) -> dict[str, Any]:
    async def go() -> dict[str, Any]:
        async with aiohttp.ClientSession() as session:
            out = {}
            for path in ("/users", "/users/1/settings", "/orders", "/payments", "/reviews", "/posts", "/todos"):
                async with session.get(api.url + path) as r:
                    out[path] = await r.json()
            return out

    return asyncio.run(go())


def test_same_seed_same_data_other_seed_other_data(api) -> None:
    seed0 = dump(api)
    with fakeapi.FakeAPI(seed=0, latency_scale=0) as other:
        assert dump(other) == seed0
    api.configure(seed=1, latency_scale=0)
    seed1 = dump(api)
    assert seed1 != seed0
    for path in ("/users/1/settings", "/orders", "/reviews", "/posts", "/todos"):
        assert seed1[path] != seed0[path], path
    api.configure(seed=0, latency_scale=0)
    assert dump(api) == seed0
    assert make_dataset(5) == make_dataset(5) != make_dataset(6)


def test_post_notification_is_stored_and_cleared(api, fetch) -> None:
    reply = fetch("/notifications", "POST", json={"message": "hello", "user": 3})
    assert reply.status == 201
    assert reply.body == {"id": 1, "user": 3, "message": "hello"}
    stored = fetch("/notifications").body
    assert [{k: n[k] for k in ("id", "user", "message")} for n in stored] == [reply.body]
    assert api.notifications() == stored
    assert fetch("/notifications", "DELETE").status == 204
    assert fetch("/notifications").body == []
    assert fetch("/notifications", "POST", json={"message": "again"}).body["id"] == 1


def test_concurrent_posts_get_distinct_ids(api) -> None:
    async def go() -> list[int]:
        async with aiohttp.ClientSession() as session:
            async def post(i: int) -> int:
                async with session.post(api.url + "/notifications?delay=0.3", json={"message": f"m{i}"}) as r:
                    assert r.status == 201
                    return (await r.json())["id"]

            return await asyncio.gather(*(post(i) for i in range(5)))

    ids = asyncio.run(go())
    assert sorted(ids) == [1, 2, 3, 4, 5]
    assert sorted(n["id"] for n in api.notifications()) == [1, 2, 3, 4, 5]
    assert api.stats()["max_in_flight"] >= 2  # they did overlap, so the test proves something


# chaos on a POST: the side effect is stored once the latency has passed, whatever is answered then
@pytest.mark.parametrize(("query", "status"), [
    ("status=503", 503),
    ("fail_rate=1", 500),
    ("fault=malformed", 200),
    ("fault=slow&delay=0.05", 201),
])
def test_post_stores_whatever_is_answered(api, fetch, query, status) -> None:
    reply = fetch(f"/notifications?{query}", "POST", json={"message": "side effect"})
    assert reply.status == status
    assert [n["message"] for n in api.notifications()] == ["side effect"]


@pytest.mark.parametrize("fault", ["reset", "close"])
def test_post_is_stored_even_when_the_connection_dies(api, fetch, fault) -> None:
    with pytest.raises(aiohttp.ClientConnectionError):
        fetch(f"/notifications?fault={fault}", "POST", json={"message": "side effect"})
    asyncio.run(api.wait_idle())
    assert [n["message"] for n in api.notifications()] == ["side effect"]  # a POST is never retried
    assert len(api.journal()) == 1


def test_abandoned_post_stores_nothing(api) -> None:
    async def go() -> None:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=0.2)) as session:
            with pytest.raises(TimeoutError):
                await session.post(api.url + "/notifications?delay=5", json={"message": "never"})
        await api.wait_idle()

    asyncio.run(go())
    assert api.notifications() == []
    assert api.journal()[0]["outcome"] == "cancelled"


# body, the parameter named, part of the error text
BAD_BODIES = [
    ({"data": b"not json"}, "body", "body must be a JSON object"),
    ({"data": b""}, "body", "body must be a JSON object"),
    ({"json": [1, 2]}, "body", "body must be a JSON object"),
    ({"json": "hi"}, "body", "body must be a JSON object"),
    ({"json": {}}, "message", "message must be a non-empty string"),
    ({"json": {"message": ""}}, "message", "message must be a non-empty string"),
    ({"json": {"message": 42}}, "message", "message must be a non-empty string"),
    ({"json": {"message": "hi", "user": "3"}}, "user", "user must be a whole number or absent, got '3'"),
    ({"json": {"message": "hi", "user": True}}, "user", "got True"),
    ({"json": {"message": "hi", "user": 1.5}}, "user", "got 1.5"),
]


@pytest.mark.parametrize(("body", "param", "error"), BAD_BODIES, ids=[str(row[0])[:30] for row in BAD_BODIES])
def test_bad_notification_body_is_a_400(api, fetch, body, param, error) -> None:
    reply = fetch("/notifications", "POST", **body)
    assert reply.status == 400
    assert reply.body["param"] == param
    assert error in reply.body["error"]
    assert api.notifications() == []
