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
nothing else. `import lab` calls it.

Where it does nothing: outside a running kernel, off the main thread, and where the loop has no
`add_signal_handler` (Windows). On Windows the default ProactorEventLoop already sets its own
wake-up fd when it is created in the main thread (CPython `asyncio/proactor_events.py`), so Stop
should not need this there; that is read from the source, not run here.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import threading
import weakref
from dataclasses import dataclass, field
from typing import Any

import aiohttp

__all__ = ["StillRunning", "install_stop_wakeup", "notebook_session", "still_running", "stop_everything"]

_WAKE_SIGNAL = getattr(signal, "SIGWINCH", None)
_woken_loops: weakref.WeakSet[asyncio.AbstractEventLoop] = weakref.WeakSet()


def _in_kernel() -> bool:
    shell = sys.modules.get("IPython") and sys.modules["IPython"].get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def install_stop_wakeup() -> bool:
    """Make Stop (a kernel interrupt) reach a cell while it awaits. True if the wake-up is in place.

    Idempotent. A no-op (False) outside a Jupyter kernel, off the main thread, with no running
    loop, or where the loop cannot add signal handlers (Windows).
    """
    if _WAKE_SIGNAL is None or threading.current_thread() is not threading.main_thread() or not _in_kernel():
        return False
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return False
    if loop in _woken_loops:
        return True
    try:
        loop.add_signal_handler(_WAKE_SIGNAL, _nothing)
    except (NotImplementedError, RuntimeError, ValueError):
        return False
    _woken_loops.add(loop)
    return True


def _nothing() -> None:
    """The SIGWINCH handler: nothing to do; registering it is what installs the wake-up fd."""


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
    dirs = tuple(os.path.dirname(module.__file__) + os.sep for name in _KERNEL_PACKAGES
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


@dataclass
class StillRunning:
    """What is running on the kernel's loop besides the cell: your tasks, and the server's requests."""

    tasks: list[asyncio.Task[Any]] = field(default_factory=list)
    requests_in_flight: int = 0

    def __bool__(self) -> bool:
        return bool(self.tasks or self.requests_in_flight)

    def __str__(self) -> str:
        if not self:
            return "nothing is running"
        return (f"{_plural(len(self.tasks), 'task')} running" + (f": {_count(self.tasks)}" if self.tasks else "")
                + f"; {_plural(self.requests_in_flight, 'request')} in flight on the server")

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(str(self))


def still_running() -> StillRunning:
    """Tasks you left running (a gather's siblings, a create_task never awaited) and requests in flight."""
    api = _server()
    return StillRunning(_your_tasks(), api.stats()["in_flight"] if api is not None else 0)


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
    return still_running()
