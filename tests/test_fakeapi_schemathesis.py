"""schemathesis against the live /openapi.json: 0 server errors, 0 answers that break the document.

A server started for this module serves its own document; schemathesis generates valid and
invalid requests for every operation in it and runs all of its checks on each answer (status
documented, content type, headers, response schema, invalid data rejected with a 4xx, valid
data accepted, unsupported methods answered 405, no 5xx).

What is left out, and why: valid values of the chaos parameters that ask for a failure or a
wait (`fault`, `status`, `fail_rate` above 0, and `delay`, `jitter` or `/delay/{seconds}` above
MAX_WAIT, and `/status/{code}` with a code of 400 or more), and valid values of the parameters that
only work in pairs or by design fail, wait or refuse (`p50`, `p99`, `fail_first`, `fail_with`,
`rate_limit`, `rate_window`: one alone is a 400 the schema cannot express) are filtered out by the hooks below
(`filter_query`, `filter_path_parameters`): a case that holds one is not sent. They would make
"valid data accepted" or "no server error" fail on purpose (a forced 503 is the point of
`status=503`, a reset the point of `fault=reset`) or make the run wait, and they are covered
value by value in tests/test_fakeapi_chaos.py and tests/test_fakeapi_hardening.py. Invalid
values of the same parameters are sent as generated: each must be a 4xx. Filtering never
turns an invalid case into a valid one, which rewriting values could. schemathesis's coverage
phase is not run: it does not apply filter hooks, so it would send `fault=reset` and
`fault=hang`; the bounds it would probe (each minimum and maximum, and just past them) are
tested row by row from the parameter table in tests/test_fakeapi_params.py.

The run is bounded: MAX_EXAMPLES per operation, `--seed 1` so the same cases run every time,
`--max-time RUN_TIMEOUT` for schemathesis, and a per-test timeout above it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import schemathesis

import fakeapi
from fakeapi.answers import BadParam
from fakeapi.params import BY_NAME, CODE, SECONDS, parse
from fakeapi.typedefs import Param

pytestmark = pytest.mark.slow  # fuzzes the live server for tens of seconds

MAX_WAIT = 0.02  # seconds: the longest delay or jitter a generated request may ask for
MAX_EXAMPLES = 30  # per operation, in the fuzzing phase
RUN_TIMEOUT = 20  # seconds schemathesis may run in all (--max-time); the whole test takes about 25 s here
HERE = Path(__file__).resolve().parent


def _valid(param: Param, raw: Any) -> Any:
    """The parsed value if `raw` is a valid value of `param`, else None."""
    try:
        return parse(param, str(raw))
    except BadParam:
        return None


PAIRED = ("p50", "p99", "fail_first", "fail_with", "rate_limit", "rate_window")  # tested in test_fakeapi_scripted.py


def asks_for_failure_or_wait(query: dict[str, Any]) -> bool:
    if any(name in query and _valid(BY_NAME[name], query[name]) is not None for name in ("fault", "status", *PAIRED)):
        return True
    if "fail_rate" in query and _valid(BY_NAME["fail_rate"], query["fail_rate"]):
        return True
    return any(name in query and (_valid(BY_NAME[name], query[name]) or 0) > MAX_WAIT for name in ("delay", "jitter"))


def filter_query(ctx: Any, query: dict[str, Any] | None) -> bool:
    """Keep a case unless a valid chaos value in it asks for a failure or a wait (invalid ones are kept)."""
    return not query or not asks_for_failure_or_wait(query)


def filter_path_parameters(ctx: Any, path_parameters: dict[str, Any] | None) -> bool:
    """Keep /delay/{seconds} only for short waits, /status/{code} only for codes that are not errors."""
    if not path_parameters:
        return True
    if "seconds" in path_parameters:
        return (_valid(SECONDS, path_parameters["seconds"]) or 0) <= MAX_WAIT
    if "code" in path_parameters:
        return (_valid(CODE, path_parameters["code"]) or 0) < 400
    return True


# Registered for the schemathesis run below, which imports this module (SCHEMATHESIS_HOOKS).
schemathesis.hook("filter_query")(filter_query)
schemathesis.hook("filter_path_parameters")(filter_path_parameters)


@pytest.mark.timeout(RUN_TIMEOUT + 30)
def test_live_openapi_document_holds(tmp_path) -> None:
    with fakeapi.FakeAPI(latency_scale=0) as api:
        done = subprocess.run(
            [sys.executable, "-m", "schemathesis.cli", "run", api.url + "/openapi.json", "--checks", "all",
             "--max-examples", str(MAX_EXAMPLES), "--seed", "1", "--workers", "1", "--max-time", str(RUN_TIMEOUT),
             "--phases", "examples,fuzzing,stateful", "--request-timeout", "5", "--no-color", "--report", "junit",
             "--report-junit-path",
             str(tmp_path / "junit.xml")],
            cwd=tmp_path, env={**os.environ, "SCHEMATHESIS_HOOKS": Path(__file__).stem, "PYTHONPATH": str(HERE)},
            capture_output=True, text=True, timeout=RUN_TIMEOUT + 20)
        journal, changes = api.journal(), api.journal_seq()
    summary = done.stdout[-3000:]
    assert done.returncode == 0, summary + done.stderr[-2000:]
    assert "No issues found" in done.stdout, summary
    # the requests really came, at least one per resource operation: 2 journal changes each (a start and
    # an end; the seq counts on across the clears the run makes). How many more depends on the machine's speed.
    assert changes >= 2 * len([route for route in fakeapi.ROUTES if not route.internal]), changes
    assert not [e for e in journal if e["status"] is not None and e["status"] >= 500], summary
