"""Shared fixtures for the fakeapi tests: one server per test session, a clean slate per test."""

from __future__ import annotations

import asyncio
import json
from typing import Any, Callable, Iterator, NamedTuple

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
    server.reset()
    return server


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
