"""The one table of parameters (fakeapi/params.py) is what the parser, /openapi.json and docs/fakeapi.md say.

Each chaos parameter is tried at its bounds and just past them, on a live server, from its row
alone: the table is the spec, and these rows prove the server keeps it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from fakeapi.params import CHAOS_PARAMS, markdown_table
from fakeapi.typedefs import Param

pytestmark = pytest.mark.timeout(60)

DOC = Path(__file__).resolve().parent.parent / "docs" / "fakeapi.md"


def cases(param: Param) -> list[tuple[str, bool]]:
    """(raw value, accepted?) at and just past the bounds, and a few malformed values."""
    if param.kind in ("choice", "string"):
        lo = hi = 0.0  # no bounds
    else:
        assert param.lo is not None and param.hi is not None, param
        lo, hi = param.lo, param.hi
    if param.kind == "failure":
        return [(str(int(lo)), True), (str(int(hi)), True), ("503", True),
                *((choice, True) for choice in param.choices), (str(int(lo) - 1), False),
                (str(int(hi) + 1), False), ("1.5", False), ("explode", False), ("", False),
                (param.choices[0].upper(), False)]
    if param.kind == "choice":
        return [(choice, True) for choice in param.choices] + [("explode", False), ("", False),
                                                                 (param.choices[0].upper(), False)]
    if param.kind == "number":
        step = (hi - lo) / 1000
        return [(f"{lo:g}", True), (f"{hi:g}", True), (f"{lo - step:g}", False),
                (f"{hi + step:g}", False), ("nan", False), ("inf", False), ("abc", False), ("", False),
                ("1_0", False)]
    return [(str(param.lo), True), (str(param.hi), True), (str(lo - 1), False), (str(hi + 1), False),
            ("1.5", False), ("abc", False), ("", False)]


def answers_json_at_once(param: Param, raw: str, accepted: bool) -> bool:
    """Leave out the accepted values that answer no JSON (hang, reset, close: tests/test_fakeapi_chaos.py
    meets them with a client) or wait long (delay or jitter above 1 s: the refusal just past them checks the bound)."""
    if accepted and param.name in ("fault", "fail_with"):
        return raw not in ("hang", "reset", "close")
    if accepted and param.name in ("delay", "jitter", "p50", "p99"):
        return float(raw) <= 1
    return True


# What a parameter that needs a partner is sent with (after it, so a bad value is the first error).
PARTNER = {"p50": "p99={raw}", "p99": "p50=0.001", "fail_with": "fail_first=1", "rate_limit": "rate_window=1",
           "rate_window": "rate_limit=1"}


ROWS = [(param, raw, accepted) for param in CHAOS_PARAMS for raw, accepted in cases(param)
        if answers_json_at_once(param, raw, accepted)]


@pytest.mark.parametrize(("param", "raw", "accepted"), ROWS, ids=[f"{p.name}={raw}" for p, raw, _ in ROWS])
def test_the_server_keeps_each_bound_of_the_table(api, fetch, param, raw, accepted) -> None:
    partner = PARTNER.get(param.name)
    reply = fetch(f"/users/1?{param.name}={raw}" + (f"&{partner.format(raw=raw)}" if partner else ""))
    if accepted:  # whatever it answers (fail_with=400 is a 400 on purpose), it is not a refusal naming a parameter
        assert not (reply.status == 400 and isinstance(reply.body, dict) and "param" in reply.body), reply.body
    else:
        assert reply.status == 400
        assert reply.body == {"error": param.error(raw), "status": 400, "param": param.name,
                              "allowed": param.allowed}


def test_the_openapi_document_holds_each_row(fetch) -> None:
    doc = fetch("/openapi.json").body
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            if path.startswith("/_") or path == "/openapi.json" or method == "delete":
                continue
            described = {p["name"]: p for p in operation["parameters"] if p["in"] == "query"}
            for param in CHAOS_PARAMS:
                assert described[param.name]["schema"] == param.schema(), (method, path, param.name)
                assert described[param.name]["description"] == param.description


def test_bounds_the_openapi_document_used_to_miss(fetch) -> None:
    doc = fetch("/openapi.json").body
    params = {p["name"]: p["schema"] for p in doc["paths"]["/users/{id}/orders"]["get"]["parameters"]}
    assert (params["limit"]["minimum"], params["limit"]["maximum"]) == (1, 100)
    assert params["seed"]["maximum"] == 2**63 - 1 and params["max_concurrent"]["maximum"] == 100_000
    seconds = doc["paths"]["/delay/{seconds}"]["get"]["parameters"][0]["schema"]
    assert (seconds["minimum"], seconds["maximum"]) == (0, 30)
    code = doc["paths"]["/status/{code}"]["get"]["parameters"][0]["schema"]
    assert (code["minimum"], code["maximum"]) == (200, 599)
    body = doc["paths"]["/notifications"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body["properties"]["message"]["minLength"] == 1
    responses = doc["paths"]["/users/{id}"]["get"]["responses"]
    assert {"200", "400", "404", "429", "500", "204", "205", "304", "default"} <= set(responses)
    assert "413" in doc["paths"]["/notifications"]["post"]["responses"]


def test_the_doc_table_is_the_table() -> None:
    """docs/fakeapi.md carries markdown_table() verbatim: regenerate it from fakeapi.params when a row changes."""
    text = DOC.read_text()
    assert markdown_table() in text, "docs/fakeapi.md: paste the output of fakeapi.params.markdown_table()"
