"""Middlewares: the journal records every request; chaos adds latency and failures to every route.

Order per request (documented in the README and /openapi.json):
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

from .handlers import NotFound
from .journal import CANCELLED, ERROR, FAULT, OK
from .params import BadParam, parse_delay, parse_fault, parse_float, parse_int, parse_status
from .state import COMMIT_KEY, FAULT_KEY, FORCED_STATUS_KEY, LATENCY_KEY, STATE, State

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


def json_error(status: int, error: str, **extra: object) -> web.Response:
    return web.json_response({"error": error, "status": status, **extra}, status=status)


def route_of(request: web.Request) -> Route | None:
    """The Route this request matched, or None for an unknown path or method."""
    return request.app[STATE].route_by_handler.get(request.match_info.handler)


@web.middleware
async def journal_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    state = request.app[STATE]
    route = state.route_by_handler.get(request.match_info.handler)  # route_of(), with the state at hand
    if route is not None and route.internal:
        return await handler(request)
    journal = state.journal
    entry = journal.open(request.method, request.path, dict(request.query), route.path if route else None)
    try:
        response = await handler(request)
    except asyncio.CancelledError:
        fault = request.get(FAULT_KEY)
        journal.close(entry, FAULT if fault in ("reset", "close") else CANCELLED, None, fault)
        raise
    except web.HTTPException as exc:  # unknown path (404) or method (405), from the router
        response = json_error(exc.status, f"{exc.reason}: {request.method} {request.path}", see="/openapi.json")
    except BaseException:
        journal.close(entry, ERROR, 500)
        raise
    fault = request.get(FAULT_KEY)
    outcome = FAULT if fault else ERROR if response.status >= 400 else OK
    journal.close(entry, outcome, response.status, fault)
    return response


@web.middleware
async def chaos_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    state = request.app[STATE]
    route = state.route_by_handler.get(request.match_info.handler)  # route_of(), with the state at hand
    if route is None or route.internal:
        return await handler(request)
    try:
        chaos = parse_chaos(request, route)
        # Every key read below exists, None until a handler or a fault sets it: request.get() on a
        # missing key raises and catches a KeyError inside, a measurable cost per request (bench/).
        request[FAULT_KEY] = request[COMMIT_KEY] = request[LATENCY_KEY] = request[FORCED_STATUS_KEY] = None
        response = await handler(request)
    except BadParam as exc:
        return web.json_response(exc.as_json(), status=400)
    except NotFound as exc:
        response = json_error(404, str(exc))

    in_flight = state.in_flight_by_route
    if chaos.max_concurrent is not None and in_flight.get(route.path, 0) >= chaos.max_concurrent:
        return web.json_response(
            {"error": f"too many requests in flight on {route.path}: at most {chaos.max_concurrent} at once",
             "status": 429, "retry_after": RETRY_AFTER_SECONDS},
            status=429, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
    in_flight[route.path] = in_flight.get(route.path, 0) + 1
    try:
        return await _answer(request, route, chaos, response, state)
    finally:
        in_flight[route.path] -= 1


async def _answer(request: web.Request, route: Route, chaos: Chaos, response: web.Response,
                  state: State) -> web.StreamResponse:
    if chaos.delay is not None:
        latency = chaos.delay
    else:
        latency = request[LATENCY_KEY]
        if latency is None:
            latency = route.latency * state.latency_scale
    rng = _draws(request, chaos) if (chaos.jitter or chaos.fail_rate) else None
    if chaos.jitter:
        latency += rng.uniform(0.0, chaos.jitter)

    if chaos.fault == "slow":
        request[FAULT_KEY] = "slow"
        stream = await _dribble(request, response, latency)
        _commit(request, response)  # the latency was spent dribbling: a slow POST is still stored
        return stream
    if latency > 0:
        await asyncio.sleep(latency)
    _commit(request, response)

    if chaos.fault is not None:
        request[FAULT_KEY] = chaos.fault
        return await _fault(request, chaos.fault, response)
    forced = chaos.status if chaos.status is not None else request[FORCED_STATUS_KEY]
    if forced is not None:
        return _forced(forced)
    if chaos.fail_rate and rng.random() < chaos.fail_rate:
        return json_error(500, f"injected failure (fail_rate={chaos.fail_rate:g})")
    return response


def _commit(request: web.Request, response: web.Response) -> None:
    """Store a POST's side effect (set by its handler) once the latency has passed."""
    commit = request[COMMIT_KEY]
    if commit is not None and response.status < 400:
        commit()


def _draws(request: web.Request, chaos: Chaos) -> random.Random:
    """Random draws that depend only on the seed, the URL and how often that URL was seen.

    So a batch gives the same failures whatever order its requests arrive in, and a retry of
    the same URL draws again. DELETE /_journal restarts the count.
    """
    state = request.app[STATE]
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
        return json_error(code, f"forced status {code} ({phrase})")
    return web.json_response({"status": code, "message": phrase}, status=code)


async def _fault(request: web.Request, fault: str, response: web.Response) -> web.StreamResponse:
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


async def _dribble(request: web.Request, response: web.Response, seconds: float) -> web.StreamResponse:
    """fault=slow: headers at once, then the body in SLOW_CHUNKS pieces spread over `seconds`."""
    body = response.body if isinstance(response.body, bytes) else b""
    stream = web.StreamResponse(status=response.status, headers={"Content-Type": "application/json"})
    stream.content_length = len(body)
    await stream.prepare(request)
    size = max(1, -(-len(body) // SLOW_CHUNKS))
    for start in range(0, len(body), size):
        await asyncio.sleep(seconds / SLOW_CHUNKS)
        await stream.write(body[start:start + size])
    return stream
