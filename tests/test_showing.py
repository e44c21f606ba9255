"""lab.showing: warnings and asyncio's debug report, printed without what changes from run to run."""

from __future__ import annotations

import asyncio
import logging
import time
import warnings

import pytest

import lab


async def never_awaited() -> None:
    pass


@pytest.mark.parametrize("make_them, expected", [
    (lambda: never_awaited(), ["RuntimeWarning: coroutine 'never_awaited' was never awaited"]),
    (lambda: [warnings.warn("old", DeprecationWarning, stacklevel=1) for _ in range(2)],
     ["DeprecationWarning: old", "DeprecationWarning: old"]),  # "always": the second one is shown too
    (lambda: None, []),
])
def test_show_warnings_prints_category_and_message(capsys, make_them, expected) -> None:
    with lab.show_warnings() as caught:
        make_them()
        __import__("gc").collect()
    assert capsys.readouterr().out.splitlines() == expected
    assert len(caught) == len(expected)


async def blocks(seconds: float) -> None:
    time.sleep(seconds)


async def cooperates(seconds: float) -> None:
    await asyncio.sleep(seconds)


def test_asyncio_debug_reports_the_blocking_step_and_restores_the_loop() -> None:
    async def main() -> tuple[list, list, bool, float, bool]:
        loop = asyncio.get_running_loop()
        with lab.asyncio_debug(slow_callback_duration=0.1) as slow:
            assert loop.get_debug() and loop.slow_callback_duration == 0.1
            await asyncio.gather(blocks(0.25), cooperates(0.25))
        with lab.asyncio_debug(slow_callback_duration=0.1) as none_slow:
            await asyncio.gather(cooperates(0.25), cooperates(0.25))
        return slow, none_slow, loop.get_debug(), loop.slow_callback_duration, logging.getLogger("asyncio").propagate

    slow, none_slow, debug_after, duration_after, propagate_after = asyncio.run(main())
    assert [step.callback for step in slow] == ["blocks()"]
    assert slow[0].seconds >= 0.25  # time.sleep sleeps at least that long
    assert str(slow[0]).startswith("a step of blocks() held the event loop for ")
    assert none_slow == []
    assert (debug_after, duration_after, propagate_after) == (False, 0.1, True)


def test_asyncio_debug_restores_the_loop_when_the_block_raises() -> None:
    async def main() -> tuple[bool, float]:
        loop = asyncio.get_running_loop()
        with pytest.raises(ZeroDivisionError), lab.asyncio_debug(slow_callback_duration=0.5):
            _ = 1 / 0
        return loop.get_debug(), loop.slow_callback_duration

    assert asyncio.run(main()) == (False, 0.1)


def test_asyncio_debug_needs_a_running_loop() -> None:
    with pytest.raises(RuntimeError, match="no running event loop"), lab.asyncio_debug():
        pass
