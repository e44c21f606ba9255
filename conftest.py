"""`pytest notebooks --run-twice`: each notebook's second Run All, in the kernel nbval ran it in.

A learner re-runs cells: the setup cell again, or Run All in a kernel that has run the lesson once. With
--run-twice (make test's main run), nbval's items for a notebook are followed, in the same kernel, by a
second run of each code cell, and each cell that opens a session (`session = lab.notebook_session()`,
`aiohttp.ClientSession(`, ...) also runs once more right after its first run. Each rerun is compared as
strictly as the first run, against the committed outputs the first run has just matched, so it must show
the same; and it may write nothing to stderr the committed cell does not show, even in a cell whose
output nbval does not compare (nbval-ignore-output). That proves what a separate run-twice test did
while executing each lesson once more, not twice more. tests/test_rerun.py shows what it catches.
"""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest

OPENS_A_SESSION = re.compile(r"^\w+ = .*(notebook_session|ClientSession|troubled_session)\(", re.MULTILINE)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--run-twice", action="store_true",
                     help="with --nbval: run each notebook's cells a second time in the same kernel, compared "
                          "like the first run (and each session-opening cell twice in a row)")
    parser.addoption("--learner-copies", action="store_true",
                     help="run tests/test_learner_copies.py: every lesson's learner copy, top to bottom, exercises "
                          "unsolved (make test runs it once, in the newest Python's leg)")


def _rerun_class() -> Any:
    from nbval.plugin import IPyNbCell

    class RunAgain(IPyNbCell):
        """A code cell run again in its notebook's kernel: strict nbval, and no new stderr."""

        def compare_outputs(self, test: list[Any], ref: list[Any], skip_compare: Any = None) -> bool:
            new_stderr = [out.get("text", "") for out in test if out.get("name") == "stderr"]
            if new_stderr and not any(out.get("name") == "stderr" for out in ref):
                self.comparison_traceback = [f"running it again wrote to stderr: {''.join(new_stderr)!r}"]
                return False
            if not self.options["compared_the_first_time"]:
                return True
            return bool(super().compare_outputs(test, ref, skip_compare))

    return RunAgain


def _again(item: Any, run_again: Any, label: str) -> Any:
    options = item.options.copy()
    options["compared_the_first_time"] = bool(options["check"])
    options["check"] = True  # so that nbval calls compare_outputs, which looks for stderr either way
    # A copy of the cell: nbval merges the reference's stream outputs in place (coalesce_streams), so a cell
    # shared by two items would compare its second run against doubled text.
    return run_again.from_parent(item.parent, name=f"{item.name}, {label}", cell_num=item.cell_num,
                                 cell=copy.deepcopy(item.cell), options=options)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not config.getoption("run_twice"):
        return
    try:
        from nbval.plugin import IPyNbCell
    except ImportError:
        return
    run_again = _rerun_class()
    ordered: list[pytest.Item] = []
    cells: list[Any] = []  # the current notebook's cells, for its second run

    def second_run() -> None:
        ordered.extend(_again(cell, run_again, "second run") for cell in cells)
        cells.clear()

    for item in items:
        if cells and (not isinstance(item, IPyNbCell) or item.parent is not cells[-1].parent):
            second_run()
        ordered.append(item)
        if isinstance(item, IPyNbCell):
            cells.append(item)
            if OPENS_A_SESSION.search(item.cell.source):
                ordered.append(_again(item, run_again, "run again at once"))
    second_run()
    items[:] = ordered
