"""The lab as a learner meets it: JupyterLab in a real (headless) Chromium, Run All Cells, look.

Uses Debian's chromium driven by Playwright from PyPI (`playwright install` cannot download a
browser here). Screenshots are kept in test-artifacts/ for a human to look at.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from localhost import answers, free_port, git

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path(os.environ.get("LAB_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run", "--disable-dev-shm-usage"]

pytestmark = [pytest.mark.browser, pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason=f"no Chromium at {CHROMIUM}: install Debian's with `apt-get install chromium` (.ci/run does)",
)]




@pytest.fixture(scope="module")
def jupyterlab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """JupyterLab on a free port, no token, serving a copy of notebooks/ (so nothing committed is touched)."""
    work = tmp_path_factory.mktemp("lab")
    shutil.copytree(ROOT / "notebooks", work / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    settings = work / "settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    # Render every cell (not only those on screen), so the test can read every prompt and output.
    tracker = work / "settings" / "@jupyterlab" / "notebook-extension"
    tracker.mkdir(parents=True)
    (tracker / "tracker.jupyterlab-settings").write_text(
        json.dumps({"windowingMode": "none", "autoStartDefaultKernel": True}))
    port = free_port()
    command = [str(Path(sys.executable).parent / "jupyter"), "lab", "--no-browser", f"--port={port}",
               "--ServerApp.ip=127.0.0.1", "--IdentityProvider.token=", "--ServerApp.password=",
               f"--ServerApp.root_dir={work / 'notebooks'}", f"--LabApp.workspaces_dir={work / 'workspaces'}"]
    if os.geteuid() == 0:
        command.append("--allow-root")
    log = open(work / "jupyterlab.log", "w")
    env = {**os.environ, "JUPYTERLAB_SETTINGS_DIR": str(work / "settings")}
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=work)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while not answers(f"{url}/api/status"):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("JupyterLab did not start:\n" + (work / "jupyterlab.log").read_text()[-3000:])
            time.sleep(0.3)
        yield url, work / "notebooks"
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS, headless=True)
        yield chromium
        chromium.close()


def menu(page: Any, top: str, item: str) -> None:
    page.locator(".lm-MenuBar-itemLabel", has_text=top).first.click()
    page.locator(".lm-Menu-itemLabel", has_text=item).first.click()


def kernel_state(url: str, notebook: str) -> str | None:
    """The server's word (GET /api/sessions) on the kernel of `notebook` (a path under the server's root):
    "idle", "busy", "starting", ..., or None when it has none yet or the server could not say.

    Only this notebook's kernel: another test's kernel, in whatever state, proves nothing here. A 5xx
    is "could not say": jupyter_server 2.x answers 500 when the list is read while a kernel is starting
    (its `last_activity` is not set yet), so the caller asks again."""
    try:
        with urllib.request.urlopen(f"{url}/api/sessions", timeout=5) as response:
            sessions = json.loads(response.read())
    except urllib.error.HTTPError as error:
        error.close()
        if error.code >= 500:
            return None
        raise
    return next((s["kernel"]["execution_state"] for s in sessions if s["path"] == notebook), None)


def kernel_idle(url: str, notebook: str) -> bool:
    return kernel_state(url, notebook) == "idle"


def prompts(page: Any) -> list[str]:
    return [p.strip() for p in page.locator(".jp-CodeCell .jp-InputPrompt").all_inner_texts()]


def wait_until(condition: Any, seconds: float, page: Any) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        page.wait_for_timeout(300)
    return False


def open_page(browser: Any, url: str, notebook: str, workspace: str) -> Any:
    """A new page on `notebook`, in a workspace of its own, reset: nothing restored from an earlier page."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{url}/lab/workspaces/{workspace}/tree/{notebook}?reset")
    return page


def wait_for_kernel(page: Any, url: str, notebook: str) -> None:
    """Until the notebook is shown and the server says its kernel is idle (a minute at most for each)."""
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
    assert wait_until(lambda: kernel_idle(url, notebook), 60, page), "the notebook's kernel did not start"


def run_all_cells(page: Any, url: str, notebook: str, timeout_s: float = 150) -> None:
    """Wait for the kernel, clear the committed outputs, Run All Cells, wait until every cell ran."""
    wait_for_kernel(page, url, notebook)
    assert page.locator(".jp-NotebookPanel").count() == 1, "the workspace restored other notebooks"
    menu(page, "Edit", "Clear Outputs of All Cells")
    page.wait_for_function("!document.querySelector('.jp-Notebook .jp-OutputArea-output')", timeout=10_000)
    # On a loaded machine a menu click can land before the menu is ready: try again until cells start.
    for _ in range(3):
        menu(page, "Run", "Run All Cells")
        if wait_until(lambda: any(p != "[ ]:" and p for p in prompts(page)), 15, page):
            break
        page.keyboard.press("Escape")
    else:
        raise AssertionError(f"{notebook}: Run All Cells did not start any cell")
    code_cells = sum(1 for c in json.loads((ROOT / "notebooks" / notebook).read_text())["cells"]
                     if c["cell_type"] == "code")
    deadline = time.monotonic() + timeout_s
    shown: list[str] = []
    idle_since = None
    while time.monotonic() < deadline:
        shown = prompts(page)
        done = [p for p in shown if re.fullmatch(r"\[\d+\]:", p)]
        idle = kernel_idle(url, notebook)
        if len(done) == code_cells and idle:
            return
        # Run All stops at a cell that fails: idle with cells left unrun is an answer, not a reason to wait.
        idle_since = (idle_since or time.monotonic()) if idle else None
        if idle_since is not None and time.monotonic() - idle_since > 10:
            failed = [t for t in page.locator(".jp-CodeCell .jp-OutputArea-output").all_inner_texts()
                      if "Error" in t or "Traceback" in t]
            raise AssertionError(f"{notebook}: Run All stopped with {code_cells - len(done)} cells unrun; "
                                 f"errors shown: {[f[-300:] for f in failed]}")
        page.wait_for_timeout(500)
    raise AssertionError(f"{notebook}: not every cell ran within {timeout_s} s: {shown}")


def save_and_read(page: Any, path: Path) -> dict[str, Any]:
    """Save the notebook from the browser and read back what JupyterLab wrote: the outputs it shows."""
    before = path.stat().st_mtime_ns
    menu(page, "File", "Save Notebook")
    deadline = time.monotonic() + 20
    while True:
        if path.stat().st_mtime_ns != before:
            try:
                return json.loads(path.read_text())
            except ValueError:  # read while the server was still writing it: read again
                pass
        if time.monotonic() > deadline:
            raise AssertionError(f"{path.name} was not saved (or not completely) within 20 s")
        time.sleep(0.2)


def unexpected_errors(notebook: dict[str, Any]) -> list[tuple[int, str]]:
    """Cells that failed without the raises-exception tag, or that were tagged and did not fail."""
    wrong = []
    for index, cell in enumerate(notebook["cells"]):
        if cell["cell_type"] != "code":
            continue
        errors = [f"{o['ename']}: {o['evalue']}" for o in cell["outputs"] if o["output_type"] == "error"]
        if ("raises-exception" in cell["metadata"].get("tags", [])) != bool(errors):
            wrong.append((index, "; ".join(errors) or "no error, though it is meant to fail"))
    return wrong


def open_and_run(browser: Any, url: str, notebook: str) -> Any:
    page = open_page(browser, url, notebook, workspace=Path(notebook).stem)
    try:
        run_all_cells(page, url, notebook)
    except BaseException:
        screenshot(page, Path(notebook).stem + "_failed")
        page.close()
        raise
    return page


def screenshot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=False)


def test_basic_gather_runs_in_jupyterlab(browser: Any, jupyterlab: tuple[str, Path]) -> None:
    notebook = "01_basic_gather.ipynb"
    url, folder = jupyterlab
    page = open_and_run(browser, url, notebook)
    try:
        timeline = page.locator(".jp-OutputArea-output img[src^='data:image/png']")
        assert timeline.count() >= 1, "no timeline image appeared"
        timeline.first.scroll_into_view_if_needed()
        assert timeline.first.bounding_box()["height"] > 50
        assert unexpected_errors(save_and_read(page, folder / notebook)) == []
    finally:
        screenshot(page, "01_basic_gather")
        page.close()


def test_playground_widgets_render_and_run(browser: Any, jupyterlab: tuple[str, Path]) -> None:
    notebook = "12_playground.ipynb"
    url, folder = jupyterlab
    page = open_and_run(browser, url, notebook)
    try:
        assert page.locator(".jupyter-widgets .widget-slider, .jupyter-widgets.widget-slider").count() >= 3, \
            "the playground's sliders did not render"
        run = page.locator(".playground-run")
        assert run.count() >= 1, "no Run button (.playground-run) rendered"
        assert page.locator(".jp-OutputArea-output img[src^='data:image/png']").count() >= 1, \
            "no timeline image appeared"
        assert unexpected_errors(save_and_read(page, folder / notebook)) == []
        # A learner's click: Run is disabled while the batch runs, then a new timeline and summary appear.
        summary = page.locator(".playground-summary").first
        summary_before = summary.inner_text()
        run.first.scroll_into_view_if_needed()
        run.first.click()
        page.wait_for_selector("button.playground-run:disabled", timeout=10_000)
        page.wait_for_selector("button.playground-run:enabled", timeout=60_000)
        assert page.locator(".playground-timeline img[src^='data:image/png']").count() >= 1
        assert summary.inner_text() != summary_before, "the summary did not change after a run"
        screenshot(page, "12_playground_after_click")
    finally:
        screenshot(page, "12_playground")
        page.close()


STOP_NOTEBOOK = {
    "cells": [
        {"cell_type": "code", "execution_count": None, "id": "setup", "metadata": {}, "outputs": [], "source": [
            "import asyncio\n", "import fakeapi\n", "import lab\n\n",
            "api = fakeapi.start()\n", "session = lab.notebook_session()\n\n",
            "async def fetch(i):\n",
            "    async with session.get(f\"{api.url}/users/{i}?fault=hang\") as response:\n",
            "        return await response.json()"]},
        {"cell_type": "code", "execution_count": None, "id": "hang", "metadata": {}, "outputs": [], "source": [
            "api.clear_journal()\n", "try:\n",
            "    await asyncio.gather(*(fetch(i) for i in (1, 2, 3)))\n", "finally:\n",
            "    await api.wait_idle()\n", "    print('journal:', lab.outcomes(api.journal()))"]},
    ],
    "metadata": {"kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}},
    "nbformat": 4, "nbformat_minor": 5,
}


def test_stop_ends_a_cell_awaiting_hanging_requests(browser: Any, jupyterlab: tuple[str, Path]) -> None:
    """JupyterLab's Stop button on a cell awaiting three requests that never answer: the cell ends."""
    url, folder = jupyterlab
    notebook = "stop_a_hanging_cell.ipynb"
    (folder / notebook).write_text(json.dumps(STOP_NOTEBOOK))
    page = open_page(browser, url, notebook, workspace="stop")
    try:
        wait_for_kernel(page, url, notebook)
        for _ in range(3):  # a menu click can land before the menu is ready on a loaded machine
            menu(page, "Run", "Run All Cells")
            if wait_until(lambda: prompts(page)[-1:] == ["[*]:"] and prompts(page)[0] not in ("[ ]:", "[*]:"),
                          15, page):
                break
            page.keyboard.press("Escape")
        else:
            raise AssertionError(f"the hanging cell never started: prompts {prompts(page)}")
        page.wait_for_timeout(1000)  # the requests are out and hanging; nothing will wake the loop
        assert prompts(page)[-1] == "[*]:" and kernel_state(url, notebook) == "busy"
        page.locator(".jp-NotebookPanel-toolbar [data-jp-item-name='interrupt']").first.click()
        assert wait_until(lambda: kernel_idle(url, notebook), 10, page), "Stop did not end the cell within 10 s"
        assert wait_until(lambda: "journal:" in page.locator(".jp-CodeCell").last.inner_text(), 10, page)
        shown = page.locator(".jp-CodeCell").last.locator(".jp-OutputArea").inner_text()
        assert "journal: {'cancelled': 3}" in shown, shown
        assert "CancelledError" in shown or "KeyboardInterrupt" in shown, shown
        assert re.fullmatch(r"\[\d+\]:", prompts(page)[-1]), prompts(page)
    finally:
        screenshot(page, "stop_a_hanging_cell")
        page.close()


@pytest.fixture(scope="module")
def make_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """`make lab` on a fresh copy of the checkout, with only the settings the lab ships (none of this test's)."""
    from localhost import MakeLab, checkout_copy

    running = MakeLab(checkout_copy(ROOT, tmp_path_factory.mktemp("clone") / "asyncio-lab"), Path(sys.prefix))
    running.start()
    try:
        yield running
    finally:
        running.stop()


NEW_NOTEBOOK = {**STOP_NOTEBOOK, "cells": [
    {"cell_type": "code", "execution_count": None, "id": "setup", "metadata": {}, "outputs": [], "source": [
        "import asyncio\n", "import aiohttp\n", "import fakeapi\n\n", "api = fakeapi.start()"]},
    {"cell_type": "code", "execution_count": None, "id": "hang", "metadata": {}, "outputs": [], "source": [
        "async with aiohttp.ClientSession() as session:\n",
        "    try:\n",
        "        await asyncio.gather(*(session.get(f\"{api.url}/users/{i}?fault=hang\") for i in (1, 2, 3)))\n",
        "    finally:\n",
        "        await api.wait_idle()\n",
        "        print('journal:', sorted(e['outcome'] for e in api.journal()))"]},
]}


def test_stop_in_a_new_notebook_of_the_learners_lab_with_nothing_to_dismiss(browser: Any, make_lab: Any) -> None:
    """make lab's JupyterLab, with its own settings: no dialog over the page; a new notebook in my-lab/
    that never imports lab; Stop ends its cell awaiting three requests that never answer."""
    notebook = "my-lab/stop_in_my_own_notebook.ipynb"
    (make_lab.checkout / notebook).write_text(json.dumps(NEW_NOTEBOOK))
    url = make_lab.url
    page = open_page(browser, url, notebook, workspace="mine")
    try:
        wait_for_kernel(page, url, notebook)
        page.wait_for_timeout(3000)  # the news question, when asked, comes a moment after the page
        screenshot(page, "learner_lab_first_start")
        assert page.locator(".jp-Dialog, .jp-toast-message").count() == 0, "something asks the learner to dismiss it"
        for _ in range(3):
            menu(page, "Run", "Run All Cells")
            if wait_until(lambda: prompts(page)[-1:] == ["[*]:"] and prompts(page)[0] not in ("[ ]:", "[*]:"),
                          15, page):
                break
            page.keyboard.press("Escape")
        else:
            raise AssertionError(f"the hanging cell never started: prompts {prompts(page)}")
        page.wait_for_timeout(1000)
        assert prompts(page)[-1] == "[*]:" and kernel_state(url, notebook) == "busy"
        page.locator(".jp-NotebookPanel-toolbar [data-jp-item-name='interrupt']").first.click()
        assert wait_until(lambda: kernel_idle(url, notebook), 10, page), "Stop did not end the cell"
        assert wait_until(lambda: "journal:" in page.locator(".jp-CodeCell").last.inner_text(), 10, page)
        shown = page.locator(".jp-CodeCell").last.locator(".jp-OutputArea").inner_text()
        assert "journal: ['cancelled', 'cancelled', 'cancelled']" in shown, shown
    finally:
        screenshot(page, "stop_in_my_own_notebook")
        page.close()


def cell_prompt(cell: Any) -> str:
    return str(cell.locator(".jp-InputPrompt").inner_text()).strip()


def run_cell(page: Any, url: str, notebook: str, cell: Any, timeout_s: float = 120) -> str:
    """Select `cell`'s editor, press Shift+Enter as a learner does, wait until it ran; the output it shows."""
    before = cell_prompt(cell)
    for _ in range(3):  # on a loaded machine JupyterLab can drop a keypress: press again until the cell starts
        cell.scroll_into_view_if_needed()
        cell.locator(".jp-InputArea-editor").click()
        page.keyboard.press("Shift+Enter")
        if wait_until(lambda: cell_prompt(cell) != before, 15, page):
            break
    else:
        raise AssertionError(f"the cell never started (prompt still {before})")
    assert wait_until(lambda: re.fullmatch(r"\[\d+\]:", cell_prompt(cell)) and kernel_idle(url, notebook),
                      timeout_s, page), \
        f"the cell did not finish within {timeout_s} s (prompt {cell_prompt(cell)})"
    return str(cell.locator(".jp-OutputArea").inner_text())


def editor_text(cell: Any) -> str:
    return "\n".join(cell.locator(".cm-content .cm-line").all_text_contents())


def replace_cell_source(page: Any, cell: Any, source: str) -> None:
    """What a learner does with the mouse and keyboard: click into the cell's editor, select all, type."""
    for _ in range(3):  # a click on a loaded machine can land before the editor takes the focus: again
        cell.scroll_into_view_if_needed()
        cell.locator(".jp-InputArea-editor").click()
        if not wait_until(lambda: cell.locator(".cm-editor.cm-focused").count() == 1, 10, page):
            continue
        page.keyboard.press("Control+a")
        page.keyboard.insert_text(source)  # as typed (or pasted): no auto-indent doubling its indentation
        if wait_until(lambda: editor_text(cell) == source, 10, page):
            return
    raise AssertionError(f"the cell's editor does not show the answer typed: {editor_text(cell)!r}")


def checks_passed(my_lab: Path) -> set[str]:
    """The checks my-lab/.progress.json remembers as passed (none before the first pass)."""
    progress = my_lab / ".progress.json"
    return set(json.loads(progress.read_text())) if progress.exists() else set()


# Lesson 00's exercise, answered wrong, then right, each written differently from the lesson's solution.
WRONG_ANSWER = """from lab.exercises.start_here import check_todo_title

async def todo_title(session, base_url, todo_id):
    response = await session.get(f"{base_url}/todos/{todo_id}")
    return await response.json()

await check_todo_title(todo_title)"""
RIGHT_ANSWER = """from lab.exercises.start_here import check_todo_title

async def todo_title(session, base_url, todo_id):
    async with session.get(base_url + "/todos/" + str(todo_id)) as response:
        body = await response.json()
        return body["title"]

await check_todo_title(todo_title)"""


def test_a_check_fails_then_passes_in_the_learners_own_copy(browser: Any, make_lab: Any) -> None:
    """In make lab's JupyterLab, my-lab/00_start_here.ipynb: its exercise is unsolved, so its check fails
    with a hint; a wrong answer typed in the editor fails with another; the right one passes, the pass is
    remembered in my-lab/.progress.json and lesson 00's map shows it; the saved copy holds the answer."""
    notebook = "my-lab/00_start_here.ipynb"
    my_lab = make_lab.checkout / "my-lab"
    check = "lab.exercises.start_here.check_todo_title"
    assert check not in checks_passed(my_lab)
    url = make_lab.url
    page = open_page(browser, url, notebook, workspace="exercise")
    try:
        wait_for_kernel(page, url, notebook)
        # JupyterLab renders a long notebook's cells a few at a time: wait until the two needed are there.
        exercise = page.locator(".jp-CodeCell", has_text="await check_todo_title(todo_title)")
        progress_map = page.locator(".jp-CodeCell", has_text="lab.progress.show()")
        assert wait_until(lambda: exercise.count() == 1 and progress_map.count() == 1, 60, page), \
            "lesson 00 lost its exercise or its map"
        assert re.search(r"☐\s*check_todo_title", run_cell(page, url, notebook, progress_map))

        shown = run_cell(page, url, notebook, exercise)  # the learner's copy, as make lab made it: not solved
        assert "NotSolvedYet: todo_title is not written yet" in shown, shown
        assert "replace `raise NotImplementedError` with your code" in shown, shown
        assert "✅" not in shown and check not in checks_passed(my_lab)

        replace_cell_source(page, exercise, WRONG_ANSWER)
        shown = run_cell(page, url, notebook, exercise)
        assert "❌ CheckFailed: you returned the whole todo; return only its title" in shown, shown
        assert "✅" not in shown and check not in checks_passed(my_lab)

        replace_cell_source(page, exercise, RIGHT_ANSWER)
        shown = run_cell(page, url, notebook, exercise)
        assert re.search(r"✅ todos \d+ and \d+ fetched with one request each; todo \d+ is titled '.+'", shown), shown
        assert "❌" not in shown
        screenshot(page, "learner_check_passed")
        assert check in checks_passed(my_lab), "the pass was not remembered in my-lab/.progress.json"
        shown = run_cell(page, url, notebook, progress_map)
        assert re.search(r"✔\s*check_todo_title", shown), f"lesson 00's map does not show the pass: {shown}"
        screenshot(page, "learner_progress_map")

        saved = save_and_read(page, make_lab.checkout / notebook)
        cell = next(c for c in saved["cells"] if "check_todo_title(todo_title)" in "".join(c["source"]))
        assert "".join(cell["source"]) == RIGHT_ANSWER, "the copy saved is not what was typed"
        assert any("✅" in "".join(o.get("text", "")) for o in cell["outputs"]), cell["outputs"]
        assert git(make_lab.checkout, "status", "--porcelain") == "", "the session changed the checkout"
    finally:
        screenshot(page, "learner_check")
        page.close()


def test_a_glossary_link_in_a_lesson_opens_the_glossary_at_its_term(browser: Any, make_lab: Any) -> None:
    """A learner clicks a glossary link in lesson 00's rendered text: docs/glossary.md opens in
    JupyterLab's markdown viewer, scrolled to the linked term's heading."""
    url = make_lab.url
    page = open_page(browser, url, "my-lab/00_start_here.ipynb", workspace="glossary")
    try:
        page.wait_for_selector(".jp-Notebook .jp-RenderedMarkdown", timeout=60_000)
        # The server rewrites the link (to /files/docs/glossary.md?_xsrf=...#term): the term is its fragment.
        link = page.locator(".jp-Notebook .jp-RenderedMarkdown a[href*='glossary.md'][href*='#']").first
        link.wait_for(timeout=30_000)
        term = link.get_attribute("href").rsplit("#", 1)[1]
        link.scroll_into_view_if_needed()
        link.click()
        viewer = page.locator(".jp-MarkdownViewer:visible")
        viewer.wait_for(timeout=30_000)
        current = page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current").all_inner_texts()
        assert [t.strip() for t in current] == ["glossary.md"], current
        heading = viewer.locator(f"[data-jupyter-id='{term}']")
        heading.wait_for(timeout=30_000)
        title = viewer.locator("h1").first

        def at_the_term() -> bool:
            box, top = viewer.bounding_box(), heading.bounding_box()
            return bool(box and top and box["y"] - 5 <= top["y"] <= box["y"] + box["height"] / 4)

        assert wait_until(at_the_term, 15, page), \
            f"#{term} is not at the top of the glossary: {heading.bounding_box()} in {viewer.bounding_box()}"
        assert title.bounding_box()["y"] < viewer.bounding_box()["y"], "the glossary was not scrolled to the term"
    finally:
        screenshot(page, "glossary_link")
        page.close()
