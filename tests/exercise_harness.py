"""One way to test an exercise check: it accepts a correct answer, or it rejects a wrong one with its hint.

    from exercise_harness import assert_hint, assert_passes
    assert_passes(check_dashboard, solution)                       # prints a ✅ line, raises nothing
    assert_hint(check_dashboard, one_by_one, CheckFailed, "did not overlap", "at most 1 in flight")

Each call runs the check in a fresh event loop, as a notebook cell would run it in the kernel's loop;
the checks' own fakeapi server lives on between calls, as it does in a kernel.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import subprocess
import sys
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest

from lab.checks import CheckFailed

Check = Callable[[Callable[..., Any]], Awaitable[None]]


def run_check(check: Check, fn: Callable[..., Any]) -> str:
    """Run `await check(fn)` in a new event loop; return what it printed."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        asyncio.run(check(fn))
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
    fragments = tuple(part for f in fragments for part in ((f,) if isinstance(f, str) else f))
    with pytest.raises(CheckFailed) as failure:
        run_check(check, fn)
    assert type(failure.value) is exc_type, f"{type(failure.value).__name__}: {failure.value}"
    message = str(failure.value)
    for fragment in fragments:
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
