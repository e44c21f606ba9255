"""The handlers. Each reads like the spec: parse, look up, answer.

Handlers never sleep and never fail on purpose: latency and chaos are added around the
resource handlers by lifecycle.py, the same way for every route. A handler that needs more
(a latency of its own, a forced status, a side effect) says so on the Answer it returns.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

from aiohttp import web

from .answers import BODY_ALLOWED, BadParam, NotFound, json_answer
from .params import BODY_LIMIT, CODE, ID, LIMIT, MAX_BODY_DEPTH, SECONDS, SINCE, USER, parse, query_value
from .state import STATE
from .typedefs import Answer


def _user_id(request: web.Request) -> int:
    user_id = parse(ID, request.match_info["id"])
    if user_id not in request.app[STATE].data.users:
        raise NotFound(f"no user with id {user_id}")
    return user_id


def _user_filter(request: web.Request) -> int | None:
    user_id = query_value(request, USER)
    if user_id is None:
        return None
    if user_id not in request.app[STATE].data.users:
        raise NotFound(f"no user with id {user_id}")
    return user_id


def _by_user(rows: list[dict[str, Any]], user_id: int | None) -> list[dict[str, Any]]:
    return rows if user_id is None else [row for row in rows if row["user_id"] == user_id]


def _one(table: dict[int, dict[str, Any]], request: web.Request, kind: str) -> dict[str, Any]:
    item_id = parse(ID, request.match_info["id"])
    if item_id not in table:
        raise NotFound(f"no {kind} with id {item_id}")
    return table[item_id]


async def list_users(request: web.Request) -> Answer:
    return json_answer(list(request.app[STATE].data.users.values()))


async def get_user(request: web.Request) -> Answer:
    return json_answer(request.app[STATE].data.users[_user_id(request)])


async def get_user_orders(request: web.Request) -> Answer:
    orders = request.app[STATE].data.user_orders(_user_id(request))
    limit = query_value(request, LIMIT)
    return json_answer(orders if limit is None else orders[:limit])


async def get_user_settings(request: web.Request) -> Answer:
    return json_answer(request.app[STATE].data.settings[_user_id(request)])


async def list_orders(request: web.Request) -> Answer:
    return json_answer(_by_user(request.app[STATE].data.orders, _user_filter(request)))


async def list_payments(request: web.Request) -> Answer:
    return json_answer(_by_user(request.app[STATE].data.payments, _user_filter(request)))


async def list_reviews(request: web.Request) -> Answer:
    return json_answer(_by_user(request.app[STATE].data.reviews, _user_filter(request)))


async def list_posts(request: web.Request) -> Answer:
    return json_answer(list(request.app[STATE].data.posts.values()))


async def get_post(request: web.Request) -> Answer:
    return json_answer(_one(request.app[STATE].data.posts, request, "post"))


async def list_todos(request: web.Request) -> Answer:
    return json_answer(list(request.app[STATE].data.todos.values()))


async def get_todo(request: web.Request) -> Answer:
    return json_answer(_one(request.app[STATE].data.todos, request, "todo"))


async def list_notifications(request: web.Request) -> Answer:
    return json_answer(request.app[STATE].notifications)


async def create_notification(request: web.Request) -> Answer:
    """Store a side effect once the latency has passed, whatever the answer then is.

    A forced status, a 500 from fail_rate or a fault still stores it (the server did the
    work, the client cannot tell): that is why retrying a POST can double it. A request
    the client abandons before the latency is over stores nothing.
    """
    body = await _json_body(request)
    message = body.get("message")
    if not isinstance(message, str) or not message:
        raise BadParam("message", "message must be a non-empty string", "a non-empty string")
    user = body.get("user")
    if user is not None and (not isinstance(user, int) or isinstance(user, bool)):
        raise BadParam("user", f"user must be a whole number or absent, got {user!r}", "a whole number")
    state = request.app[STATE]
    notification = {"id": state.next_notification_id, "user": user, "message": message}
    state.next_notification_id += 1
    answer = json_answer(notification, status=201)
    answer.commit = lambda: state.notifications.append({**notification, "stored_at": time.monotonic()})
    return answer


TOO_DEEP = f"body must be a JSON object with arrays and objects nested at most {MAX_BODY_DEPTH} deep"
JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)  # a JSON string, escapes included
NOT_BRACKETS = bytes(sorted(set(range(256)) - set(b"[]{}")))  # the bytes a depth scan deletes
OPENERS = frozenset(b"[{")


def nested_deeper(raw: bytes, limit: int) -> bool:
    """Whether the JSON text `raw` nests arrays and objects more than `limit` deep (brackets in strings skipped).

    Cheap for an ordinary body: one with no more than `limit` opening brackets cannot be deeper.
    """
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return False
    depth = 0
    for byte in JSON_STRING.sub(b"", raw).translate(None, NOT_BRACKETS):
        if byte in OPENERS:
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


async def _json_body(request: web.Request) -> dict[str, Any]:
    """The POST body as a JSON object, or BadParam naming `body` (413 for one over BODY_LIMIT)."""
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise BadParam("body", f"body must be at most {BODY_LIMIT} bytes", f"at most {BODY_LIMIT} bytes",
                       status=413, close=True) from None
    except web.RequestPayloadError:  # an undecodable Content-Encoding, a broken chunk
        request.content.feed_eof()  # so aiohttp does not read on after the answer: the connection closes
        encoding = request.headers.get("Content-Encoding")
        how = f"with Content-Encoding: {encoding}" if encoding else "(a broken chunked body)"
        raise BadParam("body", f"body could not be decoded {how}", BODY_ALLOWED, close=True) from None
    if nested_deeper(raw, MAX_BODY_DEPTH):  # checked before decoding: no Python's json ever recurses that deep
        raise BadParam("body", TOO_DEEP, BODY_ALLOWED)
    try:
        body = json.loads(raw or b"null")
    except RecursionError:  # unreachable after the check above; kept so no decoder can turn it into a 500
        raise BadParam("body", TOO_DEEP, BODY_ALLOWED) from None
    except ValueError:  # not JSON, or not UTF-8
        raise BadParam("body", f"body must be {BODY_ALLOWED}", BODY_ALLOWED) from None
    if not isinstance(body, dict):
        raise BadParam("body", f"body must be {BODY_ALLOWED}", BODY_ALLOWED)
    return body


async def clear_notifications(request: web.Request) -> Answer:
    request.app[STATE].clear_notifications()
    return Answer(status=204)


async def delay(request: web.Request) -> Answer:
    """httpbin-compatible: answer after {seconds} (0 to 30; more is a 400, never silently capped)."""
    seconds = parse(SECONDS, request.match_info["seconds"])
    answer = json_answer({"delay": seconds, "args": dict(request.query), "url": str(request.url)})
    answer.latency = seconds
    return answer


async def status(request: web.Request) -> Answer:
    """httpbin-compatible: answer with status {code} (200 to 599)."""
    code = parse(CODE, request.match_info["code"])
    answer = json_answer({"status": code})
    answer.forced_status = code
    return answer


async def get_journal(request: web.Request) -> Answer:
    """Every entry; with ?since=N only those that started or ended after change N. Header Journal-Seq: the latest."""
    since = query_value(request, SINCE)
    journal = request.app[STATE].journal
    answer = json_answer(journal.read(since))
    answer.headers["Journal-Seq"] = str(journal.seq)
    return answer


async def clear_journal(request: web.Request) -> Answer:
    request.app[STATE].clear_journal()
    return Answer(status=204)


async def get_stats(request: web.Request) -> Answer:
    return json_answer(request.app[STATE].journal.stats())


async def get_openapi(request: web.Request) -> Answer:
    from .openapi import openapi_document

    return json_answer(openapi_document(request.app[STATE].routes))
