"""Every input a real client can send, answered with a JSON 4xx naming the problem; the journal says what was sent.

One table per kind of bug found by trying fakeapi from outside (curl, schemathesis, hand-made
requests): chaos on a missing resource, errors raised inside a handler, a literal {placeholder}
in a path, repeated parameters, crafted POST bodies, requests aiohttp cannot parse, and
start() racing stop().
"""

from __future__ import annotations

import gzip
import io
import json
import logging
import socket
import threading
import time
import zlib
from pathlib import Path
from typing import Any

import pytest

import fakeapi
from fakeapi.handlers import TOO_DEEP
from fakeapi.params import MAX_BODY_DEPTH

pytestmark = pytest.mark.timeout(60)  # a fakeapi test that hangs fails within a minute

ROOT = Path(__file__).resolve().parent.parent
HINT = "did you forget the f of an f-string?"


def assert_json_error(reply: Any, status: int, error: str) -> None:
    assert reply.status == status, reply
    assert reply.headers["Content-Type"].startswith("application/json")
    assert reply.body["status"] == status
    assert error in reply.body["error"], reply.body["error"]


def assert_journal_says(api: fakeapi.FakeAPI, status: int | None, outcome: str) -> None:
    last = api.journal()[-1]
    assert (last["status"], last["outcome"]) == (status, outcome)


# ---- chaos on a resource that does not exist --------------------------------------------------

MISSING = [  # path, what the 404 says
    ("/users/99", "no user with id 99"),
    ("/users/99/orders", "no user with id 99"),
    ("/users/99/settings", "no user with id 99"),
    ("/orders?user=99", "no user with id 99"),
    ("/payments?user=99", "no user with id 99"),
    ("/reviews?user=99", "no user with id 99"),
    ("/posts/11", "no post with id 11"),
    ("/todos/0", "no todo with id 0"),
]

# chaos, the status the client gets, what its body says (None: the 404's own message), outcome
CHAOS_ON_MISSING = [
    ("jitter=0.01", 404, None, "error"),
    ("jitter=0.01&seed=3", 404, None, "error"),
    ("seed=3", 404, None, "error"),
    ("delay=0.01", 404, None, "error"),
    ("max_concurrent=5", 404, None, "error"),
    ("fail_rate=0", 404, None, "error"),
    ("fail_rate=1", 500, "injected failure (fail_rate=1)", "error"),
    ("fail_rate=1&jitter=0.01&seed=1", 500, "injected failure (fail_rate=1)", "error"),
    ("status=503", 503, "forced status 503 (Service Unavailable)", "error"),
    ("status=200", 200, "OK", "ok"),
    ("status=503&fail_rate=1&jitter=0.01", 503, "forced status 503 (Service Unavailable)", "error"),
    ("fault=slow&delay=0.01", 404, None, "fault"),
    ("fault=slow&jitter=0.01", 404, None, "fault"),
    ("fault=malformed&fail_rate=0.5&jitter=0.01", 200, "malformed", "fault"),
]


@pytest.mark.parametrize(("query", "status", "says", "outcome"), CHAOS_ON_MISSING, ids=[r[0] for r in CHAOS_ON_MISSING])
@pytest.mark.parametrize(("path", "missing"), MISSING, ids=[r[0] for r in MISSING])
def test_chaos_on_a_missing_resource(api, fetch, caplog, path, missing, query, status, says, outcome) -> None:
    reply = fetch(f"{path}{'&' if '?' in path else '?'}{query}")
    assert reply.status == status
    assert reply.headers["Content-Type"].startswith("application/json")
    if says == "malformed":
        assert isinstance(reply.body, bytes)  # half a JSON body
    elif says is None:
        assert reply.body == {"error": missing, "status": 404}
    else:
        assert says in (reply.body.get("error") or reply.body.get("message"))
    assert_journal_says(api, status, outcome)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


# ---- the journal's status is the status the client got; every error body is JSON ----------------

BIG = b'{"message": "' + b"x" * (10 * 1024**2) + b'"}'  # sent as io.BytesIO(BIG): aiohttp warns on raw bytes

# method, path, keyword arguments, status, part of the error
ERRORS = [
    ("POST", "/notifications", {"data": "BIG", "headers": {"Content-Type": "application/json"}}, 413,
     "body must be at most 1048576 bytes"),
    ("POST", "/notifications?status=201", {"data": "BIG"}, 413, "body must be at most 1048576 bytes"),
    ("GET", "/users/abc?delay=5", {}, 400, "id must be a whole number"),  # at once: no delay
    ("GET", "/nope", {}, 404, "Not Found: GET /nope"),
    ("OPTIONS", "/users", {}, 405, "Method Not Allowed: OPTIONS /users"),
    ("PATCH", "/_journal", {}, 405, "Method Not Allowed: PATCH /_journal"),
]


@pytest.mark.parametrize(("method", "path", "kwargs", "status", "error"), ERRORS,
                         ids=[f"{r[0]} {r[1]}" for r in ERRORS])
def test_the_journal_records_the_status_the_client_got(api, fetch, caplog, method, path, kwargs, status, error) -> None:
    if kwargs.get("data") == "BIG":
        kwargs = {**kwargs, "data": io.BytesIO(BIG)}
    reply = fetch(path, method, **kwargs)
    assert_json_error(reply, status, error)
    assert_journal_says(api, status, "error")
    assert api.journal()[-1]["end"] - api.journal()[-1]["start"] < 1  # refused at once
    assert api.notifications() == []
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_a_413_names_the_body(fetch) -> None:
    reply = fetch("/notifications", "POST", data=io.BytesIO(BIG))
    assert reply.body == {"error": "body must be at most 1048576 bytes", "status": 413, "param": "body",
                          "allowed": "at most 1048576 bytes"}


# ---- a literal {placeholder} in a path: the forgotten f of an f-string ----------------------------

PLACEHOLDERS = [  # method, path as sent, status, the literal named
    ("GET", "/users/{user_id}", 404, "{user_id}"),
    ("GET", "/users/{id}", 404, "{id}"),
    ("GET", "/users/{user_id}/orders", 404, "{user_id}"),
    ("GET", "/posts/{post_id}", 404, "{post_id}"),
    ("GET", "/delay/{seconds}", 404, "{seconds}"),
    ("GET", "/status/{code}", 404, "{code}"),
    ("DELETE", "/users/{user_id}", 404, "{user_id}"),
    ("GET", "/users/{}", 404, "{}"),
]


@pytest.mark.parametrize(("method", "path", "status", "literal"), PLACEHOLDERS,
                         ids=[f"{r[0]} {r[1]}" for r in PLACEHOLDERS])
def test_a_literal_placeholder_in_the_path_is_a_404_with_a_hint(api, fetch, method, path, status, literal) -> None:
    reply = fetch(path, method)
    assert_json_error(reply, status, f"Not Found: {method} {path} has a literal {literal} in its path: {HINT}")
    assert "Allow" not in reply.headers
    assert_journal_says(api, status, "error")


@pytest.mark.parametrize(("path", "param"), [("/orders?user={user_id}", "user"),
                                             ("/users/1/orders?limit={limit}", "limit"),
                                             ("/users?delay={delay}", "delay")])
def test_a_literal_placeholder_in_a_query_is_a_400_with_the_hint(fetch, path, param) -> None:
    reply = fetch(path)
    literal = path.split("=")[1]
    assert_json_error(reply, 400, f"got {literal!r} (a literal {literal}: {HINT}")
    assert reply.body["param"] == param


# ---- repeated parameters: a 400 naming the parameter, everywhere -----------------------------------

REPEATED = [
    ("/users?delay=1&delay=2", "delay"),
    ("/users?delay=0&delay=0", "delay"),  # even with the same value twice
    ("/users/1?status=503&status=200", "status"),
    ("/users/1?fault=hang&fault=slow", "fault"),
    ("/users?seed=1&jitter=0&seed=2", "seed"),
    ("/users/1/orders?limit=1&limit=2", "limit"),
    ("/orders?user=1&user=2", "user"),
    ("/users/99?fail_rate=1&fail_rate=1", "fail_rate"),  # before the lookup: a 400, not a 404
    ("/_journal?since=0&since=1", "since"),
]


@pytest.mark.parametrize(("path", "param"), REPEATED, ids=[r[0] for r in REPEATED])
def test_a_repeated_parameter_is_a_400_naming_it(fetch, path, param) -> None:
    reply = fetch(path)
    assert_json_error(reply, 400, f"{param} is given more than once: give it once")
    assert reply.body["param"] == param
    assert reply.body["allowed"]


# ---- crafted POST bodies: a JSON 4xx naming body --------------------------------------------------

JSON = {"Content-Type": "application/json"}

def nested(depth: int, inside: bytes = b"") -> bytes:
    """A notification body whose arrays and objects nest `depth` deep: the object, then depth - 1 lists."""
    return b'{"message": "hi", "x": ' + b"[" * (depth - 1) + inside + b"]" * (depth - 1) + b"}"


BODIES = [  # id, data, headers, status, part of the error
    ("nested-100k-lists", b"[" * 100_000, JSON, 400, TOO_DEEP),
    ("nested-100k-objects", b'{"a":' * 100_000, JSON, 400, TOO_DEEP),
    ("nested-closed", nested(100_000), JSON, 400, TOO_DEEP),
    ("nested-one-past-the-limit", nested(MAX_BODY_DEPTH + 1), JSON, 400, TOO_DEEP),
    ("nested-objects-one-past", b'{"message": "hi", "x": ' + b'{"a": ' * MAX_BODY_DEPTH + b"1" + b"}" * MAX_BODY_DEPTH
     + b"}", JSON, 400, TOO_DEEP),
    ("bad-gzip", b"not gzip at all", {**JSON, "Content-Encoding": "gzip"}, 400,
     "body could not be decoded with Content-Encoding: gzip"),
    ("truncated-gzip", gzip.compress(b'{"message": "hi"}')[:12], {**JSON, "Content-Encoding": "gzip"}, 400,
     "body"),
    ("bad-deflate", b"\x00\x01\x02", {**JSON, "Content-Encoding": "deflate"}, 400,
     "body could not be decoded with Content-Encoding: deflate"),
    ("bad-gzip-big", b"x" * 200_000, {**JSON, "Content-Encoding": "gzip"}, 400,
     "body could not be decoded with Content-Encoding: gzip"),
    ("not-utf8", b'{"message": "\xff\xfe"}', JSON, 400, "body must be a JSON object"),
    ("nan", b'{"message": "hi", "user": NaN}', JSON, 400, "user must be a whole number or absent"),
    ("gzip-bomb", gzip.compress(b'{"message": "' + b"x" * (5 * 1024**2) + b'"}'), {**JSON, "Content-Encoding": "gzip"},
     413, "body must be at most 1048576 bytes"),
]


@pytest.mark.parametrize(("data", "headers", "status", "error"), [r[1:] for r in BODIES], ids=[r[0] for r in BODIES])
def test_a_body_the_server_cannot_use_is_a_json_4xx_naming_body(api, fetch, caplog, data, headers, status,
                                                                 error) -> None:
    reply = fetch("/notifications", "POST", data=data, headers=headers)
    assert_json_error(reply, status, error)
    assert reply.body["param"] in ("body", "user")
    assert api.notifications() == []
    logged = [r for r in caplog.records if r.levelno >= logging.WARNING]
    if api.journal():  # the body reached the route: journaled, nothing logged
        assert_journal_says(api, status, "error")
        assert not logged, [r.getMessage() for r in logged]
    else:  # aiohttp found the bad encoding while parsing, before any route: one log line (see protocol.py)
        assert "Content-Encoding" in error
        assert [r.getMessage() for r in logged] == [f"fakeapi: 400 from 127.0.0.1: {headers['Content-Encoding']}"]
    assert fetch("/users/1").status == 200  # the server goes on answering


NESTED_AT_THE_LIMIT = [  # id, a body whose arrays and objects nest exactly MAX_BODY_DEPTH deep (or less)
    ("lists", nested(MAX_BODY_DEPTH)),
    ("objects", b'{"message": "hi", "x": ' + b'{"a": ' * (MAX_BODY_DEPTH - 1) + b"1" + b"}" * (MAX_BODY_DEPTH - 1)
     + b"}"),
    ("brackets-in-strings", b'{"message": "' + b"[{" * 1000 + b'", "x": "\\\"[[[["}'),  # strings never nest
    ("many-shallow", b'{"message": "hi", "x": [' + b"[[1]], " * 1000 + b"[]]}"),  # 3 deep, 3,000 brackets
]


@pytest.mark.parametrize("data", [r[1] for r in NESTED_AT_THE_LIMIT], ids=[r[0] for r in NESTED_AT_THE_LIMIT])
def test_a_body_nested_up_to_the_limit_is_used(api, fetch, data) -> None:
    json.loads(data)  # valid JSON, as sent
    reply = fetch("/notifications", "POST", data=data, headers=JSON)
    assert reply.status == 201, reply.body
    assert reply.body["message"].startswith(("hi", "[{"))


def test_the_nesting_limit_is_stated_in_the_message_the_openapi_document_and_the_docs(api, fetch) -> None:
    stated = f"nested at most {MAX_BODY_DEPTH} deep"
    assert stated in TOO_DEEP
    post = fetch("/openapi.json").body["paths"]["/notifications"]["post"]
    assert stated in post["requestBody"]["description"]
    assert stated in post["responses"]["400"]["description"]
    assert stated in (ROOT / "docs" / "fakeapi.md").read_text()


def test_a_good_gzip_body_is_used(api, fetch) -> None:
    reply = fetch("/notifications", "POST", data=gzip.compress(b'{"message": "hi"}'),
                  headers={**JSON, "Content-Encoding": "gzip"})
    assert reply.status == 201 and reply.body["message"] == "hi"
    assert zlib  # deflate is covered above; a good gzip body proves decoding is on


# ---- requests aiohttp cannot parse: JSON where aiohttp allows it, one log line ------------------------

def raw_request(port: int, data: bytes) -> tuple[int, dict[str, str], Any]:
    """Send bytes as they are; the status, headers and JSON body of the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(data)
        received = b""
        while b"\r\n\r\n" not in received or len(received.partition(b"\r\n\r\n")[2]) < _length(received):
            chunk = sock.recv(65536)
            if not chunk:
                break
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in header_lines)
    return int(status_line.split()[1]), headers, json.loads(body)


def _length(received: bytes) -> int:
    for line in received.partition(b"\r\n\r\n")[0].split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return int(line.split(b":")[1])
    return 0


LOW_LEVEL = [  # id, bytes sent, part of the error
    ("request-line-too-long", b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", "Got more than 8190 bytes"),
    ("header-too-long", b"GET /users HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n",
     "Got more than 8190 bytes"),
    ("bad-method", b"G(T /users HTTP/1.1\r\nHost: x\r\n\r\n", "Invalid method"),
    ("bad-chunk", b"POST /notifications HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
     "Invalid character in chunk size"),
    ("unknown-encoding",
     b"POST /notifications HTTP/1.1\r\nHost: x\r\nContent-Encoding: br\r\nContent-Length: 2\r\n\r\n{}",
     "body could not be decoded (Can not decode content-encoding: brotli (br)"),
    ("bad-version", b"GET /users HTTP/9.9\r\nHost: x\r\n\r\n", "Bad Request"),
]


@pytest.mark.parametrize(("data", "error"), [r[1:] for r in LOW_LEVEL], ids=[r[0] for r in LOW_LEVEL])
def test_a_request_aiohttp_cannot_parse_is_a_json_400_and_one_log_line(api, caplog, data, error) -> None:
    caplog.set_level(logging.DEBUG)
    status, headers, body = raw_request(api.port, data)
    assert status == 400
    assert headers["Content-Type"].startswith("application/json")
    assert body["status"] == 400 and error in body["error"]
    assert body["error"].startswith("body could not be decoded" if "encoding" in error else "Bad Request: ")
    records = [r for r in caplog.records if r.levelno >= logging.INFO]
    assert len(records) == 1, [r.getMessage() for r in records]
    [record] = records
    assert record.name == "fakeapi" and record.exc_info is None and "\n" not in record.getMessage()
    assert record.getMessage().startswith("fakeapi: 400 from 127.0.0.1: ")


# ---- start() racing stop() from another thread ------------------------------------------------------

def test_start_racing_stop_from_another_thread_succeeds_or_says_what_happened(no_current) -> None:
    """Each start() returns a server that answers, or raises a RuntimeError that says it was stopped."""
    outcomes: list[str] = []
    for _ in range(20):
        api = fakeapi.start(latency_scale=0)
        stopper = threading.Thread(target=api.stop)
        began = time.monotonic()
        stopper.start()
        try:
            again = fakeapi.start(latency_scale=0)
        except RuntimeError as exc:
            assert "stopped" in str(exc) and "fakeapi.start()" in str(exc), exc
            outcomes.append("said")
        else:
            stopper.join(timeout=5)
            if again.running:
                again.journal()  # usable
                outcomes.append("new" if again is not api else "same")
            else:  # it was the one being stopped: a call now says so at once
                with pytest.raises(RuntimeError, match="stopped"):
                    again.journal()
                outcomes.append("stopped after")
        stopper.join(timeout=5)
        assert time.monotonic() - began < 3  # never the 10 s of a lost call
    assert len(outcomes) == 20


def test_a_call_on_a_server_stopped_meanwhile_fails_at_once() -> None:
    api = fakeapi.FakeAPI(latency_scale=0)
    errors: list[BaseException] = []

    def hammer() -> None:
        try:
            while True:
                api.journal()
        except RuntimeError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for thread in threads:
        thread.start()
    time.sleep(0.05)
    began = time.monotonic()
    api.stop()
    for thread in threads:
        thread.join(timeout=5)
    assert time.monotonic() - began < 3
    assert len(errors) == 4 and all("stopped" in str(exc) for exc in errors)
