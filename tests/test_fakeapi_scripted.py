"""Long-tailed latency (p50/p99), scripted failures (fail_first/fail_with), rate limits over a window
(rate_limit/rate_window), and the latency the journal records (docs/fakeapi.md describes each rule).

Seeded draws are checked exactly against the documented rule; timing is read off the journal
(start, end, latency), never off the test's own stopwatch.
"""

from __future__ import annotations

import asyncio
import math
import random
import statistics
from typing import Any

import aiohttp
import pytest

import fakeapi
from fakeapi.params import BY_NAME

pytestmark = pytest.mark.timeout(60)

Z99 = 2.3263478740408408


def sum_of(latency: float, rng: random.Random, jitter: float) -> float:
    """A drawn latency plus the jitter drawn after it from the same stream."""
    return latency + rng.uniform(0, jitter)


def lognormal(url: str, nth: int, p50: float, p99: float, seed: int = 0) -> tuple[float, random.Random]:
    """The documented draw of the nth request of `url`: (the latency, the stream for the draws after it)."""
    rng = random.Random(f"{seed}|GET {url}|{nth}")
    return min(rng.lognormvariate(math.log(p50), math.log(p99 / p50) / Z99), 30.0), rng


async def statuses_in_turn(api: fakeapi.FakeAPI, path: str, n: int, **kwargs: Any) -> list[tuple[int, dict, Any]]:
    """n requests for `path`, one after the other: (status, headers, body) of each."""
    replies = []
    async with aiohttp.ClientSession() as session:
        for _ in range(n):
            async with session.get(api.url + path, **kwargs) as r:
                raw = await r.read()
                replies.append((r.status, dict(r.headers), raw))
    return replies


# ---- every bad value or combination: a JSON 400 naming the parameter ---------------------------

P50, P99 = BY_NAME["p50"].allowed, BY_NAME["p99"].allowed
FAIL_FIRST, FAIL_WITH = BY_NAME["fail_first"].allowed, BY_NAME["fail_with"].allowed
RATE_LIMIT, RATE_WINDOW = BY_NAME["rate_limit"].allowed, BY_NAME["rate_window"].allowed
BAD = [
    ("p50=0.1", "p50", "p50 needs p99: give both", P50),
    ("p99=0.1", "p99", "p99 needs p50: give both", P99),
    ("p50=0.2&p99=0.1", "p99", "p99 must be at least p50 (0.2), got 0.1", "a number from 0.2 to 30 (seconds)"),
    ("p50=0&p99=1", "p50", "p50 must be a number from 0.001 to 30 (seconds), got '0'", P50),
    ("p50=-1&p99=1", "p50", "p50 must be a number from 0.001 to 30 (seconds), got '-1'", P50),
    ("p50=0.1&p99=31", "p99", "p99 must be a number from 0.001 to 30 (seconds), got '31'", P99),
    ("p50=0.1&p99=nan", "p99", "p99 must be a number from 0.001 to 30 (seconds), got 'nan'", P99),
    ("delay=0.1&p50=0.1&p99=0.2", "p50",
     "p50 and p99 draw the latency that delay fixes: give delay or p50 and p99, not both", P50),
    ("p50=0.1&p99=0.2&p50=0.1", "p50", "p50 is given more than once: give it once", P50),
    ("fail_with=503", "fail_with", "fail_with needs fail_first: give both", FAIL_WITH),
    ("fail_with=reset", "fail_with", "fail_with needs fail_first: give both", FAIL_WITH),
    ("fail_first=0", "fail_first", "fail_first must be a whole number from 1 to 100, got '0'", FAIL_FIRST),
    ("fail_first=101", "fail_first", "fail_first must be a whole number from 1 to 100, got '101'", FAIL_FIRST),
    ("fail_first=2.5", "fail_first", "fail_first must be a whole number from 1 to 100, got '2.5'", FAIL_FIRST),
    ("fail_first=1&fail_with=399", "fail_with",
     "fail_with must be a status from 400 to 599, or one of reset, close, malformed, hang, slow, got '399'", FAIL_WITH),
    ("fail_first=1&fail_with=600", "fail_with",
     "fail_with must be a status from 400 to 599, or one of reset, close, malformed, hang, slow, got '600'", FAIL_WITH),
    ("fail_first=1&fail_with=Reset", "fail_with",
     "fail_with must be a status from 400 to 599, or one of reset, close, malformed, hang, slow, got 'Reset'",
     FAIL_WITH),
    ("fail_first=1&fail_with=", "fail_with",
     "fail_with must be a status from 400 to 599, or one of reset, close, malformed, hang, slow, got ''", FAIL_WITH),
    ("rate_limit=5", "rate_limit", "rate_limit needs rate_window: give both", RATE_LIMIT),
    ("rate_window=1", "rate_window", "rate_window needs rate_limit: give both", RATE_WINDOW),
    ("rate_limit=0&rate_window=1", "rate_limit", "rate_limit must be a whole number from 1 to 100000, got '0'",
     RATE_LIMIT),
    ("rate_limit=1&rate_window=0", "rate_window", "rate_window must be a number from 0.01 to 3600 (seconds), got '0'",
     RATE_WINDOW),
    ("rate_limit=1&rate_window=3601", "rate_window",
     "rate_window must be a number from 0.01 to 3600 (seconds), got '3601'", RATE_WINDOW),
    ("rate_limit=1&rate_window={window}", "rate_window",
     "rate_window must be a number from 0.01 to 3600 (seconds), got '{window}' (a literal {window}: did you forget "
     "the f of an f-string? f\"...{window}\" puts the value of window there)", RATE_WINDOW),
]


@pytest.mark.parametrize(("query", "param", "message", "allowed"), BAD, ids=[row[0] for row in BAD])
def test_bad_values_and_combinations_are_a_400_naming_the_parameter(api, fetch, query, param, message,
                                                                      allowed) -> None:
    reply = fetch(f"/users/1?{query}")
    assert reply.status == 400
    assert reply.headers["Content-Type"].startswith("application/json")
    assert reply.body == {"error": message, "status": 400, "param": param, "allowed": allowed}
    [entry] = api.journal()
    assert (entry["status"], entry["latency"]) == (400, 0)


# ---- the journal records the latency applied ---------------------------------------------------

LATENCIES = [  # (path, the latency the journal must record: a number, or a function of the URL)
    ("/users/1", 0.0),  # latency_scale=0: the default latency is 0
    ("/users/1?delay=0.03", 0.03),
    ("/delay/0.02", 0.02),
    ("/users/1?delay=0.01&jitter=0.05",
     lambda url: 0.01 + random.Random(f"0|GET {url}|1").uniform(0, 0.05)),
    ("/users/1?p50=0.02&p99=0.02", 0.02),  # p50 == p99: a fixed latency
    ("/users/1?p50=0.01&p99=0.1", lambda url: lognormal(url, 1, 0.01, 0.1)[0]),
    ("/users/1?p50=0.01&p99=0.1&seed=7", lambda url: lognormal(url, 1, 0.01, 0.1, seed=7)[0]),
    ("/users/1?p50=0.01&p99=0.1&jitter=0.02",  # jitter adds on top of the draw, drawn after it
     lambda url: sum_of(*lognormal(url, 1, 0.01, 0.1), jitter=0.02)),
    ("/users/1?status=503&delay=0.01", 0.01),
    ("/users/1?fault=malformed&delay=0.01", 0.01),
    ("/users/1?fault=slow&delay=0.05", 0.05),  # slow: the seconds the body was dribbled over
    ("/users/99?delay=0.01", 0.01),  # the 404 of a missing resource waits too
    ("/nope", 0.0),  # an unknown path: at once
    ("/users/1?max_concurrent=1&rate_limit=1&rate_window=1", 0.0),
]


@pytest.mark.parametrize(("path", "expected"), LATENCIES, ids=[row[0] for row in LATENCIES])
def test_the_journal_records_the_latency_applied(api, fetch, path, expected) -> None:
    fetch(path)
    [entry] = api.journal()
    want = expected(path) if callable(expected) else expected
    assert entry["latency"] == pytest.approx(want, abs=1e-9)
    assert entry["end"] - entry["start"] >= want - 0.002


def test_the_latency_of_a_route_default_is_scaled(api, fetch) -> None:
    api.configure(seed=0, latency_scale=0.1)
    fetch("/users/1")
    fetch("/payments")
    first, second = api.journal()
    assert (first["latency"], second["latency"]) == (pytest.approx(0.01), pytest.approx(0.03))


def test_a_cancelled_request_keeps_the_latency_the_server_chose(api) -> None:
    async def go() -> None:
        async with aiohttp.ClientSession() as session:
            with pytest.raises(TimeoutError):
                async with asyncio.timeout(0.1):
                    await session.get(api.url + "/users/1?delay=2")
        await api.wait_idle(timeout=5)

    asyncio.run(go())
    [entry] = api.journal()
    assert (entry["outcome"], entry["latency"]) == ("cancelled", 2)
    assert entry["end"] - entry["start"] < 2


# ---- p50/p99: seeded, reproducible, long-tailed --------------------------------------------------

async def gather_paths(api: fakeapi.FakeAPI, paths: list[str]) -> list[int]:
    async with aiohttp.ClientSession() as session:
        async def get(path: str) -> int:
            async with session.get(api.url + path) as r:
                await r.read()
                return r.status

        return await asyncio.gather(*(get(path) for path in paths))


def test_each_request_of_a_url_draws_its_own_latency_by_the_documented_rule(api) -> None:
    url = "/users/1?p50=0.005&p99=0.05"
    asyncio.run(statuses_in_turn(api, url, 5))
    latencies = [e["latency"] for e in api.journal()]
    assert latencies == pytest.approx([lognormal(url, n, 0.005, 0.05)[0] for n in range(1, 6)], abs=1e-12)
    assert len(set(latencies)) == 5


def test_a_batch_gets_the_same_latencies_whatever_order_it_arrives_in(api) -> None:
    paths = [f"/users/{i}?p50=0.002&p99=0.02" for i in range(1, 11)] * 2
    assert asyncio.run(gather_paths(api, paths)) == [200] * 20
    first = sorted((e["path"], e["latency"]) for e in api.journal())
    api.clear_journal()
    asyncio.run(gather_paths(api, paths[::-1]))
    assert sorted((e["path"], e["latency"]) for e in api.journal()) == first


def test_the_draws_have_the_median_and_99th_percentile_asked_for(api) -> None:
    paths = [f"/posts/1?p50=0.002&p99=0.02&seed={i}" for i in range(1000)]
    asyncio.run(gather_paths(api, paths))
    latencies = sorted(e["latency"] for e in api.journal())
    assert len(latencies) == 1000
    assert statistics.median(latencies) == pytest.approx(0.002, rel=0.15)
    assert latencies[989] == pytest.approx(0.02, rel=0.5)  # the 99th percentile, from 1,000 seeded draws
    assert max(latencies) > 3 * statistics.median(latencies)  # a long tail, not a spread around the median


# ---- fail_first / fail_with: fail N times, then answer ------------------------------------------

SCRIPTS = [  # (query, requests sent one after the other, the statuses they get)
    ("fail_first=2", 4, [503, 503, 200, 200]),
    ("fail_first=1&fail_with=500", 3, [500, 200, 200]),
    ("fail_first=3&fail_with=429", 4, [429, 429, 429, 200]),
    ("fail_first=1&fail_with=400", 2, [400, 200]),
    ("fail_first=2&status=418", 3, [503, 503, 418]),  # while it lasts, the script wins over status
    ("fail_first=1&fail_with=404&fault=malformed", 2, [404, 200]),  # and over fault (then malformed: 200)
    ("fail_first=1&fail_with=malformed", 2, [200, 200]),
    ("fail_first=1&fail_with=slow&delay=0.02", 2, [200, 200]),
    ("fail_first=100", 3, [503, 503, 503]),
]


@pytest.mark.parametrize(("query", "n", "statuses"), SCRIPTS, ids=[row[0] for row in SCRIPTS])
def test_a_url_fails_its_first_n_requests_then_answers(api, query, n, statuses) -> None:
    replies = asyncio.run(statuses_in_turn(api, f"/users/1?{query}", n))
    assert [status for status, _, _ in replies] == statuses
    fail_first = int(query.split("&")[0].split("=")[1])
    for nth, (status, headers, raw) in enumerate(replies, 1):
        if nth <= fail_first and status >= 400:
            assert headers["Content-Type"].startswith("application/json")
            assert raw == (b'{"error": "scripted failure: request %d of the first %d to this URL (fail_first=%d)", '
                           b'"status": %d}' % (nth, fail_first, fail_first, status))
    journal = api.journal()
    assert [e["status"] for e in journal] == statuses
    if "fail_with=malformed" in query or "fail_with=slow" in query:
        kind = query.split("fail_with=")[1].split("&")[0]
        assert [e["fault"] for e in journal] == [kind, None]
        assert [e["outcome"] for e in journal] == ["fault", "ok"]


def test_scripted_failures_are_counted_per_url_and_restart_when_the_journal_is_cleared(api) -> None:
    async def one_each() -> list[int]:
        return [(await statuses_in_turn(api, path, 1))[0][0] for path in
                ("/users/1?fail_first=1", "/users/2?fail_first=1", "/users/1?fail_first=1")]

    assert asyncio.run(one_each()) == [503, 503, 200]
    api.clear_journal()
    assert asyncio.run(one_each()) == [503, 503, 200]


def test_a_batch_of_one_url_fails_exactly_n_times_whatever_the_order(api) -> None:
    statuses = asyncio.run(gather_paths(api, ["/users/1?fail_first=3&delay=0.01"] * 10))
    assert sorted(statuses) == [200] * 7 + [503] * 3


def test_a_scripted_close_and_hang_as_the_client_meets_them(api) -> None:
    async def go() -> list[str]:
        seen = []
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=0.3)) as session:
            for path in ("/users/1?fail_first=2&fail_with=close",) * 2 + ("/users/2?fail_first=1&fail_with=hang",) * 2:
                try:
                    async with session.get(api.url + path) as r:
                        await r.read()
                        seen.append(str(r.status))
                except (aiohttp.ClientError, TimeoutError) as exc:
                    seen.append(type(exc).__name__)
        return seen

    # aiohttp retries a GET once by itself when the connection closes under it: one get spends both failures
    assert asyncio.run(go()) == ["ServerDisconnectedError", "200", "TimeoutError", "200"]
    assert [e["fault"] for e in api.journal()] == ["close", "close", None, "hang", None]


def test_a_post_that_fails_by_script_is_still_stored(api, fetch) -> None:
    reply = fetch("/notifications?fail_first=1", "POST", json={"message": "hi"})
    assert reply.status == 503
    assert [n["message"] for n in api.notifications()] == ["hi"]


# ---- rate_limit / rate_window: N per fixed window ----------------------------------------------

def test_over_the_limit_is_a_429_with_retry_after_and_the_headers_count_down(api) -> None:
    replies = asyncio.run(statuses_in_turn(api, "/users/1?rate_limit=3&rate_window=30", 5))
    assert [status for status, _, _ in replies] == [200, 200, 200, 429, 429]
    assert [h["RateLimit-Limit"] for _, h, _ in replies] == ["3"] * 5
    assert [h["RateLimit-Remaining"] for _, h, _ in replies] == ["2", "1", "0", "0", "0"]
    first = api.journal()[0]["start"]
    for (status, headers, _), entry in zip(replies, api.journal()):
        assert headers["RateLimit-Reset"] == str(math.ceil(first + 30 - entry["start"]))
        assert ("Retry-After" in headers) == (status == 429)
    status, headers, raw = replies[3]
    assert headers["Content-Type"].startswith("application/json")
    assert headers["Retry-After"] == headers["RateLimit-Reset"]
    assert raw == (b'{"error": "rate limit: at most 3 requests per 30 s on GET /users/{id}", "status": 429, '
                   b'"retry_after": %s}' % headers["Retry-After"].encode())
    assert [(e["outcome"], e["latency"]) for e in api.journal()][3:] == [("error", 0), ("error", 0)]


def test_retry_after_is_the_rest_of_the_window_in_whole_seconds_rounded_up(api) -> None:
    replies = asyncio.run(statuses_in_turn(api, "/users/1?rate_limit=1&rate_window=2.5", 2))
    first, second = api.journal()
    assert replies[0][1]["RateLimit-Reset"] == "3"  # 2.5 s left at the window's first request
    assert replies[1][1]["Retry-After"] == str(math.ceil(first["start"] + 2.5 - second["start"]))


def test_the_next_window_opens_after_the_last_one_ends(api) -> None:
    path = "/users/1?rate_limit=2&rate_window=0.2"

    async def go() -> list[int]:
        replies = await statuses_in_turn(api, path, 3)
        await asyncio.sleep(0.25)  # one window and a margin: the next request opens a new window
        replies += await statuses_in_turn(api, path, 3)
        return [status for status, _, _ in replies]

    statuses = asyncio.run(go())
    starts = [e["start"] for e in api.journal()]
    assert starts[3] - starts[0] >= 0.2  # the journal proves the second batch came after the window
    assert statuses == [200, 200, 429, 200, 200, 429]


COUNTED_TOGETHER = [  # (two paths sent one after the other with rate_limit=1&rate_window=30, second status)
    ("/users/1", "/users/2", 429),  # the same route pattern: one window
    ("/users/1", "/users/1?delay=0", 429),  # other parameters do not matter
    ("/users/1", "/posts/1", 200),  # another route
    ("/users/1", "/users/1/orders", 200),
]


@pytest.mark.parametrize(("first", "second", "status"), COUNTED_TOGETHER,
                         ids=[f"{a} {b}" for a, b, _ in COUNTED_TOGETHER])
def test_what_is_counted_together(api, first, second, status) -> None:
    def limited(path: str) -> str:
        return path + ("&" if "?" in path else "?") + "rate_limit=1&rate_window=30"

    async def go() -> list[int]:
        return [(await statuses_in_turn(api, limited(path), 1))[0][0] for path in (first, second)]

    assert asyncio.run(go()) == [200, status]


def test_another_limit_on_the_same_route_is_another_window(api) -> None:
    async def go() -> list[int]:
        return [(await statuses_in_turn(api, path, 1))[0][0] for path in
                ("/users/1?rate_limit=1&rate_window=30", "/users/1?rate_limit=2&rate_window=30",
                 "/users/1?rate_limit=1&rate_window=20", "/users/1?rate_limit=1&rate_window=30")]

    assert asyncio.run(go()) == [200, 200, 200, 429]


def test_a_gathered_burst_gets_exactly_the_limit_and_the_journal_shows_it(api) -> None:
    statuses = asyncio.run(gather_paths(api, [f"/users/{i % 10 + 1}?rate_limit=5&rate_window=30" for i in range(20)]))
    assert sorted(statuses) == [200] * 5 + [429] * 15
    assert sum(e["status"] == 200 for e in api.journal()) == 5
    api.clear_journal()  # restarts the windows too
    assert asyncio.run(gather_paths(api, ["/users/1?rate_limit=5&rate_window=30"])) == [200]


def test_rate_headers_go_with_every_answer_of_the_route_and_only_with_them(api) -> None:
    async def go() -> dict[str, dict]:
        headers = {}
        for path in ("/users/99?rate_limit=9&rate_window=30", "/users/1?rate_limit=9&rate_window=30&status=503",
                     "/users/1?rate_limit=9&rate_window=30&fault=slow&delay=0.02",
                     "/users/1?rate_limit=9&rate_window=30&fault=malformed", "/users/1", "/users/1?max_concurrent=1"):
            headers[path] = (await statuses_in_turn(api, path, 1))[0][1]
        return headers

    for path, headers in asyncio.run(go()).items():
        names = {name for name in headers if name.startswith("RateLimit-")}
        assert names == ({"RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"} if "rate_limit" in path
                         else set()), path


def test_max_concurrent_is_about_overlap_and_rate_limit_about_arrivals(api) -> None:
    """Sent one after the other, max_concurrent=1 never refuses; rate_limit=2 refuses the third."""
    in_turn = asyncio.run(statuses_in_turn(api, "/users/1?max_concurrent=1", 4))
    assert [status for status, _, _ in in_turn] == [200] * 4
    rated = asyncio.run(statuses_in_turn(api, "/users/1?rate_limit=2&rate_window=30", 4))
    assert [status for status, _, _ in rated] == [200, 200, 429, 429]
    together = asyncio.run(gather_paths(api, ["/users/1?max_concurrent=1&delay=0.2"] * 3))
    assert sorted(together) == [200, 429, 429]
