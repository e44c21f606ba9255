"""The learner's copies (my-lab/, make workshop): everything but the solutions and the outputs, never overwritten.

Whole lessons are not executed here (nbval runs each): one copy runs up to its first exercise.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

import workshop  # noqa: E402

from lab_setup import workspace  # noqa: E402

pytestmark = pytest.mark.notebook  # executes cells of learner copies

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("source, expected", [
    ("async def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION\n\nawait check(f)",
     "async def f():\n    # YOUR CODE HERE\n    raise NotImplementedError\n\nawait check(f)"),
    ("x = 1\n### BEGIN SOLUTION\ny = 2\nz = 3\n### END SOLUTION",
     "x = 1\n# YOUR CODE HERE\nraise NotImplementedError"),
    ("def a():\n    ### BEGIN SOLUTION\n    pass\n    ### END SOLUTION\ndef b():\n"
     "        ### BEGIN SOLUTION\n        pass\n        ### END SOLUTION",
     "def a():\n    # YOUR CODE HERE\n    raise NotImplementedError\ndef b():\n"
     "        # YOUR CODE HERE\n        raise NotImplementedError"),
    ("print('no exercise here')", "print('no exercise here')"),
])
def test_strip_solutions(source: str, expected: str) -> None:
    assert workshop.strip_solutions(source) == expected


@pytest.mark.parametrize("source, message", [
    ("### BEGIN SOLUTION\nx = 1", "BEGIN SOLUTION without ### END SOLUTION"),
    ("x = 1\n### END SOLUTION", "line 2: ### END SOLUTION without ### BEGIN SOLUTION"),
    ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION", "line 2: ### BEGIN SOLUTION inside"),
])
def test_unbalanced_markers_are_refused(source: str, message: str) -> None:
    with pytest.raises(workshop.MarkerError, match=message):
        workshop.strip_solutions(source)


def test_marker_error_names_notebook_and_cell() -> None:
    notebook = {"cells": [{"cell_type": "markdown", "source": "hi"},
                          {"cell_type": "code", "source": "### BEGIN SOLUTION\n", "outputs": []}]}
    with pytest.raises(workshop.MarkerError, match="07_x.ipynb, cell 1: "):
        workshop.learner_copy(notebook, "07_x.ipynb")


@pytest.fixture(scope="module")
def learner_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("workshop")
    assert workshop.main([str(out)]) == 0
    return out


def test_every_notebook_gets_a_learner_copy(learner_dir: Path) -> None:
    assert sorted(p.name for p in learner_dir.glob("*.ipynb")) == [p.name for p in NOTEBOOKS]
    assert (learner_dir / "scripts" / "first_request.py").exists()


@pytest.mark.parametrize("solved", NOTEBOOKS, ids=lambda p: p.stem)
def test_learner_copy_keeps_all_but_solutions_and_outputs(solved: Path, learner_dir: Path) -> None:
    original = json.loads(solved.read_text())
    copy = json.loads((learner_dir / solved.name).read_text())
    assert len(copy["cells"]) == len(original["cells"])
    for before, after in zip(original["cells"], copy["cells"]):
        source_before, source_after = "".join(before["source"]), "".join(after["source"])
        if workshop.has_solution(before):
            assert "### BEGIN SOLUTION" not in source_after and "raise NotImplementedError" in source_after
            body = source_before.split("### BEGIN SOLUTION")[1].split("### END SOLUTION")[0].strip()
            assert body and body not in source_after
        else:
            assert source_after == source_before
        if after["cell_type"] == "code":
            assert after["outputs"] == [] and after["execution_count"] is None
        assert after.get("metadata") == before.get("metadata")


def test_a_learner_copy_runs_up_to_its_first_exercise_which_names_what_to_write(learner_dir: Path) -> None:
    """Two cells, not whole lessons (each lesson already runs under nbval): lesson 00's copy, its setup
    cell and then its exercise, which fails with the check's "not written yet" message."""
    import nbformat
    from nbclient import NotebookClient

    lesson = "00_start_here.ipynb"
    notebook = nbformat.read(learner_dir / lesson, as_version=4)
    first = next(i for i, cell in enumerate(notebook.cells) if "raise NotImplementedError" in cell.source)
    setup = next(cell for cell in notebook.cells if cell.cell_type == "code")  # imports, fakeapi.start()
    notebook.cells = [setup, notebook.cells[first]]
    client = NotebookClient(notebook, allow_errors=True, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(learner_dir)}})
    client.execute()
    errors = [(o["ename"], o["evalue"]) for cell in notebook.cells for o in cell.get("outputs", [])
              if o["output_type"] == "error"]
    assert len(errors) == 1, errors
    assert errors[0][0] == "NotSolvedYet" and "replace `raise NotImplementedError` with your code" in errors[0][1]


def test_sync_never_overwrites_a_changed_copy_and_adds_new_lessons(tmp_path: Path) -> None:
    reference = tmp_path / "notebooks"
    (reference / "scripts").mkdir(parents=True)
    cell = {"cell_type": "code", "source": "x = 1\n### BEGIN SOLUTION\ny = 2\n### END SOLUTION",
            "outputs": [{"output_type": "stream"}], "execution_count": 3, "metadata": {}}
    lesson: dict[str, Any] = {"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (reference / "01_a.ipynb").write_text(json.dumps(lesson))
    (reference / "02_b.ipynb").write_text(json.dumps(lesson))
    (reference / "scripts" / "s.py").write_text("print(1)\n")
    out = tmp_path / "my-lab"
    first = workspace.sync(tmp_path, out)
    assert sorted(first.created) == ["01_a.ipynb", "02_b.ipynb", "scripts/s.py"]
    copy = json.loads((out / "01_a.ipynb").read_text())["cells"][0]
    assert copy["source"] == "x = 1\n# YOUR CODE HERE\nraise NotImplementedError" and copy["outputs"] == []
    # The learner answers in 01; upstream, both lessons change and a third arrives.
    (out / "01_a.ipynb").write_text((out / "01_a.ipynb").read_text().replace("raise NotImplementedError", "y = 2"))
    lesson["cells"][0]["source"] = "x = 10\n### BEGIN SOLUTION\ny = 2\n### END SOLUTION"
    for name in ("01_a.ipynb", "02_b.ipynb", "03_c.ipynb"):
        (reference / name).write_text(json.dumps(lesson))
    second = workspace.sync(tmp_path, out)
    assert (second.created, second.refreshed, second.kept) == (["03_c.ipynb"], ["02_b.ipynb"], ["01_a.ipynb"])
    assert "y = 2" in (out / "01_a.ipynb").read_text()                  # the learner's answer stays
    assert "x = 10" in (out / "02_b.ipynb").read_text()                 # an untouched copy follows its lesson
    assert workspace.sync(tmp_path, out) == workspace.Synced(kept=["01_a.ipynb"])  # nothing more to do
    # The deliberate reset: a fresh copy, the learner's answer kept in .backup/.
    fresh, old = workspace.reset(tmp_path, "01", out)
    assert fresh == out / "01_a.ipynb" and "raise NotImplementedError" in fresh.read_text()
    assert old is not None and "y = 2" in old.read_text() and old.parent == out / ".backup"
    assert workspace.sync(tmp_path, out) == workspace.Synced()
    with pytest.raises(LookupError, match="no lesson"):
        workspace.reset(tmp_path, "99", out)


def test_make_workshop_never_overwrites_a_handed_out_copy(tmp_path: Path) -> None:
    out = tmp_path / "workshop"
    assert workshop.main([str(out)]) == 0
    answer = out / "01_basic_gather.ipynb"
    answer.write_text(answer.read_text().replace("raise NotImplementedError", "pass  # my answer", 1))
    assert workshop.main([str(out)]) == 0
    assert "pass  # my answer" in answer.read_text()
