"""The kernel as a learner drives it: Stop during an awaiting cell, re-running the setup cell, what is left.

Each test drives a real IPython kernel started from this Python (jupyter_client), the way
JupyterLab does: execute a cell, press Stop (interrupt_kernel), read the cell's reply and output.
Timings are printed for a human (`-s`); the only time asserted is a generous deadline that means
"the cell ended at all". The proof that Stop reached the requests is the server's journal.
"""

from __future__ import annotations

import asyncio
import queue
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from jupyter_client.manager import KernelManager

import lab
import lab.kernel

pytestmark = pytest.mark.slow  # starts Jupyter kernels: make test, not make test-fast

ROOT = Path(__file__).resolve().parent.parent
DEADLINE = 10.0  # seconds: a cell that has not ended by then never will (a hanging request hangs forever)


class Kernel:
    """One kernel, a cell at a time: run(code) returns what the cell printed and how it ended."""

    def __init__(self) -> None:
        self.manager = KernelManager(kernel_name="python3")
        assert self.manager.kernel_spec is not None
        self.manager.kernel_spec.argv[0] = sys.executable  # this Python's kernel, whatever is installed elsewhere
        self.manager.start_kernel(cwd=str(ROOT))
        self.client = self.manager.client()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=60)

    def start(self, code: str) -> str:
        return self.client.execute(code)

    def output_until(self, msg_id: str, text: str | None = None, deadline: float = DEADLINE) -> dict[str, Any]:
        """Collect the cell's output until `text` shows up in it (or, with None, until the cell ends)."""
        out: dict[str, Any] = {"stdout": "", "stderr": "", "error": None, "ended": False}
        end = time.monotonic() + deadline
        while time.monotonic() < end:
            try:
                message = self.client.get_iopub_msg(timeout=max(0.01, end - time.monotonic()))
            except queue.Empty:
                break
            if message["parent_header"].get("msg_id") != msg_id:
                continue
            kind, content = message["msg_type"], message["content"]
            if kind == "stream":
                out[content["name"]] += content["text"]
            elif kind in ("execute_result", "display_data"):
                out["stdout"] += content["data"].get("text/plain", "") + "\n"
            elif kind == "error":
                out["error"] = content["ename"]
            elif kind == "status" and content["execution_state"] == "idle":
                out["ended"] = True
                return out
            if text is not None and text in out["stdout"]:
                return out
        raise AssertionError(f"no {'output ' + repr(text) if text else 'end of cell'} within {deadline} s: {out}")

    def run(self, code: str) -> dict[str, Any]:
        return self.output_until(self.start(code))

    def ok(self, code: str) -> str:
        out = self.run(code)
        assert out["error"] is None and out["stderr"] == "", out
        return out["stdout"]

    def stop(self) -> None:
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)


@pytest.fixture(scope="module")
def kernel() -> Iterator[Kernel]:
    k = Kernel()
    try:
        assert k.ok("import sys; print(sys.executable)").strip() == sys.executable
        k.ok("import asyncio, gc, signal\nimport aiohttp\nimport fakeapi\nimport lab\n\n"
             "api = fakeapi.start()\nsession = lab.notebook_session()")
        yield k
    finally:
        k.stop()


FETCH = """
api.clear_journal()

async def fetch(i, query):
    async with session.get(f"{api.url}/users/{i}?{query}") as response:
        return await response.json()

async def three_in_flight():
    while api.stats()["in_flight"] < 3:
        await asyncio.sleep(0.01)
    print("3 in flight", flush=True)
"""

AWAITS = {  # a cell that awaits, forever or for long: what the learner presses Stop on
    "gather": "await asyncio.gather(three_in_flight(), *(fetch(i, 'fault=hang') for i in (1, 2, 3)))",
    "taskgroup": ("async with asyncio.TaskGroup() as tg:\n    tg.create_task(three_in_flight())\n"
                  "    for i in (1, 2, 3):\n        tg.create_task(fetch(i, 'fault=hang'))"),
    "sleep": "print('3 in flight', flush=True)\nawait asyncio.sleep(3600)",
}


def press_stop_on(kernel: Kernel, cell: str) -> tuple[dict[str, Any], float]:
    """Run `cell`, wait until its requests are in flight, interrupt; return how the cell ended and when."""
    kernel.ok(FETCH)
    msg_id = kernel.start(cell)
    kernel.output_until(msg_id, "3 in flight")
    pressed = time.monotonic()
    kernel.manager.interrupt_kernel()
    out = kernel.output_until(msg_id)
    return out, time.monotonic() - pressed


@pytest.mark.parametrize("awaiting", list(AWAITS))
def test_stop_ends_an_awaiting_cell_and_cancels_its_requests(kernel: Kernel, awaiting: str) -> None:
    out, took = press_stop_on(kernel, AWAITS[awaiting])
    print(f"{awaiting}: the cell ended {took:.2f} s after Stop")
    assert out["ended"] and out["error"] in ("CancelledError", "KeyboardInterrupt"), out
    outcomes = kernel.ok("await api.wait_idle()\nprint(lab.outcomes(api.journal()))\nprint(lab.still_running())")
    expected = "{}" if awaiting == "sleep" else "{'cancelled': 3}"
    assert outcomes.splitlines() == [expected, "nothing is running"]
    assert kernel.ok("1 + 1").strip() == "2"  # the kernel stays usable


def test_rerunning_the_setup_cell_is_quiet(kernel: Kernel) -> None:
    setup = "session = lab.notebook_session()\nimport lab  # again: installing the wake-up twice is harmless"
    for _ in range(3):
        kernel.ok(setup)
    out = kernel.run("gc.collect()\nawait asyncio.sleep(0.1)\nprint(session.closed)")
    assert out["stderr"] == "" and out["stdout"].strip() == "False", out  # no "Unclosed client session"


def test_a_request_after_the_clean_up_cell_names_the_closed_session(kernel: Kernel) -> None:
    kernel.ok("await session.close()")
    out = kernel.run("await fetch(1, '')")
    assert out["error"] == "RuntimeError", out
    assert kernel.run("print(repr(_exc if (_exc := sys.last_value) else None))")["stdout"].strip() \
        == "RuntimeError('Session is closed')"
    kernel.ok("session = lab.notebook_session()")
    assert "'name'" in kernel.ok("print(await fetch(1, ''))")


def test_still_running_lists_what_a_cell_left_behind_and_stop_everything_ends_it(kernel: Kernel) -> None:
    kernel.ok(FETCH)
    kernel.ok("left = [asyncio.ensure_future(fetch(i, 'fault=hang')) for i in (1, 2)]\n"
              "while api.stats()['in_flight'] < 2:\n    await asyncio.sleep(0.01)")
    assert kernel.ok("print(lab.still_running())").strip() == \
        "2 tasks running: 2 × fetch(); 2 requests in flight on the server"
    assert kernel.ok("print(await lab.stop_everything())").splitlines() == \
        ["cancelled: 2 × fetch()", "nothing is running"]
    assert kernel.ok("print(lab.outcomes(api.journal()), [t.cancelled() for t in left])").strip() == \
        "{'cancelled': 2} [True, True]"


def test_the_wakeup_is_not_installed_outside_a_kernel() -> None:
    assert lab.kernel.install_stop_wakeup() is False  # pytest: no kernel, no running loop


def test_notebook_session_closes_the_previous_one_of_its_name() -> None:
    async def scenario() -> list[bool]:
        first = lab.notebook_session()
        second = lab.notebook_session()
        other = lab.notebook_session(name="only_reviews")
        given = aiohttp.ClientSession()
        same = lab.notebook_session(given, name="only_reviews")
        await asyncio.sleep(0.05)  # the previous sessions close in a task of their own
        closed = [first.closed, second.closed, other.closed, same is given, given.closed]
        with pytest.raises(TypeError, match="not both"):
            lab.notebook_session(given, timeout=aiohttp.ClientTimeout(total=1))
        await second.close()
        await given.close()
        return closed

    assert asyncio.run(scenario()) == [True, False, True, True, False]


def test_still_running_says_what_each_task_waits_on_with_what_this_python_can_tell() -> None:
    async def leaf() -> None:
        await asyncio.sleep(3600)

    async def fetch() -> None:
        await leaf()

    async def scenario() -> tuple[str, str]:
        left = asyncio.create_task(fetch(), name="left")        # nobody awaits it: left behind
        awaited = asyncio.create_task(fetch(), name="awaited")

        async def parent() -> None:
            await awaited

        waiter = asyncio.create_task(parent(), name="parent")
        await asyncio.sleep(0.01)
        texts = lab.kernel.waiting_on(left), lab.kernel.waiting_on(awaited)
        for task in (left, awaited, waiter):
            task.cancel()
        await asyncio.gather(left, awaited, waiter, return_exceptions=True)
        return texts

    left, awaited = asyncio.run(scenario())
    print(left, awaited, sep="\n")
    for text in (left, awaited):  # the stack, innermost first, the learner's frames with their lines
        assert re.match(r"waits in asyncio: sleep\(\) ← .*leaf\(\) line \d+ ← .*fetch\(\) line \d+; ", text), text
    if sys.version_info >= (3, 14):  # asyncio.capture_call_graph knows who awaits a task
        assert left.endswith("; no task awaits it")
        assert re.search(r"; awaited by task parent \(.*parent\(\)\)$", awaited), awaited
    else:
        assert left.endswith("cannot tell (asyncio.capture_call_graph, Python 3.14+, can)")


def test_still_running_with_waits_adds_a_line_per_task(kernel: Kernel) -> None:
    kernel.ok(FETCH)
    kernel.ok("left = [asyncio.ensure_future(fetch(i, 'fault=hang')) for i in (1, 2)]\n"
              "while api.stats()['in_flight'] < 2:\n    await asyncio.sleep(0.01)")
    lines = kernel.ok("print(lab.still_running(waits=True))").splitlines()
    assert lines[0] == "2 tasks running: 2 × fetch(); 2 requests in flight on the server"
    assert len(lines) == 3 and all(re.match(r"- Task-\d+ fetch\(\): waits in .* ← fetch\(\) line \d+; ", line)
                                   for line in lines[1:]), lines
    kernel.ok("await lab.stop_everything()")


def test_importing_lab_installs_no_handler_and_no_display() -> None:
    """The Stop wake-up and the figures' display belong to the kernel's set-up (lab_setup), not to `import lab`."""
    code = ("import signal\nfrom IPython.core.interactiveshell import InteractiveShell\n"
            "shell = InteractiveShell.instance()\nimport lab, lab.timeline\n"
            "printers = shell.display_formatter.ipython_display_formatter\n"
            "print(signal.getsignal(signal.SIGWINCH) == signal.SIG_DFL, signal.set_wakeup_fd(-1),\n"
            "      sorted(map(str, printers.deferred_printers)), sorted(map(str, printers.type_printers)))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.stdout.split(maxsplit=2)[:2] == ["True", "-1"], done.stderr
    assert "Figure" not in done.stdout, done.stdout


def test_the_lab_kernel_loads_lab_setup_before_any_cell() -> None:
    k = Kernel()
    try:
        loaded = k.ok("import sys\nprint('lab_setup' in get_ipython().extension_manager.loaded, 'lab' in sys.modules)")
        assert loaded.split() == ["True", "False"]
    finally:
        k.stop()
