"""Which exceptions does gather(..., return_exceptions=True) hand back as results?

Each trial runs in its own asyncio.run(), so an exception that escapes the event loop
ends only that trial, and the script goes on to the next one.

    python scripts/04_what_never_becomes_a_result.py
"""

import asyncio


class Shutdown(BaseException):
    """A BaseException of your own, like CancelledError: not an Exception."""


async def raise_after(delay, exc):
    await asyncio.sleep(delay)
    raise exc


async def one_trial(exc):
    results = await asyncio.gather(raise_after(0.01, exc), asyncio.sleep(0.05, "ok"), return_exceptions=True)
    return [type(r).__name__ for r in results]


for exc in [ValueError("bad value"), Shutdown(), GeneratorExit(), KeyboardInterrupt(), SystemExit(3)]:
    name = type(exc).__name__
    try:
        results = asyncio.run(one_trial(exc))
    except BaseException as escaped:
        print(f"{name:17} escaped asyncio.run() as {type(escaped).__name__}: gather never returned")
    else:
        print(f"{name:17} came back as a result: {results}")
