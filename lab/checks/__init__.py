"""Running a learner's exercise against fakeapi and answering with specific feedback.

One package, one job per module:

- `server`: the checks' own fakeapi server (`check_server()`, `idle_check_server()`) and the client
  sessions a check hands the learner (`check_session`, `reference_json`);
- `verdicts`: `CheckFailed`, `NotSolvedYet`, `passed()` and `on_pass(listener)`, the one place a pass is known;
- `formatting`: words for hints (`function_name`, `short`, `describe`, `explain`, `not_a_value`);
- `observation`: `observe(fn, ...)` and the `Observation` it returns;
- `registry`: `ExerciseCheck` (a check, its reference solution, what it needs) and `registered_checks()`.

Every exercise module imports what it needs from `lab.checks` itself.
"""

from __future__ import annotations

from ..journal import all_overlapped, max_in_flight
from .formatting import describe, explain, explained, function_name, leaves, not_a_value, require_async, short
from .observation import (
    BLOCKED_LOOP,
    BLOCKING_SLEEP,
    DEADLINE,
    GRACE,
    HEARTBEAT,
    STILL_RUNNING_TOLERANCE,
    Observation,
    observe,
    owned_by,
)
from .registry import ExerciseCheck, registered_checks
from .server import LATENCY_SCALE, SEED, check_server, check_session, idle_check_server, reference_json
from .verdicts import CheckFailed, NotSolvedYet, PassedCheck, on_pass, passed

__all__ = ["BLOCKED_LOOP", "BLOCKING_SLEEP", "DEADLINE", "GRACE", "HEARTBEAT", "LATENCY_SCALE", "SEED",
           "STILL_RUNNING_TOLERANCE", "CheckFailed", "ExerciseCheck", "NotSolvedYet", "Observation", "PassedCheck",
           "all_overlapped", "check_server", "check_session", "describe", "explain", "explained", "function_name",
           "idle_check_server", "leaves", "max_in_flight", "not_a_value", "observe", "on_pass", "owned_by", "passed",
           "reference_json", "registered_checks", "require_async", "short"]
