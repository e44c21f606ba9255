"""What a check says: a pass (one ✅ line, and the listeners told), or a failure with a hint.

    lab.checks.on_pass(listener)   # listener(PassedCheck) after every check that passes

A wrong answer raises CheckFailed with a hint; an exercise still holding `raise NotImplementedError`
raises NotSolvedYet. Both show as one friendly line in Jupyter instead of a traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass

from .. import progress


class CheckFailed(AssertionError):
    """The exercise ran, but not the way it should: the message says what to change."""

    icon = "❌"

    def _render_traceback_(self) -> list[str]:  # IPython shows this instead of a traceback
        return [f"{self.icon} {type(self).__name__}: {self}"]


class NotSolvedYet(CheckFailed):
    """The exercise still holds `raise NotImplementedError`."""

    icon = "✏️"


@dataclass(frozen=True)
class PassedCheck:
    """One check that passed: `check` is its qualified name, e.g. "lab.exercises.start_here.check_todo_title"."""

    check: str
    message: str

    @property
    def name(self) -> str:
        """The check function's own name, e.g. "check_todo_title"."""
        return self.check.rsplit(".", 1)[-1]


PassListener = Callable[[PassedCheck], None]
_listeners: list[PassListener] = []


def on_pass(listener: PassListener) -> Callable[[], None]:
    """Call `listener(PassedCheck(check, message))` each time a check passes; returns a function that
    removes the listener again. A listener that raises is removed and its error not shown to the learner
    (a progress display must never turn a pass into a failure)."""
    _listeners.append(listener)

    def remove() -> None:
        if listener in _listeners:
            _listeners.remove(listener)

    return remove


def _calling_check() -> str:
    """The qualified name of the nearest `check_*` function up the stack (the check that passed)."""
    frame = sys._getframe(2)
    while frame is not None:
        name = frame.f_code.co_name
        if name.startswith("check_"):
            return f"{frame.f_globals.get('__name__', '?')}.{name}"
        frame = frame.f_back  # type: ignore[assignment]
    return "?"


def passed(message: str, check: str | None = None) -> None:
    """The one place a pass is known: print "✅ message" and tell every on_pass listener.

    `check` names the check that passed; by default, the `check_*` function that called passed().
    """
    print(f"✅ {message}")
    record = PassedCheck(check or _calling_check(), message)
    try:  # remembered in the learner's my-lab/ (nowhere else), for lesson 00's map
        progress.record_pass(record.check)
    except OSError as error:  # a full or read-only disk costs the learner the record, never the verdict
        print(f"(your progress could not be saved: {error})", file=sys.stderr)
    for listener in list(_listeners):
        try:
            listener(record)
        except Exception:  # noqa: BLE001 - see on_pass
            if listener in _listeners:
                _listeners.remove(listener)
