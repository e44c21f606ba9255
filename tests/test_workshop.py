"""make workshop: learner copies keep everything but the solutions and the outputs.

The learner copies are also run top to bottom: only the exercise cells may fail, each
with NotSolvedYet, the check's "not written yet" message.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

import workshop  # noqa: E402

pytestmark = pytest.mark.notebook  # executes learner copies of the lessons

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


@pytest.mark.parametrize("solved", NOTEBOOKS, ids=lambda p: p.stem)
def test_learner_copy_runs_with_only_exercises_failing(solved: Path, learner_dir: Path) -> None:
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(learner_dir / solved.name, as_version=4)
    exercise_cells = {i for i, cell in enumerate(json.loads(solved.read_text())["cells"]) if workshop.has_solution(cell)}
    client = NotebookClient(notebook, allow_errors=True, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(learner_dir)}})
    client.execute()
    failed = {}
    for index, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", []):
            if output["output_type"] == "error" and "raises-exception" not in cell.metadata.get("tags", []):
                failed[index] = (output["ename"], output["evalue"])
    assert set(failed) == exercise_cells, f"cells that failed: {failed}"
    for ename, evalue in failed.values():
        assert ename == "NotSolvedYet", evalue
        assert "replace `raise NotImplementedError` with your code" in evalue
