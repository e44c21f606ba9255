"""The map of the lab: every lesson and how long it takes, read from the notebooks themselves.

    from lab.lessons import lesson_map
    lesson_map()                    # in a notebook: a table of lessons, minutes and paths

    python -m lab.lessons           # the same table in Markdown, for README's lesson map

A lesson's minutes are an estimate of its main path: words of prose / 150, plus 0.6 per code cell,
plus 8 per exercise (a code cell holding "### BEGIN SOLUTION"). Because the table is computed from
the notebooks, it changes when a lesson does and cannot drift from them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
CORE = [f"{n:02d}" for n in range(7)]  # 00 to 06: the 3-hour path
WORDS_PER_MINUTE, MINUTES_PER_CODE_CELL, MINUTES_PER_EXERCISE = 150, 0.6, 8


def estimate(notebook: dict) -> float:
    """Minutes for a notebook's main path: prose words / 150 + code cells x 0.6 + exercises x 8."""
    cells = notebook["cells"]
    words = sum(len("".join(c["source"]).split()) for c in cells if c["cell_type"] == "markdown")
    code = ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
    exercises = sum("### BEGIN SOLUTION" in source for source in code)
    return words / WORDS_PER_MINUTE + len(code) * MINUTES_PER_CODE_CELL + exercises * MINUTES_PER_EXERCISE


@dataclass(frozen=True)
class Lesson:
    name: str       # the path under notebooks/, e.g. "01_basic_gather.ipynb" or "deeper/tasks_and_futures.ipynb"
    title: str      # its first heading, up to the colon: "01 · Basic gather"
    minutes: float

    @property
    def number(self) -> str | None:
        return self.name[:2] if re.match(r"\d\d_", self.name) else None

    @property
    def core(self) -> bool:
        return self.number in CORE


def read_lesson(path: Path, notebooks: Path = NOTEBOOKS) -> Lesson:
    notebook = json.loads(path.read_text(encoding="utf-8"))
    heading = next((line for c in notebook["cells"] if c["cell_type"] == "markdown"
                    for line in "".join(c["source"]).splitlines() if line.startswith("# ")), f"# {path.stem}")
    return Lesson(path.relative_to(notebooks).as_posix(), heading[2:].split(":")[0].strip(), estimate(notebook))


def lessons(notebooks: Path = NOTEBOOKS) -> list[Lesson]:
    """The numbered lessons in order, then the going-deeper notebooks (notebooks/deeper/)."""
    paths = sorted(notebooks.glob("[0-9][0-9]_*.ipynb")) + sorted(notebooks.glob("deeper/*.ipynb"))
    return [read_lesson(path, notebooks) for path in paths]


@dataclass(frozen=True)
class LessonMap:
    lessons: list[Lesson]

    def rows(self) -> list[tuple[str, str, str, str]]:
        """(title, notebook, minutes, path) for each lesson, then the two paths' totals."""
        numbered = [lesson for lesson in self.lessons if lesson.number]
        core = [lesson for lesson in numbered if lesson.core]
        rows = []
        for lesson in self.lessons:
            path = "3-hour and full" if lesson.core else "full" if lesson.number else "going deeper, any time"
            rows.append((lesson.title, lesson.name, f"{lesson.minutes:.0f}", path))
        span = f"{core[0].number}-{core[-1].number}" if core else "none"
        rows.append(("3-hour path", span, f"{sum(lesson.minutes for lesson in core):.0f}", ""))
        rows.append(("full path", f"{numbered[0].number}-{numbered[-1].number}" if numbered else "none",
                     f"{sum(lesson.minutes for lesson in numbered):.0f}", ""))
        return rows

    def markdown(self, link_prefix: str = "") -> str:
        """A Markdown table; each notebook links to `link_prefix + its path under notebooks/`."""
        lines = ["| lesson | notebook | minutes | on which path |", "|---|---|--:|---|"]
        for title, name, minutes, path in self.rows():
            where = f"[`{name}`]({link_prefix}{name})" if name.endswith(".ipynb") else name
            title = title if name.endswith(".ipynb") else f"**{title}**"
            lines.append(f"| {title} | {where} | {minutes} | {path} |")
        return "\n".join(lines)

    def _repr_markdown_(self) -> str:
        return self.markdown()

    def __repr__(self) -> str:
        rows = [("lesson", "notebook", "minutes", "on which path"), *self.rows()]
        widths = [max(len(row[i]) for row in rows) for i in range(4)]
        return "\n".join(f"{a:<{widths[0]}}  {b:<{widths[1]}}  {c:>{widths[2]}}  {d}".rstrip() for a, b, c, d in rows)


def lesson_map(notebooks: Path = NOTEBOOKS) -> LessonMap:
    """Every lesson with its minutes, the 3-hour path (00-06) and the full path, from the notebooks on disk."""
    return LessonMap(lessons(notebooks))


if __name__ == "__main__":
    print(lesson_map().markdown(link_prefix="notebooks/"))
