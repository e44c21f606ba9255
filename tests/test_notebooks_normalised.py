"""Committed notebooks are normalised (tools/normalise_notebooks.py), so a diff shows only what a run changed.

`make notebooks` executes and normalises; `make normalise` only normalises (after a save from JupyterLab).
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
from normalise_notebooks import FIX, clean_traceback_line, normalise, normalised_text, notebooks  # noqa: E402


@pytest.mark.parametrize("path", notebooks(), ids=lambda path: path.stem)
def test_the_committed_notebook_is_normalised(path: Path) -> None:
    text, normal = normalised_text(path)
    assert text == normal, f"{path.relative_to(ROOT)} is not normalised: run `{FIX}` and commit the result"


def a_run_of(source: str) -> nbformat.NotebookNode:
    """A one-cell notebook as JupyterLab saves it after a run: timestamps, a widget, a coloured traceback."""
    cell = nbformat.v4.new_code_cell(source, execution_count=7, metadata={
        "execution": {"iopub.execute_input": "2026-12-01T11:29:09.181010Z"}, "scrolled": True, "tags": ["keep"]})
    cell.outputs = [
        nbformat.v4.new_output("display_data", data={
            "text/plain": "IntProgress(value=3)",
            "application/vnd.jupyter.widget-view+json": {"model_id": "df0ed16c", "version_major": 2}}),
        nbformat.v4.new_output("error", ename="ValueError", evalue="bad", traceback=[
            "\x1b[31mValueError\x1b[39m Traceback",
            "File \x1b[32m/root/.pyenv/versions/3.14.10/lib/python3.14/asyncio/tasks.py:425\x1b[39m, in wait_for",
            "File /work/wt/x/.venv-3.14/lib/python3.14/site-packages/aiohttp/client.py:842, in get",
            '  File "/tmp/ipykernel_12068/214587076.py", line 2, in <module>',
            "File /home/ana/lab/lab/checks.py:12, in observe"]),
        nbformat.v4.new_output("execute_result", data={"text/plain": "3"}, execution_count=7),
    ]
    nb = nbformat.v4.new_notebook(cells=[cell], metadata={"widgets": {"state": {"df0ed16c": {}}}})
    return nb


def test_a_run_is_normalised_to_what_a_reader_needs() -> None:
    nb = normalise(a_run_of("print(1)"))
    cell = nb.cells[0]
    assert "widgets" not in nb.metadata
    assert cell.metadata == {"tags": ["keep"]}
    assert cell.execution_count == 1 and cell.outputs[2].execution_count == 1
    assert cell.outputs[0].data == {"text/plain": "IntProgress(value=3)"}
    assert cell.outputs[1].traceback == [
        "ValueError Traceback",
        "File lib/python3.14/asyncio/tasks.py:425, in wait_for",
        "File site-packages/aiohttp/client.py:842, in get",
        '  File "<cell>", line 2, in <module>',
        "File lab/checks.py:12, in observe"]
    assert cell.outputs[1].evalue == "bad" and cell.source == "print(1)"


def test_what_nbval_compares_is_left_alone() -> None:
    line = "GET http://127.0.0.1:8123/users/1 took 0.25 s at 0x7f00aa11"
    assert clean_traceback_line(line) == line
    nb = a_run_of("x")
    nb.cells[0].outputs.append(nbformat.v4.new_output("stream", name="stderr", text="\x1b[31m/root/x.py\x1b[0m\n"))
    assert normalise(nb).cells[0].outputs[-1].text == "\x1b[31m/root/x.py\x1b[0m\n"


def test_normalising_twice_changes_nothing_more() -> None:
    once = nbformat.writes(normalise(a_run_of("x")))
    assert nbformat.writes(normalise(nbformat.reads(once, as_version=4))) == once


def test_a_streams_chunks_become_one_output_whatever_the_split() -> None:
    """However a run split a cell's prints into messages, the committed outputs are the same; a stream's
    chunks on either side of another output stay apart."""
    def run(*outputs: tuple[str, str]) -> list:
        nb = a_run_of("x")
        nb.cells[0].outputs = [nbformat.v4.new_output("execute_result", data={"text/plain": text}) if name == "result"
                               else nbformat.v4.new_output("stream", name=name, text=text) for name, text in outputs]
        return [(o.output_type, o.get("name"), o.get("text")) for o in normalise(nb).cells[0].outputs]

    split = run(("stdout", "a\n"), ("stdout", "b\nc"), ("stdout", "\n"), ("stderr", "w\n"), ("stderr", "x\n"),
                ("result", "3"), ("stdout", "d\n"))
    whole = run(("stdout", "a\nb\n"), ("stdout", "c\n"), ("stderr", "w\nx\n"), ("result", "3"), ("stdout", "d\n"))
    assert split == whole == [("stream", "stdout", "a\nb\nc\n"), ("stream", "stderr", "w\nx\n"),
                              ("execute_result", None, None), ("stream", "stdout", "d\n")]


def test_the_port_of_a_run_is_masked_as_nbval_masks_it() -> None:
    nb = a_run_of("x")
    nb.cells[0].outputs[1].evalue = "404, url='http://127.0.0.1:41234/users/99'"
    nb.cells[0].outputs[1].traceback.append("File ../.venv-3.14/lib/python3.14/site-packages/aiohttp/x.py:1, in get")
    nb.cells[0].outputs.append(nbformat.v4.new_output("stream", name="stdout", text="GET http://127.0.0.1:8123/a\n"))
    cell = normalise(nb).cells[0]
    assert cell.outputs[1].evalue == "404, url='http://127.0.0.1:PORT/users/99'"
    assert cell.outputs[1].traceback[-1] == "File site-packages/aiohttp/x.py:1, in get"
    assert cell.outputs[-1].text == "GET http://127.0.0.1:PORT/a\n"
    sanitize = (ROOT / "tests" / "nbval_sanitize.cfg").read_text()
    assert "regex: 127\\.0\\.0\\.1:\\d+\nreplace: 127.0.0.1:PORT\n" in sanitize  # the same mask as nbval's
