"""Running a learner's exercise against fakeapi and answering with specific feedback.

A check calls `observe(fn, ...)`, which runs the learner's coroutine function against the
checks' own fakeapi server and records what happened: what the function gave, what the server
saw, whether the event loop was blocked, which tasks were left running. The check then asserts on
that evidence. A wrong answer raises CheckFailed with a hint; an exercise still holding
`raise NotImplementedError` raises NotSolvedYet. Both show as one friendly line in Jupyter
instead of a traceback.

The checks' server is separate from the learner's (`fakeapi.start()`): it is started once per
process with a fixed seed and latency scale, and has its own journal and notifications, so a
check never changes the learner's server, and nothing the learner left running there (a hanging
request, `latency_scale=0`, another seed) can change a verdict.
"""

from __future__ import annotations

import asyncio
import atexit
import inspect
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from yarl import URL

import fakeapi

from .journal import OVERLAP_TOLERANCE, Entry, label, max_in_flight
from .kernel import is_kernel_task

# ---- the checks' own server -------------------------------------------------------------------

SEED = 0  # the checks' server: the same data and draws for every learner
LATENCY_SCALE = 1.0  # and the routes' documented latencies, whatever the learner's server is set to

# Tolerances, each in seconds, each in one place.
STILL_RUNNING_TOLERANCE = 0.05
"""A request that ended more than this after the learner's function returned was left running (a
request the client gave up on takes the server a moment to notice). Every check makes a request it
wants cancelled last at least 0.2 s longer, so the two cannot be confused."""
BLOCKED_LOOP = 0.3
"""A heartbeat that wakes this much later than asked, while a thread beside it kept waking on time,
means a blocking call held the event loop (see _LoopWatch). High, because a loaded machine can leave
a thread waiting for a CPU for a tenth of a second; `time.sleep` itself is caught at any length."""
BLOCKING_SLEEP = 0.02  # time.sleep calls on the event loop's thread adding up to this are a blocking pause
HEARTBEAT = 0.01  # seconds between the heartbeat's wake-ups
DEADLINE = 5.0  # default: seconds a check gives the learner's function before it says it is stuck
GRACE = 2.0  # seconds a cancelled learner function gets to finish before the check stops waiting

_real_sleep = time.sleep
_server: fakeapi.FakeAPI | None = None
_server_lock = threading.Lock()


def check_server() -> fakeapi.FakeAPI:
    """The checks' own fakeapi server, started on first use (seed SEED, latency scale LATENCY_SCALE)."""
    global _server
    with _server_lock:
        if _server is None or not _server.running:
            _server = fakeapi.FakeAPI(seed=SEED, latency_scale=LATENCY_SCALE)
        return _server


@atexit.register
def _stop_check_server() -> None:
    if _server is not None:
        _server.stop()


def check_session(params: Mapping[str, Mapping[str, str]] | None = None,
                  on_request: Callable[[aiohttp.ClientRequest], None] | None = None,
                  **session_args: Any) -> aiohttp.ClientSession:
    """A ClientSession whose requests to the paths in `params` carry those query parameters.

    check_session({"/users/4": {"delay": "0.3"}}) fixes the latency of GET /users/4 however the
    learner writes the request (session.get, session.request("GET", ...), a URL or params=...).
    A parameter the request already carries is left as it is (reference fetches ask for delay=0).
    The journal shows the parameters, so a hint can always say what was asked of the server.
    """
    table = {path: dict(p) for path, p in (params or {}).items()}

    async def add_params(request: aiohttp.ClientRequest, handler: Any) -> aiohttp.ClientResponse:
        if on_request is not None:
            on_request(request)
        extra = {k: v for k, v in table.get(request.url.path, {}).items() if k not in request.url.query}
        if extra:
            request.url = request.url.update_query(extra)
        return await handler(request)

    return aiohttp.ClientSession(middlewares=(add_params,), **session_args)


async def reference_json(session: aiohttp.ClientSession, url: str) -> Any:
    """The JSON body the checks' server gives for url, fetched at once (delay=0), to compare answers with."""
    async with session.get(URL(url).update_query(delay="0")) as response:
        response.raise_for_status()
        return await response.json()


# ---- verdicts ---------------------------------------------------------------------------------

class CheckFailed(AssertionError):
    """The exercise ran, but not the way it should: the message says what to change."""

    icon = "❌"

    def _render_traceback_(self) -> list[str]:  # IPython shows this instead of a traceback
        return [f"{self.icon} {type(self).__name__}: {self}"]


class NotSolvedYet(CheckFailed):
    """The exercise still holds `raise NotImplementedError`."""

    icon = "✏️"


def passed(message: str) -> None:
    print(f"✅ {message}")


def name_of(fn: Any) -> str:
    return getattr(fn, "__name__", None) or repr(fn)


def require_async(fn: Any) -> None:
    """The learner's function must be a coroutine function: say so before running anything."""
    if not inspect.iscoroutinefunction(fn):
        raise CheckFailed(f"{name_of(fn)} should be defined with `async def`, so that it can await requests.")


def short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def describe(error: BaseException | None) -> str:
    """`ValueError: the message` (or just the type when the message is empty)."""
    if error is None:
        return "nothing"
    text = str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def leaves(error: BaseException | None) -> list[BaseException]:
    """The exceptions inside an ExceptionGroup, flattened (or the error itself)."""
    if isinstance(error, BaseExceptionGroup):
        return [leaf for inner in error.exceptions for leaf in leaves(inner)]
    return [] if error is None else [error]


def _end(entry: Entry) -> float:
    return entry["end"] if entry["end"] is not None else float("inf")


def peak_in_flight(entries: Iterable[Entry], tolerance: float = OVERLAP_TOLERANCE) -> int:
    """The most requests in flight together, not counting overlaps of at most `tolerance` seconds."""
    return max_in_flight(entries, tolerance)


def all_together(entries: list[Entry], tolerance: float = OVERLAP_TOLERANCE) -> bool:
    """True if every request was in flight at one common moment, for more than `tolerance`."""
    return bool(entries) and max(e["start"] for e in entries) + tolerance < min(_end(e) for e in entries)


# ---- observing a learner's function -----------------------------------------------------------

@dataclass
class Observation:
    """What happened when the learner's function ran: its result, the server's view, the loop's view."""

    result: Any
    error: BaseException | None
    entries: list[Entry]
    started_at: float
    returned_at: float
    leftover_tasks: list[asyncio.Task[Any]] = field(default_factory=list)
    blocked: float = 0.0  # the longest the event loop was held by a blocking call, in seconds
    stuck: bool = False  # the check's deadline ran out while the function was still waiting
    cancelled: bool = False  # the function ended cancelled by the check (deadline or cancel from outside)
    ignored_cancel: bool = False  # cancelled by the check, it was still running GRACE seconds later
    deadline: float = DEADLINE
    name: str = "your function"
    cancelled_leftovers: int = 0  # leftover tasks that had been cancelled (but not awaited) at return

    @property
    def max_in_flight(self) -> int:
        return peak_in_flight(self.entries)

    @property
    def all_overlapped(self) -> bool:
        return all_together(self.entries)

    @property
    def paths(self) -> list[str]:
        return [e["path"] for e in self.entries]

    @property
    def still_running_at_return(self) -> list[Entry]:
        """Requests the server was still handling STILL_RUNNING_TOLERANCE after the function returned
        (including those its leftover tasks sent only after it returned)."""
        return [e for e in self.entries if _end(e) > self.returned_at + STILL_RUNNING_TOLERANCE]

    def loop_problems(self, stuck_fix: str = "") -> None:
        """Raise a hint for what only the client can see: a blocked loop, a function that would not stop."""
        if self.ignored_cancel:
            raise CheckFailed(f"{self.name} kept running after it was cancelled: never catch CancelledError "
                              "without raising it again.")
        if self.blocked:
            raise CheckFailed(f"a blocking call held the event loop for at least {self.blocked:.2f} s while {self.name} ran, "
                              "so nothing else could run meanwhile: use `await asyncio.sleep(...)`, never "
                              "`time.sleep(...)`, and await every slow call.")
        if self.stuck:
            raise CheckFailed(f"{self.name} was still waiting after {self.deadline:g} s, when the check gave up on it. "
                              f"{stuck_fix}".strip())

    def no_leftovers(self, fix: str = "await every task you start before you return, for example with "
                     "asyncio.gather(*tasks).") -> None:
        """Raise a hint if tasks or requests the function started were still running when it returned."""
        running = self.still_running_at_return
        if not self.leftover_tasks and not running:
            return
        what = []
        if running:
            what.append("the server was still working on " + ", ".join(sorted({label(e) for e in running})))
        if self.leftover_tasks:
            if self.cancelled_leftovers == len(self.leftover_tasks):
                fix = ("you cancelled them but did not wait for them: await them after cancel(), for example "
                       "`await asyncio.gather(*tasks, return_exceptions=True)`.")
            what.append(f"{len(self.leftover_tasks)} task(s) it started had not finished")
        ended = "was cancelled" if self.cancelled else ("raised" if self.error is not None else "returned")
        raise CheckFailed(f"{self.name} {ended} while work it started was still running ({'; '.join(what)}): {fix}")


class _LoopWatch:
    """Tells a blocked event loop from a busy machine.

    A heartbeat task asks to wake every HEARTBEAT seconds and notes each time it woke late. A thread
    beside it wakes every few milliseconds too. A blocking call (time.sleep, a CPU-bound loop) holds
    only the event loop's thread: the thread goes on waking on time, so a late heartbeat with an
    on-time thread is a blocked loop. When the whole process waited for a CPU (a loaded machine),
    the thread was late too, and the heartbeat's lateness is not held against the learner.
    """

    TICK = 0.005

    def __init__(self) -> None:
        self.gaps: list[tuple[float, float]] = []  # (asked, woke) of each late heartbeat
        self.ticks: list[float] = []
        self.slept = 0.0  # seconds of time.sleep called on the event loop's thread
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="check loop watch", daemon=True)
        self._loop_thread = threading.get_ident()

    def _watch(self) -> None:
        while not self._stop.is_set():
            self.ticks.append(time.monotonic())
            _real_sleep(self.TICK)

    def _sleep(self, seconds: float) -> None:
        """time.sleep while the learner's function runs: the same, but a call on the loop's thread is counted."""
        if threading.get_ident() == self._loop_thread:
            self.slept += max(0.0, float(seconds))
        _real_sleep(seconds)

    async def beat(self) -> None:
        self._thread.start()
        time.sleep = self._sleep
        try:
            while True:
                asked = time.monotonic()
                await asyncio.sleep(HEARTBEAT)
                woke = time.monotonic()
                if woke - asked - HEARTBEAT >= BLOCKED_LOOP:
                    self.gaps.append((asked, woke))
        finally:
            time.sleep = _real_sleep
            self._stop.set()

    def blocked(self) -> float:
        """The longest the loop was held while the thread beside it kept waking on time, in seconds
        (or the time.sleep calls on the loop's thread, added up, if that is longer)."""
        self._thread.join(timeout=1)
        longest = self.slept if self.slept >= BLOCKING_SLEEP else 0.0
        for asked, woke in self.gaps:
            inside = [asked, *(t for t in self.ticks if asked < t < woke), woke]
            if max(b - a for a, b in zip(inside, inside[1:])) < BLOCKED_LOOP / 2:
                longest = max(longest, woke - asked - HEARTBEAT)
        return longest


async def _until_the_server_has_a_request(api: fakeapi.FakeAPI, mark: int, task: asyncio.Task[Any],
                                          timeout: float) -> None:
    """Wait until the server journals a request that started after journal change `mark` (reading only
    what is new each time, not the whole journal)."""
    deadline = time.monotonic() + timeout
    while not task.done() and time.monotonic() < deadline:
        if any(e["id"] > mark for e in api.journal(since=mark)):
            return
        await asyncio.sleep(0.01)


async def observe(fn: Callable[..., Awaitable[Any]], *args: Any, settle: float = 1.0,
                  deadline: float = DEADLINE, cancel_after_request: float | None = None,
                  api: fakeapi.FakeAPI | None = None) -> Observation:
    """Run `await fn(*args)` on the checks' server (or `api`) with a clean journal; return the evidence.

    - The function runs in a task of its own, for at most `deadline` seconds; then it is cancelled
      and the observation says `stuck` (a check turns that into a hint, never a raw TimeoutError).
    - `cancel_after_request=s`: cancel it from outside s seconds after the server saw its first request.
    - A heartbeat measures how long a blocking call held the event loop (`blocked`).
    - Tasks it left running are found while the caller's session is still open (so an orphan is seen,
      not killed by the session closing), and requests left running are read from the journal after
      up to `settle` seconds; then the tasks are cancelled, so nothing keeps working behind the learner.
    """
    name = name_of(fn)
    require_async(fn)
    api = api or check_server()
    try:
        await api.wait_idle(settle)
    except TimeoutError:  # a request still running from before: the id filter below leaves it out
        pass
    api.reset()
    tasks_before = asyncio.all_tasks()
    watch = _LoopWatch()
    heartbeat = asyncio.create_task(watch.beat())
    await asyncio.sleep(0)  # let the heartbeat take its first reading
    at_return: dict[str, Any] = {}

    async def run() -> Any:
        try:
            return await fn(*args)
        finally:  # the moment it returns (or raises): what it started and has not finished yet
            at_return["time"] = time.monotonic()
            at_return["tasks"] = [t for t in asyncio.all_tasks() - tasks_before - {asyncio.current_task(), heartbeat}
                                  if not t.done() and not is_kernel_task(t)]
            at_return["cancelled"] = sum(1 for t in at_return["tasks"] if t.cancelling())

    mark = api.journal_seq()  # the learner's requests are the entries started after this change
    started_at = time.monotonic()
    task = asyncio.create_task(run(), name=f"check: {name}")
    result, error, stuck, cancelled_by_check, ignored = None, None, False, False, False
    try:
        if cancel_after_request is not None:
            await _until_the_server_has_a_request(api, mark, task, deadline)
            await asyncio.wait({task}, timeout=cancel_after_request)
            if not task.done():
                task.cancel()
                cancelled_by_check = True
        done, _ = await asyncio.wait({task}, timeout=deadline)
        if not done:
            stuck = cancelled_by_check = True
            task.cancel()
            await asyncio.wait({task}, timeout=GRACE)
    except BaseException:  # the check itself was interrupted: take the learner's task down with it
        task.cancel()
        heartbeat.cancel()
        raise
    heartbeat.cancel()
    await asyncio.gather(heartbeat, return_exceptions=True)
    cancelled = False
    if not task.done():
        ignored = True
    elif task.cancelled():
        if cancelled_by_check:
            cancelled = True
        else:  # the function itself raised CancelledError (for example a cancelled request inside gather)
            error = asyncio.CancelledError()
    elif isinstance(task.exception(), NotImplementedError):
        raise NotSolvedYet(f"{name} is not written yet: replace `raise NotImplementedError` with your code, "
                           "then run the cell again.") from None
    elif task.exception() is not None:
        error = task.exception()
        if isinstance(error, (KeyboardInterrupt, SystemExit)):
            raise error
    else:
        result = task.result()
    returned_at = at_return.get("time", time.monotonic())
    leftover = at_return.get("tasks", [])
    try:
        await api.wait_idle(settle)
    except TimeoutError:
        pass
    entries = [e for e in api.journal(since=mark) if e["id"] > mark]
    orphans = [t for t in leftover if not t.done()]
    for orphan in orphans:
        orphan.cancel()
    if orphans:
        await asyncio.wait(orphans, timeout=GRACE)
    if not task.done():
        task.cancel()
    return Observation(result, error, entries, started_at, returned_at, leftover, watch.blocked(), stuck,
                       cancelled, ignored, deadline, name, at_return.get("cancelled", 0))
