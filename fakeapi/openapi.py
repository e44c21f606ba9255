"""GET /openapi.json: an OpenAPI 3 document built from the route table, so it cannot drift."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from .params import FAULTS, MAX_DELAY

if TYPE_CHECKING:
    from .app import Route

CHAOS_DOCS: dict[str, tuple[dict[str, Any], str]] = {
    "delay": ({"type": "number", "minimum": 0, "maximum": MAX_DELAY},
              "Seconds to wait before answering; replaces the route's default latency."),
    "jitter": ({"type": "number", "minimum": 0, "maximum": 10},
               "Extra random seconds, drawn from [0, jitter); reproducible with seed."),
    "seed": ({"type": "integer", "minimum": 0},
             "Seed of the random draws (jitter, fail_rate). Draws depend on seed, URL and how often that URL was seen."),
    "status": ({"type": "integer", "minimum": 200, "maximum": 599}, "Answer with this status and a JSON body."),
    "fail_rate": ({"type": "number", "minimum": 0, "maximum": 1},
                  "Share of requests that answer 500; deterministic for a given seed."),
    "fault": ({"type": "string", "enum": list(FAULTS)},
              "reset: TCP reset; close: closed with no response; malformed: 200 with invalid JSON; "
              "hang: no response until the client gives up; slow: the body dribbled out over `delay` seconds."),
    "max_concurrent": ({"type": "integer", "minimum": 1},
                       "When this many requests are already in flight on the route, answer 429 with Retry-After."),
}

ERROR_SCHEMA = {
    "type": "object",
    "properties": {"error": {"type": "string"}, "param": {"type": "string"}, "allowed": {}},
    "required": ["error"],
}


def _path_params(path: str) -> list[dict[str, Any]]:
    params = []
    for name in re.findall(r"{(\w+)}", path):
        schema = {"type": "number"} if name == "seconds" else {"type": "integer"}
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
    return params


def _operation(route: Route) -> dict[str, Any]:
    params = _path_params(route.path)
    for name, text in route.params.items():
        params.append({"name": name, "in": "query", "required": False, "schema": {"type": "integer"},
                       "description": text})
    if not route.internal:
        for name, (schema, text) in CHAOS_DOCS.items():
            params.append({"name": name, "in": "query", "required": False, "schema": schema, "description": text})
    description = route.summary
    if not route.internal:
        description += f". Default latency {route.latency:g} s (times latency_scale)."
    responses: dict[str, Any] = {
        "200": {"description": "OK", "content": {"application/json": {}}},
        "400": {"description": "A parameter is malformed; the body names it",
                "content": {"application/json": {"schema": ERROR_SCHEMA}}},
    }
    if route.method == "POST":
        responses["201"] = responses.pop("200") | {"description": "Created"}
    if "{" in route.path:
        responses["404"] = {"description": "No such id", "content": {"application/json": {"schema": ERROR_SCHEMA}}}
    if route.method == "DELETE":
        responses = {"204": {"description": "Cleared"}}
    operation: dict[str, Any] = {"summary": route.summary, "description": description,
                                 "parameters": params, "responses": responses}
    if route.method == "POST":
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["message"],
            "properties": {"message": {"type": "string"}, "user": {"type": "integer"}}}}}}
    return operation


def openapi_document(routes: list[Route]) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(route)
    return {
        "openapi": "3.0.3",
        "info": {"title": "fakeapi", "version": "1.0",
                 "description": "The asyncio lab's local fake API: resources, chaos by query parameter, "
                                "and a journal of every request."},
        "paths": paths,
    }
