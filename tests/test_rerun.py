"""Run All twice in one kernel, as a learner does: the second run prints no warning and claims the same.

Each notebook is executed top to bottom (nbclient, a kernel from this Python, started in the
notebook's folder), with every cell that opens a session run twice in a row (a learner re-running
the setup cell), then every cell once more in the same kernel. The second run must write
nothing to stderr (no "Unclosed client session", no "Task was destroyed") and give the same
outputs as the first, after the substitutions nbval makes (ports, addresses, durations).
LAB_NOTEBOOKS (a folder) runs another copy of the lessons, e.g. one under edit.
"""

from __future__ import annotations

import configparser
import os
import re
import sys
from pathlib import Path
from typing import Any

import nbformat
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = Path(os.environ.get("LAB_NOTEBOOKS", ROOT / "notebooks"))
LESSONS = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def _sanitizers() -> list[tuple[re.Pattern[str], str]]:
    config = configparser.ConfigParser()
    config.read(ROOT / "tests" / "nbval_sanitize.cfg")
    return [(re.compile(config[s]["regex"]), config[s]["replace"]) for s in config.sections()]


SANITIZERS = _sanitizers()


def sanitize(text: str) -> str:
    for pattern, replacement in SANITIZERS:
        text = pattern.sub(replacement, text)
    return text


OPENS_A_SESSION = re.compile(r"^\w+ = .*(notebook_session|ClientSession|troubled_session)\(", re.MULTILINE)


def what_it_showed(cell: Any) -> list[str]:
    """The outputs nbval compares: streams (joined, as nbval does), text results, errors, sanitized."""
    shown: list[str] = []
    for out in cell.get("outputs", []):
        if out["output_type"] == "stream":
            prefix = f"{out['name']}: "
            if shown and shown[-1].startswith(prefix):
                shown[-1] += sanitize(out["text"])
            else:
                shown.append(prefix + sanitize(out["text"]))
        elif out["output_type"] in ("execute_result", "display_data"):
            shown.append("result: " + sanitize(out.get("data", {}).get("text/plain", "")))
        elif out["output_type"] == "error":
            shown.append(f"error: {out['ename']}: {sanitize(out['evalue'])}")
    return shown


def run_twice_in_one_kernel(path: Path) -> None:
    nb = nbformat.read(str(path), as_version=4)
    manager = KernelManager(kernel_name="python3")
    manager.kernel_spec.argv[0] = sys.executable
    client = NotebookClient(nb, km=manager, timeout=120, resources={"metadata": {"path": str(path.parent)}})
    code = [(i, cell) for i, cell in enumerate(nb.cells) if cell.cell_type == "code"]
    runs = []
    try:
        with client.setup_kernel(cwd=str(path.parent)):
            for run in range(2):
                for i, cell in code:
                    again = run == 0 and OPENS_A_SESSION.search(cell.source)
                    for _ in range(2 if again else 1):
                        client.execute_cell(cell, i)  # raises on an error, except in cells tagged raises-exception
                        if again:
                            assert not [o for o in cell.outputs if o.get("name") == "stderr"], \
                                f"re-running cell {i} wrote to stderr: {what_it_showed(cell)}"
                runs.append({i: what_it_showed(cell) for i, cell in code})
    finally:  # nbclient leaves a kernel it did not start to its owner
        if client.kc is not None:
            client.kc.stop_channels()
        manager.shutdown_kernel(now=True)
        manager.cleanup_resources()
    first, second = runs
    stderr = {i: shown for i, shown in second.items() if any(s.startswith("stderr: ") for s in shown)}
    assert not stderr, f"the second run wrote to stderr: {stderr}"
    changed = {i: (first[i], second[i]) for i in first if first[i] != second[i]}
    assert not changed, f"cells that showed something else the second time (first, second): {changed}"


# One class per lesson, so that `pytest -n 2 --dist loadscope` (make test) spreads the lessons over
# both workers instead of running them all on one.
for _lesson in LESSONS:
    _name = "TestRunTwice_" + _lesson.stem
    globals()[_name] = type(_name, (), {
        "test_running_it_twice_in_one_kernel_is_clean": lambda self, path=_lesson: run_twice_in_one_kernel(path)})
