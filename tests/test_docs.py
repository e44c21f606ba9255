"""The docs' facts about the lessons and the code, checked against the notebooks and the tree on disk.

A sentence that was true when written goes stale when a lesson or a module changes: these tests fail
then, and say what to write instead. They read files only; nothing runs.
"""

from __future__ import annotations

import ast
import json
import re
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
GUIDE = ROOT / "docs" / "instructor-guide.md"
README = ROOT / "README.md"
CORE = {f"{n:02d}" for n in range(7)}  # 00 to 06: the lessons the 3-hour plan may rely on


@cache
def notebook(number: str) -> dict:
    (path,) = NOTEBOOKS.glob(f"{number}.ipynb" if "/" in number else f"{number}_*.ipynb")  # or deeper/name
    return json.loads(path.read_text(encoding="utf-8"))


def lesson_numbers() -> list[str]:
    return sorted(p.name[:2] for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def code_cells(number: str) -> list[str]:
    return ["".join(c["source"]) for c in notebook(number)["cells"] if c["cell_type"] == "code"]


def exercises(number: str) -> set[str]:
    """The checked exercises of a lesson: `await check_<name>(...)` in its code cells, without `check_`."""
    return {name.removeprefix("check_") for name in re.findall(r"\bawait (check_\w+)\(", "\n".join(code_cells(number)))}


def all_exercises() -> set[str]:
    return set().union(*(exercises(n) for n in lesson_numbers()))


def plan_rows() -> list[str]:
    """The rows of the guide's 3-hour plan table."""
    text = GUIDE.read_text(encoding="utf-8")
    plan = text[text.index("## 2. The 3-hour plan"):text.index("**Electives")]
    return [line for line in plan.splitlines() if re.match(r"\| \d:\d\d", line)]


# -- docs/instructor-guide.md -----------------------------------------------------------------------

LESSON_IN_ROW = re.compile(r"\*\*(\d\d) [^*]+\*\* \((\d+) code cells, (\d+) exercises?")


def test_the_plan_names_its_lessons_with_their_counts() -> None:
    assert len([row for row in plan_rows() if LESSON_IN_ROW.search(row)]) == len(CORE)


@pytest.mark.parametrize("row", plan_rows(), ids=lambda row: row.split("|")[1].strip())
def test_the_plans_cell_and_exercise_counts_are_the_notebooks(row: str) -> None:
    for number, cells, count in LESSON_IN_ROW.findall(row):
        real_cells, real_exercises = len(code_cells(number)), len(exercises(number))
        assert (int(cells), int(count)) == (real_cells, real_exercises), (
            f"lesson {number} has {real_cells} code cells and {real_exercises} checked exercise(s): "
            f"write ({real_cells} code cells, {real_exercises} exercise{'s' if real_exercises != 1 else ''})")


@pytest.mark.parametrize("row", plan_rows(), ids=lambda row: row.split("|")[1].strip())
def test_the_core_plan_uses_only_lessons_00_to_06(row: str) -> None:
    named = set(re.findall(r"\*\*(\d\d) ", row)) | set(re.findall(r"\b(\d\d)'s\b", row))
    assert named <= CORE, f"the 3-hour plan relies on an optional lesson: {sorted(named - CORE)}"


@pytest.mark.parametrize("row", plan_rows(), ids=lambda row: row.split("|")[1].strip())
def test_the_plans_exercises_are_the_lessons_checks(row: str) -> None:
    lessons = [number for number, _, _ in LESSON_IN_ROW.findall(row)]
    if not lessons:
        return
    exercise_column = row.split("|")[4]
    named = set(re.findall(r"`(\w+)`", exercise_column))
    assert named == exercises(lessons[0]), \
        f"lesson {lessons[0]}'s checked exercises are {sorted(exercises(lessons[0]))}"


def guide_paragraphs_about(number: str) -> list[str]:
    """The guide's bullets, rows and paragraphs that are about lesson `number` (they name it in bold)."""
    text = GUIDE.read_text(encoding="utf-8")
    return [p for p in re.split(r"\n(?=- |\| |\n)", text) if re.search(rf"\*\*{number} [A-Z0-9a-z]", p)]


@pytest.mark.parametrize("number", lesson_numbers())
def test_the_guide_says_which_lessons_have_a_checked_exercise(number: str) -> None:
    for paragraph in guide_paragraphs_about(number):
        if re.search(r"no (checked )?exercise", paragraph):
            assert not exercises(number), \
                f"the guide says lesson {number} has no exercise; it has {sorted(exercises(number))}"
        # an exercise named next to the lesson is one of its own
        named = set(re.findall(r"`(\w+)`", paragraph)) & all_exercises()
        own = exercises(number) | {n for other in re.findall(r"\*\*(\d\d) ", paragraph) for n in exercises(other)}
        assert named <= own, f"{sorted(named - own)} is not an exercise of lesson {number}"


def test_the_guide_has_no_stale_sentence_the_round_fixed() -> None:
    text = GUIDE.read_text(encoding="utf-8")
    binder_python = (ROOT / "binder" / "runtime.txt").read_text().strip()  # python-3.X
    assert f"`runtime.txt` pins `{binder_python}`" in text
    assert "always an `ExceptionGroup`" not in text  # a BaseException child gives a BaseExceptionGroup


# -- README.md's layout block -------------------------------------------------------------------------

def layout_lines() -> list[tuple[str, str]]:
    text = README.read_text(encoding="utf-8")
    block = text[text.index("## Layout"):]
    block = block[block.index("```") + 3:]
    block = block[:block.index("```")]
    return [(line[:13].strip(), line[13:]) for line in block.strip().splitlines()]


def test_readme_layout_names_every_folder_and_only_real_ones() -> None:
    named = [folder for folder, _ in layout_lines()]
    assert all((ROOT / folder).is_dir() for folder in named), named
    for folder in ("fakeapi/", "lab/", "notebooks/", "tests/", "bench/", "tools/", "docs/"):
        assert folder in named


@pytest.mark.parametrize("folder, text", layout_lines(), ids=[f for f, _ in layout_lines()])
def test_readme_layout_modules_exist(folder: str, text: str) -> None:
    for name in re.findall(r"\b([\w]+\.py)\b", text):
        assert (ROOT / folder / name).is_file(), f"README's layout names {folder}{name}, which does not exist"
    for name in re.findall(r"(?<![\w/])(\w+)/(?!\w)", text):
        assert (ROOT / folder / name).is_dir(), f"README's layout names {folder}{name}/, which does not exist"


def test_readme_layout_names_every_module_of_lab() -> None:
    text = dict(layout_lines())["lab/"]
    modules = {p.name for p in (ROOT / "lab").glob("*.py") if p.name != "__init__.py"} - {"ipython_errors.py"}
    packages = {p.name + "/" for p in (ROOT / "lab").iterdir() if (p / "__init__.py").is_file()}
    missing = {m for m in modules | packages if m not in text}
    assert not missing, f"README's layout does not say what lab/{sorted(missing)} is for"


# -- fakeapi has no middleware, and no doc says it has ------------------------------------------------

def test_fakeapi_builds_its_app_without_middlewares() -> None:
    for path in (ROOT / "fakeapi").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) == "Application":
                assert "middlewares" not in {k.arg for k in node.keywords}, f"{path.name} gives the app middlewares"


@pytest.mark.parametrize("path", ["README.md", "docs/fakeapi.md", "docs/AUTHORING.md", "docs/instructor-guide.md",
                                  "bench/bare_server.py"])
def test_no_doc_describes_fakeapis_middlewares(path: str) -> None:
    text = (ROOT / path).read_text(encoding="utf-8")
    if path.endswith(".py"):
        text = ast.get_docstring(ast.parse(text)) or ""
    for match in re.finditer(r"middlewares?", text, flags=re.IGNORECASE):
        before = text[max(0, match.start() - 20):match.start()]
        assert re.search(r"\bno\s+$|has no\s+$", before), f"{path} describes a middleware: ...{before}{match.group()}"


# -- cells cited by docs/cheatsheet.md and docs/errata.md ------------------------------------------

# A citation is written [NN · cell-id](../notebooks/NN_name.ipynb), or for a going-deeper notebook
# [deeper/name · cell-id](../notebooks/deeper/name.ipynb). Each cited cell must exist in that
# notebook and still show what it is cited for: its source must contain the keyword recorded here.
CITATION = re.compile(r"\[(\d\d|deeper/\w+) · ([\w-]+)\]\(\.\./notebooks/((\d\d)_\w+|(deeper/\w+))\.ipynb\)")
KEYWORDS: dict[tuple[str, str], str] = {
    ("deeper/cancellation", "b41e6a01"): ".cancel)",
    ("deeper/what_becomes_a_result", "5d0e7a02"): "GeneratorExit()",
    ("deeper/exception_groups", "b5e0c104"): "06_interrupts_come_out_bare.py",
    ("01", "01f0a002"): "asyncio.gather(calls)",
    ("03", "861067cf"): "status/500",
    ("07", "1184f76a"): "asyncio.gather(",
    ("deeper/cancellation", "b41e6a10"): "return_exceptions=True",
    ("deeper/aiohttp_timeouts", "33354d24"): "ceil_threshold",
    ("deeper/exception_groups", "e9a1a002"): "slow_to_stop",
    ("deeper/exception_groups", "b5e0c102"): "BaseException",
    ("05", "c19829f2"): "async def fetch_one",
    ("06", "3e6c1d71"): "fetch_record",
    ("06", "9fa22bc5"): "except*",
    ("06", "91a154bd"): "tg.cancel()",
    ("15", "2141ddd8"): "isinstance(r, Exception)",
    ("15", "3b727ce9"): "queue.shutdown()",
    ("15", "6b8c69bf"): "asyncio.create_task(worker(",
    ("deeper/tasks_and_futures", "0d238ce7"): "run_in_executor",
    ("deeper/tasks_and_futures", "4419e4fe"): "asyncio.create_task(no_waiting())",
    ("deeper/tasks_and_futures", "452a65ca"): "asyncio.to_thread",
    ("deeper/tasks_and_futures", "5b0940b7"): "eager_task_factory",
    ("deeper/tasks_and_futures", "5f9955f6"): "asyncio.gather()",
    ("deeper/tasks_and_futures", "839628c2"): "gather_without_a_loop.py",
    ("01", "8c5c2483"): "threading.current_thread()",
    ("deeper/tasks_and_futures", "f728e5f8"): "asyncio.current_task()",
    ("02", "2e577f7e"): "asyncio.gather(",
    ("02", "4693b33e"): "asyncio.gather(call, call)",
    ("02", "81342e89"): "asyncio.as_completed(tasks)",
    ("03", "19b5fd15"): "asyncio.gather(",
    ("03", "3a1c7e54"): "03_article_error_example.py",
    ("03", "3a1c7e56"): "03_article_error_example.py",
    ("03", "66db1239"): "lab.timeline(",
    ("03", "9d7d3667"): "status/503",
    ("03", "a3611903"): "everything = asyncio.gather(",
    ("04", "410fe34f"): "return_exceptions=True",
    ("04", "5d0e7a02"): "GeneratorExit()",
    ("04", "870e0c50"): "return_exceptions=True",
    ("04", "cad85a7b"): "return_exceptions=True",
    ("04", "cb62c60d"): ".cancel)",
    ("06", "280a5605"): "asyncio.TaskGroup()",
    ("06", "46329393"): "asyncio.TaskGroup()",
    ("06", "7448da32"): "with_taskgroup",
    ("06", "a12c2003"): "except*",
    ("06", "b28f48a6"): "asyncio.timeout(",
    ("07", "33bb3503"): "Semaphore(25)",
    ("07", "49b798cd"): "TCPConnector(limit=1)",
    ("07", "f5286ad0"): "asyncio.Semaphore(25)",
    ("08", "10ed98bf"): "asyncio.gather(",
    ("08", "75d20a2d"): "fetch_json_or_none",
    ("08", "7f82e43f"): "asyncio.wait_for(",
    ("08", "822d2ec5"): "asyncio.TimeoutError is TimeoutError",
    ("08", "92def820"): "asyncio.wait_for(",
    ("08", "ad079c91"): "asyncio.wait(",
    ("08", "d3c5e333"): "asyncio.timeout(",
    ("09", "0f801007"): "FIRST_EXCEPTION",
    ("09", "58b4606c"): "asyncio.wait([profile])",
    ("09", "5bc4472c"): "async for",
    ("09", "7e2d4127"): "FIRST_COMPLETED",
    ("09", "80253e0b"): "as_completed(tasks, timeout=",
    ("09", "c4f441fc"): "asyncio.as_completed(",
    ("09", "e4b35a93"): "task.cancel()",
}


def citations(doc: str) -> list[tuple[str, str, str]]:
    text = (ROOT / "docs" / doc).read_text(encoding="utf-8")
    found = []
    for number, cell_id, name, linked, deeper in CITATION.findall(text):
        assert number == (linked or deeper), f"{doc}: the citation {number} · {cell_id} links to {name}.ipynb"
        found.append((number, cell_id, name))
    return found


def cell(number: str, cell_id: str) -> dict | None:
    return next((c for c in notebook(number)["cells"] if c.get("id") == cell_id), None)


@pytest.mark.parametrize("doc", ["cheatsheet.md", "errata.md"])
def test_every_cited_cell_exists_and_still_shows_its_keyword(doc: str) -> None:
    cited = citations(doc)
    assert len(cited) >= 8, f"{doc} cites {len(cited)} cells: every row names the cell that proves it"
    for number, cell_id, name in cited:
        found = cell(number, cell_id)
        assert found is not None, f"{doc} cites cell {cell_id} of {name}.ipynb, which has no such cell any more"
        keyword = KEYWORDS.get((number, cell_id))
        assert keyword is not None, \
            f"{doc} cites {number} · {cell_id}: record its keyword in tests/test_docs.py KEYWORDS"
        assert keyword in "".join(found["source"]), (
            f"{doc} cites {number} · {cell_id} for {keyword!r}, which the cell no longer contains")


@pytest.mark.parametrize("doc", ["cheatsheet.md", "errata.md"])
def test_every_table_row_cites_a_cell(doc: str) -> None:
    lines = (ROOT / "docs" / doc).read_text(encoding="utf-8").splitlines()
    # a table's body: every row after its |---| line, up to the first line that is not a row
    body, in_table = [], False
    for line in lines:
        if line.startswith("|---"):
            in_table = True
        elif in_table and line.startswith("| "):
            body.append(line)
        else:
            in_table = False
    assert body, f"{doc} has no table"
    for row in body:
        assert CITATION.search(row), f"{doc}: this row cites no notebook cell: {row[:80]}"


def test_the_readme_links_the_cheatsheet_and_the_errata() -> None:
    text = README.read_text(encoding="utf-8")
    assert "(docs/cheatsheet.md)" in text and "(docs/errata.md)" in text


# -- README's one paragraph on fakeapi's chaos parameters ---------------------------------------

def test_readme_names_every_chaos_parameter_and_only_real_ones() -> None:
    from fakeapi.params import CHAOS_NAMES

    text = README.read_text(encoding="utf-8")
    start = text.index("chaos on every route by query parameter (")
    paragraph = text[start:text.index(");", start)]
    codes = [code for code in re.findall(r"`([^`]+)`", paragraph) if re.fullmatch(r"[a-z_0-9=|/]+", code)]
    named = {name for code in codes for name in re.split(r"[=|/]", code) if name}  # `fault=reset|close` too
    named -= {"reset", "close", "malformed", "hang", "slow"}  # fault's values
    assert named <= CHAOS_NAMES, f"README names chaos parameters fakeapi does not have: {sorted(named - CHAOS_NAMES)}"
    assert CHAOS_NAMES <= named, f"README's fakeapi paragraph leaves out {sorted(CHAOS_NAMES - named)}"
