"""Re-running a lesson, as a learner does, is proven by `pytest notebooks --run-twice` (conftest.py).

make test's main run executes every notebook under strict nbval, then runs each code cell again in the
same kernel (and each session-opening cell twice in a row), comparing the reruns like the first run and
failing on anything new on stderr. These tests show that mechanism catches what it is there for, on
small notebooks written here: state that leaks into a second run, a setup cell that complains when run
again, and stderr from a cell whose output nbval does not compare. Any notebook, e.g. a copy under edit:
    .venv/bin/python -m pytest --run-twice path/to/notebook.ipynb
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = [pytest.mark.notebook, pytest.mark.timeout(180)]

# What each cell printed on its first run in a fresh kernel: the committed output nbval compares against.
SETUP = ("import sys\n"
         "def notebook_session():\n"
         "    if 'session' in globals():\n"
         "        print('Unclosed client session', file=sys.stderr)\n"
         "    return 'a session'", "")
CLEAN = [("def notebook_session():\n    return 'a session'  # (lab's closes the one it opened before)", ""),
         ("session = notebook_session()", ""), ("total = 1\nprint(total)", "1\n")]
LEAKS_STATE = [("total = globals().get('total', 0) + 1\nprint(total)", "1\n")]
SETUP_COMPLAINS = [SETUP, ("session = notebook_session()", "")]
QUIET_ONLY_ONCE = [SETUP, ("if 'ran' in globals():\n    print('ran twice', file=sys.stderr)\nran = True\n"
                           "print('not compared')", "not compared\n")]


NOTEBOOKS = {"clean": (CLEAN, None), "leaks_state": (LEAKS_STATE, None), "setup_complains": (SETUP_COMPLAINS, None),
             "quiet_only_once": (QUIET_ONLY_ONCE, 1)}


def write_notebook(path: Path, cells: list[tuple[str, str]], ignore_output: int | None) -> None:
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                           "language": "python"}})
    for count, (source, printed) in enumerate(cells, start=1):
        cell = nbformat.v4.new_code_cell(source, execution_count=count)
        if printed:
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=printed)]
        if count - 1 == ignore_output:
            cell.metadata["tags"] = ["nbval-ignore-output"]
        nb.cells.append(cell)
    nbformat.write(nb, path)


@pytest.fixture(scope="module")
def report() -> Iterator[dict[str, str]]:
    """Each notebook above under `pytest --run-twice`, in one pytest run: {"name::Cell N...": outcome line}."""
    (ROOT / "test-artifacts").mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(dir=ROOT / "test-artifacts", prefix="rerun-") as name:
        folder = Path(name)  # inside the repository, so that conftest.py applies; test-artifacts/ is ignored
        for stem, (cells, ignore_output) in NOTEBOOKS.items():
            write_notebook(folder / f"{stem}.ipynb", cells, ignore_output)
        command = [sys.executable, "-m", "pytest", "-p", "no:xdist", "-p", "no:cacheprovider", "-q", "-rA",
                   "--run-twice", str(folder.relative_to(ROOT))]
        result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=150)
    outcomes = {}
    for line in result.stdout.splitlines():
        outcome, _, rest = line.partition(" ")
        if outcome in ("PASSED", "FAILED", "ERROR") and "::" in rest:
            node = rest.split(" - ")[0].rsplit("/", 1)[-1].removesuffix(".ipynb")
            outcomes[node.replace(".ipynb", "")] = outcome
    yield {"output": result.stdout, **outcomes}


def test_a_notebook_that_reruns_cleanly_passes_both_runs(report: dict[str, str]) -> None:
    clean = {node: outcome for node, outcome in report.items() if node.startswith("clean::")}
    assert set(clean.values()) == {"PASSED"}, report["output"]
    assert len(clean) == 7, clean  # 3 cells, the session cell again at once, then the 3 cells again


def test_state_left_by_the_first_run_fails_the_second(report: dict[str, str]) -> None:
    assert report["leaks_state::Cell 0"] == "PASSED", report["output"]  # nbval's one run cannot see it
    assert report["leaks_state::Cell 0, second run"] == "FAILED", report["output"]


def test_a_session_cell_that_complains_when_run_again_fails(report: dict[str, str]) -> None:
    assert report["setup_complains::Cell 1"] == "PASSED", report["output"]
    assert report["setup_complains::Cell 1, run again at once"] == "FAILED", report["output"]
    assert "running it again wrote to stderr: 'Unclosed client session\\n'" in report["output"]


def test_stderr_fails_the_second_run_even_where_outputs_are_not_compared(report: dict[str, str]) -> None:
    assert report["quiet_only_once::Cell 1"] == "PASSED", report["output"]
    assert report["quiet_only_once::Cell 1, second run"] == "FAILED", report["output"]
    assert "ran twice" in report["output"]
