"""A request's life on a resource route, as named stages in a fixed order.

`serve_resource(route, state)` builds the one coroutine aiohttp runs for a resource route;
`serve_request`, inside it, calls the stages in the order docs/fakeapi.md gives:

1. open: the journal opens an entry;
2. `read_request`: the parameters are checked (a 400 at once, naming the parameter: unknown,
   repeated or malformed), then the route's handler looks the resource up (a missing one is the
   404 the chaos then applies to);
3. `admit`: the URL's count goes up (seeded draws, `fail_first`); `rate_limit`: over the window's
   limit -> 429 with Retry-After, at once; `max_concurrent`: too many in flight on the route -> 429;
4. `wait_and_answer`, in flight on the route: the latency passes (`delay`, or a draw of `p50`/`p99`,
   or the handler's own, or the route's default times latency_scale; plus `jitter`); a POST's side
   effect is stored;
5. ... and the answer is chosen (`choose_answer`): a scripted failure (`fail_first`) first, then
   `fault`, then a forced `status`, then `fail_rate`, else the resource;
6. close: the journal closes the entry with the status the client gets (or `cancelled` / `fault`)
   and the latency applied.

A request without a query string asks for no chaos: stage 3 has nothing to do, and
`wait_plainly` does stages 4 and 5. No middleware: one coroutine per request, so the journal and
the chaos cost a few microseconds (bench/fakeapi_bench.py measures it against a bare aiohttp server).
`unknown_route` answers every path and method the table does not know; `serve_control`
wraps the control routes (no journal, no chaos, the same JSON errors).
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
from typing import NamedTuple

from aiohttp import web

from .answers import BadParam, NotFound, bad_param, error, forced, from_http_exception
from .faults import inject_fault
from .journal import CANCELLED, ERROR, FAULT, OK, Entry
from .params import MAX_DELAY, NO_CHAOS, PLACEHOLDER_RE, Chaos, check_query, parse_chaos
from .state import STATE, State
from .typedefs import Answer, Route, Served

RETRY_AFTER_SECONDS = 1
Z99 = 2.3263478740408408  # the standard normal's 99th percentile: NormalDist().inv_cdf(0.99)
DEFAULT_FAILURE = 503
CONNECTION_FAULTS = ("reset", "close")  # a client cut off by these was not cancelled: its outcome is fault
logger = logging.getLogger("fakeapi")


def serve_resource(route: Route, state: State) -> Served:
    """The coroutine aiohttp runs for one resource route: the resource, inside the journal and the chaos."""
    journal = state.journal
    state.in_flight_by_route[route.path] = 0

    async def serve_request(request: web.Request) -> web.StreamResponse:
        entry = journal.open(request.method, request.path, request.query_string, route.path)  # 1
        try:
            try:
                chaos, answer = await read_request(request, route)  # 2
            except Refused as refused:  # at once, before any latency
                entry.latency = 0.0
                journal.close(entry, ERROR, refused.answer.status)
                return refused.answer
            response: web.StreamResponse
            if chaos is NO_CHAOS:
                response = await wait_plainly(route, state, answer, entry)  # 4, 5
            else:
                response = await with_chaos(request, route, state, chaos, answer, entry)  # 3, 4, 5
        except asyncio.CancelledError:
            journal.close(entry, FAULT if entry.fault in CONNECTION_FAULTS else CANCELLED, None)
            raise
        except ConnectionError:  # the client left while a slow body was being written
            journal.close(entry, CANCELLED, None)
            return web.Response(status=204)  # never sent: the connection is gone
        except Exception:  # a bug in fakeapi: one log record, a JSON 500, journaled as sent
            logger.exception("fakeapi: unexpected error answering %s %s", request.method, request.path_qs)
            journal.close(entry, ERROR, 500)
            return error(500, f"fakeapi failed answering {request.method} {request.path} (a bug in fakeapi)")
        journal.close(entry, FAULT if entry.fault else ERROR if response.status >= 400 else OK, response.status)  # 6
        return response

    return serve_request


class Refused(Exception):
    """A request answered at once, before any chaos: a bad parameter, or an HTTP error aiohttp raised."""

    def __init__(self, answer: Answer) -> None:
        super().__init__(answer.status)
        self.answer = answer


async def read_request(request: web.Request, route: Route) -> tuple[Chaos, Answer]:
    """Stage 2: the chaos asked for, then the route's handler; Refused for a 400 or an error aiohttp raised."""
    try:
        chaos = parse_chaos(request, route) if request.query_string else NO_CHAOS
        return chaos, await route.handler(request)
    except NotFound as exc:  # the chaos applies to a 404 as to any answer
        return chaos, error(404, str(exc))
    except BadParam as exc:
        raise Refused(bad_param(exc)) from None
    except web.HTTPException as exc:  # raised by aiohttp inside the handler (a body too large, ...)
        raise Refused(from_http_exception(exc)) from None


async def wait_plainly(route: Route, state: State, answer: Answer, entry: Entry) -> Answer:
    """Stages 4 and 5 without chaos: the latency passes (in flight on the route), the side effect, the answer."""
    latency = entry.latency = _latency(route, NO_CHAOS, answer, state, None)
    if latency > 0:  # without a wait nothing can see the route's in-flight count: no need to keep it
        in_flight = state.in_flight_by_route
        in_flight[route.path] += 1
        try:
            await asyncio.sleep(latency)
        finally:
            in_flight[route.path] -= 1
    commit(answer)
    return answer if answer.forced_status is None else forced(answer.forced_status)


class Draws(NamedTuple):
    """What stage 3 counted for one request."""

    nth: int  # how often this URL was seen, this request included (0: not counted, no seeded parameter)
    rng: random.Random | None  # this request's seeded draws
    rate_headers: dict[str, str] | None  # with rate_limit: the RateLimit-* headers every answer carries


NOT_COUNTED = Draws(0, None, None)


async def with_chaos(request: web.Request, route: Route, state: State, chaos: Chaos, answer: Answer,
                     entry: Entry) -> web.StreamResponse:
    """Stages 3 to 5 for a request with a query string."""
    draws, refusal = admit(request, route, state, chaos, entry)
    response = refusal if refusal is not None else await wait_and_answer(request, route, state, chaos, draws,
                                                                         answer, entry)
    if draws.rate_headers is not None and not response.prepared:
        response.headers.update(draws.rate_headers)
    return response


def admit(request: web.Request, route: Route, state: State, chaos: Chaos, entry: Entry) -> tuple[Draws, Answer | None]:
    """Stage 3: count the URL and the rate window; a 429 at once (latency 0) when over a limit, else None."""
    draws = NOT_COUNTED
    if chaos.seeded:
        draws = Draws(*random_stream(request, chaos, state), None)
    if chaos.rate_limit is not None:
        headers = _rate_limit(route, chaos, state, entry.start)
        draws = draws._replace(rate_headers=headers)
        if "Retry-After" in headers:
            entry.latency = 0.0
            return draws, error(429, f"rate limit: at most {chaos.rate_limit} requests per {chaos.rate_window:g} s "
                                     f"on {route.method} {route.path}", retry_after=int(headers["Retry-After"]))
    if chaos.max_concurrent is not None and state.in_flight_by_route[route.path] >= chaos.max_concurrent:
        entry.latency = 0.0
        refusal = error(429, f"too many requests in flight on {route.path}: at most {chaos.max_concurrent} at once",
                        retry_after=RETRY_AFTER_SECONDS)
        refusal.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return draws, refusal
    return draws, None


async def wait_and_answer(request: web.Request, route: Route, state: State, chaos: Chaos, draws: Draws,
                          answer: Answer, entry: Entry) -> web.StreamResponse:
    """Stages 4 and 5, in flight on the route: the latency passes, the side effect is stored, the answer is
    chosen; or a fault takes the answer's place (`slow` spends the latency dribbling it)."""
    scripted = chaos.fail_first is not None and draws.nth <= chaos.fail_first
    failure = (chaos.fail_with if chaos.fail_with is not None else DEFAULT_FAILURE) if scripted else None
    fault = (failure if isinstance(failure, str) else None) if scripted else chaos.fault
    in_flight = state.in_flight_by_route
    in_flight[route.path] += 1
    try:
        latency = entry.latency = _latency(route, chaos, answer, state, draws.rng)
        if fault != "slow":  # every answer but slow's goes out after the latency
            if latency > 0:
                await asyncio.sleep(latency)
            commit(answer)
            if fault is None:
                return choose_answer(chaos, draws, failure, answer)
        elif draws.rate_headers is not None:  # slow sends its headers first: these go with them
            answer.headers.update(draws.rate_headers)
        entry.fault = fault  # injected from here on
        return await inject_fault(request, fault, answer, latency, commit)
    finally:
        in_flight[route.path] -= 1


def choose_answer(chaos: Chaos, draws: Draws, failure: int | str | None, answer: Answer) -> Answer:
    """Stage 5 without a fault: a scripted failure, else a forced status, else a fail_rate draw, else the answer."""
    if failure is not None:
        return error(int(failure), f"scripted failure: request {draws.nth} of the first {chaos.fail_first} to this "
                                   f"URL (fail_first={chaos.fail_first})")
    code = chaos.status if chaos.status is not None else answer.forced_status
    if code is not None:
        return forced(code)
    if chaos.fail_rate and draws.rng is not None and draws.rng.random() < chaos.fail_rate:
        return error(500, f"injected failure (fail_rate={chaos.fail_rate:g})")
    return answer


def serve_control(route: Route) -> Served:
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


async def unknown_route(request: web.Request) -> Answer:
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


def _latency(route: Route, chaos: Chaos, answer: Answer, state: State, rng: random.Random | None) -> float:
    if chaos.delay is not None:
        latency = chaos.delay
    elif chaos.p50 is not None:  # lognormal: median p50, 99th percentile p99 (p99 == p50: always p50)
        sigma = math.log(chaos.p99 / chaos.p50) / Z99
        assert rng is not None  # p50 is seeded: admit() drew it
        latency = min(rng.lognormvariate(math.log(chaos.p50), sigma), MAX_DELAY)
    elif answer.latency is not None:
        latency = answer.latency
    else:
        latency = route.latency * state.latency_scale
    if chaos.jitter:
        assert rng is not None  # jitter is seeded: admit() drew it
        latency += rng.uniform(0.0, chaos.jitter)
    return latency


def commit(answer: Answer) -> None:
    """Store a POST's side effect (set by its handler) once the latency has passed, unless it failed."""
    if answer.commit is not None and answer.status < 400:
        answer.commit()


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
