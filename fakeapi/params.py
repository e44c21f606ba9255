"""Parsing helpers: each turns one raw query value into a typed value or raises BadParam.

Handlers never parse by hand. A BadParam is turned into one answer in one place
(chaos.observed): 400 with JSON {"error", "param", "allowed"}.
"""

from __future__ import annotations

import math
import re
from typing import Any

FAULTS = ("reset", "close", "malformed", "hang", "slow")
MAX_DELAY = 30.0
# Plain ASCII numbers only: Python's int() and float() also take "1_0", " 1" and non-ASCII digits.
INT_RE = re.compile(r"[+-]?[0-9]+")
FLOAT_RE = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")  # so nan and inf are refused too


class BadParam(Exception):
    """A request parameter was missing, not a number, out of range or unknown."""

    def __init__(self, param: str, error: str, allowed: Any) -> None:
        super().__init__(error)
        self.param = param
        self.error = error
        self.allowed = allowed

    def as_json(self) -> dict[str, Any]:
        return {"error": self.error, "param": self.param, "allowed": self.allowed}


def _int(raw: str) -> int | None:
    """A plain ASCII whole number, or None (also for one too long for int(): over 4300 digits)."""
    if not INT_RE.fullmatch(raw):
        return None
    try:
        return int(raw)
    except ValueError:
        return None


def parse_float(param: str, raw: str, lo: float, hi: float, unit: str = "") -> float:
    allowed = f"a number from {lo:g} to {hi:g}{unit}"
    if not FLOAT_RE.fullmatch(raw):
        raise BadParam(param, f"{param} must be {allowed}, got {raw!r}", allowed)
    value = float(raw)
    if not math.isfinite(value) or not lo <= value <= hi:
        raise BadParam(param, f"{param} must be {allowed}, got {raw!r}", allowed)
    return value


def parse_int(param: str, raw: str, lo: int, hi: int) -> int:
    allowed = f"a whole number from {lo} to {hi}"
    value = _int(raw)
    if value is None:
        raise BadParam(param, f"{param} must be {allowed}, got {raw!r}", allowed)
    if not lo <= value <= hi:
        raise BadParam(param, f"{param} must be {allowed}, got {raw!r}", allowed)
    return value


def parse_id(param: str, raw: str) -> int:
    """An id in a path or a filter: any whole number parses (a missing one is a 404 later)."""
    allowed = "a whole number, for example 1"
    value = _int(raw)
    if value is None:
        raise BadParam(param, f"{param} must be {allowed}, got {raw!r}", allowed)
    return value


def parse_delay(raw: str, param: str = "delay") -> float:
    return parse_float(param, raw, 0.0, MAX_DELAY, " (seconds)")


def parse_fault(raw: str) -> str:
    if raw not in FAULTS:
        raise BadParam("fault", f"fault must be one of {', '.join(FAULTS)}, got {raw!r}", list(FAULTS))
    return raw


def parse_status(raw: str, param: str = "status") -> int:
    return parse_int(param, raw, 200, 599)
