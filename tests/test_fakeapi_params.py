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
    if param.kind == "choice":
        return [(choice, True) for choice in param.choices] + [("explode", False), ("", False),
                                                                 (param.choices[0].upper(), False)]
    if param.kind == "number":
        step = (param.hi - param.lo) / 1000
        return [(f"{param.lo:g}", True), (f"{param.hi:g}", True), (f"{param.lo - step:g}", False),
                (f"{param.hi + step:g}", False), ("nan", False), ("inf", False), ("abc", False), ("", False),
                ("1_0", False)]
    return [(str(param.lo), True), (str(param.hi), True), (str(param.lo - 1), False), (str(param.hi + 1), False),
            ("1.5", False), ("abc", False), ("", False)]


ROWS = [(param, raw, accepted) for param in CHAOS_PARAMS for raw, accepted in cases(param)]
SAFE = {"fault": "delay=0", "delay": "", "jitter": "", "status": "", "fail_rate": "", "seed": "",
        "max_concurrent": ""}


@pytest.mark.parametrize(("param", "raw", "accepted"), ROWS, ids=[f"{p.name}={raw}" for p, raw, _ in ROWS])
def test_the_server_keeps_each_bound_of_the_table(api, fetch, param, raw, accepted) -> None:
    if accepted and param.name == "fault" and raw in ("hang", "reset", "close"):
        pytest.skip("answers no JSON by design: tests/test_fakeapi_chaos.py meets it with a client")
    if accepted and param.name in ("delay", "jitter") and float(raw) > 1:
        pytest.skip("a long wait: the bound itself is checked by the refusal just past it")
    reply = fetch(f"/users/1?{param.name}={raw}")
    if accepted:
        assert reply.status != 400, reply.body
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
