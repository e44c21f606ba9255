"""Observing a learner's function: what it gave, what the server saw, what it left running.

A check calls `observe(fn, ...)`, which runs the learner's coroutine function against the checks'
own fakeapi server and records what happened: what the function gave, what the server saw, whether
the event loop was blocked, which tasks were left running. The check then asserts on that evidence.

Only what the learner's function started counts as its own, however busy the kernel is with the
learner's other work (a background poller, an experiment left running): the function runs in a task
whose context carries a marker (a ContextVar), and every task, callback and `time.sleep` reached from
it, directly or through tasks it created (a TaskGroup, eager tasks on 3.12+, `call_soon`), runs in a
copy of that context. A task is the function's if its context carries the marker (Task.get_context(),
3.12+; on 3.11, a task factory notes the marker while the function runs).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import fakeapi

from ..journal import Entry, all_overlapped, label, max_in_flight
from .formatting import function_name, require_async
from .server import check_server
from .verdicts import CheckFailed, NotSolvedYet

# Tolerances, each in seconds, each in one place.
STILL_RUNNING_TOLERANCE = 0.05
"""A request that ended more than this after the learner's function returned was left running (a
request the client gave up on takes the server a moment to notice). Every check makes a request it
wants cancelled last at least 0.2 s longer, so the two cannot be confused."""
BLOCKED_LOOP = 0.3
"""A heartbeat that wakes this much later than asked, while a thread beside it kept waking on time,
means a blocking call held the event loop (see _LoopWatch). High, because a loaded machine can leave
a thread waiting for a CPU for a tenth of a second; `time.sleep` itself is caught at any length."""
BLOCKING_SLEEP = 0.02  # time.sleep calls by the learner's function adding up to this are a blocking pause
HEARTBEAT = 0.01  # seconds between the heartbeat's wake-ups
DEADLINE = 5.0  # default: seconds a check gives the learner's function before it says it is stuck
GRACE = 2.0  # seconds a cancelled learner function gets to finish before the check stops waiting


def _end(entry: Entry) -> float:
    return entry["end"] if entry["end"] is not None else float("inf")


# ---- whose work is it -------------------------------------------------------------------------

class _Owner:
    """The marker of one observation: set in the learner's task's context, inherited by all it starts."""

    def __init__(self) -> None:
        self.created: list[asyncio.Task[Any]] = []  # 3.11 only: tasks the factory saw created under the marker


_OWNER: contextvars.ContextVar[_Owner | None] = contextvars.ContextVar("lab_checks_owner", default=None)
_HAS_GET_CONTEXT = hasattr(asyncio.Task, "get_context")  # 3.12+


def owned_by(task: asyncio.Task[Any], owner: _Owner) -> bool:
    """True if `task` was started by the observed function, directly or through tasks it started."""
    if _HAS_GET_CONTEXT:
        return task.get_context().get(_OWNER) is owner  # type: ignore[attr-defined]
    return task in owner.created


@contextlib.contextmanager
def _noting_tasks(loop: asyncio.AbstractEventLoop, owner: _Owner) -> Iterator[None]:
    """Python 3.11 (no Task.get_context): a task factory that notes the tasks created under the marker,
    wrapping whatever factory the loop had; set back on every way out."""
    if _HAS_GET_CONTEXT:
        yield
        return
    inner = loop.get_task_factory()
    active = True

    def factory(loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> asyncio.Future[Any]:
        context = kwargs.get("context")
        mine = active and (context.get(_OWNER) if context is not None else _OWNER.get()) is owner
        task = inner(loop, coro, **kwargs) if inner is not None else asyncio.Task(coro, loop=loop, **kwargs)
        if mine and isinstance(task, asyncio.Task):
            owner.created.append(task)
        return task

    loop.set_task_factory(factory)
    try:
        yield
    finally:
        active = False
        if loop.get_task_factory() is factory:
            loop.set_task_factory(inner)


# ---- the evidence -----------------------------------------------------------------------------

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
        """The most requests in flight together (overlaps within lab.journal.OVERLAP_TOLERANCE do not count)."""
        return max_in_flight(self.entries)

    @property
    def all_overlapped(self) -> bool:
        """Every request in flight at one common moment (the same rule as lab.all_overlapped)."""
        return all_overlapped(self.entries)

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
            raise CheckFailed(f"a blocking call held the event loop for at least {self.blocked:.2f} s while "
                              f"{self.name} ran, so nothing else could run meanwhile: use "
                              "`await asyncio.sleep(...)`, never `time.sleep(...)`, and await every slow call.")
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


# ---- the loop's view --------------------------------------------------------------------------

_real_sleep = time.sleep
SLEEP_IS_AUDITED = sys.version_info >= (3, 13)
"""Python 3.13 added a `time.sleep` audit event: there a check listens for it (sys.addaudithook) and
leaves `time.sleep` alone. On 3.11 and 3.12 a check swaps `time.sleep` for the length of the
observation only, for a wrapper that notes the call and then sleeps as asked."""
_listening: list[_LoopWatch] = []  # the observations running now, told of every time.sleep (3.13+)
_hook_added = False


def _on_audit_event(event: str, args: tuple[Any, ...]) -> None:
    """An audit hook stays for the life of the process: outside a check it only compares a string."""
    if event == "time.sleep" and _listening:
        try:
            for watch in _listening:
                watch.note_sleep(args[0])
        except Exception:  # noqa: S110 - a hook that raises would make the learner's time.sleep raise
            pass



class _LoopWatch:
    """Tells a blocked event loop from a busy machine.

    A heartbeat task asks to wake every HEARTBEAT seconds and notes each time it woke late. A thread
    beside it wakes every few milliseconds too. A blocking call (time.sleep, a CPU-bound loop) holds
    only the event loop's thread: the thread goes on waking on time, so a late heartbeat with an
    on-time thread is a blocked loop. When the whole process waited for a CPU (a loaded machine),
    the thread was late too, and the heartbeat's lateness is not held against the learner.
    `time.sleep` called by the learner's function (in its context, on the loop's thread) is added up
    exactly; a late heartbeat explained by a time.sleep of other code (the learner's background work)
    is not held against the function.
    """

    TICK = 0.005

    def __init__(self, owner: _Owner) -> None:
        self.owner = owner
        self.gaps: list[tuple[float, float]] = []  # (asked, woke) of each late heartbeat
        self.ticks: list[float] = []
        self.slept = 0.0  # seconds of time.sleep called by the observed function on the event loop's thread
        self.others: list[tuple[float, float]] = []  # (from, to) of time.sleep calls by other code on that thread
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="check loop watch", daemon=True)
        self._loop_thread = threading.get_ident()

    def _watch(self) -> None:
        while not self._stop.is_set():
            self.ticks.append(time.monotonic())
            _real_sleep(self.TICK)

    def note_sleep(self, seconds: Any) -> None:
        """A time.sleep call, about to sleep: noted when it is on the loop's thread (whose, by its context)."""
        if threading.get_ident() == self._loop_thread:
            if _OWNER.get() is self.owner:
                self.slept += max(0.0, float(seconds))
            else:
                now = time.monotonic()
                self.others.append((now, now + max(0.0, float(seconds))))

    def _sleep(self, seconds: Any) -> None:
        """time.sleep during an observation on 3.11 and 3.12: the same for every caller, and noted."""
        self.note_sleep(seconds)
        _real_sleep(seconds)

    @contextlib.contextmanager
    def sleeps_noted(self) -> Iterator[None]:
        """Note every time.sleep during the block: by the audit event (3.13+), else by swapping time.sleep for
        _sleep for the block only, putting back what was there on every way out (unless someone swapped it
        again meanwhile, whose swap is theirs to undo)."""
        global _hook_added
        if SLEEP_IS_AUDITED:
            if not _hook_added:
                sys.addaudithook(_on_audit_event)
                _hook_added = True
            _listening.append(self)
            try:
                yield
            finally:
                _listening.remove(self)
            return
        previous = time.sleep
        time.sleep = self._sleep
        try:
            yield
        finally:
            if time.sleep == self._sleep:
                time.sleep = previous

    async def beat(self) -> None:
        self._thread.start()
        try:
            while True:
                asked = time.monotonic()
                await asyncio.sleep(HEARTBEAT)
                woke = time.monotonic()
                if woke - asked - HEARTBEAT >= BLOCKED_LOOP:
                    self.gaps.append((asked, woke))
        finally:
            self._stop.set()

    def blocked(self) -> float:
        """The longest the loop was held while the thread beside it kept waking on time, in seconds
        (or the time.sleep calls of the observed function, added up, if that is longer)."""
        self._stop.set()
        self._thread.join(timeout=1)
        longest = self.slept if self.slept >= BLOCKING_SLEEP else 0.0
        for asked, woke in self.gaps:
            if any(asked <= start and end - start >= (woke - asked) / 2 for start, end in self.others
                   if start < woke):
                continue  # another caller's time.sleep held the loop: not the observed function's doing
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


async def _settle(api: fakeapi.FakeAPI, seconds: float) -> None:
    try:
        await api.wait_idle(seconds)
    except TimeoutError:  # a request still running (from before, or left behind): the id filter sorts it out
        pass


# ---- observe ----------------------------------------------------------------------------------

async def observe(fn: Callable[..., Awaitable[Any]], *args: Any, settle: float = 1.0,
                  deadline: float = DEADLINE, cancel_after_request: float | None = None,
                  api: fakeapi.FakeAPI | None = None) -> Observation:
    """Run `await fn(*args)` on the checks' server (or `api`) with a clean journal; return the evidence.

    - The function runs in a task of its own, for at most `deadline` seconds; then it is cancelled
      and the observation says `stuck` (a check turns that into a hint, never a raw TimeoutError).
    - `cancel_after_request=s`: cancel it from outside s seconds after the server saw its first request.
    - A heartbeat measures how long a blocking call held the event loop (`blocked`).
    - Only tasks the function started (directly or through its tasks) count as its leftovers; they are
      found while the caller's session is still open (so an orphan is seen, not killed by the session
      closing), and requests left running are read from the journal after up to `settle` seconds; then
      those tasks are cancelled, so nothing keeps working behind the learner. Other tasks on the loop
      (the learner's own background work) are neither counted nor touched.
    """
    name = function_name(fn)
    require_async(fn)
    api = api or check_server()
    await _settle(api, settle)
    api.clear_journal_and_notifications()
    owner = _Owner()
    watch = _LoopWatch(owner)
    heartbeat = asyncio.create_task(watch.beat())
    await asyncio.sleep(0)  # let the heartbeat take its first reading
    at_return: dict[str, Any] = {}

    def unfinished_of_the_function() -> list[asyncio.Task[Any]]:
        here = asyncio.current_task()
        return [t for t in asyncio.all_tasks() if t is not here and not t.done() and owned_by(t, owner)]

    async def run() -> Any:
        _OWNER.set(owner)  # this task's own context: inherited by everything the function starts
        try:
            return await fn(*args)
        finally:  # the moment it returns (or raises): what it started and has not finished yet
            at_return["time"] = time.monotonic()
            at_return["tasks"] = unfinished_of_the_function()
            at_return["cancelled"] = sum(1 for t in at_return["tasks"] if t.cancelling())

    loop = asyncio.get_running_loop()
    mark = api.journal_seq()  # the learner's requests are the entries started after this change
    error: BaseException | None = None
    result, stuck, cancelled_by_check, ignored = None, False, False, False
    with watch.sleeps_noted(), _noting_tasks(loop, owner):
        started_at = time.monotonic()
        task = asyncio.create_task(run(), name=f"check: {name}", context=contextvars.copy_context())
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
        except BaseException:  # the check itself was interrupted: take the learner's work down with it
            task.cancel()
            heartbeat.cancel()
            for orphan in at_return.get("tasks", []):
                orphan.cancel()
            raise
        finally:
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
    await _settle(api, settle)
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
