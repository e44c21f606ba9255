"""Resource handlers. Each reads like the spec: parse, look up, answer.

Handlers never sleep and never fail on purpose: latency and chaos are added around
them by chaos.py, the same way for every route. A handler that needs more (a latency of its own,
a forced status, a side effect) says so on the Answer it returns.
"""

from __future__ import annotations

import json
import time
from typing import Any, Callable

from aiohttp import web

from .params import BadParam, parse_delay, parse_id, parse_int, parse_status
from .state import STATE


class NotFound(Exception):
    """Answered as 404 with a JSON body naming what was missing."""


class Answer(web.Response):
    """A JSON answer, carrying what its handler tells the chaos layer (chaos.py) about the request."""

    latency: float | None = None  # /delay/{seconds}: the path's delay replaces the default latency
    forced_status: int | None = None  # /status/{code}
    commit: Callable[[], None] | None = None  # POST: store the side effect once the latency has passed


def ok(payload: Any, status: int = 200) -> Answer:
    return Answer(text=json.dumps(payload), status=status, content_type="application/json")


def error(status: int, message: str, **extra: Any) -> Answer:
    return ok({"error": message, "status": status, **extra}, status=status)


def _user_id(request: web.Request) -> int:
    user_id = parse_id("id", request.match_info["id"])
    if user_id not in request.app[STATE].data.users:
        raise NotFound(f"no user with id {user_id}")
    return user_id


def _user_filter(request: web.Request) -> int | None:
    raw = request.query.get("user")
    if raw is None:
        return None
    user_id = parse_id("user", raw)
    if user_id not in request.app[STATE].data.users:
        raise NotFound(f"no user with id {user_id}")
    return user_id


def _by_user(rows: list[dict[str, Any]], user_id: int | None) -> list[dict[str, Any]]:
    return rows if user_id is None else [row for row in rows if row["user_id"] == user_id]


def _one(table: dict[int, dict[str, Any]], request: web.Request, kind: str) -> dict[str, Any]:
    item_id = parse_id("id", request.match_info["id"])
    if item_id not in table:
        raise NotFound(f"no {kind} with id {item_id}")
    return table[item_id]


async def list_users(request: web.Request) -> web.Response:
    return ok(list(request.app[STATE].data.users.values()))


async def get_user(request: web.Request) -> web.Response:
    return ok(request.app[STATE].data.users[_user_id(request)])


async def get_user_orders(request: web.Request) -> web.Response:
    orders = request.app[STATE].data.user_orders(_user_id(request))
    raw_limit = request.query.get("limit")
    if raw_limit is not None:
        orders = orders[: parse_int("limit", raw_limit, 1, 100)]
    return ok(orders)


async def get_user_settings(request: web.Request) -> web.Response:
    return ok(request.app[STATE].data.settings[_user_id(request)])


async def list_orders(request: web.Request) -> web.Response:
    return ok(_by_user(request.app[STATE].data.orders, _user_filter(request)))


async def list_payments(request: web.Request) -> web.Response:
    return ok(_by_user(request.app[STATE].data.payments, _user_filter(request)))


async def list_reviews(request: web.Request) -> web.Response:
    return ok(_by_user(request.app[STATE].data.reviews, _user_filter(request)))


async def list_posts(request: web.Request) -> web.Response:
    return ok(list(request.app[STATE].data.posts.values()))


async def get_post(request: web.Request) -> web.Response:
    return ok(_one(request.app[STATE].data.posts, request, "post"))


async def list_todos(request: web.Request) -> web.Response:
    return ok(list(request.app[STATE].data.todos.values()))


async def get_todo(request: web.Request) -> web.Response:
    return ok(_one(request.app[STATE].data.todos, request, "todo"))


async def list_notifications(request: web.Request) -> web.Response:
    return ok(request.app[STATE].notifications)


async def create_notification(request: web.Request) -> web.Response:
    """Store a side effect once the latency has passed, whatever the answer then is.

    A forced status, a 500 from fail_rate or a fault still stores it (the server did the
    work, the client cannot tell): that is why retrying a POST can double it. A request
    the client abandons before the latency is over stores nothing.
    """
    try:
        body = json.loads(await request.read() or b"null")
    except ValueError:
        raise BadParam("body", "body must be a JSON object, for example {\"message\": \"hi\"}", "a JSON object") from None
    if not isinstance(body, dict):
        raise BadParam("body", "body must be a JSON object, for example {\"message\": \"hi\"}", "a JSON object")
    message = body.get("message")
    if not isinstance(message, str) or not message:
        raise BadParam("message", "message must be a non-empty string", "a non-empty string")
    user = body.get("user")
    if user is not None and (not isinstance(user, int) or isinstance(user, bool)):
        raise BadParam("user", f"user must be a whole number or absent, got {user!r}", "a whole number")
    state = request.app[STATE]
    notification = {"id": state.next_notification_id, "user": user, "message": message}
    state.next_notification_id += 1
    answer = ok(notification, status=201)
    answer.commit = lambda: state.notifications.append({**notification, "stored_at": time.monotonic()})
    return answer


async def clear_notifications(request: web.Request) -> web.Response:
    request.app[STATE].clear_notifications()
    return web.Response(status=204)


async def delay(request: web.Request) -> web.Response:
    """httpbin-compatible: answer after {seconds} (0 to 30; more is a 400, never silently capped)."""
    seconds = parse_delay(request.match_info["seconds"], param="seconds")
    answer = ok({"delay": seconds, "args": dict(request.query), "url": str(request.url)})
    answer.latency = seconds
    return answer


async def status(request: web.Request) -> web.Response:
    """httpbin-compatible: answer with status {code} (200 to 599)."""
    code = parse_status(request.match_info["code"], param="code")
    answer = ok({"status": code})
    answer.forced_status = code
    return answer


async def get_journal(request: web.Request) -> web.Response:
    return ok(request.app[STATE].journal.snapshot())


async def clear_journal(request: web.Request) -> web.Response:
    request.app[STATE].reset_journal()
    return web.Response(status=204)


async def get_stats(request: web.Request) -> web.Response:
    return ok(request.app[STATE].journal.stats())


async def get_openapi(request: web.Request) -> web.Response:
    from .openapi import openapi_document

    return ok(openapi_document(request.app[STATE].routes))
