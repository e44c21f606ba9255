"""A learner who skips an exercise can run the rest of the lesson: every lesson's learner copy, as make lab
writes it into my-lab/, runs top to bottom with its exercises unsolved. Each exercise's cell fails with the
check's "not written yet" hint, and every other cell does what the same cell of the reference lesson does:
no error it does not show (a NameError from a function only the solution defines), nothing new on stderr.

Each lesson already runs twice on the main Python (nbval, then --run-twice): this runs only with
--learner-copies, which make test passes once, in the newest Python's leg (tools/matrix.py).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from lab_setup import workspace

ROOT = Path(__file__).resolve().parent.parent
LESSONS = sorted((ROOT / "notebooks").glob("*.ipynb"))

pytestmark = [pytest.mark.notebook, pytest.mark.slow]


@pytest.fixture(scope="module")
def my_lab(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not request.config.getoption("learner_copies"):
        pytest.skip("runs with --learner-copies: make test runs it once, in the newest Python's leg")
    out = tmp_path_factory.mktemp("lab") / "my-lab"
    workspace.sync(ROOT, out)
    return out


def what_went_wrong(cell: dict[str, Any]) -> tuple[str | None, bool]:
    """(the name of the error the cell raised, or None; whether it wrote to stderr)."""
    outputs = cell.get("outputs", [])
    error = next((o["ename"] for o in outputs if o["output_type"] == "error"), None)
    return error, any(o.get("name") == "stderr" for o in outputs)


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda path: path.stem)
def test_a_lesson_runs_to_the_end_with_its_exercises_skipped(my_lab: Path, lesson: Path) -> None:
    import nbformat
    from nbclient import NotebookClient

    copy = nbformat.read(my_lab / lesson.name, as_version=4)
    reference = json.loads(lesson.read_text())["cells"]
    NotebookClient(copy, allow_errors=True, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(my_lab)}}).execute()
    exercises, unexpected = 0, []
    for ran, ref in zip(copy.cells, reference, strict=True):
        if ran.cell_type != "code":
            continue
        got = what_went_wrong(ran)
        if "raise NotImplementedError" in ran.source and workspace.has_solution(ref):
            exercises += 1
            hint = next((o["evalue"] for o in ran.outputs if o["output_type"] == "error"), "")
            if got != ("NotSolvedYet", False) or "replace `raise NotImplementedError` with your code" not in hint:
                unexpected.append((ran.id, "the exercise", got, hint[:200]))
        elif got != what_went_wrong(ref):
            shown = [f"{o['ename']}: {o['evalue']}"[:200] if o["output_type"] == "error" else o["text"][:200]
                     for o in ran.outputs if o["output_type"] == "error" or o.get("name") == "stderr"]
            unexpected.append((ran.id, "the reference shows " + repr(what_went_wrong(ref)), got, shown))
    assert unexpected == [], f"{lesson.name}, run with its exercises skipped: {unexpected}"
    assert exercises >= 1, f"{lesson.name} has no exercise"
