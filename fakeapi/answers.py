"""The answers: `json_answer()`, `error()`, and the two exceptions a handler raises to answer an error.

    Exception
     ├── BadParam   a parameter or the body is malformed: 400 {"error", "status", "param", "allowed"}
     └── NotFound   the resource does not exist:          404 {"error", "status"}

Every error body fakeapi sends has the same shape: `error` (a sentence) and `status`, plus
fields of its own (`param` and `allowed` for a 400, `allowed` for a 405, `retry_after` for a 429).
"""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

from aiohttp import web

from .typedefs import Answer

NO_BODY_STATUSES = (204, 205, 304)
BODY_ALLOWED = 'a JSON object, for example {"message": "hi"}'


class BadParam(Exception):
    """A request parameter (or the body) was missing, not a number, out of range, repeated or unknown."""

    def __init__(self, param: str, error: str, allowed: Any, status: int = 400, close: bool = False) -> None:
        super().__init__(error)
        self.param = param
        self.error = error
        self.allowed = allowed
        self.status = status  # 400, or 413 for a body over the size limit
        self.close = close  # the rest of the request cannot be read: close the connection after the answer

    def as_json(self) -> dict[str, Any]:
        return {"error": self.error, "status": self.status, "param": self.param, "allowed": self.allowed}


class NotFound(Exception):
    """Answered as 404 with a JSON body naming what was missing."""


def json_answer(payload: Any, status: int = 200) -> Answer:
    """`payload` as a JSON answer with this status (any status: error() builds the error bodies with it)."""
    return Answer(body=json.dumps(payload).encode(), status=status, content_type="application/json")


def error(status: int, message: str, **extra: Any) -> Answer:
    return json_answer({"error": message, "status": status, **extra}, status=status)


def bad_param(exc: BadParam) -> Answer:
    answer = json_answer(exc.as_json(), status=exc.status)
    if exc.close:
        answer.force_close()
    return answer


def phrase(code: int) -> str:
    try:
        return HTTPStatus(code).phrase
    except ValueError:
        return "Unassigned status"


def forced(code: int) -> Answer:
    """The answer to `status=code` or /status/{code}: a JSON body, except for the statuses that have none."""
    if code in NO_BODY_STATUSES:
        return Answer(status=code)
    if code >= 400:
        return error(code, f"forced status {code} ({phrase(code)})")
    return json_answer({"status": code, "message": phrase(code)}, status=code)


def from_http_exception(exc: web.HTTPException) -> Answer:
    """An HTTP error aiohttp raised inside a handler (413 for a body too large, ...), as a JSON answer."""
    if exc.status in NO_BODY_STATUSES or exc.status < 400:
        return Answer(status=exc.status, headers=exc.headers)
    answer = error(exc.status, exc.text or exc.reason)
    for name in ("Allow", "Retry-After", "Location"):
        if name in exc.headers:
            answer.headers[name] = exc.headers[name]
    return answer
