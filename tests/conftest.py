"""Shared fixtures for the fakeapi tests: one server per test session, a clean slate per test, no stray start()."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, NamedTuple

import aiohttp
import pytest

import fakeapi


class Reply(NamedTuple):
    status: int
    headers: dict[str, str]
    body: Any  # the JSON body; None when empty; the raw bytes when not JSON


@pytest.fixture(scope="session")
def server() -> Iterator[fakeapi.FakeAPI]:
    with fakeapi.FakeAPI(latency_scale=0) as api:
        yield api


@pytest.fixture
def api(server: fakeapi.FakeAPI) -> fakeapi.FakeAPI:
    """The session's server, instant (latency_scale=0), seed 0, empty journal and notifications."""
    server.configure(seed=0, latency_scale=0)
    server.clear_journal_and_notifications()
    return server


@pytest.fixture
def no_current() -> Iterator[None]:
    """No fakeapi.start() server before the test; whatever it starts is stopped after.

    A server left by an earlier test in this worker (an exercise test's "learner's server", say) is stopped
    first, through the public handle: the test starts from none, as a fresh process would.
    """
    left = fakeapi.current()
    if left is not None:
        left.stop()
    assert fakeapi.current() is None
    yield
    started = fakeapi.current()
    if started is not None:
        started.stop()


@pytest.fixture
def fetch(api: fakeapi.FakeAPI) -> Callable[..., Reply]:
    """fetch("/users/1") -> Reply(status, headers, JSON body): one request, from a plain test function."""

    def fetch(path: str, method: str = "GET", **kwargs: Any) -> Reply:
        async def go() -> Reply:
            async with aiohttp.ClientSession() as session:
                async with session.request(method, api.url + path, allow_redirects=False, **kwargs) as r:
                    raw = await r.read()
                    try:
                        body = json.loads(raw) if raw else None
                    except ValueError:
                        body = raw  # fault=malformed
                    return Reply(r.status, dict(r.headers), body)

        return asyncio.run(go())

    return fetch


IN_FLIGHT_TIMEOUT = 5.0  # seconds: a request that never reaches the server fails the test, it does not hang it


@pytest.fixture
def until_in_flight(api: fakeapi.FakeAPI) -> Callable[[int], Awaitable[None]]:
    """await until_in_flight(n): until the server has n requests in flight; fails after IN_FLIGHT_TIMEOUT."""

    async def until_in_flight(n: int, timeout: float = IN_FLIGHT_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while (seen := api.stats()["in_flight"]) < n:
            if time.monotonic() > deadline:
                pytest.fail(f"the server had {seen} requests in flight after {timeout} s, not {n}")
            await asyncio.sleep(0.01)

    return until_in_flight
