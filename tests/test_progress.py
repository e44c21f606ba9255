"""lab.progress: each passed check remembered in the learner's own folder, and a map of every lesson's exercises."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

import lab.progress as progress
from lab_setup.workspace import sync

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from localhost import checkout_copy  # noqa: E402


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    checkout = checkout_copy(ROOT, tmp_path_factory.mktemp("clone"))
    sync(checkout)
    return checkout / "my-lab"


def test_every_exercise_of_every_lesson_is_on_the_map() -> None:
    found = progress.exercises(ROOT / "notebooks")
    solutions = sum("### BEGIN SOLUTION" in "".join(cell["source"])
                    for path in (ROOT / "notebooks").rglob("*.ipynb") if ".ipynb_checkpoints" not in path.parts
                    for cell in json.loads(path.read_text())["cells"] if cell["cell_type"] == "code")
    assert len(found) >= solutions > 0
    assert all(e.check.startswith("check_") and e.module for e in found)
    assert progress.Exercise("01_basic_gather.ipynb", "basic_gather", "check_gather_dashboard") in found


def test_a_pass_is_remembered_in_the_workspace_and_shown(workspace: Path) -> None:
    before = progress.show(workspace)
    assert before.recorded and "0 of" in str(before)
    assert progress.record_pass("lab.exercises.basic_gather.check_gather_dashboard", where=workspace)
    assert progress.record_pass("check_todo_title", where=workspace / "deeper")  # from a lesson in a subfolder
    assert progress.done(workspace) == {"lab.exercises.basic_gather.check_gather_dashboard", "check_todo_title"}
    shown = dict(progress.show(workspace).rows)
    assert shown["01_basic_gather.ipynb"] == [("check_gather_dashboard", True)]
    assert shown["00_start_here.ipynb"] == [("check_todo_title", True)]
    # Lesson 14's dashboard is another exercise, with a check of its own: still to do.
    assert shown["14_httpx.ipynb"] == [("check_httpx_dashboard", False)]
    assert "2 of" in str(progress.show(workspace))
    assert "✔ `check_gather_dashboard`" in progress.show(workspace)._repr_markdown_()
    assert json.loads((workspace / ".progress.json").read_text())  # a small JSON file, in the workspace


def test_outside_a_learners_workspace_nothing_is_written(tmp_path: Path) -> None:
    assert progress.record_pass("check_gather_dashboard", where=tmp_path) is False
    assert list(tmp_path.iterdir()) == []
    assert progress.record_pass("check_gather_dashboard", where=ROOT / "notebooks") is False  # the reference: never
    assert not (ROOT / "notebooks" / ".progress.json").exists()
    assert not progress.show(tmp_path).recorded
