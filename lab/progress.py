"""Your progress: each exercise whose check you passed, remembered in your own folder, and a map of it.

    lab.progress.record_pass("lab.exercises.basic_gather.check_gather_dashboard")   # the checks call this
    lab.progress.show()          # every lesson, its exercises, done or not

Kept in `my-lab/.progress.json`, beside your copies of the lessons: nothing is sent anywhere, and
nothing is written when the lesson is not one of your copies (the reference lessons in notebooks/).
Delete the file to start over.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lab_setup.workspace import BEGIN, LEARNER_DIR, REFERENCE_DIR, sources, workspace_of

__all__ = ["Exercise", "Progress", "done", "record_pass", "show"]

PROGRESS_FILE = ".progress.json"
ROOT = Path(__file__).resolve().parent.parent  # the checkout this lab was installed from
_CHECK = re.compile(r"\b(check_\w+)\s*\(")
_MODULE = re.compile(r"\bexercises\.(\w+)")


def _file(where: Path | None) -> Path | None:
    workspace = workspace_of((where or Path.cwd()).resolve())
    return workspace / PROGRESS_FILE if workspace is not None else None


def _read(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def record_pass(check_name: str, where: Path | None = None) -> bool:
    """Remember that the check `check_name` passed ('module.check_x' or 'check_x').

    `where`: a folder inside the learner's workspace (default: the notebook's, the kernel's working
    directory). True if recorded; False outside a learner's workspace, where nothing is written.
    """
    path = _file(where)
    if path is None:
        return False
    passes = _read(path)
    passes.setdefault(check_name, {"first": time.strftime("%Y-%m-%d %H:%M:%S")})
    passes[check_name]["last"] = time.strftime("%Y-%m-%d %H:%M:%S")
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(passes, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    partial.replace(path)
    return True


def done(where: Path | None = None) -> set[str]:
    """The names of the checks passed in this workspace (empty outside one)."""
    return set(_read(_file(where)))


@dataclass(frozen=True)
class Exercise:
    lesson: str  # the notebook's path under notebooks/, e.g. "01_basic_gather.ipynb"
    module: str  # its checks' module under lab.exercises, e.g. "basic_gather"
    check: str  # the check the exercise cell calls, e.g. "check_gather_dashboard"

    def passed_in(self, names: set[str]) -> bool:
        return any(name == self.check or name.endswith(f"{self.module}.{self.check}") for name in names)


def exercises(reference: Path) -> list[Exercise]:
    """Every exercise of every lesson under `reference`, in lesson order: the code cells holding a solution."""
    found = []
    for relative in sources(reference):
        if relative.suffix != ".ipynb":
            continue
        cells = json.loads((reference / relative).read_text(encoding="utf-8"))["cells"]
        code = ["".join(cell["source"]) for cell in cells if cell["cell_type"] == "code"]
        modules = _MODULE.findall("\n".join(code))
        for source in code:
            if BEGIN in source:
                module = (_MODULE.findall(source) or modules or [""])[0]
                checks = dict.fromkeys(_CHECK.findall(source))
                found += [Exercise(relative.as_posix(), module, check) for check in checks]
    return found


@dataclass
class Progress:
    """For every lesson with exercises: which are done. Shown as a table in Jupyter, as lines in text."""

    rows: list[tuple[str, list[tuple[str, bool]]]]
    recorded: bool  # False: not in a learner's workspace, so nothing can be remembered here

    def __str__(self) -> str:
        lines = [f"{lesson}: " + ", ".join(f"{check} {'done' if ok else 'to do'}" for check, ok in checks)
                 for lesson, checks in self.rows]
        total = sum(len(checks) for _, checks in self.rows)
        finished = sum(ok for _, checks in self.rows for _, ok in checks)
        lines.append(f"{finished} of {total} exercises done" if self.recorded else
                     f"progress is remembered only in your own copies of the lessons ({LEARNER_DIR}/)")
        return "\n".join(lines)

    def _repr_markdown_(self) -> str:
        table = ["| lesson | exercises |", "|---|---|"]
        for lesson, checks in self.rows:
            link = f"[{Path(lesson).stem}]({lesson})"
            table.append(f"| {link} | " + ", ".join(f"{'✔' if ok else '☐'} `{check}`" for check, ok in checks) + " |")
        return "\n".join(table) + "\n\n" + str(self).splitlines()[-1]


def show(where: Path | None = None) -> Progress:
    """For every lesson, its exercises and whether you passed each one's check (lesson 00's map)."""
    folder = (where or Path.cwd()).resolve()
    workspace = workspace_of(folder)
    reference = ROOT / REFERENCE_DIR
    if workspace is not None and (workspace.parent / REFERENCE_DIR).is_dir():
        reference = workspace.parent / REFERENCE_DIR
    passed = done(folder)
    rows: dict[str, list[tuple[str, bool]]] = {}
    for exercise in exercises(reference):
        rows.setdefault(exercise.lesson, []).append((exercise.check, exercise.passed_in(passed)))
    return Progress(list(rows.items()), workspace is not None)
