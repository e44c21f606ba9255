"""One way to test an exercise check: it accepts a correct answer, or it rejects a wrong one with its hint.

    from exercise_harness import assert_hint, assert_passes
    assert_passes(check_dashboard, solution)                       # prints a ✅ line, raises nothing
    assert_hint(check_dashboard, one_by_one, CheckFailed, "did not overlap", "at most 1 in flight")

Each call runs the check in a fresh event loop, as a notebook cell would run it in the kernel's loop;
the checks' own fakeapi server lives on between calls, as it does in a kernel. And, as in a learner's
kernel that keeps working, a background poller of the learner's own runs beside every check: it
gathers two requests on a server of its own every few hundred ms, keeps a fire-and-forget task
alive, and calls time.sleep briefly now and then. None of it may change a verdict.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import io
import os
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from typing import Any

import aiohttp
import pytest

import fakeapi
from lab.checks import CheckFailed

Check = Callable[[Callable[..., Any]], Coroutine[Any, Any, None]]
POLL_EVERY = 0.25  # seconds between the background poller's rounds

_pollers_server: fakeapi.FakeAPI | None = None


def pollers_server() -> fakeapi.FakeAPI:
    """The server the learner's background poller talks to (neither the checks' nor `fakeapi.start()`'s)."""
    global _pollers_server
    if _pollers_server is None or not _pollers_server.running:
        _pollers_server = fakeapi.FakeAPI(seed=3, latency_scale=1.0)
    return _pollers_server


@atexit.register
def _stop_pollers_server() -> None:
    if _pollers_server is not None:
        _pollers_server.stop()


async def background_poller(rounds: list[float]) -> None:
    """The learner's own background work: every POLL_EVERY s, gather two requests on its own server (and a
    sleep), start a fire-and-forget task that outlives the round, and block the loop for 5 ms with time.sleep."""
    url = pollers_server().url
    keep: set[asyncio.Task[Any]] = set()
    async with aiohttp.ClientSession() as session:
        async def get(path: str) -> Any:
            async with session.get(url + path) as response:
                response.raise_for_status()
                return await response.json()

        while True:
            straggler = asyncio.create_task(asyncio.sleep(POLL_EVERY * 3))
            keep.add(straggler)
            straggler.add_done_callback(keep.discard)
            this_round = asyncio.gather(get("/users/1?delay=0.05"), get("/users/2?delay=0.1"),
                                        asyncio.sleep(POLL_EVERY))
            rounds.append(time.monotonic())  # its tasks exist from here on
            await this_round
            time.sleep(0.005)


async def beside_a_poller(awaitable: Awaitable[Any], rounds: list[float] | None = None) -> Any:
    """Await `awaitable` once background_poller has its first round's tasks running; the poller is stopped
    (and awaited) afterwards. `rounds` receives the time each round started."""
    rounds = rounds if rounds is not None else []
    poller = asyncio.create_task(background_poller(rounds))
    for _ in range(100):
        if rounds:
            break
        await asyncio.sleep(0)
    try:
        return await awaitable
    finally:
        poller.cancel()
        await asyncio.gather(poller, return_exceptions=True)


def run_check(check: Check, fn: Callable[..., Any], background: bool = True) -> str:
    """Run `await check(fn)` in a new event loop (beside the learner's background poller); return what it printed."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        asyncio.run(beside_a_poller(check(fn)) if background else check(fn))
    return out.getvalue()


def assert_passes(check: Check, fn: Callable[..., Any], *fragments: str) -> str:
    """The check accepts fn: it raises nothing and prints one ✅ line (holding each fragment)."""
    try:
        printed = run_check(check, fn)
    except CheckFailed as failure:
        pytest.fail(f"{check.__name__} rejected the correct answer {fn.__name__}: {failure}")
    assert printed.startswith("✅ "), printed
    for fragment in fragments:
        assert fragment in printed, printed
    return printed


def assert_hint(check: Check, fn: Callable[..., Any], exc_type: type[CheckFailed],
                *fragments: str | tuple[str, ...]) -> str:
    """The check rejects fn with exactly exc_type, and the message holds every fragment.

    A fragment may be a tuple of fragments (handy in a parametrize table).
    """
    flat = [part for f in fragments for part in ((f,) if isinstance(f, str) else f)]
    with pytest.raises(CheckFailed) as failure:
        run_check(check, fn)
    assert type(failure.value) is exc_type, f"{type(failure.value).__name__}: {failure.value}"
    message = str(failure.value)
    for fragment in flat:
        assert fragment in message, f"{fragment!r} not in the hint: {message}"
    return message


@contextlib.contextmanager
def cpu_hogs(count: int = 2, seconds: float = 120) -> Iterator[None]:
    """`count` busy-loop processes for the duration of the block (each ends by itself after `seconds`)."""
    code = f"import time\nend = time.monotonic() + {seconds}\nwhile time.monotonic() < end: pass\n"
    hogs = [subprocess.Popen([sys.executable, "-c", code], env={**os.environ}) for _ in range(count)]
    try:
        yield
    finally:
        for hog in hogs:
            hog.kill()
        for hog in hogs:
            hog.wait(timeout=10)


def assert_hint_matches(check: Check, fn: Callable[..., Any], exc_type: type[CheckFailed], pattern: str) -> str:
    """The check rejects fn with exactly exc_type, and the message matches the regular expression."""
    import re

    with pytest.raises(CheckFailed) as failure:
        run_check(check, fn)
    assert type(failure.value) is exc_type, f"{type(failure.value).__name__}: {failure.value}"
    assert re.search(pattern, str(failure.value)), f"{pattern!r} does not match the hint: {failure.value}"
    return str(failure.value)
