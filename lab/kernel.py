"""The kernel as a learner drives it: Stop that works while a cell awaits, a re-runnable session,
and one call to see (and stop) what is still running.

    session = lab.notebook_session()     # the setup cell: re-running it closes the previous session
    lab.still_running()                  # tasks you left running, and requests the server is still handling
    await lab.stop_everything()          # cancel those tasks and wait until the server is idle

Why Stop needs help (ipykernel 7, issue 881 "Cannot interrupt top-level coroutine"): during an
awaiting cell, ipykernel's SIGINT handler schedules the cancel of the cell with the loop's plain
`call_soon`, which does not wake the loop's selector. The cancel then waits for the next I/O event:
the end of the slowest request, or never for a request that hangs. Registering any signal handler
through the loop (`loop.add_signal_handler`) makes asyncio install its self-pipe as the process's
wake-up fd (`signal.set_wakeup_fd`): from then on every signal, SIGINT included, writes a byte there,
the selector returns and the scheduled cancel runs at once. `install_stop_wakeup()` registers a
no-op handler for SIGWINCH (ignored by default, and a kernel has no terminal), which changes
nothing else. The lab's kernel installs it before every cell (`lab_setup`, an IPython extension
that tools/lab_env.py configures inside the environment), so Stop works in any notebook of that
kernel, one that never imports `lab` included; `import lab` itself changes nothing.

Where it does nothing: outside a running kernel, off the main thread, and where the loop has no
`add_signal_handler` (Windows). On Windows the default ProactorEventLoop already sets its own
wake-up fd when it is created in the main thread (CPython `asyncio/proactor_events.py`), so Stop
should not need this there; that is read from the source, not run here.
"""

from __future__ import annotations

import asyncio
import os
import sys
from dataclasses import dataclass, field
from typing import Any

import aiohttp

import lab_setup

__all__ = ["StillRunning", "install_stop_wakeup", "notebook_session", "still_running", "stop_everything",
           "waiting_on"]

def install_stop_wakeup() -> bool:
    """Make Stop (a kernel interrupt) reach a cell while it awaits. True if the wake-up is in place.

    The lab's kernel does this itself before every cell (the `lab_setup` IPython extension that
    tools/lab_env.py configures in the environment); call it only in a kernel set up otherwise.
    Idempotent. A no-op (False) outside a Jupyter kernel, off the main thread, with no running
    loop, or where the loop cannot add signal handlers (Windows).
    """
    return lab_setup.install_stop_wakeup()


# ---- the notebook's session -----------------------------------------------------------------------

_sessions: dict[str, aiohttp.ClientSession] = {}
_closing: set[asyncio.Task[None]] = set()


def notebook_session(session: aiohttp.ClientSession | None = None, *, name: str = "session",
                     **options: Any) -> aiohttp.ClientSession:
    """The notebook's aiohttp session: `session = lab.notebook_session()` in the setup cell.

    Options go to aiohttp.ClientSession; or pass a session built elsewhere. Running the cell again
    closes the previous session of the same `name` (quietly: no "Unclosed client session" warning)
    before returning the new one. The clean-up cell closes it with `await session.close()`; a request
    on it after that raises aiohttp's `RuntimeError: Session is closed`: run the setup cell again.
    """
    if session is not None and options:
        raise TypeError(f"pass a session or options for a new one, not both (got {sorted(options)})")
    previous = _sessions.pop(name, None)
    if previous is not None and not previous.closed and previous is not session:
        closing = asyncio.get_running_loop().create_task(previous.close())  # kept until done: no warning
        _closing.add(closing)
        closing.add_done_callback(_closing.discard)
    _sessions[name] = session if session is not None else aiohttp.ClientSession(**options)
    return _sessions[name]


# ---- what is still running ------------------------------------------------------------------------

_KERNEL_PACKAGES = ("ipykernel", "IPython", "tornado", "zmq", "jupyter_client", "comm", "ipywidgets")


def is_kernel_task(task: asyncio.Task[Any]) -> bool:
    """A task of the kernel's own machinery (its message loop, the cell runner, widget comms), told by
    its code's file: never the learner's work, for `still_running()` and for the exercise checks alike."""
    coro = task.get_coro()
    code = getattr(coro, "cr_code", None) or getattr(coro, "gi_code", None)
    filename = getattr(code, "co_filename", "")
    dirs = tuple(os.path.dirname(str(module.__file__)) + os.sep for name in _KERNEL_PACKAGES
                 if (module := sys.modules.get(name)) is not None and getattr(module, "__file__", None))
    return bool(dirs) and filename.startswith(dirs)


def _your_tasks() -> list[asyncio.Task[Any]]:
    """Unfinished tasks on the running loop, except the kernel's own and the one running this call."""
    current = asyncio.current_task()
    tasks = [t for t in asyncio.all_tasks() if t is not current and not t.done() and not is_kernel_task(t)]
    return sorted(tasks, key=lambda t: t.get_name())


def _describe(task: asyncio.Task[Any]) -> str:
    coro = task.get_coro()
    name = getattr(coro, "__qualname__", type(coro).__name__)
    return f"{name}()"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _count(tasks: list[asyncio.Task[Any]]) -> str:
    """'2 × fetch(), notify()': how many tasks run each coroutine function."""
    counts: dict[str, int] = {}
    for task in tasks:
        counts[_describe(task)] = counts.get(_describe(task), 0) + 1
    return ", ".join(f"{n} × {what}" if n > 1 else what for what, n in sorted(counts.items()))


def _server() -> Any:
    import fakeapi

    return fakeapi.current()


def _frame_text(code: Any, line: int | None) -> str:
    """'fetch() line 3' for the learner's code; 'asyncio.sleep()' for a library's (its lines mean nothing to them)."""
    name = f"{getattr(code, 'co_qualname', code.co_name)}()"
    filename = code.co_filename
    library = next((module for module in ("asyncio", "aiohttp", "httpx", "anyio", "fakeapi", "lab")
                    if f"{os.sep}{module}{os.sep}" in filename), None)
    return f"{library}: {name}" if library else (f"{name} line {line}" if line else name)


def _who_awaits(graph: Any) -> str:
    waiters = []
    for waiter in graph.awaited_by:
        future = waiter.future
        if isinstance(future, asyncio.Task):
            waiters.append(f"task {future.get_name()} ({_describe(future)})")
        else:
            waiters.append(type(future).__name__.lstrip("_"))
    return "awaited by " + ", ".join(waiters) if waiters else "no task awaits it"


def waiting_on(task: asyncio.Task[Any]) -> str:
    """Where a task is suspended, innermost first, and (Python 3.14+) what awaits it.

    On 3.14+ from asyncio.capture_call_graph, which also knows which tasks (or gathers) await this
    one; on 3.11-3.13 from the chain of coroutines the task is awaiting (`cr_await`), which gives the
    same stack but cannot say who awaits the task.
    """
    capture = getattr(asyncio, "capture_call_graph", None)
    if capture is not None:
        graph = capture(task)
        if graph is None:
            return "not waiting (it has finished)"
        stack = [_frame_text(entry.frame.f_code, entry.frame.f_lineno) for entry in graph.call_stack]
        return "waits in " + " ← ".join(stack or ["(nothing yet: it has not started)"]) + "; " + _who_awaits(graph)
    stack = []
    awaited: Any = task.get_coro()
    while awaited is not None and getattr(awaited, "cr_code", None) is not None:
        frame = awaited.cr_frame
        stack.append(_frame_text(awaited.cr_code, frame.f_lineno if frame is not None else None))
        awaited = awaited.cr_await  # below the last coroutine: a Future (as 3.14's graph, not shown)
    stack.reverse()
    return ("waits in " + " ← ".join(stack or ["(nothing yet: it has not started)"])
            + f"; who awaits it: Python {sys.version_info[0]}.{sys.version_info[1]} cannot tell "
            "(asyncio.capture_call_graph, Python 3.14+, can)")


@dataclass
class StillRunning:
    """What is running on the kernel's loop besides the cell: your tasks, and the server's requests.

    Shown as one line; with `waits` set, then a line per task saying what it is waiting on (waiting_on).
    """

    tasks: list[asyncio.Task[Any]] = field(default_factory=list)
    requests_in_flight: int = 0
    waits: bool = False

    def __bool__(self) -> bool:
        return bool(self.tasks or self.requests_in_flight)

    def __str__(self) -> str:
        if not self:
            return "nothing is running"
        line = (f"{_plural(len(self.tasks), 'task')} running" + (f": {_count(self.tasks)}" if self.tasks else "")
                + f"; {_plural(self.requests_in_flight, 'request')} in flight on the server")
        if not self.waits:
            return line
        return "\n".join([line] + [f"- {task.get_name()} {_describe(task)}: {waiting_on(task)}"
                                   for task in self.tasks if not task.done()])

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(str(self))


def still_running(waits: bool = False) -> StillRunning:
    """Tasks you left running (a gather's siblings, a create_task never awaited) and requests in flight.

    `lab.still_running(waits=True)` adds a line per task: where it is suspended and, on Python 3.14+,
    which task awaits it (or that none does: a task left behind).
    """
    api = _server()
    return StillRunning(_your_tasks(), api.stats()["in_flight"] if api is not None else 0, waits)


async def stop_everything(timeout: float = 5.0) -> StillRunning:
    """Cancel every task `still_running()` lists, wait for them to end and for the server to be idle.

    Prints what it cancelled and returns `still_running()` afterwards. Raises TimeoutError if a task
    has not ended `timeout` seconds after its cancel.
    """
    tasks = _your_tasks()
    for task in tasks:
        task.cancel()
    if tasks:
        done, pending = await asyncio.wait(tasks, timeout=timeout)
        for task in done:
            if not task.cancelled():
                task.exception()  # retrieved: no "Task exception was never retrieved" later
        if pending:
            raise TimeoutError(f"{len(pending)} task(s) did not end within {timeout} s of being cancelled: "
                               + ", ".join(_describe(t) for t in pending))
    api = _server()
    if api is not None:
        await api.wait_idle(timeout)
    print("cancelled:", _count(tasks) if tasks else "nothing")
    return StillRunning(_your_tasks(), api.stats()["in_flight"] if api is not None else 0)
