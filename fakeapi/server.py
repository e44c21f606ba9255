"""Running the app: in a background thread for notebooks (`start()`), or in the foreground (CLI).

Both bind with the same settings: handler cancellation on (so a client that leaves shows as
`cancelled` in the journal), a short shutdown timeout (so slow requests never stall a stop),
and no access log.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import math
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from aiohttp import web

from .app import create_app
from .protocol import use_json_errors
from .state import STATE, State

try:
    import resource  # POSIX only: Windows has no such module
except ImportError:
    resource = None  # type: ignore[assignment]

T = TypeVar("T")

START_TIMEOUT = 10  # seconds start() waits for the server to listen
CALL_TIMEOUT = 10  # seconds a call on the handle waits for the server's loop
STOPPED = "this fakeapi server has been stopped; call fakeapi.start() for a new one"
STOPPED_WHILE_WAITING = ("this fakeapi server was stopped (by a stop() from another thread) before it could "
                         "answer; call fakeapi.start() for a new one")

# Seconds a stop waits for requests in flight. aiohttp waits twice (for them to finish, then again
# after failing their body stream) before cancelling a slow handler: a stop costs 2 x this, plus exit.
SHUTDOWN_TIMEOUT = 0.05
BACKLOG = 4096  # pending connections; the default 128 drops SYNs when thousands connect at once
MACOS_OPEN_MAX = 10_240  # <sys/syslimits.h> OPEN_MAX: macOS's ceiling for a soft limit
OPEN_FILES = 16_384  # a notebook that holds 1,000 requests open uses 2,000 sockets: both ends live in one process


def raise_open_file_limit(wanted: int = OPEN_FILES) -> int | None:
    """Raise this process's soft limit on open files towards `wanted` (never above the hard limit).

    Many Linux systems start processes with a soft limit of 1,024 and macOS with 256, which 1,000
    concurrent requests to a server in the same process exceed. Raising the soft limit needs no
    privilege. Returns the limit now in force, or None where the platform has no `resource` module
    (Windows): there is nothing to raise there.
    """
    if resource is None:
        return None
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft == resource.RLIM_INFINITY or soft >= target:
        return soft
    # macOS refuses a soft limit above OPEN_MAX (10,240) even when the hard limit is unlimited.
    for attempt in (target, min(target, MACOS_OPEN_MAX)):
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (attempt, hard))
        except (ValueError, OSError):
            continue
        return attempt
    return soft


async def serve(app: web.Application, host: str, port: int) -> tuple[web.AppRunner, int]:
    """Start `app` on host:port (0 picks a free port); return the runner and the bound port."""
    runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=SHUTDOWN_TIMEOUT, access_log=None)
    await runner.setup()
    use_json_errors(runner)
    site = web.TCPSite(runner, host, port, backlog=BACKLOG)
    try:
        await site.start()
    except BaseException:
        await runner.cleanup()
        raise
    return runner, runner.addresses[0][1]


class FakeAPI:
    """A fakeapi server running in a background thread with its own event loop.

    Get one with `fakeapi.start()`. Its clock is the process's `time.monotonic()`, the same
    clock the notebook's own code reads, so journal times and client times can be compared.
    """

    def __init__(self, seed: int = 0, latency_scale: float = 1.0) -> None:
        raise_open_file_limit()
        self._app = create_app(seed=seed, latency_scale=latency_scale)
        self._loop = asyncio.new_event_loop()
        self._started = concurrent.futures.Future[int]()
        self._calls_lock = threading.Lock()
        self._calls: set[concurrent.futures.Future[Any]] | None = set()  # None once the loop is gone
        self._thread = threading.Thread(target=self._run, name="fakeapi", daemon=True)
        self._thread.start()
        self.port = self._started.result(timeout=START_TIMEOUT)
        self.url = f"http://127.0.0.1:{self.port}"

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            runner, port = self._loop.run_until_complete(serve(self._app, "127.0.0.1", 0))
        except BaseException as exc:  # reported to the caller of start()
            self._started.set_exception(exc)
            self._end_calls()
            self._loop.close()
            return
        self._started.set_result(port)
        self._loop.run_forever()
        self._loop.run_until_complete(runner.cleanup())
        self._end_calls()
        self._loop.close()

    def _end_calls(self) -> None:
        """Fail every call still waiting for the loop: it stopped before running them."""
        with self._calls_lock:
            calls, self._calls = self._calls or set(), None
        for call in calls:
            if not call.done():
                call.set_exception(RuntimeError(STOPPED_WHILE_WAITING))

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    @property
    def seed(self) -> int:
        """The seed of the data and the random draws, as last set (start(seed=...), configure())."""
        return self._state.seed

    @property
    def latency_scale(self) -> float:
        """What the routes' default latencies are multiplied by, as last set."""
        return self._state.latency_scale

    @property
    def _state(self) -> State:
        return self._app[STATE]

    def _call(self, fn: Callable[[], T]) -> T:
        """Run fn on the server's loop (the journal is only touched from there) and return its result.

        A stop() from another thread meanwhile fails the call at once with a RuntimeError saying so.
        """
        result = concurrent.futures.Future[T]()

        def call() -> None:
            if result.set_running_or_notify_cancel():
                try:
                    result.set_result(fn())
                except BaseException as exc:
                    result.set_exception(exc)

        with self._calls_lock:
            if self._calls is None or not self.running:
                raise RuntimeError(STOPPED)
            self._calls.add(result)
        try:
            self._loop.call_soon_threadsafe(call)
            return result.result(timeout=CALL_TIMEOUT)
        except concurrent.futures.TimeoutError:
            raise TimeoutError(f"fakeapi's event loop did not answer within {CALL_TIMEOUT} s: "
                               f"something blocks its thread") from None
        finally:
            with self._calls_lock:
                if self._calls is not None:
                    self._calls.discard(result)

    def journal(self, since: int | None = None) -> list[dict[str, Any]]:
        """The journal's entries, oldest first (the same as GET /_journal).

        Each entry: id, seq, method, path, query, route, status, outcome, fault, start, end.
        `seq` counts the journal's changes over the server's life (a clear does not restart it):
        a request's start is one change, its end another; `id` is the number of its start, `seq`
        that of its latest change. With `since=n`, only the entries that started or ended after
        change n (GET /_journal?since=n): read `journal_seq()` before a batch, then
        `journal(since=mark)` after it, and `e["id"] > mark` tells the batch's own requests.
        """
        if since is not None and (isinstance(since, bool) or not isinstance(since, int) or since < 0):
            raise ValueError(f"since must be a whole number, 0 or more, got {since!r}")
        return self._call(lambda: self._state.journal.read(since))

    def journal_seq(self) -> int:
        """The number of the journal's latest change (0 before any request): a mark for journal(since=)."""
        return self._call(lambda: self._state.journal.seq)

    def clear_journal(self) -> None:
        """Forget the journal and what counts from it: each URL's count (the seeded random draws and
        fail_first start again) and the rate_limit windows (the same as DELETE /_journal)."""
        self._call(self._state.clear_journal)

    def stats(self) -> dict[str, Any]:
        """requests, in_flight, max_in_flight and outcomes since the last clear (GET /_stats)."""
        return self._call(self._state.journal.stats)

    def notifications(self) -> list[dict[str, Any]]:
        """The notifications stored so far by POST /notifications."""
        return self._call(lambda: list(self._state.notifications))

    def clear_journal_and_notifications(self) -> None:
        """A clean slate for the next experiment: clear_journal(), and forget the stored notifications
        (the same as DELETE /_journal then DELETE /notifications)."""
        def clear() -> None:
            self._state.clear_journal()
            self._state.clear_notifications()

        self._call(clear)

    async def wait_idle(self, timeout: float = 5.0) -> None:
        """Wait (without blocking the notebook's loop) until no request is in flight on the server."""
        deadline = time.monotonic() + timeout
        while self._call(lambda: self._state.journal.in_flight):  # one counter, not the whole stats
            if time.monotonic() > deadline:
                raise TimeoutError(f"fakeapi still has requests in flight after {timeout} s")
            await asyncio.sleep(0.01)

    def configure(self, seed: int, latency_scale: float) -> None:
        self._call(lambda: self._state.reconfigure(seed, latency_scale))

    def stop(self) -> None:
        """Stop the server: requests still in flight are cancelled within 2 x SHUTDOWN_TIMEOUT.

        Safe from any thread, also while another thread calls start() or the handle: those
        calls either finish first or fail with a RuntimeError saying the server was stopped.
        """
        global _current
        with self._calls_lock:
            if self._calls is not None:
                try:
                    self._loop.call_soon_threadsafe(self._loop.stop)
                except RuntimeError:  # the loop is already closed
                    pass
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout=5)
        with _start_lock:
            if _current is self:
                _current = None

    def __enter__(self) -> FakeAPI:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<fakeapi {state} at {self.url}>"


_current: FakeAPI | None = None
_start_lock = threading.Lock()


def start(latency_scale: float | None = None, seed: int | None = None) -> FakeAPI:
    """Start fakeapi on 127.0.0.1 and a free port, in a background thread; return its handle.

    Calling it again in the same process returns the server already running, with any
    setting passed applied to it, so re-running a notebook cell never fails with
    "address already in use". Defaults for a new server: latency_scale=1.0, seed=0.
    """
    global _current
    if latency_scale is not None and not 0 <= latency_scale < math.inf:
        raise ValueError(f"latency_scale must be 0 or more, got {latency_scale!r}")
    with _start_lock:
        current = _current
        if current is not None and current.running:
            try:
                current.configure(current.seed if seed is None else seed,
                                  current.latency_scale if latency_scale is None else latency_scale)
                return current
            except RuntimeError:  # stopped from another thread meanwhile: start a new one below
                pass
        _current = FakeAPI(seed=seed or 0, latency_scale=1.0 if latency_scale is None else latency_scale)
        return _current


def current() -> FakeAPI | None:
    """The server `start()` returned in this process, while it runs; None when there is none."""
    api = _current
    return api if api is not None and api.running else None


@atexit.register
def _stop_at_exit() -> None:
    if _current is not None:
        _current.stop()
