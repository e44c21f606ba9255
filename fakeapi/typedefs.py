"""What the modules of fakeapi share: the route, parameter, answer and handler types.

A leaf: it imports nothing from fakeapi, so every module can import it (no type-only imports).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


class Answer(web.Response):
    """What every handler returns: a response, carrying what its handler tells the request's lifecycle.

    lifecycle.py reads these attributes (None: the handler asks nothing of it).
    """

    latency: float | None = None  # /delay/{seconds}: the path's delay replaces the default latency
    forced_status: int | None = None  # /status/{code}
    commit: Callable[[], None] | None = None  # POST: store the side effect once the latency has passed


Handler = Callable[[web.Request], Awaitable[Answer]]  # a row's handler: the Answer the lifecycle reads
Served = Callable[[web.Request], Awaitable[web.StreamResponse]]  # what aiohttp runs: lifecycle.py wraps a Handler

# What aiohttp's router lets a {placeholder} match: one path segment without braces.
SEGMENT = "[^{}/]+"


@dataclass(frozen=True)
class Param:
    """One parameter: its name, kind, bounds and the text of its error. fakeapi/params.py lists them all.

    kind: "number" (a float from lo to hi), "integer" (a whole number from lo to hi), "id" (any
    whole number: a missing one is a 404 later), "choice" (one of `choices`), "string" (non-empty),
    "failure" (a status from lo to hi, or one of `choices`).
    """

    name: str
    kind: str
    description: str
    lo: float | None = None
    hi: float | None = None
    unit: str = ""  # printed after the bounds: " (seconds)"
    choices: tuple[str, ...] = ()
    where: str = "query"  # query, path or body
    default: Any = None  # a chaos parameter's value when the query does not give it
    needs: str | None = None  # a chaos parameter that works only with this partner (alone: a 400 naming it)
    seeded: bool = False  # a chaos parameter that reads the URL's count and its seeded random draws

    @property
    def allowed(self) -> str | list[str]:
        """What the parameter takes, as the 400's `allowed` field says it."""
        if self.kind == "number":
            return f"a number from {self.lo:g} to {self.hi:g}{self.unit}"
        if self.kind == "integer":
            return f"a whole number from {self.lo} to {self.hi}{self.unit}"
        if self.kind == "id":
            return "a whole number, for example 1"
        if self.kind == "choice":
            return list(self.choices)
        if self.kind == "failure":
            return f"a status from {self.lo:g} to {self.hi:g}, or one of {', '.join(self.choices)}"
        return "a non-empty string"

    def error(self, raw: Any) -> str:
        """The 400's message for a value this parameter refuses."""
        if self.kind == "choice":
            return f"{self.name} must be one of {', '.join(self.choices)}, got {raw!r}"
        return f"{self.name} must be {self.allowed}, got {raw!r}"

    def schema(self) -> dict[str, Any]:
        """The OpenAPI 3.0 schema of the values the parser accepts."""
        if self.kind == "choice":
            return {"type": "string", "enum": list(self.choices)}
        if self.kind == "failure":
            assert self.lo is not None and self.hi is not None  # a failure row has its status bounds
            return {"oneOf": [{"type": "integer", "minimum": int(self.lo), "maximum": int(self.hi)},
                              {"type": "string", "enum": list(self.choices)}]}
        if self.kind == "string":
            return {"type": "string", "minLength": 1}
        schema: dict[str, Any] = {"type": "number" if self.kind == "number" else "integer"}
        if self.lo is not None:
            schema["minimum"] = self.lo
        if self.hi is not None:
            schema["maximum"] = self.hi
        return schema


@dataclass(frozen=True)
class Route:
    """One row of the route table (fakeapi/app.py, ROUTES)."""

    method: str
    path: str
    handler: Handler
    latency: float  # default latency in seconds, before latency_scale
    summary: str
    params: tuple[Param, ...] = ()  # the route's own query parameters (the chaos ones come on top)
    internal: bool = False  # control routes: no chaos, not journaled
    path_params: tuple[Param, ...] = field(default=(), compare=False)  # its {placeholders}
    pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)
    param_names: frozenset[str] = field(init=False, repr=False, compare=False)  # the names in `params`

    def __post_init__(self) -> None:
        object.__setattr__(self, "pattern", re.compile(re.sub(r"\{\w+\}", SEGMENT, self.path)))
        object.__setattr__(self, "param_names", frozenset(param.name for param in self.params))

    def matches(self, path: str) -> bool:
        """True if a request path fits this route's pattern, as aiohttp's router matches it."""
        return self.pattern.fullmatch(path) is not None
