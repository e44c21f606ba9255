"""The route table and the app factory.

`python -m fakeapi` and `fakeapi.start()` both build their server with `create_app()`.
Nothing runs at import time. The route type is `Route` (typedefs.py); each parameter a route
takes is a row of fakeapi/params.py.
"""

from __future__ import annotations

from aiohttp import web

from . import handlers as h
from .journal import JOURNAL_SIZE
from .lifecycle import serve_control, serve_resource, unknown_route
from .params import CODE, ID, LIMIT, SECONDS, SINCE, USER
from .state import STATE, State
from .typedefs import Route

ROUTES: list[Route] = [
    Route("GET", "/users", h.list_users, 0.10, "All users"),
    Route("GET", "/users/{id}", h.get_user, 0.10, "One user's profile", path_params=(ID,)),
    Route("GET", "/users/{id}/orders", h.get_user_orders, 0.20, "One user's orders", (LIMIT,), path_params=(ID,)),
    Route("GET", "/users/{id}/settings", h.get_user_settings, 0.05, "One user's settings", path_params=(ID,)),
    Route("GET", "/orders", h.list_orders, 0.20, "Orders", (USER,)),
    Route("GET", "/payments", h.list_payments, 0.30, "Payments", (USER,)),
    Route("GET", "/reviews", h.list_reviews, 0.25, "Reviews", (USER,)),
    Route("GET", "/posts", h.list_posts, 0.08, "Posts (shaped like JSONPlaceholder's)"),
    Route("GET", "/posts/{id}", h.get_post, 0.06, "One post", path_params=(ID,)),
    Route("GET", "/todos", h.list_todos, 0.07, "Todos (shaped like JSONPlaceholder's)"),
    Route("GET", "/todos/{id}", h.get_todo, 0.05, "One todo", path_params=(ID,)),
    Route("GET", "/notifications", h.list_notifications, 0.05, "The notifications stored so far"),
    Route("POST", "/notifications", h.create_notification, 0.15,
          "Store a notification (a side effect): body {\"message\": str, \"user\": int?}; answers 201"),
    Route("GET", "/delay/{seconds}", h.delay, 0.0, "httpbin-compatible: answer after {seconds}, 0 to 30",
          path_params=(SECONDS,)),
    Route("GET", "/status/{code}", h.status, 0.0, "httpbin-compatible: answer with status {code}, 200 to 599",
          path_params=(CODE,)),
    Route("DELETE", "/notifications", h.clear_notifications, 0.0, "Forget all notifications", internal=True),
    Route("GET", "/_journal", h.get_journal, 0.0,
          "The journal: every request recorded (start, end, status, outcome, seq); since=N: what changed after N",
          (SINCE,), internal=True),
    Route("DELETE", "/_journal", h.clear_journal, 0.0,
          "Clear the journal and restart the seeded random draws", internal=True),
    Route("GET", "/_stats", h.get_stats, 0.0, "requests, in_flight, max_in_flight, outcomes", internal=True),
    Route("GET", "/openapi.json", h.get_openapi, 0.0, "This API, described in OpenAPI 3", internal=True),
]


def create_app(seed: int = 0, latency_scale: float = 1.0, journal_size: int = JOURNAL_SIZE) -> web.Application:
    app = web.Application()
    state = State(seed=seed, latency_scale=latency_scale, journal_size=journal_size, routes=ROUTES)
    app[STATE] = state
    app.router.add_routes([
        web.route(route.method, route.path, serve_control(route) if route.internal else serve_resource(route, state))
        for route in ROUTES
    ])
    app.router.add_route("*", "/{path:.*}", unknown_route)  # last: a JSON 404 or 405, journaled
    return app
