"""aiohttp's own low-level errors, answered as JSON with one log line.

A request aiohttp cannot parse (a request line or header over the limit, a method that is not
a token, a bad chunk, an unknown Content-Encoding) never reaches the app: aiohttp answers it
itself with `RequestHandler.handle_error`, text/plain and a logged traceback. aiohttp offers no
public hook for that answer (aio-libs/aiohttp issues 3287, 9882), so `JsonErrorServer` builds
its connections with `JsonErrorRequestHandler`, whose `handle_error` answers
`{"error": ..., "status": ...}` and logs one line. Such a request is not journaled: it never
reached a route. tests/test_fakeapi_hardening.py pins this behaviour on the installed aiohttp.
"""

from __future__ import annotations

import json
import logging

from aiohttp import web
from aiohttp.http_exceptions import PayloadEncodingError
from aiohttp.web_protocol import RequestHandler

from .answers import BODY_ALLOWED, phrase

logger = logging.getLogger("fakeapi")


class JsonErrorRequestHandler(RequestHandler):
    def handle_error(self, request: web.BaseRequest, status: int = 500, exc: BaseException | None = None,
                     message: str | None = None) -> web.StreamResponse:
        reason = " ".join((message or phrase(status)).split())  # aiohttp's messages span lines
        logger.warning("fakeapi: %s from %s: %s", status, request.remote, reason)
        if request.writer.output_size > 0:  # some of an answer went out already: the connection is broken
            raise ConnectionError("Response is sent already, cannot send another response with the error message")
        body: dict[str, object] = {"error": f"{phrase(status)}: {reason}", "status": status}
        if isinstance(exc, PayloadEncodingError):  # a body aiohttp could not decode, found while parsing
            how = f"with Content-Encoding: {reason}" if " " not in reason else f"({reason})"
            body = {"error": f"body could not be decoded {how}", "status": status, "param": "body",
                    "allowed": BODY_ALLOWED}
        response = web.Response(status=status, body=json.dumps(body).encode(), content_type="application/json")
        response.force_close()
        return response


class JsonErrorServer(web.Server):
    def __call__(self) -> RequestHandler:
        return JsonErrorRequestHandler(self, loop=self._loop, **self._kwargs)


def use_json_errors(runner: web.BaseRunner) -> None:
    """Make the connections of a set-up runner answer aiohttp's own errors as JSON."""
    server = runner.server
    if server is not None and type(server) is web.Server:
        server.__class__ = JsonErrorServer  # the same object, only its protocol factory differs
