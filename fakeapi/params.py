"""Every parameter fakeapi takes, in one table, and the parser that reads it.

The parser (`parse`, `parse_chaos`), GET /openapi.json (openapi.py), the table in docs/fakeapi.md
(tests/test_fakeapi_params.py checks it equals `markdown_table()`) and the tests all read
these `Param` rows, so their names, bounds and messages cannot drift apart.

Handlers never parse by hand: a value that is malformed, out of range, repeated or unknown
raises BadParam, which the request's lifecycle answers with 400 naming the parameter.
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .answers import BadParam
from .typedefs import Param, Route

FAULTS = ("reset", "close", "malformed", "hang", "slow")
MAX_DELAY = 30.0
MAX_SEED = 2**63 - 1
MAX_CONCURRENT = 100_000
MAX_FAIL_FIRST = 100
MAX_RATE_LIMIT = 100_000
MAX_RATE_WINDOW = 3600.0
MIN_PERCENTILE = 0.001  # p50 and p99 must be above 0: the smallest accepted is a millisecond
BODY_LIMIT = 1024**2  # aiohttp's default client_max_size: a bigger POST body is a 413
MAX_BODY_DEPTH = 100  # a POST body's arrays and objects nest at most this deep (deeper: a 400 naming body)

# ---- the chaos parameters, on every resource route -----------------------------------------

CHAOS_PARAMS: tuple[Param, ...] = (
    Param("delay", "number", "Seconds to wait before answering; replaces the route's default latency.",
          0, MAX_DELAY, " (seconds)"),
    Param("jitter", "number", "Extra random seconds, drawn from [0, jitter); reproducible with seed.",
          0, 10, " (seconds)", default=0.0, seeded=True),
    Param("seed", "integer", "Seed of the random draws (jitter, fail_rate); default: the server's seed. "
          "Draws depend on the seed, the URL and how often that URL was seen.", 0, MAX_SEED),
    Param("status", "integer", "Answer with this status and a JSON body (none for 204, 205, 304).", 200, 599),
    Param("fail_rate", "number", "Share of requests that answer 500; deterministic for a given seed.", 0, 1,
          default=0.0, seeded=True),
    Param("fault", "choice", "reset: TCP reset; close: closed with no response; malformed: 200 with invalid JSON; "
          "hang: no response until the client gives up; slow: the body dribbled out over the latency.",
          choices=FAULTS),
    Param("max_concurrent", "integer", "When this many requests are already in flight on the route, "
          "answer 429 with Retry-After: 1.", 1, MAX_CONCURRENT),
    Param("p50", "number", "With p99: the latency is drawn from a lognormal distribution with this median; "
          "replaces the route's default latency; reproducible with seed.", MIN_PERCENTILE, MAX_DELAY, " (seconds)",
          needs="p99", seeded=True),
    Param("p99", "number", "With p50: the 99th percentile of that lognormal distribution (p50 <= p99); "
          "a draw above 30 s is cut to 30 s.", MIN_PERCENTILE, MAX_DELAY, " (seconds)", needs="p50"),
    Param("fail_first", "integer", "The first N requests of this exact URL (since the journal was cleared) fail "
          "as fail_with says; the next ones answer normally.", 1, MAX_FAIL_FIRST, seeded=True),
    Param("fail_with", "failure", "With fail_first: how those requests fail, a status (default 503) or a fault "
          "name.", 400, 599, choices=FAULTS, needs="fail_first"),
    Param("rate_limit", "integer", "With rate_window: at most N requests per window on the route; over it, 429 "
          "with Retry-After; RateLimit-Limit, -Remaining and -Reset headers on every answer.", 1, MAX_RATE_LIMIT,
          needs="rate_window"),
    Param("rate_window", "number", "With rate_limit: the window's length; a fixed window opens at the first "
          "request it counts.", 0.01, MAX_RATE_WINDOW, " (seconds)", needs="rate_limit"),
)
# Parameters that only make sense together: each needs its partner (a 400 naming the one given alone).
PAIRS = tuple((param.name, param.needs) for param in CHAOS_PARAMS if param.needs is not None)
CHAOS_NAMES = frozenset(param.name for param in CHAOS_PARAMS)
BY_NAME = {param.name: param for param in CHAOS_PARAMS}

# ---- the routes' own parameters --------------------------------------------------------------

ID = Param("id", "id", "The resource's id; ids 1 to 10 exist.", where="path")
SECONDS = Param("seconds", "number", "Seconds to wait before answering.", 0, MAX_DELAY, " (seconds)", where="path")
CODE = Param("code", "integer", "The status to answer with.", 200, 599, where="path")
LIMIT = Param("limit", "integer", "How many orders to return (not to be confused with max_concurrent).", 1, 100)
USER = Param("user", "id", "Only the rows of this user id (404 if there is no such user).")
SINCE = Param("since", "integer", "Only the entries whose seq is above this (0: all).", 0, MAX_SEED)
MESSAGE = Param("message", "string", "The notification's text.", where="body")

# Plain ASCII numbers only: Python's int() and float() also take "1_0", " 1" and non-ASCII digits.
INT_RE = re.compile(r"[+-]?[0-9]+")
FLOAT_RE = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")  # so nan and inf are refused too
PLACEHOLDER_RE = re.compile(r"\{(\w*)\}")


def f_string_hint(raw: str) -> str:
    """' (a literal {user_id}: ...)' when a value holds an unfilled placeholder, else ''."""
    match = PLACEHOLDER_RE.search(raw)
    if match is None:
        return ""
    return (f" (a literal {match.group(0)}: did you forget the f of an f-string? "
            f"f\"...{match.group(0)}\" puts the value of {match.group(1) or 'the expression'} there)")


def _int(raw: str) -> int | None:
    """A plain ASCII whole number, or None (also for one too long for int(): over 4300 digits)."""
    if not INT_RE.fullmatch(raw):
        return None
    try:
        return int(raw)
    except ValueError:
        return None


def parse(param: Param, raw: str) -> Any:
    """The value of `param` in `raw`, or BadParam naming it."""
    kind = param.kind
    if kind == "number":
        value: Any = float(raw) if FLOAT_RE.fullmatch(raw) else math.nan
        if math.isfinite(value) and param.lo <= value <= param.hi:
            return value
    elif kind == "choice":
        if raw in param.choices:
            return raw
    elif kind == "failure":  # a status from lo to hi, or a fault name
        if raw in param.choices:
            return raw
        value = _int(raw)
        if value is not None and param.lo <= value <= param.hi:
            return value
    else:  # integer, id
        value = _int(raw)
        if value is not None and (kind == "id" or param.lo <= value <= param.hi):
            return value
    raise BadParam(param.name, param.error(raw) + f_string_hint(raw), param.allowed)


def query_value(request: web.Request, param: Param) -> Any:
    """The parsed value of a query parameter that is not a chaos one (None if absent)."""
    raw = request.query.get(param.name)
    return None if raw is None else parse(param, raw)


def repeated(name: str, allowed: Any) -> BadParam:
    return BadParam(name, f"{name} is given more than once: give it once", allowed)


def check_query(request: web.Request, route: Route) -> None:
    """For the control routes: every name known and given once (else a 400 naming it)."""
    seen: set[str] = set()
    for name, _ in request.query.items():  # items(): iterating a MultiDict yields each name once
        if name not in route.param_names:
            raise BadParam(name, f"unknown parameter {name!r} for {route.method} {route.path}",
                           sorted(route.param_names))
        if name in seen:
            raise repeated(name, next(p for p in route.params if p.name == name).allowed)
        seen.add(name)


# ---- one request's chaos --------------------------------------------------------------------

class Chaos:
    """The chaos one request asks for: an attribute per row of CHAOS_PARAMS, the row's default unless given.

    Built from the table (below), so a new chaos parameter is a new row, the code that acts on it
    and its docs row. An instance holds only what its query gave; the rest are the class's defaults.
    """

    seeded = False  # a parameter given reads the URL's count and its seeded draws (Param.seeded)

    if TYPE_CHECKING:  # the attributes are set from the table: each one's type is its row's
        def __getattr__(self, name: str) -> Any: ...


for _param in CHAOS_PARAMS:
    setattr(Chaos, _param.name, _param.default)

NO_CHAOS = Chaos()  # a request with no query string: shared, never changed


def parse_chaos(request: web.Request, route: Route) -> Chaos:
    """The chaos a resource request asks for; BadParam for a bad, repeated or unknown parameter.

    Checks the route's own parameters for repeats and unknown names too (their handler parses the value).
    """
    chaos = Chaos()
    seen: set[str] = set()
    for name, raw in request.query.items():
        param = BY_NAME.get(name)
        if param is None and name not in route.param_names:
            allowed = sorted([*route.param_names, *CHAOS_NAMES])
            raise BadParam(name, f"unknown parameter {name!r} for {route.method} {route.path}", allowed)
        if name in seen:
            raise repeated(name, (param or next(p for p in route.params if p.name == name)).allowed)
        seen.add(name)
        if param is not None:
            value = parse(param, raw)
            setattr(chaos, name, value)
            if param.seeded and value != param.default:  # jitter=0 or fail_rate=0 draws nothing
                chaos.seeded = True
    for name, partner in PAIRS:
        if name in seen and partner not in seen:
            raise BadParam(name, f"{name} needs {partner}: give both", BY_NAME[name].allowed)
    if chaos.p50 is not None:
        if chaos.delay is not None:
            raise BadParam("p50", "p50 and p99 draw the latency that delay fixes: give delay or p50 and p99, "
                                  "not both", BY_NAME["p50"].allowed)
        if chaos.p50 > chaos.p99:
            raise BadParam("p99", f"p99 must be at least p50 ({chaos.p50:g}), got {chaos.p99:g}",
                           f"a number from {chaos.p50:g} to {MAX_DELAY:g} (seconds)")
    return chaos


# ---- the table as docs/fakeapi.md shows it ----------------------------------------------------

def _values(param: Param) -> str:
    if param.kind == "failure":
        return f"whole number, {param.lo:g} to {param.hi:g}, or " + ", ".join(f"`{c}`" for c in param.choices)
    if param.kind == "choice":
        return ", ".join(f"`{choice}`" for choice in param.choices)
    if param.kind == "number":
        return f"number, {param.lo:g} to {param.hi:g}{param.unit}"
    return f"whole number, {param.lo} to {param.hi}{param.unit}"


def markdown_table() -> str:
    """The chaos parameters as the Markdown table in docs/fakeapi.md (a test checks they are equal)."""
    lines = ["| parameter | values | effect | a bad value answers |", "|---|---|---|---|"]
    for param in CHAOS_PARAMS:
        example = "explode" if param.kind in ("choice", "failure") else "abc"
        lines.append(f"| `{param.name}` | {_values(param)} | {param.description} | "
                     f"400 `{param.error(example)}` |")
    return "\n".join(lines)
