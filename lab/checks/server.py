"""The checks' own fakeapi server, and the client sessions a check hands the learner's function.

The checks' server is separate from the learner's (`fakeapi.start()`): it is started once per
process with a fixed seed and latency scale, and has its own journal and notifications, so a
check never changes the learner's server, and nothing the learner left running there (a hanging
request, `latency_scale=0`, another seed) can change a verdict.
"""

from __future__ import annotations

import atexit
import threading
from collections.abc import Callable, Mapping
from typing import Any

import aiohttp
from yarl import URL

import fakeapi

SEED = 0  # the checks' server: the same data and draws for every learner
LATENCY_SCALE = 1.0  # and the routes' documented latencies, whatever the learner's server is set to
IDLE_WAIT = 1.0  # seconds a check waits for requests an earlier answer left on the checks' server

_server: fakeapi.FakeAPI | None = None
_server_lock = threading.Lock()


def check_server() -> fakeapi.FakeAPI:
    """The checks' own fakeapi server, started on first use (seed SEED, latency scale LATENCY_SCALE)."""
    global _server
    with _server_lock:
        if _server is None or not _server.running:
            _server = fakeapi.FakeAPI(seed=SEED, latency_scale=LATENCY_SCALE)
        return _server


async def idle_check_server(timeout: float = IDLE_WAIT) -> fakeapi.FakeAPI:
    """The checks' server, idle: if a request an earlier answer left behind (a thread still hanging on
    it, say) has not ended within `timeout` seconds, that server is stopped (ending the leftover) and a
    fresh one takes its place. For code that needs an idle server, such as the playground's run_batch."""
    global _server
    api = check_server()
    try:
        await api.wait_idle(timeout)
        return api
    except TimeoutError:
        pass
    with _server_lock:
        if _server is api:
            _server = None
    api.stop()
    return check_server()


@atexit.register
def _stop_check_server() -> None:
    if _server is not None:
        _server.stop()


def check_session(params: Mapping[str, Mapping[str, str]] | None = None,
                  on_request: Callable[[aiohttp.ClientRequest], None] | None = None,
                  **session_args: Any) -> aiohttp.ClientSession:
    """A ClientSession whose requests to the paths in `params` carry those query parameters.

    check_session({"/users/4": {"delay": "0.3"}}) fixes the latency of GET /users/4 however the
    learner writes the request (session.get, session.request("GET", ...), a URL or params=...).
    A parameter the request already carries is left as it is (reference fetches ask for delay=0).
    The journal shows the parameters, so a hint can always say what was asked of the server.
    """
    table = {path: dict(p) for path, p in (params or {}).items()}

    async def add_params(request: aiohttp.ClientRequest, handler: Any) -> aiohttp.ClientResponse:
        if on_request is not None:
            on_request(request)
        extra = {k: v for k, v in table.get(request.url.path, {}).items() if k not in request.url.query}
        if extra:
            request.url = request.url.update_query(extra)
        return await handler(request)

    return aiohttp.ClientSession(middlewares=(add_params,), **session_args)


async def reference_json(session: aiohttp.ClientSession, url: str) -> Any:
    """The JSON body the checks' server gives for url, fetched at once (delay=0), to compare answers with."""
    async with session.get(URL(url).update_query(delay="0")) as response:
        response.raise_for_status()
        return await response.json()
