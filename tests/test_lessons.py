"""Tests for lab/lessons.py: the lesson map's minutes follow the estimate, and README shows the same map."""

from __future__ import annotations

import json
from pathlib import Path

from lab.lessons import estimate, lesson_map, lessons

ROOT = Path(__file__).resolve().parent.parent


def cell(kind: str, source: str) -> dict:
    return {"cell_type": kind, "source": [source], "metadata": {}}


def test_the_estimate_counts_words_code_cells_and_exercises() -> None:
    notebook = {"cells": [cell("markdown", "word " * 300), cell("code", "x = 1"),
                          cell("code", "async def f():\n    ### BEGIN SOLUTION\n    pass\n    ### END SOLUTION")]}
    assert estimate(notebook) == 300 / 150 + 2 * 0.6 + 8


def test_a_map_of_made_up_notebooks(tmp_path: Path) -> None:
    def write(name: str, heading: str, words: int) -> None:
        (tmp_path / name).parent.mkdir(exist_ok=True)
        prose = heading + "\n" + "w " * (words - len(heading.split()))
        (tmp_path / name).write_text(json.dumps({"cells": [cell("markdown", prose)]}))
    write("00_start.ipynb", "# 00 · Start: here", 150)
    write("07_later.ipynb", "# 07 · Later", 300)
    write("deeper/more.ipynb", "# Going deeper · More", 450)
    rows = lesson_map(tmp_path).rows()
    assert rows == [("00 · Start", "00_start.ipynb", "1", "3-hour and full"),
                    ("07 · Later", "07_later.ipynb", "2", "full"),
                    ("Going deeper · More", "deeper/more.ipynb", "3", "going deeper, any time"),
                    ("3-hour path", "00-00", "1", ""), ("full path", "00-07", "3", "")]


def test_every_notebook_is_on_the_map() -> None:
    names = {lesson.name for lesson in lessons()}
    on_disk = {p.relative_to(ROOT / "notebooks").as_posix() for p in (ROOT / "notebooks").glob("**/*.ipynb")
               if ".ipynb_checkpoints" not in p.parts}
    assert names == on_disk


def test_readme_shows_the_map_the_notebooks_give() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start, end = "<!-- lesson map: python -m lab.lessons -->\n", "\n<!-- end of lesson map -->"
    assert start in readme and end in readme, "README's lesson map section lost its markers"
    shown = readme[readme.index(start) + len(start):readme.index(end)]
    assert shown == lesson_map().markdown(link_prefix="notebooks/"), (
        "README's lesson map is stale: paste the output of `python -m lab.lessons` between its markers")
