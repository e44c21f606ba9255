"""The app factory and the one route table.

`python -m fakeapi` and `fakeapi.start()` both build their server with `create_app()`.
Nothing runs at import time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from aiohttp import web

from . import handlers as h
from .chaos import Handler, observed, unknown_route
from .journal import JOURNAL_SIZE
from .state import STATE, State


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    handler: Handler
    latency: float  # default latency in seconds, before latency_scale
    summary: str
    params: dict[str, str] = field(default_factory=dict)  # the route's own query parameters
    internal: bool = False  # control routes: no chaos, not journaled

    def matches(self, path: str) -> bool:
        """True if a request path fits this route's pattern (its {placeholders} match one segment)."""
        return re.fullmatch(re.sub(r"\{\w+\}", "[^/]+", self.path), path) is not None

    def as_aiohttp(self, state: State) -> web.RouteDef:
        """Resource routes run inside the journal and the chaos (chaos.observed); control routes bare."""
        return web.route(self.method, self.path, self.handler if self.internal else observed(self, state))


USER_FILTER = {"user": "only the rows of this user id (404 if there is no such user)"}

ROUTES: list[Route] = [
    Route("GET", "/users", h.list_users, 0.10, "All users"),
    Route("GET", "/users/{id}", h.get_user, 0.10, "One user's profile"),
    Route("GET", "/users/{id}/orders", h.get_user_orders, 0.20, "One user's orders",
          {"limit": "how many orders to return, 1 to 100 (not to be confused with max_concurrent)"}),
    Route("GET", "/users/{id}/settings", h.get_user_settings, 0.05, "One user's settings"),
    Route("GET", "/orders", h.list_orders, 0.20, "Orders", USER_FILTER),
    Route("GET", "/payments", h.list_payments, 0.30, "Payments", USER_FILTER),
    Route("GET", "/reviews", h.list_reviews, 0.25, "Reviews", USER_FILTER),
    Route("GET", "/posts", h.list_posts, 0.08, "Posts (shaped like JSONPlaceholder's)"),
    Route("GET", "/posts/{id}", h.get_post, 0.06, "One post"),
    Route("GET", "/todos", h.list_todos, 0.07, "Todos (shaped like JSONPlaceholder's)"),
    Route("GET", "/todos/{id}", h.get_todo, 0.05, "One todo"),
    Route("GET", "/notifications", h.list_notifications, 0.05, "The notifications stored so far"),
    Route("POST", "/notifications", h.create_notification, 0.15,
          "Store a notification (a side effect): body {\"message\": str, \"user\": int?}; answers 201"),
    Route("GET", "/delay/{seconds}", h.delay, 0.0, "httpbin-compatible: answer after {seconds}, 0 to 30"),
    Route("GET", "/status/{code}", h.status, 0.0, "httpbin-compatible: answer with status {code}, 200 to 599"),
    Route("DELETE", "/notifications", h.clear_notifications, 0.0, "Forget all notifications", internal=True),
    Route("GET", "/_journal", h.get_journal, 0.0, "Every request recorded: start, end, status, outcome",
          internal=True),
    Route("DELETE", "/_journal", h.clear_journal, 0.0,
          "Clear the journal and restart the seeded random draws", internal=True),
    Route("GET", "/_stats", h.get_stats, 0.0, "requests, in_flight, max_in_flight, outcomes", internal=True),
    Route("GET", "/openapi.json", h.get_openapi, 0.0, "This API, described in OpenAPI 3", internal=True),
]


def create_app(seed: int = 0, latency_scale: float = 1.0, journal_size: int = JOURNAL_SIZE) -> web.Application:
    app = web.Application()
    state = State(seed=seed, latency_scale=latency_scale, journal_size=journal_size, routes=ROUTES)
    app[STATE] = state
    app.router.add_routes([route.as_aiohttp(state) for route in ROUTES])
    app.router.add_route("*", "/{path:.*}", unknown_route)  # last: a JSON 404 or 405, journaled
    return app
