"""Write learner copies of every lesson: solutions replaced by a stub, outputs cleared.

    python tools/workshop.py [OUT]        (make workshop; OUT defaults to workshop/)

In each code cell, every block from a `### BEGIN SOLUTION` line to its `### END SOLUTION`
line becomes, at the same indentation:

    # YOUR CODE HERE
    raise NotImplementedError

Everything else is kept as it is; every output and execution count is cleared. The
notebooks' helper files (notebooks/scripts/) are copied beside them.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
STUB = ("# YOUR CODE HERE", "raise NotImplementedError")


class MarkerError(ValueError):
    """A solution marker without its partner."""


def strip_solutions(source: str) -> str:
    """Replace each BEGIN/END SOLUTION block in a cell's source with the stub."""
    out: list[str] = []
    indent: str | None = None
    for number, line in enumerate(source.split("\n"), start=1):
        marker = line.strip()
        if marker == BEGIN:
            if indent is not None:
                raise MarkerError(f"line {number}: {BEGIN} inside another solution block")
            indent = line[: len(line) - len(line.lstrip())]
            out.extend(indent + stub for stub in STUB)
        elif marker == END:
            if indent is None:
                raise MarkerError(f"line {number}: {END} without {BEGIN}")
            indent = None
        elif indent is None:
            out.append(line)
    if indent is not None:
        raise MarkerError(f"{BEGIN} without {END}")
    return "\n".join(out)


def has_solution(cell: dict[str, Any]) -> bool:
    return cell["cell_type"] == "code" and BEGIN in _text(cell["source"])


def _text(source: str | list[str]) -> str:
    return source if isinstance(source, str) else "".join(source)


def learner_copy(notebook: dict[str, Any], name: str = "notebook") -> dict[str, Any]:
    copy = json.loads(json.dumps(notebook))
    for index, cell in enumerate(copy["cells"]):
        if cell["cell_type"] != "code":
            continue
        if has_solution(cell):
            try:
                cell["source"] = strip_solutions(_text(cell["source"]))
            except MarkerError as exc:
                raise MarkerError(f"{name}, cell {index}: {exc}") from None
        cell["outputs"] = []
        cell["execution_count"] = None
    return copy


def write_workshop(out: Path, notebooks: Path = NOTEBOOKS) -> list[Path]:
    """Write a learner copy of every notebook in `notebooks` into `out`; return their paths."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for path in sorted(notebooks.glob("*.ipynb")):
        notebook = json.loads(path.read_text(encoding="utf-8"))
        target = out / path.name
        target.write_text(json.dumps(learner_copy(notebook, path.name), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        written.append(target)
    for folder in notebooks.iterdir():
        if folder.is_dir() and not folder.name.startswith("."):
            shutil.copytree(folder, out / folder.name, dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
    return written


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else ROOT / "workshop"
    try:
        written = write_workshop(out)
    except MarkerError as exc:
        print(f"workshop: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {len(written)} learner notebooks to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
