"""A request's life on a resource route: the journal opens, the chaos applies, the answer goes out.

`serve_resource(route, state)` builds the one handler aiohttp runs for a resource route. Per
request (documented in docs/fakeapi.md):

1. the journal opens an entry;
2. parameters are checked (400 at once, naming the parameter: unknown, repeated or malformed);
   the route's handler looks the resource up: a missing one is the 404 the chaos then applies to;
3. the URL's count goes up (seeded draws, `fail_first`); `rate_limit`: over the window's limit ->
   429 with Retry-After, at once; `max_concurrent`: too many in flight on the route -> 429, at once;
4. the latency passes (`delay`, or a draw of `p50`/`p99`, or the handler's own, or the route's
   default times latency_scale; plus `jitter`); a POST's side effect is stored here;
5. the answer: a scripted failure (`fail_first`) first, then `fault`, then a forced `status`,
   then `fail_rate`, else the resource;
6. the journal closes the entry with the status the client gets (or `cancelled` / `fault`) and
   the latency applied.

No middleware: one coroutine per request, so the journal and the chaos cost a few microseconds
(bench/fakeapi_bench.py measures it against a bare aiohttp server).
`unknown_route` answers every path and method the table does not know; `serve_control`
wraps the control routes (no journal, no chaos, the same JSON errors).
"""

from __future__ import annotations

import asyncio
import logging
import math
import random

from aiohttp import web

from .answers import Answer, BadParam, NotFound, bad_param, error, forced, from_http_exception
from .faults import inject_fault
from .journal import CANCELLED, ERROR, FAULT, OK
from .params import MAX_DELAY, NO_CHAOS, PLACEHOLDER_RE, Chaos, check_query, parse_chaos
from .state import STATE, State
from .typedefs import Handler, Route

RETRY_AFTER_SECONDS = 1
Z99 = 2.3263478740408408  # the standard normal's 99th percentile: NormalDist().inv_cdf(0.99)
DEFAULT_FAILURE = 503
logger = logging.getLogger("fakeapi")


def serve_resource(route: Route, state: State) -> Handler:
    """The handler aiohttp runs for one resource route: the resource, inside the journal and the chaos."""
    handler, path, journal = route.handler, route.path, state.journal
    in_flight = state.in_flight_by_route
    in_flight[path] = 0

    async def serve_request(request: web.Request) -> web.StreamResponse:
        entry = journal.open(request.method, request.path, request.query_string, path)
        fault = None  # the fault actually injected, once it is
        try:
            try:
                chaos = parse_chaos(request, route) if request.query_string else NO_CHAOS
                response = await handler(request)
            except NotFound as exc:  # the chaos applies to a 404 as to any answer
                response = error(404, str(exc))
            except BadParam as exc:  # at once, before any latency
                response = bad_param(exc)
                entry.latency = 0.0
                journal.close(entry, ERROR, response.status)
                return response
            except web.HTTPException as exc:  # raised by aiohttp inside the handler: at once too
                response = from_http_exception(exc)
                entry.latency = 0.0
                journal.close(entry, ERROR, response.status)
                return response

            nth, rng = 0, None
            if chaos.jitter or chaos.fail_rate or chaos.p50 is not None or chaos.fail_first is not None:
                nth, rng = random_stream(request, chaos, state)
            scripted = chaos.fail_first is not None and nth <= chaos.fail_first
            failure = (chaos.fail_with if chaos.fail_with is not None else DEFAULT_FAILURE) if scripted else None
            rate_headers = _rate_limit(route, chaos, state, entry.start) if chaos.rate_limit is not None else None
            if rate_headers is not None and "Retry-After" in rate_headers:
                entry.latency = 0.0
                response = error(429, f"rate limit: at most {chaos.rate_limit} requests per {chaos.rate_window:g} s "
                                      f"on {route.method} {path}", retry_after=int(rate_headers["Retry-After"]))
            elif chaos.max_concurrent is not None and in_flight[path] >= chaos.max_concurrent:
                entry.latency = 0.0
                response = error(429, f"too many requests in flight on {path}: at most {chaos.max_concurrent} at once",
                                 retry_after=RETRY_AFTER_SECONDS)
                response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
            else:
                in_flight[path] += 1
                try:
                    latency = entry.latency = _latency(route, chaos, response, state, rng)
                    fault_name = (failure if isinstance(failure, str) else None) if scripted else chaos.fault
                    if fault_name is None:  # the common case, inline: wait, store, then answer
                        if latency > 0:
                            await asyncio.sleep(latency)
                        _commit(response)
                        code = chaos.status if chaos.status is not None else response.forced_status
                        if scripted:
                            response = error(failure, f"scripted failure: request {nth} of the first "
                                                      f"{chaos.fail_first} to this URL (fail_first={chaos.fail_first})")
                        elif code is not None:
                            response = forced(code)
                        elif chaos.fail_rate and rng.random() < chaos.fail_rate:
                            response = error(500, f"injected failure (fail_rate={chaos.fail_rate:g})")
                    else:
                        if fault_name != "slow":  # reset, close, malformed, hang: after the latency
                            if latency > 0:
                                await asyncio.sleep(latency)
                            _commit(response)
                        elif rate_headers is not None:  # slow sends its headers first: these go with them
                            response.headers.update(rate_headers)
                        fault = fault_name  # injected from here on (slow: the latency is the dribbling)
                        response = await inject_fault(request, fault, response, latency, _commit)
                finally:
                    in_flight[path] -= 1
        except asyncio.CancelledError:
            journal.close(entry, FAULT if fault in ("reset", "close") else CANCELLED, None, fault)
            raise
        except ConnectionError:  # the client left while a slow body was being written
            journal.close(entry, CANCELLED, None, fault)
            return web.Response(status=204)  # never sent: the connection is gone
        except Exception:  # a bug in fakeapi: one log record, a JSON 500, journaled as sent
            logger.exception("fakeapi: unexpected error answering %s %s", request.method, request.path_qs)
            journal.close(entry, ERROR, 500, fault)
            return error(500, f"fakeapi failed answering {request.method} {request.path} (a bug in fakeapi)")
        if rate_headers is not None and not response.prepared:
            response.headers.update(rate_headers)
        journal.close(entry, FAULT if fault else ERROR if response.status >= 400 else OK, response.status, fault)
        return response

    return serve_request


def serve_control(route: Route) -> Handler:
    """A control route: no journal, no chaos; its bad parameters answer the same JSON 400."""
    handler = route.handler

    async def serve_control_request(request: web.Request) -> web.StreamResponse:
        try:
            if request.query_string:
                check_query(request, route)
            return await handler(request)
        except BadParam as exc:
            return bad_param(exc)
        except web.HTTPException as exc:
            return from_http_exception(exc)

    return serve_control_request


async def unknown_route(request: web.Request) -> web.Response:
    """Every path and method the route table does not know: 404 (or 405 naming the methods), journaled."""
    state = request.app[STATE]
    entry = state.journal.open(request.method, request.path, request.query_string, None)
    placeholder = PLACEHOLDER_RE.search(request.path)
    allowed = sorted({r.method for r in state.routes if r.matches(request.path)})
    if placeholder is not None:
        response = error(404, f"Not Found: {request.method} {request.path} has a literal {placeholder.group(0)} "
                              f"in its path: did you forget the f of an f-string? "
                              f"f\"...{placeholder.group(0)}\" puts the value there", see="/openapi.json")
    elif allowed:
        response = error(405, f"Method Not Allowed: {request.method} {request.path}", allowed=allowed,
                         see="/openapi.json")
        response.headers["Allow"] = ", ".join(allowed)
    else:
        response = error(404, f"Not Found: {request.method} {request.path}", see="/openapi.json")
    entry.latency = 0.0
    state.journal.close(entry, ERROR, response.status)
    return response


def _latency(route: Route, chaos: Chaos, response: Answer, state: State, rng: random.Random | None) -> float:
    if chaos.delay is not None:
        latency = chaos.delay
    elif chaos.p50 is not None:  # lognormal: median p50, 99th percentile p99 (p99 == p50: always p50)
        sigma = math.log(chaos.p99 / chaos.p50) / Z99
        latency = min(rng.lognormvariate(math.log(chaos.p50), sigma), MAX_DELAY)
    elif response.latency is not None:
        latency = response.latency
    else:
        latency = route.latency * state.latency_scale
    if chaos.jitter:
        latency += rng.uniform(0.0, chaos.jitter)
    return latency


def _commit(response: web.Response) -> None:
    """Store a POST's side effect (set by its handler) once the latency has passed, unless it failed."""
    commit = getattr(response, "commit", None)
    if commit is not None and response.status < 400:
        commit()


def random_stream(request: web.Request, chaos: Chaos, state: State) -> tuple[int, random.Random]:
    """How often this URL was seen (this request included), and the random draws of this request.

    The draws depend only on the seed, the URL and that count. So a batch gives the same failures
    whatever order its requests arrive in, and a retry of the same URL draws again; fail_first
    reads the same count. DELETE /_journal restarts it. The p50/p99 draw comes first, then
    jitter, then fail_rate.
    """
    seed = chaos.seed if chaos.seed is not None else state.seed
    key = f"{seed}|{request.method} {request.path_qs}"
    nth = state.url_counts.get(key, 0) + 1
    state.url_counts[key] = nth
    return nth, random.Random(f"{key}|{nth}")


def _rate_limit(route: Route, chaos: Chaos, state: State, now: float) -> dict[str, str]:
    """Count this request in its fixed window; the RateLimit-* headers (and Retry-After when it is over).

    One window per route pattern, method and (rate_limit, rate_window) pair; it opens at the
    first request it counts and lasts rate_window seconds. A refused request is not counted.
    """
    key = (route.method, route.path, chaos.rate_limit, chaos.rate_window)
    window = state.rate_windows.get(key)
    if window is None or now >= window[0] + chaos.rate_window:
        window = state.rate_windows[key] = [now, 0]
    over = window[1] >= chaos.rate_limit
    if not over:
        window[1] += 1
    reset = max(1, math.ceil(window[0] + chaos.rate_window - now))  # whole seconds, rounded up
    headers = {"RateLimit-Limit": str(chaos.rate_limit), "RateLimit-Remaining": str(chaos.rate_limit - window[1]),
               "RateLimit-Reset": str(reset)}
    if over:
        headers["Retry-After"] = str(reset)
    return headers
