"""Around every resource route: the journal records the request; chaos adds latency and failures.

Order per request (documented in docs/fakeapi.md):
1. parameters are checked (400 at once, naming the parameter);
2. `max_concurrent`: too many in flight on the route -> 429 with Retry-After;
3. the latency passes (`delay`, or the route's default times latency_scale, plus `jitter`);
   a POST's side effect is stored here;
4. the answer: `fault` first, then a forced `status`, then `fail_rate`, else the resource.
"""

from __future__ import annotations

import asyncio
import random
import socket
import struct
from dataclasses import dataclass
from http import HTTPStatus
from typing import TYPE_CHECKING, Awaitable, Callable

from aiohttp import web

from .handlers import Answer, NotFound, error
from .journal import CANCELLED, ERROR, FAULT, OK
from .params import BadParam, parse_delay, parse_fault, parse_float, parse_int, parse_status
from .state import STATE, State

if TYPE_CHECKING:
    from .app import Route

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

CHAOS_PARAMS = ("delay", "jitter", "seed", "status", "fail_rate", "fault", "max_concurrent")
RETRY_AFTER_SECONDS = 1
NO_BODY_STATUSES = (204, 205, 304)
SLOW_CHUNKS = 10


@dataclass(slots=True)
class Chaos:
    delay: float | None = None
    jitter: float = 0.0
    seed: int | None = None
    status: int | None = None
    fail_rate: float = 0.0
    fault: str | None = None
    max_concurrent: int | None = None
    draws: random.Random | None = None  # one stream per request, for jitter then fail_rate


NO_CHAOS = Chaos()  # a request with no query string: shared, never changed


def parse_chaos(request: web.Request, route: Route) -> Chaos:
    chaos = Chaos()
    for name, raw in request.query.items():
        if name == "delay":
            chaos.delay = parse_delay(raw)
        elif name == "jitter":
            chaos.jitter = parse_float("jitter", raw, 0.0, 10.0, " (seconds)")
        elif name == "seed":
            chaos.seed = parse_int("seed", raw, 0, 2**63 - 1)
        elif name == "status":
            chaos.status = parse_status(raw)
        elif name == "fail_rate":
            chaos.fail_rate = parse_float("fail_rate", raw, 0.0, 1.0)
        elif name == "fault":
            chaos.fault = parse_fault(raw)
        elif name == "max_concurrent":
            chaos.max_concurrent = parse_int("max_concurrent", raw, 1, 100_000)
        elif name not in route.params:
            allowed = sorted([*route.params, *CHAOS_PARAMS])
            raise BadParam(name, f"unknown parameter {name!r} for {route.method} {route.path}", allowed)
    return chaos


def observed(route: Route, state: State) -> Handler:
    """The handler aiohttp runs for one resource route: the resource, inside the journal and the chaos.

    One coroutine per request, no middleware: the journal and the chaos cost a few microseconds
    per request (bench/fakeapi_bench.py measures it against a bare aiohttp server).
    """
    handler, path = route.handler, route.path

    async def observe(request: web.Request) -> web.StreamResponse:
        journal = state.journal
        entry = journal.open(request.method, request.path, request.query_string, path)
        fault = None  # the fault actually injected, once it is
        try:
            try:
                chaos = parse_chaos(request, route) if request.query_string else NO_CHAOS
                response = await handler(request)
                if chaos.jitter or chaos.fail_rate:
                    chaos.draws = _draws(request, chaos, state)
            except BadParam as exc:  # at once, before any latency
                journal.close(entry, ERROR, 400)
                return web.json_response(exc.as_json(), status=400)
            except NotFound as exc:
                response = error(404, str(exc))

            in_flight = state.in_flight_by_route
            if chaos.max_concurrent is not None and in_flight.get(path, 0) >= chaos.max_concurrent:
                response = error(429, f"too many requests in flight on {path}: at most {chaos.max_concurrent} at once",
                                 retry_after=RETRY_AFTER_SECONDS)
                response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
            else:
                in_flight[path] = in_flight.get(path, 0) + 1
                try:
                    if chaos.fault is None:  # the common case, inline: wait, store, then answer
                        latency = _latency(route, chaos, response, state)
                        if latency > 0:
                            await asyncio.sleep(latency)
                        _commit(response)
                        forced = chaos.status if chaos.status is not None else response.forced_status
                        if forced is not None:
                            response = _forced(forced)
                        elif chaos.fail_rate and chaos.draws.random() < chaos.fail_rate:
                            response = error(500, f"injected failure (fail_rate={chaos.fail_rate:g})")
                    else:
                        latency = _latency(route, chaos, response, state)
                        if chaos.fault != "slow":  # reset, close, malformed, hang: after the latency
                            if latency > 0:
                                await asyncio.sleep(latency)
                            _commit(response)
                        fault = chaos.fault  # injected from here on (slow: the latency is the dribbling)
                        response = await _fault(request, fault, response, latency)
                finally:
                    in_flight[path] -= 1
        except asyncio.CancelledError:
            journal.close(entry, FAULT if fault in ("reset", "close") else CANCELLED, None, fault)
            raise
        except BaseException:
            journal.close(entry, ERROR, 500, fault)
            raise
        journal.close(entry, FAULT if fault else ERROR if response.status >= 400 else OK, response.status, fault)
        return response

    return observe


async def unknown_route(request: web.Request) -> web.Response:
    """Every path and method the route table does not know: 404 (or 405 naming the methods), journaled."""
    state = request.app[STATE]
    entry = state.journal.open(request.method, request.path, request.query_string, None)
    allowed = sorted({r.method for r in state.routes if r.matches(request.path)})
    if allowed:
        response = error(405, f"Method Not Allowed: {request.method} {request.path}", allowed=allowed,
                         see="/openapi.json")
        response.headers["Allow"] = ", ".join(allowed)
    else:
        response = error(404, f"Not Found: {request.method} {request.path}", see="/openapi.json")
    state.journal.close(entry, ERROR, response.status)
    return response


def _latency(route: Route, chaos: Chaos, response: Answer, state: State) -> float:
    if chaos.delay is not None:
        latency = chaos.delay
    elif response.latency is not None:
        latency = response.latency
    else:
        latency = route.latency * state.latency_scale
    if chaos.jitter:
        latency += chaos.draws.uniform(0.0, chaos.jitter)
    return latency


def _commit(response: Answer) -> None:
    """Store a POST's side effect (set by its handler) once the latency has passed, unless it failed."""
    if response.commit is not None and response.status < 400:
        response.commit()


def _draws(request: web.Request, chaos: Chaos, state: State) -> random.Random:
    """Random draws that depend only on the seed, the URL and how often that URL was seen.

    So a batch gives the same failures whatever order its requests arrive in, and a retry of
    the same URL draws again. DELETE /_journal restarts the count. A request makes one stream:
    jitter draws from it first, then fail_rate.
    """
    seed = chaos.seed if chaos.seed is not None else state.seed
    key = f"{seed}|{request.method} {request.path_qs}"
    nth = state.draws.get(key, 0) + 1
    state.draws[key] = nth
    return random.Random(f"{key}|{nth}")


def _forced(code: int) -> web.Response:
    if code in NO_BODY_STATUSES:
        return web.Response(status=code)
    try:
        phrase = HTTPStatus(code).phrase
    except ValueError:
        phrase = "Unassigned status"
    if code >= 400:
        return error(code, f"forced status {code} ({phrase})")
    return web.json_response({"status": code, "message": phrase}, status=code)


async def _fault(request: web.Request, fault: str, response: Answer, latency: float) -> web.StreamResponse:
    if fault == "slow":
        stream = await _dribble(request, response, latency)
        _commit(response)  # the latency was spent dribbling: a slow POST is still stored
        return stream
    transport = request.transport
    if fault == "malformed":
        body = response.body if isinstance(response.body, bytes) else b'{"id": 1}'
        return web.Response(body=body[: max(1, len(body) // 2)], status=200, content_type="application/json")
    if fault == "reset" and transport is not None:
        # SO_LINGER 0 makes close() send RST; a plain abort() looks like a clean EOF to the client.
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
    elif fault == "close" and transport is not None:
        transport.close()
    # reset and close: the connection is gone and handler cancellation ends this handler;
    # hang: no answer until the client gives up (or the server stops).
    await asyncio.Future()
    raise AssertionError("unreachable")


class _Dribble(web.StreamResponse):
    """A streamed answer whose last piece goes out with write_eof, after the handler returned.

    So, as for every other answer, the journal records the end before the client can have it all.
    """

    tail = b""

    async def write_eof(self, data: bytes = b"") -> None:
        await super().write_eof(self.tail + data)


async def _dribble(request: web.Request, response: web.Response, seconds: float) -> web.StreamResponse:
    """fault=slow: headers at once, then the body in SLOW_CHUNKS pieces spread over `seconds`."""
    body = response.body if isinstance(response.body, bytes) else b""
    stream = _Dribble(status=response.status, headers={"Content-Type": "application/json"})
    stream.content_length = len(body)
    await stream.prepare(request)
    size = max(1, -(-len(body) // SLOW_CHUNKS))
    pieces = [body[start:start + size] for start in range(0, len(body), size)]
    for piece in pieces[:-1]:
        await asyncio.sleep(seconds / SLOW_CHUNKS)
        await stream.write(piece)
    await asyncio.sleep(seconds / SLOW_CHUNKS)
    stream.tail = pieces[-1] if pieces else b""
    return stream
