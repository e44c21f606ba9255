"""GET /openapi.json: an OpenAPI 3 document built from the route table and the parameter table.

Nothing here is written twice: every parameter's schema and bounds come from its `Param` row
(fakeapi/params.py), every route from ROUTES, so the document cannot drift from the server.
"""

from __future__ import annotations

from typing import Any

from .answers import NO_BODY_STATUSES
from .params import BODY_LIMIT, CHAOS_PARAMS, MAX_BODY_DEPTH, MESSAGE
from .typedefs import Param, Route

ERROR_SCHEMA = {
    "type": "object",
    "properties": {"error": {"type": "string"}, "status": {"type": "integer", "minimum": 400, "maximum": 599},
                   "param": {"type": "string"}, "allowed": {}},
    "required": ["error", "status"],
}
ENTRY_SCHEMA = {
    "type": "object",
    "required": ["id", "seq", "method", "path", "query", "route", "status", "outcome", "fault", "start", "end",
                 "latency"],
    "properties": {
        "id": {"type": "integer"}, "seq": {"type": "integer"}, "method": {"type": "string"},
        "path": {"type": "string"}, "query": {"type": "object"}, "route": {"type": "string", "nullable": True},
        "status": {"type": "integer", "nullable": True},
        "outcome": {"type": "string", "enum": ["ok", "error", "fault", "cancelled"], "nullable": True},
        "fault": {"type": "string", "nullable": True}, "start": {"type": "number"},
        "end": {"type": "number", "nullable": True}, "latency": {"type": "number", "nullable": True},
    },
}


BODY_RULE = (f"a JSON object of at most {BODY_LIMIT} bytes, its arrays and objects nested at most {MAX_BODY_DEPTH} "
             f"deep")
RATE_HEADERS = {name: {"schema": {"type": "integer"}, "description": f"with rate_limit: {text}"} for name, text in (
    ("RateLimit-Limit", "the limit per window"), ("RateLimit-Remaining", "requests left in the window"),
    ("RateLimit-Reset", "whole seconds until the window ends, rounded up"))}


def _json(description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema or {}}}}


def _error(description: str) -> dict[str, Any]:
    return _json(description, ERROR_SCHEMA)


def _parameter(param: Param) -> dict[str, Any]:
    return {"name": param.name, "in": param.where, "required": param.where == "path", "schema": param.schema(),
            "description": param.description}


def _resource_responses(route: Route) -> dict[str, Any]:
    created = route.method == "POST"
    responses: dict[str, Any] = {
        "201" if created else "200": _json("Created" if created else "OK"),
        "400": _error("A parameter (or the body) is malformed, repeated or unknown; the body names it"),
        "404": _error("No such resource (an id, or the user of a `user=` filter)"
                      if route.path_params or route.params else "Never, unless forced with status=404"),
        "429": {**_error("max_concurrent: too many requests in flight on this route; or rate_limit: over the "
                         "window's limit"),
                "headers": {"Retry-After": {"schema": {"type": "integer"}, "description": "seconds"},
                            **RATE_HEADERS}},
        "500": _error("fail_rate: an injected failure"),
        **{str(code): {"description": f"Forced with status={code}: no body"} for code in NO_BODY_STATUSES},
        "default": {"description": "A status forced with status= (200 to 599; JSON body except for 204, 205 "
                                   "and 304), or the fault malformed (200 with half a body)",
                    "content": {"application/json": {"schema": {}}}},
    }
    if created:
        responses["400"] = _error(f"A parameter is malformed, repeated or unknown, or the body is not {BODY_RULE}; "
                                  f"the body names it")
        responses["413"] = _error(f"The body is over {BODY_LIMIT} bytes; param is body")
    return responses


def _operation(route: Route) -> dict[str, Any]:
    params = [_parameter(p) for p in (*route.path_params, *route.params)]
    if route.internal:
        responses: dict[str, Any] = {"200": _json("OK")}
        if route.path == "/_journal" and route.method == "GET":
            responses["200"] = {**_json("The entries, oldest first", {"type": "array", "items": ENTRY_SCHEMA}),
                                "headers": {"Journal-Seq": {"schema": {"type": "integer"},
                                                            "description": "the journal's latest change number"}}}
        if route.method == "DELETE":
            responses = {"204": {"description": "Cleared"}}
        responses["400"] = _error("An unknown, repeated or malformed parameter; the body names it")
        description = route.summary + ". A control route: not journaled, no chaos."
    else:
        params += [_parameter(p) for p in CHAOS_PARAMS]
        responses = _resource_responses(route)
        description = f"{route.summary}. Default latency {route.latency:g} s (times latency_scale)."
    operation: dict[str, Any] = {"summary": route.summary, "description": description,
                                 "parameters": params, "responses": responses}
    if route.method == "POST":
        operation["requestBody"] = {"required": True, "description": f"The body: {BODY_RULE}.",
                                    "content": {"application/json": {"schema": {
            "type": "object", "required": [MESSAGE.name],
            "properties": {MESSAGE.name: MESSAGE.schema(), "user": {"type": "integer", "nullable": True}}}}}}
    return operation


def openapi_document(routes: list[Route]) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(route)
    return {
        "openapi": "3.0.3",
        "info": {"title": "fakeapi", "version": "1.1",
                 "description": "The asyncio lab's local fake API: resources, chaos by query parameter, "
                                "and a journal of every request. Every error body is JSON: "
                                "{\"error\": sentence, \"status\": code, ...}."},
        "paths": paths,
    }
