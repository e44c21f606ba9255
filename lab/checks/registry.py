"""One registry of exercise checks: each exercise module says which checks it has, with a reference.

Convention (every module in lab/exercises/ that defines a `check_*` follows it):

    CHECKS = (
        ExerciseCheck(check_todo_title, reference=reference_todo_title),
        ExerciseCheck(check_notify_once, reference=reference_notify_once, timing=False, writes=True),
    )

`reference` is a correct answer, written in the module; the scenario tests (tests/test_exercises_scenarios.py)
run every registered check with it under each condition its flags call for, and a test fails when a
`check_*` of a module is missing from CHECKS.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

Check = Callable[[Callable[..., Any]], Awaitable[None]]


@dataclass(frozen=True)
class ExerciseCheck:
    """A check, a correct answer for it, and what its verdict depends on."""

    check: Check
    reference: Callable[..., Any]
    timing: bool = True  # the verdict reads latencies or overlaps: run it at other latency scales and under load
    data: bool = False  # it compares answers with the server's seeded data: run it beside another seed
    writes: bool = False  # it stores notifications on the checks' server: make sure the learner's are untouched

    @property
    def name(self) -> str:
        """Qualified name, e.g. "lab.exercises.start_here.check_todo_title" (what on_pass reports)."""
        return f"{self.check.__module__}.{self.check.__name__}"


def exercise_modules() -> list[ModuleType]:
    """Every module of lab.exercises, imported."""
    import lab.exercises as package

    return [importlib.import_module(f"{package.__name__}.{info.name}")
            for info in pkgutil.iter_modules(package.__path__)]


def registered_checks() -> list[ExerciseCheck]:
    """Every check the exercise modules register in their CHECKS, in module order."""
    return [entry for module in exercise_modules() for entry in getattr(module, "CHECKS", ())]


def unregistered_checks() -> list[str]:
    """Qualified names of `check_*` functions defined in an exercise module but missing from its CHECKS."""
    known = {id(entry.check) for entry in registered_checks()}
    return [f"{module.__name__}.{name}" for module in exercise_modules()
            for name, fn in vars(module).items()
            if name.startswith("check_") and inspect.iscoroutinefunction(fn)
            and fn.__module__ == module.__name__ and id(fn) not in known]
